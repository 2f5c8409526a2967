"""Load the pinned charts' values and the CRD schemas from ../shared."""

from __future__ import annotations

import copy
import tarfile
from pathlib import Path
from typing import Any

import yaml

SHARED = Path(__file__).resolve().parents[3] / "shared"
CHARTS = {
    "vault": SHARED / "charts-data" / "vault-0.34.1",
    "secrets-store-csi-driver": SHARED / "charts-data" / "secrets-store-csi-driver-1.6.0",
    "vault-secrets-operator": SHARED / "charts-data" / "vault-secrets-operator-1.4.1",
}


ARCHIVES = {"vault": SHARED / "charts" / "vault-0.34.1.tgz"}
# Values the program sets that the chart's values.yaml has only as a comment (`#nodePort: 30000`), with the template
# that reads each; test_chart_values checks both against the chart.
COMMENTED_VALUES: dict[str, dict[str, str]] = {
    "vault": {
        "server.service.type": "templates/server-service.yaml",
        "server.service.nodePort": "templates/server-service.yaml",
    },
}


def chart_defaults(chart: str) -> dict[str, Any]:
    return yaml.safe_load((CHARTS[chart] / "values.yaml").read_text())


def known_values(chart: str) -> dict[str, Any]:
    """The chart's default values plus the keys it documents only in comments (COMMENTED_VALUES), as None."""
    known = chart_defaults(chart)
    for dotted in COMMENTED_VALUES.get(chart, {}):
        *parents, leaf = dotted.split(".")
        node = known
        for key in parents:
            node = node[key]
        node.setdefault(leaf, None)
    return known


def chart_template(chart: str, template: str) -> str:
    """One file of the chart archive, by its path inside the chart (`templates/server-service.yaml`)."""
    with tarfile.open(ARCHIVES[chart]) as archive:
        member = archive.extractfile(f"{chart}/{template}")
        assert member is not None
        return member.read().decode()


def chart_version(chart: str) -> str:
    return str(yaml.safe_load((CHARTS[chart] / "Chart.yaml").read_text())["version"])


def unknown_value_keys(values: dict[str, Any], defaults: dict[str, Any], prefix: str = "") -> list[str]:
    """Keys we set that the chart's default values do not have."""
    missing = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if not isinstance(defaults, dict) or key not in defaults:
            missing.append(path)
        elif isinstance(value, dict) and isinstance(defaults[key], dict) and defaults[key]:
            # An empty default map is free-form (a selector, a disruption budget): its keys are the chart's to take.
            missing += unknown_value_keys(value, defaults[key], f"{path}.")
    return missing


def merged(defaults: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(defaults)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """Reject unknown fields, as the API server's structural pruning would drop them silently."""
    schema = dict(schema)
    if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        schema["properties"] = {k: _closed(v) for k, v in schema["properties"].items()}
        schema.setdefault("additionalProperties", False)
    if isinstance(schema.get("items"), dict):
        schema["items"] = _closed(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = _closed(schema["additionalProperties"])
    return schema


def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> closed openAPIV3Schema of every served CRD version."""
    schemas = {}
    for path in sorted((SHARED / "crds").glob("*/*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = version["schema"]["openAPIV3Schema"]
            schemas[(f"{group}/{version['name']}", kind)] = _closed(schema)
    return schemas
