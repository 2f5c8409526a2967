"""KubeApi's create-or-replace, read and delete over the dynamic client, against a stand-in resource (no server)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.kubeapi import KubeApi

BODY = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "ns"}}


class Instance(SimpleNamespace):
    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class Resource:
    """Answers like the dynamic client's Resource: `exists` objects by name, and `conflicts` failed replaces first."""

    def __init__(self, exists: bool = False, conflicts: int = 0) -> None:
        self.exists, self.conflicts = exists, conflicts
        self.calls: list[tuple[str, Any]] = []

    def create(self, body: dict[str, Any], namespace: str | None = None) -> Instance:
        self.calls.append(("create", namespace))
        if self.exists:
            raise ConflictError(ApiException(status=409))
        return Instance(**body)

    def get(self, name: str, namespace: str | None = None) -> Instance:
        self.calls.append(("get", (name, namespace)))
        if not self.exists:
            raise NotFoundError(ApiException(status=404))
        return Instance(metadata=SimpleNamespace(resourceVersion="7"))

    def replace(self, body: dict[str, Any]) -> Instance:
        self.calls.append(("replace", body["metadata"]["resourceVersion"]))
        if self.conflicts:
            self.conflicts -= 1
            raise ConflictError(ApiException(status=409))
        return Instance(**body)

    def delete(self, name: str, namespace: str | None = None) -> None:
        if not self.exists:
            raise NotFoundError(ApiException(status=404))


class StandInApi(KubeApi):
    def __init__(self, resource: Resource, tmp_path: Path) -> None:
        super().__init__("https://127.0.0.1:1", tmp_path / "ca", tmp_path / "crt", tmp_path / "key")
        self.stand_in = resource

    def resource(self, api_version: str, kind: str) -> Any:
        return self.stand_in


def api_with(resource: Resource, tmp_path: Path) -> KubeApi:
    return StandInApi(resource, tmp_path)


def test_apply_creates_what_is_not_there(tmp_path: Path) -> None:
    resource = Resource()
    outcome, created = api_with(resource, tmp_path).apply(BODY)
    assert (outcome, created["metadata"]) == ("created", BODY["metadata"])
    assert resource.calls == [("create", "ns")]


def test_apply_replaces_at_the_current_resource_version(tmp_path: Path) -> None:
    resource = Resource(exists=True, conflicts=1)
    outcome, replaced = api_with(resource, tmp_path).apply(BODY)
    assert outcome == "replaced" and replaced["metadata"]["resourceVersion"] == "7"
    # The first replace raced another writer: read again, replace again.
    assert [c[0] for c in resource.calls] == ["create", "get", "replace", "create", "get", "replace"]


def test_apply_gives_up_after_its_attempts(tmp_path: Path) -> None:
    with pytest.raises(ControlPlaneError, match="ServiceAccount sa: kept conflicting after 2 attempts"):
        api_with(Resource(exists=True, conflicts=9), tmp_path).apply(BODY, attempts=2)


def test_read_and_delete_say_when_nothing_is_there(tmp_path: Path) -> None:
    absent = api_with(Resource(), tmp_path)
    assert absent.read("v1", "ServiceAccount", "sa", "ns") is None
    assert absent.delete("v1", "ServiceAccount", "sa", "ns") is False
    present = api_with(Resource(exists=True), tmp_path)
    assert present.read("v1", "ServiceAccount", "sa", "ns") == {"metadata": SimpleNamespace(resourceVersion="7")}
    assert present.delete("v1", "ServiceAccount", "sa", "ns") is True
