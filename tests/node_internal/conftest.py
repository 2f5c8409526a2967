"""The tutorial on the real node, exactly like `dev`: `pulumi up --stack local-internal` from an empty node installs
the vault chart's dev server and writes every Vault object into it through its NodePort, in one run; then the
tutorial's checks; last, `pulumi destroy`.

Package-scoped, like tests/node: its own control plane and node, stopped before any other package starts one.
"""

from __future__ import annotations

from collections.abc import Iterator

import hvac
import pytest

from localenv.controlplane import ControlPlane
from localenv.node.kube import Kube
from localenv.stack import REPO, LocalStack, stack_file_config
from localenv.verify import vault_client
from stackconfig.models import StackConfig
from tests.live import ENGINE_AND_CLUSTER, NODE, fresh_control_plane
from tests.node.conftest import Deployed

STACK = "local-internal"


@pytest.fixture(scope="package")
def config() -> StackConfig:
    return stack_file_config(REPO / "stacks" / f"Pulumi.{STACK}.yaml")


@pytest.fixture(scope="package")
def control_plane() -> Iterator[ControlPlane]:
    with fresh_control_plane((*ENGINE_AND_CLUSTER, *NODE), node=True) as cp:
        yield cp


@pytest.fixture(scope="package")
def deployed(control_plane: ControlPlane) -> Deployed:
    local = LocalStack(control_plane.state_dir, control_plane.env, stack=STACK)
    local.prepare()
    local.up()
    return Deployed(local)


@pytest.fixture(scope="package")
def kube(control_plane: ControlPlane) -> Iterator[Kube]:
    client = Kube(control_plane.kubeconfig, "local")
    yield client
    client.close()


@pytest.fixture(scope="package")
def dev_vault(deployed: Deployed, config: StackConfig) -> hvac.Client:
    """The in-cluster dev server, at its NodePort, with the root token the stack config holds."""
    assert config.vault.address is not None and deployed.stack.vault_token is not None
    return vault_client(config.vault.address, None, deployed.stack.vault_token)
