"""Plain-data helpers shared by the rule modules.

Rules work on plain dicts and lists. During preview some inputs are not known
yet; those become `UNKNOWN`, and a rule that meets one says nothing about it.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)


class _Unknown:
    """Marker for a value that preview cannot know."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()

_SENTINELS: Final = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


def is_unknown(value: object) -> bool:
    """True for `UNKNOWN` and for the engine's raw unknown sentinels."""
    return value is UNKNOWN or (isinstance(value, str) and value in _SENTINELS)


def unwrap(value: object) -> Any:
    """Copy policy-SDK props (which raise on unknowns) into plain dicts and lists."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[str(key)] = unwrap(value[key])
            except UnknownValueError:
                out[str(key)] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(unwrap(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return UNKNOWN if is_unknown(value) else value


def get_path(data: object, *keys: str) -> Any:
    """Walk nested dicts; None when a key is missing, UNKNOWN when a step is unknown."""
    current: Any = data
    for key in keys:
        if is_unknown(current):
            return UNKNOWN
        if not isinstance(current, Mapping) or key not in current:
            return None
        current = current[key]
    return UNKNOWN if is_unknown(current) else current


def truthy(value: object) -> bool | None:
    """A boolean, also when spelt as a string (Go's ParseBool forms); None if unknown or unset."""
    if value is None or is_unknown(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "t", "1"):
            return True
        if lowered in ("false", "f", "0"):
            return False
    return None


def as_str_list(value: object) -> list[object] | None:
    """A list as given, or None when unset or unknown (elements may still be UNKNOWN)."""
    if value is None or is_unknown(value) or not isinstance(value, list):
        return None
    return value


def https_violations(label: str, value: object) -> list[str]:
    """One message when a known address is not https; unset or unknown addresses pass."""
    if not isinstance(value, str) or is_unknown(value):
        return []
    if value.strip().lower().startswith("https://"):
        return []
    return [f'{label} "{value}" is not https']
