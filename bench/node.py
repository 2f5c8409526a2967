"""One node session per server for B2 and B3: the control plane with the real node, `pulumi up --stack local-node`
from empty while watchers wait for each method's first secret in its pod, then B3's changes (all three methods at
once, each on its own secret), then, when asked, B2 on the same node.

Every view is a watcher, not a poll of `exec` (localenv/node/watch.py): one exec stream per pod printing the file
every 0.2 s (CSI, injector), an API watch on the Deployment's pods plus one `env` exec per new pod (VSO).
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hvac
import yaml

from derive.paths import kv2_api_path
from derive.workloads import label_selector
from localenv.controlplane import ControlPlane, running_in
from localenv.controlplane.paths import default_state_dir
from localenv.controlplane.ports import (
    APISERVER,
    OFFSET_ENV,
    POSTGRES,
    VAULT,
    Ports,
    offset_from_env,
    port_is_free,
)
from localenv.controlplane.vaultserver import OPENBAO, SERVER_ENV, server_version
from localenv.latency import Change, DeliveryTimeout, measure_watched
from localenv.node.config import KUBELET_SYNC_FREQUENCY_S
from localenv.node.kube import Kube, eventually
from localenv.node.watch import FileStream, PodWatch
from localenv.stack import LocalStack, stack_file_config
from localenv.verify import vault_client
from stackconfig.durations import parse_duration
from stackconfig.models import AppDecl, KvRef, StackConfig

STACK = "local-node"
CHANGES = 8
STREAM_PERIOD_S = 0.2
# The stack declares VSO refreshAfter 30s; the bench's config copy uses 10s, the other two methods' interval, so
# 8 changes per method fit the time budget (the bound scales with it: refreshAfter + one rollout).
VSO_REFRESH_AFTER = "10s"
APPS = {"csi": "webapp", "injector": "webapp-injection", "vso": "webapp-vso"}
FIRST_SECRET_TIMEOUT_S = 600.0
SLACK_S = 60.0
PORTS_WAIT_S = 120.0
FALLBACK_OFFSET = 1000


def say(message: str) -> None:
    print(message, flush=True)


def kv_ref(app: AppDecl) -> KvRef:
    return next(r for r in app.secrets if isinstance(r, KvRef))


def set_refresh_after(stack: LocalStack, app_name: str, refresh: str) -> None:
    """Change one app's VSO refreshAfter in the stack's config copy (never the committed stack file)."""
    document = yaml.safe_load(stack.config_file.read_text())
    for app in document["config"]["vault-k8s:apps"]:
        if app["name"] == app_name:
            for ref in app["secrets"]:
                if ref["kind"] == "kv":
                    ref["refreshAfter"] = refresh
    stack.config_file.write_text(yaml.safe_dump(document, sort_keys=False))


def drop_pki(stack: LocalStack, app_name: str) -> None:
    """Remove one app's PKI secrets from the stack's config copy."""
    document = yaml.safe_load(stack.config_file.read_text())
    for app in document["config"]["vault-k8s:apps"]:
        if app["name"] == app_name:
            app["secrets"] = [ref for ref in app["secrets"] if ref["kind"] != "pki"]
    stack.config_file.write_text(yaml.safe_dump(document, sort_keys=False))


KUBELET_RESYNC_JITTER = 0.5


def csi_cycle_max(poll_interval: float, sync_frequency: float) -> float:
    """The longest time between two writes of a CSI volume's files: the driver (1.6.0) writes them when the kubelet
    republishes the volume, at a pod resync (every `sync_frequency` plus up to half of it again), and only once
    `poll_interval` has passed since the last write."""
    resync = sync_frequency * (1 + KUBELET_RESYNC_JITTER)
    return resync if sync_frequency >= poll_interval else poll_interval + resync


def offset_spans(every: dict[str, float]) -> dict[str, float]:
    """What each method's changes spread their offsets over, so that their phase against the next delivery is
    uniform: its whole cycle (CSI: `csi_cycle_max`; the others: their interval)."""
    return {m: csi_cycle_max(v, KUBELET_SYNC_FREQUENCY_S) if m == "csi" else v for m, v in every.items()}


def intervals(cfg: StackConfig, vso_refresh_after: str) -> dict[str, float]:
    """Each method's configured interval: CSI rotationPollInterval, the injector's static render interval, VSO's
    refreshAfter (as set in the config copy)."""
    csi = cfg.charts.csi_rotation_poll_interval
    injector = next(a for a in cfg.apps if a.name == APPS["injector"]).static_render_interval
    vso = vso_refresh_after
    return {m: float(parse_duration(v or 0)) for m, v in (("csi", csi), ("injector", injector), ("vso", vso))}


@dataclass
class Probe:
    """How one method's value is read in its pod, with a watcher started before `up`."""

    method: str
    app: AppDecl
    kube: Kube
    pods: PodWatch
    streams: list[FileStream] = field(default_factory=list)

    def path(self) -> str:
        ref = kv_ref(self.app)
        if self.method == "csi":
            return f"{self.app.workload.mount_path}/{ref.file}"
        return f"/vault/secrets/{ref.file}"

    def stream(self, timeout: float) -> FileStream:
        """The exec stream into the app's pod, opened once its pod is Ready."""
        if self.streams and self.streams[-1].alive():
            return self.streams[-1]
        if self.streams:
            # The stream ended (its pod went away, the connection dropped): one into the current Ready pod.
            current = lambda: self.kube.running_pod(self.app.namespace, label_selector(self.app))  # noqa: E731
            pod, _ = eventually(current, f"a ready pod of {self.app.name}", timeout)
            name = str(pod.metadata.name)
        else:
            ready = self.pods.wait_new(set(), timeout)
            if ready is None:
                raise DeliveryTimeout(f"{self.app.name}: no ready pod after {timeout:.0f}s")
            name = ready.name
        container = "webapp" if self.method == "injector" else None
        opened = FileStream(self.kube, self.app.namespace, name, self.path(), container=container,
                            period=STREAM_PERIOD_S)  # fmt: skip
        self.streams.append(opened)
        return opened

    def env_has(self, pod: str, token: str) -> bool:
        return token in self.kube.exec(self.app.namespace, pod, ["env"])

    def first_seen(self, token: str, since: float, timeout: float) -> float:
        """Host time `token` was first readable in the pod (files: the stream's line; VSO: the Ready pod's env)."""
        deadline = since + timeout
        if self.method == "vso":
            known: set[str] = set()
            while True:
                ready = self.pods.wait_new(known, deadline - time.monotonic())
                if ready is None:
                    raise DeliveryTimeout(f"{self.app.name}: no ready pod with the value after {timeout:.0f}s")
                if self.env_has(ready.name, token):
                    return max(ready.at, since)
                known.add(ready.name)
        lines = self.stream(deadline - time.monotonic()).lines
        seen = lines.wait(lambda line: token in line, since, deadline - time.monotonic())
        if seen is None:
            raise DeliveryTimeout(f"{self.app.name}: {token[:6]}… not in {self.path()} after {timeout:.0f}s")
        return seen

    def close(self) -> None:
        for opened in self.streams:
            opened.close()
        self.pods.close()


