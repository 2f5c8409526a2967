"""The namespaces the program places objects in, and which of them it creates."""

from stackconfig.models import StackConfig

# Every cluster has these; the program never creates (nor deletes) them.
BUILT_IN = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def used_namespaces(cfg: StackConfig, ca_in_use: bool) -> list[str]:
    """Apps' namespaces, the charts' (releases, and Vault's CA when `ca_in_use`) and the token reviewer's
    (external mode)."""
    used = {app.namespace for app in cfg.apps}
    if cfg.charts.managed or ca_in_use:
        used.add(cfg.charts.namespace)
    if cfg.vault.mode == "external":
        used.add(cfg.kubernetes_auth.reviewer.namespace)
    return sorted(used)


def namespaces_to_create(cfg: StackConfig, ca_in_use: bool) -> list[str]:
    """Used namespaces that are neither built in nor declared existing."""
    existing = BUILT_IN | set(cfg.existing_namespaces)
    return [ns for ns in used_namespaces(cfg, ca_in_use) if ns not in existing]
