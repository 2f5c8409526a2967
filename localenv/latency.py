"""Secret-change-to-delivery latency: change a value in Vault, time until the workload's view shows it.

Changes are spaced by stratified random offsets over one configured interval (the delivery mechanism's own
refresh or render interval), so they land evenly across its cycle instead of right after each refresh,
which would measure the worst case every time.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


class DeliveryTimeout(RuntimeError):
    """A change was not delivered within the allowed time."""


@dataclass(frozen=True)
class Change:
    index: int
    offset: float
    """Seconds waited after the previous delivery before this change."""
    put_at: float
    """Monotonic time when Vault acknowledged the new version."""
    seen_at: float
    """Monotonic time of the first poll that saw it delivered."""

    @property
    def latency(self) -> float:
        return self.seen_at - self.put_at


def stratified_offsets(count: int, interval: float, rng: random.Random) -> list[float]:
    """One random offset in each of `count` equal slices of [0, interval), in random order."""
    width = interval / count
    offsets = [width * (i + rng.random()) for i in range(count)]
    rng.shuffle(offsets)
    return offsets


def measure_changes(
    count: int,
    interval: float,
    put: Callable[[int], Any],
    delivered: Callable[[Any], bool],
    *,
    timeout: float,
    poll: float = 0.25,
    rng: random.Random | None = None,
    after_each: Callable[[Change], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Change]:
    """`put(i)` writes change i and returns what the workload should then see; `delivered(expected)` polls it."""

    def polled(index: int, expected: Any, put_at: float) -> float:
        while not delivered(expected):
            if clock() - put_at > timeout:
                raise DeliveryTimeout(f"change {index} not delivered within {timeout:.0f}s")
            sleep(poll)
        return clock()

    return measure_watched(count, interval, put, polled, rng=rng, after_each=after_each, sleep=sleep, clock=clock)


def measure_watched(
    count: int,
    interval: float,
    put: Callable[[int], Any],
    seen: Callable[[int, Any, float], float],
    *,
    rng: random.Random | None = None,
    after_each: Callable[[Change], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Change]:
    """`seen(i, expected, put_at)` returns the time the workload's view first showed change i (a watcher's arrival
    time, not a poll's), or raises DeliveryTimeout."""
    changes = []
    for index, offset in enumerate(stratified_offsets(count, interval, rng or random.Random())):
        sleep(offset)
        expected = put(index)
        put_at = clock()
        change = Change(index, offset, put_at, seen(index, expected, put_at))
        changes.append(change)
        if after_each is not None:
            after_each(change)
    return changes


def summary(changes: Sequence[Change], interval: float) -> dict[str, Any]:
    latencies = [c.latency for c in changes]
    return {
        "configured_interval_s": interval,
        "changes": len(latencies),
        "p50_s": round(statistics.median(latencies), 2),
        "max_s": round(max(latencies), 2),
        "min_s": round(min(latencies), 2),
        "samples_s": [round(v, 2) for v in latencies],
        "offsets_s": [round(c.offset, 2) for c in changes],
    }