@dataclass
class Session:
    server: str
    cp: ControlPlane
    stack: LocalStack
    kube: Kube
    cfg: StackConfig
    root: hvac.Client
    up_from_empty_s: float = 0.0
    first_secret: dict[str, Any] = field(default_factory=dict)


def first_secrets(probes: dict[str, Probe], values: dict[str, dict[str, str]], began: float) -> dict[str, Any]:
    """Threads that wait, during `up`, for each method's seeded value in its pod; joined by the caller."""
    found: dict[str, Any] = {}

    def wait(method: str, probe: Probe) -> None:
        ref = kv_ref(probe.app)
        token = values[f"{ref.mount}/{ref.path}"][ref.keys[-1]]
        try:
            found[method] = round(probe.first_seen(token, began, FIRST_SECRET_TIMEOUT_S) - began, 2)
        except Exception as exc:  # noqa: BLE001 - recorded as this method's result
            found[method] = f"failed: {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=wait, args=(m, p), daemon=True) for m, p in probes.items()]
    for thread in threads:
        thread.start()
    found["_threads"] = threads
    return found


def delivery(session: Session, probes: dict[str, Probe], seed: int) -> dict[str, Any]:
    """CHANGES kv puts per method, the three methods at once on their own secrets; latency to the pod's view."""
    every = intervals(session.cfg, VSO_REFRESH_AFTER)
    spans = offset_spans(every)
    out: dict[str, Any] = {}

    def run(method: str, probe: Probe) -> None:
        ref = kv_ref(probe.app)
        interval = every[method]
        rollouts: list[float] = []
        synced: list[float] = []
        previous = session.kube.secret_data(probe.app.namespace, ref.secret_name or "") if method == "vso" else None

        def put(index: int) -> str:
            token = f"b3-{method}-{index}-{secrets.token_urlsafe(8)}"
            session.root.write_data(kv2_api_path(ref.mount, ref.path), data={"data": dict.fromkeys(ref.keys, token)})
            return token

        def seen(index: int, token: str, put_at: float) -> float:
            if method != "vso":
                return probe.first_seen(token, put_at, interval + SLACK_S)
            # VSO: when the Secret changed (API reads, no exec), then when the new pod was Ready with it.
            known = probe.pods.names()
            while (session.kube.secret_data(probe.app.namespace, ref.secret_name or "") or {}) == previous:
                if time.monotonic() - put_at > interval + SLACK_S:
                    raise DeliveryTimeout(f"vso change {index}: Secret not updated")
                time.sleep(0.25)
            synced_at = time.monotonic()
            while True:
                ready = probe.pods.wait_new(known, interval + SLACK_S)
                if ready is None:
                    raise DeliveryTimeout(f"vso change {index}: no new pod")
                if probe.env_has(ready.name, token):
                    synced.append(round(synced_at - put_at, 2))
                    rollouts.append(round(ready.at - synced_at, 2))
                    return ready.at
                known.add(ready.name)

        def after(change: Change) -> None:
            nonlocal previous
            if method == "vso":
                previous = session.kube.secret_data(probe.app.namespace, ref.secret_name or "")
            say(f"  {session.server} {method:<8} change {change.index + 1}/{CHANGES}: {change.latency:5.2f}s")

        try:
            changes = measure_watched(CHANGES, spans[method], put, seen, rng=random.Random(f"{seed}-{method}"),
                                      after_each=after)  # fmt: skip
            out[method] = {"interval_s": interval, "offset_span_s": spans[method], "changes": changes,
                           "rollout_s": rollouts, "synced_s": synced}  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - recorded; the other methods go on
            out[method] = {"interval_s": interval, "error": f"{type(exc).__name__}: {exc}"}

    threads = [threading.Thread(target=run, args=(m, p), daemon=True) for m, p in probes.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def free_ports(timeout: float) -> int:
    """Another checkout's control plane may hold the fixed ports: wait for them, bounded, then take the port offset
    the control plane supports (VAULT_K8S_LOCAL_PORT_OFFSET). Returns the offset in use."""
    deadline = time.monotonic() + timeout
    busy = [p for p in Ports.from_env().all() if not port_is_free(p)]
    if busy:
        say(f"  ports {busy} are in use (another control plane); waiting up to {timeout:.0f}s")
    while busy and time.monotonic() < deadline:
        time.sleep(5)
        busy = [p for p in Ports.from_env().all() if not port_is_free(p)]
    if busy and all(port_is_free(p) for p in Ports.default(FALLBACK_OFFSET).all()):
        say(f"  still in use: this session runs with {OFFSET_ENV}={FALLBACK_OFFSET}")
        os.environ[OFFSET_ENV] = str(FALLBACK_OFFSET)
    return offset_from_env()


def shift_ports(stack: LocalStack, offset: int) -> None:
    """The stack file names the default ports (Vault, API server, PostgreSQL); the config copy gets the shifted ones."""
    if offset == 0:
        return
    text = stack.config_file.read_text()
    for port in (VAULT, APISERVER, POSTGRES):
        text = text.replace(f":{port}", f":{port + offset}")
    stack.config_file.write_text(text)


def run_server(
    server: str, seed: int, after_delivery: Callable[[Session], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """One node session against `server`; returns first secrets, up time, delivery changes and `after_delivery`."""
    if running_in(default_state_dir()):
        raise SystemExit("a control plane is already running (make demo-down first)")
    previous_offset = os.environ.get(OFFSET_ENV)
    offset = free_ports(PORTS_WAIT_S)
    previous = os.environ.get(SERVER_ENV)
    os.environ[SERVER_ENV] = server
    say(f"node session against {server}: control plane, node, pulumi up --stack {STACK}")
    started = time.monotonic()
    cp = ControlPlane.start(node=True)
    probes: dict[str, Probe] = {}
    kube: Kube | None = None
    try:
        node_start = time.monotonic() - started
        stack = LocalStack(cp.state_dir, cp.env, stack=STACK)
        values = stack.prepare()
        shift_ports(stack, offset)
        set_refresh_after(stack, APPS["vso"], VSO_REFRESH_AFTER)
        if server == OPENBAO:
            # VSO 1.4.1's VaultPKISecret fails against OpenBao (`parsing time ""` on pki/issue), so the TLS Secret
            # webapp-vso mounts never exists and its pod never starts; its KV secret is what B3 measures.
            drop_pki(stack, APPS["vso"])
        cfg = stack_file_config(stack.stack_file)
        kube = Kube(cp.kubeconfig, "local")
        for method, name in APPS.items():
            app = next(a for a in cfg.apps if a.name == name)
            probes[method] = Probe(method, app, kube, PodWatch(kube, app.namespace, label_selector(app)))
        root = vault_client(cp.env["VAULT_ADDR"], Path(cp.env["VAULT_CACERT"]), cp.env["VAULT_TOKEN"])
        session = Session(server, cp, stack, kube, cfg, root)
        began = time.monotonic()
        firsts = first_secrets(probes, values, began)
        stack.up()
        session.up_from_empty_s = time.monotonic() - began
        for thread in firsts.pop("_threads"):
            thread.join(FIRST_SECRET_TIMEOUT_S)
        session.first_secret = firsts
        say(f"  {server}: node {node_start:.1f}s, up from empty {session.up_from_empty_s:.1f}s, first secret "
            f"{firsts}")  # fmt: skip
        changes = delivery(session, probes, seed)
        # The streams' loops would keep running in the pods during B2.
        for probe in probes.values():
            probe.close()
        probes.clear()
        extra: dict[str, Any] = {}
        if after_delivery is not None:
            try:
                extra = after_delivery(session)
            except Exception as exc:  # noqa: BLE001 - the delivery figures are kept; the caller records the error
                extra = {"error": f"{type(exc).__name__}: {str(exc)[-3000:]}"}
        say(f"  {server}: stopping the node")
        return {
            "server": server,
            "seed": seed,
            "port_offset": offset,
            "server_version": server_version(cp.server_binary),
            "node_start_s": round(node_start, 2),
            "up_from_empty_s": round(session.up_from_empty_s, 2),
            "first_secret": firsts,
            "delivery": changes,
            "extra": extra,
        }
    finally:
        for probe in probes.values():
            probe.close()
        if kube is not None:
            kube.close()
        cp.stop()
        shutil.rmtree(cp.state_dir, ignore_errors=True)
        for name, value in ((SERVER_ENV, previous), (OFFSET_ENV, previous_offset)):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
