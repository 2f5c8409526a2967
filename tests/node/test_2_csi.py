"""CSI, as the tutorial checks it: the kubelet mounts the secrets-store volume through the driver and Vault's
provider, and `kubectl exec webapp -- cat /mnt/secrets-store/db-password` prints Vault's value. With the rotation
poll on, a `vault kv put` reaches the running pod's file in place."""

from __future__ import annotations

import secrets

import hvac

from derive.paths import kv2_api_path
from localenv.node.kube import Kube, eventually
from stackconfig.durations import parse_duration
from stackconfig.models import KvRef, StackConfig
from tests.live import Deployed, app_named

APP = "webapp"
# The driver polls every rotation interval; the kubelet and the provider's agent add a few seconds.
SLACK = 15.0


def _ref(config: StackConfig) -> KvRef:
    ref = app_named(config, APP).secrets[0]
    assert isinstance(ref, KvRef)
    return ref


def _file(kube: Kube, config: StackConfig) -> str:
    app = app_named(config, APP)
    ref = _ref(config)
    return kube.exec(app.namespace, app.workload.name, ["cat", f"{app.workload.mount_path}/{ref.file}"])


def test_the_pod_reads_vaults_value_from_its_volume(deployed: Deployed, kube: Kube, config: StackConfig) -> None:
    ref = _ref(config)
    seeded = deployed.stack.values[f"{ref.mount}/{ref.path}"][ref.keys[0]]
    assert _file(kube, config) == seeded


def test_the_volume_is_a_tmpfs_the_driver_mounted(deployed: Deployed, kube: Kube, config: StackConfig) -> None:
    app = app_named(config, APP)
    mounts = kube.exec(app.namespace, app.workload.name, ["cat", "/proc/mounts"])
    line = next(m for m in mounts.splitlines() if f" {app.workload.mount_path} " in m)
    assert line.split()[2] == "tmpfs" and " ro," in f" {line.split()[3]},", line


def test_a_kv_put_reaches_the_running_pod_within_the_poll(
    deployed: Deployed, kube: Kube, config: StackConfig, root_vault: hvac.Client
) -> None:
    app = app_named(config, APP)
    ref = _ref(config)
    uid = kube.pod(app.namespace, app.workload.name).metadata.uid
    interval = parse_duration(config.charts.csi_rotation_poll_interval or 0)
    new = f"v2-{secrets.token_urlsafe(8)}"
    root_vault.write_data(kv2_api_path(ref.mount, ref.path), data={"data": {ref.keys[0]: new}})
    _, took = eventually(lambda: _file(kube, config) == new, "the new value in the pod's file", interval + SLACK)
    assert kube.pod(app.namespace, app.workload.name).metadata.uid == uid, "the pod was replaced, not updated"
    assert took <= interval + SLACK
