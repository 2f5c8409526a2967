"""A throwaway PKI for the local cluster, made with the `cryptography` package."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# P-256 for the TLS certificates keeps generation fast; the ServiceAccount key must be RSA.
TLS_CURVE = ec.SECP256R1()
SA_KEY_BITS = 2048
CA_DAYS = 3650
LEAF_DAYS = 825
NAME_OIDS = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME}


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


def subject_name(subject: str) -> x509.Name:
    """`/O=system:masters/CN=kubernetes-admin` (openssl's -subj spelling, attributes in that order) as a Name."""
    attributes = []
    for part in subject.strip("/").split("/"):
        key, _, value = part.partition("=")
        if key not in NAME_OIDS or not value:
            raise ValueError(f"subject part {part!r} is not one of {sorted(NAME_OIDS)}=value")
        attributes.append(x509.NameAttribute(NAME_OIDS[key], value))
    return x509.Name(attributes)


def subject_alt_names(spec: CertSpec) -> x509.SubjectAlternativeName | None:
    """The DNS names and IP addresses of `spec`, or None without any; a bad IP raises ValueError."""
    entries: list[x509.GeneralName] = [x509.DNSName(d) for d in spec.dns]
    entries += [x509.IPAddress(ip_address(i)) for i in spec.ips]
    return x509.SubjectAlternativeName(entries) if entries else None


def extended_key_usage(spec: CertSpec) -> x509.ExtendedKeyUsage:
    usages = []
    if spec.server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if spec.client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    if not usages:
        raise ValueError(f"certificate {spec.name!r} has no usage")
    return x509.ExtendedKeyUsage(usages)


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=signing, crl_sign=signing, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    """PKCS#8 PEM, as `openssl req -nodes` and `genpkey` write it, created readable by the owner only."""
    path.unlink(missing_ok=True)
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        f.write(data)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _new_ca(directory: Path, common_name: str, leaves: tuple[str, ...]) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    pki = Pki(directory, leaves)
    key = ec.generate_private_key(TLS_CURVE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        _builder(name, name, key.public_key(), CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_key(pki.ca_key, key)
    _write_cert(pki.ca_cert, cert)
    return pki


def issue_leaf(pki: Pki, spec: CertSpec) -> None:
    """A key and a certificate signed by `pki`'s CA for `spec`."""
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{pki.ca_key}: expected an EC key")
    key = ec.generate_private_key(TLS_CURVE)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        _builder(subject_name(spec.subject), ca_cert.subject, key.public_key(), LEAF_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(extended_key_usage(spec), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
    )
    sans = subject_alt_names(spec)
    if sans is not None:
        builder = builder.add_extension(sans, critical=False)
    _write_key(pki.key(spec.name), key)
    _write_cert(pki.cert(spec.name), builder.sign(ca_key, hashes.SHA256()))


def generate_pki(directory: Path, service_ip: str, extra_ips: tuple[str, ...] = ()) -> Pki:
    """Create the CA, the leaf certificates and the ServiceAccount signing key in `directory`; `extra_ips` are more
    addresses the API server is reached at."""
    pki = _new_ca(directory, "vault-k8s-local-ca", Pki(directory).leaves)
    for spec in cluster_specs(service_ip, extra_ips):
        issue_leaf(pki, spec)
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=SA_KEY_BITS)
    _write_key(pki.sa_key, sa_key)
    pki.sa_pub.write_bytes(
        sa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return pki


def generate_serving(directory: Path, common_name: str, ips: tuple[str, ...] = ("127.0.0.1",)) -> Pki:
    """A private CA and one serving certificate `tls` for `ips` (a webhook on loopback)."""
    pki = _new_ca(directory, f"{common_name} CA", ("tls",))
    issue_leaf(pki, CertSpec("tls", f"/CN={common_name}", server=True, ips=ips))
    return pki
