"""App resources are named from the ServiceAccount and aliased from where they lived before."""

from plan.build import PlanInputs, app_moves
from plan.model import Move
from stackconfig import names

INPUTS = PlanInputs("dev", "vault-k8s")
ROOT = "urn:pulumi:dev::vault-k8s::vault-k8s:index:"
CSI, INJECTOR, VSO = f"{ROOT}CsiIntegration::csi", f"{ROOT}InjectorIntegration::injector", f"{ROOT}VsoIntegration::vso"


def test_prefix_is_namespace_and_service_account() -> None:
    assert names.app_prefix("default", "webapp-sa") == "app-default-webapp-sa"


def test_identity_and_workload_come_from_any_integration_or_their_old_name() -> None:
    assert app_moves(INPUTS, "csi", "csi-webapp", every_method=True) == (
        Move(parent_urn=CSI),
        Move(parent_urn=INJECTOR),
        Move(parent_urn=VSO),
        Move(name="csi-webapp", parent_urn=CSI),
    )


def test_method_specific_resources_come_only_from_their_method() -> None:
    assert app_moves(PlanInputs("prod", "p"), "vso", "vso-ledger-auth", every_method=False) == (
        Move(parent_urn="urn:pulumi:prod::p::vault-k8s:index:VsoIntegration::vso"),
        Move(name="vso-ledger-auth", parent_urn="urn:pulumi:prod::p::vault-k8s:index:VsoIntegration::vso"),
    )
