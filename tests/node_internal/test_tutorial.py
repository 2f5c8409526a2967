"""The tutorial's path on a real node: the in-cluster dev Vault, the three methods, §1.7's behaviour without
rotation, and `pulumi destroy` in reverse. Runs in file order: destroy is last."""

from __future__ import annotations

import functools
import json
import secrets

import hvac

from derive.paths import kv2_api_path
from derive.workloads import label_selector
from localenv.delivered import key_values
from localenv.node.kube import Kube, eventually
from stackconfig.models import KvRef, StackConfig
from tests.live import Deployed, app_named

SLACK = 30.0


def test_one_up_from_empty_converges_and_a_second_changes_nothing(deployed: Deployed) -> None:
    deployed.stack.preview(expect_no_changes=True)  # raises auto.CommandError on any change


def test_the_dev_server_runs_in_the_cluster_with_the_configured_root_token(
    deployed: Deployed, kube: Kube, config: StackConfig, dev_vault: hvac.Client
) -> None:
    pod = kube.pod(config.charts.namespace, "vault-0")
    assert pod.status.phase == "Running"
    assert dev_vault.auth.token.lookup_self()["data"]["policies"] == ["root"]
    spec = kube.core.read_namespaced_service("vault", config.charts.namespace).spec
    assert spec is not None and spec.type == "NodePort"
    assert [p.node_port for p in spec.ports or [] if p.name == "http"] == [config.vault.node_port]


def _csi_file(kube: Kube, config: StackConfig) -> str:
    app = app_named(config, "webapp")
    ref = app.secrets[0]
    assert isinstance(ref, KvRef)
    return kube.exec(app.namespace, app.workload.name, ["cat", f"{app.workload.mount_path}/{ref.file}"])


def test_csi_without_rotation_keeps_v1_in_the_running_pod_and_a_new_pod_reads_v2(
    deployed: Deployed, kube: Kube, config: StackConfig, dev_vault: hvac.Client
) -> None:
    """Tutorial §1.7: the mount is read once, at pod start."""
    app = app_named(config, "webapp")
    ref = app.secrets[0]
    assert isinstance(ref, KvRef) and config.charts.csi_rotation_poll_interval is None
    v1 = deployed.stack.values[f"{ref.mount}/{ref.path}"][ref.keys[0]]
    assert _csi_file(kube, config) == v1
    v2 = f"v2-{secrets.token_urlsafe(8)}"
    dev_vault.write_data(kv2_api_path(ref.mount, ref.path), data={"data": {ref.keys[0]: v2}})
    assert _csi_file(kube, config) == v1
    kube.core.delete_namespaced_pod(app.workload.name, app.namespace, grace_period_seconds=0)
    eventually(lambda: not [p for p in kube.pods(app.namespace, "app=webapp")], "the old pod gone", 60)
    deployed.stack.up(refresh=True)
    assert _csi_file(kube, config) == v2


def test_the_injector_renders_into_the_pod(deployed: Deployed, kube: Kube, config: StackConfig) -> None:
    app = app_named(config, "webapp-injection")
    selector = label_selector(app)
    pod = kube.running_pod(app.namespace, selector)
    assert [c.name for c in pod.spec.containers] == ["webapp", "vault-agent"]
    ref = next(r for r in app.secrets if isinstance(r, KvRef))
    text = kube.exec(app.namespace, pod.metadata.name, ["cat", f"/vault/secrets/{ref.file}"], container="webapp")
    assert key_values(text) == deployed.stack.values[f"{ref.mount}/{ref.path}"]


def test_vso_syncs_into_the_running_deployment(deployed: Deployed, kube: Kube, config: StackConfig) -> None:
    app = app_named(config, "webapp-vso")
    ref = next(r for r in app.secrets if isinstance(r, KvRef))
    expected = deployed.stack.values[f"{ref.mount}/{ref.path}"]
    synced, _ = eventually(lambda: kube.secret_data(app.namespace, ref.secret_name or ""), "the synced Secret", SLACK)
    assert {k: synced[k] for k in expected} == expected
    pod = kube.running_pod(app.namespace, f"app={app.workload.name}")
    env = key_values(kube.exec(app.namespace, pod.metadata.name, ["env"]))
    assert {k: env[k.upper()] for k in ref.keys} == expected


def test_destroy_removes_everything_in_reverse(deployed: Deployed, kube: Kube, config: StackConfig) -> None:
    deployed.stack.destroy()
    assert json.loads(deployed.stack.export())["deployment"].get("resources") in (None, [])

    def gone(namespace: str, selector: str) -> bool:
        return not kube.pods(namespace, selector)

    # Deleted objects' pods end with their grace periods.
    for namespace, selector in ((config.charts.namespace, "app.kubernetes.io/name=vault"), ("default", "app=webapp")):
        eventually(functools.partial(gone, namespace, selector), f"no pod {selector} left", 120)
