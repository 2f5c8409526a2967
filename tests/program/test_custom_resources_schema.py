"""SecretProviderClass and VSO resources validate against the pinned CRD schemas."""

from typing import Any

import jsonschema
import pytest

from tests.program.harness import Registered, Run, run_stack
from tests.program.schemas import crd_schemas
from tests.program.test_prod_stack import prod  # noqa: F401  (fixture)

KINDS = {"SecretProviderClass", "VaultConnection", "VaultAuth", "VaultStaticSecret", "VaultPKISecret"}


@pytest.fixture(scope="module")
def dev() -> Run:
    return run_stack("dev")


def _document(resource: Registered) -> dict[str, Any]:
    return {k: resource.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_custom_resource_validates(stack: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(stack)
    schemas = crd_schemas()
    custom = [r for r in run.recorder.resources if r.inputs.get("kind") in KINDS]
    assert {r.inputs["kind"] for r in custom} == KINDS
    for resource in custom:
        document = _document(resource)
        jsonschema.validate(document, schemas[(document["apiVersion"], document["kind"])])


def test_the_check_catches_an_unknown_field(dev: Run) -> None:
    document = _document(dev.recorder.by_name("app-default-webapp-vso-static-webapp-config"))
    document["spec"]["refreshAfterr"] = "30s"
    with pytest.raises(jsonschema.ValidationError, match="refreshAfterr"):
        jsonschema.validate(document, crd_schemas()[(document["apiVersion"], document["kind"])])


def test_the_check_catches_a_missing_required_field(dev: Run) -> None:
    document = _document(dev.recorder.by_name("app-default-webapp-vso-connection"))
    del document["spec"]["skipTLSVerify"]
    with pytest.raises(jsonschema.ValidationError, match="skipTLSVerify"):
        jsonschema.validate(document, crd_schemas()[(document["apiVersion"], document["kind"])])
