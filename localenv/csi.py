"""Call the Vault CSI provider's Mount exactly as the secrets-store-csi-driver v1.6.0 does for a pod's volume.

The kubelet hands the driver the CSI volume's attributes plus the pod's identity (the driver chart's CSIDriver
has `podInfoOnMount: true`) and tokens for the CSIDriver's `tokenRequests`; the driver adds the
SecretProviderClass's parameters and calls the provider over its unix socket (pkg/secrets-store/nodeserver.go,
provider_client.go `MountContent`). `csi-mount` (localenv/go/csi-mount) makes that gRPC call; this module builds
its request from the API server's objects and reads its answer. Nothing here writes files: the driver would
write `files` into the pod's tmpfs, the tests compare them instead.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from kubernetes import client

from derive.custom_resources import SPC_API_VERSION
from derive.helm_values import csi_driver_values
from derive.workloads import CSI_DRIVER
from localenv.controlplane.kubeapi import KubeApi
from localenv.controlplane.paths import require_binary
from stackconfig.models import StackConfig

SPC_FIELD = "secretProviderClass"
POD_NAME = "csi.storage.k8s.io/pod.name"
POD_NAMESPACE = "csi.storage.k8s.io/pod.namespace"
POD_UID = "csi.storage.k8s.io/pod.uid"
SERVICE_ACCOUNT = "csi.storage.k8s.io/serviceAccount.name"
EPHEMERAL = "csi.storage.k8s.io/ephemeral"
TOKENS = "csi.storage.k8s.io/serviceAccount.tokens"
# The driver's filePermission (0644), sent as json.Marshal(os.FileMode) gives it.
FILE_PERMISSION = 0o644
# The driver chart sets serviceAccountTokenInSecrets from this Kubernetes minor on (with tokenRequests).
TOKENS_IN_SECRETS_FROM = (1, 35)
CLIENT = "csi-mount"
GRPC_ERROR_EXIT = 3


class CsiError(RuntimeError):
    """The call could not be made (no CSI volume, no client, transport failure); not a provider refusal."""


@dataclass(frozen=True)
class CsiPod:
    """What the kubelet knows of a pod's secrets-store volume when it calls NodePublishVolume."""

    name: str
    namespace: str
    uid: str
    service_account: str
    volume: str
    volume_attributes: Mapping[str, str]

    @classmethod
    def from_object(cls, pod: Mapping[str, Any]) -> CsiPod:
        meta, spec = pod["metadata"], pod["spec"]
        for volume in spec.get("volumes", []):
            csi = volume.get("csi")
            if csi and csi.get("driver") == CSI_DRIVER:
                return cls(
                    name=meta["name"], namespace=meta["namespace"], uid=meta["uid"],
                    # The API server defaults it to "default"; the kubelet passes what the spec says.
                    service_account=spec.get("serviceAccountName", ""),
                    volume=volume["name"], volume_attributes=dict(csi.get("volumeAttributes", {})),
                )  # fmt: skip
        raise CsiError(f"pod {meta['namespace']}/{meta['name']} has no {CSI_DRIVER} volume")

    @property
    def secret_provider_class(self) -> str:
        return self.volume_attributes.get(SPC_FIELD, "")

    @property
    def target_path(self) -> str:
        """Where the kubelet asks the driver to mount the volume."""
        return f"/var/lib/kubelet/pods/{self.uid}/volumes/kubernetes.io~csi/{self.volume}/mount"


@dataclass(frozen=True)
class AudienceToken:
    """A TokenRequest's status, as the kubelet passes it per audience."""

    token: str
    expiration_timestamp: str


def go_json(value: Any) -> str:
    """json.dumps with Go's json.Marshal output: compact, UTF-8, HTML characters escaped. Pass maps sorted."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escaped)
    return text


def go_map_json(mapping: Mapping[str, Any] | None) -> str:
    """json.Marshal of a Go map: keys sorted, a nil map is `null`."""
    if mapping is None:
        return "null"
    return go_json({k: mapping[k] for k in sorted(mapping)})


def tokens_json(tokens: Mapping[str, AudienceToken]) -> str:
    """The kubelet's `csi.storage.k8s.io/serviceAccount.tokens`: audience -> TokenRequestStatus (field order)."""
    return go_map_json(
        {a: {"token": t.token, "expirationTimestamp": t.expiration_timestamp} for a, t in tokens.items()}
    )


