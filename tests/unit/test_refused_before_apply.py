"""Values the API server, a CRD or Vault would refuse mid-apply are refused while validating, naming the key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from derive.custom_resources import vault_static_secret_spec
from stackconfig.models import KvRef, PkiRef, PkiRoleDecl
from tests.unit import app
from tests.unit.test_models import EXTERNAL_AUTH, EXTERNAL_VAULT, Mutation, parses, problems


def _vso_app(name: str, secret_name: str, namespace: str = "default") -> dict[str, Any]:
    return {
        "name": name,
        "method": "vso",
        "namespace": namespace,
        "serviceAccount": name,
        "policy": name,
        "role": name,
        "secrets": [
            {"kind": "kv", "mount": "kvv2", "path": "webapp/config", "keys": ["password"], "secretName": secret_name}
        ],
        "workload": {"name": name},
    }


def _csi_app(name: str, spc: str) -> dict[str, Any]:
    return {
        "name": name,
        "method": "csi",
        "serviceAccount": name,
        "policy": name,
        "role": name,
        "secretProviderClass": spc,
        "secrets": [{"kind": "kv", "mount": "secret", "path": "db-pass", "keys": ["password"], "file": "p"}],
        "workload": {"kind": "Pod", "name": name},
    }


def _external(r: dict[str, Any], then: Callable[[], None] | None = None) -> None:
    r["vault"] = dict(EXTERNAL_VAULT)
    r["kubernetesAuth"] = dict(EXTERNAL_AUTH)
    if then:
        then()


def _kv(mount: str, *paths: str) -> dict[str, Any]:
    return {"path": mount, "secrets": [{"path": p, "keys": ["k"], "seed": True} for p in paths]}


# --- durations the VSO CRDs take: one number, one unit -----------------------------------------------------


@pytest.mark.parametrize(("value", "example"), [("1h30m", "90m"), ("1d", "24h"), ("45", "45s"), ("2m30s", "150s")])
def test_refresh_after_takes_one_unit(value: str, example: str) -> None:
    assert problems("dev", lambda r: r["apps"][2]["secrets"][0].update(refreshAfter=value)) == (
        f"config vault-k8s:apps[2].secrets[0].refreshAfter: {value!r} is not a duration "
        f"VaultStaticSecret.refreshAfter takes: one number and one unit of s, m, h (e.g. {example})"
    )


@pytest.mark.parametrize(("value", "sent"), [("90m", "90m"), (90, "90s"), ("2h", "2h")])
def test_refresh_after_in_one_unit_is_accepted(value: str | int, sent: str) -> None:
    cfg = parses("dev", lambda r: r["apps"][2]["secrets"][0].update(refreshAfter=value))
    ref = app(cfg, "webapp-vso").secrets[0]
    assert isinstance(ref, KvRef)
    assert vault_static_secret_spec(ref, "webapp-vso", "webapp-vso")["refreshAfter"] == sent


def _long_role(r: dict[str, Any]) -> None:
    r["pki"][0]["roles"][0].update(ttl="2h", maxTtl="2h")


def test_vso_pki_ttl_takes_one_unit() -> None:
    def mutate(r: dict[str, Any]) -> None:
        _long_role(r)
        r["apps"][2]["secrets"][1]["ttl"] = "1h30m"

    assert problems("dev", mutate) == (
        "config vault-k8s:apps[2].secrets[1].ttl: '1h30m' is not a duration VaultPKISecret.ttl takes: "
        "one number and one unit of s, m, h, d (e.g. 90m)"
    )


def test_injector_pki_ttl_may_be_compound() -> None:
    """The agent hands the ttl to Vault, which reads Go durations."""

    def mutate(r: dict[str, Any]) -> None:
        _long_role(r)
        r["apps"][1]["secrets"][1]["ttl"] = "1h30m"

    ref = app(parses("dev", mutate), "webapp-injection").secrets[1]
    assert isinstance(ref, PkiRef) and ref.ttl == "1h30m"


def test_vso_pki_ttl_in_days_is_accepted() -> None:
    def mutate(r: dict[str, Any]) -> None:
        r["pki"][0]["roles"][0].update(ttl="1d", maxTtl="1d")
        r["apps"][2]["secrets"][1]["ttl"] = "1d"

    ref = app(parses("dev", mutate), "webapp-vso").secrets[1]
    assert isinstance(ref, PkiRef) and ref.ttl == "1d"


# --- PKI key type and size -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (
            {"keyType": "ec", "keyBits": 4096},
            "keyBits: 4096 is not a size Vault takes for ec keys (224, 256, 384, 521)",
        ),
        (
            {"keyType": "rsa", "keyBits": 256},
            "keyBits: 256 is not a size Vault takes for rsa keys (2048, 3072, 4096, 8192)",
        ),
        (
            {"keyType": "rsa", "keyBits": 1024},
            "keyBits: 1024 is not a size Vault takes for rsa keys (2048, 3072, 4096, 8192)",
        ),
        ({"keyType": "ed25519", "keyBits": 4096}, "keyBits: ed25519 keys have one size; leave keyBits unset"),
    ],
)
def test_key_size_must_fit_the_key_type(role: dict[str, Any], message: str) -> None:
    assert problems("dev", lambda r: r["pki"][0]["roles"][0].update(role)) == (
        f"config vault-k8s:pki[0].roles[0].{message}"
    )


@pytest.mark.parametrize(
    ("key_type", "key_bits", "sent"),
    [("rsa", None, 2048), ("rsa", 8192, 8192), ("ec", None, 256), ("ec", 521, 521), ("ed25519", None, None)],
)
def test_key_size_sent_to_vault(key_type: str, key_bits: int | None, sent: int | None) -> None:
    role = PkiRoleDecl(name="r", key_type=key_type, key_bits=key_bits, allowed_domains=["example.com"])  # type: ignore[arg-type]
    assert role.key_size() == sent


# --- Kubernetes names ---------------------------------------------------------------------------------------------

SUBDOMAIN = "is not a valid Kubernetes name (lowercase DNS subdomain)"
LABEL = "is not a valid Kubernetes name (lowercase DNS label)"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda r: r["apps"][2]["secrets"][0].update(secretName="Webapp_Config"),
            f"config vault-k8s:apps[2].secrets[0].secretName: 'Webapp_Config' {SUBDOMAIN}",
        ),
        (
            lambda r: r["apps"][2]["secrets"][1].update(secretName="webapp-tls."),
            f"config vault-k8s:apps[2].secrets[1].secretName: 'webapp-tls.' {SUBDOMAIN}",
        ),
        (
            lambda r: r["apps"][0].update(secretProviderClass="vault database"),
            f"config vault-k8s:apps[0].secretProviderClass: 'vault database' {SUBDOMAIN}",
        ),
        (
            lambda r: r["apps"][1].update(serviceAccount="webapp_vault"),
            f"config vault-k8s:apps[1].serviceAccount: 'webapp_vault' {SUBDOMAIN}",
        ),
        (
            lambda r: r["apps"][1]["workload"].update(name="Webapp-Injection"),
            f"config vault-k8s:apps[1].workload.name: 'Webapp-Injection' {SUBDOMAIN}",
        ),
        (
            lambda r: r["apps"][1].update(namespace="team.apps"),
            f"config vault-k8s:apps[1].namespace: 'team.apps' {LABEL}",
        ),
        (
            lambda r: r["apps"][1].update(namespace="n" * 64),
            f"config vault-k8s:apps[1].namespace: {'n' * 64!r} {LABEL}",
        ),
        (
            lambda r: r["apps"][2]["workload"].update(name="w" * 64),
            f"config vault-k8s:apps[2].workload.name: {'w' * 64!r} is too long for the default label app=<name> "
            "(at most 63 characters); set labels",
        ),
        (
            lambda r: r["apps"][1]["workload"].update(labels={"app": "issues!"}),
            "config vault-k8s:apps[1].workload.labels.app: 'issues!' is not a valid Kubernetes label value "
            "(at most 63 of A-Z a-z 0-9 - _ .)",
        ),
        (
            lambda r: r["apps"][1]["workload"].update(labels={"Team Name": "a"}),
            "config vault-k8s:apps[1].workload.labels.Team Name: 'Team Name' is not a valid Kubernetes label key",
        ),
    ],
)
def test_kubernetes_names(mutate: Mutation, message: str) -> None:
    assert problems("dev", mutate) == message


def test_objects_in_a_namespace_may_be_dns_subdomains() -> None:
    def mutate(r: dict[str, Any]) -> None:
        r["apps"][1]["serviceAccount"] = "webapp.vault"
        r["apps"][2]["workload"] = {"name": "w" * 64 + ".v1", "labels": {"app.kubernetes.io/name": "webapp-vso"}}
        r["apps"][2]["secrets"][0]["secretName"] = "webapp.config"

    cfg = parses("dev", mutate)
    assert app(cfg, "webapp-vso").workload.name == "w" * 64 + ".v1"


# --- one object, one resource name --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda r: r["apps"][2]["secrets"][1].update(secretName="webapp-config"),
            "config vault-k8s:apps[2].secrets[1].secretName: Secret default/webapp-config is already used by "
            "apps[2].secrets[0].secretName",
        ),
        (
            lambda r: r["apps"].append(_vso_app("other-vso", "webapp-config")),
            "config vault-k8s:apps[6].secrets[0].secretName: Secret default/webapp-config is already used by "
            "apps[2].secrets[0].secretName",
        ),
        (
            lambda r: r["apps"][2].update(serviceAccount="webapp-vault"),
            "config vault-k8s:apps[2].serviceAccount: ServiceAccount default/webapp-vault is already used by "
            "apps[1].serviceAccount",
        ),
        (
            lambda r: r["apps"][2]["workload"].update(name="webapp-injection"),
            "config vault-k8s:apps[2].workload.name: Deployment default/webapp-injection is already used by "
            "apps[1].workload.name",
        ),
        (
            lambda r: r["apps"].append(_csi_app("other-csi", "vault-database")),
            "config vault-k8s:apps[6].secretProviderClass: SecretProviderClass default/vault-database is already "
            "used by apps[0].secretProviderClass",
        ),
        (
            lambda r: _external(r, lambda: r["apps"][2]["secrets"][0].update(secretName="vault-ca")),
            "config vault-k8s:apps[2].secrets[0].secretName: Secret default/vault-ca is already used by "
            "the program for Vault's CA",
        ),
        (
            lambda r: _external(r, lambda: r["apps"][2].update(serviceAccount="vault-token-reviewer")),
            "config vault-k8s:apps[2].serviceAccount: ServiceAccount default/vault-token-reviewer is already used "
            "by the program for the token reviewer",
        ),
        (
            lambda r: [
                r["apps"][1].update(namespace="team-a", serviceAccount="web"),
                r["apps"][2].update(namespace="team", serviceAccount="a-web"),
            ],
            "config vault-k8s:apps[2].serviceAccount: the Pulumi resource name 'app-team-a-web' is already used by "
            "apps[1].serviceAccount",
        ),
        (
            lambda r: r["kv"].append(_kv("x", "a/b", "a-b")),
            "config vault-k8s:kv[3].secrets[1].path: the Pulumi resource name 'kv-x-a-b' is already used by "
            "kv[3].secrets[0].path",
        ),
        (
            lambda r: r["kv"].extend([_kv("x", "y-z"), _kv("x-y", "z")]),
            "config vault-k8s:kv[4].secrets[0].path: the Pulumi resource name 'kv-x-y-z' is already used by "
            "kv[3].secrets[0].path",
        ),
        (
            lambda r: r["pki"].extend(
                [
                    {
                        "path": "a",
                        "root": {"commonName": "a"},
                        "roles": [{"name": "b-role-c", "allowedDomains": ["x"]}],
                    },
                    {
                        "path": "a-role-b",
                        "root": {"commonName": "a"},
                        "roles": [{"name": "c", "allowedDomains": ["x"]}],
                    },
                ]
            ),
            "config vault-k8s:pki[2].roles[0].name: the Pulumi resource name 'pki-a-role-b-role-c' is already used "
            "by pki[1].roles[0].name",
        ),
        (
            lambda r: r["apps"].extend([_vso_app("x", "y-static-z"), _vso_app("x-static-y", "z")]),
            "config vault-k8s:apps[7].secrets[0].secretName: the Pulumi resource name "
            "'app-default-x-static-y-static-z' is already used by apps[6].secrets[0].secretName",
        ),
    ],
)
def test_one_object_per_declaration(mutate: Mutation, message: str) -> None:
    assert problems("dev", mutate) == message


def test_same_secret_name_in_another_namespace_is_accepted() -> None:
    cfg = parses("dev", lambda r: r["apps"].append(_vso_app("other-vso", "webapp-config", namespace="team-b")))
    assert app(cfg, "other-vso").namespace == "team-b"


def test_unseeded_secrets_register_no_resource_so_cannot_collide() -> None:
    def mutate(r: dict[str, Any]) -> None:
        r["kv"].append({"path": "x", "secrets": [{"path": p, "keys": ["k"], "seed": False} for p in ("a/b", "a-b")]})

    assert [s.path for s in parses("dev", mutate).kv[3].secrets] == ["a/b", "a-b"]


# --- what VSO cannot do, and where Vault is -------------------------------------------------------------------------


def test_vso_cannot_restart_a_bare_pod() -> None:
    assert problems("dev", lambda r: r["apps"][2]["workload"].update(kind="Pod")) == (
        "config vault-k8s:apps[2].workload.kind: vso restarts its workload when a secret changes "
        "(rolloutRestartTargets), which a bare Pod cannot do; use Deployment"
    )


@pytest.mark.parametrize("key", ["my key", "a/b", "1password"])
def test_vso_keys_must_be_secret_keys_and_env_names(key: str) -> None:
    def mutate(r: dict[str, Any]) -> None:
        r["kv"][2]["secrets"][0]["keys"].append(key)
        r["apps"][2]["secrets"][0]["keys"] = [key]

    assert problems("dev", mutate) == (
        f"config vault-k8s:apps[2].secrets[0].keys: {key!r} cannot be a Secret key and environment variable "
        "(letters, digits, '-', '_' and '.', not starting with a digit)"
    )


def test_injector_keys_may_be_any_text() -> None:
    def mutate(r: dict[str, Any]) -> None:
        r["kv"][1]["secrets"][0]["keys"] = ["my-key", "1password"]
        r["apps"][1]["secrets"][0]["keys"] = ["my-key", "1password"]

    ref = app(parses("dev", mutate), "webapp-injection").secrets[0]
    assert isinstance(ref, KvRef) and ref.keys == ["my-key", "1password"]


def test_external_mode_needs_an_explicit_workload_address() -> None:
    def mutate(r: dict[str, Any]) -> None:
        _external(r)
        del r["vault"]["workloadAddress"]

    assert problems("dev", mutate) == (
        "config vault-k8s:vault.workloadAddress: is required in external mode (the default "
        "http://vault.default:8200 is the in-cluster Vault of internal mode); set the address pods reach Vault at"
    )


def test_external_mode_with_the_default_address_spelled_out_is_accepted() -> None:
    def mutate(r: dict[str, Any]) -> None:
        _external(r)
        r["vault"]["workloadAddress"] = "http://vault.default:8200"

    assert parses("dev", mutate).vault.workload_address == "http://vault.default:8200"
