"""SecretProviderClass and VSO custom resource specs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from derive.custom_resources import (
    SPC_API_VERSION,
    VSO_API_VERSION,
    csi_objects,
    secret_provider_class_spec,
    vault_auth_spec,
    vault_connection_spec,
    vault_pki_secret_spec,
    vault_static_secret_spec,
)
from stackconfig.models import AppDecl, KvRef, PkiRef
from tests.unit import TUTORIAL, app, load_stack, tutorial_text

DEV_ADDRESS = "http://vault.default:8200"
VAULT_DATABASE_OBJECTS = """\
- objectName: "db-password"
  secretPath: "secret/data/db-pass"
  secretKey: "password"
"""


def _webapp() -> AppDecl:
    return app(load_stack("dev"), "webapp")


def _vso() -> AppDecl:
    return app(load_stack("dev"), "webapp-vso")


def _kv(ref: Any) -> KvRef:
    assert isinstance(ref, KvRef)
    return ref


def _pki(ref: Any) -> PkiRef:
    assert isinstance(ref, PkiRef)
    return ref


def test_api_versions() -> None:
    assert SPC_API_VERSION == "secrets-store.csi.x-k8s.io/v1"
    assert VSO_API_VERSION == "secrets.hashicorp.com/v1beta1"


def test_vault_database_objects() -> None:
    objects = csi_objects(_webapp())
    assert objects == VAULT_DATABASE_OBJECTS
    assert yaml.safe_load(objects) == [
        {"objectName": "db-password", "secretPath": "secret/data/db-pass", "secretKey": "password"}
    ]


def test_objects_one_entry_per_file() -> None:
    decl = AppDecl.model_validate(
        {
            "name": "multi",
            "method": "csi",
            "serviceAccount": "multi",
            "policy": "multi",
            "role": "multi",
            "secretProviderClass": "multi",
            "secrets": [
                {"kind": "kv", "mount": "kvv2", "path": "webapp/config", "keys": ["username"], "file": "user"},
                {"kind": "kv", "mount": "kvv2", "path": "webapp/config", "keys": ["password"], "file": "pass"},
            ],
            "workload": {"name": "multi"},
        }
    )
    assert csi_objects(decl) == (
        '- objectName: "user"\n  secretPath: "kvv2/data/webapp/config"\n  secretKey: "username"\n'
        '- objectName: "pass"\n  secretPath: "kvv2/data/webapp/config"\n  secretKey: "password"\n'
    )


def test_vault_database_spec() -> None:
    spec = secret_provider_class_spec(_webapp(), DEV_ADDRESS, "kubernetes", None)
    assert spec == {
        "provider": "vault",
        "parameters": {"vaultAddress": DEV_ADDRESS, "roleName": "database", "objects": VAULT_DATABASE_OBJECTS},
    }


def test_vault_address_appears_once() -> None:
    """The tutorial's SPC sets `vaultAddress` twice; YAML keeps the last, the https one a dev Vault lacks."""
    spec = secret_provider_class_spec(_webapp(), DEV_ADDRESS, "kubernetes", None)
    assert spec["parameters"]["vaultAddress"] == "http://vault.default:8200"
    assert yaml.safe_dump(spec).count("vaultAddress:") == 1


@pytest.mark.skipif(not TUTORIAL.exists(), reason="tutorial not available")
def test_against_the_tutorials_spc() -> None:
    blocks = re.findall(r"```yaml\n(apiVersion: secrets-store.*?)```", tutorial_text(), re.S)
    assert len(blocks) == 1
    assert blocks[0].count("vaultAddress:") == 2  # the tutorial's mistake
    tutorial = yaml.safe_load(blocks[0])
    assert tutorial["apiVersion"] == SPC_API_VERSION
    assert tutorial["metadata"]["name"] == _webapp().secret_provider_class
    ours = secret_provider_class_spec(_webapp(), DEV_ADDRESS, "kubernetes", None)
    assert ours["provider"] == tutorial["spec"]["provider"]
    for key in ("roleName", "objects"):
        assert ours["parameters"][key] == tutorial["spec"]["parameters"][key]
    assert tutorial["spec"]["parameters"]["vaultAddress"] == "https://vault.default:8200"
    assert ours["parameters"]["vaultAddress"] == DEV_ADDRESS


def test_spc_with_custom_auth_mount_and_ca() -> None:
    spec = secret_provider_class_spec(_webapp(), "https://vault.example.com:8200", "/k8s-prod/", "/vault/tls/ca.crt")
    assert spec == {
        "provider": "vault",
        "parameters": {
            "vaultAddress": "https://vault.example.com:8200",
            "roleName": "database",
            "objects": VAULT_DATABASE_OBJECTS,
            "vaultKubernetesMountPath": "k8s-prod",
            "vaultCACertPath": "/vault/tls/ca.crt",
        },
    }


def test_default_auth_mount_is_not_repeated() -> None:
    spec = secret_provider_class_spec(_webapp(), DEV_ADDRESS, "/kubernetes/", None)
    assert "vaultKubernetesMountPath" not in spec["parameters"]


def test_vault_connection() -> None:
    assert vault_connection_spec(DEV_ADDRESS, None) == {"address": DEV_ADDRESS, "skipTLSVerify": False}
    assert vault_connection_spec("https://vault.example.com:8200", "vault-ca") == {
        "address": "https://vault.example.com:8200",
        "skipTLSVerify": False,
        "caCertSecretRef": "vault-ca",
    }


def test_vault_auth() -> None:
    assert vault_auth_spec(_vso(), "webapp-vso", "kubernetes") == {
        "vaultConnectionRef": "webapp-vso",
        "method": "kubernetes",
        "mount": "kubernetes",
        "kubernetes": {"role": "vso", "serviceAccount": "webapp-vso"},
    }
    assert vault_auth_spec(_vso(), "c", "/k8s/")["mount"] == "k8s"


def test_vault_static_secret_has_no_data_segment() -> None:
    ref = _kv(_vso().secrets[0])
    assert vault_static_secret_spec(ref, "webapp-vso", "webapp-vso") == {
        "vaultAuthRef": "webapp-vso",
        "type": "kv-v2",
        "mount": "kvv2",
        "path": "webapp/config",
        "refreshAfter": "30s",
        "destination": {"name": "webapp-config", "create": True, "transformation": {}},
        "rolloutRestartTargets": [{"kind": "Deployment", "name": "webapp-vso"}],
    }


def test_vault_pki_secret() -> None:
    ref = _pki(_vso().secrets[1])
    assert vault_pki_secret_spec(ref, "webapp-vso") == {
        "vaultAuthRef": "webapp-vso",
        "mount": "pki",
        "role": "my-role",
        "commonName": "vso.example.com",
        "ttl": "60s",
        "expiryOffset": "12s",
        "destination": {"name": "webapp-tls", "create": True, "type": "kubernetes.io/tls", "transformation": {}},
    }


@pytest.mark.parametrize(
    ("ttl", "text", "offset"), [("24h", "24h", "17280s"), (100, "100s", "20s"), ("3s", "3s", "1s")]
)
def test_pki_expiry_offset_is_a_fifth_of_the_ttl(ttl: str | int, text: str, offset: str) -> None:
    ref = _pki(_vso().secrets[1]).model_copy(update={"ttl": ttl})
    spec = vault_pki_secret_spec(ref, "a")
    assert (spec["ttl"], spec["expiryOffset"]) == (text, offset)
