"""Run the whole program under Pulumi mocks and record what it registers."""

from __future__ import annotations

import base64
import copy
import json
import os
import runpy
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import yaml
from pulumi.runtime import config as runtime_config
from pulumi.runtime.mocks import MockMonitor

from stackconfig.load import MODEL_KEYS, NAMESPACE, StackConfigError, parse_stack_config
from stackconfig.models import StackConfig

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
REVIEWER_JWT = "eyJhbGciOiJSUzI1NiJ9.reviewer-token-for-tests.sig"
VAULT_TOKEN_KEY = "vault-k8s:vaultToken"
DEMO_VAULT_TOKEN = "dev-root-token-for-tests"


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
    urn: str = ""
    dependencies: list[str] = field(default_factory=list)
    """URNs this resource waits for (depends_on, with components expanded to their children)."""
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    provider: str = ""
    """The provider reference (`<provider URN>::<id>`); empty for a default provider, a component or a provider."""
    custom: bool = True
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    """The aliases as sent: (name, type, parent URN) of each spec, "" where the spec keeps the current one."""


# What RecordingMonitor knows of the registration in progress on this thread.
_REQUEST = threading.local()


class RecordingMonitor(MockMonitor):
    """The mock monitor, also handing the recorder what mocks leave out: URN, dependencies, options."""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802  (the gRPC method name)
        _REQUEST.value = {
            "urn": self.make_urn(request.parent, request.type, request.name),
            "dependencies": list(request.dependencies),
            "retain_on_delete": bool(request.retainOnDelete),
            "ignore_changes": list(request.ignoreChanges),
            "delete_before_replace": bool(request.deleteBeforeReplace),
            "aliases": [(a.spec.name, a.spec.type, a.spec.parentUrn) for a in request.aliases],
        }
        try:
            return super().RegisterResource(request)
        finally:
            _REQUEST.value = None


