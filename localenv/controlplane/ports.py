"""The fixed loopback ports of the control plane: one place, so stack files can name them statically.

    etcd client               22379
    etcd peer                 22380
    kube-apiserver            26443
    kube-controller-manager   26257
    Vault (or OpenBao)        28200  (https; dev mode also takes 28201 for cluster traffic)
    PostgreSQL                25432

VAULT_K8S_LOCAL_PORT_OFFSET (an integer, default 0) is added to every port, so two copies can run side by side.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .errors import ControlPlaneError

HOST = "127.0.0.1"
OFFSET_ENV = "VAULT_K8S_LOCAL_PORT_OFFSET"

ETCD_CLIENT = 22379
ETCD_PEER = 22380
APISERVER = 26443
CONTROLLER_MANAGER = 26257
VAULT = 28200
POSTGRES = 25432


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    vault: int
    postgres: int

    @property
    def vault_cluster(self) -> int:
        # Dev mode listens on its port + 1 for cluster traffic.
        return self.vault + 1

    @classmethod
    def default(cls, offset: int = 0) -> Ports:
        ports = cls(
            ETCD_CLIENT + offset,
            ETCD_PEER + offset,
            APISERVER + offset,
            CONTROLLER_MANAGER + offset,
            VAULT + offset,
            POSTGRES + offset,
        )
        bad = [p for p in ports.all() if not 1024 <= p <= 65535]
        if bad:
            raise ControlPlaneError(f"{OFFSET_ENV}={offset} puts ports outside 1024-65535: {bad}")
        return ports

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Ports:
        return cls.default(offset_from_env(environ))

    def by_owner(self) -> dict[str, int]:
        """Every port this control plane listens on, keyed by a readable owner."""
        return {
            "etcd client": self.etcd_client,
            "etcd peer": self.etcd_peer,
            "kube-apiserver": self.apiserver,
            "kube-controller-manager": self.controller_manager,
            "vault": self.vault,
            "vault cluster": self.vault_cluster,
            "postgres": self.postgres,
        }

    def all(self) -> list[int]:
        return list(self.by_owner().values())


def offset_from_env(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    raw = env.get(OFFSET_ENV, "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise ControlPlaneError(f"{OFFSET_ENV} must be an integer, not {raw!r}") from None


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the Go servers: connections in TIME_WAIT do not block a new listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def require_free(ports: Ports, is_free: Callable[[int], bool] = port_is_free) -> None:
    """Fail fast, naming every busy port and its component."""
    busy = [f"{owner} port {port}" for owner, port in ports.by_owner().items() if not is_free(port)]
    if busy:
        raise ControlPlaneError(
            f"already in use on {HOST}: {', '.join(busy)}. Stop whatever holds it (another control plane: "
            f"`python -m localenv.controlplane stop --state DIR`), or set {OFFSET_ENV} (an integer added to "
            f"every port; now {ports.etcd_client - ETCD_CLIENT}) to run a second copy on other ports."
        )
