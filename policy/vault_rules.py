"""Rules for resources of the Vault provider, as pure functions over plain dicts.

Each function returns violation messages; an empty list means the resource
passes or that preview cannot tell yet.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from policy.hcl import HclError, parse_policy
from policy.values import as_str_list, https_violations, is_unknown, truthy

PROVIDER: Final = "pulumi:providers:vault"
MOUNT: Final = "vault:index/mount:Mount"
AUTH_BACKEND: Final = "vault:index/authBackend:AuthBackend"
AUTH_ROLE: Final = "vault:kubernetes/authBackendRole:AuthBackendRole"
POLICY: Final = "vault:index/policy:Policy"
ROOT_CERT: Final = "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert"
APP_IDENTITY: Final = "vault-k8s:index:App"

PROTECTED_MOUNT_TYPES: Final = ("kv", "kv-v2", "pki")
FORBIDDEN_CAPABILITIES: Final = ("root", "sudo")


def address_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != PROVIDER:
        return []
    return https_violations("vault provider address", props.get("address"))


def tls_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    # Provider config travels as strings, so the flag arrives as "true".
    if resource_type == PROVIDER and truthy(props.get("skipTlsVerify")):
        return ["vault provider sets skipTlsVerify"]
    return []


def _display(value: object) -> str:
    return "(unknown)" if is_unknown(value) or value is None else str(value)


def protection_violations(resource_type: str, props: Mapping[str, Any], protect: bool) -> list[str]:
    if protect:
        return []
    kind = props.get("type")
    if is_unknown(kind):
        return []
    if resource_type == MOUNT and kind in PROTECTED_MOUNT_TYPES:
        return [f'{kind} mount "{_display(props.get("path"))}" is not protected']
    if resource_type == AUTH_BACKEND and kind == "kubernetes":
        path = props.get("path") or "kubernetes"
        return [f'kubernetes auth mount "{_display(path)}" is not protected']
    return []


def root_cert_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    kind = props.get("type")
    if resource_type != ROOT_CERT or kind is None or is_unknown(kind) or kind == "internal":
        return []
    return [f'PKI root certificate type is "{kind}", must be "internal"']


def _binding_violations(role: str, label: str, value: object) -> list[str]:
    if is_unknown(value):
        return []
    items = as_str_list(value)
    if not items:
        return [f'role "{role}" has no bound {label}']
    problems: list[str] = []
    for item in items:
        if is_unknown(item):
            continue
        if not isinstance(item, str) or not item.strip():
            problems.append(f'role "{role}" has an empty entry in its bound {label}')
        elif "*" in item:
            problems.append(f'role "{role}" binds {label} by wildcard "{item}"')
    return problems


def role_binding_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != AUTH_ROLE:
        return []
    role = _display(props.get("roleName"))
    problems = _binding_violations(role, "service account names", props.get("boundServiceAccountNames"))
    problems += _binding_violations(role, "namespaces", props.get("boundServiceAccountNamespaces"))
    selector = props.get("boundServiceAccountNamespaceSelector")
    if isinstance(selector, str) and selector.strip() and not is_unknown(selector):
        problems.append(f'role "{role}" selects namespaces by label instead of naming them')
    return problems


@dataclass(frozen=True)
class StackResource:
    """The part of a stack resource the grant check needs."""

    resource_type: str
    urn: str
    props: Mapping[str, Any]


Grant = tuple[str, frozenset[str]]


def _declared_grants(raw: object) -> set[Grant] | None:
    """The grants an App declares; None when preview cannot tell (raw must be set)."""
    if is_unknown(raw) or not isinstance(raw, list):
        return None
    grants: set[Grant] = set()
    for entry in raw:
        if not isinstance(entry, Mapping):
            return None
        path, caps = entry.get("path"), entry.get("capabilities")
        if not isinstance(path, str) or is_unknown(path) or not isinstance(caps, list):
            return None
        if any(not isinstance(c, str) or is_unknown(c) for c in caps):
            return None
        grants.add((path, frozenset(caps)))
    return grants


@dataclass
class _Declarations:
    by_policy: dict[str, set[Grant] | None]
    """Declared grants per policy name; None when some declaration is unknown."""
    some_name_unknown: bool
    problems: list[tuple[str, str]]


def _identity_grants(resources: Sequence[StackResource]) -> _Declarations:
    by_policy: dict[str, set[Grant] | None] = {}
    some_name_unknown = False
    problems: list[tuple[str, str]] = []
    for res in resources:
        if res.resource_type != APP_IDENTITY:
            continue
        name, raw = res.props.get("policyName"), res.props.get("grants")
        if name is None or raw is None:
            app = _display(res.props.get("app") or res.urn.rsplit("::", 1)[-1])
            problems.append((res.urn, f'App "{app}" does not expose "policyName" and "grants" to policies'))
            continue
        if not isinstance(name, str) or is_unknown(name):
            some_name_unknown = True
            continue
        grants = _declared_grants(raw)
        known = by_policy.get(name, set())
        by_policy[name] = None if grants is None or known is None else known | grants
    return _Declarations(by_policy, some_name_unknown, problems)


def _block_violations(name: str, path: str, caps: tuple[str, ...], declared: set[Grant]) -> list[str]:
    problems: list[str] = []
    if "*" in path or "+" in path:
        problems.append(f'policy "{name}" grants glob path "{path}"')
    forbidden = [c for c in FORBIDDEN_CAPABILITIES if c in caps]
    if forbidden:
        problems.append(f'policy "{name}" grants {", ".join(forbidden)} on "{path}"')
    if (path, frozenset(caps)) not in declared:
        problems.append(f'policy "{name}" grants [{", ".join(caps)}] on "{path}", which no App declares')
    return problems


def grant_violations(resources: Sequence[StackResource]) -> list[tuple[str, str]]:
    """(urn, message) for every policy block that is not exactly a declared grant."""
    declarations = _identity_grants(resources)
    problems = declarations.problems
    for res in resources:
        if res.resource_type != POLICY:
            continue
        name, text = res.props.get("name"), res.props.get("policy")
        if not isinstance(name, str) or is_unknown(name) or not isinstance(text, str) or is_unknown(text):
            continue
        if name not in declarations.by_policy:
            if not declarations.some_name_unknown:
                problems.append((res.urn, f'policy "{name}" is not declared by any App'))
            continue
        declared = declarations.by_policy[name]
        if declared is None:
            continue
        try:
            blocks = parse_policy(text)
        except HclError as err:
            problems.append((res.urn, f'policy "{name}" could not be read: {err}'))
            continue
        for block in blocks:
            for message in _block_violations(name, block.path, block.capabilities, declared):
                problems.append((res.urn, message))
    return problems
