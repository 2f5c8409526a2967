"""The flat program for the real engine, generated from a deployed stack's state, and that state made its own.

Under mocks (B1) the flat program comes from recorded registrations. Against real providers its inputs must be the
values the program really sent (accessors, certificates and tokens come from Vault, not from mocks), so B2 generates
it from the program's exported state (`pulumi stack export --show-secrets`): the same SDK classes, names, inputs,
secret inputs, providers and dependencies, through `bench.flat_typed`. The state is then rewritten for the flat
program's URNs (no components: every resource a child of the stack) and imported into the flat stack, so its
previews and updates run against the same live resources; `preview --expect-no-changes` proves the two equal.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from bench.recording import PROVIDER_PREFIX, provider_name
from tests.program.harness import open_secrets

SECRET_SIG = "4dabf18193072939515e22adb298388d"
STACK_TYPE = "pulumi:pulumi:Stack"
# Provider inputs the SDK's Provider class sets itself (the plugin version) or the engine adds.
_PROVIDER_INTERNAL = ("__internal", "version")


def flat_urn(urn: str) -> str:
    """`urn:pulumi:S::P::parent$type::name` -> `urn:pulumi:S::P::type::name`: no component parents."""
    head, project, qualified, *name = urn.split("::")
    return "::".join([head, project, qualified.rsplit("$", 1)[-1], *name])


def _state_secret(value: Any) -> tuple[bool, Any]:
    if isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
        return True, json.loads(value["plaintext"])
    return False, None


def reveal(value: Any) -> tuple[Any, bool]:
    """A state value with its secrets opened (plaintext is JSON), and whether it held any."""
    return open_secrets(value, _state_secret)


def user_inputs(resource: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The inputs a user would pass: state inputs without the ones the provider filled in (`__defaults`) and
    without engine bookkeeping; with the top-level keys that hold a secret."""
    raw = dict(resource.get("inputs") or {})
    defaults = set(raw.pop("__defaults", []) or [])
    if resource["type"].startswith(PROVIDER_PREFIX):
        for key in _PROVIDER_INTERNAL:
            raw.pop(key, None)
    inputs: dict[str, Any] = {}
    secret: list[str] = []
    for key, value in raw.items():
        if key in defaults:
            continue
        opened, was_secret = reveal(value)
        inputs[key] = opened
        if was_secret:
            secret.append(key)
    return inputs, sorted(secret)


