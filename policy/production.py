"""The `vault-k8s:production` flag, read once for the policy pack (from PULUMI_CONFIG) and the pipeline (from
`pulumi config --json`), the way the program reads it. A value the program would refuse is refused here too, with
a message naming the key, never taken as "not production".

Only the standard library: the pack runs with policy/requirements.txt alone, so pydantic's bool rules are
written out here."""

import json
from collections.abc import Mapping
from typing import Final

PRODUCTION_KEY: Final = "vault-k8s:production"
# The strings pydantic reads as a bool (any case, not padded), and nothing else.
_TRUE: Final = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE: Final = frozenset({"0", "off", "f", "false", "n", "no"})


class ProductionFlagError(ValueError):
    """The flag, or the config it is read from, is not something the program would take; says which key."""


def _as_bool(value: object) -> bool | None:
    """Pydantic's lax bool: a bool, 0 or 1, or one of its strings; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    return None


def parse_production(value: object) -> bool:
    """One value of the flag. Pulumi hands the program config as text, which it JSON-decodes (Config.get_object)
    and validates as a bool, so text is decoded first: `true` and `1` are production, `yes` and `True` are not JSON
    and are refused. A value that is not text is taken as already decoded. Unset (None, or JSON null) is not
    production."""
    decoded = value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            raise ProductionFlagError(f"{PRODUCTION_KEY} must be true or false, got {value!r} (not JSON)") from None
    if decoded is None:
        return False
    flag = _as_bool(decoded)
    if flag is None:
        raise ProductionFlagError(f"{PRODUCTION_KEY} must be true or false, got {value!r}")
    return flag


def _entry_value(entry: object) -> object:
    """The value of one config entry: PULUMI_CONFIG maps a key to its value, `pulumi config --json` to an object
    with `value` (the text the program gets) and, for structured values, `objectValue`."""
    if not isinstance(entry, Mapping):
        return entry
    if "value" in entry:
        return entry["value"]
    if "objectValue" in entry:
        return entry["objectValue"]
    if entry.get("secret"):
        raise ProductionFlagError(f"{PRODUCTION_KEY} is a secret whose value is not shown; set it as plain config")
    raise ProductionFlagError(f"{PRODUCTION_KEY} has no value: {dict(entry)!r}")


def production_flag(config_json: str | None, source: str) -> bool:
    """The flag from a stack's config as JSON text, `source` naming where the text came from. No config at all
    (None: the CLI sets no PULUMI_CONFIG for a pack run without a stack) is not production; text that is not a JSON
    object, empty text too, is refused, since the flag in it cannot be told."""
    if config_json is None:
        return False
    try:
        config = json.loads(config_json)
    except json.JSONDecodeError as error:
        raise ProductionFlagError(f"{source} is not JSON ({error}), so {PRODUCTION_KEY} cannot be read") from None
    if not isinstance(config, dict):
        raise ProductionFlagError(f"{source} is not a JSON object, so {PRODUCTION_KEY} cannot be read")
    return parse_production(_entry_value(config.get(PRODUCTION_KEY)))
