"""Typed stack config. Every key is camelCase in Pulumi config and documented here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, Protocol, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from stackconfig import names
from stackconfig.durations import as_duration_text, parse_duration

Method = Literal["csi", "injector", "vso"]
VaultMode = Literal["internal", "external"]

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Label keys are `[prefix/]name`; values may be empty.
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
# What the API server takes as a Secret data key and (before relaxed validation) as an env var name.
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_VAULT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VAULT_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# Key sizes Vault's PKI takes per key type (ed25519 has one size), and what it picks when none is sent.
KEY_BITS = {"rsa": (2048, 3072, 4096, 8192), "ec": (224, 256, 384, 521)}
DEFAULT_KEY_BITS = {"rsa": 2048, "ec": 256}
# The API server's default --service-node-port-range.
NODE_PORT_RANGE = (30000, 32767)


Key = tuple[str | int, ...]
"""A config key as data: `("apps", 0, "secrets", 1)` is `apps[0].secrets[1]`."""


def key_text(key: Key) -> str:
    """The key as the config spells it: `apps[0].secrets[1]`."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class KeyedError(ValueError):
    """A refused value and the key it is about, relative to the model whose validator raises it. The loader
    appends the key to where pydantic found the model, so it is never parsed back out of the text."""

    def __init__(self, key: Key, reason: str):
        super().__init__(f"{key_text(key)}: {reason}")
        self.key = key
        self.reason = reason


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value) or len(value) > 63:
        raise ValueError(f"{value!r} is not a valid Kubernetes name (lowercase DNS label)")
    return value


def _dns_subdomain(value: str) -> str:
    if not _DNS_SUBDOMAIN.match(value) or len(value) > 253:
        raise ValueError(f"{value!r} is not a valid Kubernetes name (lowercase DNS subdomain)")
    return value


def _optional_subdomain(value: str | None) -> str | None:
    return None if value is None else _dns_subdomain(value)


def _label(key: str, value: str) -> None:
    prefix, _, name = key.rpartition("/")
    if (prefix and (not _DNS_SUBDOMAIN.match(prefix) or len(prefix) > 253)) or not _LABEL_NAME.match(name):
        raise ValueError(f"{key!r} is not a valid Kubernetes label key")
    if len(name) > 63:
        raise ValueError(f"{key!r} is not a valid Kubernetes label key (its name is longer than 63 characters)")
    if value and (not _LABEL_NAME.match(value) or len(value) > 63):
        raise ValueError(f"{value!r} is not a valid Kubernetes label value (at most 63 of A-Z a-z 0-9 - _ .)")


def _vault_name(value: str) -> str:
    if not _VAULT_NAME.match(value):
        raise ValueError(f"{value!r} is not a valid Vault name")
    return value


def _vault_path(value: str) -> str:
    value = value.strip("/")
    if not _VAULT_PATH.match(value) or "//" in value or ".." in value:
        raise ValueError(f"{value!r} is not a valid Vault path")
    return value


def _duration(value: str | int) -> str | int:
    parse_duration(value)
    return value


def _one_unit(seconds: int, units: str) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if unit in units and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _crd_duration(value: str | int, units: str, kind: str) -> str | int:
    """The VSO CRDs' duration pattern: one number and one unit, not Go's `1h30m` nor bare seconds."""
    text = as_duration_text(value)
    if not re.fullmatch(rf"[0-9]+(\.[0-9]+)?[{units}]", text):
        raise ValueError(
            f"{text!r} is not a duration {kind} takes: one number and one unit of {', '.join(units)} "
            f"(e.g. {_one_unit(parse_duration(value), units)})"
        )
    return value


def _kv_secret_path(value: str) -> str:
    value = _vault_path(value)
    if value == "data" or f"/{value}".find("/data/") >= 0:
        raise ValueError(
            f"{value!r} contains 'data/': declare the path inside the mount; "
            "the program adds 'data/' where the KV v2 API needs it"
        )
    return value


def _url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+(:\d+)?/?$", value):
        raise ValueError(f"{value!r} is not an http(s) address like https://vault.example.com:8200")
    return value.rstrip("/")


def _duration_input(value: object) -> object:
    # Before pydantic's coercion: a YAML `true` or `1.5` must not become 1 second.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"not a duration: {value!r} (use e.g. 60s, 20m, 86400h)")
    return value


DnsName = Annotated[str, Field(min_length=1)]
Duration = Annotated[str | int, BeforeValidator(_duration_input), Field(description="e.g. 60s, 20m, 86400h")]


class ChartPin(Model):
    """A Helm chart pinned by repository and version, or taken from a local chart archive or folder.

    `repo` may be a mirror of the chart repository (any Helm repository URL serving the same chart and version).
    `path` installs the chart from a file instead: a chart archive (`.tgz`, as `helm package` writes it) or a chart
    folder (with `Chart.yaml`), relative to the project directory (or `~/...`). With `path`, no repository is
    asked and the release is given no version: the loader refuses the path unless its `Chart.yaml` holds exactly
    `chart` and `version`, so the pin still says what is installed. Each chart's keys default to its pin below;
    set only the ones that differ (`charts: {vault: {path: ../shared/charts/vault-0.34.1.tgz}}`).
    """

    repo: str
    chart: str
    version: str
    release_name: str
    path: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> ChartPin:
        if self.path is not None and "repo" in self.model_fields_set:
            raise KeyedError(
                ("repo",), "a chart from `path` is not fetched from a repository; set either path or repo, not both"
            )
        return self


class VaultChartPin(ChartPin):
    """The vault chart: Vault's dev server (internal mode), the agent injector and the CSI provider."""

    repo: str = "https://helm.releases.hashicorp.com"
    chart: str = "vault"
    version: str = "0.34.1"
    release_name: str = "vault"


