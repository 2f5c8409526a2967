from __future__ import annotations

import os
from pathlib import Path

import pytest

from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.paths import (
    REPO_ROOT,
    cache_bin_dir,
    crds_dir,
    default_state_dir,
    find_binary,
    require_binary,
)


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_state_dir_default_and_override() -> None:
    assert default_state_dir({}) == REPO_ROOT / ".localcp"
    assert default_state_dir({"VAULT_K8S_STATE": ""}) == REPO_ROOT / ".localcp"
    assert default_state_dir({"VAULT_K8S_STATE": "/x/y"}) == Path("/x/y")


def test_cache_bin_dir() -> None:
    assert cache_bin_dir({"VAULT_K8S_CACHE": "/c"}) == Path("/c/bin")
    assert cache_bin_dir({"HOME": "/h"}) == Path("/h/.cache/vault-k8s/bin")


def test_crds_dir_is_shared_sibling() -> None:
    assert crds_dir() == REPO_ROOT.parent / "shared" / "crds"


def test_cache_wins_over_extra_and_path(tmp_path: Path) -> None:
    cached = _exe(tmp_path / "cache" / "bin" / "etcd")
    extra = _exe(tmp_path / "venv" / "etcd")
    on_path = _exe(tmp_path / "path" / "etcd")
    env = {"VAULT_K8S_CACHE": str(tmp_path / "cache"), "PATH": str(on_path.parent)}
    assert find_binary("etcd", env, [extra.parent]) == cached
    cached.unlink()
    assert find_binary("etcd", env, [extra.parent]) == extra
    assert find_binary("etcd", env) == on_path


def test_non_executable_is_skipped(tmp_path: Path) -> None:
    plain = tmp_path / "cache" / "bin" / "etcd"
    plain.parent.mkdir(parents=True)
    plain.write_text("")
    env = {"VAULT_K8S_CACHE": str(tmp_path / "cache"), "PATH": ""}
    assert find_binary("etcd", env) is None
    with pytest.raises(ControlPlaneError, match="'etcd' not found"):
        require_binary("etcd", env)


def test_path_entries_split() -> None:
    env = {
        "VAULT_K8S_CACHE": "/nonexistent",
        "PATH": os.pathsep.join(["/nope", "/bin"]),
    }
    assert find_binary("sh", env) == Path("/bin/sh")
