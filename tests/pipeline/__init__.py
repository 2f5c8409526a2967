"""Tests of pipeline/: the preview summary, the data-loss gate, the pack config, and the two scripts against a
stand-in `pulumi` (conftest.py)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def run_script(script: str, env: dict[str, str], stack: str = "dev") -> subprocess.CompletedProcess[str]:
    """`bash pipeline/<script> <stack>`, as the workflow runs it."""
    return subprocess.run(
        ["bash", str(ROOT / "pipeline" / script), stack],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
