"""Evaluate a Pulumi program body under the test harness's mocks, as `tests/program/harness.py` does."""

from __future__ import annotations

import json
import os
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from tests.program.harness import ROOT, Recorder

STACK = "bench"


@dataclass
class Extra:
    custom: bool
    provider: str | None
    resource_id: str | None


@dataclass
class BenchRecorder(Recorder):
    """The harness recorder, also keeping what the flat replay needs: custom-ness and provider refs."""

    extras: list[Extra] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        result = super().new_resource(args)
        custom = True if args.custom is None else bool(args.custom)
        self.extras.append(Extra(custom, args.provider or None, args.resource_id or None))
        return result


def evaluate(
    config: dict[str, Any],
    secret_keys: list[str],
    body: Callable[[], Any],
    recorder: Recorder | None = None,
) -> Recorder:
    """Set config and mocks, then run `body` inside `pulumi.runtime.test`; an Output it returns is awaited."""
    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    runtime_config.set_all_config(flat, secret_keys)
    recorder = recorder if recorder is not None else Recorder()
    pulumi.runtime.set_mocks(recorder, project="vault-k8s", stack=STACK, preview=False)

    @pulumi.runtime.test
    def run() -> Any:
        return body()

    run()
    return recorder


def run_main(into: dict[str, Any] | None = None, after: Callable[[dict[str, Any]], Any] | None = None) -> Any:
    """Run the project's `__main__.py` from the project directory; `after(globals)` may return an Output."""
    before = Path.cwd()
    os.chdir(ROOT)
    try:
        found = runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
    finally:
        os.chdir(before)
    if into is not None:
        into.update(found)
    return after(found) if after else None
