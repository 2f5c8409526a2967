"""The loader: error formatting, unknown keys, secret seed values, referenced files."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from stackconfig.load import (
    MODEL_KEYS,
    NAMESPACE,
    SECRET_KEYS,
    SECRET_VALUES_KEY,
    LoadedConfig,
    Problem,
    StackConfigError,
    check_cluster,
    database_passwords,
    load_stack_config,
    parse_stack_config,
    seed_values,
    validation_problems,
    vault_token,
)
from stackconfig.models import KeyedError, KubernetesConfig, StackConfig, VaultConfig, key_text
from tests.program.harness import (
    DEMO_VAULT_TOKEN,
    Recorder,
    ambient_kubeconfig,
    demo_database_passwords,
    demo_secret_values,
    stack_config,
    write_kubeconfig,
)
from tests.unit import load_stack, raw_stack

DEV_WANTED = {
    "secret/db-pass": ["password"],
    "for-injection/my-pass": ["password"],
    "kvv2/webapp/config": ["username", "password"],
}


def resolve(make: Callable[[], dict[str, pulumi.Output[str]]]) -> dict[str, tuple[str, bool]]:
    """Build outputs inside a mocked Pulumi run; return each value and whether it is secret."""
    pulumi.runtime.set_mocks(Recorder(), project="vault-k8s", stack="unit", preview=False)
    resolved: dict[str, tuple[str, bool]] = {}

    @pulumi.runtime.test
    def run() -> Any:
        outputs = make()

        async def collect() -> None:
            for name, output in outputs.items():
                value = await output.future()
                assert value is not None, name
                resolved[name] = (value, await output.is_secret())

        return collect()

    run()
    return resolved


def validation_error(raw: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        StackConfig.model_validate(raw)
    return caught.value


def seed_problem(cfg: StackConfig, values: Any, is_secret: bool = True) -> str:
    with pytest.raises(StackConfigError) as caught:
        seed_values(cfg, values, is_secret)
    return str(caught.value)


def refusals(load: Callable[[], object]) -> list[Problem]:
    """The problems of the StackConfigError that `load` raises."""
    with pytest.raises(StackConfigError) as caught:
        load()
    return list(caught.value.problems)


def needs(name: str, keys: list[str]) -> str:
    return (
        f"config vault-k8s:secretValues.{name}: needs exactly the keys {sorted(keys)} "
        f"(pulumi config set --secret --path 'secretValues[\"{name}\"].{keys[0]}' ...)"
    )


# --- constants --------------------------------------------------------------------------------


def test_constants() -> None:
    assert NAMESPACE == "vault-k8s"
    assert SECRET_VALUES_KEY == "secretValues"
    assert MODEL_KEYS == (
        "production",
        "protectMounts",
        "kubernetes",
        "vault",
        "kubernetesAuth",
        "charts",
        "workloads",
        "existingNamespaces",
        "kv",
        "pki",
        "databases",
        "apps",
    )
    assert SECRET_KEYS == ("secretValues", "databasePasswords", "vaultToken")


def test_stack_config_error_is_a_run_error() -> None:
    """RunError: `pulumi up` prints the message without a Python traceback."""
    assert issubclass(StackConfigError, pulumi.RunError)


# --- problems ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "key"),
    [
        (("apps", 0, "secrets", 1, "path"), "apps[0].secrets[1].path"),
        (("vault", "caCertFile"), "vault.caCertFile"),
        (("kv",), "kv"),
        ((0, "path"), "[0].path"),
        ((), ""),
    ],
)
def test_key(loc: tuple[int | str, ...], key: str) -> None:
    assert key_text(loc) == key


def test_a_keyed_error_carries_its_key_as_data() -> None:
    """The loader appends the key to pydantic's location; nothing is parsed back out of the message, so a reason
    that itself looks like `key: text` stays whole."""
    error = KeyedError(("roles", 0, "maxTtl"), "note: 48h exceeds the mount's maxLeaseTtl")
    assert (error.key, error.reason, str(error)) == (
        ("roles", 0, "maxTtl"),
        "note: 48h exceeds the mount's maxLeaseTtl",
        "roles[0].maxTtl: note: 48h exceeds the mount's maxLeaseTtl",
    )
    raw = raw_stack("dev")
    raw["apps"][0]["secrets"][0]["file"] = "a b"
    assert validation_problems(validation_error(raw)) == [
        Problem(("apps", 0, "secrets", 0), "'a b' is not a plain file name")
    ]


def test_a_problem_prints_as_the_config_key() -> None:
    assert str(Problem(("apps", 2, "secrets", 0, "mount"), "no")) == "config vault-k8s:apps[2].secrets[0].mount: no"
    assert str(Problem(("secretValues", "kvv2/webapp/config"), "no")) == (
        "config vault-k8s:secretValues.kvv2/webapp/config: no"
    )
    assert str(Problem((), "no")) == "config vault-k8s: no"
    error = StackConfigError([Problem(("kv",), "a"), Problem(("vault", "mode"), "b")])
    assert str(error) == "config vault-k8s:kv: a\nconfig vault-k8s:vault.mode: b"
    assert error.problems == (Problem(("kv",), "a"), Problem(("vault", "mode"), "b"))


def test_top_level_kv_and_pki_keep_their_names() -> None:
    error = validation_error({"kv": [{"path": "a//b"}], "pki": [{"path": "pki"}]})
    assert validation_problems(error) == [
        Problem(("kv", 0, "path"), "'a//b' is not a valid Vault path"),
        Problem(
            ("pki", 0, "root"),
            "is required for a mount the program creates (it issues from an internal root); "
            "`existing: true` adopts a mount that has its CA",
        ),
    ]


def test_the_union_tag_of_a_secret_ref_is_dropped() -> None:
    raw = raw_stack("dev")
    raw["apps"][0]["secrets"][0]["path"] = "data/db-pass"
    raw["apps"][1]["secrets"][1]["commonName"] = 7
    assert validation_problems(validation_error(raw)) == [
        Problem(
            ("apps", 0, "secrets", 0, "path"),
            "'data/db-pass' contains 'data/': declare the path inside the mount; the program adds 'data/' where "
            "the KV v2 API needs it",
        ),
        Problem(("apps", 1, "secrets", 1, "commonName"), "Input should be a valid string"),
    ]


def test_cross_field_errors_name_their_key() -> None:
    raw = raw_stack("dev")
    raw["apps"][2]["name"] = "webapp"
    assert validation_problems(validation_error(raw)) == [Problem(("apps", 2, "name"), "duplicate 'webapp'")]


def test_every_problem_is_kept_one_line_each() -> None:
    raw = raw_stack("dev")
    raw["production"] = "maybe"
    raw["apps"][0]["method"] = "sidecar"
    raw["vault"]["mode"] = "remote"
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(raw)
    problems = caught.value.problems
    assert [(p.key, p.reason) for p in problems] == [
        (("production",), "Input should be a valid boolean, unable to interpret input"),
        (("vault", "mode"), "Input should be 'internal' or 'external'"),
        (("apps", 0, "method"), "Input should be 'csi', 'injector' or 'vso'"),
    ]
    assert str(caught.value).splitlines() == [
        "config vault-k8s:production: Input should be a valid boolean, unable to interpret input",
        "config vault-k8s:vault.mode: Input should be 'internal' or 'external'",
        "config vault-k8s:apps[0].method: Input should be 'csi', 'injector' or 'vso'",
    ]


# --- parse_stack_config -----------------------------------------------------------------------


def test_parse_dev_and_prod() -> None:
    assert parse_stack_config(raw_stack("dev")) == load_stack("dev")
    assert [a.name for a in load_stack("prod").apps] == ["orders", "billing", "ledger"]


def test_parse_needs_only_the_address_of_the_in_cluster_vault() -> None:
    """Every default: internal mode with managed charts, whose Vault Pulumi reaches only at `vault.address`."""
    address = "http://192.168.49.2:30200"
    assert parse_stack_config({"vault": {"address": address}}) == StackConfig(vault=VaultConfig(address=address))
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config({})
    assert str(caught.value) == (
        "config vault-k8s:vault.address: is required with the in-cluster Vault (vault.mode internal, "
        "charts.managed): where Pulumi reaches the Vault this stack installs, e.g. "
        "http://<minikube ip>:<vault.nodePort>; no VAULT_ADDR points at it"
    )


def test_unknown_top_level_keys_all_named_sorted() -> None:
    raw = raw_stack("dev")
    raw["aps"] = []
    raw["Vault"] = {}
    raw[SECRET_VALUES_KEY] = {}  # read by the loader, never part of the model
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(raw)
    assert [p.key for p in caught.value.problems] == [("Vault",), ("aps",), ("secretValues",)]
    assert str(caught.value) == (
        "config vault-k8s:Vault: unknown key\n"
        "config vault-k8s:aps: unknown key\n"
        "config vault-k8s:secretValues: unknown key"
    )


def test_snake_case_top_level_keys_are_unknown() -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config({"protect_mounts": True})
    assert str(caught.value) == "config vault-k8s:protect_mounts: unknown key"


def test_validation_errors_become_stack_config_errors() -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config({"kv": [{"path": "secret", "extra": 1}]})
    assert str(caught.value) == "config vault-k8s:kv[0].extra: Extra inputs are not permitted"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


# --- seed_values ------------------------------------------------------------------------------


def test_seed_values_are_secret_json_per_declared_secret() -> None:
    cfg = load_stack("dev")
    values = demo_secret_values(stack_config("dev"))
    resolved = resolve(lambda: seed_values(cfg, values, True))
    assert resolved == {
        "secret/db-pass": (json.dumps({"password": "db-pass-password-value"}), True),
        "for-injection/my-pass": (json.dumps({"password": "my-pass-password-value"}), True),
        "kvv2/webapp/config": (
            '{"password": "webapp/config-password-value", "username": "webapp/config-username-value"}',
            True,
        ),
    }


def test_seed_values_must_be_a_secret() -> None:
    values = demo_secret_values(stack_config("dev"))
    assert seed_problem(load_stack("dev"), values, is_secret=False) == (
        "config vault-k8s:secretValues: must be a secret (pulumi config set --secret --path ...)"
    )


def test_seed_values_must_be_an_object() -> None:
    assert seed_problem(load_stack("dev"), ["db-secret-password-v1"]) == (
        "config vault-k8s:secretValues: must be an object of '<mount>/<path>': {key: value}"
    )


def test_missing_seed_values_name_every_secret() -> None:
    expected = "\n".join(needs(name, keys) for name, keys in DEV_WANTED.items())
    assert seed_problem(load_stack("dev"), None, is_secret=False) == expected
    assert seed_problem(load_stack("dev"), {}) == expected


def test_missing_key() -> None:
    values = demo_secret_values(stack_config("dev"))
    del values["kvv2/webapp/config"]["username"]
    assert seed_problem(load_stack("dev"), values) == needs("kvv2/webapp/config", ["username", "password"])


def test_extra_key() -> None:
    values = demo_secret_values(stack_config("dev"))
    values["secret/db-pass"]["user"] = "x"
    assert seed_problem(load_stack("dev"), values) == needs("secret/db-pass", ["password"])


def test_extra_secret_is_named_first() -> None:
    values: dict[str, Any] = demo_secret_values(stack_config("dev"))
    values["secret/nope"] = {"password": "x"}
    values["for-injection/my-pass"] = "not-an-object"
    assert seed_problem(load_stack("dev"), values) == (
        "config vault-k8s:secretValues.secret/nope: no such seeded kv secret\n"
        + needs("for-injection/my-pass", ["password"])
    )
    # A secret's name is one key, slashes and all.
    problems = refusals(lambda: seed_values(load_stack("dev"), values, True))
    assert [p.key for p in problems] == [("secretValues", "secret/nope"), ("secretValues", "for-injection/my-pass")]


@pytest.mark.parametrize("bad", ["", 7, None])
def test_values_must_be_non_empty_strings(bad: Any) -> None:
    values: dict[str, Any] = demo_secret_values(stack_config("dev"))
    values["secret/db-pass"]["password"] = bad
    assert seed_problem(load_stack("dev"), values) == (
        "config vault-k8s:secretValues.secret/db-pass: values must be non-empty strings"
    )


def test_unseeded_secrets_need_no_values() -> None:
    cfg = load_stack("prod")
    assert seed_values(cfg, None, False) == {}
    assert seed_problem(cfg, {"apps/orders/db": {"password": "x"}}, is_secret=False) == (
        "config vault-k8s:secretValues: must be a secret (pulumi config set --secret --path ...)"
    )
    assert seed_problem(cfg, {"apps/orders/db": {"password": "x"}}) == (
        "config vault-k8s:secretValues.apps/orders/db: no such seeded kv secret"
    )


def test_seed_false_is_skipped() -> None:
    raw = raw_stack("dev")
    raw["kv"][2]["secrets"][0]["seed"] = False
    values = demo_secret_values(stack_config("dev"))
    del values["kvv2/webapp/config"]
    resolved = resolve(lambda: seed_values(parse_stack_config(raw), values, True))
    assert sorted(resolved) == ["for-injection/my-pass", "secret/db-pass"]


# --- load_stack_config ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_config_left_behind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The shipped stacks' contexts, as the program finds them under mocks.
    monkeypatch.setenv("KUBECONFIG", str(ambient_kubeconfig()))
    yield
    runtime_config.set_all_config({}, [])


def _set_config(config: dict[str, Any], secret_keys: list[str]) -> None:
    runtime_config.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, secret_keys
    )


def test_load_reads_both_cas(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "vault-ca.pem").write_text("VAULT CA\n")
    (tmp_path / "certs" / "kubernetes-ca.pem").write_text("KUBE CA\n")
    _set_config(stack_config("prod"), [])
    loaded = load_stack_config(tmp_path)
    assert loaded == LoadedConfig(
        stack=load_stack("prod"),
        vault_ca_path=str(tmp_path / "certs" / "vault-ca.pem"),
        vault_ca_pem="VAULT CA\n",
        kube_ca_pem="KUBE CA\n",
        seed_values={},
    )


def _chart_archive(path: Path, name: str, version: str) -> None:
    """A chart archive as `helm package` lays it out, holding only its Chart.yaml."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode()
    with tarfile.open(path, "w:gz") as archive:
        member = tarfile.TarInfo(f"{name}/Chart.yaml")
        member.size = len(text)
        archive.addfile(member, io.BytesIO(text))


