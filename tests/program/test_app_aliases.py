"""What each app resource is registered with: its new name and the aliases the engine moves it by.

The engine also gives an AppIdentity's children (`-policy`, `-sa`, `-role`) their parent's aliases, with the
parent's name swapped in their prefix; that happens in the engine, so tests/integration covers it.
"""

import pytest

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
        ("app-default-webapp-sa", [("", CSI), ("", INJECTOR), ("", VSO), ("csi-webapp", CSI)]),
        ("app-default-webapp-sa-workload", [("", CSI), ("", INJECTOR), ("", VSO), ("csi-webapp-workload", CSI)]),
        ("app-default-webapp-sa-spc", [("", CSI), ("csi-webapp-spc", CSI)]),
        ("app-default-webapp-vault", [("", CSI), ("", INJECTOR), ("", VSO), ("injector-webapp-injection", INJECTOR)]),
        (
            "app-default-webapp-vault-workload",
            [("", CSI), ("", INJECTOR), ("", VSO), ("injector-webapp-injection-workload", INJECTOR)],
        ),
        ("app-default-webapp-vso", [("", CSI), ("", INJECTOR), ("", VSO), ("vso-webapp-vso", VSO)]),
        ("app-default-webapp-vso-workload", [("", CSI), ("", INJECTOR), ("", VSO), ("vso-webapp-vso-workload", VSO)]),
        ("app-default-webapp-vso-connection", [("", VSO), ("vso-webapp-vso-connection", VSO)]),
        ("app-default-webapp-vso-auth", [("", VSO), ("vso-webapp-vso-auth", VSO)]),
        ("app-default-webapp-vso-static-webapp-config", [("", VSO), ("vso-webapp-vso-static-webapp-config", VSO)]),
        ("app-default-webapp-vso-pki-webapp-tls", [("", VSO), ("vso-webapp-vso-pki-webapp-tls", VSO)]),
    ],
)
def test_app_resources_are_aliased_from_their_old_names_and_the_other_methods(
    dev: Run, name: str, aliases: list[tuple[str, str]]
) -> None:
    found = [r for r in dev.recorder.resources if r.name == name and r.type != "vault-k8s:index:App"]
    assert len(found) == 1
    assert moves(found[0]) == aliases


def test_identity_children_carry_no_aliases_of_their_own(dev: Run) -> None:
    """They follow `{identity}-…`, so the engine derives theirs from the identity's."""
    for suffix in ("policy", "sa", "role"):
        assert dev.recorder.by_name(f"app-default-webapp-sa-{suffix}").aliases == []


def test_each_app_is_one_component_at_the_root_named_from_its_service_account(dev: Run) -> None:
    apps = [r for r in dev.recorder.resources if r.type == "vault-k8s:index:App"]
    assert {"app-default-webapp-sa", "app-default-webapp-vault", "app-default-webapp-vso"} <= {r.name for r in apps}
    assert len(apps) == len(dev.globals["plan"].apps)
    # Directly under the stack (the mocks spell the stack into root URNs; the engine does not).
    assert {r.urn.rsplit("::", 2)[1] for r in apps} == {"pulumi:pulumi:Stack$vault-k8s:index:App"}


def test_only_the_method_charts_stay_in_integrations(dev: Run) -> None:
    """The CSI driver and VSO charts keep their URNs; the injector's chart is the vault chart."""
    registered = {(r.type, r.name) for r in dev.recorder.resources if r.type.endswith("Integration")}
    assert registered == {("vault-k8s:index:CsiIntegration", "csi"), ("vault-k8s:index:VsoIntegration", "vso")}
    releases = {r.name: r.urn for r in dev.recorder.resources if r.type == "kubernetes:helm.sh/v3:Release"}
    assert sorted(releases) == ["csi-driver", "platform-vault", "vso-operator"]
    assert "CsiIntegration$kubernetes:helm.sh/v3:Release::csi-driver" in releases["csi-driver"]
