"""The token audience: bound by every role, requested by every method; absent when the stack turns it off."""

from __future__ import annotations

from derive.annotations import injector_annotations
from derive.custom_resources import secret_provider_class_spec, vault_auth_spec
from derive.workloads import injector_pod_spec
from stackconfig.models import AppDecl
from tests.unit import load_stack

TOKEN_VOLUME_ANNOTATION = "vault.hashicorp.com/agent-service-account-token-volume-name"


def app(method: str) -> AppDecl:
    return next(a for a in load_stack("dev").apps if a.method == method)


def test_default_audience_is_vault() -> None:
    assert load_stack("dev").kubernetes_auth.audience == "vault"


def test_injector_pod_gets_a_projected_token_for_the_audience() -> None:
    spec = injector_pod_spec(app("injector"), "vault")
    assert spec["volumes"] == [
        {
            "name": "vault-token",
            "projected": {
                "sources": [{"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "token"}}]
            },
        }
    ]
    assert injector_annotations(app("injector"), audience="vault")[TOKEN_VOLUME_ANNOTATION] == "vault-token"


def test_without_an_audience_the_injector_uses_the_default_token() -> None:
    assert "volumes" not in injector_pod_spec(app("injector"), None)
    assert TOKEN_VOLUME_ANNOTATION not in injector_annotations(app("injector"), audience=None)


def test_csi_and_vso_carry_the_audience_only_when_set() -> None:
    csi = app("csi")
    assert secret_provider_class_spec(csi, "https://v:8200", "kubernetes", None, "aud")["parameters"]["audience"] == (
        "aud"
    )
    assert "audience" not in secret_provider_class_spec(csi, "https://v:8200", "kubernetes", None)["parameters"]
    vso = app("vso")
    assert vault_auth_spec(vso, "c", "kubernetes", "aud")["kubernetes"]["audiences"] == ["aud"]
    assert "audiences" not in vault_auth_spec(vso, "c", "kubernetes")["kubernetes"]
