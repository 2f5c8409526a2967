from typing import Any

import pytest

from pipeline.data_loss import Change, data_loss_changes, is_allowed, physical_identity, protected_changes
from pipeline.preview_data import Step, parse_policy_events, urn_name, urn_type

MOUNT_URN = "urn:pulumi:dev::vault-k8s::vault-k8s:index:PkiEngine$vault:index/mount:Mount::pki-pki-mount"
CRD_URN = (
    "urn:pulumi:dev::vault-k8s::vault-k8s:index:VsoIntegration$kubernetes:apiextensions.k8s.io/v1:"
    "CustomResourceDefinition::vaultstaticsecrets"
)


def state(resource_type: str, outputs: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": resource_type, "custom": True, "outputs": outputs or {}} | extra


def step(op: str, urn: str, old: dict[str, Any] | None, new: dict[str, Any] | None, *keys: str) -> Step:
    return Step(op, urn, old, new, replace_reasons=keys)


def test_urn_parts() -> None:
    assert urn_name(MOUNT_URN) == "pki-pki-mount"
    assert urn_type(MOUNT_URN) == "vault:index/mount:Mount"
    assert urn_type("urn:pulumi:dev::vault-k8s::pulumi:providers:vault::vault") == "pulumi:providers:vault"


def test_replacement_steps_fold_into_one_change() -> None:
    old = state("vault:index/mount:Mount", {"type": "pki", "path": "pki"})
    new = state("vault:index/mount:Mount", {"type": "pki", "path": "pki", "local": True})
    steps = [
        step("create-replacement", MOUNT_URN, old, new, "local"),
        step("replace", MOUNT_URN, old, new, "local"),
        step("delete-replaced", MOUNT_URN, old, None),
    ]
    assert data_loss_changes(steps) == [
        Change(
            MOUNT_URN,
            "pki-pki-mount",
            "vault:index/mount:Mount",
            "replace",
            "replacing a PKI mount deletes its CA keys, issuers and issued certificates",
            ("local",),
        )
    ]


@pytest.mark.parametrize(
    ("resource_type", "outputs", "reason"),
    [
        ("vault:index/mount:Mount", {"type": "kv-v2"}, "deleting a KV mount deletes every secret in it"),
        (
            "vault:index/mount:Mount",
            {"type": "transit"},
            "deleting a secrets engine mount deletes everything stored under it",
        ),
        (
            "vault:index/authBackend:AuthBackend",
            {"type": "kubernetes"},
            "deleting an auth mount deletes every role on it; apps cannot log in until they are recreated",
        ),
        (
            "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert",
            {"type": "internal"},
            "deleting the PKI root deletes the CA key; certificates it issued lose their trust anchor",
        ),
        (
            "vault:pkiSecret/secretBackendIssuer:SecretBackendIssuer",
            {},
            "deleting a PKI issuer deletes it and the chain clients trust",
        ),
        (
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
            {},
            "deleting a CustomResourceDefinition deletes every custom resource of that kind",
        ),
    ],
)
def test_deletes_that_lose_data(resource_type: str, outputs: dict[str, Any], reason: str) -> None:
    urn = f"urn:pulumi:dev::vault-k8s::{resource_type}::r"
    [change] = data_loss_changes([step("delete", urn, state(resource_type, outputs), None)])
    assert (change.op, change.reason) == ("delete", reason)


def test_harmless_changes_are_not_data_loss() -> None:
    role = "vault:kubernetes/authBackendRole:AuthBackendRole"
    urn = f"urn:pulumi:dev::vault-k8s::{role}::r"
    mount = state("vault:index/mount:Mount", {"type": "kv-v2"})
    assert data_loss_changes([step("delete", urn, state(role), None)]) == []
    assert data_loss_changes([step("update", MOUNT_URN, mount, mount)]) == []
    assert data_loss_changes([step("create", CRD_URN, None, state("x"))]) == []


def test_retained_resources_are_not_data_loss() -> None:
    old = state("vault:index/mount:Mount", {"type": "kv-v2"}, retainOnDelete=True)
    assert data_loss_changes([step("delete", MOUNT_URN, old, None)]) == []


def test_protected_changes() -> None:
    protected = state("vault:index/mount:Mount", {"type": "kv-v2"}, protect=True)
    plain = state("vault:index/mount:Mount", {"type": "kv-v2"})
    [change] = protected_changes([step("delete", MOUNT_URN, protected, None)])
    assert (change.op, change.reason) == ("delete", "delete is refused while the resource is protected")
    assert protected_changes([step("update", MOUNT_URN, plain, plain)]) == []
    assert protected_changes([step("same", MOUNT_URN, protected, protected)]) == []


def test_allow_matches_urn_or_name_only() -> None:
    change = Change(MOUNT_URN, "pki-pki-mount", "vault:index/mount:Mount", "replace", "r")
    assert is_allowed(change, [MOUNT_URN])
    assert is_allowed(change, ["pki-pki-mount"])
    assert not is_allowed(change, ["pki"])
    assert not is_allowed(change, [])


def test_policy_events_are_deduplicated_and_uncoloured() -> None:
    line = (
        '{"sequence":3,"timestamp":1,"policyEvent":{"message":"<{%fg 13%}>desc\\nmsg<{%reset%}>\\n","color":"raw",'
        '"policyName":"p","policyPackName":"pack","policyPackVersion":"0.1.0","policyPackVersionTag":"0.1.0",'
        '"enforcementLevel":"mandatory"}}'
    )
    violations = parse_policy_events([line, line, "not json", '{"cancelEvent":{}}', ""])
    assert len(violations) == 1
    assert (violations[0].level, violations[0].message, violations[0].urn) == ("mandatory", "desc\nmsg", "")


SA = "kubernetes:core/v1:ServiceAccount"
POLICY = "vault:index/policy:Policy"


def urn_of(resource_type: str, name: str) -> str:
    return f"urn:pulumi:dev::vault-k8s::vault-k8s:index:CsiIntegration${resource_type}::{name}"


def with_inputs(resource_type: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": resource_type, "custom": True, "inputs": inputs} | extra


def renamed(resource_type: str, inputs: dict[str, Any], old_name: str, new_name: str, **old_extra: Any) -> list[Step]:
    """What a rename without an alias previews: a create under the new URN, a delete of the old one."""
    return [
        step("create", urn_of(resource_type, new_name), None, with_inputs(resource_type, inputs)),
        step("delete", urn_of(resource_type, old_name), with_inputs(resource_type, inputs, **old_extra), None),
    ]


def test_physical_identity_names_the_live_object() -> None:
    assert physical_identity(SA, {"metadata": {"name": "webapp-sa", "namespace": "default"}}) == (
        SA,
        "default",
        "webapp-sa",
    )
    role = "vault:kubernetes/authBackendRole:AuthBackendRole"
    assert physical_identity(role, {"backend": "kubernetes", "roleName": "database"}) == (
        role,
        "kubernetes",
        "database",
    )
    assert physical_identity("vault:kv/secretV2:SecretV2", {"mount": "secret/", "name": "db-pass"}) == (
        "vault:kv/secretV2:SecretV2",
        "secret",
        "db-pass",
    )
    assert physical_identity("pulumi:providers:vault", {"address": "x"}) is None
    assert physical_identity(POLICY, {"policy": "path ..."}) is None


@pytest.mark.parametrize(
    ("resource_type", "inputs"),
    [
        (SA, {"metadata": {"name": "webapp-sa", "namespace": "default"}}),
        (POLICY, {"name": "internal-app", "policy": 'path "secret/data/db-pass" {}'}),
    ],
)
def test_a_delete_of_what_the_run_recreates_is_data_loss(resource_type: str, inputs: dict[str, Any]) -> None:
    [change] = data_loss_changes(renamed(resource_type, inputs, "csi-webapp-x", "csi-web-x"))
    assert (change.name, change.op) == ("csi-webapp-x", "delete")
    assert change.reason.startswith("the same live object is created in this run as `csi-web-x`")


def test_deletes_of_other_objects_or_retained_ones_are_not_flagged() -> None:
    a = {"metadata": {"name": "a", "namespace": "default"}}
    b = {"metadata": {"name": "b", "namespace": "default"}}
    moved = [
        step("create", urn_of(SA, "new"), None, with_inputs(SA, a)),
        step("delete", urn_of(SA, "old"), with_inputs(SA, b), None),
    ]
    assert data_loss_changes(moved) == []
    assert data_loss_changes(renamed(SA, a, "old", "new", retainOnDelete=True)) == []
    other_namespace = {"metadata": {"name": "a", "namespace": "other"}}
    assert (
        data_loss_changes([moved[0], step("delete", urn_of(SA, "old"), with_inputs(SA, other_namespace), None)]) == []
    )
