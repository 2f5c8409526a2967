from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from localenv.controlplane.certs import (
    APISERVER_DNS,
    CertSpec,
    Pki,
    cluster_specs,
    extended_key_usage,
    generate_pki,
    generate_serving,
    subject_alt_names,
    subject_name,
)


def test_apiserver_spec_has_required_sans() -> None:
    spec = {s.name: s for s in cluster_specs("10.0.0.1")}["apiserver"]
    sans = subject_alt_names(spec)
    assert sans is not None
    for name in ("localhost", "kubernetes.default.svc"):
        assert name in sans.get_values_for_type(x509.DNSName)
    ips = sans.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("127.0.0.1") in ips and ipaddress.ip_address("10.0.0.1") in ips
    assert spec.server


def test_client_subjects() -> None:
    specs = {s.name: s for s in cluster_specs("10.0.0.1")}
    assert specs["admin"].subject == "/O=system:masters/CN=kubernetes-admin"
    assert specs["admin"].client and not specs["admin"].server
    assert specs["controller-manager"].subject == "/CN=system:kube-controller-manager"
    assert subject_name(specs["admin"].subject).rfc4514_string() == "CN=kubernetes-admin,O=system:masters"


def test_usages_and_sans() -> None:
    both = CertSpec("x", "/CN=x", server=True, client=True, dns=("a",))
    assert list(extended_key_usage(both)) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    sans = subject_alt_names(both)
    assert sans is not None and sans.get_values_for_type(x509.DNSName) == ["a"]
    assert subject_alt_names(CertSpec("c", "/CN=c", client=True)) is None


def test_no_usage_bad_ip_and_bad_subject_are_refused() -> None:
    with pytest.raises(ValueError):
        extended_key_usage(CertSpec("x", "/CN=x"))
    with pytest.raises(ValueError):
        subject_alt_names(CertSpec("x", "/CN=x", server=True, ips=("not-an-ip",)))
    with pytest.raises(ValueError):
        subject_name("/OU=unknown")


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _key(path: Path) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    data = path.read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    assert isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey))
    # Unencrypted PKCS#8, as the components read it: the file is exactly that encoding of the key.
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert data == pkcs8
    return key


def test_generate_pki(tmp_path: Path) -> None:
    pki = generate_pki(tmp_path / "pki", "10.0.0.1")
    assert isinstance(pki, Pki) and pki.complete()
    ca = _cert(pki.ca_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    for leaf in pki.leaves:
        cert = _cert(pki.cert(leaf))
        cert.verify_directly_issued_by(ca)
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert (pki.key(leaf).stat().st_mode & 0o777) == 0o600
        key = _key(pki.key(leaf))
        assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
        assert key.public_key() == cert.public_key()
    apiserver = _cert(pki.cert("apiserver"))
    sans = apiserver.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(APISERVER_DNS) <= set(sans.get_values_for_type(x509.DNSName))
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    usage = apiserver.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    admin = _cert(pki.cert("admin"))
    assert admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    assert list(admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    sa_key = _key(pki.sa_key)
    assert isinstance(sa_key, rsa.RSAPrivateKey) and sa_key.key_size == 2048
    assert (pki.sa_key.stat().st_mode & 0o777) == 0o600
    sa_pub = serialization.load_pem_public_key(pki.sa_pub.read_bytes())
    assert sa_pub == sa_key.public_key()
    assert sorted(p.name for p in pki.directory.iterdir()) == sorted(
        ["ca.crt", "ca.key", "sa.key", "sa.pub", *(f"{leaf}.{ext}" for leaf in pki.leaves for ext in ("crt", "key"))]
    )


def test_generate_serving_is_a_private_ca_and_one_serving_certificate(tmp_path: Path) -> None:
    pki = generate_serving(tmp_path / "tls", "webhook", ("127.0.0.1",))
    cert, ca = _cert(pki.cert("tls")), _cert(pki.ca_cert)
    cert.verify_directly_issued_by(ca)
    assert cert.subject.rfc4514_string() == "CN=webhook" and ca.subject.rfc4514_string() == "CN=webhook CA"
    assert (pki.ca_key.stat().st_mode & 0o777) == 0o600
