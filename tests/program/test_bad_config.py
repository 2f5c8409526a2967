"""Bad stack configs fail with one precise message, before any resource is registered.

Each case starts from the dev stack (plus demo secret values), breaks one thing, and runs the whole
program under mocks.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stackconfig.load import StackConfigError
from tests.conftest import needs_shared
from tests.program.harness import ROOT, Recorder, demo_secret_values, run_program, stack_config

NS = "vault-k8s:"
SHARED_CHARTS = ROOT.parent / "shared" / "charts"
SECRET_VALUES = f"{NS}secretValues"
Config = dict[str, Any]


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Config], None]
    message: str | re.Pattern[str]
    """The whole error text, or a pattern it must fully match."""
    secret_values_are_secret: bool = True


def dev_config() -> Config:
    config = copy.deepcopy(stack_config("dev"))
    config[SECRET_VALUES] = copy.deepcopy(demo_secret_values(config))
    return config


def apps(config: Config) -> list[dict[str, Any]]:
    return config[f"{NS}apps"]


def kv(config: Config) -> list[dict[str, Any]]:
    return config[f"{NS}kv"]


def pki(config: Config) -> list[dict[str, Any]]:
    return config[f"{NS}pki"]


def run_failing(config: Config, secret: bool = True, cwd: Path | None = None) -> tuple[str, Recorder]:
    """Run the program, expect StackConfigError; return its text and the recorder."""
    recorder = Recorder()
    kwargs: dict[str, Any] = {"cwd": cwd} if cwd is not None else {}
    with pytest.raises(StackConfigError) as caught:
        run_program(config, secret_keys=[SECRET_VALUES] if secret else [], recorder=recorder, **kwargs)
    return str(caught.value), recorder


def external(config: Config, vault: dict[str, Any], auth: dict[str, Any] | None) -> None:
    config[f"{NS}vault"] = vault
    if auth is not None:
        config[f"{NS}kubernetesAuth"] = auth


EXTERNAL_VAULT = {
    "mode": "external",
    "address": "https://vault.example.com:8200",
    "workloadAddress": "https://vault.example.com:8200",
    "caCertFile": "certs/vault-ca.pem",
}
EXTERNAL_AUTH = {"host": "https://api.k8s.example.com:6443", "caCertFile": "certs/kubernetes-ca.pem"}
DATA_REASON = (
    "contains 'data/': declare the path inside the mount; the program adds 'data/' where the KV v2 API needs it"
)


def _unknown_method(c: Config) -> None:
    apps(c)[0]["method"] = "sidecar"


def _undeclared_mount(c: Config) -> None:
    apps(c)[1]["secrets"][0]["mount"] = "kv"


def _undeclared_secret(c: Config) -> None:
    apps(c)[0]["secrets"][0]["path"] = "db-password"


def _undeclared_key(c: Config) -> None:
    apps(c)[2]["secrets"][0]["keys"] = ["username", "token"]


def _token_ttl_text(c: Config) -> None:
    apps(c)[0]["tokenTtl"] = "20 minutes"


def _role_ttl_bool(c: Config) -> None:
    pki(c)[0]["roles"][0]["ttl"] = True


def _ref_ttl_unparsable(c: Config) -> None:
    apps(c)[1]["secrets"][1]["ttl"] = "30 s"


def _max_ttl_below_ttl(c: Config) -> None:
    pki(c)[0]["roles"][0]["maxTtl"] = "30s"


def _lease_ttls_inverted(c: Config) -> None:
    pki(c)[0]["defaultLeaseTtl"] = "87600h"


def _root_ttl_above_mount_max(c: Config) -> None:
    """The tutorial's tuning: a 86400h root on a mount whose max lease is 86400s lives 24 hours."""
    pki(c)[0]["maxLeaseTtl"] = "86400s"


def _ref_ttl_above_role_max(c: Config) -> None:
    apps(c)[2]["secrets"][1]["ttl"] = "90s"


