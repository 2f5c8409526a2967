"""A throwaway PKI for the local cluster, made with the openssl CLI (the `cryptography` package is not installed)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path

from .errors import ControlPlaneError

# P-256 for the TLS certificates keeps generation fast; the ServiceAccount key must be RSA.
TLS_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")
SA_KEY_BITS = 2048
CA_DAYS = 3650
LEAF_DAYS = 825


@dataclass(frozen=True)
class CertSpec:
    name: str
    subject: str
    server: bool = False
    client: bool = False
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pki:
    """Paths of every file the cluster needs, all under one directory."""

    directory: Path
    leaves: tuple[str, ...] = field(
        default=(
            "apiserver",
            "admin",
            "controller-manager",
            "controller-manager-serving",
        )
    )

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def sa_key(self) -> Path:
        return self.directory / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.directory / "sa.pub"

    def cert(self, name: str) -> Path:
        return self.directory / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.directory / f"{name}.key"

    def complete(self) -> bool:
        files = [self.ca_cert, self.ca_key, self.sa_key, self.sa_pub]
        for leaf in self.leaves:
            files += [self.cert(leaf), self.key(leaf)]
        return all(f.is_file() and f.stat().st_size > 0 for f in files)


APISERVER_DNS = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


def cluster_specs(service_ip: str, extra_ips: tuple[str, ...] = ()) -> list[CertSpec]:
    return [
        CertSpec(
            "apiserver",
            "/CN=kube-apiserver",
            server=True,
            dns=APISERVER_DNS,
            ips=("127.0.0.1", service_ip, *extra_ips),
        ),
        CertSpec("admin", "/O=system:masters/CN=kubernetes-admin", client=True),
        CertSpec("controller-manager", "/CN=system:kube-controller-manager", client=True),
        CertSpec(
            "controller-manager-serving",
            "/CN=kube-controller-manager",
            server=True,
            dns=("localhost",),
            ips=("127.0.0.1",),
        ),
    ]


def subject_alt_names(spec: CertSpec) -> str:
    for ip in spec.ips:
        ip_address(ip)
    entries = [f"DNS:{d}" for d in spec.dns] + [f"IP:{i}" for i in spec.ips]
    return ",".join(entries)


def extension_config(spec: CertSpec) -> str:
    """An openssl extfile section `v3_leaf` for `spec`."""
    usages = []
    if spec.server:
        usages.append("serverAuth")
    if spec.client:
        usages.append("clientAuth")
    if not usages:
        raise ValueError(f"certificate {spec.name!r} has no usage")
    lines = [
        "[v3_leaf]",
        "basicConstraints = critical,CA:FALSE",
        "keyUsage = critical,digitalSignature",
        f"extendedKeyUsage = {','.join(usages)}",
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid",
    ]
    sans = subject_alt_names(spec)
    if sans:
        lines.append(f"subjectAltName = {sans}")
    return "\n".join(lines) + "\n"


def ca_command(openssl: str, pki: Pki, common_name: str) -> list[str]:
    return [
        openssl, "req", "-x509", "-new", "-nodes",
        *TLS_KEY,
        "-keyout", str(pki.ca_key), "-out", str(pki.ca_cert),
        "-days", str(CA_DAYS), "-sha256",
        "-subj", f"/CN={common_name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ]  # fmt: skip


def csr_command(openssl: str, pki: Pki, spec: CertSpec, csr: Path) -> list[str]:
    return [
        openssl, "req", "-new", "-nodes",
        *TLS_KEY,
        "-keyout", str(pki.key(spec.name)), "-out", str(csr),
        "-subj", spec.subject,
    ]  # fmt: skip


def sign_command(openssl: str, pki: Pki, spec: CertSpec, csr: Path, extfile: Path, serial: int) -> list[str]:
    return [
        openssl, "x509", "-req", "-in", str(csr),
        "-CA", str(pki.ca_cert), "-CAkey", str(pki.ca_key),
        "-set_serial", str(serial),
        "-days", str(LEAF_DAYS), "-sha256",
        "-extfile", str(extfile), "-extensions", "v3_leaf",
        "-out", str(pki.cert(spec.name)),
    ]  # fmt: skip


def sa_key_commands(openssl: str, pki: Pki) -> list[list[str]]:
    return [
        [
            openssl, "genpkey", "-algorithm", "RSA",
            "-pkeyopt", f"rsa_keygen_bits:{SA_KEY_BITS}", "-out", str(pki.sa_key),
        ],
        [openssl, "pkey", "-in", str(pki.sa_key), "-pubout", "-out", str(pki.sa_pub)],
    ]  # fmt: skip


def _run(argv: Sequence[str]) -> None:
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=60)
    except subprocess.TimeoutExpired as exc:
        raise ControlPlaneError(f"openssl did not finish in 60s: {' '.join(argv[:3])}") from exc
    if result.returncode != 0:
        raise ControlPlaneError(f"openssl failed ({' '.join(argv[:3])} ...): {result.stderr.strip()}")


def openssl_binary(openssl: str | None) -> str:
    binary = openssl or shutil.which("openssl")
    if binary is None:
        raise ControlPlaneError("the openssl CLI is needed to create certificates")
    return binary


def _new_ca(directory: Path, binary: str, common_name: str, leaves: tuple[str, ...]) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    pki = Pki(directory, leaves)
    _run(ca_command(binary, pki, common_name))
    return pki


def issue_leaf(binary: str, pki: Pki, spec: CertSpec) -> None:
    """Key, CSR and a certificate signed by `pki`'s CA for `spec`."""
    csr = pki.directory / f"{spec.name}.csr"
    extfile = pki.directory / f"{spec.name}.ext"
    extfile.write_text(extension_config(spec))
    _run(csr_command(binary, pki, spec, csr))
    _run(sign_command(binary, pki, spec, csr, extfile, secrets.randbits(63) + 1))
    csr.unlink()
    extfile.unlink()
    pki.key(spec.name).chmod(0o600)


def generate_pki(directory: Path, service_ip: str, openssl: str | None = None, extra_ips: tuple[str, ...] = ()) -> Pki:
    """Create the CA, the leaf certificates and the ServiceAccount signing key in `directory`; `extra_ips` are more
    addresses the API server is reached at."""
    binary = openssl_binary(openssl)
    pki = _new_ca(directory, binary, "vault-k8s-local-ca", Pki(directory).leaves)
    for spec in cluster_specs(service_ip, extra_ips):
        issue_leaf(binary, pki, spec)
    for argv in sa_key_commands(binary, pki):
        _run(argv)
    for key in directory.glob("*.key"):
        key.chmod(0o600)
    return pki


def generate_serving(
    directory: Path, common_name: str, ips: tuple[str, ...] = ("127.0.0.1",), openssl: str | None = None
) -> Pki:
    """A private CA and one serving certificate `tls` for `ips` (a webhook on loopback)."""
    binary = openssl_binary(openssl)
    pki = _new_ca(directory, binary, f"{common_name} CA", ("tls",))
    issue_leaf(binary, pki, CertSpec("tls", f"/CN={common_name}", server=True, ips=ips))
    pki.ca_key.chmod(0o600)
    return pki
