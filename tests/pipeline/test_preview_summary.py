"""The summary tool on recorded `pulumi preview --json` output."""

import json
from pathlib import Path

import pytest

from pipeline.preview_data import load_json_document, parse_preview
from pipeline.preview_summary import allow_list, main, operation_counts, render
from tests.pipeline import FIXTURES

KV_URN = "urn:pulumi:dev::vault-k8s::vault-k8s:index:KvEngine$vault:index/mount:Mount::kv-for-injection-mount"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_noop(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(FIXTURES / "noop.json"), "--stack", "dev")
    assert code == 0
    assert out == "### Pulumi preview: `dev`\n\n| Operation | Count |\n|---|---|\n| same | 17 |\n\nNo changes.\n"


def test_add(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(FIXTURES / "add.json"), "--stack", "dev")
    assert code == 0
    assert "| create | 4 |\n| same | 17 |" in out
    assert "Data-loss" not in out
    assert "No changes." not in out


def test_kv_mount_replace_is_blocked(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(FIXTURES / "kv_replace.json"), "--stack", "dev")
    assert code == 1
    assert "| replace | 1 |\n| same | 16 |" in out
    assert (
        "| `kv-for-injection-mount` | `vault:index/mount:Mount` | replace (type) "
        "| replacing a KV mount deletes every secret in it | **no** |"
    ) in out
    assert "**Blocked:** 1 data-loss change(s) not allowed." in out


@pytest.mark.parametrize("entry", [KV_URN, "kv-for-injection-mount"])
def test_kv_mount_replace_passes_when_allowed(capsys: pytest.CaptureFixture[str], entry: str) -> None:
    code, out = run(capsys, str(FIXTURES / "kv_replace.json"), "--allow", entry)
    assert code == 0
    assert "| replacing a KV mount deletes every secret in it | yes |" in out
    assert "Blocked" not in out


def test_allow_list_from_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOW_DATA_LOSS", "something-else, kv-for-injection-mount")
    code, _ = run(capsys, str(FIXTURES / "kv_replace.json"))
    assert code == 0


def test_allow_list_for_another_resource_does_not_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(capsys, str(FIXTURES / "kv_replace.json"), "--allow", "kv-apps-mount")
    assert code == 1


def test_protected_resource_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(FIXTURES / "protected_update.json"), "--stack", "prod")
    assert code == 0
    assert "#### Protected resources touched" in out
    assert "| `kv-apps-mount` | `vault:index/mount:Mount` | update (description) | updated in place |" in out


def test_policy_violations_from_the_event_log(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(FIXTURES / "noop.json"), "--events", str(FIXTURES / "policy_events.jsonl"))
    assert code == 0
    assert (
        "| advisory | vault-address-https | `vault` | Every Vault address must use https.<br>vault provider address "
        '"http://127.0.0.1:8200" is not https |'
    ) in out
    assert "| advisory | vault-policy-least-privilege | `legacy-app` |" in out


def test_missing_event_log_is_tolerated(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _ = run(capsys, str(FIXTURES / "noop.json"), "--events", str(tmp_path / "none.jsonl"))
    assert code == 0


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    code, out = run(capsys, str(FIXTURES / "kv_replace.json"), "--output", str(target))
    assert code == 1
    assert target.read_text() == out


def test_unreadable_input_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("error: no stack named 'dev' found\n")
    assert main([str(bad)]) == 2
    bad.write_text("[]")
    assert main([str(bad)]) == 2


def test_plain_lines_before_the_json_are_skipped() -> None:
    text = "Loading policy packs...\n\n" + (FIXTURES / "noop.json").read_text()
    assert load_json_document(text)["changeSummary"] == {"same": 17}


def test_counts_fall_back_to_steps() -> None:
    document = json.loads((FIXTURES / "add.json").read_text())
    del document["changeSummary"]
    assert operation_counts(parse_preview(document)) == {"create": 4, "same": 1}


def test_error_diagnostics_are_listed() -> None:
    document = json.loads((FIXTURES / "noop.json").read_text())
    document["diagnostics"] = [
        {
            "urn": "urn:pulumi:dev::vault-k8s::pulumi:pulumi:Stack::vault-k8s-dev",
            "message": "preview failed\n",
            "severity": "error",
        },
        {"message": "some info\n", "severity": "info"},
    ]
    markdown = render(parse_preview(document), "dev", []).markdown
    assert markdown.endswith("#### Errors\n\n- preview failed\n")
    assert "No changes." not in markdown


def test_allow_list_merges_cli_and_env() -> None:
    assert allow_list(["a", " "], " b ,,c") == ["a", "b", "c"]
    assert allow_list([], None) == []
