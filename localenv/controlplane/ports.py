"""Free loopback ports, picked outside the ephemeral range so outgoing connections cannot take them."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Collection
from pathlib import Path

from .errors import ControlPlaneError

HOST = "127.0.0.1"
DEFAULT_RANGE = (20000, 32000)
_EPHEMERAL_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def ephemeral_range(path: Path = _EPHEMERAL_FILE) -> tuple[int, int]:
    try:
        low, high = path.read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the Go servers: connections in TIME_WAIT do not block a new listener.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def candidate_range(ephemeral: tuple[int, int]) -> tuple[int, int]:
    """DEFAULT_RANGE clipped so it stays below the ephemeral range."""
    low, high = DEFAULT_RANGE
    eph_low, eph_high = ephemeral
    if low < eph_low < high:
        high = eph_low
    if eph_low <= low <= eph_high:
        low, high = 10000, min(eph_low, 20000)
    return low, high


def pick_ports(
    count: int,
    *,
    consecutive: int = 1,
    exclude: Collection[int] = (),
    is_free: Callable[[int], bool] = port_is_free,
    rng: random.Random | None = None,
    ephemeral: tuple[int, int] | None = None,
    attempts: int = 500,
) -> list[int]:
    """Pick `count` distinct ports; each must have `consecutive` free ports starting at it."""
    rand = rng or random.Random()
    low, high = candidate_range(ephemeral or ephemeral_range())
    taken: set[int] = set(exclude)
    chosen: list[int] = []
    for _ in range(attempts):
        if len(chosen) == count:
            break
        port = rand.randrange(low, high - consecutive + 1)
        block = range(port, port + consecutive)
        if any(p in taken for p in block):
            continue
        if all(is_free(p) for p in block):
            chosen.append(port)
            taken.update(block)
    if len(chosen) != count:
        raise ControlPlaneError(f"could not find {count} free loopback ports in {low}-{high}")
    return chosen
