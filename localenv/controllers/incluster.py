"""What a controller that only knows in-cluster config needs: its RBAC, and the files of a ServiceAccount mount.

Controllers built on client-go's `rest.InClusterConfig` read KUBERNETES_SERVICE_HOST/PORT and the files under
/var/run/secrets/kubernetes.io/serviceaccount. Here those files hold a real token of the controller's own
ServiceAccount (TokenRequest), the API CA and the namespace, written into a folder of the state directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from localenv.controlplane import ControlPlane
from localenv.controlplane.kubeapi import KubeApi
from localenv.verify import service_account_token

from .process import child_env

IN_CLUSTER_DIR = PurePosixPath("/var/run/secrets/kubernetes.io/serviceaccount")
TOKEN_SECONDS = 86400
RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"

Objects = list[dict[str, Any]]


def service_account(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    metadata = {"name": name, "namespace": namespace, "labels": labels}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata}


def apply_objects(api: KubeApi, objects: Iterable[dict[str, Any]]) -> None:
    for body in objects:
        api.apply(body)


def write_credentials(
    api: KubeApi, root: Path, below: PurePosixPath, namespace: str, account: str, ca_pem: bytes
) -> Path:
    """The files of an in-cluster ServiceAccount mount at `root/below`, with a real token of `account`."""
    directory = root / below
    directory.mkdir(parents=True, exist_ok=True)
    token = service_account_token(api, namespace, account, TOKEN_SECONDS)
    for name, data in (("token", token.encode()), ("ca.crt", ca_pem), ("namespace", namespace.encode())):
        # Replaced atomically: a running controller re-reads its token file.
        tmp = directory / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.chmod(0o600)
        os.replace(tmp, directory / name)
    return directory


def incluster_env(cp: ControlPlane, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Our environment without our own client settings, plus the API server as in-cluster config finds it."""
    return child_env(
        {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(cp.ports.apiserver), **(extra or {})}
    )