def open_secrets(value: Any, opened: Callable[[Any], tuple[bool, Any]]) -> tuple[Any, bool]:
    """`value` with every secret envelope replaced by its content, and whether it held any. `opened(v)` says whether
    `v` is an envelope and, if so, what it holds (the engine's wire form and the state file spell them apart)."""
    is_secret, inner = opened(value)
    if is_secret:
        return open_secrets(inner, opened)[0], True
    if isinstance(value, dict):
        pairs = {k: open_secrets(v, opened) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [open_secrets(v, opened) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _wire_secret(value: Any) -> tuple[bool, Any]:
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return True, value.get("value")
    return False, None


def _unwrap(value: Any) -> tuple[Any, bool]:
    """Strip the engine's secret envelope; say whether any part was secret."""
    return open_secrets(value, _wire_secret)


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
        registered = Registered(args.typ, args.name, inputs, bool(args.resource_id), secret)
        for option, value in (getattr(_REQUEST, "value", None) or {}).items():
            setattr(registered, option, value)
        registered.provider = args.provider or ""
        registered.custom = True if args.custom is None else bool(args.custom)
        self.resources.append(registered)
        state = dict(inputs)
        if args.typ == "kubernetes:core/v1:Secret" and args.resource_id:
            state["data"] = {"token": base64.b64encode(REVIEWER_JWT.encode()).decode()}
        if args.typ == "vault:index/authBackend:AuthBackend":
            state.setdefault("path", args.inputs.get("type"))
        return (args.resource_id or f"{args.name}-id", state)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        return ({}, None)

    def by_name(self, name: str, typ: str | None = None) -> Registered:
        """The one resource of that name (and type, where names repeat across types)."""
        found = [r for r in self.resources if r.name == name and (typ is None or r.type == typ)]
        assert len(found) == 1, f"{name}: {len(found)} registrations"
        return found[0]

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def names(self) -> list[str]:
        return sorted(r.name for r in self.resources)


def stack_config(stack: str) -> dict[str, Any]:
    data = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text()) or {}
    return dict(data.get("config") or {})


def declared(config: Mapping[str, Any]) -> StackConfig | None:
    """The config (values as in a stack file) as the program validates it; None when it is refused (the program
    then says why)."""
    prefix = f"{NAMESPACE}:"
    raw = {k.removeprefix(prefix): v for k, v in config.items() if k.removeprefix(prefix) in MODEL_KEYS}
    try:
        return parse_stack_config(copy.deepcopy(raw))
    except StackConfigError:
        return None


def demo_secret_values(config: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """A value for every key the config seeds, as `pulumi config set --secret --path` would store."""
    cfg = declared(config)
    seeded = cfg.seeded_secrets() if cfg else {}
    return {name: {k: f"{name.split('/', 1)[1]}-{k}-value" for k in keys} for name, keys in seeded.items()}


def demo_database_passwords(config: Mapping[str, Any]) -> dict[str, str]:
    """An admin password for every declared database connection."""
    cfg = declared(config)
    connections = cfg.database_connections() if cfg else []
    return {name: f"{name.rsplit('/', 1)[1]}-admin-password" for name in connections}


def vault_from_chart(config: Mapping[str, Any]) -> bool:
    """Whether the config's Vault is the in-cluster one, which needs `vaultToken`."""
    cfg = declared(config)
    return cfg is not None and cfg.vault_from_chart()


def write_kubeconfig(path: Path, contexts: Iterable[str]) -> Path:
    """A kubeconfig with these contexts (each its own cluster and user); what the loader reads."""
    names = list(contexts)
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": f"https://{n}.example:6443"}} for n in names],
        "users": [{"name": n, "user": {"token": "test"}} for n in names],
        "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in names],
        "current-context": names[0] if names else "",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def shipped_contexts() -> list[str]:
    """The contexts the shipped stacks name without a kubeconfig of their own (found through $KUBECONFIG)."""
    found = []
    for stack_file in sorted(STACKS.glob("Pulumi.*.yaml")):
        cluster = ((yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}).get("vault-k8s:kubernetes")
        if isinstance(cluster, dict) and cluster.get("context") and not cluster.get("kubeconfig"):
            found.append(cluster["context"])
    return found


@cache
def ambient_kubeconfig() -> Path:
    """What $KUBECONFIG points at while the program runs under mocks: the shipped stacks' contexts."""
    return write_kubeconfig(Path(tempfile.mkdtemp(prefix="vault-k8s-kube-")) / "config", shipped_contexts())


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
    env: Mapping[str, str] | None = None,
    database_passwords: bool = True,
    vault_token: bool = True,
) -> Run:
    """Evaluate __main__.py with `config` (values as in a stack file) under mocks.

    With `database_passwords`, a config that declares databases but no `databasePasswords` gets one (secret) per
    connection, as a user sets them once per stack. With `vault_token`, a config of the in-cluster Vault without
    `vaultToken` gets DEMO_VAULT_TOKEN (secret), likewise.

    `check(globals)` may return an Output; it is awaited so assertions inside `.apply` run.
    Pass your own `recorder` to inspect registrations when the program raises.
    $KUBECONFIG is `ambient_kubeconfig()` unless `env` says otherwise.
    """
    secret_keys = list(secret_keys or [])
    passwords_key = "vault-k8s:databasePasswords"
    if database_passwords and passwords_key not in config and demo_database_passwords(config):
        config = {**config, passwords_key: demo_database_passwords(config)}
        secret_keys.append(passwords_key)
    if vault_token and VAULT_TOKEN_KEY not in config and vault_from_chart(config):
        config = {**config, VAULT_TOKEN_KEY: DEMO_VAULT_TOKEN}
        secret_keys.append(VAULT_TOKEN_KEY)
    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    runtime_config.set_all_config(flat, secret_keys)
    recorder = recorder if recorder is not None else Recorder()
    pulumi.runtime.set_mocks(
        recorder, project="vault-k8s", stack=stack, preview=False, monitor=RecordingMonitor(recorder)
    )
    holder: dict[str, Any] = {}

    @pulumi.runtime.test
    def evaluate() -> Any:
        with _cwd(cwd):
            holder.update(runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"))
        return check(holder) if check else None

    with mock.patch.dict(os.environ, {"KUBECONFIG": str(ambient_kubeconfig()), **(env or {})}):
        evaluate()
    return Run(recorder, holder)


PROD_VAULT_CA = "-----BEGIN CERTIFICATE-----\nVAULT-CA\n-----END CERTIFICATE-----\n"
PROD_KUBE_CA = "-----BEGIN CERTIFICATE-----\nKUBE-CA\n-----END CERTIFICATE-----\n"


def prod_project(directory: Path, vault_ca: str = PROD_VAULT_CA, kube_ca: str = PROD_KUBE_CA) -> Path:
    """A project folder for the prod stack: Pulumi.yaml and the two CA files its config names."""
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    (directory / "certs").mkdir()
    (directory / "certs" / "vault-ca.pem").write_text(vault_ca)
    (directory / "certs" / "kubernetes-ca.pem").write_text(kube_ca)
    return directory


def run_stack(stack: str, cwd: Path = ROOT, check: Any = None) -> Run:
    config = stack_config(stack)
    values = demo_secret_values(config)
    secret_keys = []
    if values:
        config["vault-k8s:secretValues"] = values
        secret_keys = ["vault-k8s:secretValues"]
    return run_program(config, stack=stack, secret_keys=secret_keys, cwd=cwd, check=check)