class CsiDriverChartPin(ChartPin):
    """The secrets-store CSI driver chart."""

    repo: str = "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts"
    chart: str = "secrets-store-csi-driver"
    version: str = "1.6.0"
    release_name: str = "csi"


class VsoChartPin(ChartPin):
    """The Vault Secrets Operator chart."""

    repo: str = "https://helm.releases.hashicorp.com"
    chart: str = "vault-secrets-operator"
    version: str = "1.4.1"
    release_name: str = "vault-secrets-operator"


# An image reference as distribution/reference reads it: `[host[:port]/]path[:tag][@sha256:<64 hex>]`.
_IMAGE_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_DOMAIN_PART = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_IMAGE_HOST = rf"(?:{_IMAGE_DOMAIN_PART}(?:\.{_IMAGE_DOMAIN_PART})*|\[[0-9a-fA-F:]+\])"
_IMAGE_REF = re.compile(
    rf"(?P<name>(?:{_IMAGE_HOST}(?::[0-9]+)?/)?{_IMAGE_COMPONENT}(?:/{_IMAGE_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)


def _image_ref(value: str) -> str:
    found = _IMAGE_REF.fullmatch(value)
    if not found or len(found["name"]) > 255:
        raise ValueError(
            f"{value!r} is not an image reference: repository:tag (registry.example.com/hashicorp/vault:1.21.0) "
            "or repository@sha256:<64 hex digits>"
        )
    if not found["tag"] and not found["digest"]:
        raise ValueError(
            f"{value!r} has neither a tag nor a digest: pin it (repository:tag or repository@sha256:<digest>); "
            "an untagged image is `latest`, which changes under the same name"
        )
    return value


ImageRef = Annotated[str, AfterValidator(_image_ref)]
"""`repository:tag`, `repository@sha256:<digest>` or `repository:tag@sha256:<digest>`."""
ImagePullPolicy = Literal["IfNotPresent", "Always", "Never"]


class ChartImages(Model):
    """The images the three charts run, for a mirror registry or images imported into the node's runtime.

    Each key is optional; unset keeps the chart's default (shown here). A value is `repository:tag` or a digest
    reference (`repository@sha256:<digest>`, optionally with a tag before the `@`), and is rendered exactly as
    written: the charts join `repository` and `tag` with `:`, so the program splits the reference at its last `:`.
    """

    # hashicorp/vault:2.0.4: Vault's server (vault chart `server.image`), the agent the injector injects into pods
    # (`injector.agentImage`) and the CSI provider's agent sidecar (`csi.agent.image`).
    vault: ImageRef | None = None
    # hashicorp/vault-k8s:1.7.6: the agent injector (vault chart `injector.image`). `vaultK8s` (the generated
    # alias would be `vaultK8S`).
    vault_k8s: ImageRef | None = Field(default=None, alias="vaultK8s")
    # hashicorp/vault-csi-provider:1.7.4: Vault's CSI provider (vault chart `csi.image`).
    vault_csi_provider: ImageRef | None = None
    # registry.k8s.io/csi-secrets-store/driver:v1.6.0: the CSI driver (secrets-store chart `linux.image`).
    csi_driver: ImageRef | None = None
    # registry.k8s.io/csi-secrets-store/driver-crds:v1.6.0: the CSI driver's CRD hook Jobs (`linux.crds.image`;
    # not run with `csiDriverCrdJobs: false`).
    csi_driver_crds: ImageRef | None = None
    # registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.16.0 (secrets-store chart `linux.registrarImage`).
    node_driver_registrar: ImageRef | None = None
    # registry.k8s.io/sig-storage/livenessprobe:v2.18.0 (secrets-store chart `linux.livenessProbeImage`).
    liveness_probe: ImageRef | None = None
    # hashicorp/vault-secrets-operator:1.4.1: the operator and its CRD-upgrade and cleanup hook Jobs
    # (vault-secrets-operator chart `controller.manager.image`).
    vso: ImageRef | None = None
    # quay.io/brancz/kube-rbac-proxy:v0.18.1: the operator's metrics proxy (`controller.kubeRbacProxy.image`).
    kube_rbac_proxy: ImageRef | None = None


_NODE_PATH = re.compile(r"(/[A-Za-z0-9._@+-]+)+/?")


def _node_path(value: str | None) -> str | None:
    """An absolute directory on the node; the charts append `/pods`, `/plugins/...` to it."""
    if value is None:
        return None
    if not _NODE_PATH.fullmatch(value) or any(part in (".", "..") for part in value.split("/")):
        raise ValueError(f"{value!r} is not an absolute directory on the node, like /var/lib/kubelet")
    return value.rstrip("/")


class ChartsConfig(Model):
    """The platform Helm releases. `managed: false` means the charts are managed elsewhere."""

    managed: bool = True
    namespace: DnsName = "default"
    vault: VaultChartPin = VaultChartPin()
    csi_driver: CsiDriverChartPin = CsiDriverChartPin()
    vso: VsoChartPin = VsoChartPin()
    csi_rotation_poll_interval: Duration | None = None
    injector_failure_policy: Literal["Ignore", "Fail"] = "Ignore"
    images: ChartImages = ChartImages()
    # Every chart image that has a pull policy, and the apps' workload containers. Unset: the charts' and
    # Kubernetes' defaults (IfNotPresent for a tagged image). `Never` for a node whose images are imported into
    # its runtime: a missing image then fails at once (ErrImageNeverPull) instead of waiting on a registry. The
    # agent the injector adds to pods takes Kubernetes' default (vault-k8s has no setting for it).
    image_pull_policy: ImagePullPolicy | None = None
    # The kubelet's --root-dir, where the CSI driver mounts pods' volumes and registers (secrets-store chart
    # `linux.kubeletRootDir`). Unset: the chart's /var/lib/kubelet.
    kubelet_root_dir: str | None = None
    # Where CSI providers put their sockets: Vault's provider (vault chart `csi.daemonSet.providersDir`) and the
    # driver that calls it (secrets-store chart `linux.providersDir`) get the same folder. Unset: the charts'
    # /var/run/secrets-store-csi-providers.
    csi_providers_dir: str | None = None
    # false: skip the CSI driver chart's pre-install/pre-upgrade hook Jobs that apply its CRDs with the
    # driver-crds image (`linux.crds.enabled`); Helm still installs the CRDs from the chart's crds/ folder on the
    # first install (and never upgrades them).
    csi_driver_crd_jobs: bool = True

    _ns = field_validator("namespace")(_dns_label)
    _dirs = field_validator("kubelet_root_dir", "csi_providers_dir")(_node_path)

    @field_validator("csi_rotation_poll_interval")
    @classmethod
    def _poll(cls, value: str | int | None) -> str | int | None:
        return None if value is None else _duration(value)


class KubernetesConfig(Model):
    """The cluster this stack deploys to. The provider is pinned to `context`, never the current context."""

    # A kubeconfig file, relative to the project directory (or `~/...`). Unset: $KUBECONFIG, else
    # ~/.kube/config, as kubectl reads them.
    kubeconfig: str | None = Field(default=None, min_length=1)
    context: str = Field(min_length=1)


class VaultConfig(Model):
    """Where Vault is and how each side reaches it."""

    mode: VaultMode = "internal"
    # The address Pulumi's Vault provider configures Vault through: with the in-cluster Vault (internal mode, managed
    # charts) required, `http://<node address>:<nodePort>`. Unset (otherwise): the provider reads VAULT_ADDR.
    address: str | None = None
    # The in-cluster Vault's Service becomes a NodePort on this port (the vault chart's `server.service.type` and
    # `server.service.nodePort`), so Pulumi reaches the Vault the same `up` installs with nothing started by hand.
    # Only with the in-cluster Vault (internal mode, managed charts).
    node_port: int | None = Field(default=None, strict=True)
    # The address workloads, the CSI provider, the injector and VSO use.
    workload_address: str = "http://vault.default:8200"
    # PEM CA of an https Vault, as a path relative to the project directory.
    ca_cert_file: str | None = None
    skip_tls_verify: bool = False

    _addr = field_validator("workload_address")(_url)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else _url(value)

    @field_validator("node_port")
    @classmethod
    def _node_port(cls, value: int | None) -> int | None:
        low, high = NODE_PORT_RANGE
        if value is not None and not low <= value <= high:
            raise ValueError(f"{value} is not in Kubernetes' NodePort range {low}-{high}")
        return value

    @model_validator(mode="after")
    def _external_needs_tls_material(self) -> VaultConfig:
        if self.mode == "external" and "workload_address" not in self.model_fields_set:
            raise KeyedError(
                ("workloadAddress",),
                "is required in external mode (the default http://vault.default:8200 is the "
                "in-cluster Vault of internal mode); set the address pods reach Vault at",
            )
        if self.mode == "external":
            https = self.workload_address.startswith("https://") or (self.address or "").startswith("https://")
            if https and not self.ca_cert_file and not self.skip_tls_verify:
                raise KeyedError(
                    ("caCertFile",),
                    "is required for an https external Vault (the CA that signed the Vault server certificate)",
                )
        return self


class ReviewerConfig(Model):
    """The ServiceAccount whose token Vault uses to call the TokenReview API (external mode)."""

    service_account: DnsName = "vault-token-reviewer"
    namespace: DnsName = "default"

    _sa = field_validator("service_account", "namespace")(_dns_label)


class KubernetesAuthConfig(Model):
    """The kubernetes auth mount and how Vault reaches the Kubernetes API."""

    path: str = "kubernetes"
    # The mount exists already: neither enabled nor disabled here; its config and the apps' roles are written.
    existing: bool = False
    # The Kubernetes API address as seen from Vault (not Vault's own address).
    host: str = "https://kubernetes.default.svc:443"
    # PEM CA of the Kubernetes API, relative to the project directory (external mode).
    ca_cert_file: str | None = None
    reviewer: ReviewerConfig = ReviewerConfig()
    # The token audience every role binds and every method requests (CSI tokenRequests, the injector's projected
    # token, VSO's audiences). null: roles accept any audience the Kubernetes API issues (the tutorial's roles).
    audience: str | None = "vault"

    _path = field_validator("path")(_vault_path)
    _host = field_validator("host")(_url)

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: str | None) -> str | None:
        if value is not None and (not value or any(c.isspace() or c == "," for c in value)):
            raise ValueError(f"{value!r} is not a token audience (one word, no spaces or commas)")
        return value


