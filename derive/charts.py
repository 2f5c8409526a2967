"""Where each platform Helm release takes its chart from: a chart repository (or its mirror), or a local chart."""

from dataclasses import dataclass

from stackconfig.models import ChartPin


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


def release_chart(pin: ChartPin, local_path: str | None = None) -> ReleaseChart:
    """The release's chart source. `local_path` is the loader's checked and resolved `pin.path`."""
    if pin.path is None:
        return ReleaseChart(pin.release_name, pin.chart, pin.version, pin.repo)
    if local_path is None:
        raise ValueError(f"chart path {pin.path!r} was not checked by the loader (load_stack_config)")
    # pulumi-kubernetes installs a local chart without a repository lookup, and ignores a version (it is used only
    # to pick a chart from a repository): none is sent, so the inputs say what is used.
    return ReleaseChart(pin.release_name, local_path)
