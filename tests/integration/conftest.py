"""The real engine against the local control plane: one control plane and one stack per package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from localenv.controlplane import ControlPlane
from localenv.stack import LocalStack
from localenv.verify import vault_client
from tests.live import fresh_control_plane


@pytest.fixture(scope="package")
def control_plane() -> Iterator[ControlPlane]:
    with fresh_control_plane() as cp:
        yield cp


@pytest.fixture(scope="package")
def stack(control_plane: ControlPlane) -> LocalStack:
    local = LocalStack(control_plane.state_dir, control_plane.env)
    local.prepare()
    return local


@pytest.fixture(scope="package")
def root_vault(control_plane: ControlPlane) -> hvac.Client:
    env = control_plane.env
    return vault_client(env["VAULT_ADDR"], Path(env["VAULT_CACERT"]), env["VAULT_TOKEN"])
