"""Dynamic database credentials in running pods, for all three methods: each pod holds a username and password
that Vault created in PostgreSQL moments ago, and that log in."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from derive.workloads import DATABASE_MOUNT_DIR, label_selector
from localenv.controlplane import ControlPlane
from localenv.database import Postgres
from localenv.delivered import key_values
from localenv.node.kube import Kube
from stackconfig.models import AppDecl, DatabaseRef, StackConfig, database_file
from tests.live import Deployed, app_named


def _pod_name(kube: Kube, app: AppDecl) -> str:
    if app.workload.kind == "Pod":
        return app.workload.name
    selector = label_selector(app)
    return str(kube.running_pod(app.namespace, selector).metadata.name)


def _cat(kube: Kube, app: AppDecl, path: str, container: str | None = None) -> str:
    return kube.exec(app.namespace, _pod_name(kube, app), ["cat", path], container=container)


def _csi(kube: Kube, app: AppDecl, ref: DatabaseRef) -> dict[str, str]:
    base = f"{app.workload.mount_path}/{ref.file}"
    return {key: _cat(kube, app, database_file(base, key)) for key in ("username", "password")}


def _injector(kube: Kube, app: AppDecl, ref: DatabaseRef) -> dict[str, str]:
    return key_values(_cat(kube, app, f"/vault/secrets/{ref.file}", container="webapp"))


def _vso(kube: Kube, app: AppDecl, ref: DatabaseRef) -> dict[str, str]:
    base = f"{DATABASE_MOUNT_DIR}/{ref.secret_name}"
    return {key: _cat(kube, app, f"{base}/{key}") for key in ("username", "password")}


READERS: dict[str, Callable[[Kube, AppDecl, DatabaseRef], dict[str, str]]] = {
    "db-csi": _csi,
    "db-injector": _injector,
    "db-vso": _vso,
}


@pytest.mark.parametrize("name", sorted(READERS))
def test_the_pod_holds_a_credential_that_logs_in(
    name: str, deployed: Deployed, kube: Kube, config: StackConfig, control_plane: ControlPlane
) -> None:
    app = app_named(config, name)
    ref = next(r for r in app.secrets if isinstance(r, DatabaseRef))
    creds = READERS[name](kube, app, ref)
    assert creds["username"].startswith("v-"), creds["username"]
    assert Postgres.from_env(control_plane.env).login(creds["username"], creds["password"]) == creds["username"]
