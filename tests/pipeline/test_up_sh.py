"""pipeline/up.sh: the push-to-main update applies only what passed the same gate as the pull request."""

import subprocess
from pathlib import Path

from tests.pipeline import FIXTURES, ROOT, run_script


def up(env: dict[str, str], stack: str = "dev") -> subprocess.CompletedProcess[str]:
    return run_script("up.sh", env, stack)


def calls(env: dict[str, str]) -> list[str]:
    return Path(env["FAKE_LOG"]).read_text().splitlines()


def test_a_clean_preview_is_applied_with_its_plan(env: dict[str, str]) -> None:
    result = up(env)
    assert result.returncode == 0, result.stderr
    out = Path(env["PREVIEW_OUT_DIR"])
    log = calls(env)
    preview = next(c for c in log if c.startswith("preview "))
    assert preview.endswith(f"--save-plan {out / 'plan.json'}")
    assert log[-2] == (
        f"up --cwd {ROOT} --stack dev --plan {out / 'plan.json'} --yes --non-interactive --skip-preview "
        f"--policy-pack {ROOT}/policy --policy-pack-config {out / 'policy-config.json'}"
    )
    assert log[-1] == "PULUMI_EXPERIMENTAL=true"


def test_destructive_change_fails_on_main_without_an_allow_line(env: dict[str, str]) -> None:
    env["FAKE_PREVIEW"] = str(FIXTURES / "kv_replace.json")
    result = up(env)
    assert result.returncode == 1
    assert "not applying dev: the preview gate failed (exit 1)" in result.stderr
    assert not any(c.startswith("up ") for c in calls(env))


def test_allowed_destructive_change_is_applied(env: dict[str, str]) -> None:
    env["FAKE_PREVIEW"] = str(FIXTURES / "kv_replace.json")
    env["ALLOW_DATA_LOSS"] = "kv-for-injection-mount"
    assert up(env).returncode == 0
    assert any(c.startswith("up ") for c in calls(env))


def test_failed_update_fails_the_job(env: dict[str, str]) -> None:
    env["FAKE_UP_RC"] = "255"
    assert up(env).returncode == 255
