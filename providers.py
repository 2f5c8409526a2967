"""Providers, from the plan, handed to components via opts.

The kubernetes provider comes first. The Vault provider is built by the platform (components.platform) once it has
registered the vault release, because with the in-cluster Vault that release is what the provider talks to.
"""

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from plan.model import KubernetesProviderPlan, ProviderPlan


def vault_provider(
    plan: ProviderPlan, token: pulumi.Input[str] | None, vault_release: pulumi.CustomResource | None
) -> vault.Provider:
    """Vault at `vault.address` with `vaultToken` (unset: VAULT_ADDR and VAULT_TOKEN).

    `vault_release` is the release that runs Vault itself (the in-cluster Vault), or None. With it, the address is
    an output of the release (its `id`), so the provider depends on the release: the provider is registered, and
    every Vault resource written through it, only once the release is installed or updated, and `pulumi destroy`
    deletes the Vault resources, then the provider, then the release. The id is unknown only in a preview of the
    release's install: the provider then stays unconfigured and nothing asks a Vault that does not exist yet; a
    preview of a changed release still diffs against the running Vault.
    """
    address: pulumi.Input[str | None] = plan.address
    if vault_release is not None:
        address = vault_release.id.apply(lambda _: plan.address)
    return vault.Provider(
        "vault",
        address=address,
        token=token,
        ca_cert_file=plan.ca_cert_file,
        skip_tls_verify=plan.skip_tls_verify or None,
        max_retries=plan.max_retries,
    )


def kubernetes_provider(cluster: KubernetesProviderPlan | None) -> k8s.Provider:
    """Pinned to the stack's context, so a changed current-context never retargets the stack."""
    if cluster is None:
        return k8s.Provider("kubernetes")
    # The path as written (the provider resolves it from the project directory like the loader did);
    # "" makes the provider read $KUBECONFIG / ~/.kube/config the way kubectl and the loader do,
    # where the SDK would copy $KUBECONFIG's value, machine-specific, into the state.
    return k8s.Provider("kubernetes", kubeconfig=cluster.kubeconfig or "", context=cluster.context)
