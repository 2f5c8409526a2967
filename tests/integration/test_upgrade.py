"""Upgrading a stack deployed by the release before per-app components (every app's resources under its method's
integration, its policy, ServiceAccount and role in an AppIdentity there) to this program: the resources move
under one App per app, and nothing in Vault or the cluster is created again, replaced or deleted."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from localenv.controlplane import ControlPlane
from localenv.database import Postgres
from localenv.stack import REPO, LocalStack
from tests.integration.test_local_stack import planned_steps

PREVIOUS = "bb67dca"
"""The last release whose apps lived under CsiIntegration, InjectorIntegration and VsoIntegration."""
APP_COUNT = 6


def _type(urn: str) -> str:
    return urn.split("::")[2].rsplit("$", 1)[-1]


def _ids(stack: LocalStack) -> dict[tuple[str, str], str]:
    """Every resource with an id, by type and name (its URN is what moves)."""
    resources = json.loads(stack.export())["deployment"]["resources"]
    return {(r["type"], r["urn"].rsplit("::", 1)[1]): r["id"] for r in resources if r.get("id")}


@pytest.fixture(scope="module")
def previous(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> LocalStack:
    """The previous release's program, with this checkout's virtualenv and the control plane's state."""
    folder: Path = tmp_path_factory.mktemp("previous")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", PREVIOUS], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / ".venv").symlink_to(REPO / ".venv")
    (folder / ".localcp").symlink_to(stack.state_dir)
    return dataclasses.replace(stack, project_dir=folder)


@pytest.fixture(scope="module")
def deployed_before(previous: LocalStack, control_plane: ControlPlane) -> dict[tuple[str, str], str]:
    # The stack deployed before rotated the database admin's password (rotateRoot); Vault, its only holder, forgot
    # it with the destroy: the operator's way back (README, Dynamic database credentials).
    env = control_plane.env
    Postgres.from_env(env).set_admin_password(env["POSTGRES_VAULT_ADMIN_PASSWORD"])
    previous.up()
    resources = json.loads(previous.export())["deployment"]["resources"]
    assert "vault-k8s:index:InjectorIntegration" in {r["type"] for r in resources}
    return _ids(previous)


def test_1_the_upgrade_adds_only_app_components_and_drops_only_the_components_they_replace(
    stack: LocalStack, deployed_before: dict[tuple[str, str], str]
) -> None:
    steps = planned_steps(stack)
    ops = sorted((s["op"], _type(s["urn"])) for s in steps)
    assert ops == sorted(
        [("create", "vault-k8s:index:App")] * APP_COUNT
        + [("delete", "vault-k8s:index:AppIdentity")] * APP_COUNT
        + [
            ("delete", "vault-k8s:index:CsiIntegration"),
            ("delete", "vault-k8s:index:InjectorIntegration"),
            ("delete", "vault-k8s:index:VsoIntegration"),
        ]
    ), ops


def test_2_after_the_upgrade_every_resource_keeps_its_id_and_a_second_up_changes_nothing(
    stack: LocalStack, deployed_before: dict[tuple[str, str], str]
) -> None:
    stack.up()
    stack.preview(expect_no_changes=True)
    assert _ids(stack) == deployed_before


def test_3_the_upgraded_stack_destroys_cleanly(stack: LocalStack) -> None:
    stack.destroy()
    assert [r for r in json.loads(stack.export())["deployment"].get("resources", []) if r.get("id")] == []
