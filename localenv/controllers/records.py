"""The controllers' processes, recorded in the control plane's state directory so any later run can stop them."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from localenv.controlplane.processes import ProcessId, is_running, terminate, wait_gone

DIR = "controllers"
FILE = "processes.json"


@dataclass(frozen=True)
class Record:
    name: str
    pid: int
    start_ticks: int
    argv: list[str]
    log: str

    @property
    def process(self) -> ProcessId:
        return ProcessId(self.pid, self.start_ticks)

    def running(self) -> bool:
        return is_running(self.process)


def controllers_dir(state_dir: Path) -> Path:
    return state_dir / DIR


def _path(state_dir: Path) -> Path:
    return controllers_dir(state_dir) / FILE


def read(state_dir: Path) -> dict[str, Record]:
    try:
        data = json.loads(_path(state_dir).read_text())
    except FileNotFoundError:
        return {}
    return {name: Record(**entry) for name, entry in data.items()}


def _write(state_dir: Path, records: dict[str, Record]) -> None:
    path = _path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({n: asdict(r) for n, r in records.items()}, indent=2) + "\n")
    os.replace(tmp, path)


def add(state_dir: Path, record: Record) -> None:
    records = read(state_dir)
    records[record.name] = record
    _write(state_dir, records)


def running(state_dir: Path, name: str) -> Record | None:
    record = read(state_dir).get(name)
    return record if record is not None and record.running() else None


def stop(state_dir: Path, name: str, timeout: float = 15.0) -> int | None:
    """Stop the recorded process `name` (only if it is still the same process); returns its pid."""
    records = read(state_dir)
    record = records.pop(name, None)
    if record is None:
        return None
    terminate(record.process, timeout)
    if not wait_gone(record.process, 5.0):
        raise RuntimeError(f"{name} (pid {record.pid}) did not exit after SIGKILL")
    _write(state_dir, records)
    return record.pid
