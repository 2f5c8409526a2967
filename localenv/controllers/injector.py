"""The Vault Agent injector (vault-k8s agent-inject), out of cluster, serving its webhook on loopback.

vault-k8s only reads in-cluster credentials: KUBERNETES_SERVICE_HOST/PORT and the files under
/var/run/secrets/kubernetes.io/serviceaccount. It runs in a private mount namespace in which a folder of the
state directory (holding a real token of its own ServiceAccount, the API CA and the namespace) is bind-mounted
where those files are expected; the host's filesystem is never written.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from localenv.controlplane import ControlPlane
from localenv.controlplane.paths import require_binary

from . import records, tls
from .incluster import (
    IN_CLUSTER_DIR,
    RBAC_API_VERSION,
    Objects,
    apply_objects,
    incluster_env,
    service_account,
    write_credentials,
)
from .ports import ControllerPorts, address
from .process import answers_ok, launch
from .settings import ControllerSettings
from .webhook import INJECTOR_LABEL

NAME = "vault-agent-injector"
BINARY = "vault-k8s"


class InjectorError(RuntimeError):
    """The injector cannot be started here."""


def rbac_objects(namespace: str) -> Objects:
    """The chart's injector ServiceAccount, ClusterRole and ClusterRoleBinding."""
    labels = {"app.kubernetes.io/name": INJECTOR_LABEL, "app.kubernetes.io/instance": "vault"}
    return [
        service_account(NAME, namespace, labels),
        {
            "apiVersion": RBAC_API_VERSION,
            "kind": "ClusterRole",
            "metadata": {"name": f"{NAME}-clusterrole", "labels": labels},
            "rules": [
                {
                    "apiGroups": ["admissionregistration.k8s.io"],
                    "resources": ["mutatingwebhookconfigurations"],
                    "verbs": ["get", "list", "watch", "patch"],
                }
            ],
        },
        {
            "apiVersion": RBAC_API_VERSION,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{NAME}-binding", "labels": labels},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"{NAME}-clusterrole",
            },
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": namespace}],
        },
    ]


def mount_plan(target: PurePosixPath = IN_CLUSTER_DIR) -> tuple[Path, PurePosixPath]:
    """(existing directory to bind over, where the credentials go below it).

    On a host without /var/run/secrets that is /run (what /var/run points to) and `secrets/...` below it."""
    anchor = Path(target)
    while not anchor.exists():
        anchor = anchor.parent
    resolved = anchor.resolve()
    if resolved == Path("/"):
        raise InjectorError(f"refusing to bind over / to provide {target}")
    return resolved, PurePosixPath(target).relative_to(PurePosixPath(anchor))


def injector_argv(
    unshare: str, binary: Path, source: Path, anchor: Path, serving: tls.ServingTls, ports: ControllerPorts,
    settings: ControllerSettings,
) -> list[str]:  # fmt: skip
    inject = [
        str(binary), "agent-inject",
        f"-listen={address(ports.injector)}",
        f"-tls-cert-file={serving.cert}",
        f"-tls-key-file={serving.key}",
        f"-vault-address={settings.vault_address}",
        f"-vault-auth-path=auth/{settings.auth_path}",
        "-log-level=info",
        "-log-format=standard",
    ]  # fmt: skip
    # unshare execs sh, which execs the injector: the recorded pid is the injector's for its whole life.
    script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
    return [unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(source), str(anchor), *inject]


def injector_env(cp: ControlPlane, settings: ControllerSettings) -> dict[str, str]:
    return incluster_env(cp, {"NAMESPACE": settings.namespace})


def ready(ports: ControllerPorts, ca_file: Path) -> bool:
    return answers_ok(f"https://{address(ports.injector)}/health/ready", ca_file, ok=(200, 204))


def webhook_url(ports: ControllerPorts) -> str:
    return f"https://{address(ports.injector)}/mutate"


def serving_tls(state_dir: Path) -> tls.ServingTls:
    directory = records.controllers_dir(state_dir) / NAME / "tls"
    existing = tls.ServingTls(directory)
    return existing if existing.exists() else tls.generate(directory, NAME)


def start_injector(
    cp: ControlPlane, settings: ControllerSettings, ports: ControllerPorts, timeout: float = 60.0
) -> records.Record:
    if os.geteuid() != 0:
        raise InjectorError("the injector runs in a private mount namespace (unshare --mount), which needs root")
    unshare = require_binary("unshare")
    binary = require_binary(BINARY)
    api = cp.kube()
    try:
        apply_objects(api, rbac_objects(settings.namespace))
        anchor, below = mount_plan()
        source = records.controllers_dir(cp.state_dir) / NAME / "in-cluster"
        write_credentials(api, source, below, settings.namespace, NAME, cp.ca_file.read_bytes())
    finally:
        api.close()
    serving = serving_tls(cp.state_dir)
    argv = injector_argv(str(unshare), binary, source, anchor, serving, ports, settings)
    return launch(
        cp.state_dir, NAME, argv, cp.logs_dir / f"{NAME}.log", injector_env(cp, settings),
        lambda: ready(ports, serving.ca_cert), timeout, records.controllers_dir(cp.state_dir) / NAME,
    )  # fmt: skip
