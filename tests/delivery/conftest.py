"""The real controllers against the local control plane: one control plane, one stack, one agent per package.

Order: control plane, controllers (VSO, injector and its webhook), then `pulumi up --stack local`, so the
injector Deployment's pods are created through the webhook; then the injected agent runs as the pod would
run it (init container to completion, then the sidecar), and watches follow the delivered certificates.
Everything is package-scoped, so it is all stopped before any other test package starts its own control plane.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import hvac
import pytest

from derive.workloads import workload_labels
from localenv import agent
from localenv.controllers import ControllerSettings, records, start_controllers
from localenv.controlplane import ControlPlane, KubeApi
from localenv.delivered import issued_certificates, secret_data
from localenv.demo import stack_config
from localenv.stack import LocalStack
from localenv.verify import vault_client
from localenv.x509 import CertInfo
from stackconfig.models import AppDecl, PkiRef, StackConfig
from tests.delivery.watch import CertWatch
from tests.live import CONTROLLERS, ENGINE_AND_CLUSTER, fresh_control_plane

INJECTOR_APP = "webapp-injection"
VSO_APP = "webapp-vso"


def app_named(cfg: StackConfig, name: str) -> AppDecl:
    return next(a for a in cfg.apps if a.name == name)


@pytest.fixture(scope="package")
def config() -> StackConfig:
    return stack_config()


@pytest.fixture(scope="package")
def control_plane() -> Iterator[ControlPlane]:
    with fresh_control_plane((*ENGINE_AND_CLUSTER, *CONTROLLERS)) as cp:
        yield cp


@pytest.fixture(scope="package")
def controllers(control_plane: ControlPlane, config: StackConfig) -> dict[str, records.Record]:
    return start_controllers(control_plane, ControllerSettings.from_config(config))


@pytest.fixture(scope="package")
def stack(control_plane: ControlPlane, controllers: dict[str, records.Record]) -> LocalStack:
    local = LocalStack(control_plane.state_dir, control_plane.env)
    local.prepare()
    local.up()
    return local


@pytest.fixture(scope="package")
def root_vault(control_plane: ControlPlane) -> hvac.Client:
    env = control_plane.env
    return vault_client(env["VAULT_ADDR"], Path(env["VAULT_CACERT"]), env["VAULT_TOKEN"])


@pytest.fixture(scope="package")
def kube(control_plane: ControlPlane) -> Iterator[KubeApi]:
    api = control_plane.kube()
    yield api
    api.close()


@pytest.fixture(scope="package")
def injected(stack: LocalStack, control_plane: ControlPlane, config: StackConfig) -> Iterator[agent.InjectedPod]:
    app = app_named(config, INJECTOR_APP)
    api = control_plane.kube()
    pod = agent.ensure_injected_pod(api, app.namespace, workload_labels(app))
    yield agent.InjectedPod(api, pod, control_plane.state_dir / "agents" / pod["metadata"]["name"])
    api.close()


@dataclass
class InitRun:
    """The init container's agent run: its exit, the files it left, and the certificates issued meanwhile."""

    returncode: int
    output: str
    files: dict[str, str]
    issued: set[str]
    seen_certs: dict[str, CertInfo] = field(default_factory=dict)


def injector_pki(config: StackConfig) -> PkiRef:
    return next(r for r in app_named(config, INJECTOR_APP).secrets if isinstance(r, PkiRef))


@pytest.fixture(scope="package")
def init_run(injected: agent.InjectedPod, root_vault: hvac.Client, config: StackConfig) -> InitRun:
    pki = injector_pki(config)
    known: dict[str, CertInfo] = {}
    before = issued_certificates(root_vault, pki.mount, pki.common_name, known)
    local = injected.prepare(agent.INIT)
    done = agent.run_to_completion(local)
    after = issued_certificates(root_vault, pki.mount, pki.common_name, known)
    directory = injected.app_secrets_dir()
    files = {p.name: p.read_text() for p in directory.iterdir() if p.is_file()}
    return InitRun(done.returncode, done.stdout + done.stderr, files, after - before, known)


@pytest.fixture(scope="package")
def sidecar(init_run: InitRun, injected: agent.InjectedPod, control_plane: ControlPlane) -> Iterator[agent.LocalAgent]:
    local = injected.prepare(agent.SIDECAR)
    record = agent.start(control_plane.state_dir, local)
    try:
        yield local
    finally:
        records.stop(control_plane.state_dir, record.name)


def _agent_source(directory: Path, cert_file: str, key_file: str) -> tuple[str, str] | None:
    cert, key = directory / cert_file, directory / key_file
    if not (cert.is_file() and key.is_file()):
        return None
    return cert.read_text(), key.read_text()


@pytest.fixture(scope="package")
def agent_cert_watch(
    sidecar: agent.LocalAgent, injected: agent.InjectedPod, config: StackConfig
) -> Iterator[CertWatch]:
    pki = injector_pki(config)
    directory = injected.app_secrets_dir()
    assert pki.cert_file and pki.key_file
    cert_file, key_file = pki.cert_file, pki.key_file
    watch = CertWatch("agent", lambda: _agent_source(directory, cert_file, key_file)).start()
    yield watch
    watch.stop()


@pytest.fixture(scope="package")
def vso_tls_watch(stack: LocalStack, control_plane: ControlPlane, config: StackConfig) -> Iterator[CertWatch]:
    app = app_named(config, VSO_APP)
    ref = next(r for r in app.secrets if isinstance(r, PkiRef))
    api = control_plane.kube()
    assert ref.secret_name

    def source() -> tuple[str, str] | None:
        data = secret_data(api, app.namespace, str(ref.secret_name))
        if not data or "tls.crt" not in data:
            return None
        return data["tls.crt"], data["tls.key"]

    watch = CertWatch("vso", source, interval=0.5).start()
    yield watch
    watch.stop()
    api.close()