def _external_https_no_ca(c: Config) -> None:
    external(c, {k: v for k, v in EXTERNAL_VAULT.items() if k != "caCertFile"}, EXTERNAL_AUTH)


def _external_no_kube_ca(c: Config) -> None:
    external(c, EXTERNAL_VAULT, {"host": EXTERNAL_AUTH["host"]})


def _external_default_host(c: Config) -> None:
    external(c, EXTERNAL_VAULT, {"caCertFile": EXTERNAL_AUTH["caCertFile"]})


def _external_host_is_vault(c: Config) -> None:
    external(c, EXTERNAL_VAULT, {**EXTERNAL_AUTH, "host": EXTERNAL_VAULT["address"]})


def _duplicate_app(c: Config) -> None:
    apps(c)[2]["name"] = "webapp-injection"


def _duplicate_policy(c: Config) -> None:
    """The tutorial's PowerShell tab names the csi app's policy `injection-app`."""
    apps(c)[0]["policy"] = "injection-app"


def _duplicate_role(c: Config) -> None:
    apps(c)[2]["role"] = "database"


def _data_in_declaration(c: Config) -> None:
    kv(c)[0]["secrets"][0]["path"] = "data/db-pass"


def _data_in_ref(c: Config) -> None:
    apps(c)[0]["secrets"][0]["path"] = "data/db-pass"


def _unknown_top_level(c: Config) -> None:
    c[f"{NS}aps"] = c.pop(f"{NS}apps")


def _unknown_nested(c: Config) -> None:
    apps(c)[1]["workload"]["label"] = {"app": "issues"}


def _missing_secret_value(c: Config) -> None:
    del c[SECRET_VALUES]["kvv2/webapp/config"]["username"]


def _extra_secret_value(c: Config) -> None:
    c[SECRET_VALUES]["secret/db"] = {"password": "x"}


def _csi_pki(c: Config) -> None:
    apps(c)[0]["secrets"].append({"kind": "pki", "role": "my-role", "commonName": "webapp.example.com"})


def _injector_no_file(c: Config) -> None:
    del apps(c)[1]["secrets"][0]["file"]


def _injector_no_key_file(c: Config) -> None:
    del apps(c)[1]["secrets"][1]["keyFile"]


def _vso_no_secret_name(c: Config) -> None:
    del apps(c)[2]["secrets"][0]["secretName"]


def _refresh_after_two_units(c: Config) -> None:
    apps(c)[2]["secrets"][0]["refreshAfter"] = "1h30m"


def _vso_pki_ttl_two_units(c: Config) -> None:
    pki(c)[0]["roles"][0].update(ttl="2h", maxTtl="2h")
    apps(c)[2]["secrets"][1]["ttl"] = "1h30m"


def _ec_with_rsa_bits(c: Config) -> None:
    pki(c)[0]["roles"][0]["keyType"] = "ec"


def _secret_name_not_dns(c: Config) -> None:
    apps(c)[2]["secrets"][0]["secretName"] = "webapp_config"


def _namespace_not_a_label(c: Config) -> None:
    apps(c)[1]["namespace"] = "team.apps"


def _cluster_context_not_in_kubeconfig(c: Config) -> None:
    """The dev stack aimed at kind while $KUBECONFIG has another cluster."""
    c[f"{NS}kubernetes"] = {"context": "kind-vault-demo"}


def _cluster_unknown_key(c: Config) -> None:
    c[f"{NS}kubernetes"] = {"context": "minikube", "namespace": "default"}


def _cluster_without_context(c: Config) -> None:
    c[f"{NS}kubernetes"] = {"kubeconfig": "~/.kube/config"}


def _production_without_cluster(c: Config) -> None:
    c[f"{NS}production"] = True
    del c[f"{NS}kubernetes"]


def _existing_pki_with_root(c: Config) -> None:
    pki(c)[0]["existing"] = True


def _existing_pki_with_tuning(c: Config) -> None:
    del pki(c)[0]["root"]
    pki(c)[0]["existing"] = True


