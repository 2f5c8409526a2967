"""App resources are named from the ServiceAccount and aliased from where they lived before."""

from components.common import AliasSpec, app_aliases
from stackconfig import names


def test_prefix_is_namespace_and_service_account() -> None:
    assert names.app_prefix("default", "webapp-sa") == "app-default-webapp-sa"


def test_identity_and_workload_alias_old_name_and_other_methods() -> None:
    assert app_aliases("csi", "csi-webapp", "dev", "vault-k8s") == [
        AliasSpec(name="csi-webapp"),
        AliasSpec(parent_urn="urn:pulumi:dev::vault-k8s::vault-k8s:index:InjectorIntegration::injector"),
        AliasSpec(parent_urn="urn:pulumi:dev::vault-k8s::vault-k8s:index:VsoIntegration::vso"),
    ]


def test_method_specific_resources_alias_only_their_old_name() -> None:
    assert app_aliases("vso", "vso-ledger-auth", "prod", "vault-k8s", across_methods=False) == [
        AliasSpec(name="vso-ledger-auth")
    ]
