"""Shared by the test packages that run against the real local control plane."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from localenv.controlplane import ControlPlane, running_in
from localenv.controlplane.paths import default_state_dir
from localenv.node.kube import Kube
from localenv.stack import REPO, LocalStack, stack_file_config, tool_bin_dir
from stackconfig.models import AppDecl, StackConfig

ENGINE_AND_CLUSTER = ("pulumi", "pulumi-resource-kubernetes", "pulumi-resource-vault", "etcd", "kube-apiserver",
                      "kube-controller-manager")  # fmt: skip
# The controllers, the CSI Mount client, and `vault` for the injected agent (whichever server runs).
CONTROLLERS = ("vault-secrets-operator", "vault-k8s", "vault-csi-provider", "csi-mount", "vault")
# The real node, and every binary its images are made of (localenv/node/images.py).
NODE = ("kubelet", "kube-proxy", "kube-scheduler", "containerd", "containerd-shim-runc-v2", "ctr", "runc",
        "coredns", "secrets-store-csi-driver", "csi-node-driver-registrar", "livenessprobe", "kube-rbac-proxy",
        "vault-secrets-operator", "vault-k8s", "vault-csi-provider", "vault")  # fmt: skip


@contextmanager
def fresh_control_plane(required: Sequence[str] = ENGINE_AND_CLUSTER, node: bool = False) -> Iterator[ControlPlane]:
    """A control plane (with the real node if `node`) for one test package; refuse when the toolchain is short or
    one already runs."""
    missing = [b for b in required if not (tool_bin_dir() / b).exists() and not shutil.which(b)]
    if missing:
        pytest.fail(f"toolchain incomplete (run `bash localenv/toolchain.sh install`): missing {missing}")
    state = default_state_dir()
    if running_in(state):
        pytest.fail(f"a control plane is already running in {state}; stop it first (make demo-down)")
    cp = ControlPlane.start(state, node=node)
    try:
        yield cp
    finally:
        cp.stop()  # stops the controllers started against it first


@dataclass
class Deployed:
    stack: LocalStack


def app_named(cfg: StackConfig, name: str) -> AppDecl:
    return next(a for a in cfg.apps if a.name == name)


def node_package_fixtures(stack: str) -> tuple[Callable[..., Any], ...]:
    """The package-scoped fixtures of a package that runs `stack` on the real node: `config` (the stack file's),
    `control_plane` (its own, with the node), `deployed` (`pulumi up` from an empty node, everything awaited) and
    `kube`. A conftest assigns them at module level, where pytest finds them."""

    @pytest.fixture(scope="package")
    def config() -> StackConfig:
        return stack_file_config(REPO / "stacks" / f"Pulumi.{stack}.yaml")

    @pytest.fixture(scope="package")
    def control_plane() -> Iterator[ControlPlane]:
        with fresh_control_plane((*ENGINE_AND_CLUSTER, *NODE), node=True) as cp:
            yield cp

    @pytest.fixture(scope="package")
    def deployed(control_plane: ControlPlane) -> Deployed:
        local = LocalStack(control_plane.state_dir, control_plane.env, stack=stack)
        local.prepare()
        local.up()
        return Deployed(local)

    @pytest.fixture(scope="package")
    def kube(control_plane: ControlPlane) -> Iterator[Kube]:
        client = Kube(control_plane.kubeconfig, "local")
        yield client
        client.close()

    return config, control_plane, deployed, kube
