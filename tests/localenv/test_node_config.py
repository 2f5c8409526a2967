"""The node's configuration files and namespaces setup, rendered from plain values."""

from __future__ import annotations

import tomllib
from pathlib import Path

from localenv.controlplane.args import SERVICE_CIDR, apiserver_args
from localenv.controlplane.certs import Pki
from localenv.node import addons, config, namespaces
from localenv.node.node import apiserver_node_args

PATHS = config.NodePaths(Path("/state/node"))


def test_containerd_config_is_version_3_with_the_settings_this_machine_needs() -> None:
    parsed = tomllib.loads(config.containerd_config(PATHS, Path("/cache/cni/bin"), Path("/usr/sbin/runc")))
    assert parsed["version"] == 3
    assert parsed["root"] == "/state/node/containerd"
    assert parsed["state"] == "/run/containerd"
    assert parsed["grpc"] == {"address": "/state/node/containerd.sock"}
    runtime = parsed["plugins"]["io.containerd.cri.v1.runtime"]
    assert runtime["restrict_oom_score_adj"] is True
    assert runtime["cni"] == {"bin_dirs": ["/cache/cni/bin"], "conf_dir": "/state/node/cni"}
    assert runtime["containerd"]["runtimes"]["runc"]["options"] == {
        "BinaryName": "/usr/sbin/runc",
        "SystemdCgroup": False,
    }
    assert parsed["plugins"]["io.containerd.cri.v1.images"]["pinned_images"] == {"sandbox": config.SANDBOX_IMAGE}
    assert parsed["plugins"]["io.containerd.nri.v1.nri"] == {"disable": True}


def test_kubelet_config_allows_cgroup_v1_and_never_collects_the_imported_images() -> None:
    kubelet = config.kubelet_config(PATHS, Path("/pki/ca.crt"), Path("/pki/k.crt"), Path("/pki/k.key"))
    assert (kubelet["failCgroupV1"], kubelet["cgroupDriver"], kubelet["cgroupRoot"]) == (
        False,
        "cgroupfs",
        "/vault-k8s-node",
    )
    assert kubelet["imageGCHighThresholdPercent"] == 100
    assert kubelet["evictionHard"]["nodefs.available"] == "1%"
    assert kubelet["authentication"]["anonymous"] == {"enabled": False}
    assert kubelet["authorization"] == {"mode": "Webhook"}
    assert kubelet["clusterDNS"] == [addons.CLUSTER_DNS] == ["10.0.0.10"]
    assert kubelet["containerRuntimeEndpoint"] == "unix:///state/node/containerd.sock"
    assert kubelet["readOnlyPort"] == 0


def test_the_cluster_dns_ip_is_in_the_service_range() -> None:
    import ipaddress

    assert ipaddress.ip_address(config.CLUSTER_DNS) in ipaddress.ip_network(SERVICE_CIDR)


def test_egress_goes_through_the_bridge_socket() -> None:
    egress = config.egress_selector_config(Path("/state/node/egress.sock"))
    assert egress["egressSelections"] == [
        {
            "name": "cluster",
            "connection": {
                "proxyProtocol": "HTTPConnect",
                "transport": {"uds": {"udsName": "/state/node/egress.sock"}},
            },
        }
    ]


def test_the_api_server_serves_the_node_with_overrides_not_duplicates() -> None:
    pki = Pki(Path("/pki"))
    argv = apiserver_args(Path("/bin/kube-apiserver"), pki, Path("/c"), 26443, 22379, apiserver_node_args(pki, PATHS))
    flags = [a.split("=", 1)[0] for a in argv[1:]]
    assert len(flags) == len(set(flags))
    assert "--advertise-address=10.10.0.1" in argv
    assert "--endpoint-reconciler-type=lease" in argv
    assert "--authorization-mode=Node,RBAC" in argv
    assert "--egress-selector-config-file=/state/node/egress-selector.json" in argv
    assert "--bind-address=127.0.0.1" in argv


def test_namespace_setup_mounts_private_tmpfs_and_routes_services() -> None:
    ns = namespaces.Namespaces(Path("/state/node/ns"))
    commands = namespaces.setup_commands(ns, SERVICE_CIDR)
    prefix = ["nsenter", "--net=/state/node/ns/net", "--mount=/state/node/ns/mnt", "--"]
    assert all(c[:4] == prefix for c in commands)
    assert commands[0][4:] == ["mount", "--make-rshared", "/"]
    tmpfs = [c[-1] for c in commands if c[4:7] == ["mount", "-t", "tmpfs"]]
    assert tmpfs == ["/run", "/var/lib", "/var/log"]
    assert commands[-1][4:] == ["ip", "route", "add", "10.0.0.0/24", "dev", "vk-node"]


def test_coredns_forwards_nothing_outside_the_cluster() -> None:
    assert "forward" not in addons.COREFILE
    service = next(body for body in addons.manifests() if body["kind"] == "Service")
    assert service["spec"]["clusterIP"] == "10.0.0.10"
