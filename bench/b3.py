"""B3: secret change to delivery, per method; measured by the delivery tests and recorded here."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from bench import results
from bench.measure import ROOT

RECORD_ENV = "VAULT_K8S_RECORD_B3"


def run() -> dict[str, Any]:
    print("b3: delivery latency (tests/delivery against the local control plane and controllers)", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/delivery", "-o", "addopts=", "-q"],
        cwd=ROOT, env={**os.environ, RECORD_ENV: "1"}, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"b3: the delivery tests failed (exit {done.returncode}); nothing recorded")
    section: dict[str, Any] = results.load().get("b3", {})
    for method in ("vso", "injector"):
        figures = section.get(method, {})
        print(f"  {method:<9} {figures.get('changes')} changes  p50 {figures.get('p50_s')} s  "
              f"max {figures.get('max_s')} s  bound {figures.get('bound')}")  # fmt: skip
    return section