def _existing_pki_in_internal_mode(c: Config) -> None:
    pki(c)[0] = {"path": "pki", "existing": True, "roles": pki(c)[0]["roles"]}


def _existing_auth_in_internal_mode(c: Config) -> None:
    c[f"{NS}kubernetesAuth"] = {"existing": True}


def _created_pki_without_root(c: Config) -> None:
    del pki(c)[0]["root"]


def _kv_secrets_one_resource_name(c: Config) -> None:
    kv(c)[2]["secrets"].append({"path": "webapp-config", "keys": ["password"]})
    c[SECRET_VALUES]["kvv2/webapp-config"] = {"password": "x"}


def _secret_name_twice(c: Config) -> None:
    apps(c)[2]["secrets"][1]["secretName"] = "webapp-config"


def _vso_bare_pod(c: Config) -> None:
    apps(c)[2]["workload"]["kind"] = "Pod"


def _external_default_workload_address(c: Config) -> None:
    external(c, {k: v for k, v in EXTERNAL_VAULT.items() if k != "workloadAddress"}, EXTERNAL_AUTH)


def _existing_namespace_not_a_label(c: Config) -> None:
    c[f"{NS}existingNamespaces"] = ["apps", "Team_B"]


def _malformed_json(c: Config) -> None:
    c[f"{NS}vault"] = "{address: http://127.0.0.1:8200"


