"""The `vault-k8s:production` flag, read the one way the program's config model reads it (pydantic's bool), by
the policy pack (from PULUMI_CONFIG) and by the pipeline (from `pulumi config --json`). A value the program would
refuse is refused here too, never taken as "not production"."""

from typing import Final

PRODUCTION_KEY: Final = "vault-k8s:production"
# The strings pydantic reads as a bool, and nothing else.
_TRUE: Final = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE: Final = frozenset({"0", "off", "f", "false", "n", "no"})


class ProductionFlagError(ValueError):
    """The flag is set to something that is not a boolean."""


def parse_production(value: object) -> bool:
    """Unset is not production; a bool, 0 or 1, or one of pydantic's bool strings (not padded); anything else is
    refused."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise ProductionFlagError(f"{PRODUCTION_KEY} must be true or false, got {value!r}")
