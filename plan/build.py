"""make_plan: the validated config in, the whole program's plan out. Every decision is made here, once."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from derive.annotations import PREFIX, injector_annotations
from derive.charts import release_chart
from derive.custom_resources import (
    SPC_API_VERSION,
    VSO_API_VERSION,
    secret_provider_class_spec,
    vault_auth_spec,
    vault_connection_spec,
    vault_dynamic_secret_spec,
    vault_pki_secret_spec,
    vault_static_secret_spec,
)
from derive.helm_values import csi_driver_values, vault_chart_values, vso_values
from derive.namespaces import namespaces_to_create
from derive.policies import app_grants, render_policy
from derive.tls import CA_CERT_PATH, vault_ca_in_use
from derive.workloads import (
    csi_pod_spec,
    delivery_command,
    deployment_spec,
    injector_pod_spec,
    vso_pod_spec,
    workload_labels,
)
from plan.model import (
    AppPlan,
    AuthPathRef,
    AuthPlan,
    Controller,
    CustomObjectPlan,
    DatabaseConnectionPlan,
    DatabaseEnginePlan,
    DatabaseRolePlan,
    HelmReleasePlan,
    IdentityPlan,
    IntegrationPlan,
    KubernetesProviderPlan,
    KvEnginePlan,
    KvSecretPlan,
    Method,
    MountPlan,
    Move,
    PkiEnginePlan,
    PkiRolePlan,
    PkiRootPlan,
    PlatformPlan,
    ProgramPlan,
    ProviderPlan,
    Read,
    ReviewerPlan,
    WorkloadPlan,
)
from stackconfig import names
from stackconfig.durations import as_duration_text, parse_duration
from stackconfig.models import AppDecl, DatabaseMountDecl, KvMountDecl, KvRef, PkiMountDecl, PkiRef, StackConfig

PLATFORM = "platform"

# The components apps lived under before each app had its own (App), by method: type and name. Their charts stay
# there (CsiIntegration, VsoIntegration); the injector's chart is the vault chart.
INTEGRATION_TYPES: Mapping[Method, str] = {
    "csi": "vault-k8s:index:CsiIntegration",
    "injector": "vault-k8s:index:InjectorIntegration",
    "vso": "vault-k8s:index:VsoIntegration",
}
INTEGRATION_NAMES: Mapping[Method, str] = {"csi": "csi", "injector": "injector", "vso": names.VSO}

# How many times the Vault provider retries a request to the in-cluster Vault. Helm's wait, which the release waits
# for, skips the vault StatefulSet (the chart's `updateStrategy: OnDelete`), so the provider's first request can meet
# a server that is still starting (connection refused). Vault's API client retries those with a linear backoff
# (retry n waits n x 1-1.5 s): 30 retries would wait at least 465 s, so it is the client's request timeout (60 s,
# VAULT_CLIENT_TIMEOUT) that ends the wait, not the count. terraform-provider-vault's default, 2, gives up after
# about 3 s. Answers 429, 412 and 5xx are retried within the same timeout.
VAULT_STARTUP_RETRIES = 30


@dataclass(frozen=True)
class PlanInputs:
    """What the plan needs besides the config: where it runs, and what the loader checked on disk."""

    stack: str
    project: str
    chart_paths: Mapping[str, str] = field(default_factory=dict)
    """ChartsConfig field -> the checked absolute path of a chart pinned by `path`."""
    vault_ca_path: str | None = None


def make_plan(cfg: StackConfig, inputs: PlanInputs) -> ProgramPlan:
    ca_in_use = vault_ca_in_use(cfg)
    waits = cfg.vault.mode == "internal"
    protect = cfg.protect_mounts
    kubernetes = cfg.kubernetes
    return ProgramPlan(
        kubernetes=KubernetesProviderPlan(kubernetes.kubeconfig, kubernetes.context) if kubernetes else None,
        provider=ProviderPlan(
            address=cfg.vault.address,
            ca_cert_file=inputs.vault_ca_path,
            skip_tls_verify=cfg.vault.skip_tls_verify,
            max_retries=VAULT_STARTUP_RETRIES if cfg.vault_from_chart() else None,
        ),
        platform=platform_plan(cfg, inputs, ca_in_use),
        kv=tuple(kv_plan(m, protect, waits) for m in cfg.kv),
        pki=tuple(pki_plan(m, protect, waits) for m in cfg.pki),
        databases=tuple(database_plan(m, protect, waits) for m in cfg.databases),
        integrations=integration_plans(cfg, inputs),
        apps=tuple(app_plan(cfg, app, inputs, ca_in_use) for app in cfg.apps),
        exports={"vaultMode": cfg.vault.mode, "apps": {app.name: app_outputs(app) for app in cfg.apps}},
    )


def _release(cfg: StackConfig, resource_name: str, chart: str, inputs: PlanInputs, values: Any) -> HelmReleasePlan:
    pin = getattr(cfg.charts, chart)
    source = release_chart(pin, inputs.chart_paths.get(chart))
    return HelmReleasePlan(resource_name, source, cfg.charts.namespace, values)


def platform_plan(cfg: StackConfig, inputs: PlanInputs, ca_in_use: bool) -> PlatformPlan:
    release = None
    if cfg.charts.managed:
        release = _release(cfg, f"{PLATFORM}-vault", "vault", inputs, vault_chart_values(cfg, ca_in_use))
        release = replace(release, dev_root_token=cfg.vault.mode == "internal")
    auth = cfg.kubernetes_auth
    reviewer = None
    if cfg.vault.mode == "external":
        account = auth.reviewer.service_account
        reviewer = ReviewerPlan(account, auth.reviewer.namespace, names.reviewer_token_secret(account))
    ca_namespaces = sorted({cfg.charts.namespace, *(a.namespace for a in cfg.apps)}) if ca_in_use else []
    return PlatformPlan(
        name=PLATFORM,
        namespaces=tuple(namespaces_to_create(cfg, ca_in_use)),
        vault_release=release,
        vault_from_chart=cfg.vault_from_chart(),
        auth=AuthPlan(auth.path, auth.existing, auth.host, reviewer),
        protect_mounts=cfg.protect_mounts,
        ca_secret_name=names.CA_SECRET_NAME,
        ca_secret_namespaces=tuple(ca_namespaces),
    )


def integration_plans(cfg: StackConfig, inputs: PlanInputs) -> tuple[IntegrationPlan, ...]:
    """The method charts the apps use, when the program manages charts."""
    if not cfg.charts.managed:
        return ()
    methods = cfg.methods()
    found = []
    if "csi" in methods:
        release = _release(cfg, "csi-driver", "csi_driver", inputs, csi_driver_values(cfg))
        found.append(IntegrationPlan("csi", "csi", "csi", INTEGRATION_TYPES["csi"], release))
    if "vso" in methods:
        release = _release(cfg, f"{names.VSO}-operator", "vso", inputs, vso_values(cfg))
        found.append(IntegrationPlan("vso", "vso", names.VSO, INTEGRATION_TYPES["vso"], release))
    return tuple(found)


def kv_plan(decl: KvMountDecl, protect: bool, waits: bool) -> KvEnginePlan:
    name = names.kv_engine(decl.path)
    mount = None if decl.existing else MountPlan(f"{name}-mount", decl.path, "kv-v2", decl.description or None)
    secrets = tuple(
        KvSecretPlan(names.kv_secret(name, s.path), s.path, f"{decl.path}/{s.path}" if s.seed else None)
        for s in decl.secrets
    )
    return KvEnginePlan(name, decl.path, mount, secrets, protect, waits)


def _lease_mount(resource_name: str, path: str, type_: str, default_ttl: str | int, max_ttl: str | int) -> MountPlan:
    return MountPlan(resource_name, path, type_, None, parse_duration(default_ttl), parse_duration(max_ttl))


def pki_plan(decl: PkiMountDecl, protect: bool, waits: bool) -> PkiEnginePlan:
    name = names.pki_engine(decl.path)
    mount = root = None
    if not decl.existing:
        assert decl.root is not None  # the config requires it
        mount = _lease_mount(f"{name}-mount", decl.path, "pki", decl.default_lease_ttl, decl.max_lease_ttl)
        root = PkiRootPlan(f"{name}-root", decl.root.common_name, as_duration_text(decl.root.ttl))
    roles = tuple(
        PkiRolePlan(
            resource_name=names.pki_role(name, r.name),
            name=r.name,
            key_type=r.key_type,
            key_bits=r.key_size(),
            # Vault reads TTLs back in seconds; sending seconds avoids a perpetual diff.
            ttl=str(parse_duration(r.ttl)),
            max_ttl=str(parse_duration(r.max_ttl)),
            allow_ip_sans=r.allow_ip_sans,
            allowed_domains=tuple(r.allowed_domains),
            allow_subdomains=r.allow_subdomains,
            allow_bare_domains=r.allow_bare_domains,
        )
        for r in decl.roles
    )
    return PkiEnginePlan(name, decl.path, mount, root, roles, protect, waits)


def database_plan(decl: DatabaseMountDecl, protect: bool, waits: bool) -> DatabaseEnginePlan:
    name = names.database_engine(decl.path)
    connections = tuple(
        DatabaseConnectionPlan(
            resource_name=names.database_connection(name, c.name),
            name=c.name,
            allowed_roles=tuple(decl.roles_of(c.name)),
            verify_connection=c.verify_connection,
            connection_url=c.connection_url,
            username=c.username,
            rotate_root=c.rotate_root,
            password_key=f"{decl.path}/{c.name}",
        )
        for c in decl.connections
    )
    roles = tuple(
        DatabaseRolePlan(
            resource_name=names.database_role(name, r.name),
            name=r.name,
            connection=r.connection,
            creation_statements=tuple(r.creation_statements),
            revocation_statements=tuple(r.revocation_statements),
            default_ttl=parse_duration(r.default_ttl),
            max_ttl=parse_duration(r.max_ttl),
        )
        for r in decl.roles
    )
    mount = _lease_mount(f"{name}-mount", decl.path, "database", decl.default_lease_ttl, decl.max_lease_ttl)
    return DatabaseEnginePlan(name, decl.path, mount, connections, roles, protect, waits)


def integration_urn(inputs: PlanInputs, method: Method) -> str:
    return f"urn:pulumi:{inputs.stack}::{inputs.project}::{INTEGRATION_TYPES[method]}::{INTEGRATION_NAMES[method]}"


def app_moves(inputs: PlanInputs, method: Method, old_name: str, every_method: bool) -> tuple[Move, ...]:
    """Where an app's resource was registered before it had its own component: under the integration of its
    method, named from the app (`old_name`) or, later, from its ServiceAccount (the current name). What every
    method has (identity, workload) may come from any method's integration: switching methods moves it."""
    methods: tuple[Method, ...] = tuple(INTEGRATION_TYPES) if every_method else (method,)
    return (
        *(Move(parent_urn=integration_urn(inputs, m)) for m in methods),
        Move(name=old_name, parent_urn=integration_urn(inputs, method)),
    )


