"""One app's Vault identity, inside its App: its policy, its kubernetes auth role and its ServiceAccount."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from components.common import Namespaces, child, in_namespace, metadata
from plan.model import IdentityPlan


@dataclass(frozen=True)
class Identity:
    policy: vault.Policy
    service_account: k8s.core.v1.ServiceAccount
    role: vault.kubernetes.AuthBackendRole

    def resources(self) -> list[pulumi.Resource]:
        return [self.policy, self.service_account, self.role]


def app_identity(
    app: pulumi.ComponentResource,
    name: str,
    plan: IdentityPlan,
    auth_path: pulumi.Input[str],
    namespaces: Namespaces,
    vault_ready: Sequence[pulumi.Resource],
) -> Identity:
    """`<name>-policy`, `-sa` and `-role` in the App `app`; the role in the auth mount `auth_path` (its output: the
    role waits for the mount)."""
    after = vault_ready if plan.waits_for_vault else ()
    policy = vault.Policy(
        f"{name}-policy",
        name=plan.policy_name,
        policy=plan.policy_hcl,
        opts=child(app, after, plan.moves.get("policy")),
    )
    service_account = k8s.core.v1.ServiceAccount(
        f"{name}-sa",
        metadata=metadata(plan.service_account, plan.namespace),
        opts=child(app, in_namespace(namespaces, plan.namespace), plan.moves.get("sa")),
    )
    role = vault.kubernetes.AuthBackendRole(
        f"{name}-role",
        backend=auth_path,
        role_name=plan.role_name,
        bound_service_account_names=[plan.service_account],
        bound_service_account_namespaces=[plan.namespace],
        token_policies=[policy.name],
        token_ttl=plan.token_ttl,
        audience=plan.audience,
        opts=child(app, after, plan.moves.get("role")),
    )
    return Identity(policy, service_account, role)
