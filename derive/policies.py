"""Least-privilege Vault policies derived from what an app declares."""

from dataclasses import dataclass

from derive.paths import database_creds_path, kv2_api_path, pki_issue_path
from stackconfig.models import AppDecl, KvRef, PkiRef

READ = ("read",)
ISSUE = ("create", "update")


@dataclass(frozen=True)
class Grant:
    """One `path` block of a Vault policy."""

    path: str
    capabilities: tuple[str, ...]


def app_grants(app: AppDecl) -> list[Grant]:
    """The exact paths an app may use, in declaration order, without repeats."""
    grants: list[Grant] = []
    for ref in app.secrets:
        if isinstance(ref, KvRef):
            grant = Grant(kv2_api_path(ref.mount, ref.path), READ)
        elif isinstance(ref, PkiRef):
            grant = Grant(pki_issue_path(ref.mount, ref.role), ISSUE)
        else:
            # Renewing and revoking its leases is in every token's `default` policy (sys/leases/renew).
            grant = Grant(database_creds_path(ref.mount, ref.role), READ)
        if grant not in grants:
            grants.append(grant)
    return grants


def render_policy(grants: list[Grant]) -> str:
    """HCL in the form `vault policy write` takes, one block per grant."""
    blocks = []
    for grant in grants:
        caps = ", ".join(f'"{c}"' for c in grant.capabilities)
        blocks.append(f'path "{grant.path}" {{\n  capabilities = [{caps}]\n}}\n')
    return "\n".join(blocks)
