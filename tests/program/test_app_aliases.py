"""What each app resource is registered with: its new name and the aliases the engine moves it by."""

import pytest

from tests.program.harness import Registered, Run

ROOT = "urn:pulumi:dev::vault-k8s::vault-k8s:index:"
CSI, INJECTOR, VSO = f"{ROOT}CsiIntegration::csi", f"{ROOT}InjectorIntegration::injector", f"{ROOT}VsoIntegration::vso"


def identity(integration: str, name: str) -> str:
    """An AppIdentity component of earlier releases, under an integration."""
    return f"{ROOT}{integration}$vault-k8s:index:AppIdentity::{name}"


def moves(resource: Registered) -> list[tuple[str, str]]:
    """(name, parent URN) of the aliases the program gives; the provider adds type-only ones (a Deployment's
    older API versions)."""
    return [(name, parent) for name, typ, parent in resource.aliases if not typ]


@pytest.mark.parametrize(
    ("name", "aliases"),
    [
        ("app-default-webapp-sa-workload", [("", CSI), ("", INJECTOR), ("", VSO), ("csi-webapp-workload", CSI)]),
        ("app-default-webapp-sa-spc", [("", CSI), ("csi-webapp-spc", CSI)]),
        (
            "app-default-webapp-vault-workload",
            [("", CSI), ("", INJECTOR), ("", VSO), ("injector-webapp-injection-workload", INJECTOR)],
        ),
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


@pytest.mark.parametrize("suffix", ["policy", "sa", "role"])
def test_the_identity_comes_from_the_app_identity_components_of_earlier_releases(dev: Run, suffix: str) -> None:
    """In an AppIdentity named like the App under any integration, or named from the app under its method's."""
    found = dev.recorder.by_name(f"app-default-webapp-sa-{suffix}")
    assert moves(found) == [
        ("", identity("CsiIntegration", "app-default-webapp-sa")),
        ("", identity("InjectorIntegration", "app-default-webapp-sa")),
        ("", identity("VsoIntegration", "app-default-webapp-sa")),
        (f"csi-webapp-{suffix}", identity("CsiIntegration", "csi-webapp")),
    ]


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
