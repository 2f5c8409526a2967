"""One reading of `vault-k8s:production`: the policy pack (PULUMI_CONFIG) and the pipeline (`pulumi config --json`)
take a value exactly as the program does, and refuse exactly what it refuses, naming the key."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.runtime import config as runtime_config
from pulumi_policy import EnforcementLevel

from pipeline.policy_config import main
from policy.pack import default_enforcement
from policy.production import PRODUCTION_KEY, ProductionFlagError, parse_production, production_flag
from stackconfig.load import StackConfigError, read_stack_config

# The flag as Pulumi hands it over: text, which the program JSON-decodes before validating a bool.
SPELLINGS = ["true", "false", "1", "0", "1.0", "0.0", " true ", "null", '"yes"', '"Off"', '"t"', "True", "FALSE",
             "yes", "no", "on", "maybe", "2", "1.5", "", "truee", '" yes "', '""', "{}", "[]", '{"a": 1}']  # fmt: skip


@pytest.fixture(autouse=True)
def _no_config_left_behind() -> Iterator[None]:
    yield
    runtime_config.set_all_config({}, [])


def program_reads(text: str) -> bool | None:
    """What the program makes of the flag: production or not, or None when it refuses the config (at the key)."""
    runtime_config.set_all_config(
        {
            PRODUCTION_KEY: text,
            # What a production stack needs besides: a named cluster, and the in-cluster Vault's address.
            "vault-k8s:kubernetes": json.dumps({"context": "c"}),
            "vault-k8s:vault": json.dumps({"address": "http://127.0.0.1:8200"}),
        },
        [],
    )
    try:
        return read_stack_config().production
    except StackConfigError as error:
        assert [p.key for p in error.problems] == [("production",)]
        return None


def pipeline_reads(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> bool | None:
    """What `python -m pipeline.policy_config` makes of `pulumi config --json` output holding the flag."""
    stack_config = tmp_path / "config.json"
    stack_config.write_text(json.dumps({PRODUCTION_KEY: {"value": text, "secret": False}}))
    code = main([str(stack_config)])
    out, err = capsys.readouterr()
    if code != 0:
        assert (code, out) == (2, "")
        assert err.startswith(f"policy_config: {PRODUCTION_KEY} must be true or false, got {text!r}")
        return None
    levels = set(json.loads(out).values())
    assert levels in ({"mandatory"}, {"advisory"})
    return levels == {"mandatory"}


def pack_reads(text: str) -> bool | None:
    """What the pack's default enforcement makes of PULUMI_CONFIG holding the flag."""
    try:
        level = default_enforcement(json.dumps({PRODUCTION_KEY: text}))
    except ProductionFlagError as error:
        assert str(error).startswith(f"{PRODUCTION_KEY} must be true or false, got {text!r}")
        return None
    return level == EnforcementLevel.MANDATORY


def test_the_spellings_reach_every_reading() -> None:
    """Each answer is the program's, so the comparison below is only as good as the spread of spellings."""
    assert {program_reads(text) for text in SPELLINGS} == {True, False, None}


@pytest.mark.parametrize("text", SPELLINGS)
def test_the_pack_and_the_pipeline_read_the_flag_as_the_program_does(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = program_reads(text)
    assert pack_reads(text) is expected
    assert pipeline_reads(text, tmp_path, capsys) is expected
    if expected is None:
        with pytest.raises(ProductionFlagError, match=PRODUCTION_KEY):
            parse_production(text)
    else:
        assert parse_production(text) is expected


def test_unset_is_not_production() -> None:
    assert program_reads("null") is False
    assert production_flag(None, "PULUMI_CONFIG") is False
    assert production_flag("{}", "PULUMI_CONFIG") is False
    # A stack named prod without the flag is not production: the flag is never guessed from the name.
    assert production_flag(json.dumps({"vault-k8s:stack": "prod"}), "PULUMI_CONFIG") is False


@pytest.mark.parametrize(
    ("config_json", "message"),
    [
        ("", "PULUMI_CONFIG is not JSON (Expecting value: line 1 column 1 (char 0)), so vault-k8s:production "
             "cannot be read"),
        ("not json", "PULUMI_CONFIG is not JSON (Expecting value: line 1 column 1 (char 0)), so vault-k8s:production "
                     "cannot be read"),
        ("[]", "PULUMI_CONFIG is not a JSON object, so vault-k8s:production cannot be read"),
        (json.dumps({PRODUCTION_KEY: {"secret": True}}),
         "vault-k8s:production is a secret whose value is not shown; set it as plain config"),
        (json.dumps({PRODUCTION_KEY: {"secret": False}}), "vault-k8s:production has no value: {'secret': False}"),
    ],
)  # fmt: skip
def test_config_the_flag_cannot_be_read_from_is_refused(config_json: str, message: str) -> None:
    with pytest.raises(ProductionFlagError) as raised:
        production_flag(config_json, "PULUMI_CONFIG")
    assert str(raised.value) == message


def test_both_shapes_of_an_entry_are_read() -> None:
    """PULUMI_CONFIG maps the key to its text; `pulumi config --json` to an object with that text as `value`."""
    assert production_flag(json.dumps({PRODUCTION_KEY: "true"}), "PULUMI_CONFIG") is True
    entry = {"value": "true", "objectValue": True, "secret": False}
    assert production_flag(json.dumps({PRODUCTION_KEY: entry}), "config.json") is True
    assert production_flag(json.dumps({PRODUCTION_KEY: {"objectValue": False}}), "config.json") is False
