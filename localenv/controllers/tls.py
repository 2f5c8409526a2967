"""A private CA and a serving certificate for 127.0.0.1, made with the openssl CLI, for the injector's webhook."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

DAYS = "30"


@dataclass(frozen=True)
class ServingTls:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def cert(self) -> Path:
        return self.directory / "tls.crt"

    @property
    def key(self) -> Path:
        return self.directory / "tls.key"

    def exists(self) -> bool:
        return all(p.is_file() for p in (self.ca_cert, self.cert, self.key))


def _openssl(*args: str) -> None:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip()[:500]}")


def generate(directory: Path, common_name: str, ip: str = "127.0.0.1") -> ServingTls:
    """A CA (its key stays here) that signs a serving certificate with the SAN IP `ip`."""
    tls = ServingTls(directory)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tls.ca_key), "-out", str(tls.ca_cert),
             "-days", DAYS, "-subj", f"/CN={common_name} CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    csr = directory / "tls.csr"
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tls.key), "-out", str(csr),
             "-subj", f"/CN={common_name}")  # fmt: skip
    extensions = directory / "tls.ext"
    extensions.write_text(
        f"subjectAltName=IP:{ip}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
    )
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(tls.ca_cert), "-CAkey", str(tls.ca_key),
             "-CAcreateserial", "-out", str(tls.cert), "-days", DAYS, "-extfile", str(extensions))  # fmt: skip
    for path in (tls.ca_key, tls.key):
        path.chmod(0o600)
    csr.unlink()
    return tls
