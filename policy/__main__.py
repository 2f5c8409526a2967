"""Entry point the Pulumi CLI runs (via `python -m pulumi.policy <engine> .` in this directory)."""

import os
import sys
from pathlib import Path

# The CLI runs this file from inside policy/, so the repository root is not importable yet.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from pulumi_policy import PolicyPack  # noqa: E402

from policy.pack import PACK_NAME, POLICIES, default_enforcement  # noqa: E402
from policy.production import ProductionFlagError  # noqa: E402

try:
    enforcement_level = default_enforcement(os.environ.get("PULUMI_CONFIG"))
except ProductionFlagError as error:
    # The message alone, not a traceback: the pack does not start, so the preview fails naming the key.
    sys.exit(f"policy pack {PACK_NAME}: {error}")

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=enforcement_level)
