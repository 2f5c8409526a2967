"""Vault/Go style durations ("20m", "86400h", "1h30m", "45") to whole seconds."""

import re

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+)([smhd])")


def parse_duration(text: str | int) -> int:
    """Return the duration in whole seconds; raise ValueError naming the bad text."""
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"duration must not be negative: {text}")
        return text
    value = text.strip()
    if value.isdigit():
        return int(value)
    parts = _PART.findall(value)
    if not value or not parts or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"not a duration: {text!r} (use e.g. 60s, 20m, 86400h)")
    return sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def as_duration_text(value: str | int) -> str:
    """A duration as Vault and the agents read it: text kept, bare numbers in seconds."""
    return value if isinstance(value, str) else f"{value}s"
