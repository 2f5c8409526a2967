"""The shared Vault platform: the vault chart and the kubernetes auth mount."""

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from components.common import KubeObject, Namespaces, child, in_namespace, metadata
from derive.charts import ReleaseChart, release_chart
from derive.helm_values import vault_chart_values
from derive.namespaces import namespaces_to_create
from derive.tls import CA_SECRET_NAME, vault_ca_in_use
from stackconfig import names
from stackconfig.models import StackConfig

SA_TOKEN_TYPE = "kubernetes.io/service-account-token"

VaultProviderFor = Callable[[k8s.helm.v3.Release | None], vault.Provider]
"""Builds the Vault provider, given the release that runs Vault itself (None: Vault is not the chart's)."""


def helm_release(
    name: str,
    parent: pulumi.Resource,
    chart: ReleaseChart,
    cfg: StackConfig,
    values: dict[str, Any],
    namespaces: Namespaces | None = None,
) -> k8s.helm.v3.Release:
    """A pinned chart from its repository or a local path (derive.charts), in the platform namespace."""
    return k8s.helm.v3.Release(
        name,
        name=chart.release_name,
        chart=chart.chart,
        version=chart.version,
        namespace=cfg.charts.namespace,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo) if chart.repo is not None else None,
        values=values,
        opts=child(parent, in_namespace(namespaces or {}, cfg.charts.namespace)),
    )


@dataclass
class VaultPlatformArgs:
    config: StackConfig
    """Validated stack config."""
    kube_ca_pem: str | None = None
    """CA of the Kubernetes API, for Vault's TokenReview calls (external mode)."""
    vault_ca_pem: str | None = None
    """CA of an external Vault, published to in-cluster consumers."""
    consumer_namespaces: list[str] = field(default_factory=list)
    """Namespaces whose workloads need Vault's CA."""
    chart: ReleaseChart | None = None
    """Where the vault chart comes from (derive.charts.release_chart); unset: `charts.vault` without a path."""
    dev_root_token: pulumi.Input[str] | None = None
    """`vaultToken`, a Pulumi secret: the in-cluster dev server's root token."""


