"""A private CA and a serving certificate for 127.0.0.1 for the injector's webhook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localenv.controlplane.certs import Pki, generate_serving

LEAF = "tls"


@dataclass(frozen=True)
class ServingTls:
    directory: Path

    @property
    def pki(self) -> Pki:
        return Pki(self.directory, (LEAF,))

    @property
    def ca_cert(self) -> Path:
        return self.pki.ca_cert

    @property
    def cert(self) -> Path:
        return self.pki.cert(LEAF)

    @property
    def key(self) -> Path:
        return self.pki.key(LEAF)

    def exists(self) -> bool:
        return all(p.is_file() for p in (self.ca_cert, self.cert, self.key))


def generate(directory: Path, common_name: str, ip: str = "127.0.0.1") -> ServingTls:
    """A CA (its key stays here) that signs a serving certificate with the SAN IP `ip`."""
    generate_serving(directory, common_name, (ip,))
    return ServingTls(directory)
