"""Start one controller process detached, wait for its health check, and record it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests

from localenv.controlplane.processes import spawn, terminate
from localenv.controlplane.waiting import wait_until

from . import records

# Our own and the control plane's client settings; a controller gets what it needs on its command line.
_DROPPED_ENV = ("KUBECONFIG", "VAULT_TOKEN", "BAO_TOKEN", "VAULT_ADDR", "BAO_ADDR", "VAULT_CACERT", "BAO_CACERT",
                "VAULT_UNSEAL_KEY", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")  # fmt: skip


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(extra)
    return env


def launch(
    state_dir: Path,
    name: str,
    argv: Sequence[str],
    log: Path,
    env: Mapping[str, str],
    healthy: Callable[[], bool],
    timeout: float,
    cwd: Path | None = None,
) -> records.Record:
    """Spawn `argv`, record it, and wait until `healthy()`; on failure stop it and raise with its log's tail."""
    proc = spawn(argv, log, env=env, cwd=cwd)
    record = records.Record(name, proc.pid, proc.start_ticks, list(argv), str(log))
    records.add(state_dir, record)
    try:
        wait_until(healthy, f"{name} health", timeout, log=log, process=proc)
    except BaseException:
        terminate(proc)
        records.stop(state_dir, name)
        raise
    return record


def answers_ok(url: str, ca_file: Path | None = None, ok: tuple[int, ...] = (200,)) -> bool:
    """A controller's health endpoint on loopback answers with one of `ok` (https verified with `ca_file`)."""
    response = requests.get(
        url, verify=str(ca_file) if ca_file else True, timeout=2.0, proxies={"http": "", "https": ""}
    )
    return response.status_code in ok