def kubelet_attributes(pod: CsiPod) -> dict[str, str]:
    """The volume context the kubelet sends: the volume's attributes and the pod's identity (podInfoOnMount)."""
    return {
        **pod.volume_attributes,
        POD_NAME: pod.name,
        POD_NAMESPACE: pod.namespace,
        POD_UID: pod.uid,
        SERVICE_ACCOUNT: pod.service_account,
        EPHEMERAL: "true",
    }


def mount_attributes(
    spc_parameters: Mapping[str, str], pod: CsiPod, tokens: Mapping[str, AudienceToken] | None = None
) -> dict[str, str]:
    """The driver's parameters: the SecretProviderClass's, overridden by the kubelet's attributes, plus the
    tokens when the CSIDriver requests any (absent otherwise: the provider then requests its own)."""
    attributes = {**spc_parameters, **kubelet_attributes(pod)}
    if tokens:
        attributes[TOKENS] = tokens_json(tokens)
    return attributes


def node_publish_secrets(tokens: Mapping[str, AudienceToken] | None, in_secrets: bool) -> dict[str, str] | None:
    """NodePublishVolume's secrets: none without a nodePublishSecretRef (nil after gRPC, so `null` in JSON), or
    the tokens when the CSIDriver has serviceAccountTokenInSecrets."""
    if tokens and in_secrets:
        return {TOKENS: tokens_json(tokens)}
    return None


def tokens_in_secrets(token_requests: Sequence[Mapping[str, Any]], server_version: tuple[int, int]) -> bool:
    """What the driver chart renders into the CSIDriver: serviceAccountTokenInSecrets with tokenRequests on 1.35+."""
    return bool(token_requests) and server_version >= TOKENS_IN_SECRETS_FROM


def mount_request(
    attributes: Mapping[str, str],
    secrets: Mapping[str, str] | None,
    target_path: str,
    current: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A MountRequest in the proto's canonical JSON. The driver v1.6.0 always sends no currentObjectVersion."""
    request: dict[str, Any] = {
        "attributes": go_map_json(attributes),
        "secrets": go_map_json(secrets),
        "targetPath": target_path,
        "permission": go_json(FILE_PERMISSION),
    }
    if current:
        request["currentObjectVersion"] = [{"id": k, "version": v} for k, v in current.items()]
    return request


@dataclass(frozen=True)
class MountResult:
    """A MountResponse, or the gRPC error the call ended with."""

    files: dict[str, bytes] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    object_versions: dict[str, str] = field(default_factory=dict)
    error_code: str = ""
    """MountResponse.error.code: a refusal the provider reports in its answer."""
    grpc_code: str = ""
    grpc_message: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error_code or self.grpc_code)

    @property
    def error(self) -> str:
        if self.grpc_code:
            return f"{self.grpc_code}: {self.grpc_message}"
        return self.error_code


@dataclass(frozen=True)
class ProviderVersion:
    version: str
    runtime_name: str
    runtime_version: str


def parse_mount_output(stdout: str, returncode: int, stderr: str = "") -> MountResult:
    if returncode == GRPC_ERROR_EXIT:
        error = json.loads(stdout)
        return MountResult(grpc_code=error["code"], grpc_message=error["message"])
    if returncode != 0:
        raise CsiError(f"{CLIENT} exited {returncode}: {stderr.strip()}")
    response = json.loads(stdout)
    files: dict[str, bytes] = {}
    modes: dict[str, int] = {}
    # Canonical JSON omits empty fields: no `contents` is an empty file, no `mode` is 0.
    for entry in response.get("files", []):
        files[entry["path"]] = base64.b64decode(entry.get("contents", ""))
        modes[entry["path"]] = int(entry.get("mode", 0))
    versions = {v["id"]: v.get("version", "") for v in response.get("objectVersion", [])}
    return MountResult(files, modes, versions, response.get("error", {}).get("code", ""))


def parse_version_output(stdout: str, returncode: int, stderr: str = "") -> ProviderVersion:
    if returncode != 0:
        raise CsiError(f"{CLIENT} -version exited {returncode}: {stdout.strip()} {stderr.strip()}")
    data = json.loads(stdout)
    return ProviderVersion(data.get("version", ""), data.get("runtimeName", ""), data.get("runtimeVersion", ""))


