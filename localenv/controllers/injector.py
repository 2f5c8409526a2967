"""The Vault Agent injector (vault-k8s agent-inject), out of cluster, serving its webhook on loopback.

vault-k8s only reads in-cluster credentials: KUBERNETES_SERVICE_HOST/PORT and the files under
/var/run/secrets/kubernetes.io/serviceaccount. It runs in a private mount namespace in which a folder of the
state directory (holding a real token of its own ServiceAccount, the API CA and the namespace) is bind-mounted
where those files are expected; the host's filesystem is never written.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

import requests

from localenv.controlplane import ControlPlane
from localenv.controlplane.kubeapi import KubeApi
from localenv.controlplane.paths import require_binary
from localenv.verify import service_account_token

from . import records, tls
from .kube import apply
from .ports import ControllerPorts, address
from .process import child_env, launch
from .settings import ControllerSettings
from .webhook import INJECTOR_LABEL

NAME = "vault-agent-injector"
BINARY = "vault-k8s"
IN_CLUSTER_DIR = PurePosixPath("/var/run/secrets/kubernetes.io/serviceaccount")
TOKEN_SECONDS = 86400
RBAC = "/apis/rbac.authorization.k8s.io/v1"


class InjectorError(RuntimeError):
    """The injector cannot be started here."""


def rbac_objects(namespace: str) -> list[tuple[str, dict[str, Any]]]:
    """(collection, object) of the chart's injector ServiceAccount, ClusterRole and ClusterRoleBinding."""
    labels = {"app.kubernetes.io/name": INJECTOR_LABEL, "app.kubernetes.io/instance": "vault"}
    return [
        (
            f"/api/v1/namespaces/{namespace}/serviceaccounts",
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            },
        ),  # fmt: skip
        (
            f"{RBAC}/clusterroles",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
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
        ),
        (
            f"{RBAC}/clusterrolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"{NAME}-binding", "labels": labels},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": f"{NAME}-clusterrole",
                },
                "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": namespace}],
            },
        ),  # fmt: skip
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


def write_credentials(api: KubeApi, root: Path, below: PurePosixPath, namespace: str, ca_pem: bytes) -> Path:
    """The files of an in-cluster ServiceAccount mount, with a real token of the injector's account."""
    directory = root / below
    directory.mkdir(parents=True, exist_ok=True)
    token = service_account_token(api, namespace, NAME, TOKEN_SECONDS)
    for name, data in (("token", token.encode()), ("ca.crt", ca_pem), ("namespace", namespace.encode())):
        tmp = directory / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.chmod(0o600)
        os.replace(tmp, directory / name)
    return directory


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
    return child_env(
        {
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(cp.ports.apiserver),
            "NAMESPACE": settings.namespace,
        }
    )


def ready(ports: ControllerPorts, ca_file: Path) -> bool:
    response = requests.get(
        f"https://{address(ports.injector)}/health/ready",
        verify=str(ca_file),
        timeout=2.0,
        proxies={"http": "", "https": ""},
    )
    return response.status_code in (200, 204)


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
        for collection, body in rbac_objects(settings.namespace):
            apply(api, collection, body)
        anchor, below = mount_plan()
        source = records.controllers_dir(cp.state_dir) / NAME / "in-cluster"
        write_credentials(api, source, below, settings.namespace, cp.ca_file.read_bytes())
    finally:
        api.close()
    serving = serving_tls(cp.state_dir)
    argv = injector_argv(str(unshare), binary, source, anchor, serving, ports, settings)
    return launch(
        cp.state_dir, NAME, argv, cp.logs_dir / f"{NAME}.log", injector_env(cp, settings),
        lambda: ready(ports, serving.ca_cert), timeout, records.controllers_dir(cp.state_dir) / NAME,
    )  # fmt: skip
