"""Rules for the Kubernetes side: Helm releases, CSI and VSO custom resources, workloads.

Pure functions over plain dicts; each returns violation messages.
"""

import re
from collections.abc import Mapping
from typing import Any, Final

from policy.values import get_path, https_violations, is_unknown, truthy

HELM_RELEASE: Final = "kubernetes:helm.sh/v3:Release"
SECRET_PROVIDER_CLASS: Final = "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
VAULT_CONNECTION: Final = "kubernetes:secrets.hashicorp.com/v1beta1:VaultConnection"
POD: Final = "kubernetes:core/v1:Pod"
CRON_JOB: Final = "kubernetes:batch/v1:CronJob"
# Kinds whose pod template sits at spec.template.
TEMPLATED: Final = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
)
WORKLOADS: Final = (*TEMPLATED, POD, CRON_JOB)

SERVICE_ANNOTATION: Final = "vault.hashicorp.com/service"
SKIP_VERIFY_ANNOTATION: Final = "vault.hashicorp.com/tls-skip-verify"

# "vault", "hashicorp/vault", "oci://host/charts/vault", "./charts/vault-0.30.0.tgz"
_VAULT_CHART: Final = re.compile(r"(^|/)vault(-\d[^/]*)?(\.tgz)?$")
_VSO_CHART: Final = re.compile(r"(^|/)vault-secrets-operator(-\d[^/]*)?(\.tgz)?$")


def _chart_matches(props: Mapping[str, Any], pattern: re.Pattern[str]) -> bool:
    chart = props.get("chart")
    return isinstance(chart, str) and not is_unknown(chart) and bool(pattern.search(chart.strip()))


def _values(resource_type: str, props: Mapping[str, Any], pattern: re.Pattern[str]) -> Mapping[str, Any] | None:
    """The Helm values of a release of the given chart, else None."""
    if resource_type != HELM_RELEASE or not _chart_matches(props, pattern):
        return None
    values = props.get("values")
    return values if isinstance(values, Mapping) else {}


def dev_mode_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    values = _values(resource_type, props, _VAULT_CHART)
    if values is None or not truthy(get_path(values, "server", "dev", "enabled")):
        return []
    return ["vault Helm release sets server.dev.enabled"]


def _injector_enabled(values: Mapping[str, Any]) -> bool | None:
    """Whether the chart renders the injector; the chart's "-" means follow global.enabled."""
    raw = get_path(values, "injector", "enabled")
    if is_unknown(raw):
        return None
    explicit = truthy(raw)
    if explicit is not None:
        return explicit
    global_raw = get_path(values, "global", "enabled")
    if is_unknown(global_raw):
        return None
    global_enabled = truthy(global_raw)
    return True if global_enabled is None else global_enabled


def injector_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    values = _values(resource_type, props, _VAULT_CHART)
    if values is None or not _injector_enabled(values):
        return []
    policy = get_path(values, "injector", "webhook", "failurePolicy")
    if is_unknown(policy) or policy == "Fail":
        return []
    if policy is None:
        return ['injector.webhook.failurePolicy is unset (chart default "Ignore"), must be "Fail"']
    return [f'injector.webhook.failurePolicy is "{policy}", must be "Fail"']


INJECTOR_MIN_REPLICAS: Final = 2


def injector_availability_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A fail-closed injector blocks every pod it selects while it is down: it must run twice, keep one
    replica through drains, and select only the namespaces that use it."""
    values = _values(resource_type, props, _VAULT_CHART)
    if values is None or not _injector_enabled(values):
        return []
    # The chart reads webhook.failurePolicy, falling back to the deprecated injector.failurePolicy.
    policy = get_path(values, "injector", "webhook", "failurePolicy") or get_path(values, "injector", "failurePolicy")
    if policy != "Fail":
        return []
    found = []
    least = f'with failurePolicy "Fail", must be at least {INJECTOR_MIN_REPLICAS}'
    replicas = get_path(values, "injector", "replicas")
    if replicas is None:
        found.append(f"injector.replicas is unset (chart default 1) {least}")
    elif isinstance(replicas, int | float) and not isinstance(replicas, bool) and replicas < INJECTOR_MIN_REPLICAS:
        found.append(f"injector.replicas is {replicas} {least}")
    elif truthy(get_path(values, "injector", "leaderElector", "enabled")) is False:
        found.append("injector.leaderElector.enabled is false: replicas would each write their own TLS certificate")
    budget = get_path(values, "injector", "podDisruptionBudget")
    if not is_unknown(budget) and not budget:
        found.append('injector.podDisruptionBudget is unset with failurePolicy "Fail": a drain may stop every replica')
    selector = get_path(values, "injector", "webhook", "namespaceSelector") or get_path(
        values, "injector", "namespaceSelector"
    )
    if not is_unknown(selector) and not selector:
        found.append(
            'injector.webhook.namespaceSelector is unset with failurePolicy "Fail": pods in every namespace, '
            "kube-system included, wait on the injector"
        )
    return found


def _pod_annotations(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Where the injector reads its annotations: the pod's own metadata."""
    if resource_type == POD:
        annotations = get_path(props, "metadata", "annotations")
    elif resource_type == CRON_JOB:
        annotations = get_path(props, "spec", "jobTemplate", "spec", "template", "metadata", "annotations")
    else:
        annotations = get_path(props, "spec", "template", "metadata", "annotations")
    return annotations if isinstance(annotations, Mapping) else {}


def address_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    vault_values = _values(resource_type, props, _VAULT_CHART)
    if vault_values is not None:
        return https_violations(
            "Helm value global.externalVaultAddr", get_path(vault_values, "global", "externalVaultAddr")
        ) + https_violations(
            "Helm value injector.externalVaultAddr", get_path(vault_values, "injector", "externalVaultAddr")
        )
    vso_values = _values(resource_type, props, _VSO_CHART)
    if vso_values is not None:
        return https_violations(
            "Helm value defaultVaultConnection.address", get_path(vso_values, "defaultVaultConnection", "address")
        )
    if resource_type == SECRET_PROVIDER_CLASS:
        return https_violations(
            "SecretProviderClass vaultAddress", get_path(props, "spec", "parameters", "vaultAddress")
        )
    if resource_type == VAULT_CONNECTION:
        return https_violations("VaultConnection address", get_path(props, "spec", "address"))
    if resource_type in WORKLOADS:
        return https_violations(
            f"annotation {SERVICE_ANNOTATION}", _pod_annotations(resource_type, props).get(SERVICE_ANNOTATION)
        )
    return []


def tls_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    vso_values = _values(resource_type, props, _VSO_CHART)
    if vso_values is not None:
        if truthy(get_path(vso_values, "defaultVaultConnection", "skipTLSVerify")):
            return ["Helm value defaultVaultConnection.skipTLSVerify is true"]
        return []
    if resource_type == SECRET_PROVIDER_CLASS:
        if truthy(get_path(props, "spec", "parameters", "vaultSkipTLSVerify")):
            return ['SecretProviderClass sets vaultSkipTLSVerify to "true"']
        return []
    if resource_type == VAULT_CONNECTION:
        if truthy(get_path(props, "spec", "skipTLSVerify")):
            return ["VaultConnection sets skipTLSVerify"]
        return []
    if resource_type in WORKLOADS and truthy(_pod_annotations(resource_type, props).get(SKIP_VERIFY_ANNOTATION)):
        return [f"annotation {SKIP_VERIFY_ANNOTATION} is true"]
    return []
