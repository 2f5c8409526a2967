"""The pure parts of the controllers, the agent runner, the latency loop and the certificate readers (no servers)."""

from __future__ import annotations

import base64
import datetime
import random
from pathlib import Path, PurePosixPath

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from localenv.agent import local_path, rewrite_paths
from localenv.controllers.injector import injector_argv, mount_plan, rbac_objects
from localenv.controllers.ports import ControllerPorts
from localenv.controllers.settings import ControllerSettings
from localenv.controllers.tls import ServingTls
from localenv.controllers.vso import vso_argv
from localenv.controllers.webhook import webhook_configuration
from localenv.latency import DeliveryTimeout, measure_changes, stratified_offsets, summary
from localenv.x509 import cert_info, issued_by, key_matches, normalize_serial, vault_serial

PORTS = ControllerPorts(28080, 28081, 28443)
SETTINGS = ControllerSettings("https://127.0.0.1:28200", "kubernetes")


def test_webhook_is_the_charts_with_a_loopback_url() -> None:
    config = webhook_configuration("https://127.0.0.1:28443/mutate", b"PEM", "Ignore")
    (hook,) = config["webhooks"]
    assert hook["name"] == "vault.hashicorp.com"
    ca_bundle = base64.b64encode(b"PEM").decode()
    assert hook["clientConfig"] == {"url": "https://127.0.0.1:28443/mutate", "caBundle": ca_bundle}
    assert hook["rules"] == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                              "resources": ["pods"], "scope": "Namespaced"}]  # fmt: skip
    assert (hook["sideEffects"], hook["failurePolicy"], hook["matchPolicy"]) == ("None", "Ignore", "Exact")
    assert hook["admissionReviewVersions"] == ["v1", "v1beta1"]
    assert hook["objectSelector"]["matchExpressions"][0]["values"] == ["vault-agent-injector"]


def test_injector_runs_in_a_private_mount_namespace() -> None:
    argv = injector_argv("/usr/bin/unshare", Path("/bin/vault-k8s"), Path("/s/in-cluster"), Path("/run"),
                         ServingTls(Path("/s/tls")), PORTS, SETTINGS)  # fmt: skip
    assert argv[:5] == ["/usr/bin/unshare", "--mount", "--propagation", "private", "sh"]
    assert argv[7:10] == ["sh", "/s/in-cluster", "/run"]
    assert argv[10:12] == ["/bin/vault-k8s", "agent-inject"]
    assert "-listen=127.0.0.1:28443" in argv and "-vault-auth-path=auth/kubernetes" in argv
    assert "-vault-address=https://127.0.0.1:28200" in argv


def test_mount_plan_binds_over_the_deepest_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    anchor, below = mount_plan(PurePosixPath(tmp_path / "var/run/secrets/sa"))
    assert (anchor, below) == (tmp_path / "var", PurePosixPath("run/secrets/sa"))


def test_rbac_is_the_charts_clusterrole() -> None:
    kinds = [body["kind"] for body in rbac_objects("default")]
    assert kinds == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]
    assert rbac_objects("default")[1]["rules"][0]["verbs"] == ["get", "list", "watch", "patch"]


def test_vso_flags() -> None:
    argv = vso_argv(Path("/bin/vso"), Path("/s/kubeconfig"), PORTS)
    assert argv[1:5] == ["-kubeconfig=/s/kubeconfig", "-leader-elect=false", "-metrics-bind-address=127.0.0.1:28080",
                         "-health-probe-bind-address=127.0.0.1:28081"]  # fmt: skip


def test_only_paths_inside_mounts_become_local() -> None:
    mounts = {"/vault/secrets": Path("/l/secrets"), "/home/vault": Path("/l/home"), "/vault": Path("/l/v")}
    config = {"a": "/vault/secrets/x.pem", "b": ["/home/vault/.pid", "/vault/secretsx"], "c": "pki/issue/r", "d": 1}
    assert rewrite_paths(config, mounts) == {
        "a": "/l/secrets/x.pem",
        "b": ["/l/home/.pid", "/l/v/secretsx"],
        "c": "pki/issue/r",
        "d": 1,
    }
    assert local_path("/elsewhere", mounts) is None


def test_serial_spellings_agree() -> None:
    assert normalize_serial("0d:25:41") == normalize_serial("0D2541") == normalize_serial("0d-25-41") == "0d2541"
    assert vault_serial("D2541") == "0d-25-41"


def _self_signed(serial: int, common_name: str, start: datetime.datetime) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(serial).not_valid_before(start).not_valid_after(start + datetime.timedelta(seconds=59))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pkcs8 = serialization.PrivateFormat.PKCS8
    key_pem = key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def test_x509_fields_pairing_and_issuer() -> None:
    start = datetime.datetime(2026, 11, 28, 23, 25, 16, tzinfo=datetime.UTC)
    cert, key = _self_signed(0x0D2541, "test.example.com", start)
    other_cert, other_key = _self_signed(7, "other", start)
    info = cert_info(cert + other_cert)  # a leaf followed by its chain reads as the leaf
    assert (info.serial, info.common_name, info.not_before) == ("0d2541", "test.example.com", start)
    assert info.not_after - info.not_before == datetime.timedelta(seconds=59)
    assert key_matches(cert, key) and not key_matches(cert, other_key)
    assert issued_by(cert, cert) and not issued_by(cert, other_cert)
    with pytest.raises(ValueError):
        cert_info("not a certificate")


def test_offsets_cover_the_interval_once_each() -> None:
    offsets = sorted(stratified_offsets(5, 30.0, random.Random(1)))
    assert all(6 * i <= o < 6 * (i + 1) for i, o in enumerate(offsets))


def test_latency_is_from_put_to_first_sight() -> None:
    now = [0.0]
    seen_after = {0: 3.0, 1: 0.5}
    started: dict[int, float] = {}

    def put(i: int) -> int:
        started[i] = now[0]
        return i

    def sleep(seconds: float) -> None:
        now[0] += seconds

    changes = measure_changes(
        2, 10.0, put, lambda i: now[0] - started[i] >= seen_after[i], timeout=20, poll=0.25,
        rng=random.Random(2), sleep=sleep, clock=lambda: now[0],
    )  # fmt: skip
    assert [round(c.latency, 2) for c in changes] == [3.0, 0.5]
    assert summary(changes, 10.0)["max_s"] == 3.0
    with pytest.raises(DeliveryTimeout):
        measure_changes(1, 1.0, put, lambda _: False, timeout=2, sleep=sleep, clock=lambda: now[0])


def test_the_vault_client_verifies_with_the_given_ca() -> None:
    """hvac sends the CA of the session it is given, whatever its own `verify`: the session must hold it."""
    from localenv.verify import vault_client

    client = vault_client("https://127.0.0.1:1", Path("/dev-ca.pem"))
    assert client.adapter._kwargs["verify"] == "/dev-ca.pem"
    assert vault_client("https://127.0.0.1:1", None).adapter._kwargs["verify"] is True
