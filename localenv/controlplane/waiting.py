"""Bounded waits that fail with the name of what did not come up and the tail of its log."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .errors import ControlPlaneError
from .processes import ProcessId, is_running, tail


def wait_until(
    check: Callable[[], bool],
    what: str,
    timeout: float,
    *,
    log: Path | None = None,
    process: ProcessId | None = None,
    interval: float = 0.2,
) -> float:
    """Poll `check` until it is true; returns the seconds waited."""
    start = time.monotonic()
    deadline = start + timeout
    last_error = ""
    while True:
        try:
            if check():
                return time.monotonic() - start
        except Exception as exc:  # noqa: BLE001 - any failure just means "not yet"
            last_error = f"{type(exc).__name__}: {exc}"
        if process is not None and not is_running(process):
            raise ControlPlaneError(_message(f"{what}: process {process.pid} exited", log, last_error))
        if time.monotonic() >= deadline:
            raise ControlPlaneError(_message(f"{what}: not ready after {timeout:.0f}s", log, last_error))
        time.sleep(interval)


def _message(headline: str, log: Path | None, last_error: str) -> str:
    parts = [headline]
    if last_error:
        parts.append(f"last error: {last_error}")
    if log is not None:
        parts.append(f"last lines of {log}:\n{tail(log)}")
    return "\n".join(parts)
