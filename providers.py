"""Providers, decided once from the validated config and handed to components via opts."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from stackconfig.load import LoadedConfig
from stackconfig.models import KubernetesConfig


@dataclass(frozen=True)
class Providers:
    kubernetes: k8s.Provider
    vault: vault.Provider

    def opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers={"kubernetes": self.kubernetes, "vault": self.vault})


def build_providers(loaded: LoadedConfig) -> Providers:
    """The cluster the stack names (`kubernetes`); Vault's token from VAULT_TOKEN."""
    cfg = loaded.stack.vault
    return Providers(
        kubernetes=kubernetes_provider(loaded.stack.kubernetes),
        vault=vault.Provider(
            "vault",
            address=cfg.address,
            ca_cert_file=loaded.vault_ca_path,
            skip_tls_verify=cfg.skip_tls_verify or None,
        ),
    )


def kubernetes_provider(cluster: KubernetesConfig | None) -> k8s.Provider:
    """Pinned to the stack's context, so a changed current-context never retargets the stack."""
    if cluster is None:
        return k8s.Provider("kubernetes")
    # The path as written (the provider resolves it from the project directory like the loader did);
    # "" makes the provider read $KUBECONFIG / ~/.kube/config the way kubectl and the loader do,
    # where the SDK would copy $KUBECONFIG's value, machine-specific, into the state.
    return k8s.Provider("kubernetes", kubeconfig=cluster.kubeconfig or "", context=cluster.context)
