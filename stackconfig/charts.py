"""Local charts (`charts.<chart>.path`): the path holds a chart, and it is the pinned chart and version."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path
from typing import Any

import yaml

from stackconfig.models import ChartsConfig, KeyedError

CHART_FILE = "Chart.yaml"

# The ChartsConfig fields that pin a chart.
CHART_PINS = ("vault", "csi_driver", "vso")


def local_chart_path(path: str, project_dir: Path) -> Path:
    """A chart `path` as the stack config gives it (relative to the project directory, or `~/...`), made absolute:
    the provider plugin does not run in the project directory. Symlinks stay as written (a linked folder of charts
    keeps its own name in the release)."""
    return Path(os.path.abspath(project_dir / Path(path).expanduser()))


def _metadata(text: bytes | str, where: str) -> tuple[str, str]:
    try:
        document: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise ValueError(f"{where} is not YAML: {reason}") from None
    if not isinstance(document, dict) or not document.get("name") or document.get("version") is None:
        raise ValueError(f"{where} has no chart name and version")
    return str(document["name"]), str(document["version"])


def _archive_chart_file(path: Path) -> bytes:
    """`<top folder>/Chart.yaml` of a chart archive: Helm reads every entry relative to its first folder."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                parts = member.name.split("/")
                if member.isfile() and len(parts) == 2 and parts[1] == CHART_FILE:
                    extracted = archive.extractfile(member)
                    assert extracted is not None  # a regular file
                    return extracted.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ValueError(f"{path} is not a readable chart archive (gzipped tar): {error}") from None
    raise ValueError(f"{path} has no {CHART_FILE} in its top folder: not a Helm chart archive")


def chart_metadata(path: Path) -> tuple[str, str]:
    """The name and version in the chart's Chart.yaml; ValueError saying what the path is not."""
    if path.is_dir():
        chart_file = path / CHART_FILE
        if not chart_file.is_file():
            raise ValueError(f"{path} is a folder without {CHART_FILE}: not a Helm chart folder")
        try:
            text = chart_file.read_text()
        except OSError as error:
            raise ValueError(f"cannot read {chart_file}: {error.strerror}") from None
        return _metadata(text, str(chart_file))
    if path.is_file():
        if not path.name.endswith(".tgz"):
            raise ValueError(f"{path} is neither a chart archive (.tgz) nor a chart folder (with {CHART_FILE})")
        return _metadata(_archive_chart_file(path), f"{CHART_FILE} in {path}")
    raise ValueError(f"{path} does not exist")


def check_local_charts(charts: ChartsConfig, project_dir: Path) -> dict[str, str]:
    """The absolute path of every chart pinned by `path`, by ChartsConfig field. Raises KeyedError naming the
    `charts.<chart>.path` key when the path holds no chart, or another chart or version than the pin's."""
    found: dict[str, str] = {}
    for field_name in CHART_PINS:
        pin = getattr(charts, field_name)
        if pin.path is None:
            continue
        alias = ChartsConfig.model_fields[field_name].alias or field_name
        key = ("charts", alias, "path")
        path = local_chart_path(pin.path, project_dir)
        try:
            name, version = chart_metadata(path)
        except ValueError as error:
            raise KeyedError(key, str(error)) from None
        if (name, version) != (pin.chart, pin.version):
            raise KeyedError(
                key,
                f"{path} holds chart {name!r} version {version!r}, not the pinned {pin.chart!r} version "
                f"{pin.version!r} (charts.{alias}.chart and charts.{alias}.version)",
            )
        found[field_name] = str(path)
    return found
