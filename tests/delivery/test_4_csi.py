"""CSI: the real vault-csi-provider answers the Mount the secrets-store-csi-driver v1.6.0 sends for pod webapp's
volume with exactly Vault's value; new versions reach the next Mount; a wrong role or an unbound ServiceAccount
gets Vault's refusal and no files. Delivery latency under a stand-in for the driver's rotation is recorded in
b3.last.json (`csi`).

No kubelet and no driver run here: `localenv.csi` builds the driver's request from the API server's objects and
`csi-mount` makes its gRPC call on the provider's socket. The driver would write the answer's files into the pod's
tmpfs; the tests compare them instead.
"""

from __future__ import annotations

import json
import random
import secrets
import statistics
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hvac
import pytest

from bench import results
from derive.paths import kv2_api_path
from derive.workloads import csi_pod_spec
from localenv.controllers import ControllerSettings, csi_provider, records
from localenv.controlplane import ControlPlane, KubeApi
from localenv.csi import (
    TOKENS,
    MountResult,
    ProviderVersion,
    call_mount,
    mount_pod,
    pod_mount_request,
    provider_version,
    read_pod,
    read_spc_parameters,
    token_requests_of,
)
from localenv.latency import Change, measure_changes
from localenv.stack import LocalStack
from stackconfig.models import AppDecl, KvRef, StackConfig
from tests.delivery import b3

NOT_BOUND = "not-bound"
NOT_BOUND_POD = "csi-not-bound"
WRONG_ROLE = "not-a-role"
# The stand-in for the driver's rotation: one Mount per POLL seconds, whatever the puts do.
POLL = 2.0
CHANGES = 5
SLACK = 10.0
# How often the measuring loop looks at the poller's latest answer.
CHECK = 0.05


def csi_app(config: StackConfig) -> AppDecl:
    return next(a for a in config.apps if a.method == "csi")


def kv_of(app: AppDecl) -> KvRef:
    return next(r for r in app.secrets if isinstance(r, KvRef))


def file_of(ref: KvRef) -> str:
    assert ref.file, ref
    return ref.file


def vault_value(vault: hvac.Client, ref: KvRef) -> str:
    return str(vault.read(kv2_api_path(ref.mount, ref.path))["data"]["data"][ref.keys[0]])


def put_value(vault: hvac.Client, ref: KvRef, value: str) -> None:
    vault.write_data(kv2_api_path(ref.mount, ref.path), data={"data": {ref.keys[0]: value}})


@pytest.fixture(scope="module")
def socket(controllers: dict[str, records.Record], control_plane: ControlPlane) -> Path:
    record = controllers[csi_provider.NAME]
    assert record.running(), record
    return csi_provider.socket_path(control_plane.state_dir)


@pytest.fixture(scope="module")
def app(config: StackConfig) -> AppDecl:
    return csi_app(config)


@pytest.fixture(scope="module")
def token_requests(config: StackConfig) -> list[dict[str, Any]]:
    return token_requests_of(config)


def mount_webapp(
    kube: KubeApi, socket: Path, app: AppDecl, token_requests: list[dict[str, Any]], **kwargs: Any
) -> MountResult:
    return mount_pod(kube, socket, app.namespace, app.workload.name, token_requests, **kwargs)


