"""One app's Vault identity: its policy, its kubernetes auth role and its ServiceAccount."""

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_vault as vault

from components.common import Namespaces, child, in_namespace, metadata
from derive.policies import app_grants, render_policy
from stackconfig.durations import parse_duration
from stackconfig.models import AppDecl


@dataclass
class AppIdentityArgs:
    app: AppDecl
    """The app declaration; grants are derived from its secrets."""
    auth_path: pulumi.Input[str]
    """The kubernetes auth mount the role lives in."""
    namespaces: Namespaces = field(default_factory=dict)
    """The namespaces the program creates."""
    audience: str | None = None
    """The token audience the role binds; None accepts any."""
    vault_ready: Sequence[pulumi.Resource] = ()
    """What the policy and the role wait for (the in-cluster Vault in internal mode)."""


class AppIdentity(pulumi.ComponentResource):
    """Policy + role + ServiceAccount, all derived from one declaration."""

    policy: vault.Policy
    role: vault.kubernetes.AuthBackendRole
    service_account: k8s.core.v1.ServiceAccount

    def __init__(self, name: str, args: AppIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        app = args.app
        grants = app_grants(app)
        # The declaration is published (inputs and outputs) so the policy pack can compare it with the policy.
        declared = {
            "app": app.name,
            "method": app.method,
            "namespace": app.namespace,
            "serviceAccount": app.service_account,
            "policyName": app.policy,
            "roleName": app.role,
            "grants": [{"path": g.path, "capabilities": list(g.capabilities)} for g in grants],
        }
        super().__init__("vault-k8s:index:AppIdentity", name, declared, opts)
        self.policy = vault.Policy(
            f"{name}-policy", name=app.policy, policy=render_policy(grants), opts=child(self, args.vault_ready)
        )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=metadata(app.service_account, app.namespace),
            opts=child(self, in_namespace(args.namespaces, app.namespace)),
        )
        self.role = vault.kubernetes.AuthBackendRole(
            f"{name}-role",
            backend=args.auth_path,
            role_name=app.role,
            bound_service_account_names=[app.service_account],
            bound_service_account_namespaces=[app.namespace],
            token_policies=[self.policy.name],
            token_ttl=parse_duration(app.token_ttl),
            audience=args.audience,
            opts=child(self, args.vault_ready),
        )
        self.register_outputs(declared)
