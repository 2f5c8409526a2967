"""What each app resource is registered with: its new name and the aliases the engine moves it by.

The engine also gives an AppIdentity's children (`-policy`, `-sa`, `-role`) their parent's aliases, with the
parent's name swapped in their prefix; that happens in the engine, so tests/integration covers it.
"""

import pytest

from components.common import INTEGRATION_TYPES
from tests.program.harness import Registered, Run

ROOT = "urn:pulumi:dev::vault-k8s::vault-k8s:index:"
CSI, INJECTOR, VSO = f"{ROOT}CsiIntegration::csi", f"{ROOT}InjectorIntegration::injector", f"{ROOT}VsoIntegration::vso"


def moves(resource: Registered) -> list[tuple[str, str]]:
    """(name, parent URN) of the aliases the program gives; the provider adds type-only ones (a Deployment's
    older API versions)."""
    return [(name, parent) for name, typ, parent in resource.aliases if not typ]


@pytest.mark.parametrize(
    ("name", "aliases"),
    [
        ("app-default-webapp-sa", [("csi-webapp", ""), ("", INJECTOR), ("", VSO)]),
        ("app-default-webapp-sa-workload", [("csi-webapp-workload", ""), ("", INJECTOR), ("", VSO)]),
        ("app-default-webapp-sa-spc", [("csi-webapp-spc", "")]),
        ("app-default-webapp-vault", [("injector-webapp-injection", ""), ("", CSI), ("", VSO)]),
        ("app-default-webapp-vault-workload", [("injector-webapp-injection-workload", ""), ("", CSI), ("", VSO)]),
        ("app-default-webapp-vso", [("vso-webapp-vso", ""), ("", CSI), ("", INJECTOR)]),
        ("app-default-webapp-vso-workload", [("vso-webapp-vso-workload", ""), ("", CSI), ("", INJECTOR)]),
        ("app-default-webapp-vso-connection", [("vso-webapp-vso-connection", "")]),
        ("app-default-webapp-vso-auth", [("vso-webapp-vso-auth", "")]),
        ("app-default-webapp-vso-static-webapp-config", [("vso-webapp-vso-static-webapp-config", "")]),
        ("app-default-webapp-vso-pki-webapp-tls", [("vso-webapp-vso-pki-webapp-tls", "")]),
    ],
)
def test_app_resources_are_aliased_from_their_old_names_and_the_other_methods(
    dev: Run, name: str, aliases: list[tuple[str, str]]
) -> None:
    assert moves(dev.recorder.by_name(name)) == aliases


def test_identity_children_carry_no_aliases_of_their_own(dev: Run) -> None:
    """They follow `{identity}-…`, so the engine derives theirs from the identity's."""
    for suffix in ("policy", "sa", "role"):
        assert dev.recorder.by_name(f"app-default-webapp-sa-{suffix}").aliases == []


def test_the_integrations_are_where_the_aliases_point(dev: Run) -> None:
    """At the stack root, named after the method (the mocks' URNs for root children differ from the engine's)."""
    registered = {(r.type, r.name) for r in dev.recorder.resources if r.type.endswith("Integration")}
    assert registered == {(typ, method) for method, typ in INTEGRATION_TYPES.items()}