CASES = [
    Case(
        "unknown-method", _unknown_method, "config vault-k8s:apps[0].method: Input should be 'csi', 'injector' or 'vso'"
    ),
    Case(
        "undeclared-kv-mount",
        _undeclared_mount,
        "config vault-k8s:apps[1].secrets[0]: kv mount 'kv' is not declared under `kv`",
    ),
    Case(
        "undeclared-secret-path",
        _undeclared_secret,
        "config vault-k8s:apps[0].secrets[0]: secret 'db-password' is not declared in kv mount 'secret'",
    ),
    Case(
        "undeclared-key",
        _undeclared_key,
        "config vault-k8s:apps[2].secrets[0]: keys ['token'] are not declared for kvv2/webapp/config",
    ),
    Case(
        "token-ttl-does-not-parse",
        _token_ttl_text,
        "config vault-k8s:apps[0].tokenTtl: not a duration: '20 minutes' (use e.g. 60s, 20m, 86400h)",
    ),
    Case(
        "role-ttl-is-a-boolean",
        _role_ttl_bool,
        "config vault-k8s:pki[0].roles[0].ttl: not a duration: True (use e.g. 60s, 20m, 86400h)",
    ),
    Case(
        "ref-ttl-does-not-parse",
        _ref_ttl_unparsable,
        "config vault-k8s:apps[1].secrets[1].ttl: not a duration: '30 s' (use e.g. 60s, 20m, 86400h)",
    ),
    Case(
        "pki-role-max-ttl-below-ttl",
        _max_ttl_below_ttl,
        "config vault-k8s:pki[0].roles[0].maxTtl: 30s is below ttl 60s",
    ),
    Case(
        "pki-default-lease-above-max",
        _lease_ttls_inverted,
        "config vault-k8s:pki[0].maxLeaseTtl: 86400h is below defaultLeaseTtl 87600h",
    ),
    Case(
        "pki-root-ttl-above-mount-max-lease",
        _root_ttl_above_mount_max,
        "config vault-k8s:pki[0].root.ttl: 86400h exceeds the mount's maxLeaseTtl 86400s; Vault would cut "
        "the root CA to maxLeaseTtl: raise maxLeaseTtl (the roles' maxTtl still bounds what they issue)",
    ),
    Case(
        "ref-ttl-above-role-max",
        _ref_ttl_above_role_max,
        "config vault-k8s:apps[2].secrets[1]: ttl 90s exceeds the role's maxTtl 60s",
    ),
    Case(
        "external-https-without-vault-ca",
        _external_https_no_ca,
        "config vault-k8s:vault.caCertFile: is required for an https external Vault "
        "(the CA that signed the Vault server certificate)",
    ),
    Case(
        "external-without-kubernetes-ca",
        _external_no_kube_ca,
        "config vault-k8s:kubernetesAuth.caCertFile: is required in external mode "
        "(Vault must verify the Kubernetes API it calls)",
    ),
    Case(
        "external-with-in-cluster-kubernetes-host",
        _external_default_host,
        "config vault-k8s:kubernetesAuth.host: must be set in external mode to a Kubernetes API "
        "address that Vault can reach",
    ),
    Case(
        "external-kubernetes-host-is-the-vault-address",
        _external_host_is_vault,
        "config vault-k8s:kubernetesAuth.host: is the Vault address; set it to the Kubernetes API "
        "address as Vault reaches it",
    ),
    Case("duplicate-app-name", _duplicate_app, "config vault-k8s:apps[2].name: duplicate 'webapp-injection'"),
    Case("duplicate-policy-name", _duplicate_policy, "config vault-k8s:apps[1].policy: duplicate 'injection-app'"),
    Case("duplicate-role-name", _duplicate_role, "config vault-k8s:apps[2].role: duplicate 'database'"),
    Case(
        "data-in-kv-declaration",
        _data_in_declaration,
        f"config vault-k8s:kv[0].secrets[0].path: 'data/db-pass' {DATA_REASON}",
    ),
    Case("data-in-app-ref", _data_in_ref, f"config vault-k8s:apps[0].secrets[0].path: 'data/db-pass' {DATA_REASON}"),
    Case("unknown-top-level-key", _unknown_top_level, "config vault-k8s:aps: unknown key"),
    Case(
        "unknown-nested-key",
        _unknown_nested,
        "config vault-k8s:apps[1].workload.label: Extra inputs are not permitted",
    ),
    Case(
        "secret-values-not-secret",
        lambda c: None,
        "config vault-k8s:secretValues: must be a secret (pulumi config set --secret --path ...)",
        secret_values_are_secret=False,
    ),
    Case(
        "secret-values-missing-a-key",
        _missing_secret_value,
        "config vault-k8s:secretValues.kvv2/webapp/config: needs exactly the keys ['password', 'username'] "
        "(pulumi config set --secret --path 'secretValues[\"kvv2/webapp/config\"].username' ...)",
    ),
    Case(
        "secret-values-for-an-undeclared-secret",
        _extra_secret_value,
        "config vault-k8s:secretValues.secret/db: no such seeded kv secret",
    ),
    Case(
        "secret-values-missing-entirely",
        lambda c: c.pop(SECRET_VALUES),
        re.compile(
            r"config vault-k8s:secretValues\.secret/db-pass: needs exactly the keys \['password'\] .*\n"
            r"config vault-k8s:secretValues\.for-injection/my-pass: needs exactly the keys \['password'\] .*\n"
            r"config vault-k8s:secretValues\.kvv2/webapp/config: needs exactly the keys \['password', 'username'\] .*"
        ),
    ),
    Case(
        "csi-app-with-pki-secret",
        _csi_pki,
        "config vault-k8s:apps[0].secrets[1]: the csi method delivers kv and database secrets only",
    ),
    Case(
        "injector-app-without-file",
        _injector_no_file,
        "config vault-k8s:apps[1].secrets[0]: the injector method needs file",
    ),
    Case(
        "injector-pki-without-key-file",
        _injector_no_key_file,
        "config vault-k8s:apps[1].secrets[1]: the injector method needs certFile and keyFile",
    ),
    Case(
        "vso-without-secret-name",
        _vso_no_secret_name,
        "config vault-k8s:apps[2].secrets[0]: the vso method needs secretName",
    ),
    Case(
        "vso-refresh-after-in-two-units",
        _refresh_after_two_units,
        "config vault-k8s:apps[2].secrets[0].refreshAfter: '1h30m' is not a duration VaultStaticSecret.refreshAfter "
        "takes: one number and one unit of s, m, h (e.g. 90m)",
    ),
    Case(
        "vso-pki-ttl-in-two-units",
        _vso_pki_ttl_two_units,
        "config vault-k8s:apps[2].secrets[1].ttl: '1h30m' is not a duration VaultPKISecret.ttl takes: "
        "one number and one unit of s, m, h, d (e.g. 90m)",
    ),
    Case(
        "ec-key-with-rsa-size",
        _ec_with_rsa_bits,
        "config vault-k8s:pki[0].roles[0].keyBits: 4096 is not a size Vault takes for ec keys (224, 256, 384, 521)",
    ),
    Case(
        "secret-name-not-a-dns-subdomain",
        _secret_name_not_dns,
        "config vault-k8s:apps[2].secrets[0].secretName: 'webapp_config' is not a valid Kubernetes name "
        "(lowercase DNS subdomain)",
    ),
    Case(
        "namespace-not-a-dns-label",
        _namespace_not_a_label,
        "config vault-k8s:apps[1].namespace: 'team.apps' is not a valid Kubernetes name (lowercase DNS label)",
    ),
    Case(
        "two-kv-secrets-one-resource-name",
        _kv_secrets_one_resource_name,
        "config vault-k8s:kv[2].secrets[1].path: the Pulumi resource name 'kv-kvv2-webapp-config' is already used "
        "by kv[2].secrets[0].path",
    ),
    Case(
        "secret-name-written-twice",
        _secret_name_twice,
        "config vault-k8s:apps[2].secrets[1].secretName: Secret default/webapp-config is already used by "
        "apps[2].secrets[0].secretName",
    ),
    Case(
        "vso-bare-pod",
        _vso_bare_pod,
        "config vault-k8s:apps[2].workload.kind: vso restarts its workload when a secret changes "
        "(rolloutRestartTargets), which a bare Pod cannot do; use Deployment",
    ),
    Case(
        "external-without-workload-address",
        _external_default_workload_address,
        "config vault-k8s:vault.workloadAddress: is required in external mode (the default "
        "http://vault.default:8200 is the in-cluster Vault of internal mode); set the address pods reach Vault at",
    ),
    Case(
        "existing-namespace-not-a-dns-label",
        _existing_namespace_not_a_label,
        "config vault-k8s:existingNamespaces[1]: 'Team_B' is not a valid Kubernetes name (lowercase DNS label)",
    ),
    Case(
        "cluster-context-not-in-kubeconfig",
        _cluster_context_not_in_kubeconfig,
        re.compile(
            r"config vault-k8s:kubernetes\.context: 'kind-vault-demo' is not a context in \$KUBECONFIG \(.*\) "
            r"\(it has 'k8s-prod', 'minikube'\); is this the cluster the stack is for\?"
        ),
    ),
    Case(
        "cluster-unknown-key",
        _cluster_unknown_key,
        "config vault-k8s:kubernetes.namespace: Extra inputs are not permitted",
    ),
    Case("cluster-without-context", _cluster_without_context, "config vault-k8s:kubernetes.context: Field required"),
    Case(
        "production-without-cluster",
        _production_without_cluster,
        "config vault-k8s:kubernetes: is required in production: name the cluster's context (and kubeconfig unless "
        "it is in $KUBECONFIG or ~/.kube/config), so the stack never deploys wherever KUBECONFIG points",
    ),
    Case(
        "existing-pki-mount-with-a-root",
        _existing_pki_with_root,
        "config vault-k8s:pki[0].root: an existing mount keeps its own CA; remove root "
        "(the program manages only the roles of an existing mount)",
    ),
    Case(
        "existing-pki-mount-with-lease-tuning",
        _existing_pki_with_tuning,
        "config vault-k8s:pki[0].maxLeaseTtl: an existing mount keeps its own tuning; remove maxLeaseTtl "
        "(the program manages only the roles of an existing mount)",
    ),
    Case(
        "existing-pki-mount-in-internal-mode",
        _existing_pki_in_internal_mode,
        "config vault-k8s:pki[0].existing: the internal dev-mode Vault starts without PKI mounts; "
        "existing is for an external Vault",
    ),
    Case(
        "existing-auth-mount-in-internal-mode",
        _existing_auth_in_internal_mode,
        "config vault-k8s:kubernetesAuth.existing: the internal dev-mode Vault starts without a kubernetes auth "
        "mount; existing is for an external Vault",
    ),
    Case(
        "created-pki-mount-without-root",
        _created_pki_without_root,
        "config vault-k8s:pki[0].root: is required for a mount the program creates (it issues from an internal "
        "root); `existing: true` adopts a mount that has its CA",
    ),
    Case(
        "audience-with-a-space",
        lambda c: c.__setitem__(f"{NS}kubernetesAuth", {"audience": "vault prod"}),
        "config vault-k8s:kubernetesAuth.audience: 'vault prod' is not a token audience "
        "(one word, no spaces or commas)",
    ),
    Case(
        "untagged-chart-image",
        lambda c: c[f"{NS}charts"].update(images={"vaultCsiProvider": "hashicorp/vault-csi-provider"}),
        "config vault-k8s:charts.images.vaultCsiProvider: 'hashicorp/vault-csi-provider' has neither a tag nor a "
        "digest: pin it (repository:tag or repository@sha256:<digest>); an untagged image is `latest`, which "
        "changes under the same name",
    ),
    Case(
        "chart-path-holds-another-chart",
        lambda c: c[f"{NS}charts"].update(vso={"path": "../shared/charts/vault-0.34.1.tgz"}),
        f"config vault-k8s:charts.vso.path: {SHARED_CHARTS / 'vault-0.34.1.tgz'} holds chart 'vault' version "
        "'0.34.1', not the pinned 'vault-secrets-operator' version '1.4.1' (charts.vso.chart and charts.vso.version)",
    ),
    Case(
        "chart-path-missing",
        lambda c: c[f"{NS}charts"].update(csiDriver={"path": "../shared/charts/secrets-store-csi-driver-1.5.0.tgz"}),
        f"config vault-k8s:charts.csiDriver.path: {SHARED_CHARTS / 'secrets-store-csi-driver-1.5.0.tgz'} "
        "does not exist",
    ),
    Case(
        "node-port-with-an-external-vault",
        lambda c: external(c, {**EXTERNAL_VAULT, "nodePort": 30200}, EXTERNAL_AUTH),
        "config vault-k8s:vault.nodePort: is only for the in-cluster Vault the vault chart installs (vault.mode "
        "internal with charts.managed true); this stack's Vault is not installed by it",
    ),
    Case(
        "node-port-out-of-range",
        lambda c: c[f"{NS}vault"].update(nodePort=8200),
        "config vault-k8s:vault.nodePort: 8200 is not in Kubernetes' NodePort range 30000-32767",
    ),
    Case(
        "in-cluster-vault-without-address",
        lambda c: c[f"{NS}vault"].pop("address"),
        "config vault-k8s:vault.address: is required with the in-cluster Vault (vault.mode internal, "
        "charts.managed): where Pulumi reaches the Vault this stack installs, e.g. "
        "http://<minikube ip>:<vault.nodePort>; no VAULT_ADDR points at it",
    ),
    Case(
        "vault-token-not-secret",
        lambda c: c.__setitem__(f"{NS}vaultToken", "plain-root-token"),
        "config vault-k8s:vaultToken: must be a secret (pulumi config set --secret vaultToken <token>)",
    ),
    Case(
        "malformed-json",
        _malformed_json,
        re.compile(r"config vault-k8s:vault: Configuration 'vault-k8s:vault' value .* is not a valid 'JSON object'"),
    ),
]


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=needs_shared) if c.id == "chart-path-holds-another-chart" else c for c in CASES],
    ids=[c.id for c in CASES],
)
def test_bad_config_fails_before_any_registration(case: Case) -> None:
    config = dev_config()
    case.mutate(config)
    message, recorder = run_failing(config, secret=case.secret_values_are_secret)
    if isinstance(case.message, str):
        assert message == case.message
    else:
        assert case.message.fullmatch(message), message
    assert recorder.resources == []


