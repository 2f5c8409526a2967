"""The Vault CSI provider (vault-csi-provider), out of cluster, serving the driver's gRPC API on a unix socket.

The provider only reads in-cluster credentials, and a SecretProviderClass names files inside its container
(`vaultCACertPath: /vault/tls/ca.crt`). It runs chrooted into a folder of the state directory laid out like its
container: the static binary, a real token of its own ServiceAccount with the API CA and the namespace, Vault's
CA where the SecretProviderClass says, and /provider for the socket (the DaemonSet's hostPath). Nothing outside
the state directory is written. RBAC, ServiceAccount and flags are the vault chart's (0.34.1, `csi.enabled`).
"""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path, PurePosixPath

from derive.tls import CA_CERT_PATH
from localenv.controlplane import ControlPlane
from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.paths import require_binary

from . import records
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

NAME = "vault-csi-provider"
BINARY = "vault-csi-provider"
HMAC_SECRET = f"{NAME}-hmac-key"
SOCKET = PurePosixPath("/provider/vault.sock")
VAULT_CA = PurePosixPath(CA_CERT_PATH)
# sun_path holds 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107


def rbac_objects(namespace: str) -> Objects:
    """The chart's provider ServiceAccount, ClusterRole, Role and their bindings."""
    labels = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/instance": "vault"}
    meta = {"labels": labels}
    subjects = [{"kind": "ServiceAccount", "name": NAME, "namespace": namespace}]
    return [
        service_account(NAME, namespace, labels),
        {
            "apiVersion": RBAC_API_VERSION, "kind": "ClusterRole",
            "metadata": {"name": f"{NAME}-clusterrole", **meta},
            # Tokens for the pods it mounts for, when the driver passes none.
            "rules": [{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}],
        },
        {
            "apiVersion": RBAC_API_VERSION, "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{NAME}-clusterrolebinding", **meta},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"{NAME}-clusterrole"},
            "subjects": subjects,
        },
        {
            "apiVersion": RBAC_API_VERSION, "kind": "Role",
            "metadata": {"name": f"{NAME}-role", "namespace": namespace, **meta},
            # The HMAC key of its object versions; create cannot be limited by name.
            "rules": [
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": [HMAC_SECRET]},
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
            ],
        },
        {
            "apiVersion": RBAC_API_VERSION, "kind": "RoleBinding",
            "metadata": {"name": f"{NAME}-rolebinding", "namespace": namespace, **meta},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{NAME}-role"},
            "subjects": subjects,
        },
    ]  # fmt: skip


def root_dir(state_dir: Path) -> Path:
    return records.controllers_dir(state_dir) / NAME / "root"


def inside(root: Path, path: PurePosixPath) -> Path:
    """Where the container path `path` is on the host."""
    return root / path.relative_to("/")


def socket_path(state_dir: Path) -> Path:
    """The provider's socket as the host (and the driver stand-in) sees it."""
    return inside(root_dir(state_dir), SOCKET)


def provider_argv(chroot: str, root: Path, ports: ControllerPorts) -> list[str]:
    # chroot execs the provider: the recorded pid is the provider's for its whole life.
    return [
        chroot, str(root), f"/bin/{BINARY}",
        f"--endpoint={SOCKET}",
        "--log-level=info",
        f"--hmac-secret-name={HMAC_SECRET}",
        f"--health-addr={address(ports.csi_provider_health)}",
    ]  # fmt: skip


def prepare_root(root: Path, binary: Path, vault_ca_pem: bytes) -> None:
    """Everything of the container except the ServiceAccount files (they need the API). Traced, the provider
    opens nothing else: /proc, /sys and /etc/localtime are optional probes (absent: Go's defaults, UTC logs), and
    it uses neither /tmp nor /dev."""
    inside(root, SOCKET).parent.mkdir(parents=True, exist_ok=True)
    target = root / "bin" / BINARY
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (target.is_file() and filecmp.cmp(binary, target, shallow=False)):
        tmp = target.with_name(f".{BINARY}.tmp")
        shutil.copy2(binary, tmp)
        os.replace(tmp, target)
    ca = inside(root, VAULT_CA)
    ca.parent.mkdir(parents=True, exist_ok=True)
    tmp = ca.with_name(f".{ca.name}.tmp")
    tmp.write_bytes(vault_ca_pem)
    os.replace(tmp, ca)


def ready(ports: ControllerPorts, socket: Path) -> bool:
    if not socket.is_socket():
        return False
    return answers_ok(f"http://{address(ports.csi_provider_health)}/health/ready")


def start_csi_provider(
    cp: ControlPlane, settings: ControllerSettings, ports: ControllerPorts, timeout: float = 60.0
) -> records.Record:
    if os.geteuid() != 0:
        raise ControlPlaneError(f"{NAME} runs chrooted into its container's layout, which needs root")
    chroot = require_binary("chroot")
    binary = require_binary(BINARY)
    root = root_dir(cp.state_dir)
    socket = socket_path(cp.state_dir)
    if len(str(socket).encode()) > MAX_SOCKET_PATH:
        raise ControlPlaneError(f"{NAME}: socket path {socket} is longer than a unix socket allows; "
                                "use a shorter state directory (VAULT_K8S_STATE)")  # fmt: skip
    prepare_root(root, binary, cp.published_vault_ca_file.read_bytes())
    api = cp.kube()
    try:
        apply_objects(api, rbac_objects(settings.namespace))
        write_credentials(api, root, IN_CLUSTER_DIR.relative_to("/"), settings.namespace, NAME, cp.ca_file.read_bytes())
    finally:
        api.close()
    return launch(
        cp.state_dir, NAME, provider_argv(str(chroot), root, ports), cp.logs_dir / f"{NAME}.log", incluster_env(cp),
        lambda: ready(ports, socket), timeout, root.parent,
    )  # fmt: skip
