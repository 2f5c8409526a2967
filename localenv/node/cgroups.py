"""The node's cgroups: one folder per hierarchy that kubelet's `cgroupRoot` points at, and everything under it
killed and removed at stop (cgroup v1, no systemd)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP_FS = Path("/sys/fs/cgroup")


def hierarchies(fs: Path = CGROUP_FS) -> list[Path]:
    """Every mounted hierarchy once (cpu and cpuacct may be one mount under two names)."""
    seen: set[Path] = set()
    result = []
    for entry in sorted(fs.iterdir()):
        real = entry.resolve()
        if real.is_dir() and real not in seen:
            seen.add(real)
            result.append(real)
    return result


def create_root(root: str, fs: Path = CGROUP_FS) -> None:
    for hierarchy in hierarchies(fs):
        folder = hierarchy / root.lstrip("/")
        folder.mkdir(exist_ok=True)
        if (hierarchy / "cpuset.cpus").exists():
            # A v1 cpuset takes no task until it has cpus and mems; inherit the parent's.
            for name in ("cpuset.cpus", "cpuset.mems"):
                (folder / name).write_text((hierarchy / name).read_text())


def pids_under(root: str, fs: Path = CGROUP_FS) -> set[int]:
    pids: set[int] = set()
    for hierarchy in hierarchies(fs):
        top = hierarchy / root.lstrip("/")
        if not top.is_dir():
            continue
        # os.walk skips folders that vanish mid-walk (runc removes a container's cgroup as it exits).
        for folder, _, files in os.walk(top):
            if "cgroup.procs" not in files:
                continue
            try:
                pids.update(int(p) for p in Path(folder, "cgroup.procs").read_text().split())
            except OSError:
                continue
    return pids


def kill_all(root: str, timeout: float = 15.0, fs: Path = CGROUP_FS) -> int:
    """SIGKILL every process in the node's cgroups until none is left; returns how many were signalled."""
    signalled: set[int] = set()
    deadline = time.monotonic() + timeout
    while pids := pids_under(root, fs):
        for pid in pids - signalled:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            signalled.add(pid)
        if time.monotonic() > deadline:
            raise TimeoutError(f"processes left in cgroup {root}: {sorted(pids)}")
        time.sleep(0.1)
    return len(signalled)


def remove_root(root: str, fs: Path = CGROUP_FS) -> None:
    """rmdir the tree bottom-up (cgroup folders are removed with rmdir, never their files)."""
    for hierarchy in hierarchies(fs):
        top = hierarchy / root.lstrip("/")
        if not top.is_dir():
            continue
        for folder, _, _ in sorted(os.walk(top), key=lambda entry: len(Path(entry[0]).parts), reverse=True):
            with contextlib.suppress(FileNotFoundError):
                Path(folder).rmdir()