def _prod_project(tmp_path: Path) -> Path:
    """A project folder for the prod stack beside a `shared` folder, linked in as the real one is, with archives
    of the pinned charts."""
    project = tmp_path / "project"
    (project / "certs").mkdir(parents=True)
    (project / "certs" / "vault-ca.pem").write_text("VAULT CA\n")
    (project / "certs" / "kubernetes-ca.pem").write_text("KUBE CA\n")
    charts = tmp_path / "charts-source"
    _chart_archive(charts / "charts" / "vault-0.34.1.tgz", "vault", "0.34.1")
    _chart_archive(charts / "charts" / "vault-secrets-operator-1.4.1.tgz", "vault-secrets-operator", "1.4.1")
    (tmp_path / "shared").symlink_to(charts)
    return project


def test_load_resolves_local_charts(tmp_path: Path) -> None:
    project = _prod_project(tmp_path)
    config = stack_config("prod")
    config["vault-k8s:charts"] = {
        **config["vault-k8s:charts"],
        "vault": {"path": "../shared/charts/vault-0.34.1.tgz"},
        "vso": {"path": "../shared/charts/vault-secrets-operator-1.4.1.tgz"},
    }
    _set_config(config, [])
    loaded = load_stack_config(project)
    # Absolute from the project directory, the `shared` symlink kept as written.
    assert loaded.chart_paths == {
        "vault": str(tmp_path / "shared" / "charts" / "vault-0.34.1.tgz"),
        "vso": str(tmp_path / "shared" / "charts" / "vault-secrets-operator-1.4.1.tgz"),
    }
    assert loaded.stack.charts.vault.path == "../shared/charts/vault-0.34.1.tgz"


