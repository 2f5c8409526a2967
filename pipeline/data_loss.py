"""Which planned steps destroy data, and which touch protected resources."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pipeline.preview_data import Step

REPLACE_OPS: Final = frozenset({"replace", "create-replacement", "delete-replaced"})
DESTRUCTIVE_OPS: Final = REPLACE_OPS | {"delete"}
CHANGING_OPS: Final = DESTRUCTIVE_OPS | {"update"}

MOUNT: Final = "vault:index/mount:Mount"
AUTH_BACKEND: Final = "vault:index/authBackend:AuthBackend"
ROOT_CERT: Final = "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert"
ISSUER: Final = "vault:pkiSecret/secretBackendIssuer:SecretBackendIssuer"
CRD_TYPES: Final = (
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    "kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition",
)


@dataclass(frozen=True)
class Change:
    """One resource's change, folded from the steps that share its URN."""

    urn: str
    name: str
    type: str
    op: str
    reason: str
    keys: tuple[str, ...] = ()


def _verb(op: str) -> str:
    return "replacing" if op == "replace" else "deleting"


def loss_reason(step: Step, op: str) -> str | None:
    """Why destroying this resource loses data, or None when it does not."""
    verb = _verb(op)
    if step.type == MOUNT:
        kind = step.state().get("type")
        if kind in ("kv", "kv-v2"):
            return f"{verb} a KV mount deletes every secret in it"
        if kind == "pki":
            return f"{verb} a PKI mount deletes its CA keys, issuers and issued certificates"
        return f"{verb} a secrets engine mount deletes everything stored under it"
    if step.type == AUTH_BACKEND:
        return f"{verb} an auth mount deletes every role on it; apps cannot log in until they are recreated"
    if step.type == ROOT_CERT:
        return f"{verb} the PKI root deletes the CA key; certificates it issued lose their trust anchor"
    if step.type == ISSUER:
        return f"{verb} a PKI issuer deletes it and the chain clients trust"
    if step.type in CRD_TYPES:
        return f"{verb} a CustomResourceDefinition deletes every custom resource of that kind"
    return None


def _fold(steps: Iterable[Step], ops: frozenset[str]) -> dict[str, list[Step]]:
    by_urn: dict[str, list[Step]] = {}
    for step in steps:
        if step.op in ops:
            by_urn.setdefault(step.urn, []).append(step)
    return by_urn


def _summary_op(steps: Sequence[Step]) -> str:
    ops = {s.op for s in steps}
    if ops & REPLACE_OPS:
        return "replace"
    return "delete" if "delete" in ops else "update"


def _keys(steps: Sequence[Step]) -> tuple[str, ...]:
    keys: list[str] = []
    for step in steps:
        for key in step.replace_reasons or step.diff_reasons:
            if key not in keys:
                keys.append(key)
    return tuple(keys)


# The inputs that name the live object a Vault resource writes. Kubernetes objects are named by their
# metadata; a Helm release by its name and namespace.
_VAULT_IDENTITY: Final = {
    MOUNT: ("path",),
    AUTH_BACKEND: ("path",),
    "vault:index/policy:Policy": ("name",),
    "vault:kubernetes/authBackendConfig:AuthBackendConfig": ("backend",),
    "vault:kubernetes/authBackendRole:AuthBackendRole": ("backend", "roleName"),
    "vault:kv/secretV2:SecretV2": ("mount", "name"),
    "vault:pkiSecret/secretBackendRole:SecretBackendRole": ("backend", "name"),
    ROOT_CERT: ("backend",),
}
HELM_RELEASE: Final = "kubernetes:helm.sh/v3:Release"


def physical_identity(resource_type: str, inputs: Mapping[str, Any]) -> tuple[str, ...] | None:
    """What names the live object: two URNs with the same identity write the same object."""
    if resource_type in _VAULT_IDENTITY:
        values = [inputs.get(key) for key in _VAULT_IDENTITY[resource_type]]
    elif resource_type == HELM_RELEASE:
        values = [inputs.get("namespace") or "default", inputs.get("name")]
    elif resource_type.startswith("kubernetes:") and isinstance(inputs.get("metadata"), Mapping):
        metadata = inputs["metadata"]
        values = [metadata.get("namespace") or "", metadata.get("name")]
    else:
        return None
    if not all(isinstance(v, str) for v in values) or not values[-1]:
        return None
    return (resource_type, *(str(v).strip("/") for v in values))


def _inputs(state: Mapping[str, Any] | None) -> Mapping[str, Any]:
    value = (state or {}).get("inputs")
    return value if isinstance(value, Mapping) else {}


def recreated_deletes(steps: Iterable[Step]) -> list[Change]:
    """Deletes of objects that another URN creates in the same run (a rename without an alias). Kubernetes
    apply and Vault writes are upserts: the create adopts the live object, and the delete, which runs last,
    removes it while the state still lists it."""
    steps = list(steps)
    created: dict[tuple[str, ...], str] = {}
    for step in steps:
        if step.op == "create":
            identity = physical_identity(step.type, _inputs(step.new))
            if identity is not None:
                created.setdefault(identity, step.name)
    changes: list[Change] = []
    for step in steps:
        if step.op != "delete" or (step.old and step.old.get("retainOnDelete")):
            continue
        identity = physical_identity(step.type, _inputs(step.old))
        if identity is not None and identity in created:
            reason = (
                f"the same live object is created in this run as `{created[identity]}`; the delete runs last and "
                "removes it (add an alias for the move instead)"
            )
            changes.append(Change(step.urn, step.name, step.type, "delete", reason))
    return changes


def data_loss_changes(steps: Iterable[Step]) -> list[Change]:
    """Deletes and replacements of resources whose destruction loses data, and deletes of live objects that
    the same run re-creates under another URN."""
    steps = list(steps)
    changes: list[Change] = []
    for urn, group in _fold(steps, DESTRUCTIVE_OPS).items():
        first = group[0]
        # A retained resource is only dropped from state, not destroyed.
        if any(s.old and s.old.get("retainOnDelete") for s in group):
            continue
        op = _summary_op(group)
        reason = loss_reason(first, op)
        if reason is not None:
            changes.append(Change(urn, first.name, first.type, op, reason, _keys(group)))
    flagged = {c.urn for c in changes}
    changes.extend(c for c in recreated_deletes(steps) if c.urn not in flagged)
    return changes


def protected_changes(steps: Iterable[Step]) -> list[Change]:
    """Changes that touch a resource marked `protect`."""
    changes: list[Change] = []
    for urn, group in _fold(steps, CHANGING_OPS).items():
        if not any(s.flag("protect") for s in group):
            continue
        first = group[0]
        op = _summary_op(group)
        reason = "updated in place" if op == "update" else f"{op} is refused while the resource is protected"
        changes.append(Change(urn, first.name, first.type, op, reason, _keys(group)))
    return changes


def is_allowed(change: Change, allowed: Iterable[str]) -> bool:
    """An allow entry names the resource by full URN or by its name."""
    return any(entry in (change.urn, change.name) for entry in allowed)
