"""Where each platform Helm release takes its chart from: a chart repository (or its mirror), or a local chart."""

import os
from dataclasses import dataclass
from pathlib import Path

from stackconfig.models import ChartPin

# The ChartsConfig fields that pin a chart.
CHART_PINS = ("vault", "csi_driver", "vso")


@dataclass(frozen=True)
class ReleaseChart:
    """What `helm.v3.Release` is given to find its chart."""

    release_name: str
    chart: str
    """A chart name in `repo`, or the absolute path of a local chart archive or folder."""
    version: str | None = None
    """Unset for a local chart: Helm loads whatever the path holds (the loader checked it is the pinned version)."""
    repo: str | None = None
    """Unset for a local chart: no repository is asked."""


def local_chart_path(path: str, project_dir: Path) -> Path:
    """A chart `path` as the stack config gives it (relative to the project directory, or `~/...`), made absolute:
    the provider plugin does not run in the project directory. Symlinks stay as written (a linked folder of charts
    keeps its own name in the release)."""
    return Path(os.path.abspath(project_dir / Path(path).expanduser()))


def release_chart(pin: ChartPin, local_path: str | None = None) -> ReleaseChart:
    """The release's chart source. `local_path` is the loader's checked and resolved `pin.path`."""
    if pin.path is None:
        return ReleaseChart(pin.release_name, pin.chart, pin.version, pin.repo)
    if local_path is None:
        raise ValueError(f"chart path {pin.path!r} was not checked by the loader (load_stack_config)")
    # pulumi-kubernetes installs a local chart without a repository lookup, and ignores a version (it is used only
    # to pick a chart from a repository): none is sent, so the inputs say what is used.
    return ReleaseChart(pin.release_name, local_path)
