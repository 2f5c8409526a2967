"""`pulumi up` from an empty node converges in one run, installs the three charts from their archives with the
node's imported images, and a second run changes nothing."""

from __future__ import annotations

from localenv.node.kube import Kube
from stackconfig.models import StackConfig
from tests.live import Deployed

# What the three charts run on a node, by the label each chart puts on its pods.
CHART_PODS = {
    "app.kubernetes.io/name=vault-agent-injector": ["sidecar-injector"],
    "app.kubernetes.io/name=vault-csi-provider": ["vault-csi-provider", "vault-agent"],
    "app=secrets-store-csi-driver": ["node-driver-registrar", "secrets-store", "liveness-probe"],
    "app.kubernetes.io/name=vault-secrets-operator": ["kube-rbac-proxy", "manager"],
}


def test_up_converges_in_one_run_and_a_second_changes_nothing(deployed: Deployed) -> None:
    deployed.stack.preview(expect_no_changes=True, diff=True)  # raises auto.CommandError on any change


def test_the_charts_run_ready_pods_of_the_pinned_images(deployed: Deployed, kube: Kube, config: StackConfig) -> None:
    namespace = config.charts.namespace
    for selector, containers in CHART_PODS.items():
        pod = kube.running_pod(namespace, selector)
        assert sorted(c.name for c in pod.spec.containers) == sorted(containers), selector
        assert all(s.ready for s in pod.status.container_statuses), (selector, pod.status.container_statuses)
        assert {c.image_pull_policy for c in pod.spec.containers} == {"Never"}, selector


def test_vault_images_are_the_built_release(deployed: Deployed, kube: Kube, config: StackConfig) -> None:
    provider = kube.running_pod(config.charts.namespace, "app.kubernetes.io/name=vault-csi-provider")
    agent = next(c for c in provider.spec.containers if c.name == "vault-agent")
    assert agent.image == "docker.io/hashicorp/vault:1.21.0"


def test_the_csi_driver_is_registered_with_the_kubelet(deployed: Deployed, kube: Kube) -> None:
    csinode = kube.storage.read_csi_node("vault-k8s-node")
    assert [d.name for d in csinode.spec.drivers] == ["secrets-store.csi.k8s.io"]