def _run(socket: Path, extra: Sequence[str], stdin: str, timeout: float) -> subprocess.CompletedProcess[str]:
    argv = [str(require_binary(CLIENT)), "-endpoint", str(socket), "-timeout", f"{timeout:g}s", *extra]
    # The process gets a little longer than its own deadline, so its error is the one reported.
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout + 10, check=False)


def call_mount(socket: Path, request: Mapping[str, Any], timeout: float = 30.0) -> MountResult:
    done = _run(socket, (), json.dumps(request), timeout)
    return parse_mount_output(done.stdout, done.returncode, done.stderr)


def provider_version(socket: Path, timeout: float = 10.0) -> ProviderVersion:
    done = _run(socket, ("-version",), "", timeout)
    return parse_version_output(done.stdout, done.returncode, done.stderr)


# -- from the API server -------------------------------------------------------


def token_requests_of(cfg: StackConfig) -> list[dict[str, Any]]:
    """The CSIDriver's tokenRequests the driver chart would render from the stack's values."""
    return list(csi_driver_values(cfg).get("tokenRequests", []))


def read_pod(api: KubeApi, namespace: str, name: str) -> CsiPod:
    pod = api.read("v1", "Pod", name, namespace)
    if pod is None:
        raise CsiError(f"pod {namespace}/{name} not found")
    return CsiPod.from_object(pod)


def read_spc_parameters(api: KubeApi, namespace: str, name: str) -> dict[str, str]:
    spc = api.read(SPC_API_VERSION, "SecretProviderClass", name, namespace)
    if spc is None:
        raise CsiError(f"SecretProviderClass {namespace}/{name} not found")
    return {str(k): str(v) for k, v in spc["spec"].get("parameters", {}).items()}


def server_version(api: KubeApi) -> tuple[int, int]:
    data = api.plain(client.VersionApi(api.api_client).get_code())
    return int(data["major"]), int("".join(c for c in data["minor"] if c.isdigit()))


def request_tokens(api: KubeApi, pod: CsiPod, token_requests: Sequence[Mapping[str, Any]]) -> dict[str, AudienceToken]:
    """The kubelet's TokenRequests for the CSIDriver's tokenRequests: one per audience, bound to the pod."""
    tokens: dict[str, AudienceToken] = {}
    for wanted in token_requests:
        audience = str(wanted.get("audience", ""))
        seconds = wanted.get("expirationSeconds")
        spec = client.V1TokenRequestSpec(
            # An empty audience means the API server's default audiences.
            audiences=[audience] if audience else [],
            bound_object_ref=client.V1BoundObjectReference(api_version="v1", kind="Pod", name=pod.name, uid=pod.uid),
            expiration_seconds=int(seconds) if seconds is not None else None,
        )
        request = client.AuthenticationV1TokenRequest(
            api_version="authentication.k8s.io/v1", kind="TokenRequest", spec=spec
        )
        status = api.core.create_namespaced_service_account_token(pod.service_account, pod.namespace, request).status
        if status is None or not status.token or status.expiration_timestamp is None:
            raise CsiError(f"TokenRequest for pod {pod.namespace}/{pod.name} returned no token")
        # RFC 3339 in UTC with a Z, as the API server writes it (and the kubelet passes it on).
        expires = status.expiration_timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        tokens[audience] = AudienceToken(status.token, expires)
    return tokens


def pod_mount_request(
    api: KubeApi,
    namespace: str,
    pod_name: str,
    token_requests: Sequence[Mapping[str, Any]] = (),
    *,
    parameters: Mapping[str, str] | None = None,
    current: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The MountRequest the driver sends for the pod's volume; `parameters` replaces the SecretProviderClass's."""
    pod = read_pod(api, namespace, pod_name)
    spc = parameters if parameters is not None else read_spc_parameters(api, namespace, pod.secret_provider_class)
    tokens = request_tokens(api, pod, token_requests)
    in_secrets = tokens_in_secrets(token_requests, server_version(api)) if tokens else False
    return mount_request(
        mount_attributes(spc, pod, tokens), node_publish_secrets(tokens, in_secrets), pod.target_path, current
    )


def mount_pod(
    api: KubeApi,
    socket: Path,
    namespace: str,
    pod_name: str,
    token_requests: Sequence[Mapping[str, Any]] = (),
    *,
    parameters: Mapping[str, str] | None = None,
    current: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> MountResult:
    request = pod_mount_request(api, namespace, pod_name, token_requests, parameters=parameters, current=current)
    return call_mount(socket, request, timeout)
