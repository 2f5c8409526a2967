"""Each stack deploys to the cluster it names, through explicit providers only."""

import shutil
from pathlib import Path

import pytest
import yaml

from tests.program.harness import (
    ROOT,
    STACKS,
    Run,
    demo_secret_values,
    run_program,
    run_stack,
    stack_config,
    write_kubeconfig,
)

PEM = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
PROVIDER_TYPES = {"pulumi:providers:kubernetes", "pulumi:providers:vault"}


def _project(stack: str, directory: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    config = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())["config"]
    for key in ("vault-k8s:vault", "vault-k8s:kubernetesAuth"):
        relative = (config.get(key) or {}).get("caCertFile")
        if relative:
            (directory / relative).parent.mkdir(parents=True, exist_ok=True)
            (directory / relative).write_text(PEM)
    cluster = config["vault-k8s:kubernetes"]
    if cluster.get("kubeconfig"):
        write_kubeconfig(directory / cluster["kubeconfig"], [cluster["context"]])
    return directory


@pytest.fixture(scope="module", params=["dev", "local", "prod"])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_stack(request.param, cwd=_project(request.param, tmp_path_factory.mktemp(request.param)))


def test_default_providers_are_disabled_for_the_project() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert config["pulumi:disable-default-providers"] == ["*"]


def test_every_resource_uses_an_explicit_provider(run: Run) -> None:
    """The engine refuses a default provider now; under mocks that shows as an empty provider reference."""
    providers = {r.type: r.urn for r in run.recorder.resources if r.type in PROVIDER_TYPES}
    assert set(providers) == PROVIDER_TYPES
    custom = [r for r in run.recorder.resources if r.custom and r.type not in PROVIDER_TYPES]
    assert custom
    for resource in custom:
        package = resource.type.split(":", 1)[0]
        assert resource.provider.startswith(f"{providers[f'pulumi:providers:{package}']}::"), resource.name


@pytest.mark.parametrize(
    ("stack", "inputs"),
    [
        # "": the provider reads $KUBECONFIG / ~/.kube/config as kubectl does, never a machine's path into state.
        ("dev", {"kubeconfig": "", "context": "minikube"}),
        ("prod", {"kubeconfig": "", "context": "k8s-prod"}),
        ("local", {"kubeconfig": ".localcp/kubeconfig", "context": "local"}),
    ],
)
def test_the_kubernetes_provider_is_pinned_to_the_stack_context(stack: str, inputs: dict, tmp_path: Path) -> None:
    recorded = run_stack(stack, cwd=_project(stack, tmp_path)).recorder.by_name("kubernetes").inputs
    assert {k: recorded.get(k) for k in ("kubeconfig", "context")} == inputs


def test_the_current_context_does_not_retarget_the_stack(tmp_path: Path) -> None:
    """Another cluster as current-context in the same kubeconfig: the provider still gets the stack's own."""
    kubeconfig = write_kubeconfig(tmp_path / "config", ["kind-other", "minikube"])
    assert yaml.safe_load(kubeconfig.read_text())["current-context"] == "kind-other"
    config = stack_config("dev")
    config["vault-k8s:secretValues"] = demo_secret_values(config)
    run = run_program(config, secret_keys=["vault-k8s:secretValues"], env={"KUBECONFIG": str(kubeconfig)})
    assert run.recorder.by_name("kubernetes").inputs["context"] == "minikube"
