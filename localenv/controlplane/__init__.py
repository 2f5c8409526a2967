"""A local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) plus an OpenBao dev server."""

from .controlplane import Component, ComponentStatus, ControlPlane
from .errors import ControlPlaneError
from .kubeapi import KubeApi

__all__ = [
    "Component",
    "ComponentStatus",
    "ControlPlane",
    "ControlPlaneError",
    "KubeApi",
]
