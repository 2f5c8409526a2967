"""One real Kubernetes node beside the local control plane: containerd with runc, CNI bridge networking, kubelet,
kube-proxy, kube-scheduler and CoreDNS, in namespaces of its own (namespaces.py), joined to the control plane on
the machine's loopback by the bridge (bridge.py)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localenv.controlplane import paths as cp_paths
from localenv.controlplane.certs import CertSpec, Pki, issue_leaf
from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.kubeapi import KubeApi
from localenv.controlplane.kubeconfig import write_kubeconfig
from localenv.controlplane.processes import ProcessId, Started, spawn, terminate, wait_gone
from localenv.controlplane.waiting import wait_until

from . import addons, cgroups, config, images, namespaces
from .config import NODE_NAME, NodePaths
from .namespaces import NODE_IP, Namespaces

BRIDGE = "bridge"
CONTAINERD = "containerd"
KUBELET = "kubelet"
KUBE_PROXY = "kube-proxy"
SCHEDULER = "kube-scheduler"
COMPONENTS = (BRIDGE, CONTAINERD, KUBELET, KUBE_PROXY, SCHEDULER)
STOP_ORDER = (SCHEDULER, KUBE_PROXY, KUBELET, CONTAINERD, BRIDGE)
NODE_JSON = "node.json"
APISERVER_KUBELET_CLIENT = "apiserver-kubelet-client"
# The one host path a chart makes outside the node's private folders: the CSI driver's hostPath volume
# `/etc/kubernetes/secrets-store-csi-providers` (DirectoryOrCreate). Stop removes what the node created of it.
CHART_HOST_DIRS = (Path("/etc/kubernetes/secrets-store-csi-providers"),)
# NodePorts the local stacks use, published on the machine's 127.0.0.1 (local-internal's Vault).
PUBLISHED_NODE_PORTS = (30200,)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def node_dir(state_dir: Path) -> Path:
    return state_dir / "node"


def apiserver_kubelet_client_spec() -> CertSpec:
    return CertSpec(APISERVER_KUBELET_CLIENT, f"/CN={addons.APISERVER_KUBELET_CLIENT}", client=True)


def apiserver_node_args(pki: Pki, node_paths: NodePaths) -> list[str]:
    """What the API server needs to serve a node in another network namespace: an address pods can reach for the
    `kubernetes` Service (the bridge forwards it), Node authorization, client TLS to the kubelet, and the egress
    proxy for every connection into the cluster."""
    return [
        f"--advertise-address={NODE_IP}",
        "--endpoint-reconciler-type=lease",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        f"--kubelet-client-certificate={pki.cert(APISERVER_KUBELET_CLIENT)}",
        f"--kubelet-client-key={pki.key(APISERVER_KUBELET_CLIENT)}",
        f"--kubelet-certificate-authority={pki.ca_cert}",
        "--kubelet-preferred-address-types=InternalIP",
        f"--egress-selector-config-file={node_paths.egress_config}",
    ]


def prepare_apiserver(state_dir: Path, pki: Pki) -> list[str]:
    """Before the API server starts: its kubelet client certificate and egress config; returns its extra flags."""
    node_paths = NodePaths(node_dir(state_dir))
    node_paths.directory.mkdir(parents=True, exist_ok=True)
    issue_leaf(pki, apiserver_kubelet_client_spec())
    config.write_json(node_paths.egress_config, config.egress_selector_config(node_paths.egress_socket))
    return apiserver_node_args(pki, node_paths)


@dataclass
class NodeProcess(Started):
    name: str
    argv: list[str]
    log: Path
    pid: int | None = None
    start_ticks: int | None = None


@dataclass
class Node:
    state_dir: Path
    """The control plane's state folder; the node keeps its own files under node/."""
    apiserver_port: int
    forwarded_ports: list[int]
    processes: dict[str, NodeProcess]
    created_dirs: list[str] = field(default_factory=list)
    """Host folders the node's pods may create that did not exist before it started (removed by stop if empty)."""

    @property
    def paths(self) -> NodePaths:
        return NodePaths(node_dir(self.state_dir))

    @property
    def namespaces(self) -> Namespaces:
        return Namespaces(self.paths.directory / "ns")

    @property
    def pki(self) -> Pki:
        return Pki(self.state_dir / "pki")

    def save(self) -> None:
        data = {
            "apiserver_port": self.apiserver_port,
            "forwarded_ports": self.forwarded_ports,
            "created_dirs": self.created_dirs,
            "processes": {n: {"argv": p.argv, "log": str(p.log), "pid": p.pid, "start_ticks": p.start_ticks}
                          for n, p in self.processes.items()},
        }  # fmt: skip
        (self.paths.directory / NODE_JSON).write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, state_dir: Path) -> Node | None:
        path = node_dir(state_dir) / NODE_JSON
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        procs = {
            n: NodeProcess(n, p["argv"], Path(p["log"]), p.get("pid"), p.get("start_ticks"))
            for n, p in data["processes"].items()
        }
        return cls(
            state_dir, int(data["apiserver_port"]), list(data["forwarded_ports"]), procs, data.get("created_dirs", [])
        )

    # -- start ---------------------------------------------------------------

    @classmethod
    def create(cls, state_dir: Path, apiserver_port: int, forwarded_ports: list[int]) -> Node:
        node_paths = NodePaths(node_dir(state_dir))
        pki = Pki(state_dir / "pki")
        ns = Namespaces(node_paths.directory / "ns")
        logs = state_dir / "logs"
        bindir = cp_paths.cache_bin_dir()
        binary = {n: str(cp_paths.require_binary(n)) for n in ("containerd", "kubelet", "kube-proxy", SCHEDULER)}
        runc = cp_paths.require_binary("runc")
        cni_bin = bindir.parent / "cni" / "bin"
        if not (cni_bin / "bridge").is_file():
            raise ControlPlaneError(
                f"CNI plugins missing in {cni_bin}; build them with localenv/toolchain.sh install node"
            )
        for spec in (
            CertSpec("kubelet", f"/O=system:nodes/CN=system:node:{NODE_NAME}", client=True),
            CertSpec("kubelet-serving", f"/CN={NODE_NAME}", server=True, dns=(NODE_NAME,), ips=(NODE_IP,)),
            CertSpec("kube-proxy", "/CN=system:kube-proxy", client=True),
            CertSpec("kube-scheduler", "/CN=system:kube-scheduler", client=True),
        ):
            issue_leaf(pki, spec)
        node_url = f"https://{NODE_IP}:{apiserver_port}"
        host_url = f"https://127.0.0.1:{apiserver_port}"
        for name, user, url in (
            ("kubelet", f"system:node:{NODE_NAME}", node_url),
            ("kube-proxy", "system:kube-proxy", node_url),
            ("kube-scheduler", "system:kube-scheduler", host_url),
        ):
            write_kubeconfig(node_paths.kubeconfig(name), url, pki.ca_cert, pki.cert(name), pki.key(name), user)
        node_paths.cni_conf_dir.mkdir(exist_ok=True)
        config.write_json(node_paths.cni_conf_dir / "10-vault-k8s.conflist", config.cni_config())
        node_paths.containerd_config.write_text(config.containerd_config(node_paths, cni_bin, runc))
        config.write_json(
            node_paths.kubelet_config,
            config.kubelet_config(node_paths, pki.ca_cert, pki.cert("kubelet-serving"), pki.key("kubelet-serving")),
        )
        config.write_json(node_paths.kube_proxy_config, config.kube_proxy_config(node_paths))
        inside = ns.enter()
        argvs = {
            BRIDGE: [
                sys.executable, "-m", "localenv.node.bridge", f"--netns={ns.net}", f"--node-ip={NODE_IP}",
                *(f"--port={p}" for p in forwarded_ports), *(f"--publish={p}" for p in PUBLISHED_NODE_PORTS),
                f"--egress-socket={node_paths.egress_socket}",
            ],
            CONTAINERD: [*inside, binary["containerd"], f"--config={node_paths.containerd_config}"],
            KUBELET: [
                *inside, binary["kubelet"], f"--config={node_paths.kubelet_config}",
                f"--kubeconfig={node_paths.kubeconfig('kubelet')}", f"--root-dir={config.KUBELET_ROOT}",
                f"--hostname-override={NODE_NAME}", f"--node-ip={NODE_IP}",
            ],
            KUBE_PROXY: [*inside, binary["kube-proxy"], f"--config={node_paths.kube_proxy_config}"],
            SCHEDULER: [
                binary[SCHEDULER], f"--kubeconfig={node_paths.kubeconfig('kube-scheduler')}",
                f"--authentication-kubeconfig={node_paths.kubeconfig('kube-scheduler')}",
                f"--authorization-kubeconfig={node_paths.kubeconfig('kube-scheduler')}",
                "--bind-address=127.0.0.1", f"--secure-port={config.SCHEDULER_PORT}", "--leader-elect=false",
            ],
        }  # fmt: skip
        node = cls(
            state_dir,
            apiserver_port,
            forwarded_ports,
            {n: NodeProcess(n, argvs[n], logs / f"{n}.log") for n in COMPONENTS},
        )
        node.save()
        return node

    def _spawn(self, name: str) -> ProcessId:
        proc_state = self.processes[name]
        env = dict(os.environ)
        env["PATH"] = f"{cp_paths.cache_bin_dir()}:{env.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"
        for key in ("KUBECONFIG", "VAULT_TOKEN", "VAULT_ADDR", *PROXY_VARIABLES):
            env.pop(key, None)
        proc = spawn(proc_state.argv, proc_state.log, env=env, cwd=cp_paths.REPO_ROOT)
        proc_state.pid, proc_state.start_ticks = proc.pid, proc.start_ticks
        self.save()
        return proc

    def _wait(self, name: str, check: Callable[[], bool], what: str, timeout: float) -> None:
        proc_state = self.processes[name]
        wait_until(check, what, timeout, log=proc_state.log, process=proc_state.process)

    def boot(self, api: KubeApi, timeout: float, say: Say = _quiet) -> None:
        began = time.monotonic()
        self.created_dirs = [str(d) for d in (_first_missing(p) for p in CHART_HOST_DIRS) if d is not None]
        self.save()
        namespaces.create(self.namespaces, config_service_cidr())
        cgroups.create_root(config.CGROUP_ROOT)
        self._spawn(BRIDGE)
        self._wait(BRIDGE, self.paths.egress_socket.exists, "bridge egress socket", timeout)
        self._spawn(CONTAINERD)
        self._wait(CONTAINERD, self.paths.containerd_socket.exists, "containerd socket", timeout)
        say(f"node namespaces, bridge and containerd up in {time.monotonic() - began:.1f}s")
        t0 = time.monotonic()
        built = images.build_all(cp_paths.cache_bin_dir().parent / "images", cp_paths.cache_bin_dir())
        images.import_all(built, cp_paths.require_binary("ctr"), str(self.paths.containerd_socket))
        say(f"{len(built)} images built and imported in {time.monotonic() - t0:.1f}s")
        addons.install(api)
        self._spawn(KUBELET)
        self._spawn(KUBE_PROXY)
        self._spawn(SCHEDULER)
        self._wait(KUBELET, lambda: node_ready(api), f"Node {NODE_NAME} Ready", timeout * 2)
        self._wait(
            KUBELET, lambda: deployment_available(api, "kube-system", "coredns"), "CoreDNS available", timeout * 2
        )
        say(f"node {NODE_NAME} Ready with CoreDNS in {time.monotonic() - began:.1f}s")

    # -- status and stop -----------------------------------------------------

    def status_lines(self) -> list[str]:
        lines = []
        for name in COMPONENTS:
            proc_state = self.processes[name]
            state = "running" if proc_state.running() else "down"
            lines.append(f"{name:<24} pid {proc_state.pid or '-'!s:<8} {state}")
        return lines

    def running(self) -> bool:
        return all(p.running() for p in self.processes.values())

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes.values() if p.pid is not None]

    def stop(self, timeout: float = 15.0) -> None:
        """Every process by pid, then whatever is left in the node's cgroups and namespaces (containers and their
        shims, started by containerd), the namespaces with their interfaces and mounts, and the cgroups."""
        for name in STOP_ORDER[:3]:
            self._stop(name, timeout)
        cgroups.kill_all(config.CGROUP_ROOT)
        self._stop(CONTAINERD, timeout)
        if self.namespaces.exists():
            _kill_in_namespaces(self.namespaces)
        self._stop(BRIDGE, timeout)
        namespaces.remove(self.namespaces)
        cgroups.remove_root(config.CGROUP_ROOT)
        for created in self.created_dirs:
            _remove_empty_tree(Path(created))
        shutil.rmtree(self.paths.directory, ignore_errors=True)

    def _stop(self, name: str, timeout: float) -> None:
        proc = self.processes[name].process
        if proc is not None:
            terminate(proc, timeout)
            if not wait_gone(proc, 1.0):
                raise ControlPlaneError(f"{name} (pid {proc.pid}) did not exit after SIGKILL")
        self.processes[name].pid = self.processes[name].start_ticks = None
        if self.paths.directory.exists():
            self.save()


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of `path` that does not exist yet (what creating `path` would add), or None."""
    missing = None
    for candidate in (path, *path.parents):
        if candidate.exists():
            return missing
        missing = candidate
    return missing


def _remove_empty_tree(top: Path) -> None:
    """rmdir `top` and its folders bottom-up, leaving any that hold a file."""
    if not top.is_dir():
        return
    for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()
    with contextlib.suppress(OSError):
        top.rmdir()


def config_service_cidr() -> str:
    from localenv.controlplane.args import SERVICE_CIDR

    return SERVICE_CIDR


def _kill_in_namespaces(ns: Namespaces) -> None:
    """SIGKILL what still runs in the node's namespaces (the runtime shims containerd leaves behind)."""
    inodes = {os.stat(ns.net).st_ino, os.stat(ns.mnt).st_ino}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            mine = {os.stat(entry / "ns" / "net").st_ino, os.stat(entry / "ns" / "mnt").st_ino}
        except OSError:
            continue
        if mine & inodes:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def peak_rss_mib(pids: list[int]) -> float:
    """The sum of the processes' peak resident memory (VmHWM)."""
    total_kib = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total_kib += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    return total_kib / 1024


def pods_peak_mib() -> float:
    """The peak memory use of every pod of the node (its memory cgroup's high-water mark)."""
    usage = cgroups.CGROUP_FS / "memory" / config.CGROUP_ROOT.lstrip("/") / "memory.max_usage_in_bytes"
    return int(usage.read_text()) / 2**20 if usage.exists() else 0.0


def node_ready(api: KubeApi) -> bool:
    node = api.read("v1", "Node", NODE_NAME)
    return node is not None and _condition(node, "Ready") == "True"


def deployment_available(api: KubeApi, namespace: str, name: str) -> bool:
    deployment = api.read("apps/v1", "Deployment", name, namespace)
    return deployment is not None and _condition(deployment, "Available") == "True"


def _condition(obj: dict[str, Any], kind: str) -> str | None:
    for condition in obj.get("status", {}).get("conditions", []):
        if condition.get("type") == kind:
            return str(condition.get("status"))
    return None
