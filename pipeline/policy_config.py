"""Turn a stack's `vault-k8s:production` flag into a policy-pack config file.

Usage: pulumi config --json --stack S | python -m pipeline.policy_config -

Production stacks get every policy mandatory, all others advisory. The flag is
read from stack config only, never guessed from the stack's name, and by the same
reader as the policy pack's own default (policy.production).
"""

import argparse
import json
import sys
from typing import Final

from policy.pack import POLICY_NAMES
from policy.production import PRODUCTION_KEY, ProductionFlagError, production_flag

MANDATORY: Final = "mandatory"
ADVISORY: Final = "advisory"


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
            source, text = "the stack config on stdin", sys.stdin.read()
        else:
            with open(args.stack_config, encoding="utf-8") as handle:
                source, text = args.stack_config, handle.read()
        production = production_flag(text, source)
    except (OSError, ProductionFlagError) as err:
        print(f"policy_config: {err}", file=sys.stderr)
        return 2
    level = MANDATORY if production else ADVISORY
    print(f"policy_config: {PRODUCTION_KEY}={str(production).lower()}, policies are {level}", file=sys.stderr)
    json.dump(pack_config(production), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