def test_missing_vault_ca_file_names_the_key(tmp_path: Path) -> None:
    config = dev_config()
    external(config, {**EXTERNAL_VAULT, "caCertFile": "certs/missing-vault-ca.pem"}, EXTERNAL_AUTH)
    message, recorder = run_failing(config, cwd=tmp_path)
    missing = (tmp_path / "certs" / "missing-vault-ca.pem").resolve()
    assert message == f"config vault-k8s:vault.caCertFile: cannot read {missing}: No such file or directory"
    assert recorder.resources == []


def test_missing_kubernetes_ca_file_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "vault-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    config = dev_config()
    external(config, EXTERNAL_VAULT, EXTERNAL_AUTH)
    message, recorder = run_failing(config, cwd=tmp_path)
    missing = (tmp_path / "certs" / "kubernetes-ca.pem").resolve()
    assert message == f"config vault-k8s:kubernetesAuth.caCertFile: cannot read {missing}: No such file or directory"
    assert recorder.resources == []


def test_missing_kubeconfig_file_names_the_key(tmp_path: Path) -> None:
    config = dev_config()
    config[f"{NS}kubernetes"] = {"kubeconfig": ".localcp/kubeconfig", "context": "local"}
    message, recorder = run_failing(config, cwd=tmp_path)
    missing = (tmp_path / ".localcp" / "kubeconfig").resolve()
    assert message == f"config vault-k8s:kubernetes.kubeconfig: cannot read {missing}: No such file or directory"
    assert recorder.resources == []


