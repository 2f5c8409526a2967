"""Providers, decided once from the validated config and handed to components via opts."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from stackconfig.load import LoadedConfig


@dataclass(frozen=True)
class Providers:
    kubernetes: k8s.Provider
    vault: vault.Provider

    def opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers={"kubernetes": self.kubernetes, "vault": self.vault})


def build_providers(loaded: LoadedConfig) -> Providers:
    """The kubeconfig comes from the environment; Vault's token from VAULT_TOKEN."""
    cfg = loaded.stack.vault
    return Providers(
        kubernetes=k8s.Provider("kubernetes"),
        vault=vault.Provider(
            "vault",
            address=cfg.address,
            ca_cert_file=loaded.vault_ca_path,
            skip_tls_verify=cfg.skip_tls_verify or None,
        ),
    )
