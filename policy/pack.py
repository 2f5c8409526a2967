"""The policies of the pack: names, descriptions and the glue to the pure rules."""

from collections.abc import Callable, Mapping
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy import kubernetes_rules, vault_rules
from policy.production import production_flag
from policy.values import unwrap

PACK_NAME: Final = "vault-k8s-guardrails"

ResourceRule = Callable[[str, Mapping[str, Any]], list[str]]


def _resource_validation(*rules: ResourceRule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        props = unwrap(args.props)
        for rule in rules:
            for message in rule(args.resource_type, props):
                report(message, None)

    return validate


def _validate_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for message in vault_rules.protection_violations(args.resource_type, unwrap(args.props), args.opts.protect):
        report(message, None)


def _validate_grants(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = [vault_rules.StackResource(r.resource_type, r.urn, unwrap(r.props)) for r in args.resources]
    for urn, message in vault_rules.grant_violations(resources):
        report(message, urn)


POLICIES: Final[list[Policy]] = [
    ResourceValidationPolicy(
        name="vault-no-dev-mode",
        description="The Vault Helm release must not run Vault in dev mode.",
        validate=_resource_validation(kubernetes_rules.dev_mode_violations),
        severity=Severity.CRITICAL,
    ),
    ResourceValidationPolicy(
        name="vault-address-https",
        description="Every Vault address must use https.",
        validate=_resource_validation(vault_rules.address_violations, kubernetes_rules.address_violations),
        severity=Severity.HIGH,
    ),
    ResourceValidationPolicy(
        name="vault-tls-verify",
        description="Clients must verify Vault's TLS certificate.",
        validate=_resource_validation(vault_rules.tls_violations, kubernetes_rules.tls_violations),
        severity=Severity.HIGH,
    ),
    ResourceValidationPolicy(
        name="vault-mounts-protected",
        description="KV and PKI mounts and the kubernetes auth mount must be protected.",
        validate=_validate_protection,
        severity=Severity.HIGH,
    ),
    ResourceValidationPolicy(
        name="vault-pki-root-internal",
        description="The PKI root key must be generated inside Vault.",
        validate=_resource_validation(vault_rules.root_cert_violations),
        severity=Severity.HIGH,
    ),
    ResourceValidationPolicy(
        name="vault-k8s-role-bindings",
        description="Kubernetes auth roles must name their ServiceAccounts and namespaces.",
        validate=_resource_validation(vault_rules.role_binding_violations),
        severity=Severity.HIGH,
    ),
    ResourceValidationPolicy(
        name="vault-injector-fail-closed",
        description="The Vault Agent injector webhook must fail closed.",
        validate=_resource_validation(kubernetes_rules.injector_violations),
        severity=Severity.MEDIUM,
    ),
    ResourceValidationPolicy(
        name="vault-injector-highly-available",
        description=(
            "A fail-closed injector webhook runs at least two replicas with a disruption budget and selects "
            "only the namespaces that use it."
        ),
        validate=_resource_validation(kubernetes_rules.injector_availability_violations),
        severity=Severity.HIGH,
    ),
    StackValidationPolicy(
        name="vault-policy-least-privilege",
        description="Vault policies must grant exactly the paths the apps declare.",
        validate=_validate_grants,
        severity=Severity.HIGH,
    ),
]

POLICY_NAMES: Final = [p.name for p in POLICIES]


def default_enforcement(config_env: str | None) -> EnforcementLevel:
    """Mandatory on production stacks, advisory elsewhere; an explicit pack config overrides this. `config_env`:
    the stack config the CLI hands the pack (PULUMI_CONFIG). A flag the program would refuse stops the pack
    (ProductionFlagError) rather than running it advisory."""
    production = production_flag(config_env, "PULUMI_CONFIG")
    return EnforcementLevel.MANDATORY if production else EnforcementLevel.ADVISORY