class KvSecretDecl(Model):
    """A KV v2 secret, declared as a path inside its mount (never with `data/`)."""

    path: str
    keys: list[str] = Field(min_length=1)
    seed: bool = True

    _path = field_validator("path")(_kv_secret_path)


class KvMountDecl(Model):
    """A KV v2 mount. `existing: true` for a mount Vault already has (dev mode's `secret/`)."""

    path: str
    existing: bool = False
    description: str = ""
    secrets: list[KvSecretDecl] = []

    _path = field_validator("path")(_vault_path)

    @model_validator(mode="after")
    def _unique(self) -> KvMountDecl:
        _reject_duplicates([s.path for s in self.secrets], "secrets", "path")
        return self


class PkiRoleDecl(Model):
    """A PKI role (`<mount>/roles/<name>`)."""

    name: str
    key_type: Literal["rsa", "ec", "ed25519"] = "rsa"
    # Unset: Vault's default for the key type (rsa 2048, ec 256); ed25519 has one size.
    key_bits: int | None = None
    ttl: Duration = "60s"
    max_ttl: Duration = "60s"
    allow_ip_sans: bool = False
    allowed_domains: list[str] = Field(min_length=1)
    allow_subdomains: bool = False
    allow_bare_domains: bool = False

    _name = field_validator("name")(_vault_name)
    _ttls = field_validator("ttl", "max_ttl")(_duration)

    @model_validator(mode="after")
    def _ttl_order(self) -> PkiRoleDecl:
        if parse_duration(self.max_ttl) < parse_duration(self.ttl):
            raise KeyedError(("maxTtl",), f"{self.max_ttl} is below ttl {self.ttl}")
        allowed = KEY_BITS.get(self.key_type)
        if allowed is None and self.key_bits is not None:
            raise KeyedError(("keyBits",), f"{self.key_type} keys have one size; leave keyBits unset")
        if allowed is not None and self.key_bits is not None and self.key_bits not in allowed:
            sizes = ", ".join(str(b) for b in allowed)
            raise KeyedError(
                ("keyBits",), f"{self.key_bits} is not a size Vault takes for {self.key_type} keys ({sizes})"
            )
        return self

    def key_size(self) -> int | None:
        """The key_bits sent to Vault: as declared, else the key type's default (none for ed25519)."""
        return self.key_bits if self.key_bits is not None else DEFAULT_KEY_BITS.get(self.key_type)


