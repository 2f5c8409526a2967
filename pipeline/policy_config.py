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

from policy.pack import POLICY_NAMES
from policy.production import PRODUCTION_KEY, ProductionFlagError, parse_production

MANDATORY: Final = "mandatory"
ADVISORY: Final = "advisory"


class ConfigError(ValueError):
    """The stack config or its production flag cannot be read."""


def production_flag(stack_config: Mapping[str, Any]) -> bool:
    """The flag from `pulumi config --json` output, read as the program reads it; absent means false."""
    entry = stack_config.get(PRODUCTION_KEY)
    if entry is None:
        return False
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{PRODUCTION_KEY} has an unexpected shape: {entry!r}")
    value = entry["objectValue"] if isinstance(entry.get("objectValue"), bool) else entry.get("value")
    if value is None:
        raise ConfigError(f"{PRODUCTION_KEY} has no value: {entry!r}")
    try:
        return parse_production(value)
    except ProductionFlagError as error:
        raise ConfigError(str(error)) from None


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
