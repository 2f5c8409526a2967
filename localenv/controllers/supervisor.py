"""Start the controllers against a running control plane, reuse them when they run, and stop all of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import urllib3
from kubernetes.client.rest import ApiException

from localenv.controlplane import ControlPlane
from localenv.controlplane.errors import ControlPlaneError

from . import csi_provider, injector, records, vso, webhook
from .ports import ControllerPorts
from .settings import ControllerSettings

Say = Callable[[str], None]
Start = Callable[[ControlPlane, ControllerSettings, ControllerPorts, float], records.Record]

CONTROLLERS: tuple[tuple[str, Start], ...] = (
    (vso.NAME, vso.start_vso),
    (injector.NAME, injector.start_injector),
    (csi_provider.NAME, csi_provider.start_csi_provider),
)
CONTROLLER_NAMES = tuple(name for name, _ in CONTROLLERS)


def _quiet(_: str) -> None:
    pass


def start_controllers(
    cp: ControlPlane, settings: ControllerSettings, *, timeout: float = 60.0, say: Say = _quiet
) -> dict[str, records.Record]:
    """VSO, the injector and the CSI provider running, and the injector's webhook registered. Start this before
    `pulumi up`, so the pods of annotated workloads are created through the webhook."""
    ports = ControllerPorts.from_env()
    started: dict[str, records.Record] = {}
    for name, start in CONTROLLERS:
        current = records.running(cp.state_dir, name)
        if current is None:
            records.stop(cp.state_dir, name)
            busy = [p for p in _ports_of(name, ports) if p in ports.busy()]
            if busy:
                raise ControlPlaneError(f"{name}: port(s) {busy} on 127.0.0.1 are in use")
            current = start(cp, settings, ports, timeout)
            say(f"{name} pid {current.pid} started (log {current.log})")
        else:
            say(f"{name} pid {current.pid} already running")
        started[name] = current
    api = cp.kube()
    try:
        webhook.register(
            api, injector.webhook_url(ports), injector.serving_tls(cp.state_dir).ca_cert.read_bytes(),
            settings.failure_policy,
        )  # fmt: skip
    finally:
        api.close()
    return started


def _ports_of(name: str, ports: ControllerPorts) -> list[int]:
    return {
        vso.NAME: [ports.vso_metrics, ports.vso_probes],
        injector.NAME: [ports.injector],
        csi_provider.NAME: [ports.csi_provider_health],
    }[name]


def stop_controllers(cp: ControlPlane | None, state_dir: Path, timeout: float = 15.0) -> dict[str, int]:
    """Unregister the webhook (when the API still answers), then stop every recorded process: agents first."""
    if cp is not None:
        api = cp.kube(timeout=5.0)
        try:
            webhook.unregister(api)
        except (ApiException, urllib3.exceptions.HTTPError, ControlPlaneError):
            pass
        finally:
            api.close()
    names = sorted(records.read(state_dir), key=lambda n: n in CONTROLLER_NAMES)
    stopped: dict[str, int] = {}
    for name in names:
        pid = records.stop(state_dir, name, timeout)
        if pid is not None:
            stopped[name] = pid
    return stopped
