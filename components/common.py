"""Small helpers shared by the components."""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from derive.workloads import deployment_spec, workload_labels
from stackconfig.models import AppDecl

SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}


def child(parent: pulumi.Resource, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
    """Options of a child: parented to its component, optionally ordered after others."""
    return pulumi.ResourceOptions(parent=parent, depends_on=depends_on or None)


def metadata(name: str, namespace: str, skip_await: bool = False, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, **extra}
    if skip_await:
        meta["annotations"] = {**meta.get("annotations", {}), **SKIP_AWAIT}
    return meta


def workload(
    name: str,
    parent: pulumi.Resource,
    app: AppDecl,
    pod_spec: dict[str, Any],
    template_annotations: dict[str, str] | None = None,
    skip_await: bool = False,
    depends_on: list[pulumi.Resource] | None = None,
) -> pulumi.CustomResource:
    """The app's Pod or Deployment with the delivery wiring in its pod spec."""
    labels = workload_labels(app)
    opts = child(parent, depends_on)
    if app.workload.kind == "Pod":
        meta = metadata(app.workload.name, app.namespace, skip_await, labels=labels)
        if template_annotations:
            meta["annotations"] = {**template_annotations, **meta.get("annotations", {})}
        return k8s.core.v1.Pod(name, metadata=meta, spec=pod_spec, opts=opts)
    return k8s.apps.v1.Deployment(
        name,
        metadata=metadata(app.workload.name, app.namespace, skip_await, labels=labels),
        spec=deployment_spec(app, pod_spec, template_annotations or {}),
        opts=opts,
    )
