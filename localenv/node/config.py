"""The node's configuration files, rendered from plain values so they are checked without the binaries.

Every setting here that a stock node would not need says why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .namespaces import NODE_IP

NODE_NAME = "vault-k8s-node"
POD_CIDR = "10.244.0.0/24"
CLUSTER_DOMAIN = "cluster.local"
CLUSTER_DNS = "10.0.0.10"
KUBELET_PORT = 10250
SCHEDULER_PORT = 26259
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10.1"
# Inside the node's mount namespace these sit on tmpfs (namespaces.PRIVATE_DIRS): the charts' default paths work.
KUBELET_ROOT = "/var/lib/kubelet"
CONTAINERD_STATE = "/run/containerd"
# Every cgroup the node makes sits under this one, in each hierarchy, so stop removes them all.
CGROUP_ROOT = "/vault-k8s-node"

KUBELET_SYNC_FREQUENCY_S = 10
"""The kubelet's pod resync period. Each pod is resynced every period plus up to half of it again (pod workers'
jitter), and each resync republishes its CSI volumes."""


@dataclass(frozen=True)
class NodePaths:
    directory: Path

    @property
    def containerd_config(self) -> Path:
        return self.directory / "containerd.toml"

    @property
    def containerd_root(self) -> Path:
        # On disk: images are large, and a restart of the node keeps them.
        return self.directory / "containerd"

    @property
    def containerd_socket(self) -> Path:
        return self.directory / "containerd.sock"

    @property
    def cni_conf_dir(self) -> Path:
        return self.directory / "cni"

    @property
    def kubelet_config(self) -> Path:
        return self.directory / "kubelet.json"

    @property
    def kube_proxy_config(self) -> Path:
        return self.directory / "kube-proxy.json"

    @property
    def egress_config(self) -> Path:
        return self.directory / "egress-selector.json"

    @property
    def egress_socket(self) -> Path:
        return self.directory / "egress.sock"

    def kubeconfig(self, name: str) -> Path:
        return self.directory / f"{name}.kubeconfig"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def render_toml(tables: dict[str, dict[str, Any]]) -> str:
    """Flat TOML: top-level keys under "", then one [table] per dotted name."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in tables.get("", {}).items()]
    for name, values in tables.items():
        if name:
            lines += ["", f"[{name}]", *(f"{k} = {_toml_value(v)}" for k, v in values.items())]
    return "\n".join(lines) + "\n"


def containerd_config(paths: NodePaths, cni_bin_dir: Path, runc: Path) -> str:
    cri = 'plugins."io.containerd.cri.v1.runtime"'
    return render_toml(
        {
            "": {
                "version": 3,
                "root": str(paths.containerd_root),
                "state": CONTAINERD_STATE,
            },
            "grpc": {"address": str(paths.containerd_socket)},
            # The NRI socket's path is fixed; nothing here uses NRI.
            'plugins."io.containerd.nri.v1.nri"': {"disable": True},
            'plugins."io.containerd.cri.v1.images"': {"snapshotter": "overlayfs"},
            'plugins."io.containerd.cri.v1.images".pinned_images': {"sandbox": SANDBOX_IMAGE},
            # No registry is reachable: images are imported (localenv/node/images.py).
            cri: {
                # Root lacks CAP_SYS_RESOURCE here, so runc cannot lower oom_score_adj below ours.
                "restrict_oom_score_adj": True,
            },
            f"{cri}.cni": {"bin_dirs": [str(cni_bin_dir)], "conf_dir": str(paths.cni_conf_dir)},
            f"{cri}.containerd": {"default_runtime_name": "runc"},
            f"{cri}.containerd.runtimes.runc": {"runtime_type": "io.containerd.runc.v2"},
            # cgroup v1 without systemd.
            f"{cri}.containerd.runtimes.runc.options": {"BinaryName": str(runc), "SystemdCgroup": False},
            'plugins."io.containerd.grpc.v1.cri"': {
                "stream_server_address": "127.0.0.1",
                "stream_server_port": "0",
            },
        }
    )


def cni_config() -> dict[str, Any]:
    return {
        "cniVersion": "1.0.0",
        "name": "vault-k8s",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "hairpinMode": True,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": POD_CIDR}]], "routes": [{"dst": "0.0.0.0/0"}]},
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def kubelet_config(paths: NodePaths, ca_file: Path, cert: Path, key: Path) -> dict[str, Any]:
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": "0.0.0.0",
        "port": KUBELET_PORT,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "tlsCertFile": str(cert),
        "tlsPrivateKeyFile": str(key),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(ca_file)},
        },
        "authorization": {"mode": "Webhook"},
        "clusterDomain": CLUSTER_DOMAIN,
        "clusterDNS": [CLUSTER_DNS],
        "containerRuntimeEndpoint": f"unix://{paths.containerd_socket}",
        # cgroup v1 without systemd: kubelet 1.35 refuses v1 unless told.
        "failCgroupV1": False,
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": CGROUP_ROOT,
        "failSwapOn": False,
        # The pods' resolv.conf comes from clusterDNS; nothing resolves outside the cluster.
        "resolvConf": "",
        # The machine's disk is fuller than the default thresholds allow: the node would taint itself with
        # disk-pressure and garbage-collect the imported images, which cannot be pulled again.
        "evictionHard": {"nodefs.available": "1%", "imagefs.available": "1%", "memory.available": "100Mi"},
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        # Faster than the 1m default, so CSI republish and status updates show within test bounds.
        "syncFrequency": f"{KUBELET_SYNC_FREQUENCY_S}s",
        "volumePluginDir": f"{KUBELET_ROOT}/volume-plugins",
        "serializeImagePulls": False,
        "registerNode": True,
    }


def kube_proxy_config(paths: NodePaths) -> dict[str, Any]:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(paths.kubeconfig("kube-proxy"))},
        "mode": "iptables",
        "hostnameOverride": NODE_NAME,
        "bindAddress": NODE_IP,
        "healthzBindAddress": "127.0.0.1:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        "clusterCIDR": POD_CIDR,
        # The node has no netfilter bridge hooks: without SNAT a pod reaching a Service backed by a pod on the
        # same bridge would get the reply straight from the backend's address and drop it.
        "iptables": {"masqueradeAll": True},
        # No sysctl writes: conntrack sizing is the machine's, not the node's.
        "conntrack": {"maxPerCore": 0},
    }


def egress_selector_config(socket: Path) -> dict[str, Any]:
    """The API server dials the cluster (kubelet, webhooks, Services) through the bridge's CONNECT proxy."""
    return {
        "apiVersion": "apiserver.k8s.io/v1beta1",
        "kind": "EgressSelectorConfiguration",
        "egressSelections": [
            {
                "name": "cluster",
                "connection": {"proxyProtocol": "HTTPConnect", "transport": {"uds": {"udsName": str(socket)}}},
            }
        ],
    }


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
