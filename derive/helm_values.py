"""Helm values of the platform charts, derived from which integrations are in use."""

from typing import Any

from derive.tls import CA_MOUNT_DIR, CA_SECRET_NAME
from stackconfig.durations import as_duration_text
from stackconfig.models import StackConfig

INJECTOR_MIN_REPLICAS = 2

ValuesPath = tuple[str, ...]


def image_values(ref: str | None, pull_policy: str | None) -> dict[str, str]:
    """A chart's `{repository, tag, pullPolicy}` for an image reference; only what is set. The charts render
    `<repository>:<tag>`, so splitting at the last `:` renders the reference exactly as written, a digest too
    (`repo@sha256:<hex>` becomes repository `repo@sha256` and tag `<hex>`)."""
    values: dict[str, str] = {}
    if ref is not None:
        repository, _, tag = ref.rpartition(":")
        values.update(repository=repository, tag=tag)
    if pull_policy is not None:
        values["pullPolicy"] = pull_policy
    return values


def _put(values: dict[str, Any], path: ValuesPath, value: Any) -> None:
    for key in path[:-1]:
        values = values.setdefault(key, {})
    values[path[-1]] = value


def _put_images(values: dict[str, Any], images: list[tuple[ValuesPath, str | None, bool]], policy: str | None) -> None:
    """Each `(values path, reference, has a pullPolicy value)`; an image with nothing to set is left out."""
    for path, ref, has_pull_policy in images:
        image = image_values(ref, policy if has_pull_policy else None)
        if image:
            _put(values, path, image)


def vault_chart_values(cfg: StackConfig, ca_in_use: bool) -> dict[str, Any]:
    """The vault chart: dev server or external address, plus the injector and CSI provider (with Vault's CA when
    `ca_in_use`). The dev server's root token is a secret, set by the component (with_dev_root_token)."""
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
    if "csi" in methods and ca_in_use:
        csi["volumes"] = [{"name": CA_SECRET_NAME, "secret": {"secretName": CA_SECRET_NAME}}]
        csi["volumeMounts"] = [{"name": CA_SECRET_NAME, "mountPath": CA_MOUNT_DIR, "readOnly": True}]
    values: dict[str, Any] = {"injector": injector, "csi": csi}
    if cfg.vault.mode == "internal":
        values["server"] = {"dev": {"enabled": True}}
        if cfg.vault.node_port is not None:
            # Pulumi reaches the in-cluster Vault at `vault.address` through this port of every node.
            values["server"]["service"] = {"type": "NodePort", "nodePort": cfg.vault.node_port}
    else:
        values["global"] = {"externalVaultAddr": cfg.vault.workload_address}
    images = cfg.charts.images
    # The injector's agentImage has no pullPolicy: injected agents take Kubernetes' default.
    _put_images(
        values,
        [
            (("server", "image"), images.vault, True),
            (("injector", "agentImage"), images.vault, False),
            (("csi", "agent", "image"), images.vault, True),
            (("injector", "image"), images.vault_k8s, True),
            (("csi", "image"), images.vault_csi_provider, True),
        ],
        cfg.charts.image_pull_policy,
    )
    if cfg.charts.csi_providers_dir is not None:
        _put(values, ("csi", "daemonSet", "providersDir"), cfg.charts.csi_providers_dir)
    return values


def injector_namespace_selector(cfg: StackConfig) -> dict[str, Any]:
    """The webhook's namespaces: those of the injector apps (`kubernetes.io/metadata.name` is set on every
    namespace by the API server)."""
    namespaces = sorted({app.namespace for app in cfg.apps if app.method == "injector"})
    return {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": namespaces}]}


def csi_driver_values(cfg: StackConfig) -> dict[str, Any]:
    """The secrets-store CSI driver: sync to Kubernetes Secrets, optional rotation, the node's paths."""
    values: dict[str, Any] = {"syncSecret": {"enabled": True}}
    audience = cfg.kubernetes_auth.audience
    if audience:
        # The kubelet hands the driver a token of the pod's ServiceAccount for this audience.
        values["tokenRequests"] = [{"audience": audience}]
    interval = cfg.charts.csi_rotation_poll_interval
    if interval is not None:
        values["enableSecretRotation"] = True
        values["rotationPollInterval"] = as_duration_text(interval)
    charts = cfg.charts
    _put_images(
        values,
        [
            (("linux", "image"), charts.images.csi_driver, True),
            (("linux", "registrarImage"), charts.images.node_driver_registrar, True),
            (("linux", "livenessProbeImage"), charts.images.liveness_probe, True),
            (("linux", "crds", "image"), charts.images.csi_driver_crds, True),
        ],
        charts.image_pull_policy,
    )
    if not charts.csi_driver_crd_jobs:
        # No pre-install/pre-upgrade Jobs with the driver-crds image; Helm still installs the chart's crds/.
        _put(values, ("linux", "crds", "enabled"), False)
    if charts.kubelet_root_dir is not None:
        _put(values, ("linux", "kubeletRootDir"), charts.kubelet_root_dir)
    if charts.csi_providers_dir is not None:
        # The folder the vault chart's provider puts its socket in (csi.daemonSet.providersDir).
        _put(values, ("linux", "providersDir"), charts.csi_providers_dir)
    return values


def vso_values(cfg: StackConfig) -> dict[str, Any]:
    """The operator keeps its defaults but for its images; each app brings its own connection and auth."""
    values: dict[str, Any] = {}
    images = cfg.charts.images
    _put_images(
        values,
        [
            (("controller", "manager", "image"), images.vso, True),
            (("controller", "kubeRbacProxy", "image"), images.kube_rbac_proxy, True),
        ],
        cfg.charts.image_pull_policy,
    )
    return values


def with_dev_root_token(values: dict[str, Any], token: object) -> dict[str, Any]:
    """The vault chart's values with the dev server's root token (`vaultToken`, a Pulumi secret in the program);
    without it the chart's default (`root`) would be the token."""
    server = values.get("server", {})
    return {**values, "server": {**server, "dev": {**server.get("dev", {}), "devRootToken": token}}}
