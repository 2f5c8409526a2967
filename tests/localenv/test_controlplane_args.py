from __future__ import annotations

from pathlib import Path

from localenv.controlplane.args import (
    apiserver_args,
    controller_manager_args,
    etcd_args,
    vault_addr,
    vault_server_args,
)
from localenv.controlplane.certs import Pki

PKI = Pki(Path("/s/pki"))


def _flags(argv: list[str]) -> dict[str, str]:
    out = {}
    for arg in argv[1:]:
        key, _, value = arg.partition("=")
        out[key] = value
    return out


def test_etcd_loopback_only() -> None:
    argv = etcd_args(Path("/bin/etcd"), Path("/s/etcd"), 21001, 21002)
    flags = _flags(argv)
    assert argv[0] == "/bin/etcd"
    assert flags["--data-dir"] == "/s/etcd"
    assert flags["--listen-client-urls"] == "http://127.0.0.1:21001"
    assert flags["--listen-peer-urls"] == "http://127.0.0.1:21002"
    assert flags["--initial-cluster"] == "local=http://127.0.0.1:21002"


def test_apiserver_flags() -> None:
    flags = _flags(apiserver_args(Path("/bin/kube-apiserver"), PKI, Path("/s/as"), 22000, 21001))
    assert flags["--etcd-servers"] == "http://127.0.0.1:21001"
    assert flags["--secure-port"] == "22000"
    assert flags["--bind-address"] == "127.0.0.1"
    assert flags["--advertise-address"] == "127.0.0.1"
    assert flags["--authorization-mode"] == "RBAC"
    assert flags["--service-account-key-file"] == "/s/pki/sa.pub"
    assert flags["--service-account-signing-key-file"] == "/s/pki/sa.key"
    assert flags["--client-ca-file"] == "/s/pki/ca.crt"
    assert flags["--tls-cert-file"] == "/s/pki/apiserver.crt"
    assert flags["--service-account-issuer"].startswith("https://")
    assert flags["--api-audiences"]
    assert flags["--service-cluster-ip-range"] == "10.0.0.0/24"
    assert "--insecure-port" not in flags
    assert flags["--endpoint-reconciler-type"] == "none"


def test_controller_manager_flags() -> None:
    flags = _flags(controller_manager_args(Path("/bin/kcm"), PKI, Path("/s/kcm.kubeconfig"), Path("/s/kcm"), 23000))
    assert flags["--kubeconfig"] == "/s/kcm.kubeconfig"
    assert flags["--service-account-private-key-file"] == "/s/pki/sa.key"
    assert flags["--root-ca-file"] == "/s/pki/ca.crt"
    assert flags["--use-service-account-credentials"] == "true"
    assert flags["--bind-address"] == "127.0.0.1"
    assert flags["--secure-port"] == "23000"
    assert flags["--leader-elect"] == "false"
    assert flags["--controllers"] == "*"
    assert flags["--cert-dir"] == "/s/kcm"
    assert flags["--flex-volume-plugin-dir"].startswith("/s/kcm/")


def test_vault_dev_server_over_tls() -> None:
    argv = vault_server_args(Path("/bin/vault"), 24000, "tok", Path("/s/vault-tls"))
    assert argv[:3] == ["/bin/vault", "server", "-dev"]
    assert "-dev-tls" in argv
    assert "-dev-tls-cert-dir=/s/vault-tls" in argv
    assert "-dev-root-token-id=tok" in argv
    assert "-dev-listen-address=127.0.0.1:24000" in argv
    assert "-dev-no-store-token" in argv


def test_vault_addr_is_https() -> None:
    assert vault_addr(28200) == "https://127.0.0.1:28200"
