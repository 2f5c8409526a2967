"""Run the whole program under Pulumi mocks and record what it registers."""

from __future__ import annotations

import base64
import json
import os
import runpy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
REVIEWER_JWT = "eyJhbGciOiJSUzI1NiJ9.reviewer-token-for-tests.sig"


SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    read: bool
    secret_inputs: set[str] = field(default_factory=set)
    """Top-level input names whose value (or part of it) is a Pulumi secret."""


def _unwrap(value: Any) -> tuple[Any, bool]:
    """Strip the engine's secret envelope; say whether any part was secret."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            inner, _ = _unwrap(value.get("value"))
            return inner, True
        pairs = {k: _unwrap(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_unwrap(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


@dataclass
class Recorder(pulumi.runtime.Mocks):
    resources: list[Registered] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs: dict[str, Any] = {}
        secret: set[str] = set()
        for key, raw in args.inputs.items():
            inputs[key], is_secret = _unwrap(raw)
            if is_secret:
                secret.add(key)
        self.resources.append(Registered(args.typ, args.name, inputs, bool(args.resource_id), secret))
        state = dict(inputs)
        if args.typ == "kubernetes:core/v1:Secret" and args.resource_id:
            state["data"] = {"token": base64.b64encode(REVIEWER_JWT.encode()).decode()}
        if args.typ == "vault:index/authBackend:AuthBackend":
            state.setdefault("path", args.inputs.get("type"))
        return (args.resource_id or f"{args.name}-id", state)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        return ({}, None)

    def by_name(self, name: str) -> Registered:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"{name}: {len(found)} registrations"
        return found[0]

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def names(self) -> list[str]:
        return sorted(r.name for r in self.resources)


def stack_config(stack: str) -> dict[str, Any]:
    data = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text()) or {}
    return dict(data.get("config") or {})


def demo_secret_values(config: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A value for every seeded key, as `pulumi config set --secret --path` would store."""
    return {
        f"{m['path']}/{s['path']}": {k: f"{s['path']}-{k}-value" for k in s["keys"]}
        for m in config.get("vault-k8s:kv", [])
        for s in m.get("secrets", [])
        if s.get("seed", True)
    }


@dataclass
class Run:
    recorder: Recorder
    globals: dict[str, Any]


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_program(
    config: dict[str, Any],
    stack: str = "test",
    secret_keys: list[str] | None = None,
    cwd: Path = ROOT,
    check: Any = None,
    recorder: Recorder | None = None,
) -> Run:
    """Evaluate __main__.py with `config` (values as in a stack file) under mocks.

    `check(globals)` may return an Output; it is awaited so assertions inside `.apply` run.
    Pass your own `recorder` to inspect registrations when the program raises.
    """
    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    runtime_config.set_all_config(flat, secret_keys or [])
    recorder = recorder if recorder is not None else Recorder()
    pulumi.runtime.set_mocks(recorder, project="vault-k8s", stack=stack, preview=False)
    holder: dict[str, Any] = {}

    @pulumi.runtime.test
    def evaluate() -> Any:
        with _cwd(cwd):
            holder.update(runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"))
        return check(holder) if check else None

    evaluate()
    return Run(recorder, holder)


def run_stack(stack: str, cwd: Path = ROOT, check: Any = None) -> Run:
    config = stack_config(stack)
    values = demo_secret_values(config)
    secret_keys = []
    if values:
        config["vault-k8s:secretValues"] = values
        secret_keys = ["vault-k8s:secretValues"]
    return run_program(config, stack=stack, secret_keys=secret_keys, cwd=cwd, check=check)
