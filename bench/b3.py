"""B3: secret change to delivery, per method and per server; measured by the delivery tests and recorded here."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from bench import results
from bench.measure import ROOT
from localenv.controlplane.vaultserver import SERVER_ENV, SERVERS

RECORD_ENV = "VAULT_K8S_RECORD_B3"
METHODS = ("csi", "injector", "vso")


def run() -> dict[str, Any]:
    for server in SERVERS:
        print(f"b3: delivery latency against {server} (tests/delivery on the local control plane)", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/delivery", "-o", "addopts=", "-q"],
            cwd=ROOT, env={**os.environ, RECORD_ENV: "1", SERVER_ENV: server}, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"b3: the delivery tests failed against {server} (exit {done.returncode})")
    section: dict[str, Any] = results.load().get("b3", {})
    for server in SERVERS:
        for method in METHODS:
            figures = section.get(server, {}).get(method, {})
            print(f"  {server:<8} {method:<9} {figures.get('changes')} changes  p50 {figures.get('p50_s')} s  "
                  f"max {figures.get('max_s')} s  bound {figures.get('bound')}")  # fmt: skip
    return section
