"""Run a command in a fresh process and measure its wall time and peak resident memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IMPORT_FLOOR = "import pulumi, pulumi_kubernetes, pulumi_vault"


class MeasureError(RuntimeError):
    """A measured process failed."""


@dataclass(frozen=True)
class Sample:
    wall_s: float
    maxrss_mib: float
    phases: dict[str, float] = field(default_factory=dict)


def run_measured(argv: list[str], cwd: Path = ROOT, timeout_s: float = 600.0) -> Sample:
    """Spawn `argv`, wait for it with wait4 so its own rusage is known; parse a JSON last line if any."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise MeasureError(f"{' '.join(argv)} exited {proc.returncode}:\n{tail}")
    return Sample(wall, usage.ru_maxrss / 1024.0, _phases(stdout))


def _phases(stdout: str) -> dict[str, float]:
    lines = [line for line in stdout.strip().splitlines() if line.startswith("{")]
    if not lines:
        return {}
    data: dict[str, Any] = json.loads(lines[-1])
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)}


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


def import_floor() -> Sample:
    return run_measured(python_argv("-c", IMPORT_FLOOR))


def worker(mode: str, n: int, path: Path | None = None) -> Sample:
    extra = [str(path)] if path is not None else []
    return run_measured(python_argv("-m", "bench.worker", mode, str(n), *extra))
