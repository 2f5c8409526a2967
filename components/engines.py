"""Vault secret engines: KV v2 mounts with seeded secrets, PKI with an internal root, and databases."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_vault as vault

from components.common import child
from stackconfig import names
from stackconfig.durations import as_duration_text, parse_duration
from stackconfig.models import DatabaseMountDecl, KvMountDecl, PkiMountDecl


@dataclass
class KvEngineArgs:
    mount: KvMountDecl
    """The mount and the secrets declared in it."""
    seed_values: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    """"<mount>/<path>" -> secret JSON of the values to write."""
    protect: bool = False
    """Refuse to delete the mount (and so every secret in it)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """What must exist first (the Vault server itself in internal mode)."""


class KvEngine(pulumi.ComponentResource):
    """A KV v2 mount (unless it exists already) and the seeded secrets in it."""

    mount: vault.Mount | None
    secrets: list[vault.kv.SecretV2]

    def __init__(self, name: str, args: KvEngineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:KvEngine", name, None, opts)
        decl = args.mount
        self.mount = None
        mount_path: pulumi.Input[str] = decl.path
        if not decl.existing:
            self.mount = vault.Mount(
                f"{name}-mount",
                path=decl.path,
                type="kv-v2",
                description=decl.description or None,
                opts=pulumi.ResourceOptions(
                    parent=self, protect=args.protect, depends_on=list(args.depends_on) or None
                ),
            )
            mount_path = self.mount.path
        self.secrets = []
        # What a reader of each declared secret must wait for: the seeded secret, else the new mount.
        self.ready_by_path: dict[str, pulumi.Resource] = {}
        for secret in decl.secrets:
            seed = args.seed_values.get(f"{decl.path}/{secret.path}")
            if seed is None:
                if self.mount is not None:
                    self.ready_by_path[secret.path] = self.mount
                continue
            self.secrets.append(
                vault.kv.SecretV2(
                    names.kv_secret(name, secret.path),
                    mount=mount_path,
                    name=secret.path,
                    data_json=seed,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=list(args.depends_on) or None,
                        # A seed is the first version only: a value rotated in Vault (`vault kv put`) survives
                        # `up --refresh`; `pulumi up --replace <urn>` writes the config's value again.
                        ignore_changes=["dataJson"],
                        # Same path: creating first and then deleting the old one would delete what was just written.
                        delete_before_replace=True,
                    ),
                )
            )
            self.ready_by_path[secret.path] = self.secrets[-1]
        self.register_outputs({"path": decl.path})


