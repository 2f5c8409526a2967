"""Small helpers shared by the components."""

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from derive.helm_values import with_dev_root_token
from plan.model import AuthPathRef, HelmReleasePlan, Move

# Kubernetes objects are written as the API spells them (camelCase); the SDK passes such
# dicts through unchanged, but its TypedDicts are snake_case, so they are typed loosely here.
KubeObject = Any


Namespaces = Mapping[str, pulumi.Resource]
"""The namespaces the program creates, by name; anything placed in one waits for it."""


def in_namespace(namespaces: Namespaces, namespace: str | None, *others: pulumi.Resource) -> list[pulumi.Resource]:
    """`others` plus the namespace's resource when the program creates it."""
    created = namespaces.get(namespace) if namespace else None
    return [*others, created] if created is not None else list(others)


def to_aliases(moves: Sequence[Move]) -> list[pulumi.Input[str] | pulumi.Alias]:
    """Only what moved is set: an Alias field given None would mean "no parent" or "no name"."""
    return [
        pulumi.Alias(**({"name": m.name} if m.name else {}), **({"parent": m.parent_urn} if m.parent_urn else {}))
        for m in moves
    ]


def child(
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
    moves: Sequence[Move] | None = None,
) -> pulumi.ResourceOptions:
    """Options of a child: parented to its component, optionally ordered after others, and aliased from where it
    was registered before."""
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=list(depends_on) if depends_on else None,
        aliases=to_aliases(moves) if moves else None,
    )


def metadata(name: str, namespace: str | None, **extra: Any) -> KubeObject:
    return {"name": name, **({"namespace": namespace} if namespace else {}), **extra}


def with_auth_path(value: Any, auth_path: pulumi.Input[str]) -> Any:
    """`value` with every AuthPathRef replaced by the auth mount's path (an output: the object waits for it)."""
    if isinstance(value, AuthPathRef):
        return pulumi.Output.concat(value.prefix, auth_path) if value.prefix else auth_path
    if isinstance(value, Mapping):
        return {k: with_auth_path(v, auth_path) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [with_auth_path(v, auth_path) for v in value]
    return value


def helm_release(
    parent: pulumi.Resource,
    plan: HelmReleasePlan,
    namespaces: Namespaces,
    dev_root_token: pulumi.Input[str] | None = None,
) -> k8s.helm.v3.Release:
    """A pinned chart from its repository or a local path, in the platform namespace."""
    chart = plan.chart
    values = dict(plan.values)
    if plan.dev_root_token and dev_root_token is not None:
        values = with_dev_root_token(values, dev_root_token)
    return k8s.helm.v3.Release(
        plan.resource_name,
        name=chart.release_name,
        chart=chart.chart,
        version=chart.version,
        namespace=plan.namespace,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo) if chart.repo is not None else None,
        values=values,
        opts=child(parent, in_namespace(namespaces, plan.namespace)),
    )
