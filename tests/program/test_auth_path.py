"""A non-default kubernetes auth mount reaches every consumer: injector, CSI and VSO."""

import pytest

from tests.program.harness import Run, demo_secret_values, run_program, stack_config

SECRET_VALUES = "vault-k8s:secretValues"


@pytest.fixture(scope="module")
def custom_mount() -> Run:
    config = stack_config("dev")
    config["vault-k8s:kubernetesAuth"] = {"path": "k8s-apps"}
    config[SECRET_VALUES] = demo_secret_values(config)
    return run_program(config, secret_keys=[SECRET_VALUES])


def test_the_auth_backend_is_mounted_there(custom_mount: Run) -> None:
    assert custom_mount.recorder.by_name("platform-kubernetes-auth").inputs["path"] == "k8s-apps"


def test_injector_pods_log_in_at_that_mount(custom_mount: Run) -> None:
    workload = custom_mount.recorder.by_name("app-default-webapp-vault-workload").inputs
    annotations = workload["spec"]["template"]["metadata"]["annotations"]
    assert annotations["vault.hashicorp.com/auth-path"] == "auth/k8s-apps"


def test_csi_and_vso_use_that_mount_too(custom_mount: Run) -> None:
    rec = custom_mount.recorder
    spc = rec.by_name("app-default-webapp-sa-spc").inputs["spec"]
    assert spc["parameters"]["vaultKubernetesMountPath"] == "k8s-apps"
    assert rec.by_name("app-default-webapp-vso-auth").inputs["spec"]["mount"] == "k8s-apps"


@pytest.mark.parametrize(
    "consumer",
    ["app-default-webapp-vault-workload", "app-default-webapp-sa-spc", "app-default-webapp-vso-auth"],
)
def test_each_consumer_takes_the_path_from_the_mount_and_waits_for_it(custom_mount: Run, consumer: str) -> None:
    """The path is the auth backend's output, not config text: the consumer depends on the mount."""
    backend = custom_mount.recorder.by_name("platform-kubernetes-auth").urn
    assert backend in custom_mount.recorder.by_name(consumer).dependencies


def test_at_the_default_mount_the_csi_class_names_none(dev: Run) -> None:
    """The provider's default is `kubernetes`; the class then carries no mount path."""
    assert (
        "vaultKubernetesMountPath" not in dev.recorder.by_name("app-default-webapp-sa-spc").inputs["spec"]["parameters"]
    )
