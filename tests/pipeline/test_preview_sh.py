"""pipeline/preview.sh against a stand-in `pulumi` that replays recorded output."""

import json
import subprocess
from pathlib import Path

from tests.pipeline import FIXTURES, ROOT, run_script


def preview(env: dict[str, str], stack: str = "dev") -> subprocess.CompletedProcess[str]:
    return run_script("preview.sh", env, stack)


def out_file(env: dict[str, str], name: str) -> Path:
    return Path(env["PREVIEW_OUT_DIR"]) / name


def test_runs_preview_with_the_pack_and_prints_the_summary(env: dict[str, str]) -> None:
    result = preview(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("### Pulumi preview: `dev`")
    assert "vault-address-https" in result.stdout
    calls = Path(env["FAKE_LOG"]).read_text().splitlines()
    assert calls[0] == f"config --json --stack dev --cwd {ROOT}"
    assert calls[1] == (
        f"preview --cwd {ROOT} --stack dev --json --non-interactive --policy-pack {ROOT}/policy "
        f"--policy-pack-config {out_file(env, 'policy-config.json')} --event-log {out_file(env, 'events.jsonl')}"
    )
    assert set(json.loads(out_file(env, "policy-config.json").read_text()).values()) == {"advisory"}
    assert out_file(env, "summary.md").read_text() == result.stdout


def test_production_flag_makes_policies_mandatory(env: dict[str, str]) -> None:
    Path(env["FAKE_CONFIG"]).write_text(json.dumps({"vault-k8s:production": {"value": "true", "secret": False}}))
    result = preview(env, "prod")
    assert result.returncode == 0, result.stderr
    assert set(json.loads(out_file(env, "policy-config.json").read_text()).values()) == {"mandatory"}


def test_data_loss_fails_unless_allowed(env: dict[str, str]) -> None:
    env["FAKE_PREVIEW"] = str(FIXTURES / "kv_replace.json")
    result = preview(env)
    assert result.returncode == 1
    assert "preview plans data loss that is not allowed" in result.stderr
    env["ALLOW_DATA_LOSS"] = "kv-for-injection-mount"
    assert preview(env).returncode == 0


def test_failed_preview_still_summarises_and_fails(env: dict[str, str]) -> None:
    env["FAKE_PREVIEW_RC"] = "255"
    result = preview(env)
    assert result.returncode == 255
    assert "pulumi preview failed (exit 255)" in result.stderr
    assert out_file(env, "summary.md").exists()


def test_unreadable_stack_config_stops_before_preview(env: dict[str, str]) -> None:
    env["FAKE_CONFIG_FAILS"] = "1"
    result = preview(env)
    assert result.returncode == 255
    assert "preview" not in Path(env["FAKE_LOG"]).read_text().split()
