"""Act as an app: get its ServiceAccount's token, log in to Vault, read what it declared."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from localenv.controlplane.kubeapi import KubeApi

NO_PROXY = {"http": "", "https": ""}


class VaultDenied(RuntimeError):
    """Vault refused a request; `status` is the HTTP code."""

    def __init__(self, status: int, what: str, body: str):
        self.status = status
        super().__init__(f"{what}: HTTP {status} {body[:300]}")


def service_account_token(
    kube: KubeApi, namespace: str, account: str, seconds: int = 600, audience: str | None = None
) -> str:
    """A fresh bound token from the TokenRequest API, as the kubelet would mount it: for `audience`, or for the
    API server's own audience (what the default ServiceAccount volume holds) when None."""
    path = f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token"
    spec: dict[str, Any] = {"expirationSeconds": seconds}
    if audience:
        spec["audiences"] = [audience]
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
    token: str = kube.create(path, body)["status"]["token"]
    return token


@dataclass
class VaultClient:
    """Just enough of the Vault HTTP API for the checks, verified against the dev CA."""

    address: str
    ca_file: Path | None
    token: str | None = None
    timeout: float = 10.0

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"X-Vault-Token": self.token} if self.token else {}
        response = requests.request(
            method,
            f"{self.address}/v1/{path}",
            json=body,
            headers=headers,
            verify=str(self.ca_file) if self.ca_file else True,
            timeout=self.timeout,
            proxies=NO_PROXY,
        )
        if response.status_code >= 400:
            raise VaultDenied(response.status_code, f"{method} {path}", response.text)
        result: dict[str, Any] = response.json() if response.content else {}
        return result

    def login_kubernetes(self, auth_path: str, role: str, jwt: str) -> VaultClient:
        auth = self.request("POST", f"auth/{auth_path}/login", {"role": role, "jwt": jwt})["auth"]
        return VaultClient(self.address, self.ca_file, auth["client_token"], self.timeout)

    def read(self, path: str) -> dict[str, Any]:
        data: dict[str, Any] = self.request("GET", path)["data"]
        return data

    def issue(self, path: str, common_name: str, ttl: str) -> dict[str, Any]:
        data: dict[str, Any] = self.request("POST", path, {"common_name": common_name, "ttl": ttl})["data"]
        return data


def mask(value: str, show: bool = False) -> str:
    """Enough to recognise a value without printing it."""
    if show or len(value) <= 4:
        return value if show else "*" * len(value)
    return f"{value[:2]}{'*' * (len(value) - 4)}{value[-2:]}"