@pytest.fixture(scope="module")
def not_bound_pod(stack: LocalStack, kube: KubeApi, app: AppDecl) -> Iterator[str]:
    """A pod like webapp (same CSI volume) running as a ServiceAccount that no Vault role binds."""
    kube.apply({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": NOT_BOUND, "namespace": app.namespace}})  # fmt: skip
    spec = {**csi_pod_spec(app), "serviceAccountName": NOT_BOUND}
    kube.apply({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": NOT_BOUND_POD, "namespace": app.namespace}, "spec": spec})  # fmt: skip
    yield NOT_BOUND_POD
    kube.delete("v1", "Pod", NOT_BOUND_POD, app.namespace)
    kube.delete("v1", "ServiceAccount", NOT_BOUND, app.namespace)


def test_mount_delivers_exactly_the_value_in_vault(
    stack: LocalStack, kube: KubeApi, socket: Path, root_vault: hvac.Client, app: AppDecl,
    token_requests: list[dict[str, Any]], config: StackConfig,
) -> None:  # fmt: skip
    ref = kv_of(app)
    file = file_of(ref)
    pod = read_pod(kube, app.namespace, app.workload.name)
    assert (pod.service_account, pod.secret_provider_class) == (app.service_account, app.secret_provider_class)
    request = pod_mount_request(kube, app.namespace, app.workload.name, token_requests)
    # No tokenRequests in the driver's values: no tokens are passed, the provider requests its own.
    assert (TOKENS in json.loads(request["attributes"])) == bool(token_requests)
    result = call_mount(socket, request)
    assert not result.failed, result.error
    assert result.files == {file: vault_value(root_vault, ref).encode()}
    assert result.modes == {file: 0o644}
    assert list(result.object_versions) == [file] and result.object_versions[file]
    # The versions are HMACs under a key the provider keeps in its namespace (its chart Role allows exactly that).
    namespace = ControllerSettings.from_config(config).namespace
    assert kube.read("v1", "Secret", csi_provider.HMAC_SECRET, namespace) is not None


def test_a_new_version_reaches_the_next_mount(
    stack: LocalStack, kube: KubeApi, socket: Path, root_vault: hvac.Client, app: AppDecl,
    token_requests: list[dict[str, Any]],
) -> None:  # fmt: skip
    ref = kv_of(app)
    file = file_of(ref)
    before = mount_webapp(kube, socket, app, token_requests)
    assert not before.failed, before.error
    value = f"csi-{secrets.token_urlsafe(9)}"
    put_value(root_vault, ref, value)
    # What a re-created pod gets.
    fresh = mount_webapp(kube, socket, app, token_requests)
    assert fresh.files == {file: value.encode()}
    assert fresh.object_versions[file] != before.object_versions[file]
    # The provider API lets a caller pass the versions it holds (the driver v1.6.0 never does); same answer.
    again = mount_webapp(kube, socket, app, token_requests, current=before.object_versions)
    assert again.files == {file: value.encode()}
    assert again.object_versions == fresh.object_versions


def login_refusal(parameters: Mapping[str, str], app: AppDecl, code: int, error: str) -> str:
    """The provider's error when Vault refuses the login (the same text from Vault 1.21 and OpenBao 2.7).
    It logs in at the SecretProviderClass's address and mount (its own default mount: `kubernetes`)."""
    mount = parameters.get("vaultKubernetesMountPath", "kubernetes")
    login = f"{parameters['vaultAddress']}/v1/auth/{mount}/login"
    return (
        f'error making mount request: couldn\'t read secret "{file_of(kv_of(app))}": failed to login: '
        f"Error making API request.\n\nURL: POST {login}\nCode: {code}. Errors:\n\n* {error}"
    )


def test_a_wrong_role_is_refused_with_no_files(
    stack: LocalStack, kube: KubeApi, socket: Path, app: AppDecl, token_requests: list[dict[str, Any]]
) -> None:
    parameters = {**read_spc_parameters(kube, app.namespace, str(app.secret_provider_class)), "roleName": WRONG_ROLE}
    result = mount_webapp(kube, socket, app, token_requests, parameters=parameters)
    assert result.failed and result.files == {} and result.object_versions == {}
    # The provider returns a plain error: gRPC Unknown, no MountResponse.error.
    assert (result.grpc_code, result.error_code) == ("Unknown", ""), result.error
    assert result.grpc_message == login_refusal(parameters, app, 400, f'invalid role name "{WRONG_ROLE}"')


def test_an_unbound_service_account_is_refused_with_no_files(
    kube: KubeApi, socket: Path, app: AppDecl, token_requests: list[dict[str, Any]], not_bound_pod: str
) -> None:
    pod = read_pod(kube, app.namespace, not_bound_pod)
    assert (pod.service_account, pod.secret_provider_class) == (NOT_BOUND, app.secret_provider_class)
    # The provider's own TokenRequest for that pod succeeds; Vault's role does not bind the account.
    result = mount_pod(kube, socket, app.namespace, not_bound_pod, token_requests)
    assert result.failed and result.files == {} and result.object_versions == {}
    assert (result.grpc_code, result.error_code) == ("Unknown", ""), result.error
    parameters = read_spc_parameters(kube, app.namespace, str(app.secret_provider_class))
    assert result.grpc_message == login_refusal(parameters, app, 403, "service account name not authorized")


def test_provider_version(socket: Path) -> None:
    assert provider_version(socket) == ProviderVersion("v1alpha1", "vault-csi-provider", "v1.7.4")


@dataclass
class Poller:
    """Calls Mount every `interval` seconds on a fixed schedule, as a rotation loop would; keeps the last answer."""

    socket: Path
    request: Mapping[str, Any]
    file: str
    interval: float
    durations: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    latest: bytes | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Poller:
        self._thread = threading.Thread(target=self._run, name="csi-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            began = time.monotonic()
            result = call_mount(self.socket, self.request)
            self.durations.append(time.monotonic() - began)
            if result.failed:
                self.errors.append(result.error)
            else:
                self.latest = result.files.get(self.file)
            next_at += self.interval
            while next_at <= time.monotonic():  # a late call skips ticks, as a ticker would
                next_at += self.interval
            self._stop.wait(next_at - time.monotonic())


def test_changes_reach_the_mount_within_the_poll_interval(
    stack: LocalStack, kube: KubeApi, socket: Path, root_vault: hvac.Client, app: AppDecl,
    token_requests: list[dict[str, Any]], control_plane: ControlPlane,
) -> None:  # fmt: skip
    ref = kv_of(app)
    seed = random.SystemRandom().randrange(2**32)
    token = secrets.token_urlsafe(6)
    started = results.now()
    # The attributes do not change between polls (with tokenRequests the kubelet would refresh tokens itself).
    request = pod_mount_request(kube, app.namespace, app.workload.name, token_requests)
    poller = Poller(socket, request, file_of(ref), POLL).start()

    def put(i: int) -> bytes:
        value = f"csi-b3-{i}-{token}"
        put_value(root_vault, ref, value)
        return value.encode()

    def delivered(expected: bytes) -> bool:
        return poller.latest == expected

    try:
        changes: list[Change] = measure_changes(
            CHANGES, POLL, put, delivered, timeout=POLL + SLACK + 30, poll=CHECK, rng=random.Random(seed)
        )
    finally:
        poller.stop()
    failures = [f"Mount failed during the loop: {e}" for e in poller.errors[:3]]
    if max(c.latency for c in changes) > POLL + SLACK:
        failures.append(f"CSI latency above the poll interval {POLL:g}s + {SLACK:g}s")
    calls = poller.durations
    mount_calls = {"calls": len(calls), "p50_s": round(statistics.median(calls), 3), "max_s": round(max(calls), 3)}
    version = provider_version(socket)
    section = b3.csi_section(
        started=started, changes=changes, poll=POLL, slack=SLACK, check_interval=CHECK,
        provider=f"{version.runtime_name} {version.runtime_version}", mount_calls=mount_calls, seed=seed,
        failures=failures,
    )  # fmt: skip
    b3.merge(control_plane.server, section, part="csi")
    assert not failures, failures
