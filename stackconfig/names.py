"""Names the program gives to Pulumi resources and to Kubernetes objects, in one place.

The config validator predicts collisions with the same functions the components name with, so two
declarations that would map to one resource are refused before anything is registered.
"""

CA_SECRET_NAME = "vault-ca"
VSO = "vso"


def kv_engine(mount: str) -> str:
    return f"kv-{mount}"


def kv_secret(engine: str, path: str) -> str:
    """A seeded KV secret; `/` is not kept, so `a/b` and `a-b` meet here."""
    return f"{engine}-{path.replace('/', '-')}"


def pki_engine(mount: str) -> str:
    return f"pki-{mount}"


def pki_role(engine: str, role: str) -> str:
    return f"{engine}-role-{role}"


def database_engine(mount: str) -> str:
    return f"db-{mount}"


def database_connection(engine: str, connection: str) -> str:
    return f"{engine}-connection-{connection}"


def database_role(engine: str, role: str) -> str:
    return f"{engine}-role-{role}"


def vso_synced(prefix: str, kind: str, secret_name: str) -> str:
    """A VaultStaticSecret (`static`), VaultPKISecret (`pki`) or VaultDynamicSecret (`dynamic`) of one VSO app."""
    return f"{prefix}-{kind}-{secret_name}"


def reviewer_token_secret(service_account: str) -> str:
    return f"{service_account}-token"


def app_prefix(namespace: str, service_account: str) -> str:
    """An app's resources: from its physical identity, so renaming the app or switching its method moves nothing."""
    return f"app-{namespace}-{service_account}"