class VaultPlatform(pulumi.ComponentResource):
    """The namespaces the program uses, one vault Helm release, the Vault provider, the kubernetes auth mount and its
    config.

    `opts` carries the kubernetes provider; `vault_provider` builds the Vault provider once the release is
    registered, because with the in-cluster Vault the provider must wait for it (providers.vault_provider). Every
    Vault resource of the program uses `self.vault_provider`.
    """

    namespaces: dict[str, k8s.core.v1.Namespace]
    auth_backend: vault.AuthBackend | None
    auth_path: pulumi.Input[str]
    auth_config: vault.kubernetes.AuthBackendConfig
    release: k8s.helm.v3.Release | None
    vault_release: k8s.helm.v3.Release | None
    """The release that runs Vault itself (StackConfig.vault_from_chart), else None."""
    vault_provider: vault.Provider
    ready: list[pulumi.Resource]

    def __init__(
        self,
        name: str,
        args: VaultPlatformArgs,
        vault_provider: VaultProviderFor,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("vault-k8s:index:VaultPlatform", name, None, opts)
        cfg = args.config
        auth = cfg.kubernetes_auth
        # Deleting a namespace deletes everything in it, ours or not: `destroy` leaves them.
        self.namespaces = {
            namespace: k8s.core.v1.Namespace(
                f"{name}-namespace-{namespace}",
                metadata=metadata(namespace, None),
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            for namespace in namespaces_to_create(cfg)
        }
        self.release = None
        if cfg.charts.managed:
            chart = args.chart or release_chart(cfg.charts.vault)
            values = vault_chart_values(cfg, args.dev_root_token)
            self.release = helm_release(f"{name}-vault", self, chart, cfg, values, self.namespaces)
        # With the in-cluster Vault, Vault itself comes from the chart.
        self.vault_release = self.release if cfg.vault_from_chart() else None
        self.vault_provider = vault_provider(self.vault_release)
        after = [self.vault_release] if self.vault_release else []
        self.auth_backend, self.auth_path = None, auth.path
        if not auth.existing:
            self.auth_backend = vault.AuthBackend(
                f"{name}-kubernetes-auth",
                type="kubernetes",
                path=auth.path,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=self.vault_provider, depends_on=after or None, protect=cfg.protect_mounts
                ),
            )
            self.auth_path = self.auth_backend.path
        # An adopted mount outlives the stack, and its config serves whatever else logs in there: destroy leaves it.
        config_opts = pulumi.ResourceOptions(
            parent=self, provider=self.vault_provider, retain_on_delete=auth.existing or None
        )
        if cfg.vault.mode == "external":
            token = self._reviewer_token(name, cfg)
            self.auth_config = vault.kubernetes.AuthBackendConfig(
                f"{name}-kubernetes-config",
                backend=self.auth_path,
                kubernetes_host=auth.host,
                kubernetes_ca_cert=args.kube_ca_pem,
                token_reviewer_jwt=token,
                disable_local_ca_jwt=True,
                opts=config_opts,
            )
        else:
            # Vault runs in the cluster and uses its own pod's token and CA.
            self.auth_config = vault.kubernetes.AuthBackendConfig(
                f"{name}-kubernetes-config",
                backend=self.auth_path,
                kubernetes_host=auth.host,
                opts=config_opts,
            )
        if vault_ca_in_use(cfg) and args.vault_ca_pem:
            namespaces = sorted({cfg.charts.namespace, *args.consumer_namespaces})
            for namespace in namespaces:
                k8s.core.v1.Secret(
                    f"{name}-vault-ca-{namespace}",
                    metadata=metadata(CA_SECRET_NAME, namespace),
                    string_data={"ca.crt": args.vault_ca_pem},
                    opts=child(self, in_namespace(self.namespaces, namespace)),
                )
        self.ready = [r for r in (self.release, self.auth_config) if r is not None]
        self.register_outputs({"authPath": self.auth_path})

    def _reviewer_token(self, name: str, cfg: StackConfig) -> pulumi.Output[str]:
        """A long-lived token of a ServiceAccount allowed to call TokenReview."""
        reviewer = cfg.kubernetes_auth.reviewer
        account = k8s.core.v1.ServiceAccount(
            f"{name}-reviewer",
            metadata=metadata(reviewer.service_account, reviewer.namespace),
            opts=child(self, in_namespace(self.namespaces, reviewer.namespace)),
        )
        role_ref: KubeObject = {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "system:auth-delegator",
        }
        subjects: KubeObject = [
            {"kind": "ServiceAccount", "name": reviewer.service_account, "namespace": reviewer.namespace}
        ]
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-reviewer-auth-delegator",
            metadata=metadata(f"{reviewer.service_account}-auth-delegator", None),
            role_ref=role_ref,
            subjects=subjects,
            opts=child(self),
        )
        secret = k8s.core.v1.Secret(
            f"{name}-reviewer-token",
            metadata=metadata(
                names.reviewer_token_secret(reviewer.service_account),
                reviewer.namespace,
                annotations={"kubernetes.io/service-account.name": reviewer.service_account},
            ),
            type=SA_TOKEN_TYPE,
            opts=child(self, depends_on=in_namespace(self.namespaces, reviewer.namespace, account)),
        )
        # The token controller fills the Secret after it is created: read it back.
        live = k8s.core.v1.Secret.get(f"{name}-reviewer-token-live", secret.id, opts=child(self))
        return reviewer_jwt(live)


def reviewer_jwt(secret: k8s.core.v1.Secret) -> pulumi.Output[str]:
    """The token the controller wrote into the Secret, decoded and kept secret."""

    def decode(data: Mapping[str, str] | None) -> str:
        token = (data or {}).get("token")
        if not token:
            raise pulumi.RunError("the reviewer token Secret has no token yet; is kube-controller-manager running?")
        return base64.b64decode(token).decode()

    return pulumi.Output.secret(secret.data.apply(decode))
