"""The registrations of one program evaluation, as plain JSON the flat replay reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.mockrun import BenchRecorder

PROVIDER_PREFIX = "pulumi:providers:"


def provider_name(reference: str | None) -> str | None:
    """The logical name in a provider reference `<urn>::<id>` (the URN ends `::<type>::<name>`)."""
    if not reference:
        return None
    parts = reference.split("::")
    if len(parts) < 3:
        raise ValueError(f"not a provider reference: {reference!r}")
    return parts[-2]


def to_recording(recorder: BenchRecorder, exports: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every registration in order: type, name, inputs, secret inputs, custom or component, provider, read id."""
    if len(recorder.extras) != len(recorder.resources):
        raise ValueError("recorder extras and resources are out of step")
    resources = []
    for reg, extra in zip(recorder.resources, recorder.extras, strict=True):
        resources.append(
            {
                "type": reg.type,
                "name": reg.name,
                "inputs": reg.inputs,
                "secretInputs": sorted(reg.secret_inputs),
                "custom": extra.custom,
                "provider": provider_name(extra.provider),
                "readId": extra.resource_id if reg.read else None,
            }
        )
    return {"resources": resources, "exports": exports or {}}


def custom_resources(recording: dict[str, Any]) -> list[dict[str, Any]]:
    """The registrations a flat program makes: everything but component resources."""
    return [r for r in recording["resources"] if r["custom"]]


def signature(resources: list[dict[str, Any]]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """What must be equal between program and flat: type, name, inputs and which inputs are secret."""
    return sorted(
        (r["type"], r["name"], json.dumps(r["inputs"], sort_keys=True), tuple(r["secretInputs"])) for r in resources
    )


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> str | None:
    """None when both register the same custom resources with the same providers; else the first difference."""
    want, got = custom_resources(expected), custom_resources(actual)
    if len(want) != len(got):
        return f"{len(want)} custom resources recorded, {len(got)} replayed"
    for a, b in zip(signature(want), signature(got), strict=True):
        if a != b:
            return f"{a[0]} {a[1]}: recorded {a[2:]} replayed {b[2:]}"
    want_providers = sorted((r["name"], r["provider"] or "", r["readId"] or "") for r in want)
    got_providers = sorted((r["name"], r["provider"] or "", r["readId"] or "") for r in got)
    if want_providers != got_providers:
        return "provider references or read ids differ"
    return None


def save(recording: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(recording, sort_keys=True))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data
