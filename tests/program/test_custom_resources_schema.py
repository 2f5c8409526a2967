"""SecretProviderClass and VSO resources validate against the pinned CRD schemas."""

import copy
from typing import Any

import jsonschema
import pytest

from tests.conftest import needs_shared
from tests.program.harness import Registered, Run
from tests.program.schemas import crd_schemas

pytestmark = needs_shared

KINDS = {"SecretProviderClass", "VaultConnection", "VaultAuth", "VaultStaticSecret", "VaultPKISecret"}
# The dev stack's database app adds one; prod has none.
STACK_KINDS = {"dev": KINDS | {"VaultDynamicSecret"}, "prod": KINDS}


def _document(resource: Registered) -> dict[str, Any]:
    """A copy: the tests below break it, and the run is shared by the package."""
    return copy.deepcopy({k: resource.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_custom_resource_validates(stack: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(stack)
    schemas = crd_schemas()
    custom = [r for r in run.recorder.resources if r.inputs.get("kind") in STACK_KINDS["dev"]]
    assert {r.inputs["kind"] for r in custom} == STACK_KINDS[stack]
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