IDENTITY_TYPE = "vault-k8s:index:AppIdentity"
"""The component an app's policy, ServiceAccount and role lived in before they were the App's own."""


def identity_moves(inputs: PlanInputs, method: Method, name: str, old: str) -> dict[str, tuple[Move, ...]]:
    """Where the identity's resources were: in an AppIdentity named like the App (`name`) under any method's
    integration, or, earlier, in one named from the app (`old`) under its method's."""

    def identity_urn(in_method: Method, identity: str) -> str:
        integration = INTEGRATION_TYPES[in_method]
        return f"urn:pulumi:{inputs.stack}::{inputs.project}::{integration}${IDENTITY_TYPE}::{identity}"

    return {
        suffix: (
            *(Move(parent_urn=identity_urn(m, name)) for m in INTEGRATION_TYPES),
            Move(name=f"{old}-{suffix}", parent_urn=identity_urn(method, old)),
        )
        for suffix in ("policy", "sa", "role")
    }


def declared_identity(app: AppDecl) -> dict[str, Any]:
    """What the App publishes for the policy pack: who the app is and the exact grants its policy must hold."""
    return {
        "app": app.name,
        "method": app.method,
        "namespace": app.namespace,
        "serviceAccount": app.service_account,
        "policyName": app.policy,
        "roleName": app.role,
        "grants": [{"path": g.path, "capabilities": list(g.capabilities)} for g in app_grants(app)],
    }


