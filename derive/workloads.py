"""Pod specs of the demo workloads, one shape per delivery method."""

from typing import Any

from stackconfig.models import AppDecl, DatabaseRef, KvRef, PkiRef, database_file

CSI_DRIVER = "secrets-store.csi.k8s.io"
CSI_VOLUME = "secrets-store-inline"
TLS_MOUNT_DIR = "/etc/tls"
DATABASE_MOUNT_DIR = "/etc/database"
# The projected token the injected agent logs in with, when roles bind an audience.
AGENT_TOKEN_VOLUME = "vault-token"
AGENT_TOKEN_SECONDS = 3600


def workload_labels(app: AppDecl) -> dict[str, str]:
    return dict(app.workload.labels) or {"app": app.workload.name}


def _container(app: AppDecl, pull_policy: str | None, **extra: Any) -> dict[str, Any]:
    """The app's container; `pull_policy` is `charts.imagePullPolicy` (unset: Kubernetes' default)."""
    policy = {"imagePullPolicy": pull_policy} if pull_policy is not None else {}
    return {"name": "webapp", "image": app.workload.image, **policy, **extra}


def csi_pod_spec(app: AppDecl, pull_policy: str | None = None) -> dict[str, Any]:
    """The CSI volume mounted read-only at the declared path."""
    assert app.secret_provider_class is not None
    return {
        "serviceAccountName": app.service_account,
        "containers": [
            _container(
                app,
                pull_policy,
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


def injector_pod_spec(app: AppDecl, audience: str | None = None, pull_policy: str | None = None) -> dict[str, Any]:
    """A plain pod; the injector adds the agent from the template's annotations. With an audience, a projected
    token for it, which the agent mounts and logs in with (the default token's audience is the API server's)."""
    spec: dict[str, Any] = {"serviceAccountName": app.service_account, "containers": [_container(app, pull_policy)]}
    if audience:
        token = {"audience": audience, "expirationSeconds": AGENT_TOKEN_SECONDS, "path": "token"}
        spec["volumes"] = [{"name": AGENT_TOKEN_VOLUME, "projected": {"sources": [{"serviceAccountToken": token}]}}]
    return spec


def vso_pod_spec(app: AppDecl, pull_policy: str | None = None) -> dict[str, Any]:
    """KV keys as environment variables; the TLS and database Secrets as files (a Secret volume follows a
    renewed certificate or credential; environment variables would not)."""
    env = [
        {
            "name": key.upper().replace("-", "_"),
            "valueFrom": {"secretKeyRef": {"name": ref.secret_name, "key": key}},
        }
        for ref in app.secrets
        if isinstance(ref, KvRef)
        for key in ref.keys
    ]
    files = [
        (kind, directory, [r for r in app.secrets if isinstance(r, ref_type)])
        for kind, directory, ref_type in (("tls", TLS_MOUNT_DIR, PkiRef), ("db", DATABASE_MOUNT_DIR, DatabaseRef))
    ]
    volumes = [
        {"name": f"{kind}-{i}", "secret": {"secretName": r.secret_name}}
        for kind, _, refs in files
        for i, r in enumerate(refs)
    ]
    mounts = [
        {"name": f"{kind}-{i}", "mountPath": f"{directory}/{r.secret_name}", "readOnly": True}
        for kind, directory, refs in files
        for i, r in enumerate(refs)
    ]
    container = _container(app, pull_policy, env=env) if env else _container(app, pull_policy)
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


def label_selector(app: AppDecl) -> str:
    """The workload's pods as `kubectl -l` selects them: `app=webapp`."""
    return ",".join(f"{k}={v}" for k, v in workload_labels(app).items())


def delivery_command(app: AppDecl) -> str:
    """How to see the delivered secret, as the tutorial shows it."""
    name = app.workload.name
    ns = "" if app.namespace == "default" else f" -n {app.namespace}"
    if app.method == "vso":
        first = app.secrets[0]
        return f"kubectl get secret{ns} {first.secret_name} -o yaml"
    if app.method == "csi":
        target = name if app.workload.kind == "Pod" else f"deploy/{name}"
        first = next(r for r in app.secrets if not isinstance(r, PkiRef))
        file = first.file if isinstance(first, KvRef) else database_file(first.file or "", "username")
        return f"kubectl exec{ns} {target} -- cat {app.workload.mount_path}/{file}"
    selector = label_selector(app)
    first_file = next(r.cert_file if isinstance(r, PkiRef) else r.file for r in app.secrets)
    return (
        f"kubectl exec{ns} $(kubectl get pod{ns} -l {selector} "
        f'-o jsonpath="{{.items[0].metadata.name}}") -c webapp -- cat /vault/secrets/{first_file}'
    )
