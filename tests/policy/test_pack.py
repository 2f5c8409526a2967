"""The policy objects as the SDK calls them: proxied props, options, report callbacks."""

import ast
import json
import sys
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.pack import POLICIES, POLICY_NAMES, default_enforcement

URN = "urn:pulumi:dev::vault-k8s::some:type::name"
POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def named(name: str) -> Policy:
    return next(p for p in POLICIES if p.name == name)


def run_resource(name: str, resource_type: str, props: dict[str, Any], protect: bool = False) -> list[str]:
    policy = named(name)
    assert isinstance(policy, ResourceValidationPolicy)
    reported: list[str] = []
    args = ResourceValidationArgs(resource_type, unknown_checking_proxy(props), URN, "name", options(protect), None)

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    policy.validate(args, report)
    return reported


def test_names_are_unique() -> None:
    """A pack config (the pipeline's policy-config.json) sets each policy by name."""
    assert len(set(POLICY_NAMES)) == len(POLICIES)


def _top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_pack_imports_only_what_its_requirements_install() -> None:
    """The CLI runs the pack in a virtualenv that may hold policy/requirements.txt alone: no pydantic, no
    stackconfig, no program."""
    requirements = (POLICY_DIR / "requirements.txt").read_text().splitlines()
    installed = {line.split("==")[0].strip().lower().replace("-", "_") for line in requirements if "==" in line}
    assert installed == {"pulumi", "pulumi_policy"}
    imported = set().union(*(_top_level_imports(path) for path in POLICY_DIR.glob("*.py")))
    assert imported >= {"pulumi_policy", "policy"}
    assert imported - set(sys.stdlib_module_names) - installed - {"policy"} == set()


def test_policies_leave_enforcement_to_the_pack() -> None:
    assert all(p.enforcement_level is None for p in POLICIES)


def test_address_policy_covers_both_domains() -> None:
    assert run_resource("vault-address-https", "pulumi:providers:vault", {"address": "http://v:8200"}) == [
        'vault provider address "http://v:8200" is not https'
    ]
    vc = {"spec": {"address": "http://v:8200"}}
    assert run_resource("vault-address-https", "kubernetes:secrets.hashicorp.com/v1beta1:VaultConnection", vc) == [
        'VaultConnection address "http://v:8200" is not https'
    ]


def test_unknown_inputs_do_not_abort_or_violate() -> None:
    props = {"address": UNKNOWN_STRING_VALUE, "skipTlsVerify": UNKNOWN_STRING_VALUE}
    assert run_resource("vault-address-https", "pulumi:providers:vault", props) == []
    assert run_resource("vault-tls-verify", "pulumi:providers:vault", props) == []


def test_tls_policy() -> None:
    assert run_resource("vault-tls-verify", "pulumi:providers:vault", {"skipTlsVerify": "true"}) == [
        "vault provider sets skipTlsVerify"
    ]


def test_protection_policy_reads_resource_options() -> None:
    mount = {"path": "apps", "type": "kv-v2"}
    assert run_resource("vault-mounts-protected", "vault:index/mount:Mount", mount, protect=True) == []
    assert run_resource("vault-mounts-protected", "vault:index/mount:Mount", mount, protect=False) == [
        'kv-v2 mount "apps" is not protected'
    ]


def test_dev_mode_policy() -> None:
    props = {"chart": "vault", "values": {"server": {"dev": {"enabled": True}}}}
    assert run_resource("vault-no-dev-mode", "kubernetes:helm.sh/v3:Release", props) == [
        "vault Helm release sets server.dev.enabled"
    ]


def test_injector_policy() -> None:
    props = {"chart": "vault", "values": {"injector": {"enabled": True, "webhook": {"failurePolicy": "Fail"}}}}
    assert run_resource("vault-injector-fail-closed", "kubernetes:helm.sh/v3:Release", props) == []


def test_injector_availability_policy() -> None:
    values = {"injector": {"enabled": True, "webhook": {"failurePolicy": "Fail"}, "replicas": 1}}
    found = run_resource(
        "vault-injector-highly-available", "kubernetes:helm.sh/v3:Release", {"chart": "vault", "values": values}
    )
    assert found[0] == 'injector.replicas is 1 with failurePolicy "Fail", must be at least 2' and len(found) == 3


def test_root_and_role_policies() -> None:
    root = "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert"
    assert run_resource("vault-pki-root-internal", root, {"type": "exported"}) == [
        'PKI root certificate type is "exported", must be "internal"'
    ]
    role = {"roleName": "r", "boundServiceAccountNames": ["*"], "boundServiceAccountNamespaces": ["default"]}
    assert run_resource("vault-k8s-role-bindings", "vault:kubernetes/authBackendRole:AuthBackendRole", role) == [
        'role "r" binds service account names by wildcard "*"'
    ]


def stack_resource(resource_type: str, urn: str, props: dict[str, Any]) -> PolicyResource:
    return PolicyResource(
        resource_type, unknown_checking_proxy(props), urn, urn.rsplit("::", 1)[-1], options(), None, None, [], {}
    )


def test_least_privilege_policy_reports_against_the_policy_resource() -> None:
    policy = named("vault-policy-least-privilege")
    assert isinstance(policy, StackValidationPolicy)
    identity_urn = "urn:pulumi:dev::vault-k8s::vault-k8s:index:App::webapp"
    policy_urn = "urn:pulumi:dev::vault-k8s::vault-k8s:index:App$vault:index/policy:Policy::webapp-policy"
    resources = [
        stack_resource(
            "vault-k8s:index:App",
            identity_urn,
            {
                "app": "webapp",
                "policyName": "internal-app",
                "grants": [{"path": "secret/data/db-pass", "capabilities": ["read"]}],
            },
        ),
        stack_resource(
            "vault:index/policy:Policy",
            policy_urn,
            {
                "name": "internal-app",
                "policy": 'path "secret/data/*" { capabilities = ["read"] }',
            },
        ),
        stack_resource("vault:index/policy:Policy", policy_urn + "-2", {"name": UNKNOWN_STRING_VALUE, "policy": "x"}),
    ]
    reported: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append((message, urn))

    policy.validate(StackValidationArgs(resources), report)
    assert reported == [
        ('policy "internal-app" grants glob path "secret/data/*"', policy_urn),
        ('policy "internal-app" grants [read] on "secret/data/*", which no App declares', policy_urn),
    ]


def test_enforcement_follows_the_production_flag() -> None:
    """Every spelling of the flag is compared with the program's reading in test_production_flag."""
    assert default_enforcement(None) == EnforcementLevel.ADVISORY
    assert default_enforcement(json.dumps({"vault-k8s:production": "false"})) == EnforcementLevel.ADVISORY
    assert default_enforcement(json.dumps({"vault-k8s:production": "true"})) == EnforcementLevel.MANDATORY
