"""A minimal client for the API server: requests with the admin client certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from .errors import ControlPlaneError


class KubeApi:
    def __init__(
        self,
        server: str,
        ca_file: Path,
        cert_file: Path,
        key_file: Path,
        timeout: float = 10.0,
    ) -> None:
        self.server = server.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.verify = str(ca_file)
        self.session.cert = (str(cert_file), str(key_file))
        # Ignore proxy variables from the environment: everything is on loopback.
        self.session.trust_env = False

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        return self.session.request(method, self.server + path, json=body, params=params, timeout=self.timeout)

    def get(self, path: str) -> dict[str, Any] | None:
        """The object at `path`, or None when it does not exist."""
        response = self.request("GET", path)
        if response.status_code == 404:
            return None
        self.raise_for(response, f"GET {path}")
        result: dict[str, Any] = response.json()
        return result

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.request("POST", path, body)
        self.raise_for(response, f"POST {path}")
        result: dict[str, Any] = response.json()
        return result

    def ready(self) -> bool:
        response = self.request("GET", "/readyz")
        return response.status_code == 200

    def close(self) -> None:
        self.session.close()

    @staticmethod
    def raise_for(response: requests.Response, what: str) -> None:
        if response.status_code >= 400:
            raise ControlPlaneError(f"{what} failed with HTTP {response.status_code}: {response.text[:500]}")