class PkiRootDecl(Model):
    """The root CA. Always `internal`: the private key never leaves Vault."""

    common_name: str
    ttl: Duration = "87600h"

    _ttl = field_validator("ttl")(_duration)


class PkiMountDecl(Model):
    """A PKI mount with tuned lease TTLs, an internal root CA and roles.

    `existing: true` adopts a mount Vault has already, with its CA: the program neither creates, tunes nor deletes
    it, nor adds a root; it manages the roles only.
    """

    path: str = "pki"
    existing: bool = False
    # Covers the default root ttl: Vault caps a root CA at its mount's max lease with only a warning.
    max_lease_ttl: Duration = "87600h"
    default_lease_ttl: Duration = "3600s"
    root: PkiRootDecl | None = None
    roles: list[PkiRoleDecl] = []

    _path = field_validator("path")(_vault_path)
    _ttls = field_validator("max_lease_ttl", "default_lease_ttl")(_duration)

    @model_validator(mode="after")
    def _ttl_order(self) -> PkiMountDecl:
        _reject_duplicates([r.name for r in self.roles], "roles", "name")
        if self.existing:
            # What the program would create or tune on a mount it does not own.
            for field_name, key, what in (
                ("root", "root", "CA"),
                ("max_lease_ttl", "maxLeaseTtl", "tuning"),
                ("default_lease_ttl", "defaultLeaseTtl", "tuning"),
            ):
                if field_name in self.model_fields_set:
                    raise KeyedError(
                        (key,),
                        f"an existing mount keeps its own {what}; remove {key} "
                        "(the program manages only the roles of an existing mount)",
                    )
            return self
        if self.root is None:
            raise KeyedError(
                ("root",),
                "is required for a mount the program creates (it issues from an internal root); "
                "`existing: true` adopts a mount that has its CA",
            )
        _check_lease_order(self.max_lease_ttl, self.default_lease_ttl)
        if parse_duration(self.root.ttl) > parse_duration(self.max_lease_ttl):
            raise KeyedError(
                ("root", "ttl"),
                f"{self.root.ttl} exceeds the mount's maxLeaseTtl {self.max_lease_ttl}; Vault would cut "
                "the root CA to maxLeaseTtl: raise maxLeaseTtl (the roles' maxTtl still bounds what they issue)",
            )
        for index, role in enumerate(self.roles):
            if parse_duration(role.max_ttl) > parse_duration(self.max_lease_ttl):
                raise KeyedError(
                    ("roles", index, "maxTtl"),
                    f"{role.max_ttl} exceeds the mount's maxLeaseTtl {self.max_lease_ttl}; "
                    "Vault would cut the certificates to maxLeaseTtl",
                )
        return self


class KvRef(Model):
    """An app reads a declared KV v2 secret."""

    kind: Literal["kv"]
    mount: str
    path: str
    keys: list[str] = Field(min_length=1)
    # csi: the file (objectName) under the mount path; injector: the rendered file name.
    file: str | None = None
    # vso: the Kubernetes Secret VSO writes.
    secret_name: str | None = None
    # vso: how often VSO re-reads the secret.
    refresh_after: Duration = "30s"

    _mount = field_validator("mount")(_vault_path)
    _path = field_validator("path")(_kv_secret_path)

    @field_validator("refresh_after")
    @classmethod
    def _refresh(cls, value: str | int) -> str | int:
        return _crd_duration(_duration(value), "smh", "VaultStaticSecret.refreshAfter")

    _secret = field_validator("secret_name")(_optional_subdomain)


class PkiRef(Model):
    """An app issues a certificate from a declared PKI role."""

    kind: Literal["pki"]
    mount: str = "pki"
    role: str
    common_name: str
    ttl: Duration = "60s"
    # injector: files for the certificate (+ issuing CA) and the private key.
    cert_file: str | None = None
    key_file: str | None = None
    # vso: the kubernetes.io/tls Secret VSO writes.
    secret_name: str | None = None

    _mount = field_validator("mount")(_vault_path)
    _ttl = field_validator("ttl")(_duration)
    _secret = field_validator("secret_name")(_optional_subdomain)


# What a dynamic credential from `<mount>/creds/<role>` holds.
DATABASE_KEYS = ("username", "password")


