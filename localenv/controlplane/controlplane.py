"""The control plane as a whole: start, inspect, stop, and Vault server faults for tests."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import requests
import urllib3

from . import paths, postgres, state, vaultserver
from .args import (
    SERVICE_IP,
    apiserver_args,
    apiserver_url,
    controller_manager_args,
    etcd_args,
    etcd_url,
    vault_addr,
    vault_node_config,
    vault_server_args,
    vault_server_node_args,
)
from .certs import Pki, generate_pki, generate_serving
from .crds import install_crds
from .errors import ControlPlaneError
from .kubeapi import KubeApi
from .kubeconfig import write_kubeconfig
from .ports import OFFSET_ENV, Ports, port_is_free, require_free
from .processes import ProcessId, Started, is_running, spawn, terminate, wait_gone
from .waiting import wait_until

ETCD = "etcd"
APISERVER = "kube-apiserver"
CONTROLLER_MANAGER = "kube-controller-manager"
VAULT = "vault"
POSTGRES = "postgres"
COMPONENTS = (ETCD, APISERVER, CONTROLLER_MANAGER, VAULT, POSTGRES)
# Vault holds connections to PostgreSQL: it goes first.
STOP_ORDER = (CONTROLLER_MANAGER, APISERVER, ETCD, VAULT, POSTGRES)
NODE_ENV = "VAULT_K8S_NODE"
ENV_PREFIX = {
    ETCD: "ETCD",
    APISERVER: "KUBE_APISERVER",
    CONTROLLER_MANAGER: "KUBE_CONTROLLER_MANAGER",
    VAULT: "VAULT_SERVER",
    POSTGRES: "POSTGRES",
}

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Component(Started):
    name: str
    port: int
    argv: list[str]
    log: Path
    pid: int | None = None
    start_ticks: int | None = None
    user: str | None = None
    """Who it runs as, when not us (PostgreSQL refuses root)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "argv": self.argv,
            "log": str(self.log),
            "pid": self.pid,
            "start_ticks": self.start_ticks,
            "user": self.user,
        }

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> Component:
        return cls(
            name=name,
            port=int(data["port"]),
            argv=[str(a) for a in data["argv"]],
            log=Path(data["log"]),
            pid=data.get("pid"),
            start_ticks=data.get("start_ticks"),
            user=data.get("user"),
        )


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    pid: int | None
    port: int
    running: bool
    health: str
    ok: bool

    def line(self) -> str:
        pid = str(self.pid) if self.pid is not None else "-"
        return f"{self.name:<24} pid {pid:<8} port {self.port:<6} {self.health}"


