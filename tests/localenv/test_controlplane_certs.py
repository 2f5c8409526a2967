from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from localenv.controlplane.certs import (
    APISERVER_DNS,
    CertSpec,
    Pki,
    cluster_specs,
    extension_config,
    generate_pki,
    subject_alt_names,
)

OPENSSL = shutil.which("openssl")


def test_apiserver_spec_has_required_sans() -> None:
    spec = {s.name: s for s in cluster_specs("10.0.0.1")}["apiserver"]
    sans = subject_alt_names(spec)
    for name in ("localhost", "kubernetes.default.svc"):
        assert f"DNS:{name}" in sans
    assert "IP:127.0.0.1" in sans
    assert "IP:10.0.0.1" in sans
    assert spec.server


def test_client_subjects() -> None:
    specs = {s.name: s for s in cluster_specs("10.0.0.1")}
    assert specs["admin"].subject == "/O=system:masters/CN=kubernetes-admin"
    assert specs["admin"].client and not specs["admin"].server
    assert specs["controller-manager"].subject == "/CN=system:kube-controller-manager"


def test_extension_config_usages() -> None:
    text = extension_config(CertSpec("x", "/CN=x", server=True, client=True, dns=("a",)))
    assert text.startswith("[v3_leaf]\n")
    assert "extendedKeyUsage = serverAuth,clientAuth" in text
    assert "subjectAltName = DNS:a" in text
    client_only = extension_config(CertSpec("c", "/CN=c", client=True))
    assert "subjectAltName" not in client_only
    assert "CA:FALSE" in client_only


def test_extension_config_rejects_no_usage_and_bad_ip() -> None:
    with pytest.raises(ValueError):
        extension_config(CertSpec("x", "/CN=x"))
    with pytest.raises(ValueError):
        subject_alt_names(CertSpec("x", "/CN=x", server=True, ips=("not-an-ip",)))


def _text(cert: Path) -> str:
    assert OPENSSL is not None
    return subprocess.run(
        [OPENSSL, "x509", "-in", str(cert), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed")
def test_generate_pki(tmp_path: Path) -> None:
    assert OPENSSL is not None
    pki = generate_pki(tmp_path / "pki", "10.0.0.1")
    assert isinstance(pki, Pki) and pki.complete()
    for leaf in pki.leaves:
        verify = subprocess.run(
            [OPENSSL, "verify", "-CAfile", str(pki.ca_cert), str(pki.cert(leaf))],
            capture_output=True,
            text=True,
            check=False,
        )
        assert verify.returncode == 0, verify.stderr
        assert (pki.key(leaf).stat().st_mode & 0o777) == 0o600
    apiserver = _text(pki.cert("apiserver"))
    for name in APISERVER_DNS:
        assert f"DNS:{name}" in apiserver
    assert "IP Address:127.0.0.1" in apiserver
    assert "TLS Web Server Authentication" in apiserver
    admin = _text(pki.cert("admin"))
    assert "O = system:masters" in admin
    assert "TLS Web Client Authentication" in admin
    assert "CA:TRUE" in _text(pki.ca_cert)
    assert "PRIVATE KEY" in pki.sa_key.read_text()
    assert "PUBLIC KEY" in pki.sa_pub.read_text()
    rsa = subprocess.run(
        [OPENSSL, "pkey", "-in", str(pki.sa_key), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "2048 bit" in rsa
    assert "ASN1 OID: prime256v1" in _key_text(pki.key("admin"))
    assert not list(pki.directory.glob("*.csr"))


def _key_text(key: Path) -> str:
    assert OPENSSL is not None
    return subprocess.run(
        [OPENSSL, "pkey", "-in", str(key), "-noout", "-text"], capture_output=True, text=True, check=True
    ).stdout
