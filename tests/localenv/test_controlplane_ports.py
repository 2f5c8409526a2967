from __future__ import annotations

import random
import socket
from pathlib import Path

import pytest

from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.ports import (
    candidate_range,
    ephemeral_range,
    pick_ports,
    port_is_free,
)


def test_pick_ports_distinct_and_outside_ephemeral() -> None:
    picked = pick_ports(6, ephemeral=(32768, 60999))
    assert len(set(picked)) == 6
    assert all(1024 < p < 32768 for p in picked)


def test_pick_ports_consecutive_blocks_do_not_overlap() -> None:
    free = set(range(20000, 20010))
    picked = pick_ports(
        3,
        consecutive=2,
        is_free=lambda p: p in free,
        rng=random.Random(1),
        ephemeral=(32768, 60999),
        attempts=100000,
    )
    blocks = [{p, p + 1} for p in picked]
    assert all(b <= free for b in blocks)
    assert len(set().union(*blocks)) == 6


def test_pick_ports_respects_exclude_and_fails_clearly() -> None:
    with pytest.raises(ControlPlaneError, match="free loopback ports"):
        pick_ports(1, is_free=lambda p: False, attempts=20)
    picked = pick_ports(
        1,
        exclude=[20000],
        is_free=lambda p: p in (20000, 20001),
        ephemeral=(32768, 60999),
        attempts=100000,
    )
    assert picked == [20001]


def test_candidate_range_stays_below_ephemeral() -> None:
    assert candidate_range((32768, 60999)) == (20000, 32000)
    low, high = candidate_range((25000, 60999))
    assert high == 25000
    low, high = candidate_range((15000, 60999))
    assert high <= 15000 and low < high


def test_ephemeral_range_file(tmp_path: Path) -> None:
    f = tmp_path / "range"
    f.write_text("40000\t50000\n")
    assert ephemeral_range(f) == (40000, 50000)
    assert ephemeral_range(tmp_path / "missing") == (32768, 60999)


def test_port_is_free_detects_listener() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert not port_is_free(s.getsockname()[1])
