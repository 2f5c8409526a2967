"""Create-or-replace and delete through the admin client, the way `kubectl apply` would end up."""

from __future__ import annotations

from typing import Any

from localenv.controlplane.kubeapi import KubeApi


def apply(api: KubeApi, collection: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create `body` under `collection`, or replace the object of the same name."""
    name = body["metadata"]["name"]
    response = api.request("POST", collection, body)
    if response.status_code == 409:
        current = api.get(f"{collection}/{name}")
        if current is not None:
            replaced = {**body, "metadata": {**body["metadata"],
                                             "resourceVersion": current["metadata"]["resourceVersion"]}}  # fmt: skip
            response = api.request("PUT", f"{collection}/{name}", replaced)
    api.raise_for(response, f"apply {collection}/{name}")
    result: dict[str, Any] = response.json()
    return result


def delete(api: KubeApi, path: str) -> bool:
    """Delete the object at `path`; False when it was not there."""
    response = api.request("DELETE", path)
    if response.status_code == 404:
        return False
    api.raise_for(response, f"DELETE {path}")
    return True
