from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from localenv.controlplane.processes import (
    ProcessId,
    is_running,
    parse_stat,
    read_stat,
    spawn,
    tail,
    terminate,
)

STAT = "1234 (we ird) name)) S 1 1234 1234 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0"


def test_parse_stat_handles_parentheses_in_name() -> None:
    assert parse_stat(STAT) == ("S", 987654)
    assert parse_stat("garbage") is None


def test_read_stat_self() -> None:
    stat = read_stat(1 if Path("/proc/1/stat").exists() else 0)
    assert stat is None or stat[1] >= 0
    assert read_stat(2**22 + 12345) is None


def test_spawn_and_terminate(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "sleep.log"
    proc = spawn(
        [
            sys.executable,
            "-c",
            "print('hello', flush=True); import time; time.sleep(60)",
        ],
        log,
    )
    assert is_running(proc)
    assert terminate(proc, timeout=5) is False
    assert not is_running(proc)


def test_terminate_escalates_to_sigkill(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    log = tmp_path / "stubborn.log"
    proc = spawn([sys.executable, "-c", code], log)
    for _ in range(100):
        if "ready" in log.read_text():
            break
        time.sleep(0.05)
    assert terminate(proc, timeout=0.5) is True
    assert not is_running(proc)


def test_wrong_start_time_is_never_signalled(tmp_path: Path) -> None:
    sleep = shutil.which("sleep") or "/bin/sleep"
    proc = spawn([sleep, "30"], tmp_path / "s.log")
    impostor = ProcessId(proc.pid, proc.start_ticks + 1)
    assert not is_running(impostor)
    assert terminate(impostor, timeout=0.5) is False
    assert is_running(proc)
    terminate(proc, timeout=5)
    assert not is_running(proc)


def test_tail(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("\n".join(str(i) for i in range(100)))
    assert tail(log, 3) == "97\n98\n99"
    assert "no log" in tail(tmp_path / "missing.log")
