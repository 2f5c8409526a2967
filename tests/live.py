"""Shared by the test packages that run against the real local control plane."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

from localenv.controlplane import ControlPlane
from localenv.controlplane.paths import default_state_dir
from localenv.stack import tool_bin_dir

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
    if (state / "processes.json").exists():
        pytest.fail(f"a control plane is already running in {state}; stop it first (make demo-down)")
    cp = ControlPlane.start(state, node=node)
    try:
        yield cp
    finally:
        cp.stop()  # stops the controllers started against it first
