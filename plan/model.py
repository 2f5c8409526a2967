"""The plan's types: plain, immutable descriptions that components materialize without deciding anything.

Secrets and file contents are not in the plan: they reach the components as `program.Material`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from derive.charts import ReleaseChart

Method = Literal["csi", "injector", "vso"]
Controller = Literal["vault", "csi", "vso"]
"""A chart release a workload or object waits for: the vault chart (injector, CSI provider), the CSI driver, VSO."""


@dataclass(frozen=True)
class AuthPathRef:
    """Stands in a spec for the kubernetes auth mount's path: the component puts the mount's output there, so the
    object waits for the mount (`prefix` + path)."""

    prefix: str = ""


@dataclass(frozen=True)
class Move:
    """Where a resource was registered before (a Pulumi alias): another name, another parent (by URN), or both."""

    name: str | None = None
    parent_urn: str | None = None


@dataclass(frozen=True)
class HelmReleasePlan:
    resource_name: str
    chart: ReleaseChart
    namespace: str
    values: Mapping[str, Any]
    """Chart values; `vaultToken` is added by the component where `dev_root_token` is set."""
    dev_root_token: bool = False
    """Put the dev server's root token (a secret, not in the plan) at server.dev.devRootToken."""


@dataclass(frozen=True)
class ReviewerPlan:
    """The ServiceAccount whose long-lived token Vault calls TokenReview with (external mode)."""

    service_account: str
    namespace: str
    token_secret: str


@dataclass(frozen=True)
class AuthPlan:
    path: str
    existing: bool
    """Adopted: neither enabled nor disabled here, and its config outlives the stack."""
    host: str
    reviewer: ReviewerPlan | None
    """Set in external mode; unset, Vault runs in the cluster and uses its own pod's token and CA."""


@dataclass(frozen=True)
class PlatformPlan:
    name: str
    namespaces: tuple[str, ...]
    """Created by the program (never deleted: retain_on_delete)."""
    vault_release: HelmReleasePlan | None
    vault_from_chart: bool
    """The vault release runs Vault itself: the Vault provider and every write wait for it."""
    auth: AuthPlan
    protect_mounts: bool
    ca_secret_name: str
    ca_secret_namespaces: tuple[str, ...]
    """Where Vault's CA is published; empty unless Vault is external and verified."""


@dataclass(frozen=True)
class ProviderPlan:
    address: str | None
    ca_cert_file: str | None
    skip_tls_verify: bool
    max_retries: int | None
    """Set when Vault comes from the chart and may still be starting."""


@dataclass(frozen=True)
class KubernetesProviderPlan:
    kubeconfig: str | None
    context: str


@dataclass(frozen=True)
class MountPlan:
    resource_name: str
    path: str
    type: str
    description: str | None = None
    default_lease_ttl_seconds: int | None = None
    max_lease_ttl_seconds: int | None = None


@dataclass(frozen=True)
class KvSecretPlan:
    resource_name: str
    path: str
    seed_key: str | None
    """`<mount>/<path>` of its seed values, or None: the program never writes it."""


@dataclass(frozen=True)
class KvEnginePlan:
    name: str
    path: str
    mount: MountPlan | None
    """None: the mount exists already."""
    secrets: tuple[KvSecretPlan, ...]
    protect: bool
    waits_for_vault: bool


@dataclass(frozen=True)
class PkiRootPlan:
    resource_name: str
    common_name: str
    ttl: str


@dataclass(frozen=True)
class PkiRolePlan:
    resource_name: str
    name: str
    key_type: str
    key_bits: int | None
    ttl: str
    max_ttl: str
    allow_ip_sans: bool
    allowed_domains: tuple[str, ...]
    allow_subdomains: bool
    allow_bare_domains: bool


@dataclass(frozen=True)
class PkiEnginePlan:
    name: str
    path: str
    mount: MountPlan | None
    root: PkiRootPlan | None
    roles: tuple[PkiRolePlan, ...]
    protect: bool
    waits_for_vault: bool


