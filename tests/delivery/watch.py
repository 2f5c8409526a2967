"""A background sampler of one delivered certificate: when each new one appeared, and whether its key matched."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass

from localenv.x509 import CertInfo, cert_info, key_matches, utcnow

Source = Callable[[], tuple[str, str] | None]
MISMATCH_GRACE = 2.0


@dataclass(frozen=True)
class Seen:
    at: datetime.datetime
    cert: CertInfo
    key_matches: bool


class CertWatch:
    """Polls `source` (cert PEM, key PEM) every `interval` seconds and records each new serial."""

    def __init__(self, name: str, source: Source, interval: float = 0.2):
        self.name = name
        self.source = source
        self.interval = interval
        self.history: list[Seen] = []
        self.errors: list[str] = []
        self._first_seen: dict[str, datetime.datetime] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{name}", daemon=True)

    def start(self) -> CertWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _sample(self) -> None:
        found = self.source()
        if found is None:
            return
        cert_pem, key_pem = found
        now = utcnow()
        info = cert_info(cert_pem)
        if self.history and self.history[-1].cert.serial == info.serial:
            return
        first = self._first_seen.setdefault(info.serial, now)
        matches = key_matches(cert_pem, key_pem)
        # The cert and the key are two writes: a mismatch counts only if it outlasts the moment between them.
        if matches or (now - first).total_seconds() >= MISMATCH_GRACE:
            self.history.append(Seen(first, info, matches))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sample()
            except (OSError, KeyError, ValueError) as exc:
                # A file caught mid-write or a Secret mid-update: the next sample sees it whole.
                self.errors.append(f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # noqa: BLE001 - a sampler must not die silently
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self._stop.wait(self.interval)

    def rotations(self) -> list[tuple[Seen, Seen]]:
        return list(zip(self.history, self.history[1:], strict=False))
