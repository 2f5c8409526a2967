"""Act as an app: get its ServiceAccount's token, log in to Vault, read what it declared."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import hvac
import requests
from kubernetes import client

if TYPE_CHECKING:
    from localenv.controlplane.kubeapi import KubeApi


def vault_client(address: str, ca_file: Path | None, token: str | None = None, timeout: float = 10.0) -> hvac.Client:
    """An hvac client verified against the dev CA (the system CAs when None), with `token` or none at all."""
    session = requests.Session()
    # Ignore proxy variables from the environment: the servers are on loopback or in the node's network.
    session.trust_env = False
    # hvac takes the CA from a given session (its own `verify` is then ignored); an explicit "" token keeps it
    # from falling back to VAULT_TOKEN.
    session.verify = str(ca_file) if ca_file else True
    return hvac.Client(url=address, token=token or "", verify=session.verify, timeout=timeout, session=session)


def login_kubernetes(vault: hvac.Client, auth_path: str, role: str, jwt: str) -> hvac.Client:
    """A new client holding the token Vault's kubernetes auth at `auth_path` gives `role` for `jwt`."""
    auth = vault.auth.kubernetes.login(role, jwt, use_token=False, mount_point=auth_path)["auth"]
    app = hvac.Client(url=vault.url, token=auth["client_token"], verify=True)
    # Same address, CA and session as `vault`; only the token differs.
    app.adapter = hvac.adapters.JSONAdapter.from_adapter(vault.adapter)
    app.token = auth["client_token"]
    return app


def service_account_token(
    kube: KubeApi, namespace: str, account: str, seconds: int = 600, audience: str | None = None
) -> str:
    """A fresh bound token from the TokenRequest API, as the kubelet would mount it: for `audience`, or for the
    API server's own audience (what the default ServiceAccount volume holds) when None."""
    spec = client.V1TokenRequestSpec(audiences=[audience] if audience else [], expiration_seconds=seconds)
    request = client.AuthenticationV1TokenRequest(
        api_version="authentication.k8s.io/v1", kind="TokenRequest", spec=spec
    )
    status = kube.core.create_namespaced_service_account_token(account, namespace, request).status
    if status is None or not status.token:
        raise RuntimeError(f"TokenRequest for {namespace}/{account} returned no token")
    return status.token


def mask(value: str, show: bool = False) -> str:
    """Enough to recognise a value without printing it."""
    if show or len(value) <= 4:
        return value if show else "*" * len(value)
    return f"{value[:2]}{'*' * (len(value) - 4)}{value[-2:]}"
