"""The Vault Secrets Operator, out of cluster with the control plane's kubeconfig."""

from __future__ import annotations

from pathlib import Path

from localenv.controlplane import ControlPlane
from localenv.controlplane.paths import require_binary

from . import records
from .ports import ControllerPorts, address
from .process import answers_ok, child_env, launch
from .settings import ControllerSettings

NAME = "vault-secrets-operator"


def vso_argv(binary: Path, kubeconfig: Path, ports: ControllerPorts) -> list[str]:
    return [
        str(binary),
        f"-kubeconfig={kubeconfig}",
        # One replica; nothing to elect.
        "-leader-elect=false",
        f"-metrics-bind-address={address(ports.vso_metrics)}",
        f"-health-probe-bind-address={address(ports.vso_probes)}",
        "-zap-log-level=info",
    ]


def vso_env(settings: ControllerSettings) -> dict[str, str]:
    # The chart sets OPERATOR_NAMESPACE from the pod's namespace; the operator keeps its own Secrets there.
    return child_env({"OPERATOR_NAMESPACE": settings.namespace})


def ready(ports: ControllerPorts) -> bool:
    return answers_ok(f"http://{address(ports.vso_probes)}/readyz")


def start_vso(
    cp: ControlPlane, settings: ControllerSettings, ports: ControllerPorts, timeout: float = 60.0
) -> records.Record:
    argv = vso_argv(require_binary(NAME), cp.kubeconfig, ports)
    work = records.controllers_dir(cp.state_dir) / NAME
    work.mkdir(parents=True, exist_ok=True)
    return launch(
        cp.state_dir, NAME, argv, cp.logs_dir / f"{NAME}.log", vso_env(settings), lambda: ready(ports), timeout, work
    )
