"""Helm values of the platform charts, derived from which integrations are in use."""

from typing import Any

from derive.durations import as_duration_text
from derive.tls import CA_MOUNT_DIR, CA_SECRET_NAME, vault_ca_in_use
from stackconfig.models import StackConfig

INJECTOR_MIN_REPLICAS = 2


def vault_chart_values(cfg: StackConfig) -> dict[str, Any]:
    """The vault chart: dev server or external address, plus the injector and CSI provider."""
    methods = cfg.methods()
    injector: dict[str, Any] = {"enabled": "injector" in methods}
    if "injector" in methods:
        injector["webhook"] = {"failurePolicy": cfg.charts.injector_failure_policy}
        if cfg.charts.injector_failure_policy == "Fail":
            # A webhook that fails closed blocks pod creation while it is down: two replicas (the chart elects
            # a leader for the TLS certificate), a disruption budget so a drain never takes both, and only the
            # injector apps' namespaces, so kube-system and everything else never wait on it.
            injector["replicas"] = INJECTOR_MIN_REPLICAS
            injector["podDisruptionBudget"] = {"maxUnavailable": 1}
            injector["webhook"]["namespaceSelector"] = injector_namespace_selector(cfg)
    csi: dict[str, Any] = {"enabled": "csi" in methods}
    if "csi" in methods and vault_ca_in_use(cfg):
        csi["volumes"] = [{"name": CA_SECRET_NAME, "secret": {"secretName": CA_SECRET_NAME}}]
        csi["volumeMounts"] = [{"name": CA_SECRET_NAME, "mountPath": CA_MOUNT_DIR, "readOnly": True}]
    values: dict[str, Any] = {"injector": injector, "csi": csi}
    if cfg.vault.mode == "internal":
        values["server"] = {"dev": {"enabled": True}}
    else:
        values["global"] = {"externalVaultAddr": cfg.vault.workload_address}
    return values


def injector_namespace_selector(cfg: StackConfig) -> dict[str, Any]:
    """The webhook's namespaces: those of the injector apps (`kubernetes.io/metadata.name` is set on every
    namespace by the API server)."""
    namespaces = sorted({app.namespace for app in cfg.apps if app.method == "injector"})
    return {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": namespaces}]}


def csi_driver_values(cfg: StackConfig) -> dict[str, Any]:
    """The secrets-store CSI driver: sync to Kubernetes Secrets, optional rotation."""
    values: dict[str, Any] = {"syncSecret": {"enabled": True}}
    audience = cfg.kubernetes_auth.audience
    if audience:
        # The kubelet hands the driver a token of the pod's ServiceAccount for this audience.
        values["tokenRequests"] = [{"audience": audience}]
    interval = cfg.charts.csi_rotation_poll_interval
    if interval is not None:
        values["enableSecretRotation"] = True
        values["rotationPollInterval"] = as_duration_text(interval)
    return values


def vso_values(cfg: StackConfig) -> dict[str, Any]:
    """The operator keeps its defaults; each app brings its own connection and auth."""
    return {}