class DatabaseConnectionDecl(Model):
    """A database Vault logs in to as an admin that can create and drop users.

    The admin password is a secret: `databasePasswords["<mount>/<name>"]`, never in this file."""

    name: str
    plugin: Literal["postgresql-database-plugin"] = "postgresql-database-plugin"
    # With `{{username}}` and `{{password}}` where the admin's go, e.g.
    # postgresql://{{username}}:{{password}}@postgres.db:5432/app?sslmode=require
    connection_url: str
    username: str = Field(min_length=1)
    # Vault logs in once when the connection is written: a wrong URL or password fails the `up`, not a pod.
    verify_connection: bool = True
    # Vault replaces the admin password right after set-up; from then on only Vault knows it (see README).
    rotate_root: bool = False

    _name = field_validator("name")(_vault_name)

    @field_validator("connection_url")
    @classmethod
    def _url_templated(cls, value: str) -> str:
        missing = [t for t in ("{{username}}", "{{password}}") if t not in value]
        if missing:
            raise ValueError(
                f"{' and '.join(missing)} missing: Vault fills in the admin's username and password there "
                "(and the new password after rotate-root), e.g. postgresql://{{username}}:{{password}}@host:5432/db"
            )
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"{value.split('://')[0]!r} is not a PostgreSQL URL (postgresql://...)")
        return value


class DatabaseRoleDecl(Model):
    """A role whose credentials Vault creates on each read of `<mount>/creds/<name>` and drops at lease end."""

    name: str
    connection: str
    creation_statements: list[str] = Field(min_length=1)
    # Unset: the plugin's default, which drops the user.
    revocation_statements: list[str] = []
    default_ttl: Duration = "1h"
    max_ttl: Duration = "24h"

    _name = field_validator("name")(_vault_name)
    _ttls = field_validator("default_ttl", "max_ttl")(_duration)

    @model_validator(mode="after")
    def _statements(self) -> DatabaseRoleDecl:
        for key, statements in (
            ("creationStatements", self.creation_statements),
            ("revocationStatements", self.revocation_statements),
        ):
            for index, statement in enumerate(statements):
                if "{{name}}" not in statement:
                    raise KeyedError(
                        (key, index),
                        "has no {{name}}: Vault puts the generated user's name there; "
                        'a statement without it acts on someone else (e.g. CREATE ROLE "{{name}}" ...)',
                    )
        if parse_duration(self.default_ttl) == 0:
            raise KeyedError(("defaultTtl",), "must be above 0 (0 means the mount's default lease)")
        if parse_duration(self.max_ttl) < parse_duration(self.default_ttl):
            raise KeyedError(("maxTtl",), f"{self.max_ttl} is below defaultTtl {self.default_ttl}")
        return self


class DatabaseMountDecl(Model):
    """A `database` secrets engine: its connections and the roles that issue credentials from them."""

    path: str = "database"
    max_lease_ttl: Duration = "24h"
    default_lease_ttl: Duration = "1h"
    connections: list[DatabaseConnectionDecl] = Field(min_length=1)
    roles: list[DatabaseRoleDecl] = []

    _path = field_validator("path")(_vault_path)
    _ttls = field_validator("max_lease_ttl", "default_lease_ttl")(_duration)

    @model_validator(mode="after")
    def _references(self) -> DatabaseMountDecl:
        _reject_duplicates([c.name for c in self.connections], "connections", "name")
        _reject_duplicates([r.name for r in self.roles], "roles", "name")
        _check_lease_order(self.max_lease_ttl, self.default_lease_ttl)
        connections = {c.name for c in self.connections}
        for index, role in enumerate(self.roles):
            if role.connection not in connections:
                raise KeyedError(
                    ("roles", index, "connection"),
                    f"{role.connection!r} is not declared under `connections` ({', '.join(sorted(connections))})",
                )
            if parse_duration(role.max_ttl) > parse_duration(self.max_lease_ttl):
                raise KeyedError(
                    ("roles", index, "maxTtl"),
                    f"{role.max_ttl} exceeds the mount's maxLeaseTtl {self.max_lease_ttl}; "
                    "Vault would cut the leases to maxLeaseTtl",
                )
        return self

    def roles_of(self, connection: str) -> list[str]:
        return [r.name for r in self.roles if r.connection == connection]


class DatabaseRef(Model):
    """An app gets its own database user from a declared role: `username` and `password`, renewed by the method
    and replaced before the lease's maxTtl (CSI: at each rotation poll, see README)."""

    kind: Literal["database"]
    mount: str = "database"
    role: str
    # injector: the rendered file (`username=` and `password=` lines); csi: files `<file>-username` and
    # `<file>-password`.
    file: str | None = None
    # vso: the Secret VSO writes, with keys `username` and `password`.
    secret_name: str | None = None

    _mount = field_validator("mount")(_vault_path)
    _secret = field_validator("secret_name")(_optional_subdomain)


SecretRef = Annotated[KvRef | PkiRef | DatabaseRef, Field(discriminator="kind")]


class WorkloadDecl(Model):
    """The workload that consumes the secrets."""

    kind: Literal["Pod", "Deployment"] = "Deployment"
    name: str
    image: str = "jweissig/app:0.0.1"
    labels: dict[str, str] = {}
    replicas: int = Field(default=1, ge=0)
    mount_path: str = "/mnt/secrets-store"

    _name = field_validator("name")(_dns_subdomain)

    @model_validator(mode="after")
    def _labels(self) -> WorkloadDecl:
        for key, value in self.labels.items():
            try:
                _label(key, value)
            except ValueError as error:
                raise KeyedError(("labels", key), str(error)) from None
        if not self.labels and len(self.name) > 63:
            raise KeyedError(
                ("name",),
                f"{self.name!r} is too long for the default label app=<name> (at most 63 characters); set labels",
            )
        return self


