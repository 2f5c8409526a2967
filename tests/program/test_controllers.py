"""Workloads wait for the controllers that deliver their secrets, when the program manages the charts.

A pod admitted before the injector's webhook serves runs without the agent; a CSI pod before the driver and the
Vault provider never gets its volume; VSO objects before the operator's CRDs fail.
"""

from typing import Any

from plan.build import VAULT_STARTUP_RETRIES
from tests.program.harness import (
    DEMO_VAULT_TOKEN,
    Recorder,
    Registered,
    Run,
    demo_secret_values,
    prod_project,
    run_program,
    stack_config,
)

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


def test_external_mode_workloads_wait_for_their_controllers(prod: Run) -> None:
    """The vault release here carries only the injector and the CSI provider, not Vault."""
    assert releases_awaited(prod.recorder) == {
        "app-orders-orders-workload": {"csi-driver", "platform-vault"},
        "app-billing-billing-workload": {"platform-vault"},
        **vso("app-ledger-ledger", "static-ledger-config", "pki-ledger-tls"),
    }


def test_unmanaged_charts_leave_nothing_to_wait_for() -> None:
    run = run_dev(
        charts={"managed": False, "csiRotationPollInterval": "2m"}, vault={"address": "http://127.0.0.1:8200"}
    )
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


# --- the Vault provider: every Vault write goes through it ---------------------------------------------------------

PROVIDER = "pulumi:providers:vault"
# What pulumi_vault's SDK sends when `max_retries` is not given (VAULT_MAX_RETRIES unset).
SDK_DEFAULT_RETRIES = "2"


def vault_provider(recorder: Recorder) -> Registered:
    [provider] = recorder.of_type(PROVIDER)
    return provider


def vault_resources_served_by(recorder: Recorder, provider: Registered) -> int:
    """How many Vault resources there are; asserts each one goes through `provider`."""
    served = [r for r in recorder.resources if r.custom and r.type.startswith("vault:")]
    assert served and all(r.provider == f"{provider.urn}::{provider.name}-id" for r in served), served
    return len(served)


def test_the_vault_provider_waits_for_the_in_cluster_vault() -> None:
    """The provider's address is an output of the vault release: the provider is registered (configured) only once
    the release is, and with it every Vault resource; destroy runs the other way round."""
    recorder = run_dev().recorder
    provider, release = vault_provider(recorder), recorder.by_name("platform-vault")
    assert provider.dependencies == [release.urn]
    order = [r.name for r in recorder.resources]
    assert order.index(provider.name) > order.index(release.name)
    assert vault_resources_served_by(recorder, provider) == 26  # as test_dev_stack lists them
    assert provider.inputs == {
        "address": "http://192.168.49.2:30200",
        "token": DEMO_VAULT_TOKEN,
        "maxRetries": str(VAULT_STARTUP_RETRIES),
        "maxLeaseTtlSeconds": "1200",
    }
    assert provider.secret_inputs == {"token"}


def test_the_startup_retries_outlast_the_vault_clients_request_timeout() -> None:
    """Retry n waits at least n seconds; the retries must still be waiting when the client's 60 s timeout ends."""
    assert sum(range(1, VAULT_STARTUP_RETRIES + 1)) > 60


def test_the_root_token_reaches_the_chart_and_the_provider_only_as_a_secret() -> None:
    recorder = run_dev().recorder
    release = recorder.by_name("platform-vault")
    assert release.inputs["values"]["server"]["dev"]["devRootToken"] == DEMO_VAULT_TOKEN
    assert release.secret_inputs == {"values"}
    assert vault_provider(recorder).secret_inputs == {"token"}
    plain = [r.name for r in recorder.resources for k, v in r.inputs.items()
             if DEMO_VAULT_TOKEN in repr(v) and k not in r.secret_inputs]  # fmt: skip
    assert plain == []


def test_an_external_vault_provider_waits_for_nothing(prod: Run) -> None:
    """prod: Vault exists already; the provider reads VAULT_TOKEN and keeps the SDK's retries."""
    provider = vault_provider(prod.recorder)
    assert provider.dependencies == []
    assert vault_resources_served_by(prod.recorder, provider) > 0
    assert "token" not in provider.inputs
    assert provider.inputs["maxRetries"] == SDK_DEFAULT_RETRIES


def test_without_managed_charts_the_provider_waits_for_nothing() -> None:
    """Internal mode with the charts managed elsewhere: Vault is not this stack's to wait for, and its token may
    come from VAULT_TOKEN."""
    run = run_dev(
        charts={"managed": False, "csiRotationPollInterval": "2m"}, vault={"address": "http://127.0.0.1:8200"}
    )
    provider = vault_provider(run.recorder)
    assert provider.dependencies == []
    assert ("token" in provider.inputs, provider.inputs["maxRetries"]) == (False, SDK_DEFAULT_RETRIES)


def test_an_external_vault_provider_takes_a_configured_token(tmp_path: Any) -> None:
    config = stack_config("prod")
    config["vault-k8s:vaultToken"] = "s.prod-token"
    run = run_program(config, stack="prod", secret_keys=["vault-k8s:vaultToken"], cwd=prod_project(tmp_path, PEM, PEM))
    provider = vault_provider(run.recorder)
    assert (provider.inputs["token"], provider.secret_inputs) == ("s.prod-token", {"token"})
