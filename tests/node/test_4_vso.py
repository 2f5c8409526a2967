"""VSO, as the tutorial checks it: the operator syncs the KV secret into a Kubernetes Secret that the running
Deployment reads as environment variables; a `kv put` gives exactly one rollout, whose new pod sees the new
value; the TLS Secret is issued and renewed."""

from __future__ import annotations

import secrets
import time

import hvac
import pytest

from derive.paths import kv2_api_path
from derive.workloads import label_selector
from localenv.delivered import key_values
from localenv.node.kube import Kube, eventually
from localenv.x509 import cert_info, key_matches
from stackconfig.durations import parse_duration
from stackconfig.models import AppDecl, KvRef, PkiRef, StackConfig
from tests.live import Deployed, app_named

APP = "webapp-vso"
SLACK = 30.0


@pytest.fixture(scope="module")
def app(config: StackConfig) -> AppDecl:
    return app_named(config, APP)


def _env(kube: Kube, app: AppDecl, ref: KvRef) -> tuple[str, dict[str, str]]:
    pod = kube.running_pod(app.namespace, label_selector(app))
    env = key_values(kube.exec(app.namespace, pod.metadata.name, ["env"]))
    return pod.metadata.name, {key: env[key.upper().replace("-", "_")] for key in ref.keys}


def _generation(kube: Kube, app: AppDecl) -> int:
    metadata = kube.apps.read_namespaced_deployment(app.workload.name, app.namespace).metadata
    assert metadata is not None and metadata.generation is not None
    return metadata.generation


def test_the_running_pod_reads_the_synced_secret(deployed: Deployed, kube: Kube, app: AppDecl) -> None:
    ref = next(r for r in app.secrets if isinstance(r, KvRef))
    _, env = _env(kube, app, ref)
    assert env == deployed.stack.values[f"{ref.mount}/{ref.path}"]
    synced = kube.secret_data(app.namespace, ref.secret_name or "") or {}
    # VSO also keeps Vault's whole answer under `_raw`.
    assert {key: synced[key] for key in ref.keys} == env


def test_a_kv_put_gives_exactly_one_rollout_and_the_new_pod_sees_it(
    deployed: Deployed, kube: Kube, app: AppDecl, root_vault: hvac.Client
) -> None:
    ref = next(r for r in app.secrets if isinstance(r, KvRef))
    before_pod, _ = _env(kube, app, ref)
    before = _generation(kube, app)
    new = {key: f"v2-{secrets.token_urlsafe(8)}" for key in ref.keys}
    root_vault.write_data(kv2_api_path(ref.mount, ref.path), data={"data": new})
    refresh = parse_duration(ref.refresh_after)

    def new_pod_with_new_value() -> str | None:
        name, env = _env(kube, app, ref)
        return name if env == new else None

    pod, took = eventually(new_pod_with_new_value, "a new pod with the new value", refresh + SLACK)
    assert pod != before_pod
    assert took <= refresh + SLACK
    # One more refresh period: the operator sees no further change, so no second rollout.
    time.sleep(refresh + 5)
    assert _generation(kube, app) == before + 1
    assert kube.running_pod(app.namespace, label_selector(app)).metadata.name == pod


def test_the_tls_secret_is_issued_and_renewed(deployed: Deployed, kube: Kube, app: AppDecl) -> None:
    ref = next(r for r in app.secrets if isinstance(r, PkiRef))
    first = kube.secret_data(app.namespace, ref.secret_name or "")
    assert first is not None and key_matches(first["tls.crt"], first["tls.key"])
    info = cert_info(first["tls.crt"])
    assert info.common_name == ref.common_name
    ttl = (info.not_after - info.not_before).total_seconds()

    def renewed() -> bool:
        again = kube.secret_data(app.namespace, ref.secret_name or "") or {}
        return cert_info(again["tls.crt"]).serial != info.serial and key_matches(again["tls.crt"], again["tls.key"])

    eventually(renewed, "a renewed certificate in the Secret", ttl + SLACK)
