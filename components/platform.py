"""The shared Vault platform: the vault chart and the kubernetes auth mount."""

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from components.common import KubeObject, child, helm_release, in_namespace, metadata
from plan.model import PlatformPlan, ReviewerPlan

SA_TOKEN_TYPE = "kubernetes.io/service-account-token"

VaultProviderFor = Callable[[k8s.helm.v3.Release | None], vault.Provider]
"""Builds the Vault provider, given the release that runs Vault itself (None: Vault is not the chart's)."""


@dataclass
class VaultPlatformArgs:
    kube_ca_pem: str | None = None
    """CA of the Kubernetes API, for Vault's TokenReview calls (external mode)."""
    vault_ca_pem: str | None = None
    """CA of an external Vault, published to in-cluster consumers."""
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
        plan: PlatformPlan,
        args: VaultPlatformArgs,
        vault_provider: VaultProviderFor,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("vault-k8s:index:VaultPlatform", plan.name, None, opts)
        name, auth = plan.name, plan.auth
        # Deleting a namespace deletes everything in it, ours or not: `destroy` leaves them.
        self.namespaces = {
            namespace: k8s.core.v1.Namespace(
                f"{name}-namespace-{namespace}",
                metadata=metadata(namespace, None),
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            for namespace in plan.namespaces
        }
        self.release = None
        if plan.vault_release is not None:
            self.release = helm_release(self, plan.vault_release, self.namespaces, args.dev_root_token)
        # With the in-cluster Vault, Vault itself comes from the chart.
        self.vault_release = self.release if plan.vault_from_chart else None
        self.vault_provider = vault_provider(self.vault_release)
        after = [self.vault_release] if self.vault_release else []
        self.auth_backend, self.auth_path = None, auth.path
        if not auth.existing:
            self.auth_backend = vault.AuthBackend(
                f"{name}-kubernetes-auth",
                type="kubernetes",
                path=auth.path,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=self.vault_provider, depends_on=after or None, protect=plan.protect_mounts
                ),
            )
            self.auth_path = self.auth_backend.path
        # An adopted mount outlives the stack, and its config serves whatever else logs in there: destroy leaves it.
        config_opts = pulumi.ResourceOptions(
            parent=self, provider=self.vault_provider, retain_on_delete=auth.existing or None
        )
        if auth.reviewer is not None:
            self.auth_config = vault.kubernetes.AuthBackendConfig(
                f"{name}-kubernetes-config",
                backend=self.auth_path,
                kubernetes_host=auth.host,
                kubernetes_ca_cert=args.kube_ca_pem,
                token_reviewer_jwt=self._reviewer_token(name, auth.reviewer),
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
        if args.vault_ca_pem:
            for namespace in plan.ca_secret_namespaces:
                k8s.core.v1.Secret(
                    f"{name}-vault-ca-{namespace}",
                    metadata=metadata(plan.ca_secret_name, namespace),
                    string_data={"ca.crt": args.vault_ca_pem},
                    opts=child(self, in_namespace(self.namespaces, namespace)),
                )
        self.ready = [r for r in (self.release, self.auth_config) if r is not None]
        self.register_outputs({"authPath": self.auth_path})

    def _reviewer_token(self, name: str, reviewer: ReviewerPlan) -> pulumi.Output[str]:
        """A long-lived token of a ServiceAccount allowed to call TokenReview."""
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
                reviewer.token_secret,
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
