"""The node's own network and mount namespaces, kept as files in its state folder, so that nothing the node does
(iptables chains, bridges, veths, pod network namespaces, mounts, the fixed paths kubelet and containerd write
under /run, /var/lib and /var/log) reaches the machine's own namespaces."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from localenv.controlplane.errors import ControlPlaneError

NODE_IP = "10.10.0.1"
NODE_PREFIX = 24
NODE_INTERFACE = "vk-node"
PEER_INTERFACE = "vk-peer"
# Private in the node's mount namespace: fresh tmpfs over each, so the node's fixed paths stay off the machine.
PRIVATE_DIRS = ("/run", "/var/lib", "/var/log")


@dataclass(frozen=True)
class Namespaces:
    directory: Path

    @property
    def net(self) -> Path:
        return self.directory / "net"

    @property
    def mnt(self) -> Path:
        return self.directory / "mnt"

    def enter(self, mount: bool = True) -> list[str]:
        """The argv prefix that runs a command inside the node (network, and mount unless told otherwise)."""
        argv = ["nsenter", f"--net={self.net}"]
        if mount:
            argv.append(f"--mount={self.mnt}")
        return [*argv, "--"]

    def exists(self) -> bool:
        return _is_mountpoint(self.net) and _is_mountpoint(self.mnt)


def setup_commands(ns: Namespaces, service_cidr: str) -> list[list[str]]:
    """Inside the new namespaces: rshared mounts of our own, tmpfs over the fixed paths, loopback, a veth pair that
    gives the node its address (this kernel has no dummy interfaces), and a route for Service IPs so the API
    server's egress reaches them through kube-proxy's rules."""
    inside = ns.enter()
    commands = [[*inside, "mount", "--make-rshared", "/"]]
    commands += [[*inside, "mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d] for d in PRIVATE_DIRS]
    commands += [
        [*inside, "ip", "link", "set", "lo", "up"],
        [*inside, "ip", "link", "add", NODE_INTERFACE, "type", "veth", "peer", "name", PEER_INTERFACE],
        [*inside, "ip", "addr", "add", f"{NODE_IP}/{NODE_PREFIX}", "dev", NODE_INTERFACE],
        [*inside, "ip", "link", "set", NODE_INTERFACE, "up"],
        [*inside, "ip", "link", "set", PEER_INTERFACE, "up"],
        [*inside, "ip", "route", "add", service_cidr, "dev", NODE_INTERFACE],
    ]
    return commands


def create(ns: Namespaces, service_cidr: str) -> None:
    """Make the namespace files (on a private bind mount of their folder, which persistent namespaces require) and
    configure them."""
    if ns.exists():
        raise ControlPlaneError(f"node namespaces already exist in {ns.directory}; stop the node first")
    ns.directory.mkdir(parents=True, exist_ok=True)
    if not _is_mountpoint(ns.directory):
        _run(["mount", "--bind", str(ns.directory), str(ns.directory)])
        _run(["mount", "--make-private", str(ns.directory)])
    ns.net.touch()
    ns.mnt.touch()
    _run(["unshare", f"--net={ns.net}", f"--mount={ns.mnt}", "--propagation", "private", "true"])
    for argv in setup_commands(ns, service_cidr):
        _run(argv)


def remove(ns: Namespaces) -> None:
    """Unpin both namespaces (the kernel frees them, with their interfaces and mounts, once no process is left in
    them) and unmount their folder."""
    for path in (ns.net, ns.mnt, ns.directory):
        if _is_mountpoint(path):
            _run(["umount", "--lazy", str(path)])


def _is_mountpoint(path: Path) -> bool:
    target = str(path.resolve()) if path.exists() else str(path)
    with open("/proc/self/mountinfo") as info:
        return any(line.split()[4] == target for line in info)


def _run(argv: Sequence[str]) -> None:
    result = subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=30)
    if result.returncode != 0:
        raise ControlPlaneError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()}")
