"""Specs of the SecretProviderClass and VSO custom resources."""

from typing import Any

from derive.paths import clean_segment, database_creds_path, kv2_api_path
from stackconfig.durations import as_duration_text, parse_duration
from stackconfig.models import DATABASE_KEYS, AppDecl, DatabaseRef, KvRef, PkiRef, database_file

SPC_API_VERSION = "secrets-store.csi.x-k8s.io/v1"
VSO_API_VERSION = "secrets.hashicorp.com/v1beta1"


def csi_objects(app: AppDecl) -> str:
    """The `objects` parameter: one entry per file, KV v2 paths with `data/`. A database credential is two files
    from one path; the provider reads a path once per mount, so both hold the same user."""
    entries = []
    for ref in app.secrets:
        assert not isinstance(ref, PkiRef)  # the config validator allows only kv and database for csi
        if isinstance(ref, KvRef):
            objects = [(ref.file or "", kv2_api_path(ref.mount, ref.path), ref.keys[0])]
        else:
            path = database_creds_path(ref.mount, ref.role)
            objects = [(database_file(ref.file or "", key), path, key) for key in DATABASE_KEYS]
        for name, path, key in objects:
            entries.append(f'- objectName: "{name}"\n  secretPath: "{path}"\n  secretKey: "{key}"\n')
    return "".join(entries)


def secret_provider_class_spec(
    app: AppDecl, vault_address: str, auth_path: str, ca_cert_path: str | None, audience: str | None = None
) -> dict[str, Any]:
    """Vault provider parameters; `vaultAddress` appears exactly once."""
    parameters: dict[str, str] = {
        "vaultAddress": vault_address,
        "roleName": app.role,
        "objects": csi_objects(app),
    }
    if clean_segment(auth_path) != "kubernetes":
        parameters["vaultKubernetesMountPath"] = clean_segment(auth_path)
    if ca_cert_path:
        parameters["vaultCACertPath"] = ca_cert_path
    if audience:
        # The provider logs in with the driver's token for this audience (the CSIDriver's tokenRequests).
        parameters["audience"] = audience
    return {"provider": "vault", "parameters": parameters}


def vault_connection_spec(vault_address: str, ca_secret: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"address": vault_address, "skipTLSVerify": False}
    if ca_secret:
        spec["caCertSecretRef"] = ca_secret
    return spec


def vault_auth_spec(app: AppDecl, connection: str, auth_path: str, audience: str | None = None) -> dict[str, Any]:
    kubernetes: dict[str, Any] = {"role": app.role, "serviceAccount": app.service_account}
    if audience:
        # VSO requests the ServiceAccount's token for exactly these audiences.
        kubernetes["audiences"] = [audience]
    return {
        "vaultConnectionRef": connection,
        "method": "kubernetes",
        "mount": clean_segment(auth_path),
        "kubernetes": kubernetes,
    }


def destination(secret_name: str | None, **extra: Any) -> dict[str, Any]:
    """A Secret VSO creates and owns. `transformation: {}` is what the operator writes back into the spec when it
    adds its finalizer; declaring it keeps that write from bumping the generation, which VSO would take as a
    change: a second sync right after the first, and a rollout restart of the targets with no secret change."""
    return {"name": secret_name, "create": True, **extra, "transformation": {}}


def vault_static_secret_spec(ref: KvRef, auth: str, restart_target: str) -> dict[str, Any]:
    """KV v2 synced to a Secret; mount and path without `data/`, as VSO wants them."""
    return {
        "vaultAuthRef": auth,
        "type": "kv-v2",
        "mount": clean_segment(ref.mount),
        "path": clean_segment(ref.path),
        "refreshAfter": as_duration_text(ref.refresh_after),
        "destination": destination(ref.secret_name),
        "rolloutRestartTargets": [{"kind": "Deployment", "name": restart_target}],
    }


def vault_pki_secret_spec(ref: PkiRef, auth: str) -> dict[str, Any]:
    """A certificate renewed at four fifths of its life, like the agent does."""
    ttl = parse_duration(ref.ttl)
    return {
        "vaultAuthRef": auth,
        "mount": clean_segment(ref.mount),
        "role": ref.role,
        "commonName": ref.common_name,
        "ttl": as_duration_text(ref.ttl),
        "expiryOffset": f"{max(1, ttl // 5)}s",
        "destination": destination(ref.secret_name, type="kubernetes.io/tls"),
    }


def vault_dynamic_secret_spec(ref: DatabaseRef, auth: str, restart_target: str) -> dict[str, Any]:
    """Database credentials synced to a Secret (`username`, `password`). The operator renews the lease at
    renewalPercent of its duration, reads new credentials when it cannot renew (maxTtl) and restarts the targets.
    No `revoke`: it would call sys/leases/revoke, which the app's policy (read on its creds, nothing more) and
    Vault's default policy refuse; a deleted resource's lease ends unrenewed within the role's defaultTtl."""
    return {
        "vaultAuthRef": auth,
        "mount": clean_segment(ref.mount),
        "path": f"creds/{clean_segment(ref.role)}",
        "renewalPercent": 67,
        "destination": destination(ref.secret_name),
        "rolloutRestartTargets": [{"kind": "Deployment", "name": restart_target}],
    }
