"""A stand-in `pulumi` that replays recorded output, for pipeline/preview.sh and pipeline/up.sh; no allow list
from the caller's environment."""

import json
import os
import sys
from pathlib import Path

import pytest

from tests.pipeline import FIXTURES

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


@pytest.fixture(autouse=True)
def no_ambient_allow(monkeypatch: pytest.MonkeyPatch) -> None:
    """An ALLOW_DATA_LOSS of the shell that runs the tests would let blocked changes pass."""
    monkeypatch.delenv("ALLOW_DATA_LOSS", raising=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(FAKE_PULUMI)
    fake.chmod(0o755)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"vault-k8s:vault": {"value": "{}", "secret": False}}))
    return dict(os.environ) | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHON": sys.executable,
        # The scripts run Python in the checkout: no __pycache__ left in its folders.
        "PYTHONDONTWRITEBYTECODE": "1",
        "PREVIEW_OUT_DIR": str(tmp_path / "out"),
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "FAKE_CONFIG": str(config),
        "FAKE_EVENTS": str(FIXTURES / "policy_events.jsonl"),
        "FAKE_PREVIEW": str(FIXTURES / "noop.json"),
    }
