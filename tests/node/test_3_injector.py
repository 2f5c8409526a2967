"""The injector, as the tutorial checks it: the webhook adds the agent to the Deployment's pod (init container
plus sidecar), the rendered files are in /vault/secrets, a `kv put` reaches the file within the render interval,
and the short-lived certificate is renewed inside the running pod."""

from __future__ import annotations

import secrets
from typing import Any

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

APP = "webapp-injection"
SLACK = 15.0


@pytest.fixture(scope="module")
def app(config: StackConfig) -> AppDecl:
    return app_named(config, APP)


@pytest.fixture(scope="module")
def pod(deployed: Deployed, kube: Kube, app: AppDecl) -> Any:
    return kube.running_pod(app.namespace, label_selector(app))


def _cat(kube: Kube, app: AppDecl, pod: Any, file: str) -> str:
    return kube.exec(app.namespace, pod.metadata.name, ["cat", f"/vault/secrets/{file}"], container="webapp")


def test_the_webhook_added_the_agent(pod: Any) -> None:
    assert [c.name for c in pod.spec.init_containers] == ["vault-agent-init"]
    assert [c.name for c in pod.spec.containers] == ["webapp", "vault-agent"]


def test_the_rendered_file_holds_vaults_value(deployed: Deployed, kube: Kube, app: AppDecl, pod: Any) -> None:
    ref = next(r for r in app.secrets if isinstance(r, KvRef))
    seeded = deployed.stack.values[f"{ref.mount}/{ref.path}"]
    assert key_values(_cat(kube, app, pod, ref.file or "")) == seeded


def test_a_kv_put_reaches_the_file_within_the_render_interval(
    kube: Kube, app: AppDecl, pod: Any, root_vault: hvac.Client
) -> None:
    ref = next(r for r in app.secrets if isinstance(r, KvRef))
    interval = parse_duration(app.static_render_interval or 0)
    new = {key: f"v2-{secrets.token_urlsafe(8)}" for key in ref.keys}
    root_vault.write_data(kv2_api_path(ref.mount, ref.path), data={"data": new})
    _, took = eventually(
        lambda: key_values(_cat(kube, app, pod, ref.file or "")) == new, "the new value in the file", interval + SLACK
    )
    assert took <= interval + SLACK


def test_the_certificate_pairs_with_its_key_and_is_renewed_in_the_pod(kube: Kube, app: AppDecl, pod: Any) -> None:
    ref = next(r for r in app.secrets if isinstance(r, PkiRef))
    cert, key = _cat(kube, app, pod, ref.cert_file or ""), _cat(kube, app, pod, ref.key_file or "")
    assert key_matches(cert, key)
    first = cert_info(cert)
    assert first.common_name == ref.common_name
    ttl = first.not_after - first.not_before

    def renewed() -> bool:
        again = _cat(kube, app, pod, ref.cert_file or "")
        return cert_info(again).serial != first.serial and key_matches(again, _cat(kube, app, pod, ref.key_file or ""))

    eventually(renewed, "a renewed certificate in the pod", ttl.total_seconds() + SLACK)
    assert kube.pod(app.namespace, pod.metadata.name).metadata.uid == pod.metadata.uid
