"""Helm values follow from which methods the apps use and where Vault is."""

from __future__ import annotations

from typing import Any

import pytest

from derive.helm_values import csi_driver_values, vault_chart_values, vso_values
from stackconfig.load import parse_stack_config
from stackconfig.models import StackConfig
from tests.unit import load_stack, raw_stack

CA_VOLUME = {"name": "vault-ca", "secret": {"secretName": "vault-ca"}}
CA_MOUNT = {"name": "vault-ca", "mountPath": "/vault/tls", "readOnly": True}


def _with(stack: str, **changes: Any) -> StackConfig:
    raw = raw_stack(stack)
    raw.update(changes)
    return parse_stack_config(raw)


def _only(stack: str, method: str) -> StackConfig:
    raw = raw_stack(stack)
    raw["apps"] = [a for a in raw["apps"] if a["method"] == method]
    return parse_stack_config(raw)


def test_dev_vault_chart() -> None:
    """Tutorial 1.2 + 2.1: dev server, CSI provider and injector in one release."""
    assert vault_chart_values(load_stack("dev")) == {
        "injector": {"enabled": True, "webhook": {"failurePolicy": "Ignore"}},
        "csi": {"enabled": True},
        "server": {"dev": {"enabled": True}},
    }


BILLING_ONLY = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["billing"]}]}


def test_prod_vault_chart() -> None:
    """The injector fails closed, so it runs twice, keeps one up through drains and sees only its apps' namespaces."""
    assert vault_chart_values(load_stack("prod")) == {
        "injector": {
            "enabled": True,
            "webhook": {"failurePolicy": "Fail", "namespaceSelector": BILLING_ONLY},
            "replicas": 2,
            "podDisruptionBudget": {"maxUnavailable": 1},
        },
        "csi": {"enabled": True, "volumes": [CA_VOLUME], "volumeMounts": [CA_MOUNT]},
        "global": {"externalVaultAddr": "https://vault.prod.example.com:8200"},
    }


def test_csi_only_is_the_tutorials_section_1() -> None:
    """`--set server.dev.enabled=true --set injector.enabled=false --set csi.enabled=true`."""
    assert vault_chart_values(_only("dev", "csi")) == {
        "injector": {"enabled": False},
        "csi": {"enabled": True},
        "server": {"dev": {"enabled": True}},
    }


def test_injector_only_is_the_tutorials_section_2() -> None:
    assert vault_chart_values(_only("dev", "injector")) == {
        "injector": {"enabled": True, "webhook": {"failurePolicy": "Ignore"}},
        "csi": {"enabled": False},
        "server": {"dev": {"enabled": True}},
    }


def test_vso_only_needs_neither_injector_nor_csi_provider() -> None:
    assert vault_chart_values(_only("prod", "vso")) == {
        "injector": {"enabled": False},
        "csi": {"enabled": False},
        "global": {"externalVaultAddr": "https://vault.prod.example.com:8200"},
    }


def test_external_unverified_vault_mounts_no_ca() -> None:
    vault = {
        "mode": "external",
        "workloadAddress": "http://vault.lan:8200",
    }
    cfg = _with("prod", vault=vault)
    assert vault_chart_values(cfg)["csi"] == {"enabled": True}
    assert vault_chart_values(cfg)["global"] == {"externalVaultAddr": "http://vault.lan:8200"}


def test_csi_driver_defaults() -> None:
    # dev polls for its database app: the only way the CSI method replaces a database credential.
    assert csi_driver_values(load_stack("dev")) == {
        "syncSecret": {"enabled": True},
        "tokenRequests": [{"audience": "vault"}],
        "enableSecretRotation": True,
        "rotationPollInterval": "2m",
    }


def test_csi_driver_without_an_audience_requests_no_token() -> None:
    cfg = _with("dev", kubernetesAuth={"audience": None})
    assert "tokenRequests" not in csi_driver_values(cfg)
    assert csi_driver_values(cfg)["syncSecret"] == {"enabled": True}


@pytest.mark.parametrize(("interval", "text"), [("2m", "2m"), (120, "120s")])
def test_csi_driver_rotation(interval: str | int, text: str) -> None:
    cfg = _with("dev", charts={"csiRotationPollInterval": interval})
    assert csi_driver_values(cfg) == {
        "syncSecret": {"enabled": True},
        "tokenRequests": [{"audience": "vault"}],
        "enableSecretRotation": True,
        "rotationPollInterval": text,
    }


def test_vso_keeps_chart_defaults() -> None:
    assert vso_values(load_stack("dev")) == {}
    assert vso_values(load_stack("prod")) == {}


def test_fail_closed_injector_sees_every_injector_namespace_and_no_other() -> None:
    raw = raw_stack("prod")
    raw["apps"].append({**raw["apps"][1], "name": "billing-2", "namespace": "audit", "policy": "p2", "role": "r2"})
    selector = vault_chart_values(parse_stack_config(raw))["injector"]["webhook"]["namespaceSelector"]
    assert selector["matchExpressions"][0]["values"] == ["audit", "billing"]


def test_fail_open_injector_keeps_the_chart_defaults() -> None:
    cfg = _with("prod", charts={"injectorFailurePolicy": "Ignore"})
    assert vault_chart_values(cfg)["injector"] == {"enabled": True, "webhook": {"failurePolicy": "Ignore"}}
