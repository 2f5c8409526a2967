import json
from pathlib import Path

import pytest

from pipeline.policy_config import ConfigError, main, pack_config, production_flag
from policy.pack import POLICY_NAMES


def test_flag_absent_means_advisory() -> None:
    assert production_flag({"vault-k8s:vault": {"value": "{}", "secret": False}}) is False


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"value": "true", "secret": False}, True),
        ({"value": "True", "secret": False}, True),
        ({"value": "false", "secret": False}, False),
        ({"value": "true", "objectValue": True, "secret": False}, True),
        ({"value": True}, True),
        # The program's config model reads these as booleans too.
        ({"value": "yes"}, True),
        ({"value": "0"}, False),
    ],
)
def test_flag_spellings(entry: dict[str, object], expected: bool) -> None:
    assert production_flag({"vault-k8s:production": entry}) is expected


@pytest.mark.parametrize("entry", [{"value": "maybe"}, {"value": "2"}, {"secret": True}, "true"])
def test_anything_else_is_an_error(entry: object) -> None:
    with pytest.raises(ConfigError):
        production_flag({"vault-k8s:production": entry})


def test_pack_config_names_every_policy() -> None:
    config = pack_config(True)
    assert config["all"] == "mandatory"
    assert {k for k in config if k != "all"} == set(POLICY_NAMES)
    assert set(pack_config(False).values()) == {"advisory"}


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack_config = tmp_path / "config.json"
    stack_config.write_text(json.dumps({"vault-k8s:production": {"value": "true", "secret": False}}))
    assert main([str(stack_config)]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["vault-address-https"] == "mandatory"
    assert "vault-k8s:production=true, policies are mandatory" in err


def test_cli_fails_closed_on_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack_config = tmp_path / "config.json"
    stack_config.write_text(json.dumps({"vault-k8s:production": {"value": "maybe"}}))
    assert main([str(stack_config)]) == 2
    assert main([str(tmp_path / "missing.json")]) == 2
    out, _ = capsys.readouterr()
    assert out == ""