@dataclass(frozen=True)
class DatabaseConnectionPlan:
    resource_name: str
    name: str
    allowed_roles: tuple[str, ...]
    verify_connection: bool
    connection_url: str
    username: str
    rotate_root: bool
    password_key: str
    """`<mount>/<connection>` in `databasePasswords`."""


@dataclass(frozen=True)
class DatabaseRolePlan:
    resource_name: str
    name: str
    connection: str
    creation_statements: tuple[str, ...]
    revocation_statements: tuple[str, ...]
    default_ttl: int
    max_ttl: int


@dataclass(frozen=True)
class DatabaseEnginePlan:
    name: str
    path: str
    mount: MountPlan
    connections: tuple[DatabaseConnectionPlan, ...]
    roles: tuple[DatabaseRolePlan, ...]
    protect: bool
    waits_for_vault: bool


@dataclass(frozen=True)
class Read:
    """A declared secret an app reads: its workload waits for what provides it (seeded secret, role)."""

    kind: Literal["kv", "pki", "database"]
    mount: str
    key: str
    """The KV secret's path, or the PKI or database role."""


@dataclass(frozen=True)
class IdentityPlan:
    """The app's policy, ServiceAccount and kubernetes auth role: `<app>-policy`, `-sa`, `-role` in its App."""

    policy_name: str
    policy_hcl: str
    service_account: str
    namespace: str
    role_name: str
    token_ttl: int
    audience: str | None
    waits_for_vault: bool
    moves: Mapping[str, tuple[Move, ...]] = field(default_factory=dict)
    """Per resource suffix (`policy`, `sa`, `role`): where it was registered before."""


@dataclass(frozen=True, kw_only=True)
class Placement:
    """What an app's object or workload waits for, and where it was registered before."""

    after: tuple[str, ...] = ()
    """Keys of earlier objects of the app, or "identity"."""
    after_controllers: tuple[Controller, ...] = ()
    after_reads: bool = False
    """Waits for what provides the secrets the app reads."""
    moves: tuple[Move, ...] = ()


@dataclass(frozen=True)
class CustomObjectPlan(Placement):
    key: str
    """How later objects of the same app refer to this one."""
    resource_name: str
    api_version: str
    kind: str
    name: str
    namespace: str
    spec: Mapping[str, Any]
    """May hold AuthPathRef."""


@dataclass(frozen=True)
class WorkloadPlan(Placement):
    resource_name: str
    kind: Literal["Pod", "Deployment"]
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]
    """The Pod's spec or the Deployment's; may hold AuthPathRef (injector annotations)."""


@dataclass(frozen=True)
class AppPlan:
    app: str
    method: Method
    name: str
    """The component's name: from the app's namespace and ServiceAccount, so it never moves."""
    namespace: str
    declared: Mapping[str, Any]
    """The component's inputs and outputs: the policy pack compares the declaration with the policy."""
    identity: IdentityPlan
    objects: tuple[CustomObjectPlan, ...]
    workload: WorkloadPlan
    reads: tuple[Read, ...]
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class IntegrationPlan:
    """A method's own chart (the CSI driver, VSO); the injector runs from the vault chart."""

    method: Method
    controller: Controller
    """What the apps' objects and workloads wait for (AppPlan's `after_controllers`)."""
    name: str
    type: str
    release: HelmReleasePlan


@dataclass(frozen=True)
class ProgramPlan:
    kubernetes: KubernetesProviderPlan | None
    provider: ProviderPlan
    platform: PlatformPlan
    kv: tuple[KvEnginePlan, ...] = ()
    pki: tuple[PkiEnginePlan, ...] = ()
    databases: tuple[DatabaseEnginePlan, ...] = ()
    integrations: tuple[IntegrationPlan, ...] = ()
    apps: tuple[AppPlan, ...] = ()
    exports: Mapping[str, Any] = field(default_factory=dict)
    """Stack outputs known from the config alone (vaultMode, apps)."""
