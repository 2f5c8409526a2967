"""Every shipped stack file evaluates under mocks, with the files it points at present."""

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import needs_shared
from tests.program.harness import ROOT, STACKS, run_stack, write_kubeconfig

STACK_NAMES = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACKS.glob("Pulumi.*.yaml"))
# The node stacks install the charts from ../shared.
STACK_PARAMS = [pytest.param(s, marks=needs_shared) if s.startswith("local-") else s for s in STACK_NAMES]
PEM = "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n"


def _project_with_referenced_files(stack: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    config = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())["config"]
    for key, field in (("vault-k8s:vault", "caCertFile"), ("vault-k8s:kubernetesAuth", "caCertFile")):
        relative = (config.get(key) or {}).get(field)
        if relative:
            (directory / relative).parent.mkdir(parents=True, exist_ok=True)
            (directory / relative).write_text(PEM)
    cluster = config.get("vault-k8s:kubernetes") or {}
    if cluster.get("kubeconfig"):
        write_kubeconfig(directory / cluster["kubeconfig"], [cluster["context"]])
    for pin in (config.get("vault-k8s:charts") or {}).values():
        relative = pin.get("path") if isinstance(pin, dict) else None
        if relative:
            # The shipped chart archive, at the same place relative to the project.
            link = (directory / relative).resolve()
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to((ROOT / relative).resolve())
    return directory


def test_every_stack_ships() -> None:
    assert STACK_NAMES == ["dev", "local", "local-internal", "local-node", "prod"]


@pytest.mark.parametrize("stack", STACK_PARAMS)
def test_stack_builds_every_integration(stack: str, tmp_path: Path) -> None:
    run = run_stack(stack, cwd=_project_with_referenced_files(stack, tmp_path))
    components = sorted(r.type for r in run.recorder.resources if r.type.startswith("vault-k8s:index:"))
    # No database in prod (its Vault has none declared) nor in local-internal (no PostgreSQL in its cluster).
    databases = ["vault-k8s:index:DatabaseEngine"] if stack not in ("prod", "local-internal") else []
    # The method charts only where the program installs charts (not the local stack: its controllers are the
    # control plane's).
    charts = ["vault-k8s:index:CsiIntegration", "vault-k8s:index:VsoIntegration"] if stack != "local" else []
    assert sorted(set(components)) == sorted(
        [
            "vault-k8s:index:App",
            *charts,
            *databases,
            "vault-k8s:index:KvEngine",
            "vault-k8s:index:PkiEngine",
            "vault-k8s:index:VaultPlatform",
        ]
    )
    # Per method: the tutorial's app and, but in prod, a database app; each its own App.
    assert components.count("vault-k8s:index:App") == (6 if databases else 3)


def test_local_stack_leaves_charts_to_the_platform_and_skips_await(tmp_path: Path) -> None:
    run = run_stack("local", cwd=_project_with_referenced_files("local", tmp_path))
    assert run.recorder.of_type("kubernetes:helm.sh/v3:Release") == []
    workloads = run.recorder.of_type("kubernetes:apps/v1:Deployment") + run.recorder.of_type("kubernetes:core/v1:Pod")
    assert len(workloads) == 6
    assert all(w.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"} for w in workloads)
    config = run.recorder.by_name("platform-kubernetes-config").inputs
    assert config["kubernetesHost"] == "https://127.0.0.1:26443"
    assert config["kubernetesCaCert"] == PEM


def test_only_local_skips_await(tmp_path: Path) -> None:
    for stack in ("dev", "prod"):
        run = run_stack(stack, cwd=_project_with_referenced_files(stack, tmp_path / stack))
        for resource in run.recorder.resources:
            annotations = (resource.inputs.get("metadata") or {}).get("annotations") or {}
            assert "pulumi.com/skipAwait" not in annotations, resource.name


@pytest.mark.parametrize("stack", STACK_PARAMS)
def test_every_resource_has_its_own_urn(stack: str, tmp_path: Path) -> None:
    """The engine refuses a second registration of one URN; mocks would silently keep both."""
    run = run_stack(stack, cwd=_project_with_referenced_files(stack, tmp_path))
    urns = [r.urn for r in run.recorder.resources if not r.read]
    assert all(urns) and len(set(urns)) == len(urns)
