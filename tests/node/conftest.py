"""The real node: the control plane plus kubelet, containerd, kube-proxy and CoreDNS (localenv/node), the three
charts installed by `pulumi up --stack local-node`, pods running. Checks go through the Kubernetes API as a user's
kubectl would (exec is proxied by the API server to the kubelet).

Everything is package-scoped: one node, one `up`, stopped before any other package starts its control plane.
"""

from __future__ import annotations

from pathlib import Path

import hvac
import pytest

from localenv.controlplane import ControlPlane
from localenv.verify import vault_client
from tests.live import node_package_fixtures

config, control_plane, deployed, kube = node_package_fixtures("local-node")


@pytest.fixture(scope="package")
def root_vault(control_plane: ControlPlane) -> hvac.Client:
    env = control_plane.env
    return vault_client(env["VAULT_ADDR"], Path(env["VAULT_CACERT"]), env["VAULT_TOKEN"])
