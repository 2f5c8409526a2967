"""Small helpers shared by the components."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from derive.workloads import deployment_spec, workload_labels
from stackconfig.models import AppDecl, StackConfig

SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}

# Kubernetes objects are written as the API spells them (camelCase); the SDK passes such
# dicts through unchanged, but its TypedDicts are snake_case, so they are typed loosely here.
KubeObject = Any


Namespaces = Mapping[str, pulumi.Resource]
"""The namespaces the program creates, by name; anything placed in one waits for it."""


def in_namespace(namespaces: Namespaces, namespace: str | None, *others: pulumi.Resource) -> list[pulumi.Resource]:
    """`others` plus the namespace's resource when the program creates it."""
    created = namespaces.get(namespace) if namespace else None
    return [*others, created] if created is not None else list(others)


@dataclass
class IntegrationArgs:
    """What every delivery method gets: its apps and where they authenticate."""

    config: StackConfig
    """Validated stack config (charts, Vault addresses, workload settings)."""
    apps: list[AppDecl]
    """The apps that use this method."""
    auth_path: pulumi.Input[str]
    """The kubernetes auth mount."""
    secrets_ready: Mapping[str, Sequence[pulumi.Resource]] = field(default_factory=dict)
    """Per app: the seeded secrets and PKI roles it reads."""
    namespaces: Namespaces = field(default_factory=dict)
    """The namespaces the program creates."""
    vault_release: pulumi.Resource | None = None
    """The vault chart's release, when the program manages it: the injector and the CSI provider run from it."""
    vault_ready: Sequence[pulumi.Resource] = ()
    """What every Vault write waits for: the in-cluster Vault and its auth config in internal mode, else nothing."""


# The method integrations an app's resources can live under, by method: the component types and names.
INTEGRATION_TYPES = {
    "csi": "vault-k8s:index:CsiIntegration",
    "injector": "vault-k8s:index:InjectorIntegration",
    "vso": "vault-k8s:index:VsoIntegration",
}


@dataclass(frozen=True)
class AliasSpec:
    """Where a resource may have been registered before: another name under the same parent, or the same name
    under another parent (by URN)."""

    name: str | None = None
    parent_urn: str | None = None


def app_aliases(method: str, old_name: str, stack: str, project: str, across_methods: bool = True) -> list[AliasSpec]:
    """An app resource's earlier places: its name from before names came from the ServiceAccount (under its
    integration), and, for what every method has (identity, workload), its name under the other integrations,
    so that switching the app's method moves them instead of deleting and re-creating them."""
    moves = [AliasSpec(name=old_name)]
    if across_methods:
        moves += [
            AliasSpec(parent_urn=f"urn:pulumi:{stack}::{project}::{INTEGRATION_TYPES[other]}::{other}")
            for other in INTEGRATION_TYPES
            if other != method
        ]
    return moves


def app_moves(method: str, old_name: str, across_methods: bool = True) -> list[AliasSpec]:
    """app_aliases for the running stack."""
    return app_aliases(method, old_name, pulumi.get_stack(), pulumi.get_project(), across_methods)


def to_aliases(specs: Sequence[AliasSpec]) -> list[pulumi.Input[str] | pulumi.Alias]:
    return [pulumi.Alias(name=s.name) if s.parent_urn is None else pulumi.Alias(parent=s.parent_urn) for s in specs]


def child(
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
    aliases: Sequence[AliasSpec] | None = None,
) -> pulumi.ResourceOptions:
    """Options of a child: parented to its component, optionally ordered after others, and aliased from where it
    was registered before."""
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=list(depends_on) if depends_on else None,
        aliases=to_aliases(aliases) if aliases else None,
    )


def metadata(name: str, namespace: str | None, skip_await: bool = False, **extra: Any) -> KubeObject:
    """Object metadata; `skip_await` for workloads on a cluster that cannot run them."""
    meta: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {}), **extra}
    if skip_await:
        meta["annotations"] = {**meta.get("annotations", {}), **SKIP_AWAIT}
    return meta


def workload(
    name: str,
    parent: pulumi.Resource,
    app: AppDecl,
    pod_spec: KubeObject,
    template_annotations: dict[str, str] | None = None,
    skip_await: bool = False,
    depends_on: Sequence[pulumi.Resource] | None = None,
    aliases: Sequence[AliasSpec] | None = None,
) -> pulumi.CustomResource:
    """The app's Pod or Deployment with the delivery wiring in its pod spec."""
    labels = workload_labels(app)
    opts = child(parent, depends_on, aliases)
    meta = metadata(app.workload.name, app.namespace, skip_await, labels=labels)
    if app.workload.kind == "Pod":
        if template_annotations:
            meta["annotations"] = {**template_annotations, **meta.get("annotations", {})}
        return k8s.core.v1.Pod(name, metadata=meta, spec=pod_spec, opts=opts)
    spec: KubeObject = deployment_spec(app, pod_spec, template_annotations or {})
    return k8s.apps.v1.Deployment(name, metadata=meta, spec=spec, opts=opts)
