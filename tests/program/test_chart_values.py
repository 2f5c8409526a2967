"""Every Helm value the program sets exists in the pinned chart; vault's validate against its schema."""

import json

import jsonschema
import pytest

from tests.program.harness import Run
from tests.program.schemas import CHARTS, chart_defaults, chart_version, merged, unknown_value_keys
from tests.program.test_prod_stack import prod  # noqa: F401  (fixture)

RELEASES = {
    "platform-vault": "vault",
    "csi-driver": "secrets-store-csi-driver",
    "vso-operator": "vault-secrets-operator",
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_key_exists_and_version_is_pinned(stack: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(stack)
    for resource, chart in RELEASES.items():
        release = run.recorder.by_name(resource).inputs
        assert release["version"] == chart_version(chart)
        assert unknown_value_keys(release.get("values", {}), chart_defaults(chart)) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_vault_values_validate_against_schema(stack: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(stack)
    schema = json.loads((CHARTS["vault"] / "values.schema.json").read_text())
    values = merged(chart_defaults("vault"), run.recorder.by_name("platform-vault").inputs["values"])
    jsonschema.Draft7Validator(schema).validate(values)


def test_the_check_catches_a_misspelled_key() -> None:
    assert unknown_value_keys({"syncSecret": {"enabeld": True}}, chart_defaults("secrets-store-csi-driver")) == [
        "syncSecret.enabeld"
    ]


def test_free_form_maps_take_any_key() -> None:
    values = {"injector": {"podDisruptionBudget": {"maxUnavailable": 1}, "webhok": {}}}
    assert unknown_value_keys(values, chart_defaults("vault")) == ["injector.webhok"]


def test_the_schema_catches_a_wrong_type() -> None:
    schema = json.loads((CHARTS["vault"] / "values.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(
            merged(chart_defaults("vault"), {"server": {"dev": {"enabled": "yes"}}})
        )
