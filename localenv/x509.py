"""Certificates and private keys read with the openssl CLI: serial, name, validity, and whether they pair up."""

from __future__ import annotations

import datetime
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass


class OpensslError(RuntimeError):
    """openssl refused its input; the message carries its stderr."""


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


def openssl(args: Sequence[str], data: str, timeout: float = 30.0) -> str:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise OpensslError(f"openssl {' '.join(args[:2])}: {done.stderr.strip()[:300]}")
    return done.stdout


def normalize_serial(serial: str) -> str:
    """One spelling for Vault's `0d:bb:...`/`0d-bb-...` and openssl's `0DBB...`: whole bytes in lowercase hex."""
    digits = serial.replace(":", "").replace("-", "").strip().lower().lstrip("0") or "0"
    return digits if len(digits) % 2 == 0 else "0" + digits


def vault_serial(serial: str) -> str:
    """The spelling Vault's `<mount>/cert/<serial>` takes."""
    digits = normalize_serial(serial)
    return "-".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _parse_date(value: str) -> datetime.datetime:
    # `-dateopt iso_8601` prints e.g. "2026-11-28 23:25:16Z".
    return datetime.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%SZ").replace(tzinfo=datetime.UTC)


def parse_x509_fields(text: str) -> CertInfo:
    """The output of `openssl x509 -noout -serial -subject -startdate -enddate -nameopt RFC2253 -dateopt iso_8601`."""
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    subject = fields.get("subject", "")
    common_name = ""
    for part in subject.split(","):
        key, _, value = part.strip().partition("=")
        if key == "CN":
            common_name = value
    return CertInfo(
        serial=normalize_serial(fields["serial"]),
        common_name=common_name,
        not_before=_parse_date(fields["notBefore"]),
        not_after=_parse_date(fields["notAfter"]),
    )


def cert_info(pem: str) -> CertInfo:
    """The first certificate in `pem` (a leaf followed by its chain reads as the leaf)."""
    args = ["x509", "-noout", "-serial", "-subject", "-startdate", "-enddate", "-nameopt", "RFC2253",
            "-dateopt", "iso_8601"]  # fmt: skip
    return parse_x509_fields(openssl(args, pem))


def cert_public_key(pem: str) -> str:
    return openssl(["x509", "-noout", "-pubkey"], pem).strip()


def key_public_key(pem: str) -> str:
    return openssl(["pkey", "-pubout"], pem).strip()


def key_matches(cert_pem: str, key_pem: str) -> bool:
    """Whether the private key belongs to the (first) certificate: their public keys are the same."""
    return cert_public_key(cert_pem) == key_public_key(key_pem)


def certificate_count(pem: str) -> int:
    return pem.count("-----BEGIN CERTIFICATE-----")
