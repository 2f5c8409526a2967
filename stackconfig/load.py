"""Read and validate the stack config before any resource is registered."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from stackconfig.charts import check_local_charts
from stackconfig.models import Key, KeyedError, KubernetesConfig, StackConfig, key_text

NAMESPACE = "vault-k8s"
SECRET_VALUES_KEY = "secretValues"
DATABASE_PASSWORDS_KEY = "databasePasswords"
VAULT_TOKEN_KEY = "vaultToken"
SECRET_KEYS = (SECRET_VALUES_KEY, DATABASE_PASSWORDS_KEY, VAULT_TOKEN_KEY)
# The vault chart writes `server.dev.devRootToken` unquoted into the dev server's environment
# (`value: {{ .Values.server.dev.devRootToken }}`): a token YAML reads as a number, a bool or null, or one with YAML
# syntax in it, breaks the StatefulSet. Starting with a letter rules out numbers; the words are YAML 1.1's.
_DEV_ROOT_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
_YAML_WORDS = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null"})
# The tags of the secret reference union, which pydantic puts in error locations.
REF_KINDS = ("kv", "pki", "database")
MODEL_KEYS = tuple(f.alias or name for name, f in StackConfig.model_fields.items())


@dataclass(frozen=True)
class Problem:
    """One refused config value: the key under `vault-k8s:` it is about, as data (`("apps", 2, "name")`; `()` for
    the config as a whole), and why."""

    key: Key
    reason: str

    def __str__(self) -> str:
        where = f"{NAMESPACE}:{key_text(self.key)}" if self.key else NAMESPACE
        return f"config {where}: {self.reason}"


class StackConfigError(pulumi.RunError):
    """Invalid stack config: every problem found, each with its key as data. The message (what `pulumi up`
    prints) has one line a problem, `config vault-k8s:<key>: <reason>`."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, key: Key, reason: str) -> StackConfigError:
        """The error of a single problem."""
        return cls([Problem(key, reason)])


@dataclass(frozen=True)
class LoadedConfig:
    """Validated config plus what it points at (CA files, secret seed values)."""

    stack: StackConfig
    vault_ca_path: str | None = None
    vault_ca_pem: str | None = None
    kube_ca_pem: str | None = None
    # "<mount>/<path>" -> JSON of the values to seed; every one a Pulumi secret.
    seed_values: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    # "<mount>/<connection>" -> the database admin's password, a Pulumi secret.
    database_passwords: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    # ChartsConfig field ("vault", "csi_driver", "vso") -> the absolute path of its checked local chart, for each
    # chart pinned by `path`.
    chart_paths: dict[str, str] = field(default_factory=dict)
    # `vaultToken`, a Pulumi secret: the dev server's root token and the Vault provider's token. None: the provider
    # reads VAULT_TOKEN (only when Vault is not the chart's, StackConfig.vault_from_chart).
    vault_token: pulumi.Output[str] | None = None


def validation_problems(error: ValidationError) -> list[Problem]:
    """Pydantic's errors as problems, in its order: its location, plus the key a cross-field rule names."""
    problems = []
    for item in error.errors(include_url=False):
        # Drop the union tag pydantic adds for discriminated unions (`secrets[0].kv.path`),
        # but keep the top-level `kv` / `pki` keys.
        raw_loc = item["loc"]
        loc = tuple(
            p
            for i, p in enumerate(raw_loc)
            if not (p in REF_KINDS and i >= 2 and raw_loc[i - 2] == "secrets" and isinstance(raw_loc[i - 1], int))
        )
        reason = str(item["msg"]).removeprefix("Value error, ")
        # Cross-field rules carry the key they are about, relative to the model that raised them.
        raised = (item.get("ctx") or {}).get("error")
        if isinstance(raised, KeyedError):
            loc, reason = (*loc, *raised.key), raised.reason
        problems.append(Problem(loc, reason))
    return problems


def _present_keys() -> set[str]:
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :] for k in keys if k.startswith(prefix)}


def _refuse_unknown(keys: Iterable[str]) -> None:
    unknown = sorted(keys)
    if unknown:
        raise StackConfigError(Problem((k,), "unknown key") for k in unknown)


def parse_stack_config(raw: dict[str, Any]) -> StackConfig:
    """Validate plain config values; raise StackConfigError with every problem."""
    _refuse_unknown(set(raw) - set(MODEL_KEYS))
    try:
        return StackConfig.model_validate(raw)
    except ValidationError as error:
        raise StackConfigError(validation_problems(error)) from None


