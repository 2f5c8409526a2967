"""Vault Agent sidecar injector."""

from dataclasses import dataclass

import pulumi

from components.common import IntegrationArgs, app_moves, child, in_namespace, workload
from components.identity import AppIdentity, AppIdentityArgs
from derive.annotations import injector_annotations
from derive.workloads import injector_pod_spec
from stackconfig import names


@dataclass
class InjectorIntegrationArgs(IntegrationArgs):
    ca_secret: str | None = None
    """Secret with Vault's CA for the agent, if Vault is external and verified."""


class InjectorIntegration(pulumi.ComponentResource):
    """Per app: identity and a workload annotated for the injector (the chart is the platform's)."""

    identities: dict[str, AppIdentity]
    workloads: dict[str, pulumi.CustomResource]

    def __init__(self, name: str, args: InjectorIntegrationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:InjectorIntegration", name, None, opts)
        # The webhook only mutates pods created after it is serving; earlier ones run without the agent.
        controllers = [args.vault_release] if args.vault_release is not None else []
        audience = args.config.kubernetes_auth.audience
        self.identities, self.workloads = {}, {}
        for app in args.apps:
            # Named from the ServiceAccount, aliased from the app's name and the other methods: see app_aliases.
            prefix, old = names.app_prefix(app.namespace, app.service_account), f"{name}-{app.name}"
            identity = AppIdentity(
                prefix,
                AppIdentityArgs(app, args.auth_path, args.namespaces, audience, args.vault_ready),
                child(self, aliases=app_moves(name, old)),
            )
            self.identities[app.name] = identity
            self.workloads[app.name] = workload(
                f"{prefix}-workload",
                self,
                app,
                injector_pod_spec(app, audience, args.config.charts.image_pull_policy),
                template_annotations=injector_annotations(
                    app, args.ca_secret, args.config.kubernetes_auth.path, audience
                ),
                skip_await=args.config.workloads.skip_await,
                aliases=app_moves(name, f"{old}-workload"),
                depends_on=in_namespace(
                    args.namespaces, app.namespace, identity, *controllers, *args.secrets_ready.get(app.name, [])
                ),
            )
        self.register_outputs({"apps": [app.name for app in args.apps]})
