"""Vault Secrets Operator."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.common import AliasSpec, IntegrationArgs, app_moves, child, in_namespace, metadata, workload
from components.identity import AppIdentity, AppIdentityArgs
from components.platform import helm_release
from derive.charts import ReleaseChart, release_chart
from derive.custom_resources import (
    VSO_API_VERSION,
    vault_auth_spec,
    vault_connection_spec,
    vault_dynamic_secret_spec,
    vault_pki_secret_spec,
    vault_static_secret_spec,
)
from derive.helm_values import vso_values
from derive.workloads import vso_pod_spec
from stackconfig import names
from stackconfig.models import DatabaseRef, KvRef, PkiRef


@dataclass
class VsoIntegrationArgs(IntegrationArgs):
    ca_secret: str | None = None
    """Secret with Vault's CA for the operator, if Vault is external and verified."""
    chart: ReleaseChart | None = None
    """Where the operator chart comes from (derive.charts.release_chart); unset: `charts.vso` without a path."""


class VsoIntegration(pulumi.ComponentResource):
    """The operator chart and, per app, connection, auth, synced secrets and a workload."""

    identities: dict[str, AppIdentity]
    workloads: dict[str, pulumi.CustomResource]
    synced: dict[str, list[k8s.apiextensions.CustomResource]]

    def __init__(self, name: str, args: VsoIntegrationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:VsoIntegration", name, None, opts)
        cfg = args.config
        operator = None
        if cfg.charts.managed:
            chart = args.chart or release_chart(cfg.charts.vso)
            operator = helm_release(f"{name}-operator", self, chart, cfg, vso_values(cfg), args.namespaces)
        # Its CRDs and its controller: objects before it fail (no CRD) or wait unreconciled.
        after_operator = [operator] if operator else []
        self.identities, self.workloads, self.synced = {}, {}, {}
        for app in args.apps:
            # Named from the ServiceAccount, aliased from the app's name and the other methods: see app_aliases.
            prefix, old = names.app_prefix(app.namespace, app.service_account), f"{name}-{app.name}"
            identity = AppIdentity(
                prefix,
                AppIdentityArgs(app, args.auth_path, args.namespaces, cfg.kubernetes_auth.audience, args.vault_ready),
                child(self, aliases=app_moves(name, old)),
            )
            ns = in_namespace(args.namespaces, app.namespace)

            connection = self._custom(
                f"{prefix}-connection",
                app.namespace,
                "VaultConnection",
                app.name,
                vault_connection_spec(cfg.vault.workload_address, args.ca_secret),
                [*ns, *after_operator],
                app_moves(name, f"{old}-connection", across_methods=False),
            )
            auth = self._custom(
                f"{prefix}-auth",
                app.namespace,
                "VaultAuth",
                app.name,
                vault_auth_spec(app, app.name, cfg.kubernetes_auth.path, cfg.kubernetes_auth.audience),
                [*ns, *after_operator, connection, identity],
                app_moves(name, f"{old}-auth", across_methods=False),
            )
            synced = []
            for ref in app.secrets:
                assert ref.secret_name is not None
                kind, (resource_kind, spec) = _synced_kind(ref), _synced_spec(ref, app.name, app.workload.name)
                synced.append(
                    self._custom(
                        names.vso_synced(prefix, kind, ref.secret_name),
                        app.namespace,
                        resource_kind,
                        ref.secret_name,
                        spec,
                        [*ns, *after_operator, auth, *args.secrets_ready.get(app.name, [])],
                        app_moves(name, names.vso_synced(old, kind, ref.secret_name), across_methods=False),
                    )
                )
            self.identities[app.name] = identity
            self.synced[app.name] = synced
            self.workloads[app.name] = workload(
                f"{prefix}-workload",
                self,
                app,
                vso_pod_spec(app, cfg.charts.image_pull_policy),
                skip_await=cfg.workloads.skip_await,
                aliases=app_moves(name, f"{old}-workload"),
                depends_on=[*ns, *after_operator, *synced],
            )
        self.register_outputs({"apps": [app.name for app in args.apps]})

    def _custom(
        self,
        name: str,
        namespace: str,
        kind: str,
        resource_name: str,
        spec: dict[str, Any],
        after: Sequence[pulumi.Resource] | None,
        aliases: Sequence[AliasSpec] | None = None,
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            name,
            api_version=VSO_API_VERSION,
            kind=kind,
            metadata=metadata(resource_name, namespace),
            spec=spec,
            opts=child(self, after, aliases),
        )


def _synced_kind(ref: KvRef | PkiRef | DatabaseRef) -> str:
    """The word in the synced resource's name (kept from before database secrets, so names do not move)."""
    return "static" if isinstance(ref, KvRef) else "pki" if isinstance(ref, PkiRef) else "dynamic"


def _synced_spec(ref: KvRef | PkiRef | DatabaseRef, auth: str, workload: str) -> tuple[str, dict[str, Any]]:
    """The VSO kind that syncs this secret, and its spec."""
    if isinstance(ref, KvRef):
        return "VaultStaticSecret", vault_static_secret_spec(ref, auth, workload)
    if isinstance(ref, PkiRef):
        return "VaultPKISecret", vault_pki_secret_spec(ref, auth)
    return "VaultDynamicSecret", vault_dynamic_secret_spec(ref, auth, workload)
