"""Least-privilege policies, exactly as the tutorial writes them, named as each app declares."""

from __future__ import annotations

import re

import pytest

from derive.policies import ISSUE, READ, Grant, app_grants, render_policy
from stackconfig.models import AppDecl
from tests.program.harness import Run, run_stack
from tests.unit import TUTORIAL, app, load_stack, tutorial_text

INTERNAL_APP = """\
path "secret/data/db-pass" {
  capabilities = ["read"]
}
"""

INJECTION_APP = """\
path "for-injection/data/my-pass" {
  capabilities = ["read"]
}

path "pki/issue/my-role" {
  capabilities = ["create", "update"]
}
"""

VSO_APP = """\
path "kvv2/data/webapp/config" {
  capabilities = ["read"]
}

path "pki/issue/my-role" {
  capabilities = ["create", "update"]
}
"""


@pytest.mark.parametrize(
    ("name", "grants"),
    [
        ("webapp", [Grant("secret/data/db-pass", READ)]),
        ("webapp-injection", [Grant("for-injection/data/my-pass", READ), Grant("pki/issue/my-role", ISSUE)]),
        ("webapp-vso", [Grant("kvv2/data/webapp/config", READ), Grant("pki/issue/my-role", ISSUE)]),
    ],
)
def test_dev_grants(name: str, grants: list[Grant]) -> None:
    assert app_grants(app(load_stack("dev"), name)) == grants


@pytest.mark.parametrize(
    ("name", "policy"), [("webapp", INTERNAL_APP), ("webapp-injection", INJECTION_APP), ("webapp-vso", VSO_APP)]
)
def test_dev_policies(name: str, policy: str) -> None:
    assert render_policy(app_grants(app(load_stack("dev"), name))) == policy


def test_prod_policies() -> None:
    cfg = load_stack("prod")
    assert render_policy(app_grants(app(cfg, "orders"))) == (
        'path "apps/data/orders/db" {\n  capabilities = ["read"]\n}\n'
    )
    assert render_policy(app_grants(app(cfg, "billing"))) == (
        'path "apps/data/billing/api" {\n  capabilities = ["read"]\n}\n'
        "\n"
        'path "pki/issue/services" {\n  capabilities = ["create", "update"]\n}\n'
    )


@pytest.mark.skipif(not TUTORIAL.exists(), reason="tutorial not available")
@pytest.mark.parametrize(("policy", "name"), [("internal-app", "webapp"), ("injection-app", "webapp-injection")])
def test_policies_equal_the_tutorials_heredocs(policy: str, name: str) -> None:
    heredocs = re.findall(rf"vault policy write {policy} - <<EOF\n(.*?)\nEOF\n", tutorial_text(), re.S)
    assert heredocs, policy
    for text in heredocs:
        assert render_policy(app_grants(app(load_stack("dev"), name))) == text + "\n"


def _app(secrets: list[dict[str, object]]) -> AppDecl:
    return AppDecl.model_validate(
        {
            "name": "a",
            "method": "vso",
            "serviceAccount": "a",
            "policy": "a",
            "role": "a",
            "secrets": secrets,
            "workload": {"name": "a"},
        }
    )


def test_repeated_paths_are_granted_once_in_declaration_order() -> None:
    decl = _app(
        [
            {"kind": "pki", "role": "r", "commonName": "a.example.com", "secretName": "tls-a"},
            {"kind": "kv", "mount": "kv", "path": "x", "keys": ["a"], "secretName": "x-a"},
            {"kind": "kv", "mount": "kv", "path": "x", "keys": ["b"], "secretName": "x-b"},
            {"kind": "pki", "role": "r", "commonName": "b.example.com", "secretName": "tls-b"},
        ]
    )
    assert app_grants(decl) == [Grant("pki/issue/r", ISSUE), Grant("kv/data/x", READ)]
    assert render_policy(app_grants(decl)) == (
        'path "pki/issue/r" {\n  capabilities = ["create", "update"]\n}\n'
        "\n"
        'path "kv/data/x" {\n  capabilities = ["read"]\n}\n'
    )


def test_empty_policy() -> None:
    assert render_policy([]) == ""


@pytest.fixture(scope="module")
def dev_run() -> Run:
    return run_stack("dev")


def test_policies_are_named_as_each_app_declares(dev_run: Run) -> None:
    """The tutorial's PowerShell variant wrote the csi policy as `injection-app`; the program can't."""
    policies = {r.inputs["name"]: r.inputs["policy"] for r in dev_run.recorder.of_type("vault:index/policy:Policy")}
    creds = 'path "database/creds/app-readonly" {\n  capabilities = ["read"]\n}\n'
    assert policies == {
        "internal-app": INTERNAL_APP,
        "injection-app": INJECTION_APP,
        "vso-app": VSO_APP,
        **{f"db-{method}-app": creds for method in ("csi", "injector", "vso")},
    }
    roles = {
        r.inputs["roleName"]: r.inputs["tokenPolicies"]
        for r in dev_run.recorder.of_type("vault:kubernetes/authBackendRole:AuthBackendRole")
    }
    assert roles == {
        "database": ["internal-app"],
        "injection": ["injection-app"],
        "vso": ["vso-app"],
        **{f"db-{method}": [f"db-{method}-app"] for method in ("csi", "injector", "vso")},
    }