def identity_plan(cfg: StackConfig, app: AppDecl, moves: Mapping[str, tuple[Move, ...]]) -> IdentityPlan:
    return IdentityPlan(
        policy_name=app.policy,
        policy_hcl=render_policy(app_grants(app)),
        service_account=app.service_account,
        namespace=app.namespace,
        role_name=app.role,
        token_ttl=parse_duration(app.token_ttl),
        audience=cfg.kubernetes_auth.audience,
        waits_for_vault=cfg.vault.mode == "internal",
        moves=moves,
    )


def _reads(app: AppDecl) -> tuple[Read, ...]:
    found: list[Read] = []
    for ref in app.secrets:
        read = (
            Read("kv", ref.mount, ref.path)
            if isinstance(ref, KvRef)
            else Read("pki", ref.mount, ref.role)
            if isinstance(ref, PkiRef)
            else Read("database", ref.mount, ref.role)
        )
        if read not in found:
            found.append(read)
    return tuple(found)


def with_auth_path_ref(values: dict[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
    """`values` with `key`, where set, standing for the auth mount's output (AuthPathRef)."""
    return {**values, key: AuthPathRef(prefix)} if key in values else values


def _workload(
    cfg: StackConfig, app: AppDecl, name: str, pod_spec: dict[str, Any], annotations: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The workload's metadata and spec (a Pod's, or a Deployment's with the pod template)."""
    meta: dict[str, Any] = {"name": app.workload.name, "namespace": app.namespace, "labels": workload_labels(app)}
    skip = {"pulumi.com/skipAwait": "true"} if cfg.workloads.skip_await else {}
    if app.workload.kind == "Pod":
        if annotations or skip:
            meta["annotations"] = {**annotations, **skip}
        return meta, pod_spec
    if skip:
        meta["annotations"] = skip
    return meta, deployment_spec(app, pod_spec, annotations)


def app_plan(cfg: StackConfig, app: AppDecl, inputs: PlanInputs, ca_in_use: bool) -> AppPlan:
    """One app: identity, the method's objects and the workload, named from its namespace and ServiceAccount."""
    name = names.app_prefix(app.namespace, app.service_account)
    old = f"{INTEGRATION_NAMES[app.method]}-{app.name}"
    auth = cfg.kubernetes_auth
    pull = cfg.charts.image_pull_policy
    ca_secret = names.CA_SECRET_NAME if ca_in_use else None
    objects: list[CustomObjectPlan] = []
    annotations: dict[str, Any] = {}
    after: tuple[str, ...] = ("identity",)
    controllers: tuple[Controller, ...]
    if app.method == "csi":
        assert app.secret_provider_class is not None
        spec = secret_provider_class_spec(
            app, cfg.vault.workload_address, auth.path, CA_CERT_PATH if ca_in_use else None, auth.audience
        )
        spec = {**spec, "parameters": with_auth_path_ref(spec["parameters"], "vaultKubernetesMountPath")}
        objects.append(
            CustomObjectPlan(
                "spc",
                f"{name}-spc",
                SPC_API_VERSION,
                "SecretProviderClass",
                app.secret_provider_class,
                app.namespace,
                spec,
                after_controllers=("csi",),
                moves=app_moves(inputs, "csi", f"{old}-spc", every_method=False),
            )
        )
        pod_spec = csi_pod_spec(app, pull)
        # A pod created before the driver and the provider run never gets its volume mounted.
        after, controllers = ("identity", "spc"), ("csi", "vault")
    elif app.method == "injector":
        pod_spec = injector_pod_spec(app, auth.audience, pull)
        annotations = with_auth_path_ref(
            injector_annotations(app, ca_secret, auth.path, auth.audience), f"{PREFIX}auth-path", "auth/"
        )
        # The webhook only mutates pods created after it is serving; earlier ones run without the agent.
        controllers = ("vault",)
    else:
        objects += _vso_objects(cfg, app, name, old, inputs, ca_secret)
        pod_spec = vso_pod_spec(app, pull)
        after = tuple(o.key for o in objects if o.after_reads)
        controllers = ("vso",)
    meta, spec = _workload(cfg, app, name, pod_spec, annotations)
    workload = WorkloadPlan(
        f"{name}-workload",
        app.workload.kind,
        meta,
        spec,
        after=after,
        after_controllers=controllers,
        after_reads=app.method != "vso",
        moves=app_moves(inputs, app.method, f"{old}-workload", every_method=True),
    )
    return AppPlan(
        app=app.name,
        method=app.method,
        name=name,
        namespace=app.namespace,
        declared=declared_identity(app),
        identity=identity_plan(cfg, app, identity_moves(inputs, app.method, name, old)),
        objects=tuple(objects),
        workload=workload,
        reads=_reads(app),
        outputs=app_outputs(app),
    )


def _vso_objects(
    cfg: StackConfig, app: AppDecl, name: str, old: str, inputs: PlanInputs, ca_secret: str | None
) -> list[CustomObjectPlan]:
    """VaultConnection, VaultAuth and one synced secret per declared secret, all after the operator (its CRDs and
    its controller: objects before it fail, or wait unreconciled)."""
    auth = cfg.kubernetes_auth

    def vso(key: str, suffix: str, kind: str, object_name: str, spec: dict[str, Any], **order: Any) -> CustomObjectPlan:
        moves = app_moves(inputs, "vso", f"{old}-{suffix}", every_method=False)
        return CustomObjectPlan(
            key,
            f"{name}-{suffix}",
            VSO_API_VERSION,
            kind,
            object_name,
            app.namespace,
            spec,
            after_controllers=("vso",),
            moves=moves,
            **order,
        )

    auth_spec = vault_auth_spec(app, app.name, auth.path, auth.audience)
    objects = [
        vso(
            "connection",
            "connection",
            "VaultConnection",
            app.name,
            vault_connection_spec(cfg.vault.workload_address, ca_secret),
        ),
        vso(
            "auth",
            "auth",
            "VaultAuth",
            app.name,
            with_auth_path_ref(auth_spec, "mount"),
            after=("connection", "identity"),
        ),
    ]
    for ref in app.secrets:
        assert ref.secret_name is not None
        if isinstance(ref, KvRef):
            kind, resource_kind, spec = (
                "static",
                "VaultStaticSecret",
                vault_static_secret_spec(ref, app.name, app.workload.name),
            )
        elif isinstance(ref, PkiRef):
            kind, resource_kind, spec = "pki", "VaultPKISecret", vault_pki_secret_spec(ref, app.name)
        else:
            kind, resource_kind, spec = (
                "dynamic",
                "VaultDynamicSecret",
                vault_dynamic_secret_spec(ref, app.name, app.workload.name),
            )
        # The word in the name (`static`, `pki`, `dynamic`) is kept from before database secrets: names do not move.
        suffix = names.vso_synced("", kind, ref.secret_name).removeprefix("-")
        objects.append(
            vso(f"synced-{suffix}", suffix, resource_kind, ref.secret_name, spec, after=("auth",), after_reads=True)
        )
    return objects


def app_outputs(app: AppDecl) -> dict[str, Any]:
    """How to see the delivered secret, and the names of the app's key resources."""
    return {
        "method": app.method,
        "namespace": app.namespace,
        "serviceAccount": app.service_account,
        "policy": app.policy,
        "role": app.role,
        "workload": f"{app.workload.kind}/{app.workload.name}",
        "verify": delivery_command(app),
    }
