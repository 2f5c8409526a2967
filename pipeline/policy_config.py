"""Turn a stack's `vault-k8s:production` flag into a policy-pack config file.

Usage: pulumi config --json --stack S | python -m pipeline.policy_config -

Production stacks get every policy mandatory, all others advisory. The flag is
read from stack config only, never guessed from the stack's name.
"""

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any, Final

from policy.pack import POLICY_NAMES, PRODUCTION_KEY

MANDATORY: Final = "mandatory"
ADVISORY: Final = "advisory"


class ConfigError(ValueError):
    """The production flag is present but not a boolean."""


def production_flag(stack_config: Mapping[str, Any]) -> bool:
    """The flag from `pulumi config --json` output; absent means false."""
    entry = stack_config.get(PRODUCTION_KEY)
    if entry is None:
        return False
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{PRODUCTION_KEY} has an unexpected shape: {entry!r}")
    if isinstance(entry.get("objectValue"), bool):
        return bool(entry["objectValue"])
    value = entry.get("value")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(f"{PRODUCTION_KEY} must be true or false, got {value!r}")


def pack_config(production: bool) -> dict[str, str]:
    """Every policy named explicitly as well as "all", so no CLI version can miss one."""
    level = MANDATORY if production else ADVISORY
    return {"all": level} | {name: level for name in POLICY_NAMES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.policy_config", description=__doc__)
    parser.add_argument("stack_config", help="output of `pulumi config --json`, or - for stdin")
    args = parser.parse_args(argv)
    try:
        if args.stack_config == "-":
            stack_config = json.load(sys.stdin)
        else:
            with open(args.stack_config, encoding="utf-8") as handle:
                stack_config = json.load(handle)
        if not isinstance(stack_config, dict):
            raise ConfigError("stack config is not a JSON object")
        production = production_flag(stack_config)
    except (OSError, json.JSONDecodeError, ConfigError) as err:
        print(f"policy_config: {err}", file=sys.stderr)
        return 2
    level = MANDATORY if production else ADVISORY
    print(f"policy_config: {PRODUCTION_KEY}={str(production).lower()}, policies are {level}", file=sys.stderr)
    json.dump(pack_config(production), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
