"""Secrets Store CSI driver with the Vault provider."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common import IntegrationArgs, app_moves, child, in_namespace, metadata, workload
from components.identity import AppIdentity, AppIdentityArgs
from components.platform import helm_release
from derive.charts import ReleaseChart, release_chart
from derive.custom_resources import SPC_API_VERSION, secret_provider_class_spec
from derive.helm_values import csi_driver_values
from derive.workloads import csi_pod_spec
from stackconfig import names


@dataclass
class CsiIntegrationArgs(IntegrationArgs):
    ca_cert_path: str | None = None
    """Where the CSI provider pod finds Vault's CA, if Vault is external and verified."""
    chart: ReleaseChart | None = None
    """Where the CSI driver chart comes from (derive.charts.release_chart); unset: `charts.csiDriver` without a
    path."""


class CsiIntegration(pulumi.ComponentResource):
    """The CSI driver chart and, per app, identity, SecretProviderClass and workload."""

    identities: dict[str, AppIdentity]
    provider_classes: dict[str, k8s.apiextensions.CustomResource]
    workloads: dict[str, pulumi.CustomResource]

    def __init__(self, name: str, args: CsiIntegrationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:CsiIntegration", name, None, opts)
        cfg = args.config
        driver = None
        if cfg.charts.managed:
            chart = args.chart or release_chart(cfg.charts.csi_driver)
            driver = helm_release(f"{name}-driver", self, chart, cfg, csi_driver_values(cfg), args.namespaces)
        # A pod created before the driver and the provider run never gets its volume mounted.
        controllers = [r for r in (driver, args.vault_release) if r is not None]
        self.identities, self.provider_classes, self.workloads = {}, {}, {}
        for app in args.apps:
            assert app.secret_provider_class is not None
            # Named from the ServiceAccount, aliased from the app's name and the other methods: see app_aliases.
            prefix, old = names.app_prefix(app.namespace, app.service_account), f"{name}-{app.name}"
            identity = AppIdentity(
                prefix,
                AppIdentityArgs(app, args.auth_path, args.namespaces, cfg.kubernetes_auth.audience, args.vault_ready),
                child(self, aliases=app_moves(name, old)),
            )
            spc = k8s.apiextensions.CustomResource(
                f"{prefix}-spc",
                api_version=SPC_API_VERSION,
                kind="SecretProviderClass",
                metadata=metadata(app.secret_provider_class, app.namespace),
                spec=secret_provider_class_spec(
                    app,
                    cfg.vault.workload_address,
                    cfg.kubernetes_auth.path,
                    args.ca_cert_path,
                    cfg.kubernetes_auth.audience,
                ),
                opts=child(
                    self,
                    in_namespace(args.namespaces, app.namespace, *([driver] if driver else [])),
                    app_moves(name, f"{old}-spc", across_methods=False),
                ),
            )
            self.identities[app.name] = identity
            self.provider_classes[app.name] = spc
            self.workloads[app.name] = workload(
                f"{prefix}-workload",
                self,
                app,
                csi_pod_spec(app, cfg.charts.image_pull_policy),
                skip_await=cfg.workloads.skip_await,
                aliases=app_moves(name, f"{old}-workload"),
                depends_on=in_namespace(
                    args.namespaces, app.namespace, identity, spc, *controllers, *args.secrets_ready.get(app.name, [])
                ),
            )
        self.register_outputs({"apps": [app.name for app in args.apps]})