def test_load_refuses_a_chart_path_of_another_version(tmp_path: Path) -> None:
    project = _prod_project(tmp_path)
    config = stack_config("prod")
    config["vault-k8s:charts"] = {
        **config["vault-k8s:charts"],
        "vault": {"path": "../shared/charts/vault-0.34.1.tgz", "version": "0.34.0"},
    }
    _set_config(config, [])
    with pytest.raises(StackConfigError) as caught:
        load_stack_config(project)
    assert [p.key for p in caught.value.problems] == [("charts", "vault", "path")]
    archive = tmp_path / "shared" / "charts" / "vault-0.34.1.tgz"
    assert str(caught.value) == (
        f"config vault-k8s:charts.vault.path: {archive} holds chart 'vault' version '0.34.1', not the pinned "
        "'vault' version '0.34.0' (charts.vault.chart and charts.vault.version)"
    )
    assert caught.value.__suppress_context__


def test_load_refuses_a_missing_chart_path(tmp_path: Path) -> None:
    project = _prod_project(tmp_path)
    config = stack_config("prod")
    config["vault-k8s:charts"] = {**config["vault-k8s:charts"], "csiDriver": {"path": "charts/csi.tgz"}}
    _set_config(config, [])
    with pytest.raises(StackConfigError) as caught:
        load_stack_config(project)
    assert (
        str(caught.value) == f"config vault-k8s:charts.csiDriver.path: {project / 'charts' / 'csi.tgz'} does not exist"
    )


