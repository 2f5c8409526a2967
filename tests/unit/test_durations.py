"""Vault/Go style durations to whole seconds."""

from __future__ import annotations

import pytest

from stackconfig.durations import as_duration_text, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("86400h", 311_040_000),  # the tutorial's root CA ttl
        ("1h30m", 5400),
        ("20m", 1200),  # the tutorial's auth role ttl
        ("60s", 60),
        ("86400s", 86400),
        ("3600s", 3600),
        ("10s", 10),
        ("1d", 86400),
        ("1d2h3m4s", 93784),
        ("45", 45),
        ("0", 0),
        (" 30s ", 30),
        (45, 45),
        (0, 0),
    ],
)
def test_parses(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["20 minutes", "", "   ", "5x", "-1", "-1s", "1.5h", "10ms", "h", "m5", "5m 3s", "1h-30m", "s10"],
)
def test_rejects_text(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"not a duration: {text!r} (use e.g. 60s, 20m, 86400h)"


@pytest.mark.parametrize("flag", [True, False])
def test_rejects_booleans(flag: bool) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(flag)
    assert str(caught.value) == f"not a duration: {flag!r}"


def test_rejects_negative_numbers() -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(-1)
    assert str(caught.value) == "duration must not be negative: -1"


@pytest.mark.parametrize(
    ("value", "text"), [("10s", "10s"), ("86400h", "86400h"), ("45", "45"), (30, "30s"), (0, "0s")]
)
def test_as_duration_text(value: str | int, text: str) -> None:
    assert as_duration_text(value) == text
