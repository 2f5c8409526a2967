"""The whole program: a plan in, components out. `__main__` decides the providers and calls `build`."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.app import App, AppArgs
from components.engines import DatabaseEngine, DatabaseEngineArgs, EngineArgs, KvEngine, KvEngineArgs, PkiEngine
from components.integrations import MethodIntegration
from components.platform import VaultPlatform, VaultPlatformArgs, VaultProviderFor
from plan.model import Controller, Method, ProgramPlan, Read


@dataclass(frozen=True)
class Material:
    """What the plan refers to but does not hold: secrets and file contents."""

    kube_ca_pem: str | None = None
    vault_ca_pem: str | None = None
    vault_token: pulumi.Input[str] | None = None
    seed_values: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """`<mount>/<path>` -> secret JSON of a KV secret's seed."""
    database_passwords: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """`<mount>/<connection>` -> the admin's password."""


@dataclass
class Built:
    platform: VaultPlatform
    engines: list[pulumi.ComponentResource] = field(default_factory=list)
    integrations: dict[Method, MethodIntegration] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)


def build(plan: ProgramPlan, material: Material, kubernetes: k8s.Provider, vault_provider: VaultProviderFor) -> Built:
    """The platform first, with the kubernetes provider: it builds the Vault provider (`vault_provider`) once its
    release is registered; then everything else with both."""
    platform = VaultPlatform(
        plan.platform,
        VaultPlatformArgs(material.kube_ca_pem, material.vault_ca_pem, material.vault_token),
        vault_provider,
        pulumi.ResourceOptions(providers={"kubernetes": kubernetes}),
    )
    opts = pulumi.ResourceOptions(providers={"kubernetes": kubernetes, "vault": platform.vault_provider})
    ready = platform.ready
    kv = {m.path: KvEngine(m, KvEngineArgs(ready, material.seed_values), opts) for m in plan.kv}
    pki = {m.path: PkiEngine(m, EngineArgs(ready), opts) for m in plan.pki}
    databases = {
        m.path: DatabaseEngine(m, DatabaseEngineArgs(ready, material.database_passwords), opts) for m in plan.databases
    }
    integrations = {i.method: MethodIntegration(i, platform.namespaces, opts) for i in plan.integrations}
    controllers: dict[Controller, pulumi.Resource] = {
        i.controller: integrations[i.method].release for i in plan.integrations
    }
    if platform.release is not None:
        controllers["vault"] = platform.release

    def provided(read: Read) -> pulumi.Resource | None:
        if read.kind == "kv":
            return kv[read.mount].ready_by_path.get(read.key)
        if read.kind == "pki":
            return pki[read.mount].roles_by_name.get(read.key)
        return databases[read.mount].roles.get(read.key)

    apps = {
        app.app: App(
            app,
            AppArgs(
                platform.auth_path,
                platform.namespaces,
                ready,
                controllers,
                # Only what the app reads, so cost stays linear in apps.
                [r for r in (provided(read) for read in app.reads) if r is not None],
            ),
            opts,
        )
        for app in plan.apps
    }
    return Built(platform, [*kv.values(), *pki.values(), *databases.values()], integrations, apps)
