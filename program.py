"""The whole program: config in, components out. `__main__` only calls `build`."""

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.csi import CsiIntegration, CsiIntegrationArgs
from components.engines import DatabaseEngine, DatabaseEngineArgs, KvEngine, KvEngineArgs, PkiEngine, PkiEngineArgs
from components.injector import InjectorIntegration, InjectorIntegrationArgs
from components.platform import VaultPlatform, VaultPlatformArgs, VaultProviderFor
from components.vso import VsoIntegration, VsoIntegrationArgs
from derive.charts import release_chart
from derive.tls import CA_CERT_PATH, CA_SECRET_NAME, vault_ca_in_use
from derive.workloads import delivery_command
from providers import Providers
from stackconfig import names
from stackconfig.load import LoadedConfig
from stackconfig.models import AppDecl, KvRef, PkiRef


@dataclass
class Built:
    platform: VaultPlatform
    engines: list[pulumi.ComponentResource] = field(default_factory=list)
    integrations: dict[str, pulumi.ComponentResource] = field(default_factory=dict)


def build(loaded: LoadedConfig, kubernetes: k8s.Provider, vault_provider: VaultProviderFor) -> Built:
    """The platform first, with the kubernetes provider: it builds the Vault provider (`vault_provider`) once its
    release is registered; then everything else with both."""
    cfg = loaded.stack
    platform = VaultPlatform(
        "platform",
        VaultPlatformArgs(
            cfg,
            loaded.kube_ca_pem,
            loaded.vault_ca_pem,
            consumer_namespaces=sorted({a.namespace for a in cfg.apps}),
            chart=release_chart(cfg.charts.vault, loaded.chart_paths.get("vault")),
            dev_root_token=loaded.vault_token,
        ),
        vault_provider,
        pulumi.ResourceOptions(providers={"kubernetes": kubernetes}),
    )
    opts = Providers(kubernetes, platform.vault_provider).opts()
    after = platform.ready if cfg.vault.mode == "internal" else []
    kv = {
        m.path: KvEngine(names.kv_engine(m.path), KvEngineArgs(m, loaded.seed_values, cfg.protect_mounts, after), opts)
        for m in cfg.kv
    }
    pki = {
        m.path: PkiEngine(names.pki_engine(m.path), PkiEngineArgs(m, cfg.protect_mounts, after), opts) for m in cfg.pki
    }
    databases = {
        m.path: DatabaseEngine(
            names.database_engine(m.path),
            DatabaseEngineArgs(
                m,
                {c.name: loaded.database_passwords[f"{m.path}/{c.name}"] for c in m.connections},
                cfg.protect_mounts,
                after,
            ),
            opts,
        )
        for m in cfg.databases
    }
    reads = {app.name: app_reads(app, kv, pki, databases) for app in cfg.apps}
    ca = vault_ca_in_use(cfg)
    by_method = {m: [a for a in cfg.apps if a.method == m] for m in ("csi", "injector", "vso")}
    auth_path = platform.auth_path
    namespaces = platform.namespaces
    release = platform.release
    integrations: dict[str, pulumi.ComponentResource] = {}
    if by_method["csi"]:
        integrations["csi"] = CsiIntegration(
            "csi",
            CsiIntegrationArgs(
                cfg,
                by_method["csi"],
                auth_path,
                reads,
                namespaces,
                release,
                after,
                ca_cert_path=CA_CERT_PATH if ca else None,
                chart=release_chart(cfg.charts.csi_driver, loaded.chart_paths.get("csi_driver")),
            ),
            opts,
        )
    if by_method["injector"]:
        integrations["injector"] = InjectorIntegration(
            "injector",
            InjectorIntegrationArgs(
                cfg,
                by_method["injector"],
                auth_path,
                reads,
                namespaces,
                release,
                after,
                ca_secret=CA_SECRET_NAME if ca else None,
            ),
            opts,
        )
    if by_method["vso"]:
        integrations["vso"] = VsoIntegration(
            names.VSO,
            VsoIntegrationArgs(
                cfg,
                by_method["vso"],
                auth_path,
                reads,
                namespaces,
                vault_ready=after,
                ca_secret=CA_SECRET_NAME if ca else None,
                chart=release_chart(cfg.charts.vso, loaded.chart_paths.get("vso")),
            ),
            opts,
        )
    engines: list[pulumi.ComponentResource] = [*kv.values(), *pki.values(), *databases.values()]
    return Built(platform, engines, integrations)


def app_reads(
    app: AppDecl, kv: dict[str, KvEngine], pki: dict[str, PkiEngine], databases: dict[str, DatabaseEngine]
) -> list[pulumi.Resource]:
    """The resources an app's workload must wait for: only what it reads, so cost stays linear in apps."""
    found: list[pulumi.Resource] = []
    for ref in app.secrets:
        ready: pulumi.Resource | None
        if isinstance(ref, KvRef):
            ready = kv[ref.mount].ready_by_path.get(ref.path)
        elif isinstance(ref, PkiRef):
            ready = pki[ref.mount].roles_by_name.get(ref.role)
        else:
            ready = databases[ref.mount].roles.get(ref.role)
        if ready is not None and ready not in found:
            found.append(ready)
    return found


def app_outputs(loaded: LoadedConfig) -> dict[str, Any]:
    """Per app: how to see the delivered secret, and the names of its key resources."""
    return {
        app.name: {
            "method": app.method,
            "namespace": app.namespace,
            "serviceAccount": app.service_account,
            "policy": app.policy,
            "role": app.role,
            "workload": f"{app.workload.kind}/{app.workload.name}",
            "verify": delivery_command(app),
        }
        for app in loaded.stack.apps
    }