@dataclass
class PkiEngineArgs:
    mount: PkiMountDecl
    """The mount, its lease tuning, its root and its roles."""
    protect: bool = False
    """Refuse to delete the mount and the root CA."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """What must exist first (the Vault server itself in internal mode)."""


class PkiEngine(pulumi.ComponentResource):
    """A PKI mount, an internal root CA whose key never leaves Vault, and roles; only the roles of an existing mount."""

    mount: vault.Mount | None
    root: vault.pkisecret.SecretBackendRootCert | None
    roles: list[vault.pkisecret.SecretBackendRole]

    def __init__(self, name: str, args: PkiEngineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:PkiEngine", name, None, opts)
        decl = args.mount
        self.mount = self.root = None
        backend: pulumi.Input[str] = decl.path
        roles_after: list[pulumi.Resource] = list(args.depends_on)
        if not decl.existing:
            assert decl.root is not None  # the config requires it
            self.mount = vault.Mount(
                f"{name}-mount",
                path=decl.path,
                type="pki",
                default_lease_ttl_seconds=parse_duration(decl.default_lease_ttl),
                max_lease_ttl_seconds=parse_duration(decl.max_lease_ttl),
                opts=pulumi.ResourceOptions(
                    parent=self, protect=args.protect, depends_on=list(args.depends_on) or None
                ),
            )
            self.root = vault.pkisecret.SecretBackendRootCert(
                f"{name}-root",
                backend=self.mount.path,
                type="internal",
                common_name=decl.root.common_name,
                ttl=as_duration_text(decl.root.ttl),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            backend, roles_after = self.mount.path, [self.root]
        self.roles = [
            vault.pkisecret.SecretBackendRole(
                names.pki_role(name, role.name),
                backend=backend,
                name=role.name,
                key_type=role.key_type,
                key_bits=role.key_size(),
                # Vault reads TTLs back in seconds; sending seconds avoids a perpetual diff.
                ttl=str(parse_duration(role.ttl)),
                max_ttl=str(parse_duration(role.max_ttl)),
                allow_ip_sans=role.allow_ip_sans,
                allowed_domains=role.allowed_domains,
                allow_subdomains=role.allow_subdomains,
                allow_bare_domains=role.allow_bare_domains,
                opts=child(self, depends_on=roles_after),
            )
            for role in decl.roles
        ]
        self.roles_by_name: dict[str, pulumi.Resource] = {
            r.name: res for r, res in zip(decl.roles, self.roles, strict=True)
        }
        self.register_outputs({"path": backend, "rootCertificate": self.root.certificate if self.root else None})


@dataclass
class DatabaseEngineArgs:
    mount: DatabaseMountDecl
    """The mount, its connections and its roles."""
    passwords: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Connection name -> the admin's password, a Pulumi secret."""
    protect: bool = False
    """Refuse to delete the mount (and with it every lease, so every user it created)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """What must exist first (the Vault server itself in internal mode)."""


class DatabaseEngine(pulumi.ComponentResource):
    """A database secrets engine: its connections (verified by Vault when written), the roles that create users,
    and, where asked, Vault rotating the admin's password once set up."""

    mount: vault.Mount
    connections: dict[str, vault.database.SecretBackendConnection]
    roles: dict[str, vault.database.SecretBackendRole]

    def __init__(self, name: str, args: DatabaseEngineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:DatabaseEngine", name, None, opts)
        decl = args.mount
        self.mount = vault.Mount(
            f"{name}-mount",
            path=decl.path,
            type="database",
            default_lease_ttl_seconds=parse_duration(decl.default_lease_ttl),
            max_lease_ttl_seconds=parse_duration(decl.max_lease_ttl),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=list(args.depends_on) or None),
        )
        self.connections, self.roles = {}, {}
        for conn in decl.connections:
            connection = vault.database.SecretBackendConnection(
                names.database_connection(name, conn.name),
                backend=self.mount.path,
                name=conn.name,
                allowed_roles=decl.roles_of(conn.name),
                verify_connection=conn.verify_connection,
                postgresql=vault.database.SecretBackendConnectionPostgresqlArgs(
                    connection_url=conn.connection_url,
                    username=conn.username,
                    password=pulumi.Output.secret(args.passwords[conn.name]),
                ),
                # After rotate-root only Vault knows the password: a changed config value must not be written over it.
                opts=pulumi.ResourceOptions(
                    parent=self, ignore_changes=["postgresql.password"] if conn.rotate_root else None
                ),
            )
            self.connections[conn.name] = connection
            if conn.rotate_root:
                vault.generic.Endpoint(
                    f"{names.database_connection(name, conn.name)}-rotate-root",
                    path=pulumi.Output.concat(self.mount.path, "/rotate-root/", connection.name),
                    data_json="{}",
                    # A one-off call: nothing to read back, nothing to undo on delete.
                    disable_read=True,
                    disable_delete=True,
                    opts=child(self, depends_on=[connection]),
                )
        for role in decl.roles:
            self.roles[role.name] = vault.database.SecretBackendRole(
                names.database_role(name, role.name),
                backend=self.mount.path,
                name=role.name,
                db_name=self.connections[role.connection].name,
                creation_statements=role.creation_statements,
                revocation_statements=role.revocation_statements or None,
                default_ttl=parse_duration(role.default_ttl),
                max_ttl=parse_duration(role.max_ttl),
                opts=child(self),
            )
        self.register_outputs({"path": self.mount.path, "roles": sorted(self.roles)})
