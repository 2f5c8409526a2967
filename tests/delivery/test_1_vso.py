"""VSO: the operator turns the local stack's custom resources into Secrets holding exactly Vault's values."""

from __future__ import annotations

import json
import time

import hvac
import pytest

from derive.custom_resources import VSO_API_VERSION
from derive.paths import kv2_api_path
from localenv.controllers import records
from localenv.controlplane import ControlPlane, KubeApi
from localenv.controlplane.waiting import wait_until
from localenv.delivered import TLS_TYPE, rollout_state, secret_data, secret_type, warnings_for
from localenv.stack import LocalStack
from localenv.x509 import cert_info, certificate_count, issued_by, key_matches
from stackconfig.models import KvRef, PkiRef, StackConfig
from tests.delivery.conftest import VSO_APP, app_named

# VSO 1.4.1 sends `not_after: ""` with every pki/issue request (VaultPKISecret.GetIssuerAPIData); Vault 1.21
# ignores the empty value, OpenBao 2.7.2 answers 400 with this text.
OPENBAO_REJECTS_EMPTY_NOT_AFTER = 'parsing time ""'
OPENBAO_PKI_REASON = (
    'OpenBao 2.7.2 refuses every pki/issue request of VSO 1.4.1: the operator always sends not_after="" and '
    'OpenBao answers 400 (parsing time ""), where Vault ignores the empty value'
)


def kv_ref(config: StackConfig) -> KvRef:
    return next(r for r in app_named(config, VSO_APP).secrets if isinstance(r, KvRef))


def pki_ref(config: StackConfig) -> PkiRef:
    return next(r for r in app_named(config, VSO_APP).secrets if isinstance(r, PkiRef))


def tls_outcome(kube: KubeApi, namespace: str, name: str, timeout: float = 60.0) -> str:
    """ "synced" once the TLS Secret exists, "rejected" once VSO reports OpenBao's refusal."""
    outcome: list[str] = []

    def settled() -> bool:
        if secret_data(kube, namespace, name) is not None:
            outcome.append("synced")
        elif any(OPENBAO_REJECTS_EMPTY_NOT_AFTER in m for m in warnings_for(kube, namespace, "VaultPKISecret", name)):
            outcome.append("rejected")
        return bool(outcome)

    wait_until(settled, f"VaultPKISecret {name} to sync or fail", timeout)
    return outcome[0]


def skip_on_openbao(cp: ControlPlane) -> None:
    """The TLS Secret can only be issued by Vault; test_openbao_refuses_vso_pki_requests pins OpenBao's refusal."""
    if cp.server == "openbao":
        pytest.skip(OPENBAO_PKI_REASON)


def test_operator_runs(controllers: dict[str, records.Record]) -> None:
    assert all(r.running() for r in controllers.values()), controllers


def test_static_secret_holds_exactly_the_vault_values(
    kube: KubeApi, stack: LocalStack, root_vault: hvac.Client, config: StackConfig
) -> None:
    app, ref = app_named(config, VSO_APP), kv_ref(config)
    expected = stack.values[f"{ref.mount}/{ref.path}"]
    assert root_vault.read(kv2_api_path(ref.mount, ref.path))["data"]["data"] == expected
    assert ref.secret_name
    wait_until(lambda: secret_data(kube, app.namespace, str(ref.secret_name)) is not None,
               f"Secret {ref.secret_name}", 60)  # fmt: skip
    data = secret_data(kube, app.namespace, ref.secret_name)
    assert data is not None
    assert {k: v for k, v in data.items() if k != "_raw"} == expected
    assert json.loads(data["_raw"])["data"] == expected
    secret = kube.read("v1", "Secret", ref.secret_name, app.namespace)
    assert secret is not None and secret["type"] == "Opaque"
    owners = [(o["kind"], o["name"]) for o in secret["metadata"].get("ownerReferences", [])]
    assert owners == [("VaultStaticSecret", ref.secret_name)]


def test_first_sync_restarts_nothing(kube: KubeApi, control_plane: ControlPlane, config: StackConfig) -> None:
    app, ref = app_named(config, VSO_APP), kv_ref(config)
    assert ref.secret_name
    name = ref.secret_name

    def synced() -> bool:
        found = kube.read(VSO_API_VERSION, "VaultStaticSecret", name, app.namespace) or {}
        status = found.get("status") or {}
        return bool(status.get("secretMAC")) and status.get("lastGeneration") == found["metadata"]["generation"]

    wait_until(synced, f"VaultStaticSecret {ref.secret_name} synced", 60)
    # A second reconcile of a new object (what a spec change would cause) comes within a second or two.
    time.sleep(3)
    state = rollout_state(kube, app.namespace, app.workload.name)
    assert (state.generation, len(state.replicasets), state.restarted_at) == (1, 1, None)
    assert (kube.read(VSO_API_VERSION, "VaultStaticSecret", name, app.namespace) or {})["metadata"]["generation"] == 1


def test_openbao_refuses_vso_pki_requests(
    kube: KubeApi, control_plane: ControlPlane, config: StackConfig, stack: LocalStack
) -> None:
    if control_plane.server != "openbao":
        pytest.skip("only OpenBao refuses the empty not_after")
    app, ref = app_named(config, VSO_APP), pki_ref(config)
    assert tls_outcome(kube, app.namespace, str(ref.secret_name)) == "rejected"
    assert secret_data(kube, app.namespace, str(ref.secret_name)) is None


def test_tls_secret_pairs_certificate_and_key(
    kube: KubeApi, root_vault: hvac.Client, config: StackConfig, stack: LocalStack,
    control_plane: ControlPlane,
) -> None:  # fmt: skip
    skip_on_openbao(control_plane)
    app, ref = app_named(config, VSO_APP), pki_ref(config)
    assert ref.secret_name
    assert tls_outcome(kube, app.namespace, ref.secret_name) == "synced"
    assert secret_type(kube, app.namespace, ref.secret_name) == TLS_TYPE
    data = secret_data(kube, app.namespace, ref.secret_name)
    assert data is not None
    info = cert_info(data["tls.crt"])
    assert info.common_name == ref.common_name
    assert key_matches(data["tls.crt"], data["tls.key"])
    assert certificate_count(data["tls.crt"]) >= 1
    assert issued_by(
        data["tls.crt"], root_vault.secrets.pki.read_certificate("ca", mount_point=ref.mount)["data"]["certificate"]
    )
