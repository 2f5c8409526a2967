"""The API server through the official Kubernetes client, authenticated with the admin client certificate."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError
from kubernetes.dynamic.resource import Resource

from .errors import ControlPlaneError


class KubeApi:
    """Typed APIs for the built-in kinds (`core`, `apps`) and `dynamic` for any kind, CRDs' included."""

    def __init__(
        self,
        server: str,
        ca_file: Path,
        cert_file: Path,
        key_file: Path,
        timeout: float = 10.0,
    ) -> None:
        configuration = client.Configuration(
            host=server.rstrip("/"),
            ssl_ca_cert=str(ca_file),
            cert_file=str(cert_file),
            key_file=str(key_file),
            # Ignore proxy variables from the environment: everything is on loopback.
            proxy="",
            # No silent retries (as a requests session): the waits poll on their own, and urllib3 would log a
            # warning for every retry while the API server is still starting.
            retries=urllib3.Retry(total=0, read=False),
        )
        self.timeout = timeout
        self.api_client = client.ApiClient(configuration)
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self._dynamic: DynamicClient | None = None

    @property
    def dynamic(self) -> DynamicClient:
        """Any kind by apiVersion and kind, as plain dicts; discovery runs on first use, so it is made lazily."""
        if self._dynamic is None:
            self._dynamic = DynamicClient(self.api_client)
        return self._dynamic

    def plain(self, model: Any) -> dict[str, Any]:
        """A typed object as the API server's JSON (camelCase keys, unset fields left out)."""
        result: dict[str, Any] = self.api_client.sanitize_for_serialization(model)
        return result

    def resource(self, api_version: str, kind: str) -> Resource:
        return self.dynamic.resources.get(api_version=api_version, kind=kind)

    def read(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            found = self.resource(api_version, kind).get(name=name, namespace=namespace)
        except NotFoundError:
            return None
        result: dict[str, Any] = found.to_dict()
        return result

    def list(
        self, api_version: str, kind: str, namespace: str | None = None, *, labels: str = "", fields: str = ""
    ) -> list[dict[str, Any]]:
        """The objects that match the label and field selectors."""
        found = self.resource(api_version, kind).get(
            namespace=namespace, label_selector=labels or None, field_selector=fields or None
        )
        items: list[dict[str, Any]] = found.to_dict().get("items") or []
        return items

    def apply(self, body: dict[str, Any], attempts: int = 5) -> tuple[str, dict[str, Any]]:
        """Create `body`, or replace the object of the same name, the way `kubectl apply` would end up; returns
        ("created" | "replaced", the object). A replace that races another writer is retried."""
        resource = self.resource(body["apiVersion"], body["kind"])
        metadata = body["metadata"]
        for _ in range(attempts):
            try:
                return "created", resource.create(body=body, namespace=metadata.get("namespace")).to_dict()
            except ConflictError:
                pass
            try:
                current = resource.get(name=metadata["name"], namespace=metadata.get("namespace"))
                version = current.metadata.resourceVersion
                replaced = {**body, "metadata": {**metadata, "resourceVersion": version}}
                return "replaced", resource.replace(body=replaced).to_dict()
            except (ConflictError, NotFoundError):
                time.sleep(0.1)
        raise ControlPlaneError(f"{body['kind']} {metadata['name']}: kept conflicting after {attempts} attempts")

    def create_unless_exists(self, body: dict[str, Any]) -> None:
        try:
            resource = self.resource(body["apiVersion"], body["kind"])
            resource.create(body=body, namespace=body["metadata"].get("namespace"))
        except ConflictError:
            pass

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        """Delete the object; False when it was not there."""
        try:
            self.resource(api_version, kind).delete(name=name, namespace=namespace)
        except NotFoundError:
            return False
        return True

    def ready(self) -> bool:
        """GET /readyz answers 200; no typed method covers it, so through the client's own `call_api`."""
        try:
            response = self.api_client.call_api(
                "GET", f"{self.api_client.configuration.host}/readyz", _request_timeout=self.timeout
            )
        except ApiException:
            return False
        return response.status == 200

    def close(self) -> None:
        self.api_client.close()
