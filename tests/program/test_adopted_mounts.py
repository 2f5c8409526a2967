"""An existing Vault's kubernetes auth and PKI mounts are adopted: never created nor deleted, their roles managed."""

import pytest

from tests.program.harness import Run, prod_project, run_program, run_stack, stack_config

PEM = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The prod stack with its PKI and auth mounts already in Vault."""
    project = prod_project(tmp_path_factory.mktemp("prod"), PEM, PEM)
    config = stack_config("prod")
    config["vault-k8s:pki"] = [
        {"path": "pki", "existing": True, "roles": config["vault-k8s:pki"][0]["roles"]},
    ]
    config["vault-k8s:kubernetesAuth"] = {**config["vault-k8s:kubernetesAuth"], "existing": True}
    return run_program(config, stack="prod", cwd=project)


def named(run: Run, typ: str) -> list[str]:
    return sorted(r.name for r in run.recorder.of_type(typ))


def test_neither_mount_nor_root_is_registered(adopted: Run) -> None:
    assert named(adopted, "vault:index/mount:Mount") == ["kv-apps-mount"]
    assert named(adopted, "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert") == []
    assert named(adopted, "vault:index/authBackend:AuthBackend") == []


def test_roles_of_an_existing_pki_mount_are_managed_there(adopted: Run) -> None:
    role = adopted.recorder.by_name("pki-pki-role-services")
    assert role.inputs["backend"] == "pki"
    assert role.inputs["maxTtl"] == str(72 * 3600)
    assert role.dependencies == []  # no root to wait for; the mount is there
    billing = adopted.recorder.by_name("app-billing-billing-workload")
    assert role.urn in billing.dependencies


def test_an_existing_auth_mount_gets_its_config_and_the_app_roles(adopted: Run) -> None:
    config = adopted.recorder.by_name("platform-kubernetes-config")
    assert config.inputs["backend"] == "kubernetes"
    assert config.inputs["kubernetesHost"] == "https://api.k8s.prod.example.com:6443"
    # Destroy leaves an adopted mount's config: other roles there keep logging in.
    assert config.retain_on_delete
    roles = adopted.recorder.of_type("vault:kubernetes/authBackendRole:AuthBackendRole")
    assert sorted(r.inputs["roleName"] for r in roles) == ["billing", "ledger", "orders"]
    assert all(r.inputs["backend"] == "kubernetes" for r in roles)


def test_exports_and_consumers_use_the_adopted_path(adopted: Run) -> None:
    assert adopted.globals["built"].platform.auth_path == "kubernetes"
    assert adopted.recorder.by_name("app-ledger-ledger-auth").inputs["spec"]["mount"] == "kubernetes"


def test_created_mounts_are_as_before() -> None:
    """Only adoption changes what destroy leaves: a created mount goes, with its config; roles wait for the root."""
    run = run_stack("dev")
    assert not run.recorder.by_name("platform-kubernetes-config").retain_on_delete
    assert run.recorder.by_name("pki-pki-root").urn in run.recorder.by_name("pki-pki-role-my-role").dependencies
