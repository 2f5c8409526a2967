"""Vault API paths derived from one declaration, so consumers and policies agree."""


def clean_segment(path: str) -> str:
    """Strip surrounding slashes; the config validators reject everything else odd."""
    return path.strip().strip("/")


def kv2_api_path(mount: str, path: str) -> str:
    """The KV v2 read path (`<mount>/data/<path>`) used by CSI, agent templates and policies."""
    return f"{clean_segment(mount)}/data/{clean_segment(path)}"


def pki_issue_path(mount: str, role: str) -> str:
    """The PKI issue endpoint of a role."""
    return f"{clean_segment(mount)}/issue/{clean_segment(role)}"


def database_creds_path(mount: str, role: str) -> str:
    """Where a database role's credentials are read: each read creates a user with its own lease."""
    return f"{clean_segment(mount)}/creds/{clean_segment(role)}"
