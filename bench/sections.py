"""The benchmark sections: B1 under mocks, B2 on the real engine and node, B3 delivery latency in the node's pods.

Each section module has `run() -> dict`, prints its table and merges its own section with
`bench.results.merge_section`; `prerequisites` lists what it needs.
"""

from __future__ import annotations

import importlib
import importlib.util
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


def _toolchain(*groups: str) -> Callable[[], str | None]:
    """The binaries `make toolchain` builds, checked by `localenv/toolchain.sh check`."""

    def check() -> str | None:
        argv = ["bash", str(ROOT / "localenv" / "toolchain.sh"), "check", *groups]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"toolchain check failed to run: {error}"
        if done.returncode == 0:
            return None
        detail = (done.stderr or done.stdout).strip().splitlines()
        return f"toolchain {' '.join(groups) or 'all'} (make toolchain): {detail[-1] if detail else 'missing'}"

    return check


SECTIONS = {
    "b1": Section("b1", "program evaluation under mocks"),
    "b2": Section("b2", "real engine on the real node, program vs flat program", [_toolchain()]),
    "b3": Section("b3", "delivery into pods on the real node, both servers", [_toolchain()]),
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
