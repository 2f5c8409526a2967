"""Read `pulumi preview --json` output and `--event-log` files into plain records.

The preview digest (steps, changeSummary, diagnostics) carries no policy
violations; those only appear as `policyEvent` lines in the engine event log.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

_COLOR_TAG: Final = re.compile(r"<\{%[^%]*%\}>")


@dataclass(frozen=True)
class Step:
    op: str
    urn: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    replace_reasons: tuple[str, ...] = ()
    diff_reasons: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return urn_name(self.urn)

    @property
    def type(self) -> str:
        for state in (self.new, self.old):
            if state and isinstance(state.get("type"), str):
                return str(state["type"])
        return urn_type(self.urn)

    def state(self) -> Mapping[str, Any]:
        """Outputs (else inputs) of the state being changed: the old one when there is one."""
        for state in (self.old, self.new):
            if state:
                for key in ("outputs", "inputs"):
                    value = state.get(key)
                    if isinstance(value, Mapping) and value:
                        return value
        return {}

    def flag(self, key: str) -> bool:
        return any(bool(state and state.get(key)) for state in (self.old, self.new))


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    urn: str = ""


@dataclass(frozen=True)
class PolicyViolation:
    level: str
    policy: str
    pack: str
    message: str
    urn: str = ""


@dataclass
class Preview:
    steps: list[Step] = field(default_factory=list)
    change_summary: dict[str, int] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    violations: list[PolicyViolation] = field(default_factory=list)


def urn_name(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else urn


def urn_type(urn: str) -> str:
    parts = urn.split("::", 3)
    return parts[2].rsplit("$", 1)[-1] if len(parts) == 4 else ""


def uncolor(text: str) -> str:
    return _COLOR_TAG.sub("", text)


def load_json_document(text: str) -> Any:
    """The JSON document in CLI output, skipping any plain lines printed before it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start = next((m.start() for m in re.finditer(r"^\{", text, re.MULTILINE)), -1)
        if start < 0:
            raise
        document, _ = json.JSONDecoder().raw_decode(text[start:])
        return document


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def parse_preview(document: Mapping[str, Any]) -> Preview:
    steps = [
        Step(
            op=str(raw.get("op", "")),
            urn=str(raw.get("urn", "")),
            old=raw.get("oldState") if isinstance(raw.get("oldState"), Mapping) else None,
            new=raw.get("newState") if isinstance(raw.get("newState"), Mapping) else None,
            replace_reasons=_strings(raw.get("replaceReasons")),
            diff_reasons=_strings(raw.get("diffReasons")),
        )
        for raw in document.get("steps") or []
        if isinstance(raw, Mapping)
    ]
    summary = document.get("changeSummary") or {}
    change_summary = {str(k): int(v) for k, v in summary.items() if isinstance(v, int)}
    diagnostics = [
        Diagnostic(str(d.get("severity", "")), uncolor(str(d.get("message", ""))).strip(), str(d.get("urn", "")))
        for d in document.get("diagnostics") or []
        if isinstance(d, Mapping)
    ]
    return Preview(steps, change_summary, diagnostics)


def parse_policy_events(lines: Iterable[str]) -> list[PolicyViolation]:
    """Policy violations from an engine event log (one JSON event per line)."""
    violations: list[PolicyViolation] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        policy = event.get("policyEvent") if isinstance(event, Mapping) else None
        if not isinstance(policy, Mapping):
            continue
        violation = PolicyViolation(
            level=str(policy.get("enforcementLevel", "")),
            policy=str(policy.get("policyName", "")),
            pack=str(policy.get("policyPackName", "")),
            message=uncolor(str(policy.get("message", ""))).strip(),
            urn=str(policy.get("resourceUrn", "")),
        )
        if violation not in violations:
            violations.append(violation)
    return violations
