"""The shared results file `{"b1": {...}, "b2": {...}, "b3": {...}}`: each section merged in, never the whole file."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULTS_FILE = RESULTS_DIR / "results.json"
SECTIONS = ("b1", "b2", "b3")
PACKAGES = ("pulumi", "pulumi-kubernetes", "pulumi-vault", "pydantic")


def load(path: Path = RESULTS_FILE) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of sections")
    return data


def merge_section(name: str, section: dict[str, Any], path: Path = RESULTS_FILE) -> dict[str, Any]:
    """Replace one section, keep every other one as it is."""
    data = load(path)
    data[name] = section
    _write(data, path)
    return data


def mark_not_run(name: str, reason: str, path: Path = RESULTS_FILE) -> dict[str, Any]:
    """Record that a section did not run, unless the file already holds results for it."""
    data = load(path)
    if name in data and data[name].get("status") != "not run":
        return data
    data[name] = {"status": "not run", "reason": reason, "timestamp": now()}
    _write(data, path)
    return data


def _write(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = {k: data[k] for k in (*SECTIONS, *sorted(set(data) - set(SECTIONS))) if k in data}
    temp = path.with_suffix(".json.tmp")
    temp.write_text(json.dumps(ordered, indent=2, sort_keys=False) + "\n")
    os.replace(temp, path)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_mib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_mib": _memory_mib(),
        "load_average": list(os.getloadavg()),
        "packages": {p: _version(p) for p in PACKAGES},
    }
