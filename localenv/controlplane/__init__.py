"""A local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) plus a Vault dev server
(HashiCorp Vault or OpenBao)."""

from .controlplane import Component, ComponentStatus, ControlPlane, running_in
from .errors import ControlPlaneError
from .kubeapi import KubeApi

__all__ = [
    "Component",
    "ComponentStatus",
    "ControlPlane",
    "ControlPlaneError",
    "KubeApi",
    "running_in",
]
