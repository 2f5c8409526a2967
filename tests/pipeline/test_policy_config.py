"""`python -m pipeline.policy_config`: `pulumi config --json` in, the pack config out. Every spelling of the flag is
compared with the program's reading in tests/policy/test_production_flag.py."""

import io
import json
from pathlib import Path

import pytest

from pipeline.policy_config import main


def run(capsys: pytest.CaptureFixture[str], path: Path, text: str) -> tuple[int, str, str]:
    path.write_text(text)
    code = main([str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_flag_absent_means_advisory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack_config = json.dumps({"vault-k8s:vault": {"value": "{}", "secret": False}})
    code, out, err = run(capsys, tmp_path / "config.json", stack_config)
    assert code == 0
    config = json.loads(out)
    assert config["all"] == "advisory" and set(config.values()) == {"advisory"}
    assert err == "policy_config: vault-k8s:production=false, policies are advisory\n"


@pytest.mark.parametrize(
    "entry", [{"value": "true", "secret": False}, {"value": "true", "objectValue": True, "secret": False}]
)
def test_production_makes_every_policy_mandatory(
    entry: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, tmp_path / "config.json", json.dumps({"vault-k8s:production": entry}))
    assert code == 0
    config = json.loads(out)
    assert config["all"] == "mandatory" and set(config.values()) == {"mandatory"}
    assert err == "policy_config: vault-k8s:production=true, policies are mandatory\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (json.dumps({"vault-k8s:production": {"value": "maybe"}}),
         "vault-k8s:production must be true or false, got 'maybe' (not JSON)"),
        (json.dumps({"vault-k8s:production": {"secret": True}}),
         "vault-k8s:production is a secret whose value is not shown; set it as plain config"),
        ("[]", "{path} is not a JSON object, so vault-k8s:production cannot be read"),
        ("", "{path} is not JSON (Expecting value: line 1 column 1 (char 0)), so vault-k8s:production cannot be read"),
        ("error: no stack named 'x' found\n",
         "{path} is not JSON (Expecting value: line 1 column 1 (char 0)), so vault-k8s:production cannot be read"),
    ],
)  # fmt: skip
def test_fails_closed_naming_the_key(
    text: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No pack config at all, rather than an advisory one."""
    path = tmp_path / "config.json"
    assert run(capsys, path, text) == (2, "", f"policy_config: {reason.format(path=path)}\n")


def test_a_missing_file_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing.json")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("policy_config: [Errno 2] No such file or directory")


def test_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"vault-k8s:production": {"value": "false"}})))
    assert main(["-"]) == 0
    assert set(json.loads(capsys.readouterr().out).values()) == {"advisory"}
    monkeypatch.setattr("sys.stdin", io.StringIO("[]"))
    assert main(["-"]) == 2
    assert capsys.readouterr().err == (
        "policy_config: the stack config on stdin is not a JSON object, so vault-k8s:production cannot be read\n"
    )
