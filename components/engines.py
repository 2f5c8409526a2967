"""Vault secret engines: KV v2 mounts with seeded secrets, and PKI with an internal root."""

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_vault as vault

from components.common import child
from derive.durations import as_duration_text, parse_duration
from stackconfig.models import KvMountDecl, PkiMountDecl


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
                    f"{name}-{secret.path.replace('/', '-')}",
                    mount=mount_path,
                    name=secret.path,
                    data_json=seed,
                    opts=child(self, depends_on=args.depends_on),
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
    """A PKI mount, an internal root CA whose key never leaves Vault, and roles."""

    mount: vault.Mount
    root: vault.pkisecret.SecretBackendRootCert
    roles: list[vault.pkisecret.SecretBackendRole]

    def __init__(self, name: str, args: PkiEngineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("vault-k8s:index:PkiEngine", name, None, opts)
        decl = args.mount
        self.mount = vault.Mount(
            f"{name}-mount",
            path=decl.path,
            type="pki",
            default_lease_ttl_seconds=parse_duration(decl.default_lease_ttl),
            max_lease_ttl_seconds=parse_duration(decl.max_lease_ttl),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=list(args.depends_on) or None),
        )
        self.root = vault.pkisecret.SecretBackendRootCert(
            f"{name}-root",
            backend=self.mount.path,
            type="internal",
            common_name=decl.root.common_name,
            ttl=as_duration_text(decl.root.ttl),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.roles = [
            vault.pkisecret.SecretBackendRole(
                f"{name}-role-{role.name}",
                backend=self.mount.path,
                name=role.name,
                key_type=role.key_type,
                key_bits=role.key_bits,
                # Vault reads TTLs back in seconds; sending seconds avoids a perpetual diff.
                ttl=str(parse_duration(role.ttl)),
                max_ttl=str(parse_duration(role.max_ttl)),
                allow_ip_sans=role.allow_ip_sans,
                allowed_domains=role.allowed_domains,
                allow_subdomains=role.allow_subdomains,
                allow_bare_domains=role.allow_bare_domains,
                opts=child(self, depends_on=[self.root]),
            )
            for role in decl.roles
        ]
        self.roles_by_name: dict[str, pulumi.Resource] = {
            r.name: res for r, res in zip(decl.roles, self.roles, strict=True)
        }
        self.register_outputs({"path": self.mount.path, "rootCertificate": self.root.certificate})