def test_load_seeds_from_secret_config() -> None:
    config = stack_config("dev")
    config["vault-k8s:secretValues"] = demo_secret_values(config)
    config["vault-k8s:databasePasswords"] = demo_database_passwords(config)
    config["vault-k8s:vaultToken"] = DEMO_VAULT_TOKEN
    _set_config(config, ["vault-k8s:secretValues", "vault-k8s:databasePasswords", "vault-k8s:vaultToken"])
    loaded: dict[str, LoadedConfig] = {}

    def make() -> dict[str, pulumi.Output[str]]:
        loaded["dev"] = load_stack_config()
        return loaded["dev"].seed_values

    resolved = resolve(make)
    assert loaded["dev"].stack == load_stack("dev")
    assert (loaded["dev"].vault_ca_pem, loaded["dev"].kube_ca_pem) == (None, None)
    assert sorted(resolved) == sorted(DEV_WANTED)
    assert all(secret for _, secret in resolved.values())


def test_load_names_the_missing_ca(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "vault-ca.pem").write_text("VAULT CA\n")
    _set_config(stack_config("prod"), [])
    with pytest.raises(StackConfigError) as caught:
        load_stack_config(tmp_path)
    missing = tmp_path / "certs" / "kubernetes-ca.pem"
    assert str(caught.value) == (
        f"config vault-k8s:kubernetesAuth.caCertFile: cannot read {missing}: No such file or directory"
    )


