"""Workloads wait for the controllers that deliver their secrets, when the program manages the charts.

A pod admitted before the injector's webhook serves runs without the agent; a CSI pod before the driver and the
Vault provider never gets its volume; VSO objects before the operator's CRDs fail.
"""

from typing import Any

import pytest

from tests.program.harness import Recorder, Run, demo_secret_values, prod_project, run_program, run_stack, stack_config

RELEASE = "kubernetes:helm.sh/v3:Release"
PEM = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
DELIVERY_TYPES = ("kubernetes:core/v1:Pod", "kubernetes:apps/v1:Deployment", "kubernetes:secrets.hashicorp.com/")


def releases_awaited(recorder: Recorder) -> dict[str, set[str]]:
    """Per workload and VSO object: the names of the Helm releases among its dependencies."""
    releases = {r.urn: r.name for r in recorder.of_type(RELEASE)}
    return {
        r.name: {releases[urn] for urn in r.dependencies if urn in releases}
        for r in recorder.resources
        if r.type.startswith(DELIVERY_TYPES)
    }


def vso(app: str, *synced: str) -> dict[str, set[str]]:
    names = [f"{app}-connection", f"{app}-auth", *(f"{app}-{s}" for s in synced), f"{app}-workload"]
    return {name: {"vso-operator"} for name in names}


def run_dev(**overrides: Any) -> Run:
    config = stack_config("dev")
    config.update({f"vault-k8s:{k}": v for k, v in overrides.items()})
    config["vault-k8s:secretValues"] = demo_secret_values(config)
    return run_program(config, secret_keys=["vault-k8s:secretValues"])


def test_internal_mode_workloads_wait_for_their_controllers() -> None:
    assert releases_awaited(run_dev().recorder) == {
        "app-default-webapp-sa-workload": {"csi-driver", "platform-vault"},
        "app-default-webapp-vault-workload": {"platform-vault"},
        **vso("app-default-webapp-vso", "static-webapp-config", "pki-webapp-tls"),
        "app-default-db-csi-workload": {"csi-driver", "platform-vault"},
        "app-default-db-injector-workload": {"platform-vault"},
        **vso("app-default-db-vso", "dynamic-db-creds"),
    }


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_stack("prod", cwd=prod_project(tmp_path_factory.mktemp("prod"), PEM, PEM))


def test_external_mode_workloads_wait_for_their_controllers(prod: Run) -> None:
    """The vault release here carries only the injector and the CSI provider, not Vault."""
    assert releases_awaited(prod.recorder) == {
        "app-orders-orders-workload": {"csi-driver", "platform-vault"},
        "app-billing-billing-workload": {"platform-vault"},
        **vso("app-ledger-ledger", "static-ledger-config", "pki-ledger-tls"),
    }


def test_unmanaged_charts_leave_nothing_to_wait_for() -> None:
    run = run_dev(charts={"managed": False, "csiRotationPollInterval": "2m"})
    assert run.recorder.of_type(RELEASE) == []
    awaited = releases_awaited(run.recorder)
    assert len(awaited) == 13 and all(r == set() for r in awaited.values())


VAULT_WRITES = ("vault:index/policy:Policy", "vault:kubernetes/authBackendRole:AuthBackendRole")


def vault_writes_awaiting(recorder: Recorder) -> dict[str, set[str]]:
    """Per app policy and role: the names of the Helm releases and auth configs among its dependencies."""
    awaited = {
        r.urn: r.name
        for r in recorder.resources
        if r.type in (RELEASE, "vault:kubernetes/authBackendConfig:AuthBackendConfig")
    }
    return {
        r.name: {awaited[urn] for urn in r.dependencies if urn in awaited}
        for r in recorder.resources
        if r.type in VAULT_WRITES
    }


def test_internal_mode_vault_writes_wait_for_the_in_cluster_vault() -> None:
    """The chart's dev Vault must be up before a policy or role is written to it."""
    writes = vault_writes_awaiting(run_dev().recorder)
    assert sorted(writes) == sorted(
        f"app-default-{sa}-{kind}"
        for sa in ("webapp-sa", "webapp-vault", "webapp-vso", "db-csi", "db-injector", "db-vso")
        for kind in ("policy", "role")
    )
    assert set(map(frozenset, writes.values())) == {frozenset({"platform-vault", "platform-kubernetes-config"})}


def test_external_mode_vault_writes_wait_for_no_release(prod: Run) -> None:
    writes = vault_writes_awaiting(prod.recorder)
    assert len(writes) == 6
    assert all(not {"platform-vault"} & awaited for awaited in writes.values()), writes
