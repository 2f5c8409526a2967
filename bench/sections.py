"""The benchmark sections. B1 is here; B2 and B3 are hooks that say why they did not run.

To add B2 (real engine) or B3 (delivery latency): create `bench/b2.py` / `bench/b3.py` with
`run() -> dict` that measures, prints its table and merges its own section with
`bench.results.merge_section`; list what it needs in `prerequisites` below.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

from bench import results
from bench.measure import ROOT


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    prerequisites: list[Callable[[], str | None]] = field(default_factory=list)
    """Each returns None when met, else what is missing."""

    def implemented(self) -> bool:
        return importlib.util.find_spec(f"bench.{self.name}") is not None

    def missing(self) -> list[str]:
        if not self.implemented():
            return [f"bench/{self.name}.py is not written yet"]
        return [m for m in (check() for check in self.prerequisites) if m]


def _pulumi_cli() -> str | None:
    """The Pulumi CLI from the project toolchain (`make toolchain`), or on PATH."""
    try:
        found = subprocess.run(
            ["bash", str(ROOT / "localenv" / "toolchain.sh"), "bindir"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        bindir = found.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        bindir = ""
    if (bindir and (ROOT / bindir / "pulumi").exists()) or shutil.which("pulumi"):
        return None
    return "the pulumi CLI (make toolchain)"


SECTIONS = {
    "b1": Section("b1", "program evaluation under mocks"),
    # B2 HOOK: real engine (`pulumi preview`/`up` against the local control plane).
    "b2": Section("b2", "real engine", [_pulumi_cli]),
    # B3 HOOK: delivery latency (secret change in Vault to the value seen by each app).
    "b3": Section("b3", "delivery latency", [_pulumi_cli]),
}


def run_section(name: str, **options: object) -> bool:
    """Run one section; print and record "not run" with the reason when it cannot run."""
    section = SECTIONS[name]
    missing = section.missing()
    if missing:
        reason = "; ".join(missing)
        print(f"{name} ({section.title}): not run: {reason}", flush=True)
        results.mark_not_run(name, reason)
        return False
    module = importlib.import_module(f"bench.{name}")
    module.run(**options)
    return True