def _descendants(resources: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Component URN -> the custom resources anywhere beneath it (a dependency on a component means on those)."""
    parent = {r["urn"]: r.get("parent") for r in resources}
    custom = [r["urn"] for r in resources if r.get("custom")]
    below: dict[str, list[str]] = {}
    for urn in custom:
        up = parent.get(urn)
        while up:
            below.setdefault(up, []).append(urn)
            up = parent.get(up)
    return below


def _dependencies(resource: dict[str, Any], custom: set[str], below: dict[str, list[str]]) -> list[str]:
    found: list[str] = []
    for urn in resource.get("dependencies") or []:
        for target in [urn] if urn in custom else below.get(urn, []):
            if target not in found and target != resource["urn"]:
                found.append(target)
    return found


def _decoded(text: Any) -> str | None:
    try:
        return base64.b64decode(text, validate=True).decode() if isinstance(text, str) else None
    except (ValueError, UnicodeDecodeError):
        return None


def read_references(resource: dict[str, Any], reads: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Inputs the program took from an object it read (the reviewer's token from its Secret): input key -> (the
    read's URN, the key of its `data` whose base64 value decodes to the input). Written flat as that read's data
    rather than as a literal, which would be stale once the object is made again (an up from empty)."""
    found: dict[str, tuple[str, str]] = {}
    inputs = resource.get("inputs") or {}
    for key, urns in (resource.get("propertyDependencies") or {}).items():
        value, _ = reveal(inputs.get(key))
        for urn in urns:
            data, _ = reveal(((reads.get(urn) or {}).get("outputs") or {}).get("data") or {})
            for name, encoded in data.items():
                if isinstance(value, str) and _decoded(encoded) == value:
                    found[key] = (urn, name)
    return found


def to_recording(deployment: dict[str, Any]) -> dict[str, Any]:
    """A recording (`bench.recording` shape) of the stack's custom resources, in state order (dependencies first),
    each with `dependsOn`: the (type, name) of the custom resources it depended on."""
    resources = deployment["deployment"]["resources"]
    custom = {r["urn"] for r in resources if r.get("custom")}
    below = _descendants(resources)
    key = {r["urn"]: [r["type"], r["urn"].split("::")[-1]] for r in resources}
    # A read of an object the stack creates (the reviewer's token Secret) is ordered in the program by reading
    # inside an apply; written flat it needs depends_on the creating resource (same type, same id).
    made = {(r["type"], r.get("id")): r["urn"] for r in resources if r.get("custom") and not r.get("external")}
    reads = {r["urn"]: r for r in resources if r.get("custom") and r.get("external")}
    out = []
    for resource in resources:
        if not resource.get("custom") or resource.get("delete"):
            continue
        depends = _dependencies(resource, custom, below)
        creator = made.get((resource["type"], resource.get("id"))) if resource.get("external") else None
        if creator and creator not in depends:
            depends.append(creator)
        inputs, secret = user_inputs(resource)
        out.append(
            {
                "type": resource["type"],
                "name": resource["urn"].split("::")[-1],
                "inputs": inputs,
                "secretInputs": secret,
                "custom": True,
                "provider": provider_name(resource.get("provider")),
                "readId": resource["id"] if resource.get("external") else None,
                "dependsOn": [key[u] for u in depends],
                "readData": {k: [*key[urn], name] for k, (urn, name) in read_references(resource, reads).items()},
            }
        )
    stack = next(r for r in resources if r["type"] == STACK_TYPE)
    exports: dict[str, Any] = {}
    secret_exports = []
    for name, value in (stack.get("outputs") or {}).items():
        exports[name], was_secret = reveal(value)
        if was_secret:
            secret_exports.append(name)
    return {"resources": out, "exports": exports, "secretExports": secret_exports}


def _rewrite_reference(reference: str) -> str:
    urn, _, ident = reference.rpartition("::")
    return f"{flat_urn(urn)}::{ident}"


def rename_stack(text: str, project: str, old: str, new: str) -> str:
    """URNs name their stack (and the stack resource is `<project>-<stack>`): move them all to stack `new`."""
    text = text.replace(f"urn:pulumi:{old}::{project}::", f"urn:pulumi:{new}::{project}::")
    return text.replace(f"{STACK_TYPE}::{project}-{old}", f"{STACK_TYPE}::{project}-{new}")


def flat_deployment(deployment: dict[str, Any], stack_name: str | None = None) -> dict[str, Any]:
    """The exported deployment as the flat program would have left it in stack `stack_name` (default: the same):
    components dropped, URNs without component parents, every resource a child of the stack, dependencies on
    components expanded to their resources."""
    text = json.dumps(deployment)
    if stack_name is not None:
        head, project = next(r["urn"] for r in deployment["deployment"]["resources"] if r["type"] == STACK_TYPE).split(
            "::"
        )[:2]
        text = rename_stack(text, project, head.removeprefix("urn:pulumi:"), stack_name)
    data = json.loads(text)
    resources = data["deployment"]["resources"]
    custom = {r["urn"] for r in resources if r.get("custom")}
    below = _descendants(resources)
    stack = next(r["urn"] for r in resources if r["type"] == STACK_TYPE)
    kept = []
    for resource in resources:
        if resource["type"] != STACK_TYPE and not resource.get("custom"):
            continue
        if resource["type"] != STACK_TYPE:
            resource["dependencies"] = [flat_urn(u) for u in _dependencies(resource, custom, below)]
            properties = resource.get("propertyDependencies") or {}
            resource["propertyDependencies"] = {
                key: [flat_urn(u) for u in _dependencies({"urn": resource["urn"], "dependencies": urns}, custom, below)]
                for key, urns in properties.items()
            }
            resource["urn"] = flat_urn(resource["urn"])
            resource["parent"] = stack
            if resource.get("provider"):
                resource["provider"] = _rewrite_reference(resource["provider"])
            for field in ("stackTrace", "sourcePosition", "aliases"):
                resource.pop(field, None)
        kept.append(resource)
    data["deployment"]["resources"] = kept
    data["deployment"].pop("pendingOperations", None)
    return data