def test_the_in_cluster_vault_without_a_token_registers_nothing() -> None:
    recorder = Recorder()
    with pytest.raises(StackConfigError) as caught:
        run_program(dev_config(), secret_keys=[SECRET_VALUES], recorder=recorder, vault_token=False)
    assert str(caught.value) == (
        "config vault-k8s:vaultToken: is required with the in-cluster Vault (vault.mode internal, charts.managed): "
        "the dev server's root token, which the chart and Pulumi's Vault provider both get "
        "(pulumi config set --secret vaultToken <token>)"
    )
    assert recorder.resources == []


def test_a_root_token_the_chart_cannot_render_registers_nothing() -> None:
    """The chart writes it unquoted into the pod's environment, where `12345` would be a number."""
    config = {**dev_config(), f"{NS}vaultToken": "12345"}
    recorder = Recorder()
    with pytest.raises(StackConfigError) as caught:
        run_program(config, secret_keys=[SECRET_VALUES, f"{NS}vaultToken"], recorder=recorder)
    assert str(caught.value).startswith("config vault-k8s:vaultToken: the dev server's root token must start with")
    assert "12345" not in str(caught.value)
    assert recorder.resources == []


def test_the_unmodified_dev_config_registers_resources() -> None:
    """The same base config, recorder and harness path do register when nothing is broken."""
    recorder = Recorder()
    run_program(dev_config(), secret_keys=[SECRET_VALUES], recorder=recorder)
    assert len(recorder.resources) > 20
    assert {r.type for r in recorder.resources} >= {"vault:index/policy:Policy", "kubernetes:helm.sh/v3:Release"}


def _broken(case: Case) -> str:
    """The config a case runs with, and whether its secret values are secret, as comparable text."""
    config = dev_config()
    case.mutate(config)
    return json.dumps([config, case.secret_values_are_secret], sort_keys=True, default=repr)


@pytest.fixture(scope="module")
def broken_configs() -> dict[str, str]:
    return {case.id: _broken(case) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_case_breaks_one_config_of_its_own(case: Case, broken_configs: dict[str, str]) -> None:
    """A case whose mutation changes nothing, or the same thing as another case, proves nothing of its own."""
    assert broken_configs[case.id] != json.dumps([dev_config(), True], sort_keys=True, default=repr), case.id
    same = [other for other, text in broken_configs.items() if text == broken_configs[case.id] and other != case.id]
    assert same == [], f"{case.id} makes the same config as {same}"
