"""The files in the state directory that describe a running control plane."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path
from typing import Any

from .errors import ControlPlaneError

ENV_JSON = "env.json"
ENV_SH = "env.sh"
PROCESSES_JSON = "processes.json"
# Only a directory carrying this file is ever deleted.
MARKER = ".vault-k8s-localcp"


def render_env_sh(env: dict[str, str]) -> str:
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())


def _write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    os.replace(tmp, path)


def write_env(state_dir: Path, env: dict[str, str]) -> None:
    _write_atomic(state_dir / ENV_JSON, json.dumps(env, indent=2) + "\n")
    _write_atomic(state_dir / ENV_SH, render_env_sh(env))


def read_env(state_dir: Path) -> dict[str, str]:
    data = _read_json(state_dir / ENV_JSON)
    return {str(k): str(v) for k, v in data.items()}


def write_processes(state_dir: Path, data: dict[str, Any]) -> None:
    _write_atomic(state_dir / PROCESSES_JSON, json.dumps(data, indent=2) + "\n")


def read_processes(state_dir: Path) -> dict[str, Any]:
    return _read_json(state_dir / PROCESSES_JSON)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ControlPlaneError(f"no control plane state at {path.parent} ({path.name} missing)") from exc
    except json.JSONDecodeError as exc:
        raise ControlPlaneError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ControlPlaneError(f"{path} does not hold a JSON object")
    return data


def is_ours(state_dir: Path) -> bool:
    return (state_dir / MARKER).is_file()


def prepare(state_dir: Path) -> None:
    """Create an empty state directory, refusing to take over one that is not ours."""
    if state_dir.exists():
        if any(state_dir.iterdir()) and not is_ours(state_dir):
            raise ControlPlaneError(
                f"{state_dir} is not empty and was not created by the control plane; choose another --state"
            )
        remove(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    (state_dir / MARKER).write_text("")


def remove(state_dir: Path) -> None:
    if not state_dir.exists():
        return
    if any(state_dir.iterdir()) and not is_ours(state_dir):
        raise ControlPlaneError(f"refusing to delete {state_dir}: it was not created by the control plane")
    shutil.rmtree(state_dir)
