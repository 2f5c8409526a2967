"""A stand-in `pulumi` that replays recorded output, for pipeline/preview.sh and pipeline/up.sh."""

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"

FAKE_PULUMI = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >>"$FAKE_LOG"
case "$1" in
  config)
    [[ -n "${FAKE_CONFIG_FAILS:-}" ]] && { echo "error: no stack named 'x'" >&2; exit 255; }
    cat "$FAKE_CONFIG" ;;
  preview)
    while [[ $# -gt 0 ]]; do
      [[ "$1" == "--event-log" ]] && cp "$FAKE_EVENTS" "$2"
      [[ "$1" == "--save-plan" ]] && echo '{"resourcePlans": {}}' >"$2"
      shift
    done
    cat "$FAKE_PREVIEW"
    exit "${FAKE_PREVIEW_RC:-0}" ;;
  up)
    echo "PULUMI_EXPERIMENTAL=${PULUMI_EXPERIMENTAL:-}" >>"$FAKE_LOG"
    exit "${FAKE_UP_RC:-0}" ;;
  *) exit 64 ;;
esac
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(FAKE_PULUMI)
    fake.chmod(0o755)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"vault-k8s:vault": {"value": "{}", "secret": False}}))
    base = {k: v for k, v in os.environ.items() if k != "ALLOW_DATA_LOSS"}
    return base | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHON": sys.executable,
        "PREVIEW_OUT_DIR": str(tmp_path / "out"),
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "FAKE_CONFIG": str(config),
        "FAKE_EVENTS": str(FIXTURES / "policy_events.jsonl"),
        "FAKE_PREVIEW": str(FIXTURES / "noop.json"),
    }
