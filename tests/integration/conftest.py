"""The real engine against the local control plane: one control plane and one stack per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from localenv.controlplane import ControlPlane
from localenv.controlplane.paths import default_state_dir
from localenv.stack import LocalStack, tool_bin_dir
from localenv.verify import VaultClient

REQUIRED = ("pulumi", "pulumi-resource-kubernetes", "pulumi-resource-vault", "etcd", "kube-apiserver",
            "kube-controller-manager")  # fmt: skip


@pytest.fixture(scope="package")
def control_plane() -> Iterator[ControlPlane]:
    missing = [b for b in REQUIRED if not (tool_bin_dir() / b).exists() and not shutil.which(b)]
    if missing:
        pytest.fail(f"toolchain incomplete (run `bash localenv/toolchain.sh install`): missing {missing}")
    state = default_state_dir()
    if (state / "processes.json").exists():
        pytest.fail(f"a control plane is already running in {state}; stop it first (make demo-down)")
    cp = ControlPlane.start(state)
    try:
        yield cp
    finally:
        cp.stop()


@pytest.fixture(scope="package")
def stack(control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> LocalStack:
    local = LocalStack(control_plane.state_dir, control_plane.env)
    local.prepare()
    return local


@pytest.fixture(scope="package")
def root_vault(control_plane: ControlPlane) -> VaultClient:
    env = control_plane.env
    return VaultClient(env["VAULT_ADDR"], Path(env["VAULT_CACERT"]), env["VAULT_TOKEN"])
