"""Command lines of the four servers, built from plain values so they can be checked without the binaries."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .certs import Pki

HOST = "127.0.0.1"
SERVICE_CIDR = "10.0.0.0/24"
SERVICE_IP = "10.0.0.1"
ISSUER = "https://kubernetes.default.svc.cluster.local"
API_AUDIENCES = (ISSUER,)


def etcd_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def apiserver_url(port: int) -> str:
    return f"https://{HOST}:{port}"


def vault_addr(port: int) -> str:
    return f"https://{HOST}:{port}"


def etcd_args(binary: Path, data_dir: Path, client_port: int, peer_port: int) -> list[str]:
    client = etcd_url(client_port)
    peer = etcd_url(peer_port)
    return [
        str(binary),
        "--name=local",
        f"--data-dir={data_dir}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=local={peer}",
        "--initial-cluster-state=new",
        "--initial-cluster-token=vault-k8s-local",
        # Throwaway data: skipping fsync makes the apiserver start and tests faster.
        "--unsafe-no-fsync=true",
    ]


def apiserver_args(
    binary: Path, pki: Pki, cert_dir: Path, port: int, etcd_client_port: int, overrides: Sequence[str] = ()
) -> list[str]:
    """`overrides` (`--flag=value`) replace the flags of the same name, or are added."""
    replaced = {flag.split("=", 1)[0] for flag in overrides}
    base = [
        str(binary),
        f"--etcd-servers={etcd_url(etcd_client_port)}",
        f"--bind-address={HOST}",
        f"--advertise-address={HOST}",
        f"--secure-port={port}",
        f"--cert-dir={cert_dir}",
        f"--tls-cert-file={pki.cert('apiserver')}",
        f"--tls-private-key-file={pki.key('apiserver')}",
        f"--client-ca-file={pki.ca_cert}",
        "--authorization-mode=RBAC",
        f"--service-account-issuer={ISSUER}",
        f"--service-account-key-file={pki.sa_pub}",
        f"--service-account-signing-key-file={pki.sa_key}",
        f"--api-audiences={','.join(API_AUDIENCES)}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--allow-privileged=true",
        # Loopback is not a valid Endpoints address, so the reconciler would only log errors.
        "--endpoint-reconciler-type=none",
        "--profiling=false",
    ]
    return [base[0], *(f for f in base[1:] if f.split("=", 1)[0] not in replaced), *overrides]


def controller_manager_args(binary: Path, pki: Pki, kubeconfig: Path, work_dir: Path, port: int) -> list[str]:
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--service-account-private-key-file={pki.sa_key}",
        f"--root-ca-file={pki.ca_cert}",
        "--use-service-account-credentials=true",
        f"--bind-address={HOST}",
        f"--secure-port={port}",
        f"--cert-dir={work_dir}",
        # The default is under /usr/libexec, which it would create.
        f"--flex-volume-plugin-dir={work_dir / 'flexvolume'}",
        f"--tls-cert-file={pki.cert('controller-manager-serving')}",
        f"--tls-private-key-file={pki.key('controller-manager-serving')}",
        f"--cluster-signing-cert-file={pki.ca_cert}",
        f"--cluster-signing-key-file={pki.ca_key}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--cluster-name=local",
        "--leader-elect=false",
        "--controllers=*",
        "--profiling=false",
    ]


def vault_server_args(binary: Path, port: int, root_token: str, tls_dir: Path) -> list[str]:
    """Dev mode over TLS, the same flags for `vault` and `bao`: the server writes vault-ca.pem, vault-cert.pem
    (SAN IP 127.0.0.1) and vault-key.pem into `tls_dir`, which must exist; it deletes them on a clean exit."""
    return [
        str(binary),
        "server",
        "-dev",
        "-dev-tls",
        f"-dev-tls-cert-dir={tls_dir}",
        # Keeps the root token out of ~/.vault-token.
        "-dev-no-store-token",
        f"-dev-root-token-id={root_token}",
        f"-dev-listen-address={HOST}:{port}",
    ]


def vault_server_node_args(binary: Path, port: int, root_token: str, config_file: Path) -> list[str]:
    """Dev mode whose TLS listener comes from `config_file` (vault_node_config), with a certificate the node's pods
    can verify at the node address; the dev listener itself moves to plain HTTP on loopback port + 2, unused."""
    return [
        str(binary),
        "server",
        "-dev",
        "-dev-no-store-token",
        f"-dev-root-token-id={root_token}",
        f"-dev-listen-address={HOST}:{port + 2}",
        f"-config={config_file}",
    ]


def vault_node_config(port: int, cert: Path, key: Path) -> str:
    return (
        'listener "tcp" {\n'
        f'  address = "{HOST}:{port}"\n'
        f'  cluster_address = "{HOST}:{port + 1}"\n'
        f'  tls_cert_file = "{cert}"\n'
        f'  tls_key_file = "{key}"\n'
        "}\n"
    )
