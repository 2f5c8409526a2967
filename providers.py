"""Providers, decided once from the validated config and handed to components via opts.

The kubernetes provider comes first. The Vault provider is built by the platform (components.platform) once it has
registered the vault release, because with the in-cluster Vault that release is what the provider talks to.
"""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from stackconfig.load import LoadedConfig
from stackconfig.models import KubernetesConfig

# How often the Vault provider retries a request to the in-cluster Vault. Helm's wait, which the release waits for,
# skips the vault StatefulSet (the chart's `updateStrategy: OnDelete`), so the provider's first request can meet a
# server that is still starting (connection refused). Vault's API client retries those with a linear backoff
# (retry n waits n x 1-1.5 s): 30 retries would wait at least 465 s, so it is the client's request timeout
# (60 s, VAULT_CLIENT_TIMEOUT) that ends the wait, not the count. terraform-provider-vault's default, 2, gives up
# after about 3 s. Answers 429, 412 and 5xx are retried within the same timeout.
VAULT_STARTUP_RETRIES = 30


@dataclass(frozen=True)
class Providers:
    kubernetes: k8s.Provider
    vault: vault.Provider

    def opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers={"kubernetes": self.kubernetes, "vault": self.vault})


def vault_provider(loaded: LoadedConfig, vault_release: pulumi.CustomResource | None) -> vault.Provider:
    """Vault at `vault.address` with `vaultToken` (unset: VAULT_ADDR and VAULT_TOKEN).

    `vault_release` is the release that runs Vault itself (the in-cluster Vault, StackConfig.vault_from_chart), or
    None. With it, the address is an output of the release (its `id`), so the provider depends on the release: the
    provider is registered, and every Vault resource written through it, only once the release is installed or
    updated, and `pulumi destroy` deletes the Vault resources, then the provider, then the release. The id is
    unknown only in a preview of the release's install: the provider then stays unconfigured and nothing asks a
    Vault that does not exist yet; a preview of a changed release still diffs against the running Vault.
    """
    cfg = loaded.stack.vault
    address: pulumi.Input[str | None] = cfg.address
    max_retries = None
    if vault_release is not None:
        address = vault_release.id.apply(lambda _: cfg.address)
        max_retries = VAULT_STARTUP_RETRIES
    return vault.Provider(
        "vault",
        address=address,
        token=loaded.vault_token,
        ca_cert_file=loaded.vault_ca_path,
        skip_tls_verify=cfg.skip_tls_verify or None,
        max_retries=max_retries,
    )


def kubernetes_provider(cluster: KubernetesConfig | None) -> k8s.Provider:
    """Pinned to the stack's context, so a changed current-context never retargets the stack."""
    if cluster is None:
        return k8s.Provider("kubernetes")
    # The path as written (the provider resolves it from the project directory like the loader did);
    # "" makes the provider read $KUBECONFIG / ~/.kube/config the way kubectl and the loader do,
    # where the SDK would copy $KUBECONFIG's value, machine-specific, into the state.
    return k8s.Provider("kubernetes", kubeconfig=cluster.kubeconfig or "", context=cluster.context)
