"""Unit tests of the pure derivations (`derive/`) and the config layer (`stackconfig/`).

Shared helpers: the stacks' config as validated models, and the tutorial the dev stack reproduces.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from stackconfig.load import NAMESPACE, parse_stack_config
from stackconfig.models import AppDecl, StackConfig
from tests.program.harness import stack_config

TUTORIAL = Path(__file__).resolve().parents[3] / "shared" / "seed" / "vault-k8s-integration.ko.md"


def raw_stack(name: str) -> dict[str, Any]:
    """A stack file's `vault-k8s:*` values without the namespace, as the loader hands them over."""
    prefix = f"{NAMESPACE}:"
    return {k.removeprefix(prefix): copy.deepcopy(v) for k, v in stack_config(name).items()}


def load_stack(name: str) -> StackConfig:
    return parse_stack_config(raw_stack(name))


def app(cfg: StackConfig, name: str) -> AppDecl:
    found = [a for a in cfg.apps if a.name == name]
    assert len(found) == 1, f"{name}: {len(found)} apps"
    return found[0]


def tutorial_text() -> str:
    return TUTORIAL.read_text(encoding="utf-8")
