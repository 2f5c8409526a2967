"""Vault secret engines: KV v2 mounts with seeded secrets, PKI with an internal root, and databases."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_vault as vault

from components.common import child
from plan.model import DatabaseEnginePlan, KvEnginePlan, MountPlan, PkiEnginePlan


def vault_mount(
    parent: pulumi.Resource, plan: MountPlan, protect: bool, after: Sequence[pulumi.Resource]
) -> vault.Mount:
    return vault.Mount(
        plan.resource_name,
        path=plan.path,
        type=plan.type,
        description=plan.description,
        default_lease_ttl_seconds=plan.default_lease_ttl_seconds,
        max_lease_ttl_seconds=plan.max_lease_ttl_seconds,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, depends_on=list(after) or None),
    )


@dataclass
class EngineArgs:
    vault_ready: Sequence[pulumi.Resource] = ()
    """What Vault writes wait for when the plan says so (the in-cluster Vault)."""


@dataclass
class KvEngineArgs(EngineArgs):
    seed_values: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """`<mount>/<path>` -> secret JSON of the values to write."""


class KvEngine(pulumi.ComponentResource):
    """A KV v2 mount (unless it exists already) and the seeded secrets in it."""

    mount: vault.Mount | None
    secrets: list[vault.kv.SecretV2]
    ready_by_path: dict[str, pulumi.Resource]
    """What a reader of each declared secret waits for: the seeded secret, else the new mount."""

    def __init__(self, plan: KvEnginePlan, args: KvEngineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:KvEngine", plan.name, None, opts)
        after = args.vault_ready if plan.waits_for_vault else ()
        self.mount = vault_mount(self, plan.mount, plan.protect, after) if plan.mount else None
        mount_path: pulumi.Input[str] = self.mount.path if self.mount else plan.path
        self.secrets, self.ready_by_path = [], {}
        for secret in plan.secrets:
            if secret.seed_key is None:
                if self.mount is not None:
                    self.ready_by_path[secret.path] = self.mount
                continue
            self.secrets.append(
                vault.kv.SecretV2(
                    secret.resource_name,
                    mount=mount_path,
                    name=secret.path,
                    data_json=args.seed_values[secret.seed_key],
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=list(after) or None,
                        # A seed is the first version only: a value rotated in Vault (`vault kv put`) survives
                        # `up --refresh`; `pulumi up --replace <urn>` writes the config's value again.
                        ignore_changes=["dataJson"],
                        # Same path: creating first and then deleting the old one would delete what was just written.
                        delete_before_replace=True,
                    ),
                )
            )
            self.ready_by_path[secret.path] = self.secrets[-1]
        self.register_outputs({"path": plan.path})


class PkiEngine(pulumi.ComponentResource):
    """A PKI mount, an internal root CA whose key never leaves Vault, and roles; only the roles of an existing mount."""

    mount: vault.Mount | None
    root: vault.pkisecret.SecretBackendRootCert | None
    roles_by_name: dict[str, pulumi.Resource]

    def __init__(self, plan: PkiEnginePlan, args: EngineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:PkiEngine", plan.name, None, opts)
        after: Sequence[pulumi.Resource] = args.vault_ready if plan.waits_for_vault else ()
        self.mount = self.root = None
        backend: pulumi.Input[str] = plan.path
        if plan.mount is not None and plan.root is not None:
            self.mount = vault_mount(self, plan.mount, plan.protect, after)
            self.root = vault.pkisecret.SecretBackendRootCert(
                plan.root.resource_name,
                backend=self.mount.path,
                type="internal",
                common_name=plan.root.common_name,
                ttl=plan.root.ttl,
                opts=pulumi.ResourceOptions(parent=self, protect=plan.protect),
            )
            backend, after = self.mount.path, [self.root]
        self.roles_by_name = {
            role.name: vault.pkisecret.SecretBackendRole(
                role.resource_name,
                backend=backend,
                name=role.name,
                key_type=role.key_type,
                key_bits=role.key_bits,
                ttl=role.ttl,
                max_ttl=role.max_ttl,
                allow_ip_sans=role.allow_ip_sans,
                allowed_domains=list(role.allowed_domains),
                allow_subdomains=role.allow_subdomains,
                allow_bare_domains=role.allow_bare_domains,
                opts=child(self, depends_on=after),
            )
            for role in plan.roles
        }
        self.register_outputs({"path": backend, "rootCertificate": self.root.certificate if self.root else None})


@dataclass
class DatabaseEngineArgs(EngineArgs):
    passwords: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """`<mount>/<connection>` -> the admin's password, a Pulumi secret."""


class DatabaseEngine(pulumi.ComponentResource):
    """A database secrets engine: its connections (verified by Vault when written), the roles that create users,
    and, where asked, Vault rotating the admin's password once set up."""

    mount: vault.Mount
    connections: dict[str, vault.database.SecretBackendConnection]
    roles: dict[str, vault.database.SecretBackendRole]

    def __init__(self, plan: DatabaseEnginePlan, args: DatabaseEngineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:DatabaseEngine", plan.name, None, opts)
        self.mount = vault_mount(self, plan.mount, plan.protect, args.vault_ready if plan.waits_for_vault else ())
        self.connections, self.roles = {}, {}
        for conn in plan.connections:
            connection = vault.database.SecretBackendConnection(
                conn.resource_name,
                backend=self.mount.path,
                name=conn.name,
                allowed_roles=list(conn.allowed_roles),
                verify_connection=conn.verify_connection,
                postgresql=vault.database.SecretBackendConnectionPostgresqlArgs(
                    connection_url=conn.connection_url,
                    username=conn.username,
                    password=pulumi.Output.secret(args.passwords[conn.password_key]),
                ),
                # After rotate-root only Vault knows the password: a changed config value must not be written over it.
                opts=pulumi.ResourceOptions(
                    parent=self, ignore_changes=["postgresql.password"] if conn.rotate_root else None
                ),
            )
            self.connections[conn.name] = connection
            if conn.rotate_root:
                vault.generic.Endpoint(
                    f"{conn.resource_name}-rotate-root",
                    path=pulumi.Output.concat(self.mount.path, "/rotate-root/", connection.name),
                    data_json="{}",
                    # A one-off call: nothing to read back, nothing to undo on delete.
                    disable_read=True,
                    disable_delete=True,
                    opts=child(self, depends_on=[connection]),
                )
        for role in plan.roles:
            self.roles[role.name] = vault.database.SecretBackendRole(
                role.resource_name,
                backend=self.mount.path,
                name=role.name,
                db_name=self.connections[role.connection].name,
                creation_statements=list(role.creation_statements),
                revocation_statements=list(role.revocation_statements) or None,
                default_ttl=role.default_ttl,
                max_ttl=role.max_ttl,
                opts=child(self),
            )
        self.register_outputs({"path": self.mount.path, "roles": sorted(self.roles)})