@dataclass
class ControlPlane:
    """Endpoints and pids of one local control plane, backed by env.json and processes.json."""

    state_dir: Path
    ports: Ports
    vault_token: str
    components: dict[str, Component]
    unseal_key: str | None = None
    server: str = vaultserver.DEFAULT_SERVER
    """Which Vault server runs: `vault` (HashiCorp Vault) or `openbao`."""
    postgres_dir: Path | None = None
    """PostgreSQL's temporary folder (its data and socket), removed by stop."""
    postgres_password: str = ""
    """The PostgreSQL superuser's password."""
    postgres_admin_password: str = ""
    """The password of the admin Vault's database connection logs in as (until Vault rotates it)."""
    node: bool = False
    """A real node runs beside it (localenv/node): VAULT_K8S_NODE=1."""
    reused: bool = field(default=False, compare=False)

    # -- paths and endpoints -------------------------------------------------

    @property
    def pki(self) -> Pki:
        return Pki(self.state_dir / "pki")

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def controller_manager_kubeconfig(self) -> Path:
        return self.state_dir / "controller-manager.kubeconfig"

    @property
    def ca_file(self) -> Path:
        """The CA of the kube-apiserver's serving certificate (and of every other cluster certificate)."""
        return self.pki.ca_cert

    @property
    def vault_tls_dir(self) -> Path:
        return self.state_dir / "vault-tls"

    @property
    def vault_ca_file(self) -> Path:
        """The CA the server's dev-tls mode generates; a new one each time it starts."""
        return self.vault_tls_dir / vaultserver.CA_FILE

    @property
    def vault_node_tls(self) -> Pki:
        """With a node: the server's own CA and certificate, valid at the node address too."""
        return Pki(self.state_dir / "vault-node-tls", ("tls",))

    @property
    def published_vault_ca_file(self) -> Path:
        """A copy of the current CA that stays while the server is down (it removes its own on exit)."""
        return self.state_dir / "vault-ca.pem"

    @property
    def apiserver_url(self) -> str:
        return apiserver_url(self.ports.apiserver)

    @property
    def vault_addr(self) -> str:
        return vault_addr(self.ports.vault)

    @property
    def etcd_url(self) -> str:
        return etcd_url(self.ports.etcd_client)

    @property
    def env(self) -> dict[str, str]:
        """What env.json holds: the variables tests and the demo export."""
        env = {
            "KUBECONFIG": str(self.kubeconfig),
            "KUBE_APISERVER_URL": self.apiserver_url,
            "KUBE_CA_FILE": str(self.ca_file),
            "KUBE_CLIENT_CERT_FILE": str(self.pki.cert("admin")),
            "KUBE_CLIENT_KEY_FILE": str(self.pki.key("admin")),
            "VAULT_ADDR": self.vault_addr,
            "VAULT_TOKEN": self.vault_token,
            "VAULT_CACERT": str(self.published_vault_ca_file),
            "BAO_ADDR": self.vault_addr,
            "BAO_TOKEN": self.vault_token,
            "BAO_CACERT": str(self.published_vault_ca_file),
            "ETCD_ENDPOINT": self.etcd_url,
            "POSTGRES_HOST": postgres.HOST,
            "POSTGRES_DATABASE": postgres.DATABASE,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_VAULT_ADMIN": postgres.VAULT_ADMIN,
            "POSTGRES_VAULT_ADMIN_PASSWORD": self.postgres_admin_password,
            "LOCALCP_STATE_DIR": str(self.state_dir),
            NODE_ENV: "1" if self.node else "0",
            vaultserver.SERVER_ENV: self.server,
        }
        if self.unseal_key:
            env["VAULT_UNSEAL_KEY"] = self.unseal_key
        for name in COMPONENTS:
            comp = self.components[name]
            env[f"{ENV_PREFIX[name]}_PORT"] = str(comp.port)
            if comp.pid is not None:
                env[f"{ENV_PREFIX[name]}_PID"] = str(comp.pid)
        return env

    def kube(self, timeout: float = 10.0) -> KubeApi:
        """A client for the API server authenticated as the admin (system:masters)."""
        return KubeApi(
            self.apiserver_url,
            self.ca_file,
            self.pki.cert("admin"),
            self.pki.key("admin"),
            timeout,
        )

    # -- persistence ---------------------------------------------------------

    def save(self) -> None:
        state.write_processes(
            self.state_dir,
            {
                "ports": {
                    "etcd_client": self.ports.etcd_client,
                    "etcd_peer": self.ports.etcd_peer,
                    "apiserver": self.ports.apiserver,
                    "controller_manager": self.ports.controller_manager,
                    "vault": self.ports.vault,
                    "postgres": self.ports.postgres,
                },
                "components": {n: c.to_json() for n, c in self.components.items()},
                "server": self.server,
                "postgres_dir": str(self.postgres_dir) if self.postgres_dir else None,
                "node": self.node,
            },
        )
        state.write_env(self.state_dir, self.env)

    @classmethod
    def load(cls, state_dir: Path | str | None = None) -> ControlPlane:
        directory = _resolve_state_dir(state_dir)
        env = state.read_env(directory)
        procs = state.read_processes(directory)
        try:
            ports_data = procs["ports"]
            components = {name: Component.from_json(name, procs["components"][name]) for name in COMPONENTS}
            return cls(
                state_dir=directory,
                ports=Ports(**{k: int(v) for k, v in ports_data.items()}),
                vault_token=env["VAULT_TOKEN"],
                components=components,
                unseal_key=env.get("VAULT_UNSEAL_KEY"),
                server=procs["server"],
                postgres_dir=Path(procs["postgres_dir"]) if procs.get("postgres_dir") else None,
                postgres_password=env["POSTGRES_PASSWORD"],
                postgres_admin_password=env["POSTGRES_VAULT_ADMIN_PASSWORD"],
                node=bool(procs.get("node", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ControlPlaneError(f"incomplete control plane state in {directory}: {exc!r}") from exc

    # -- lifecycle -----------------------------------------------------------

    @classmethod
    def start(
        cls,
        state_dir: Path | str | None = None,
        *,
        timeout: float = 60.0,
        crds_dir: Path | None = None,
        say: Say = _quiet,
        node: bool | None = None,
    ) -> ControlPlane:
        """Start everything on Ports.from_env() with the server VAULT_K8S_SERVER names, plus a real node when
        `node` (default: VAULT_K8S_NODE=1), or return the running control plane if it is healthy there and
        runs that server and node."""
        directory = _resolve_state_dir(state_dir)
        wanted = Ports.from_env()
        server = vaultserver.server_from_env()
        with_node = node_from_env() if node is None else node
        if (directory / state.PROCESSES_JSON).exists():
            try:
                existing: ControlPlane | None = cls.load(directory)
            except ControlPlaneError:
                existing = None
                _stop_listed(directory)
            if existing is not None and (existing.server, existing.node) != (server, with_node):
                if any(c.running() for c in existing.components.values()):
                    raise ControlPlaneError(
                        f"the control plane in {directory} runs {existing.server} "
                        f"{'with' if existing.node else 'without'} a node, not {server} "
                        f"{'with' if with_node else 'without'} ({vaultserver.SERVER_ENV}, {NODE_ENV}); "
                        "stop it first (make demo-down)"
                    )
                existing.stop()
                existing = None
            if existing is not None and existing.ports != wanted:
                if any(c.running() for c in existing.components.values()):
                    offset = existing.ports.etcd_client - Ports.default().etcd_client
                    raise ControlPlaneError(
                        f"the control plane in {directory} runs on other ports ({OFFSET_ENV}={offset}); "
                        f"set {OFFSET_ENV} to match, or stop it first"
                    )
                existing.stop()
                existing = None
            if existing is not None and existing._reusable(timeout, say):
                existing.reused = True
                say(f"control plane already running in {directory}")
                return existing
            if existing is not None:
                say(f"cleaning up a control plane that is not healthy in {directory}")
                existing.stop()
        cp = cls._create(directory, wanted, server, with_node)
        try:
            cp._boot(timeout, crds_dir or paths.crds_dir(), say)
        except BaseException:
            # Keep the state dir and logs for a look; the next start replaces them.
            cp._stop_processes()
            if cp.postgres_dir is not None:
                postgres.remove_data_dir(cp.postgres_dir)
            raise
        return cp

    def _reusable(self, timeout: float, say: Say) -> bool:
        """Healthy as is, or after bringing back a Vault server that a test stopped or sealed."""
        statuses = {s.name: s for s in self.status()}
        if not all(s.ok for n, s in statuses.items() if n != VAULT):
            return False
        if self.node and not _node_running(self.state_dir):
            return False
        server = statuses[VAULT]
        if server.ok:
            return True
        try:
            if not server.running:
                say(f"{self.server} is down; starting it again")
                self.start_vault(timeout)
            elif server.health == "sealed":
                say(f"{self.server} is sealed; unsealing it")
                self.unseal_vault()
        except ControlPlaneError as exc:
            say(f"could not bring {self.server} back: {exc}")
            return False
        return self.vault_health() == "active"

    @classmethod
    def _create(cls, directory: Path, port_set: Ports, server: str, with_node: bool = False) -> ControlPlane:
        from localenv.node.namespaces import NODE_IP  # the node builds on this package: imported when used
        from localenv.node.node import prepare_apiserver

        binaries = {
            ETCD: paths.require_binary("etcd"),
            APISERVER: paths.require_binary("kube-apiserver"),
            CONTROLLER_MANAGER: paths.require_binary("kube-controller-manager"),
            VAULT: vaultserver.server_binary(server),
        }
        pg_binaries = postgres.find_binaries()
        pg_user = postgres.run_as()
        require_free(port_set)
        state.prepare(directory)
        pki = generate_pki(directory / "pki", SERVICE_IP, extra_ips=(NODE_IP,) if with_node else ())
        token = "root-" + secrets.token_hex(12)
        logs = directory / "logs"
        logs.mkdir()
        argvs = {
            ETCD: etcd_args(
                binaries[ETCD], directory / "etcd", port_set.etcd_client, port_set.etcd_peer
            ),
            APISERVER: apiserver_args(
                binaries[APISERVER], pki, directory / "apiserver", port_set.apiserver,
                port_set.etcd_client,
            ),
            CONTROLLER_MANAGER: controller_manager_args(
                binaries[CONTROLLER_MANAGER], pki, directory / "controller-manager.kubeconfig",
                directory / "controller-manager", port_set.controller_manager,
            ),
            VAULT: vault_server_args(binaries[VAULT], port_set.vault, token, directory / "vault-tls"),
        }  # fmt: skip
        if with_node:
            argvs[APISERVER] = apiserver_args(
                binaries[APISERVER], pki, directory / "apiserver", port_set.apiserver, port_set.etcd_client,
                prepare_apiserver(directory, pki),
            )  # fmt: skip
            tls = generate_serving(directory / "vault-node-tls", "vault", ("127.0.0.1", NODE_IP))
            vault_config = directory / "vault-node.hcl"
            vault_config.write_text(vault_node_config(port_set.vault, tls.cert("tls"), tls.key("tls")))
            argvs[VAULT] = vault_server_node_args(binaries[VAULT], port_set.vault, token, vault_config)
        port_of = {
            ETCD: port_set.etcd_client,
            APISERVER: port_set.apiserver,
            CONTROLLER_MANAGER: port_set.controller_manager,
            VAULT: port_set.vault,
            POSTGRES: port_set.postgres,
        }
        pg_dir = postgres.make_data_dir(pg_user)
        pg_password = secrets.token_urlsafe(18)
        try:
            postgres.init_cluster(pg_binaries, pg_dir, pg_password, pg_user)
        except BaseException:
            postgres.remove_data_dir(pg_dir)
            raise
        argvs[POSTGRES] = postgres.server_args(pg_binaries, pg_dir, port_set.postgres)
        users = {POSTGRES: pg_user}
        cp = cls(
            state_dir=directory,
            ports=port_set,
            vault_token=token,
            components={
                n: Component(n, port_of[n], argvs[n], logs / f"{n}.log", user=users.get(n)) for n in COMPONENTS
            },
            server=server,
            postgres_dir=pg_dir,
            postgres_password=pg_password,
            postgres_admin_password=secrets.token_urlsafe(18),
            node=with_node,
        )
        write_kubeconfig(
            cp.kubeconfig, cp.apiserver_url, pki.ca_cert, pki.cert("admin"), pki.key("admin"),
            "admin",
        )  # fmt: skip
        write_kubeconfig(
            cp.controller_manager_kubeconfig, cp.apiserver_url, pki.ca_cert,
            pki.cert("controller-manager"), pki.key("controller-manager"),
            "system:kube-controller-manager",
        )  # fmt: skip
        cp.save()
        return cp

    def _spawn(self, name: str) -> ProcessId:
        comp = self.components[name]
        if name == VAULT:
            vaultserver.clear_tls_dir(self.vault_tls_dir)
            if self.node:
                # Where dev-tls would write its CA; the health checks and env.sh read it there.
                shutil.copyfile(self.vault_node_tls.ca_cert, self.vault_ca_file)
        cwd = self.postgres_dir if name == POSTGRES else self.state_dir
        proc = spawn(comp.argv, comp.log, env=_child_env(), cwd=cwd, user=comp.user)
        comp.pid, comp.start_ticks = proc.pid, proc.start_ticks
        self.save()
        return proc

    def _boot(self, timeout: float, crds_dir: Path, say: Say) -> None:
        began = time.monotonic()
        etcd = self._spawn(ETCD)
        server_log_start = _size(self.components[VAULT].log)
        server = self._spawn(VAULT)
        say(f"etcd pid {etcd.pid} on {self.etcd_url}; {self.server} pid {server.pid} on {self.vault_addr}")
        database = self._spawn(POSTGRES)
        say(f"postgres pid {database.pid} on {postgres.HOST}:{self.ports.postgres}")
        self._wait(ETCD, self._etcd_healthy, "etcd /health", timeout)
        self._wait(POSTGRES, self._postgres_ready, "postgres accepting connections", timeout)
        postgres.bootstrap(self.ports.postgres, self.postgres_password, self.postgres_admin_password)

        apiserver = self._spawn(APISERVER)
        say(f"kube-apiserver pid {apiserver.pid} on {self.apiserver_url}")
        api = self.kube(timeout=5.0)
        try:
            self._wait(APISERVER, api.ready, "kube-apiserver /readyz", timeout)
            kcm = self._spawn(CONTROLLER_MANAGER)
            say(f"kube-controller-manager pid {kcm.pid} on port {self.ports.controller_manager}")
            if not self.node:
                # With a node the charts bring their CRDs, as on any cluster.
                names = install_crds(api, crds_dir, timeout)
                say(f"{len(names)} CRDs installed and Established")
            self._wait(
                CONTROLLER_MANAGER, self._controller_manager_healthy,
                "kube-controller-manager /healthz", timeout,
            )  # fmt: skip
            self._wait(
                CONTROLLER_MANAGER,
                lambda: api.read("v1", "ServiceAccount", "default", "default") is not None,
                "ServiceAccount default/default (created by kube-controller-manager)",
                timeout,
            )
            self._wait_vault(server_log_start, timeout)
            if self.node:
                from localenv.node.node import Node

                forwarded = [self.ports.apiserver, self.ports.vault, self.ports.postgres]
                Node.create(self.state_dir, self.ports.apiserver, forwarded).boot(api, timeout, say)
        finally:
            api.close()
        self.save()
        say(f"control plane ready in {time.monotonic() - began:.1f}s; env in {self.state_dir / state.ENV_SH}")

    def _wait_vault(self, log_start: int, timeout: float) -> None:
        """Wait for an active server and for the unseal key this instance prints (after it is already serving).

        _spawn removed the previous server's TLS files, so "active" means verified with this server's new CA."""
        comp = self.components[VAULT]
        self._wait(
            VAULT, lambda: self.vault_health() == "active",
            f"{self.server} /v1/sys/health (verified with {self.vault_ca_file})", timeout,
        )  # fmt: skip

        def key_printed() -> bool:
            with comp.log.open("rb") as f:
                f.seek(log_start)
                self.unseal_key = vaultserver.parse_unseal_key(f.read().decode("utf-8", "replace"))
            return self.unseal_key is not None

        self._wait(VAULT, key_printed, f"{self.server} unseal key in its log", timeout)
        published = self.published_vault_ca_file.with_suffix(".tmp")
        published.write_bytes(self.vault_ca_file.read_bytes())
        published.replace(self.published_vault_ca_file)
        self.save()

    def _wait(self, name: str, check: Callable[[], bool], what: str, timeout: float) -> None:
        comp = self.components[name]
        wait_until(check, what, timeout, log=comp.log, process=comp.process)

    # -- health --------------------------------------------------------------

    def _etcd_healthy(self) -> bool:
        response = requests.get(f"{self.etcd_url}/health", timeout=2.0, proxies=_NO_PROXY)
        return response.status_code == 200 and response.json().get("health") == "true"

    def _apiserver_ready(self) -> bool:
        api = self.kube(timeout=3.0)
        try:
            return api.ready()
        finally:
            api.close()

    def _controller_manager_healthy(self) -> bool:
        response = requests.get(
            f"https://127.0.0.1:{self.ports.controller_manager}/healthz",
            verify=str(self.ca_file),
            timeout=2.0,
            proxies=_NO_PROXY,
        )
        return response.status_code == 200

    def _postgres_ready(self) -> bool:
        return postgres.ready(self.ports.postgres, self.postgres_password)

    def vault_health(self) -> str:
        """The server's state from /v1/sys/health: "active", "sealed", "down", ..."""
        return vaultserver.health(self.vault_addr, self.vault_ca_file)

    def status(self) -> list[ComponentStatus]:
        checks: dict[str, Callable[[], bool]] = {
            ETCD: self._etcd_healthy,
            APISERVER: self._apiserver_ready,
            CONTROLLER_MANAGER: self._controller_manager_healthy,
            POSTGRES: self._postgres_ready,
        }
        result = []
        for name in COMPONENTS:
            comp = self.components[name]
            running = comp.running()
            if not running:
                health, ok = "down", False
            elif name == VAULT:
                health = self.vault_health()
                ok = health == "active"
            else:
                try:
                    ok = checks[name]()
                except (requests.RequestException, urllib3.exceptions.HTTPError, ValueError) as exc:
                    ok = False
                    health = f"unhealthy ({type(exc).__name__})"
                else:
                    health = "healthy" if ok else "unhealthy"
            result.append(ComponentStatus(name, comp.pid, comp.port, running, health, ok))
        return result

    def healthy(self) -> bool:
        return all(s.ok for s in self.status())

    # -- stopping ------------------------------------------------------------

    def _stop_component(self, name: str, timeout: float) -> None:
        comp = self.components[name]
        proc = comp.process
        if proc is not None:
            # PostgreSQL's SIGTERM waits for every client to leave; SIGINT disconnects them and shuts down cleanly.
            terminate(proc, timeout, signal.SIGINT if name == POSTGRES else signal.SIGTERM)
            if not wait_gone(proc, 1.0):
                raise ControlPlaneError(f"{name} (pid {proc.pid}) did not exit after SIGKILL")
        comp.pid = comp.start_ticks = None

    def _stop_processes(self, timeout: float = 15.0) -> None:
        # The controllers run against this control plane; they go first. (Imported here: they import us.)
        from localenv.controllers import stop_controllers

        stop_controllers(self, self.state_dir)
        from localenv.node.node import Node

        node = Node.load(self.state_dir)
        if node is not None:
            node.stop(timeout)
        for name in STOP_ORDER:
            self._stop_component(name, timeout)
        if self.state_dir.exists():
            self.save()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop exactly the processes this control plane started, then delete its state dir."""
        self._stop_processes(timeout)
        if self.postgres_dir is not None:
            postgres.remove_data_dir(self.postgres_dir)
        state.remove(self.state_dir)

    # -- Vault server faults -------------------------------------------------

    def stop_vault(self, timeout: float = 15.0) -> None:
        self._stop_component(VAULT, timeout)
        self.save()

    def start_vault(self, timeout: float = 60.0) -> None:
        """Start a fresh dev server on the same address with the same root token (in-memory data is gone)."""
        comp = self.components[VAULT]
        if comp.running():
            return
        for port in (self.ports.vault, self.ports.vault_cluster):
            wait_until(partial(port_is_free, port), f"port {port} to be free", timeout)
        log_start = _size(comp.log)
        self._spawn(VAULT)
        self._wait_vault(log_start, timeout)

    @property
    def server_binary(self) -> Path:
        """The `vault` or `bao` binary that runs the server (and serves as its CLI)."""
        return Path(self.components[VAULT].argv[0])

    def seal_vault(self) -> None:
        vaultserver.seal(self.server_binary, self.vault_addr, self.vault_token, self.vault_ca_file)

    def unseal_vault(self) -> None:
        if not self.unseal_key:
            raise ControlPlaneError(f"no unseal key recorded for {self.server}")
        vaultserver.unseal(self.server_binary, self.vault_addr, self.vault_token, self.vault_ca_file, self.unseal_key)


_NO_PROXY = {"http": "", "https": ""}


def node_from_env(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    raw = env.get(NODE_ENV, "").strip()
    if raw not in ("", "0", "1"):
        raise ControlPlaneError(f"{NODE_ENV} must be 1 (with a node) or 0, not {raw!r}")
    return raw == "1"


def _node_running(state_dir: Path) -> bool:
    from localenv.node.node import Node

    node = Node.load(state_dir)
    return node is not None and node.running()


def _resolve_state_dir(state_dir: Path | str | None) -> Path:
    return Path(state_dir).resolve() if state_dir else paths.default_state_dir().resolve()


def running_in(state_dir: Path | str | None = None) -> bool:
    """Whether a control plane runs from `state_dir`: a process its processes.json names (or its node) is alive. A
    start that failed leaves the file and the logs behind for a look, with nothing running; that one does not count
    (the next start replaces it)."""
    directory = _resolve_state_dir(state_dir)
    if not (directory / state.PROCESSES_JSON).exists():
        return False
    return any(is_running(p) for p in _listed(directory)) or _node_running(directory)


def _listed(directory: Path) -> list[ProcessId]:
    """What processes.json names, read leniently: a partly written file still names what it has."""
    try:
        listed = state.read_processes(directory).get("components", {})
    except ControlPlaneError:
        return []
    found = []
    for data in listed.values():
        pid, ticks = data.get("pid"), data.get("start_ticks")
        if isinstance(pid, int) and isinstance(ticks, int):
            found.append(ProcessId(pid, ticks))
    return found


def _stop_listed(directory: Path, timeout: float = 15.0) -> None:
    """Stop what a partly written processes.json still names, so no server is orphaned."""
    for proc in _listed(directory):
        terminate(proc, timeout)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The servers get everything on their command lines; these would only confuse them.
    for key in ("KUBECONFIG", "VAULT_TOKEN", "BAO_TOKEN", "VAULT_ADDR", "BAO_ADDR", "VAULT_CACERT", "BAO_CACERT"):
        env.pop(key, None)
    return env