class AppDecl(Model):
    """One app: its identity, the secrets it declares, and the method that delivers them."""

    name: str
    method: Method
    namespace: str = "default"
    service_account: str
    policy: str
    role: str
    token_ttl: Duration = "20m"
    secrets: list[SecretRef] = Field(min_length=1)
    workload: WorkloadDecl
    # csi: the SecretProviderClass name.
    secret_provider_class: str | None = None
    # injector: vault.hashicorp.com/template-static-secret-render-interval.
    static_render_interval: Duration | None = None

    # Namespaces are DNS labels; the objects in them DNS subdomains.
    _names = field_validator("name", "namespace")(_dns_label)
    _sa = field_validator("service_account")(_dns_subdomain)
    _spc = field_validator("secret_provider_class")(_optional_subdomain)
    _vnames = field_validator("policy", "role")(_vault_name)
    _ttl = field_validator("token_ttl")(_duration)

    @field_validator("static_render_interval")
    @classmethod
    def _interval(cls, value: str | int | None) -> str | int | None:
        return None if value is None else _duration(value)

    @model_validator(mode="after")
    def _method_fields(self) -> AppDecl:
        for index, ref in enumerate(self.secrets):
            where: Key = ("secrets", index)
            if self.method == "csi":
                if isinstance(ref, PkiRef):
                    raise KeyedError(where, "the csi method delivers kv and database secrets only")
                if not ref.file or (isinstance(ref, KvRef) and len(ref.keys) != 1):
                    raise KeyedError(where, "csi needs `file`" + (" and exactly one key" * isinstance(ref, KvRef)))
                if not _FILE_NAME.match(ref.file):
                    raise KeyedError(where, f"{ref.file!r} is not a plain file name")
            elif self.method == "injector":
                files = [ref.cert_file, ref.key_file] if isinstance(ref, PkiRef) else [ref.file]
                if not all(files):
                    needed = "certFile and keyFile" if isinstance(ref, PkiRef) else "file"
                    raise KeyedError(where, f"the injector method needs {needed}")
                for file in files:
                    if not _FILE_NAME.match(file or ""):
                        raise KeyedError(where, f"{file!r} is not a plain file name")
            elif not ref.secret_name:
                raise KeyedError(where, "the vso method needs secretName")
            elif isinstance(ref, PkiRef):
                try:
                    _crd_duration(ref.ttl, "smhd", "VaultPKISecret.ttl")
                except ValueError as error:
                    raise KeyedError((*where, "ttl"), str(error)) from None
            elif isinstance(ref, KvRef):
                for key in ref.keys:
                    env = key.upper().replace("-", "_")
                    if not _SECRET_KEY.match(key) or len(key) > 253 or not _ENV_NAME.match(env):
                        raise KeyedError(
                            (*where, "keys"),
                            f"{key!r} cannot be a Secret key and environment variable "
                            "(letters, digits, '-', '_' and '.', not starting with a digit)",
                        )
        if self.method == "csi" and not self.secret_provider_class:
            raise KeyedError(("secretProviderClass",), "is required for the csi method")
        if self.method == "vso" and self.workload.kind == "Pod":
            raise KeyedError(
                ("workload", "kind"),
                "vso restarts its workload when a secret changes (rolloutRestartTargets), "
                "which a bare Pod cannot do; use Deployment",
            )
        written: set[str] = set()
        for ref_index, ref in enumerate(self.secrets):
            for name in _files(ref, self.method):
                if name in written:
                    raise KeyedError(("secrets", ref_index), f"file {name!r} is written by another secret too")
                written.add(name)
        return self


class WorkloadsConfig(Model):
    """Settings that apply to every workload the program creates."""

    # Don't wait for workloads to become ready (a cluster with no nodes).
    skip_await: bool = False


