"""One app: its identity, its method's objects and its workload, under one component that never moves."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.common import Namespaces, child, in_namespace, with_auth_path
from components.identity import Identity, app_identity
from plan.model import AppPlan, Controller, Placement, WorkloadPlan

APP_TYPE = "vault-k8s:index:App"


@dataclass
class AppArgs:
    auth_path: pulumi.Input[str]
    """The kubernetes auth mount's path, as the mount's output."""
    namespaces: Namespaces = field(default_factory=dict)
    """The namespaces the program creates."""
    vault_ready: Sequence[pulumi.Resource] = ()
    """What Vault writes wait for in internal mode."""
    controllers: Mapping[Controller, pulumi.Resource] = field(default_factory=dict)
    """The chart releases the program manages, by what they run."""
    reads: Sequence[pulumi.Resource] = ()
    """What provides the secrets the app reads (seeded secrets, roles)."""


class App(pulumi.ComponentResource):
    """The app's identity (policy, ServiceAccount, role), its method's objects and its workload. Named from the
    app's namespace and ServiceAccount: renaming the app or switching its method keeps its URN; its children are
    aliased from where they were before (plan.build.app_moves, identity_moves)."""

    identity: Identity
    objects: dict[str, k8s.apiextensions.CustomResource]
    workload: pulumi.CustomResource

    def __init__(self, plan: AppPlan, args: AppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The declaration is published (inputs and outputs) so the policy pack can compare it with the policy.
        declared = dict(plan.declared)
        super().__init__(APP_TYPE, plan.name, declared, opts)
        self.identity = app_identity(self, plan.name, plan.identity, args.auth_path, args.namespaces, args.vault_ready)
        done: dict[str, list[pulumi.Resource]] = {"identity": self.identity.resources()}
        self.objects = {}
        for obj in plan.objects:
            after = _after(obj, done, args)
            self.objects[obj.key] = k8s.apiextensions.CustomResource(
                obj.resource_name,
                api_version=obj.api_version,
                kind=obj.kind,
                metadata={"name": obj.name, "namespace": obj.namespace},
                spec=with_auth_path(obj.spec, args.auth_path),
                opts=child(self, in_namespace(args.namespaces, obj.namespace, *after), obj.moves),
            )
            done[obj.key] = [self.objects[obj.key]]
        self.workload = self._workload(plan.workload, plan.namespace, done, args)
        self.register_outputs({**declared, "workload": self.workload.urn})

    def _workload(
        self, plan: WorkloadPlan, namespace: str, done: Mapping[str, list[pulumi.Resource]], args: AppArgs
    ) -> pulumi.CustomResource:
        opts = child(self, in_namespace(args.namespaces, namespace, *_after(plan, done, args)), plan.moves)
        meta = with_auth_path(plan.metadata, args.auth_path)
        spec = with_auth_path(plan.spec, args.auth_path)
        if plan.kind == "Pod":
            return k8s.core.v1.Pod(plan.resource_name, metadata=meta, spec=spec, opts=opts)
        return k8s.apps.v1.Deployment(plan.resource_name, metadata=meta, spec=spec, opts=opts)


def _after(placement: Placement, done: Mapping[str, list[pulumi.Resource]], args: AppArgs) -> list[pulumi.Resource]:
    """The app's earlier resources, the chart releases the program manages, and the secrets' providers."""
    return [
        *(r for key in placement.after for r in done[key]),
        *(args.controllers[c] for c in placement.after_controllers if c in args.controllers),
        *(args.reads if placement.after_reads else ()),
    ]
