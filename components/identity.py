"""One app's Vault identity: its policy, its kubernetes auth role and its ServiceAccount."""

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from components.common import Namespaces, child, in_namespace, metadata
from plan.model import IdentityPlan


@dataclass
class AppIdentityArgs:
    auth_path: pulumi.Input[str]
    """The kubernetes auth mount the role lives in (its output: the role waits for the mount)."""
    namespaces: Namespaces = field(default_factory=dict)
    """The namespaces the program creates."""
    vault_ready: Sequence[pulumi.Resource] = ()
    """What Vault writes wait for when the plan says so (the in-cluster Vault)."""


class AppIdentity(pulumi.ComponentResource):
    """Policy + role + ServiceAccount, as planned from one declaration."""

    policy: vault.Policy
    role: vault.kubernetes.AuthBackendRole
    service_account: k8s.core.v1.ServiceAccount

    def __init__(self, plan: IdentityPlan, args: AppIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        name = plan.name
        # The declaration is published (inputs and outputs) so the policy pack can compare it with the policy.
        declared = dict(plan.declared)
        super().__init__("vault-k8s:index:AppIdentity", name, declared, opts)
        vault_ready = args.vault_ready if plan.waits_for_vault else ()
        self.policy = vault.Policy(
            f"{name}-policy", name=plan.policy_name, policy=plan.policy_hcl, opts=child(self, vault_ready)
        )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=metadata(plan.service_account, plan.namespace),
            opts=child(self, in_namespace(args.namespaces, plan.namespace)),
        )
        self.role = vault.kubernetes.AuthBackendRole(
            f"{name}-role",
            backend=args.auth_path,
            role_name=plan.role_name,
            bound_service_account_names=[plan.service_account],
            bound_service_account_namespaces=[plan.namespace],
            token_policies=[self.policy.name],
            token_ttl=plan.token_ttl,
            audience=plan.audience,
            opts=child(self, vault_ready),
        )
        self.register_outputs(declared)