class StackConfig(Model):
    """The whole stack config (namespace `vault-k8s`)."""

    production: bool = False
    protect_mounts: bool = False
    # Unset: wherever $KUBECONFIG points (refused in production).
    kubernetes: KubernetesConfig | None = None
    vault: VaultConfig = VaultConfig()
    kubernetes_auth: KubernetesAuthConfig = KubernetesAuthConfig()
    charts: ChartsConfig = ChartsConfig()
    workloads: WorkloadsConfig = WorkloadsConfig()
    # Namespaces that exist already and are used as they are; the program creates every other one it uses.
    existing_namespaces: list[Annotated[str, AfterValidator(_dns_label)]] = []
    kv: list[KvMountDecl] = []
    pki: list[PkiMountDecl] = []
    databases: list[DatabaseMountDecl] = []
    apps: list[AppDecl] = []

    @model_validator(mode="after")
    def _cross_references(self) -> StackConfig:
        if self.production and self.kubernetes is None:
            raise KeyedError(
                ("kubernetes",),
                "is required in production: name the cluster's context (and kubeconfig unless it is "
                "in $KUBECONFIG or ~/.kube/config), so the stack never deploys wherever KUBECONFIG points",
            )
        _reject_duplicates([m.path for m in self.kv], "kv", "path")
        _reject_duplicates([m.path for m in self.pki], "pki", "path")
        _reject_duplicates([m.path for m in self.databases], "databases", "path")
        kv_paths = {m.path for m in self.kv}
        for index, pki_mount in enumerate(self.pki):
            if pki_mount.path in kv_paths:
                raise KeyedError(("pki", index, "path"), f"{pki_mount.path!r} is a kv mount path too")
        for index, db_mount in enumerate(self.databases):
            if db_mount.path in kv_paths | {m.path for m in self.pki}:
                raise KeyedError(("databases", index, "path"), f"{db_mount.path!r} is a kv or pki mount path too")
        for field_name in ("name", "policy", "role"):
            _reject_duplicates([getattr(a, field_name) for a in self.apps], "apps", field_name)
        kv = {m.path: m for m in self.kv}
        pki = {m.path: m for m in self.pki}
        databases = {m.path: m for m in self.databases}
        for index, app in enumerate(self.apps):
            for ref_index, ref in enumerate(app.secrets):
                where: Key = ("apps", index, "secrets", ref_index)
                if isinstance(ref, KvRef):
                    _check_kv_ref(ref, kv, where)
                elif isinstance(ref, PkiRef):
                    _check_pki_ref(ref, pki, where)
                else:
                    role = _check_database_ref(ref, databases, where)
                    if app.method == "csi":
                        _check_csi_database(self.charts.csi_rotation_poll_interval, role, app, where)
        if self.kubernetes_auth.host in {self.vault.address, self.vault.workload_address}:
            raise KeyedError(
                ("kubernetesAuth", "host"),
                "is the Vault address; set it to the Kubernetes API address as Vault reaches it",
            )
        if self.vault.node_port is not None and not self.vault_from_chart():
            raise KeyedError(
                ("vault", "nodePort"),
                "is only for the in-cluster Vault the vault chart installs (vault.mode internal with "
                "charts.managed true); this stack's Vault is not installed by it",
            )
        if self.vault_from_chart() and self.vault.address is None:
            raise KeyedError(
                ("vault", "address"),
                "is required with the in-cluster Vault (vault.mode internal, charts.managed): where Pulumi reaches the "
                "Vault this stack installs, e.g. http://<minikube ip>:<vault.nodePort>; no VAULT_ADDR points at it",
            )
        if self.vault.mode == "internal":
            # The chart's dev server starts empty but for `secret/`: there is nothing else to adopt.
            if self.kubernetes_auth.existing:
                raise KeyedError(
                    ("kubernetesAuth", "existing"),
                    "the internal dev-mode Vault starts without a kubernetes auth mount; "
                    "existing is for an external Vault",
                )
            for index, pki_mount in enumerate(self.pki):
                if pki_mount.existing:
                    raise KeyedError(
                        ("pki", index, "existing"),
                        "the internal dev-mode Vault starts without PKI mounts; existing is for an external Vault",
                    )
        if self.vault.mode == "external":
            if not self.kubernetes_auth.ca_cert_file:
                raise KeyedError(
                    ("kubernetesAuth", "caCertFile"),
                    "is required in external mode (Vault must verify the Kubernetes API it calls)",
                )
            if self.kubernetes_auth.host == KubernetesAuthConfig().host:
                raise KeyedError(
                    ("kubernetesAuth", "host"),
                    "must be set in external mode to a Kubernetes API address that Vault can reach",
                )
        _reject_same_objects(self)
        _reject_same_resource_names(self)
        return self

    def methods(self) -> set[str]:
        return {app.method for app in self.apps}

    def vault_from_chart(self) -> bool:
        """Vault itself is the dev server of the vault chart this stack installs (internal mode, managed charts):
        it exists only once that release does, and Pulumi reaches it at `vault.address` with `vaultToken`."""
        return self.vault.mode == "internal" and self.charts.managed

    def seeded_secrets(self) -> dict[str, list[str]]:
        """`<mount>/<path>` -> keys of every KV secret the stack seeds: what `secretValues` must hold."""
        return {f"{m.path}/{s.path}": list(s.keys) for m in self.kv for s in m.secrets if s.seed}

    def database_connections(self) -> list[str]:
        """`<mount>/<connection>` of every database connection: what `databasePasswords` must hold."""
        return [f"{m.path}/{c.name}" for m in self.databases for c in m.connections]


def _check_lease_order(max_lease_ttl: str | int, default_lease_ttl: str | int) -> None:
    if parse_duration(max_lease_ttl) < parse_duration(default_lease_ttl):
        raise KeyedError(("maxLeaseTtl",), f"{max_lease_ttl} is below defaultLeaseTtl {default_lease_ttl}")


def _check_kv_ref(ref: KvRef, kv: dict[str, KvMountDecl], where: Key) -> None:
    mount = kv.get(ref.mount)
    if mount is None:
        raise KeyedError(where, f"kv mount {ref.mount!r} is not declared under `kv`")
    declared = {s.path: s for s in mount.secrets}
    secret = declared.get(ref.path)
    if secret is None:
        raise KeyedError(where, f"secret {ref.path!r} is not declared in kv mount {ref.mount!r}")
    missing = [k for k in ref.keys if k not in secret.keys]
    if missing:
        raise KeyedError(where, f"keys {missing} are not declared for {ref.mount}/{ref.path}")


class _Named(Protocol):
    name: str


_Role = TypeVar("_Role", bound=_Named)


def _declared_role(
    roles: Mapping[str, Sequence[_Role]], mount: str, name: str, kind: str, section: str, where: Key
) -> _Role:
    """The role `name` of the declared mount `mount` (`kind` pki or database, declared under `section`)."""
    declared = roles.get(mount)
    if declared is None:
        raise KeyedError(where, f"{kind} mount {mount!r} is not declared under `{section}`")
    role = next((r for r in declared if r.name == name), None)
    if role is None:
        raise KeyedError(where, f"{kind} role {name!r} is not declared in mount {mount!r}")
    return role


def _check_pki_ref(ref: PkiRef, pki: dict[str, PkiMountDecl], where: Key) -> None:
    roles = {path: mount.roles for path, mount in pki.items()}
    role = _declared_role(roles, ref.mount, ref.role, "pki", "pki", where)
    if parse_duration(ref.ttl) > parse_duration(role.max_ttl):
        raise KeyedError(where, f"ttl {ref.ttl} exceeds the role's maxTtl {role.max_ttl}")


