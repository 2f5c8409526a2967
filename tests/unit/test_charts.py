"""Where each release takes its chart from, and the checks of a local chart (`charts.<chart>.path`)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from derive.charts import ReleaseChart, release_chart
from stackconfig.charts import CHART_PINS, chart_metadata, check_local_charts, local_chart_path
from stackconfig.models import ChartsConfig, CsiDriverChartPin, KeyedError, VaultChartPin, VsoChartPin
from tests.conftest import needs_shared
from tests.unit import load_stack

SHARED_CHARTS = Path(__file__).resolve().parents[3] / "shared" / "charts"
ARCHIVES = {
    "vault": SHARED_CHARTS / "vault-0.34.1.tgz",
    "csi_driver": SHARED_CHARTS / "secrets-store-csi-driver-1.6.0.tgz",
    "vso": SHARED_CHARTS / "vault-secrets-operator-1.4.1.tgz",
}


def write_archive(path: Path, files: dict[str, str]) -> Path:
    """A gzipped tar with these members (name -> text), as `helm package` lays a chart out."""
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def chart_yaml(name: str, version: str) -> str:
    return f"apiVersion: v2\nname: {name}\nversion: {version}\n"


def checked(tmp_path: Path, **pins: dict[str, str]) -> dict[str, str]:
    return check_local_charts(ChartsConfig.model_validate(pins), tmp_path)


def refused(tmp_path: Path, **pins: dict[str, str]) -> KeyedError:
    with pytest.raises(KeyedError) as caught:
        checked(tmp_path, **pins)
    return caught.value


# --- derive.charts ----------------------------------------------------------------------------


def test_a_pinned_chart_comes_from_its_repository() -> None:
    charts = load_stack("dev").charts
    assert CHART_PINS == ("vault", "csi_driver", "vso")
    assert [release_chart(getattr(charts, f)) for f in CHART_PINS] == [
        ReleaseChart("vault", "vault", "0.34.1", "https://helm.releases.hashicorp.com"),
        ReleaseChart(
            "csi",
            "secrets-store-csi-driver",
            "1.6.0",
            "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts",
        ),
        ReleaseChart(
            "vault-secrets-operator", "vault-secrets-operator", "1.4.1", "https://helm.releases.hashicorp.com"
        ),
    ]


def test_a_mirror_repository_is_used_as_given() -> None:
    pin = VaultChartPin(repo="https://charts.mirror.example/hashicorp")
    assert release_chart(pin) == ReleaseChart("vault", "vault", "0.34.1", "https://charts.mirror.example/hashicorp")


def test_a_local_chart_has_no_version_and_no_repository() -> None:
    pin = VaultChartPin(path="../shared/charts/vault-0.34.1.tgz")
    assert release_chart(pin, "/abs/shared/charts/vault-0.34.1.tgz") == ReleaseChart(
        "vault", "/abs/shared/charts/vault-0.34.1.tgz", None, None
    )


def test_a_local_chart_the_loader_did_not_check_is_refused() -> None:
    with pytest.raises(ValueError, match="chart path 'v.tgz' was not checked by the loader"):
        release_chart(VsoChartPin(path="v.tgz"))


def test_local_chart_paths_are_relative_to_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    assert local_chart_path("../shared/charts/vault-0.34.1.tgz", project) == tmp_path / "shared/charts/vault-0.34.1.tgz"
    assert local_chart_path("charts/vault/", project) == project / "charts" / "vault"
    assert local_chart_path("/opt/charts/vault", project) == Path("/opt/charts/vault")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert local_chart_path("~/charts/vault-0.34.1.tgz", project) == tmp_path / "home/charts/vault-0.34.1.tgz"


# --- stackconfig.charts -----------------------------------------------------------------------


@needs_shared
def test_the_shared_archives_hold_the_pinned_charts() -> None:
    assert {field: chart_metadata(path) for field, path in ARCHIVES.items()} == {
        "vault": ("vault", "0.34.1"),
        "csi_driver": ("secrets-store-csi-driver", "1.6.0"),
        "vso": ("vault-secrets-operator", "1.4.1"),
    }


@needs_shared
def test_every_pinned_path_is_checked_and_resolved(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "charts").symlink_to(SHARED_CHARTS)
    paths = checked(
        project,
        vault={"path": "../charts/vault-0.34.1.tgz"},
        csiDriver={"path": "../charts/secrets-store-csi-driver-1.6.0.tgz"},
        vso={"path": str(ARCHIVES["vso"])},
    )
    # Absolute, with the symlink kept as written.
    assert paths == {
        "vault": str(tmp_path / "charts" / "vault-0.34.1.tgz"),
        "csi_driver": str(tmp_path / "charts" / "secrets-store-csi-driver-1.6.0.tgz"),
        "vso": str(ARCHIVES["vso"]),
    }


def test_charts_without_a_path_are_not_looked_at(tmp_path: Path) -> None:
    assert checked(tmp_path) == {}
    assert checked(tmp_path, csiDriver={"repo": "https://charts.mirror.example/sscd"}) == {}


def test_a_chart_folder(tmp_path: Path) -> None:
    (tmp_path / "charts" / "vso").mkdir(parents=True)
    (tmp_path / "charts" / "vso" / "Chart.yaml").write_text(chart_yaml("vault-secrets-operator", "1.4.1"))
    assert checked(tmp_path, vso={"path": "charts/vso"}) == {"vso": str(tmp_path / "charts" / "vso")}


def test_a_missing_path_names_its_key(tmp_path: Path) -> None:
    error = refused(tmp_path, vault={"path": "charts/vault-0.34.1.tgz"})
    assert (error.key, error.reason) == (
        ("charts", "vault", "path"),
        f"{tmp_path / 'charts' / 'vault-0.34.1.tgz'} does not exist",
    )


def test_another_version_is_refused(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "vault-0.34.0.tgz", {"vault/Chart.yaml": chart_yaml("vault", "0.34.0")})
    error = refused(tmp_path, vault={"path": "vault-0.34.0.tgz"})
    assert (error.key, error.reason) == (
        ("charts", "vault", "path"),
        f"{archive} holds chart 'vault' version '0.34.0', not the pinned 'vault' version '0.34.1' "
        "(charts.vault.chart and charts.vault.version)",
    )


@needs_shared
def test_another_chart_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, vso={"path": str(ARCHIVES["vault"])})
    assert (error.key, error.reason) == (
        ("charts", "vso", "path"),
        f"{ARCHIVES['vault']} holds chart 'vault' version '0.34.1', not the pinned 'vault-secrets-operator' "
        "version '1.4.1' (charts.vso.chart and charts.vso.version)",
    )


def test_the_pin_can_name_what_the_path_holds(tmp_path: Path) -> None:
    """A chart of another version is taken when the pin says so: the pin keeps saying what is installed."""
    write_archive(tmp_path / "vault-0.34.0.tgz", {"vault/Chart.yaml": chart_yaml("vault", "0.34.0")})
    assert checked(tmp_path, vault={"path": "vault-0.34.0.tgz", "version": "0.34.0"}) == {
        "vault": str(tmp_path / "vault-0.34.0.tgz")
    }


def test_a_folder_without_chart_yaml(tmp_path: Path) -> None:
    (tmp_path / "charts").mkdir()
    error = refused(tmp_path, csiDriver={"path": "charts"})
    assert (error.key, error.reason) == (
        ("charts", "csiDriver", "path"),
        f"{tmp_path / 'charts'} is a folder without Chart.yaml: not a Helm chart folder",
    )


def test_a_file_that_is_not_a_tgz(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text(chart_yaml("vault", "0.34.1"))
    error = refused(tmp_path, vault={"path": "Chart.yaml"})
    assert (error.key, error.reason) == (
        ("charts", "vault", "path"),
        f"{tmp_path / 'Chart.yaml'} is neither a chart archive (.tgz) nor a chart folder (with Chart.yaml)",
    )


def test_an_archive_without_chart_yaml_in_its_top_folder(tmp_path: Path) -> None:
    archive = write_archive(
        tmp_path / "vault.tgz", {"Chart.yaml": chart_yaml("vault", "0.34.1"), "vault/charts/x/Chart.yaml": "name: x"}
    )
    error = refused(tmp_path, vault={"path": "vault.tgz"})
    assert (error.key, error.reason) == (
        ("charts", "vault", "path"),
        f"{archive} has no Chart.yaml in its top folder: not a Helm chart archive",
    )


def test_a_tgz_that_is_no_archive(tmp_path: Path) -> None:
    (tmp_path / "vault.tgz").write_text("not gzip")
    error = refused(tmp_path, vault={"path": "vault.tgz"})
    assert error.key == ("charts", "vault", "path")
    assert error.reason.startswith(f"{tmp_path / 'vault.tgz'} is not a readable chart archive (gzipped tar): ")


def test_a_chart_yaml_without_name_or_version(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "vault.tgz", {"vault/Chart.yaml": "apiVersion: v2\nname: vault\n"})
    error = refused(tmp_path, vault={"path": "vault.tgz"})
    assert (error.key, error.reason) == (
        ("charts", "vault", "path"),
        f"Chart.yaml in {archive} has no chart name and version",
    )


def test_the_first_bad_chart_is_named(tmp_path: Path) -> None:
    """vault, then csiDriver, then vso: one problem at a time, like the other file checks."""
    error = refused(tmp_path, vso={"path": "missing-vso.tgz"}, csiDriver={"path": "missing-csi.tgz"})
    assert error.key == ("charts", "csiDriver", "path")


@needs_shared
def test_pins_built_in_code_are_checked_the_same(tmp_path: Path) -> None:
    charts = ChartsConfig(csi_driver=CsiDriverChartPin(path=str(ARCHIVES["csi_driver"])))
    assert check_local_charts(charts, tmp_path) == {"csi_driver": str(ARCHIVES["csi_driver"])}
