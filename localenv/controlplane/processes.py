"""Starting and stopping server processes by pid, checking identity so a reused pid is never signalled."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Popen objects of processes started here, kept so they are reaped and never reported as leaked.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcessId:
    """A pid plus its kernel start time: together they name one process for its whole life."""

    pid: int
    start_ticks: int


def read_stat(pid: int, proc: Path = Path("/proc")) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) of `pid`, or None if it does not exist."""
    try:
        raw = (proc / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return parse_stat(raw)


def parse_stat(raw: str) -> tuple[str, int] | None:
    # The command name may contain spaces and parentheses; fields resume after the last ')'.
    _, sep, rest = raw.rpartition(")")
    if not sep:
        return None
    fields = rest.split()
    if len(fields) < 20:
        return None
    return fields[0], int(fields[19])


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            _CHILDREN.pop(pid, None)
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


class Started:
    """What a state file records of a process it started: its pid and start time (None until started)."""

    pid: int | None
    start_ticks: int | None

    @property
    def process(self) -> ProcessId | None:
        if self.pid is None or self.start_ticks is None:
            return None
        return ProcessId(self.pid, self.start_ticks)

    def running(self) -> bool:
        proc = self.process
        return proc is not None and is_running(proc)


def is_running(proc_id: ProcessId) -> bool:
    _reap(proc_id.pid)
    stat = read_stat(proc_id.pid)
    if stat is None:
        return False
    state, ticks = stat
    return ticks == proc_id.start_ticks and state not in ("Z", "X")


def spawn(
    argv: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> ProcessId:
    """Start `argv` detached from our session, appending its output to `log_path`; as `user` if given."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            # Own session: Ctrl-C in the shell that ran `start` must not stop the cluster.
            start_new_session=True,
            user=user,
        )
    _CHILDREN[child.pid] = child
    stat = read_stat(child.pid)
    ticks = stat[1] if stat else -1
    return ProcessId(child.pid, ticks)


def wait_gone(proc_id: ProcessId, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if not is_running(proc_id):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def terminate(proc_id: ProcessId, timeout: float = 15.0, first: signal.Signals = signal.SIGTERM) -> bool:
    """`first` (SIGTERM), wait up to `timeout`, then SIGKILL. Returns True if it had to be killed."""
    if not is_running(proc_id):
        return False
    try:
        os.kill(proc_id.pid, first)
    except ProcessLookupError:
        return False
    if wait_gone(proc_id, timeout):
        return False
    if is_running(proc_id):
        try:
            os.kill(proc_id.pid, signal.SIGKILL)
        except ProcessLookupError:
            return True
    wait_gone(proc_id, 5.0)
    return True


def tail(path: Path, lines: int = 25) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:])