def _check_database_ref(ref: DatabaseRef, databases: dict[str, DatabaseMountDecl], where: Key) -> DatabaseRoleDecl:
    roles = {path: mount.roles for path, mount in databases.items()}
    return _declared_role(roles, ref.mount, ref.role, "database", "databases", where)


def _check_csi_database(poll: str | int | None, role: DatabaseRoleDecl, app: AppDecl, where: Key) -> None:
    """The CSI provider neither renews nor revokes leases: a credential lives until its lease (or the login token
    it was read with) ends, and only the driver's rotation poll, which reads `creds/` again, replaces it."""
    if poll is None:
        raise KeyedError(
            where,
            f"the csi method never renews a database lease: the user it delivers is dropped after "
            f"defaultTtl {role.default_ttl} and never replaced. Set charts.csiRotationPollInterval below "
            "defaultTtl (each poll creates a new database user), or use the injector or vso method",
        )
    seconds = parse_duration(poll)
    bound = min(parse_duration(role.default_ttl), parse_duration(app.token_ttl))
    if seconds >= bound:
        raise KeyedError(
            where,
            f"charts.csiRotationPollInterval {poll} is not below the credential's life "
            f"(defaultTtl {role.default_ttl}, or the login token's tokenTtl {app.token_ttl}, whichever is less): "
            "the pod would hold a dropped user until the next poll",
        )


def _claim(seen: dict[tuple[str, ...], Key | str], key: tuple[str, ...], where: Key | str, what: str) -> None:
    """`where`: the config key that declares `key`, or a description of what the program makes there."""
    other = seen.setdefault(key, where)
    if other != where:
        assert isinstance(where, tuple)  # the program's own objects are claimed first
        raise KeyedError(where, f"{what} is already used by {other if isinstance(other, str) else key_text(other)}")


def _reject_same_objects(cfg: StackConfig) -> None:
    """Two declarations of one Kubernetes object: the second create fails, or two writers fight over it."""
    seen: dict[tuple[str, ...], Key | str] = {}
    if cfg.vault.mode == "external":
        reviewer = cfg.kubernetes_auth.reviewer
        account = reviewer.service_account
        token = names.reviewer_token_secret(account)
        _claim(seen, ("ServiceAccount", reviewer.namespace, account), "the program for the token reviewer", "")
        _claim(seen, ("Secret", reviewer.namespace, token), "the program for the token reviewer's token", "")
        if cfg.vault.ca_cert_file:
            for namespace in sorted({cfg.charts.namespace, *(a.namespace for a in cfg.apps)}):
                _claim(seen, ("Secret", namespace, names.CA_SECRET_NAME), "the program for Vault's CA", "")
    for index, app in enumerate(cfg.apps):
        ns = app.namespace
        objects: list[tuple[str, str, Key]] = [
            ("ServiceAccount", app.service_account, ("serviceAccount",)),
            (app.workload.kind, app.workload.name, ("workload", "name")),
        ]
        if app.secret_provider_class:
            objects.append(("SecretProviderClass", app.secret_provider_class, ("secretProviderClass",)))
        if app.method == "vso":
            objects += [
                ("Secret", r.secret_name or "", ("secrets", i, "secretName")) for i, r in enumerate(app.secrets)
            ]
        for kind, name, key in objects:
            _claim(seen, (kind, ns, name), ("apps", index, *key), f"{kind} {ns}/{name}")


def _reject_same_resource_names(cfg: StackConfig) -> None:
    """Two declarations that the components would register under one Pulumi name (and type)."""
    seen: dict[tuple[str, ...], Key | str] = {}

    def claim(kind: str, name: str, where: Key) -> None:
        _claim(seen, (kind, name), where, f"the Pulumi resource name {name!r}")

    for i, kv_mount in enumerate(cfg.kv):
        for j, secret in enumerate(kv_mount.secrets):
            if secret.seed:
                name = names.kv_secret(names.kv_engine(kv_mount.path), secret.path)
                claim("kv secret", name, ("kv", i, "secrets", j, "path"))
    for i, pki_mount in enumerate(cfg.pki):
        for j, role in enumerate(pki_mount.roles):
            name = names.pki_role(names.pki_engine(pki_mount.path), role.name)
            claim("pki role", name, ("pki", i, "roles", j, "name"))
    for i, app in enumerate(cfg.apps):
        prefix = names.app_prefix(app.namespace, app.service_account)
        # `a-b`/`c` and `a`/`b-c` meet here; the same account twice is refused as a duplicate object already.
        claim("app", prefix, ("apps", i, "serviceAccount"))
        if app.method != "vso":
            continue
        for j, ref in enumerate(app.secrets):
            kind = "static" if isinstance(ref, KvRef) else "pki" if isinstance(ref, PkiRef) else "dynamic"
            name = names.vso_synced(prefix, kind, ref.secret_name or "")
            claim(kind, name, ("apps", i, "secrets", j, "secretName"))


def _reject_duplicates(values: list[str], list_key: str, field_name: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise KeyedError((list_key, index, field_name), f"duplicate {value!r}")
        seen.add(value)


def _files(ref: KvRef | PkiRef | DatabaseRef, method: str) -> list[str]:
    """The files a secret reference writes (csi objects, injector templates)."""
    if isinstance(ref, PkiRef):
        names = [ref.cert_file, ref.key_file]
    elif isinstance(ref, DatabaseRef) and method == "csi":
        names = [database_file(ref.file, key) for key in DATABASE_KEYS] if ref.file else []
    else:
        names = [ref.file]
    return [name for name in names if name]


def database_file(file: str, key: str) -> str:
    """A CSI object of a database credential: one file per key, both from one read of `creds/`."""
    return f"{file}-{key}"
