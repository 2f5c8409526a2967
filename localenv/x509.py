"""Certificates and private keys read with the `cryptography` package: serial, name, validity, whether they pair
up, and who issued them. Input that is not PEM of the expected kind raises ValueError."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CertInfo:
    serial: str
    """As `normalize_serial` spells every serial."""
    common_name: str
    not_before: datetime.datetime
    not_after: datetime.datetime

    def remaining(self, now: datetime.datetime | None = None) -> float:
        """Seconds until the certificate expires (negative once it has)."""
        return (self.not_after - (now or utcnow())).total_seconds()


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def normalize_serial(serial: str) -> str:
    """One spelling for Vault's `0d:bb:...`/`0d-bb-...` and hex `0DBB...`: whole bytes in lowercase hex."""
    digits = serial.replace(":", "").replace("-", "").strip().lower().lstrip("0") or "0"
    return digits if len(digits) % 2 == 0 else "0" + digits


def vault_serial(serial: str) -> str:
    """The spelling Vault's `<mount>/cert/<serial>` takes."""
    digits = normalize_serial(serial)
    return "-".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def first_certificate(pem: str) -> x509.Certificate:
    """The first certificate in `pem` (a leaf followed by its chain reads as the leaf)."""
    return x509.load_pem_x509_certificates(pem.encode())[0]


def private_key(pem: str) -> PrivateKeyTypes:
    """An unencrypted private key, PKCS#1 or PKCS#8."""
    return serialization.load_pem_private_key(pem.encode(), password=None)


def cert_info(pem: str) -> CertInfo:
    cert = first_certificate(pem)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return CertInfo(
        serial=normalize_serial(format(cert.serial_number, "x")),
        common_name=str(names[0].value) if names else "",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _public_der(key: x509.Certificate | PrivateKeyTypes) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert_pem: str, key_pem: str) -> bool:
    """Whether the private key belongs to the (first) certificate: their public keys are the same."""
    return _public_der(first_certificate(cert_pem)) == _public_der(private_key(key_pem))


def issued_by(cert_pem: str, ca_pem: str) -> bool:
    """Whether the (first) certificate is signed by the CA certificate and names it as its issuer."""
    try:
        first_certificate(cert_pem).verify_directly_issued_by(first_certificate(ca_pem))
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_count(pem: str) -> int:
    return pem.count("-----BEGIN CERTIFICATE-----")
