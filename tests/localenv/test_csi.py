"""The driver stand-in's pure parts: the attributes and request it sends, and how the answers are read; plus the
provider's chart RBAC, flags and chroot layout (no servers)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from localenv.controllers.csi_provider import prepare_root, provider_argv, rbac_objects, socket_path
from localenv.controllers.ports import ControllerPorts
from localenv.csi import (
    AudienceToken,
    CsiError,
    CsiPod,
    MountResult,
    ProviderVersion,
    go_map_json,
    mount_attributes,
    mount_request,
    node_publish_secrets,
    parse_mount_output,
    parse_version_output,
    tokens_in_secrets,
)

SPC = {
    "vaultAddress": "https://127.0.0.1:28200",
    "roleName": "database",
    "objects": '- objectName: "db-password"\n  secretPath: "secret/data/db-pass"\n  secretKey: "password"\n',
    "vaultCACertPath": "/vault/tls/ca.crt",
}
UID = "6f1c6a52-1111-4222-8333-444455556666"
POD_OBJECT = {
    "metadata": {"name": "webapp", "namespace": "default", "uid": UID},
    "spec": {
        "serviceAccountName": "webapp-sa",
        "volumes": [
            {"name": "kube-api-access-x", "projected": {"sources": []}},
            {"name": "secrets-store-inline", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                                                     "volumeAttributes": {"secretProviderClass": "vault-database"}}},
        ],
    },
}  # fmt: skip
POD = CsiPod.from_object(POD_OBJECT)
KUBELET = {
    "secretProviderClass": "vault-database",
    "csi.storage.k8s.io/pod.name": "webapp",
    "csi.storage.k8s.io/pod.namespace": "default",
    "csi.storage.k8s.io/pod.uid": UID,
    "csi.storage.k8s.io/serviceAccount.name": "webapp-sa",
    "csi.storage.k8s.io/ephemeral": "true",
}


def test_pod_is_read_like_the_kubelet_sees_its_csi_volume() -> None:
    assert POD == CsiPod("webapp", "default", UID, "webapp-sa", "secrets-store-inline",
                         {"secretProviderClass": "vault-database"})  # fmt: skip
    assert POD.secret_provider_class == "vault-database"
    assert POD.target_path == f"/var/lib/kubelet/pods/{UID}/volumes/kubernetes.io~csi/secrets-store-inline/mount"


def test_a_pod_without_a_secrets_store_volume_is_refused() -> None:
    pod = {"metadata": POD_OBJECT["metadata"], "spec": {"serviceAccountName": "a", "volumes": []}}
    with pytest.raises(CsiError, match="has no secrets-store.csi.k8s.io volume"):
        CsiPod.from_object(pod)


def test_attributes_without_token_requests_are_the_spc_and_the_pod_info() -> None:
    assert mount_attributes(SPC, POD, {}) == {**SPC, **KUBELET}
    assert mount_attributes(SPC, POD, None) == {**SPC, **KUBELET}


def test_the_kubelets_attributes_override_the_spcs() -> None:
    attributes = mount_attributes({**SPC, "csi.storage.k8s.io/pod.name": "other", "secretProviderClass": "x"}, POD)
    assert attributes["csi.storage.k8s.io/pod.name"] == "webapp"
    assert attributes["secretProviderClass"] == "vault-database"


def test_tokens_are_one_json_string_keyed_by_audience() -> None:
    tokens = {
        "vault": AudienceToken("jwt-v", "2030-01-01T00:00:00Z"),
        "aud": AudienceToken("jwt-a", "2030-01-02T00:00:00Z"),
    }
    attributes = mount_attributes(SPC, POD, tokens)
    assert attributes == {**SPC, **KUBELET, "csi.storage.k8s.io/serviceAccount.tokens": (
        '{"aud":{"token":"jwt-a","expirationTimestamp":"2030-01-02T00:00:00Z"},'
        '"vault":{"token":"jwt-v","expirationTimestamp":"2030-01-01T00:00:00Z"}}'
    )}  # fmt: skip


def test_secrets_are_null_unless_the_csidriver_puts_tokens_there() -> None:
    tokens = {"vault": AudienceToken("jwt", "2030-01-01T00:00:00Z")}
    assert node_publish_secrets(None, True) is None
    assert node_publish_secrets(tokens, False) is None
    expected = '{"vault":{"token":"jwt","expirationTimestamp":"2030-01-01T00:00:00Z"}}'
    assert node_publish_secrets(tokens, True) == {"csi.storage.k8s.io/serviceAccount.tokens": expected}
    assert tokens_in_secrets([{"audience": "vault"}], (1, 35)) is True
    assert tokens_in_secrets([{"audience": "vault"}], (1, 34)) is False
    assert tokens_in_secrets([], (1, 35)) is False


def test_request_is_the_drivers_json() -> None:
    request = mount_request({"b": "2", "a": "<&>"}, None, "/t")
    assert request == {"attributes": '{"a":"\\u003c\\u0026\\u003e","b":"2"}', "secrets": "null", "targetPath": "/t",
                       "permission": "420"}  # fmt: skip
    assert json.loads(request["attributes"]) == {"a": "<&>", "b": "2"}
    assert go_map_json({}) == "{}"


def test_request_carries_object_versions_only_when_given() -> None:
    request = mount_request({}, {}, "/t", {"db-password": "v1"})
    assert request["secrets"] == "{}"
    assert request["currentObjectVersion"] == [{"id": "db-password", "version": "v1"}]
    assert "currentObjectVersion" not in mount_request({}, None, "/t", {})


def test_a_successful_response_gives_files_and_versions() -> None:
    out = json.dumps({
        "objectVersion": [{"id": "db-password", "version": "abc="}, {"id": "empty"}],
        "files": [{"path": "db-password", "mode": 420, "contents": base64.b64encode(b"s3cr\x00t").decode()},
                  {"path": "empty", "mode": 384}],
    })  # fmt: skip
    result = parse_mount_output(out, 0)
    assert result == MountResult(
        files={"db-password": b"s3cr\x00t", "empty": b""},
        modes={"db-password": 420, "empty": 384},
        object_versions={"db-password": "abc=", "empty": ""},
    )
    assert not result.failed and result.error == ""


def test_a_provider_error_code_is_a_failure_without_files() -> None:
    result = parse_mount_output('{"error":{"code":"FailedToLogin"}}', 0)
    assert result == MountResult(error_code="FailedToLogin")
    assert result.failed and result.error == "FailedToLogin"


def test_a_grpc_error_is_a_failure_with_its_message() -> None:
    out = '{"code":"Unknown","message":"error making mount request: failed to login: Code: 403"}'
    result = parse_mount_output(out, 3)
    assert result == MountResult(
        grpc_code="Unknown", grpc_message="error making mount request: failed to login: Code: 403"
    )
    assert result.failed and result.error == "Unknown: error making mount request: failed to login: Code: 403"


def test_a_client_failure_raises() -> None:
    with pytest.raises(CsiError, match="csi-mount exited 1: csi-mount: connect: no such file"):
        parse_mount_output("", 1, "csi-mount: connect: no such file\n")


def test_version_response() -> None:
    out = '{"version":"v1alpha1","runtimeName":"vault-csi-provider","runtimeVersion":"v1.7.4"}'
    assert parse_version_output(out, 0) == ProviderVersion("v1alpha1", "vault-csi-provider", "v1.7.4")
    with pytest.raises(CsiError):
        parse_version_output('{"code":"Unavailable","message":"x"}', 3)


def test_provider_runs_chrooted_with_the_charts_flags() -> None:
    ports = ControllerPorts(28080, 28081, 28443, 28082)
    assert provider_argv("/usr/sbin/chroot", Path("/s/root"), ports) == [
        "/usr/sbin/chroot", "/s/root", "/bin/vault-csi-provider", "--endpoint=/provider/vault.sock",
        "--log-level=info", "--hmac-secret-name=vault-csi-provider-hmac-key", "--health-addr=127.0.0.1:28082",
    ]  # fmt: skip
    assert socket_path(Path("/s")) == Path("/s/controllers/vault-csi-provider/root/provider/vault.sock")


def test_provider_ports_move_with_the_offset() -> None:
    assert ControllerPorts.from_env({"VAULT_K8S_LOCAL_PORT_OFFSET": "100"}).csi_provider_health == 28182
    assert ControllerPorts.from_env({}).all() == [28080, 28081, 28443, 28082]


def test_provider_rbac_is_the_charts() -> None:
    objects = {body["kind"]: body for body in rbac_objects("ns")}
    assert list(objects) == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]
    assert objects["ClusterRole"]["rules"] == [
        {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}
    ]
    role = objects["Role"]
    assert (role["apiVersion"], role["metadata"]["namespace"]) == ("rbac.authorization.k8s.io/v1", "ns")
    assert role["metadata"]["name"] == "vault-csi-provider-role"
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "verbs": ["get"],
            "resourceNames": ["vault-csi-provider-hmac-key"],
        },
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
    ]
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        assert objects[kind]["subjects"] == [
            {"kind": "ServiceAccount", "name": "vault-csi-provider", "namespace": "ns"}
        ]


def test_chroot_holds_the_binary_the_vault_ca_and_the_socket_folder(tmp_path: Path) -> None:
    binary = tmp_path / "vault-csi-provider"
    binary.write_bytes(b"\x7fELF")
    root = tmp_path / "root"
    prepare_root(root, binary, b"VAULT CA")
    tree = sorted(str(p.relative_to(root)) + ("/" if p.is_dir() else "") for p in root.rglob("*"))
    assert tree == ["bin/", "bin/vault-csi-provider", "provider/", "vault/", "vault/tls/", "vault/tls/ca.crt"]
    assert (root / "bin/vault-csi-provider").read_bytes() == b"\x7fELF"
    assert (root / "vault/tls/ca.crt").read_bytes() == b"VAULT CA"
    prepare_root(root, binary, b"NEW CA")
    assert (root / "vault/tls/ca.crt").read_bytes() == b"NEW CA"