def test_load_rejects_unknown_keys_before_anything_else() -> None:
    config = stack_config("dev")
    config["vault-k8s:aps"] = []
    config["vault-k8s:kubernetes_auth"] = {}
    _set_config(config, [])
    with pytest.raises(StackConfigError) as caught:
        load_stack_config()
    assert str(caught.value) == ("config vault-k8s:aps: unknown key\nconfig vault-k8s:kubernetes_auth: unknown key")


def test_load_refuses_a_context_the_kubeconfig_lacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stack aimed at one cluster never runs against whatever the current context is."""
    kubeconfig = write_kubeconfig(tmp_path / "config", ["kind-other", "minikube-old"])
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    _set_config(stack_config("prod"), [])
    with pytest.raises(StackConfigError) as caught:
        load_stack_config(tmp_path)
    assert str(caught.value) == (
        f"config vault-k8s:kubernetes.context: 'k8s-prod' is not a context in $KUBECONFIG ({kubeconfig}) "
        "(it has 'kind-other', 'minikube-old'); is this the cluster the stack is for?"
    )


# --- check_cluster ----------------------------------------------------------------------------


def cluster_problem(cluster: KubernetesConfig, project_dir: Path, environ: dict[str, str]) -> str:
    with pytest.raises(StackConfigError) as caught:
        check_cluster(cluster, project_dir, environ)
    [problem] = caught.value.problems
    assert problem.key in {("kubernetes", "context"), ("kubernetes", "kubeconfig")}
    return str(caught.value)


def test_a_named_kubeconfig_is_read_from_the_project_directory(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / ".localcp" / "kubeconfig", ["local"])
    other = write_kubeconfig(tmp_path / "other", ["elsewhere"])
    cluster = KubernetesConfig(kubeconfig=".localcp/kubeconfig", context="local")
    assert check_cluster(cluster, tmp_path, {"KUBECONFIG": str(other)}) == [kubeconfig]


def test_a_named_kubeconfig_must_have_the_context(tmp_path: Path) -> None:
    write_kubeconfig(tmp_path / "kubeconfig", ["local"])
    cluster = KubernetesConfig(kubeconfig="kubeconfig", context="kind-vault-demo")
    assert cluster_problem(cluster, tmp_path, {}) == (
        f"config vault-k8s:kubernetes.context: 'kind-vault-demo' is not a context in {tmp_path / 'kubeconfig'} "
        "(it has 'local'); is this the cluster the stack is for?"
    )


def test_a_missing_named_kubeconfig_names_its_key(tmp_path: Path) -> None:
    cluster = KubernetesConfig(kubeconfig=".localcp/kubeconfig", context="local")
    assert cluster_problem(cluster, tmp_path, {}) == (
        f"config vault-k8s:kubernetes.kubeconfig: cannot read {tmp_path / '.localcp' / 'kubeconfig'}: "
        "No such file or directory"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [("contexts: {local: {}}\n", "`contexts` is not a list"), ("a: [\n", "while parsing a flow node")],
)
def test_a_named_file_that_is_not_a_kubeconfig(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "kubeconfig").write_text(text)
    message = cluster_problem(KubernetesConfig(kubeconfig="kubeconfig", context="local"), tmp_path, {})
    prefix = f"config vault-k8s:kubernetes.kubeconfig: {tmp_path / 'kubeconfig'} is not a kubeconfig: "
    assert message.startswith(prefix) and reason in message and "\n" not in message


def test_without_a_named_file_every_kubeconfig_in_the_variable_counts(tmp_path: Path) -> None:
    """As kubectl: the listed files merged, missing ones skipped."""
    first = write_kubeconfig(tmp_path / "a", ["kind-a"])
    second = write_kubeconfig(tmp_path / "b", ["minikube"])
    listed = os.pathsep.join([str(first), str(tmp_path / "missing"), str(second)])
    assert check_cluster(KubernetesConfig(context="minikube"), tmp_path, {"KUBECONFIG": listed}) == [first, second]


def test_without_the_variable_the_home_kubeconfig_counts(tmp_path: Path) -> None:
    home_config = write_kubeconfig(tmp_path / ".kube" / "config", ["minikube"])
    environ = {"KUBECONFIG": "", "HOME": str(tmp_path)}
    assert check_cluster(KubernetesConfig(context="minikube"), tmp_path / "project", environ) == [home_config]


def test_no_kubeconfig_at_all_says_where_it_looked(tmp_path: Path) -> None:
    assert cluster_problem(KubernetesConfig(context="minikube"), tmp_path, {"HOME": str(tmp_path)}) == (
        f"config vault-k8s:kubernetes.context: no kubeconfig to find 'minikube' in: {tmp_path / '.kube' / 'config'} "
        "does not exist; set kubernetes.kubeconfig or KUBECONFIG"
    )


def test_database_passwords_are_secrets_one_per_connection() -> None:
    cfg = load_stack("dev")
    resolved = resolve(lambda: database_passwords(cfg, {"database/app": "admin-pw"}, True))
    assert resolved == {"database/app": ("admin-pw", True)}


@pytest.mark.parametrize(
    ("values", "is_secret", "message"),
    [
        (None, False, "config vault-k8s:databasePasswords.database/app: needs the admin's password "
                      "(pulumi config set --secret --path 'databasePasswords[\"database/app\"]' ...)"),
        ({"database/app": "pw"}, False,
         "config vault-k8s:databasePasswords: must be a secret (pulumi config set --secret --path ...)"),
        ({"database/app": "pw", "database/other": "pw"}, True,
         "config vault-k8s:databasePasswords.database/other: no such database connection"),
        ({"database/app": ""}, True, "config vault-k8s:databasePasswords.database/app: needs the admin's password "
                                     "(pulumi config set --secret --path 'databasePasswords[\"database/app\"]' ...)"),
        ("pw", True, "config vault-k8s:databasePasswords: must be an object of '<mount>/<connection>': password"),
    ],
)  # fmt: skip
def test_database_passwords_refused(values: Any, is_secret: bool, message: str) -> None:
    with pytest.raises(StackConfigError) as raised:
        database_passwords(load_stack("dev"), values, is_secret)
    assert str(raised.value) == message
    [problem] = raised.value.problems
    assert problem.key[0] == "databasePasswords" and message.endswith(problem.reason)


def test_no_databases_no_passwords() -> None:
    assert database_passwords(load_stack("prod"), None, False) == {}


# --- vault_token ------------------------------------------------------------------------------

TOKEN_HOW = "(pulumi config set --secret vaultToken <token>)"


def _resolved_token(stack: str, value: str) -> dict[str, tuple[str, bool]]:
    def make() -> dict[str, pulumi.Output[str]]:
        token = vault_token(load_stack(stack), value, True)
        assert token is not None
        return {"token": token}

    return resolve(make)


def test_the_vault_token_is_a_secret() -> None:
    assert _resolved_token("dev", "dev-root") == {"token": ("dev-root", True)}


def test_the_in_cluster_vault_needs_its_token() -> None:
    with pytest.raises(StackConfigError) as raised:
        vault_token(load_stack("dev"), None, False)
    assert str(raised.value) == (
        "config vault-k8s:vaultToken: is required with the in-cluster Vault (vault.mode internal, charts.managed): "
        f"the dev server's root token, which the chart and Pulumi's Vault provider both get {TOKEN_HOW}"
    )


def test_without_the_in_cluster_vault_the_token_is_optional() -> None:
    """prod's Vault is external, local's charts are managed elsewhere: unset, the provider reads VAULT_TOKEN."""
    assert vault_token(load_stack("prod"), None, False) is None
    assert vault_token(load_stack("local"), None, False) is None
    assert _resolved_token("prod", "s.any/token") == {"token": ("s.any/token", True)}


@pytest.mark.parametrize(
    ("stack", "value", "is_secret", "message"),
    [
        ("dev", "hunter2-token", False, f"must be a secret {TOKEN_HOW}"),
        ("prod", "hunter2-token", False, f"must be a secret {TOKEN_HOW}"),
        ("dev", "", True, f"must not be empty {TOKEN_HOW}"),
        ("prod", "", True, f"must not be empty {TOKEN_HOW}"),
        *(
            ("dev", bad, True,
             "the dev server's root token must start with a letter and hold only letters, digits, '.', '_' and '-', "
             "and not be a YAML word (true, no, null, ...): the vault chart writes it unquoted into the server's "
             "environment")
            for bad in ("12345", "1e3", "hunter2 token", "hunter2:token", "#hunter2", "True", "off", "NULL")
        ),
    ],
)  # fmt: skip
def test_vault_token_refused(stack: str, value: str, is_secret: bool, message: str) -> None:
    with pytest.raises(StackConfigError) as raised:
        vault_token(load_stack(stack), value, is_secret)
    assert raised.value.problems == (Problem(("vaultToken",), message),)
    assert str(raised.value) == f"config vault-k8s:vaultToken: {message}"
    if value:
        assert value not in str(raised.value)


def test_load_reads_the_vault_token_as_a_secret() -> None:
    config = stack_config("dev")
    config["vault-k8s:secretValues"] = demo_secret_values(config)
    config["vault-k8s:databasePasswords"] = demo_database_passwords(config)
    config["vault-k8s:vaultToken"] = DEMO_VAULT_TOKEN
    _set_config(config, ["vault-k8s:secretValues", "vault-k8s:databasePasswords", "vault-k8s:vaultToken"])

    def make() -> dict[str, pulumi.Output[str]]:
        token = load_stack_config().vault_token
        assert token is not None
        return {"token": token}

    assert resolve(make) == {"token": (DEMO_VAULT_TOKEN, True)}


def test_load_refuses_a_plain_vault_token() -> None:
    config = stack_config("dev")
    config["vault-k8s:secretValues"] = demo_secret_values(config)
    config["vault-k8s:databasePasswords"] = demo_database_passwords(config)
    config["vault-k8s:vaultToken"] = DEMO_VAULT_TOKEN
    _set_config(config, ["vault-k8s:secretValues", "vault-k8s:databasePasswords"])
    with pytest.raises(StackConfigError) as raised:
        load_stack_config()
    assert str(raised.value) == f"config vault-k8s:vaultToken: must be a secret {TOKEN_HOW}"
