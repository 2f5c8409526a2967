"""Install CRDs the way a chart does: create, or replace what is there, then wait for Established."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import ControlPlaneError
from .kubeapi import KubeApi

CRD_API_VERSION = "apiextensions.k8s.io/v1"
CRD_KIND = "CustomResourceDefinition"


def crd_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_crds(files: Iterable[Path]) -> list[dict[str, Any]]:
    crds: list[dict[str, Any]] = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            if doc.get("kind") != CRD_KIND:
                raise ControlPlaneError(f"{path}: expected a CustomResourceDefinition, got {doc.get('kind')}")
            crds.append(doc)
    return crds


def is_established(crd: dict[str, Any]) -> bool:
    conditions = crd.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def install_crds(api: KubeApi, root: Path, timeout: float = 60.0) -> list[str]:
    files = crd_files(root)
    if not files:
        raise ControlPlaneError(f"no CRD files under {root}")
    names = []
    for crd in load_crds(files):
        api.apply(crd)
        names.append(crd["metadata"]["name"])
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        pending = [n for n in pending if not is_established(api.read(CRD_API_VERSION, CRD_KIND, n) or {})]
        if not pending:
            break
        if time.monotonic() >= deadline:
            raise ControlPlaneError(f"CRDs not Established after {timeout:.0f}s: {', '.join(pending)}")
        time.sleep(0.2)
    return names
