"""One reading of `vault-k8s:production`: the policy pack and the pipeline take a value exactly as the program's
config model does, and refuse exactly what it refuses."""

import json

import pytest
from pulumi_policy import EnforcementLevel

from pipeline.policy_config import ConfigError, production_flag
from policy.pack import default_enforcement
from policy.production import ProductionFlagError, parse_production
from stackconfig.load import StackConfigError, parse_stack_config

SPELLINGS = [True, False, 0, 1, "true", "False", " yes ", "no", "on", "off", "t", "f", "y", "n", "1", "0",
             "maybe", "2", 2, "", "truee", 1.0, None]  # fmt: skip


def program_reads(value: object) -> bool | None:
    """What the program makes of the value: its flag, or None when it refuses the config."""
    raw: dict[str, object] = {"production": value, "kubernetes": {"context": "c"}} if value is not None else {}
    # The in-cluster Vault (the default) needs the address Pulumi reaches it at.
    raw["vault"] = {"address": "http://127.0.0.1:8200"}
    try:
        return parse_stack_config(raw).production
    except StackConfigError:
        return None


@pytest.mark.parametrize("value", SPELLINGS)
def test_the_pack_and_the_pipeline_read_the_flag_as_the_program_does(value: object) -> None:
    expected = program_reads(value)
    if expected is None:
        with pytest.raises(ProductionFlagError):
            parse_production(value)
        with pytest.raises(ConfigError):
            production_flag({"vault-k8s:production": {"value": value}})
        with pytest.raises(ProductionFlagError):
            default_enforcement(json.dumps({"vault-k8s:production": value}))
        return
    assert parse_production(value) is expected
    if value is not None:
        assert production_flag({"vault-k8s:production": {"value": value}}) is expected
    level = default_enforcement(json.dumps({"vault-k8s:production": value}))
    assert level == (EnforcementLevel.MANDATORY if expected else EnforcementLevel.ADVISORY)