def _read_file(project_dir: Path, relative: str, key: Key) -> tuple[str, str]:
    path = (project_dir / relative).resolve()
    try:
        return str(path), path.read_text()
    except OSError as error:
        raise StackConfigError.at(key, f"cannot read {path}: {error.strerror}") from None


def _contexts(path: Path, key: Key) -> list[str]:
    """The context names of one kubeconfig file."""
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise StackConfigError.at(key, f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())  # one line per problem
        raise StackConfigError.at(key, f"{path} is not a kubeconfig: {reason}") from None
    entries = document.get("contexts") if isinstance(document, dict) else None
    if not isinstance(entries, list | None):
        raise StackConfigError.at(key, f"{path} is not a kubeconfig: `contexts` is not a list")
    return [str(e["name"]) for e in entries or [] if isinstance(e, dict) and e.get("name")]


def check_cluster(cluster: KubernetesConfig, project_dir: Path, environ: Mapping[str, str]) -> list[Path]:
    """Refuse a context the kubeconfig does not have, before the provider could fall back to another cluster.

    Reads what kubectl reads: the configured file, else every file in $KUBECONFIG, else ~/.kube/config.
    Returns the files read.
    """
    key: Key = ("kubernetes", "context")
    if cluster.kubeconfig:
        path = Path(cluster.kubeconfig).expanduser()
        files = [(project_dir / path).resolve()]
        found = _contexts(files[0], ("kubernetes", "kubeconfig"))
        where = str(files[0])
    else:
        listed = [Path(p).expanduser() for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
        if listed:
            where = f"$KUBECONFIG ({environ['KUBECONFIG']})"
        else:
            listed = [Path(environ.get("HOME") or Path.home()) / ".kube" / "config"]
            where = str(listed[0])
        # kubectl skips listed files that do not exist.
        files = [p for p in listed if p.is_file()]
        if not files:
            raise StackConfigError.at(
                key,
                f"no kubeconfig to find {cluster.context!r} in: {where} does not exist; "
                "set kubernetes.kubeconfig or KUBECONFIG",
            )
        found = [name for path in files for name in _contexts(path, key)]
    if cluster.context not in found:
        have = ", ".join(repr(n) for n in sorted(set(found))) or "none"
        raise StackConfigError.at(
            key,
            f"{cluster.context!r} is not a context in {where} (it has {have}); is this the cluster the stack is for?",
        )
    return files


def _secret_object(
    name: str, values: Any, is_secret: bool, wanted: Collection[str], shape: str, unknown: str
) -> tuple[dict[str, Any], list[Problem]] | None:
    """The checks every secret object shares: None when nothing is wanted nor given; else the object and the
    problems with names it should not have. Set plainly, or not an object, it is refused at once."""
    if not wanted and values is None:
        return None
    if values is not None and not is_secret:
        raise StackConfigError.at((name,), "must be a secret (pulumi config set --secret --path ...)")
    values = values or {}
    if not isinstance(values, dict):
        raise StackConfigError.at((name,), f"must be an object of {shape}")
    return values, [Problem((name, n), unknown) for n in values if n not in wanted]


def seed_values(cfg: StackConfig, values: Any, is_secret: bool) -> dict[str, pulumi.Output[str]]:
    """Match `secretValues` against the seeded KV secrets; wrap each as a Pulumi secret."""
    wanted = cfg.seeded_secrets()
    checked = _secret_object(
        SECRET_VALUES_KEY, values, is_secret, wanted, "'<mount>/<path>': {key: value}", "no such seeded kv secret"
    )
    if checked is None:
        return {}
    values, problems = checked
    for name, keys in wanted.items():
        given = values.get(name)
        if not isinstance(given, dict) or sorted(given) != sorted(keys):
            problems.append(
                Problem(
                    (SECRET_VALUES_KEY, name),
                    f"needs exactly the keys {sorted(keys)} "
                    f"(pulumi config set --secret --path '{SECRET_VALUES_KEY}[\"{name}\"].{keys[0]}' ...)",
                )
            )
        elif not all(isinstance(v, str) and v for v in given.values()):
            problems.append(Problem((SECRET_VALUES_KEY, name), "values must be non-empty strings"))
    if problems:
        raise StackConfigError(problems)
    return {name: pulumi.Output.secret(json.dumps(values[name], sort_keys=True)) for name in wanted}


def database_passwords(cfg: StackConfig, values: Any, is_secret: bool) -> dict[str, pulumi.Output[str]]:
    """Match `databasePasswords` against the declared connections; wrap each as a Pulumi secret."""
    wanted = cfg.database_connections()
    checked = _secret_object(
        DATABASE_PASSWORDS_KEY, values, is_secret, wanted, "'<mount>/<connection>': password",
        "no such database connection",
    )  # fmt: skip
    if checked is None:
        return {}
    values, problems = checked
    for name in wanted:
        given = values.get(name)
        if not isinstance(given, str) or not given:
            problems.append(
                Problem(
                    (DATABASE_PASSWORDS_KEY, name),
                    "needs the admin's password "
                    f"(pulumi config set --secret --path '{DATABASE_PASSWORDS_KEY}[\"{name}\"]' ...)",
                )
            )
    if problems:
        raise StackConfigError(problems)
    return {name: pulumi.Output.secret(values[name]) for name in wanted}


def vault_token(cfg: StackConfig, value: str | None, is_secret: bool) -> pulumi.Output[str] | None:
    """`vaultToken` as a Pulumi secret: required for the in-cluster Vault (whose root token it becomes), optional
    otherwise. Refusals never repeat the value."""
    key = (VAULT_TOKEN_KEY,)
    how = f"(pulumi config set --secret {VAULT_TOKEN_KEY} <token>)"
    if value is None:
        if cfg.vault_from_chart():
            raise StackConfigError.at(
                key,
                "is required with the in-cluster Vault (vault.mode internal, charts.managed): the dev server's "
                f"root token, which the chart and Pulumi's Vault provider both get {how}",
            )
        return None
    if not is_secret:
        raise StackConfigError.at(key, f"must be a secret {how}")
    if not value:
        raise StackConfigError.at(key, f"must not be empty {how}")
    if cfg.vault_from_chart() and (not _DEV_ROOT_TOKEN.fullmatch(value) or value.lower() in _YAML_WORDS):
        raise StackConfigError.at(
            key,
            "the dev server's root token must start with a letter and hold only letters, digits, '.', '_' and '-', "
            "and not be a YAML word (true, no, null, ...): the vault chart writes it unquoted into the server's "
            "environment",
        )
    return pulumi.Output.secret(value)


def read_stack_config() -> StackConfig:
    """The model keys as Pulumi hands them to the program: each JSON-decoded (Config.get_object), then validated."""
    config = pulumi.Config(NAMESPACE)
    _refuse_unknown(_present_keys() - set(MODEL_KEYS) - set(SECRET_KEYS))
    raw: dict[str, Any] = {}
    for name in MODEL_KEYS:
        try:
            value = config.get_object(name)
        except Exception as error:  # malformed JSON in a structured key
            raise StackConfigError.at((name,), str(error)) from None
        if value is not None:
            raw[name] = value
    return parse_stack_config(raw)


def load_stack_config(project_dir: Path | None = None) -> LoadedConfig:
    """Read every `vault-k8s:*` key, validate, and resolve referenced files."""
    project_dir = project_dir or Path.cwd()
    config = pulumi.Config(NAMESPACE)
    stack = read_stack_config()
    if stack.kubernetes is not None:
        check_cluster(stack.kubernetes, project_dir, os.environ)
    try:
        chart_paths = check_local_charts(stack.charts, project_dir)
    except KeyedError as error:
        raise StackConfigError.at(error.key, error.reason) from None
    vault_ca_path = vault_ca_pem = kube_ca_pem = None
    if stack.vault.ca_cert_file:
        vault_ca_path, vault_ca_pem = _read_file(project_dir, stack.vault.ca_cert_file, ("vault", "caCertFile"))
    if stack.kubernetes_auth.ca_cert_file:
        _, kube_ca_pem = _read_file(project_dir, stack.kubernetes_auth.ca_cert_file, ("kubernetesAuth", "caCertFile"))
    secret_key = f"{NAMESPACE}:{SECRET_VALUES_KEY}"
    seeds = seed_values(stack, config.get_object(SECRET_VALUES_KEY), runtime_config.is_config_secret(secret_key))
    password_key = f"{NAMESPACE}:{DATABASE_PASSWORDS_KEY}"
    passwords = database_passwords(
        stack, config.get_object(DATABASE_PASSWORDS_KEY), runtime_config.is_config_secret(password_key)
    )
    token_key = f"{NAMESPACE}:{VAULT_TOKEN_KEY}"
    token = vault_token(stack, config.get(VAULT_TOKEN_KEY), runtime_config.is_config_secret(token_key))
    return LoadedConfig(stack, vault_ca_path, vault_ca_pem, kube_ca_pem, seeds, passwords, chart_paths, token)
