"""The real node: the control plane plus kubelet, containerd, kube-proxy and CoreDNS (localenv/node), the three
charts installed by `pulumi up --stack local-node`, pods running. Checks go through the Kubernetes API as a user's
kubectl would (exec is proxied by the API server to the kubelet).

Everything is package-scoped: one node, one `up`, stopped before any other package starts its control plane.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hvac
import pytest

from localenv.controlplane import ControlPlane
from localenv.node.kube import Kube
from localenv.stack import REPO, LocalStack, stack_file_config
from localenv.verify import vault_client
from stackconfig.models import AppDecl, StackConfig
from tests.live import ENGINE_AND_CLUSTER, NODE, fresh_control_plane

STACK = "local-node"


@dataclass
class Deployed:
    stack: LocalStack


def app_named(cfg: StackConfig, name: str) -> AppDecl:
    return next(a for a in cfg.apps if a.name == name)


@pytest.fixture(scope="package")
def config() -> StackConfig:
    return stack_file_config(REPO / "stacks" / f"Pulumi.{STACK}.yaml")


@pytest.fixture(scope="package")
def control_plane() -> Iterator[ControlPlane]:
    with fresh_control_plane((*ENGINE_AND_CLUSTER, *NODE), node=True) as cp:
        yield cp


@pytest.fixture(scope="package")
def deployed(control_plane: ControlPlane) -> Deployed:
    """`pulumi up` from an empty node: charts, Vault mounts, roles, workloads, all awaited."""
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
def root_vault(control_plane: ControlPlane) -> hvac.Client:
    env = control_plane.env
    return vault_client(env["VAULT_ADDR"], Path(env["VAULT_CACERT"]), env["VAULT_TOKEN"])
