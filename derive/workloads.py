"""Pod specs of the demo workloads, one shape per delivery method."""

from typing import Any

from stackconfig.models import AppDecl, KvRef, PkiRef

CSI_DRIVER = "secrets-store.csi.k8s.io"
CSI_VOLUME = "secrets-store-inline"
TLS_MOUNT_DIR = "/etc/tls"
# The projected token the injected agent logs in with, when roles bind an audience.
AGENT_TOKEN_VOLUME = "vault-token"
AGENT_TOKEN_SECONDS = 3600


def workload_labels(app: AppDecl) -> dict[str, str]:
    return dict(app.workload.labels) or {"app": app.workload.name}


def _container(app: AppDecl, **extra: Any) -> dict[str, Any]:
    return {"name": "webapp", "image": app.workload.image, **extra}


def csi_pod_spec(app: AppDecl) -> dict[str, Any]:
    """The CSI volume mounted read-only at the declared path."""
    assert app.secret_provider_class is not None
    return {
        "serviceAccountName": app.service_account,
        "containers": [
            _container(
                app,
                volumeMounts=[{"name": CSI_VOLUME, "mountPath": app.workload.mount_path, "readOnly": True}],
            )
        ],
        "volumes": [
            {
                "name": CSI_VOLUME,
                "csi": {
                    "driver": CSI_DRIVER,
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": app.secret_provider_class},
                },
            }
        ],
    }


def injector_pod_spec(app: AppDecl, audience: str | None = None) -> dict[str, Any]:
    """A plain pod; the injector adds the agent from the template's annotations. With an audience, a projected
    token for it, which the agent mounts and logs in with (the default token's audience is the API server's)."""
    spec: dict[str, Any] = {"serviceAccountName": app.service_account, "containers": [_container(app)]}
    if audience:
        token = {"audience": audience, "expirationSeconds": AGENT_TOKEN_SECONDS, "path": "token"}
        spec["volumes"] = [{"name": AGENT_TOKEN_VOLUME, "projected": {"sources": [{"serviceAccountToken": token}]}}]
    return spec


def vso_pod_spec(app: AppDecl) -> dict[str, Any]:
    """KV keys as environment variables and the TLS Secret as files."""
    env = [
        {
            "name": key.upper().replace("-", "_"),
            "valueFrom": {"secretKeyRef": {"name": ref.secret_name, "key": key}},
        }
        for ref in app.secrets
        if isinstance(ref, KvRef)
        for key in ref.keys
    ]
    tls = [ref for ref in app.secrets if isinstance(ref, PkiRef)]
    volumes = [{"name": f"tls-{i}", "secret": {"secretName": r.secret_name}} for i, r in enumerate(tls)]
    mounts = [
        {"name": f"tls-{i}", "mountPath": f"{TLS_MOUNT_DIR}/{r.secret_name}", "readOnly": True}
        for i, r in enumerate(tls)
    ]
    container = _container(app, env=env) if env else _container(app)
    if mounts:
        container["volumeMounts"] = mounts
    spec: dict[str, Any] = {"serviceAccountName": app.service_account, "containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    return spec


def deployment_spec(app: AppDecl, pod_spec: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    labels = workload_labels(app)
    metadata: dict[str, Any] = {"labels": labels}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "replicas": app.workload.replicas,
        "selector": {"matchLabels": labels},
        "template": {"metadata": metadata, "spec": pod_spec},
    }


def delivery_command(app: AppDecl) -> str:
    """How to see the delivered secret, as the tutorial shows it."""
    name = app.workload.name
    ns = "" if app.namespace == "default" else f" -n {app.namespace}"
    if app.method == "vso":
        first = app.secrets[0]
        return f"kubectl get secret{ns} {first.secret_name} -o yaml"
    if app.method == "csi":
        target = name if app.workload.kind == "Pod" else f"deploy/{name}"
        files = [r.file for r in app.secrets if isinstance(r, KvRef)]
        return f"kubectl exec{ns} {target} -- cat {app.workload.mount_path}/{files[0]}"
    selector = ",".join(f"{k}={v}" for k, v in workload_labels(app).items())
    first_file = next(r.file if isinstance(r, KvRef) else r.cert_file for r in app.secrets)
    return (
        f"kubectl exec{ns} $(kubectl get pod{ns} -l {selector} "
        f'-o jsonpath="{{.items[0].metadata.name}}") -c webapp -- cat /vault/secrets/{first_file}'
    )
