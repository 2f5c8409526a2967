"""Helm values follow from which methods the apps use and where Vault is."""

from __future__ import annotations

from typing import Any

import pytest

from derive import helm_values
from derive.helm_values import csi_driver_values, image_values, vso_values, with_dev_root_token
from derive.tls import vault_ca_in_use
from stackconfig.load import parse_stack_config
from stackconfig.models import StackConfig
from tests.unit import load_stack, raw_stack

CA_VOLUME = {"name": "vault-ca", "secret": {"secretName": "vault-ca"}}
CA_MOUNT = {"name": "vault-ca", "mountPath": "/vault/tls", "readOnly": True}


def _with(stack: str, **changes: Any) -> StackConfig:
    raw = raw_stack(stack)
    raw.update(changes)
    return parse_stack_config(raw)


def _only(stack: str, method: str) -> StackConfig:
    raw = raw_stack(stack)
    raw["apps"] = [a for a in raw["apps"] if a["method"] == method]
    return parse_stack_config(raw)


def vault_chart_values(cfg: StackConfig) -> dict[str, Any]:
    """The values with the CA decision the plan makes (plan.build)."""
    return helm_values.vault_chart_values(cfg, vault_ca_in_use(cfg))


# The dev Service as a NodePort (`vault.nodePort`), where Pulumi reaches the in-cluster Vault.
DEV_SERVICE = {"type": "NodePort", "nodePort": 30200}
# Stands in for `vaultToken`, which the program passes as a Pulumi secret Output: the values carry it untouched.
TOKEN = object()


def test_dev_vault_chart() -> None:
    """Tutorial 1.2 + 2.1: dev server, CSI provider and injector in one release."""
    assert vault_chart_values(load_stack("dev")) == {
        "injector": {"enabled": True, "webhook": {"failurePolicy": "Ignore"}},
        "csi": {"enabled": True},
        "server": {"dev": {"enabled": True}, "service": DEV_SERVICE},
    }


def test_the_dev_root_token_is_the_given_one() -> None:
    """`vaultToken` replaces the chart's default root token (`root`); the value is passed on as given, so the
    program's secret Output stays a secret."""
    values = with_dev_root_token(vault_chart_values(load_stack("dev")), TOKEN)
    assert values == {
        "injector": {"enabled": True, "webhook": {"failurePolicy": "Ignore"}},
        "csi": {"enabled": True},
        "server": {"dev": {"enabled": True, "devRootToken": TOKEN}, "service": DEV_SERVICE},
    }
    assert values["server"]["dev"]["devRootToken"] is TOKEN


def test_without_a_node_port_the_service_keeps_the_charts_type() -> None:
    raw = raw_stack("dev")
    del raw["vault"]["nodePort"]
    assert vault_chart_values(parse_stack_config(raw))["server"] == {"dev": {"enabled": True}}


BILLING_ONLY = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["billing"]}]}


def test_prod_vault_chart() -> None:
    """The injector fails closed, so it runs twice, keeps one up through drains and sees only its apps' namespaces."""
    assert vault_chart_values(load_stack("prod")) == {
        "injector": {
            "enabled": True,
            "webhook": {"failurePolicy": "Fail", "namespaceSelector": BILLING_ONLY},
            "replicas": 2,
            "podDisruptionBudget": {"maxUnavailable": 1},
        },
        "csi": {"enabled": True, "volumes": [CA_VOLUME], "volumeMounts": [CA_MOUNT]},
        "global": {"externalVaultAddr": "https://vault.prod.example.com:8200"},
    }


def test_csi_only_is_the_tutorials_section_1() -> None:
    """`--set server.dev.enabled=true --set injector.enabled=false --set csi.enabled=true`."""
    assert vault_chart_values(_only("dev", "csi")) == {
        "injector": {"enabled": False},
        "csi": {"enabled": True},
        "server": {"dev": {"enabled": True}, "service": DEV_SERVICE},
    }


def test_injector_only_is_the_tutorials_section_2() -> None:
    assert vault_chart_values(_only("dev", "injector")) == {
        "injector": {"enabled": True, "webhook": {"failurePolicy": "Ignore"}},
        "csi": {"enabled": False},
        "server": {"dev": {"enabled": True}, "service": DEV_SERVICE},
    }


def test_vso_only_needs_neither_injector_nor_csi_provider() -> None:
    assert vault_chart_values(_only("prod", "vso")) == {
        "injector": {"enabled": False},
        "csi": {"enabled": False},
        "global": {"externalVaultAddr": "https://vault.prod.example.com:8200"},
    }


def test_external_unverified_vault_mounts_no_ca() -> None:
    vault = {
        "mode": "external",
        "workloadAddress": "http://vault.lan:8200",
    }
    cfg = _with("prod", vault=vault)
    assert vault_chart_values(cfg)["csi"] == {"enabled": True}
    assert vault_chart_values(cfg)["global"] == {"externalVaultAddr": "http://vault.lan:8200"}


def test_csi_driver_defaults() -> None:
    # dev polls for its database app: the only way the CSI method replaces a database credential.
    assert csi_driver_values(load_stack("dev")) == {
        "syncSecret": {"enabled": True},
        "tokenRequests": [{"audience": "vault"}],
        "enableSecretRotation": True,
        "rotationPollInterval": "2m",
    }


def test_csi_driver_without_an_audience_requests_no_token() -> None:
    cfg = _with("dev", kubernetesAuth={"audience": None})
    assert "tokenRequests" not in csi_driver_values(cfg)
    assert csi_driver_values(cfg)["syncSecret"] == {"enabled": True}


@pytest.mark.parametrize(("interval", "text"), [("2m", "2m"), (120, "120s")])
def test_csi_driver_rotation(interval: str | int, text: str) -> None:
    cfg = _with("dev", charts={"csiRotationPollInterval": interval})
    assert csi_driver_values(cfg) == {
        "syncSecret": {"enabled": True},
        "tokenRequests": [{"audience": "vault"}],
        "enableSecretRotation": True,
        "rotationPollInterval": text,
    }


def test_vso_keeps_chart_defaults() -> None:
    assert vso_values(load_stack("dev")) == {}
    assert vso_values(load_stack("prod")) == {}


def test_fail_closed_injector_sees_every_injector_namespace_and_no_other() -> None:
    raw = raw_stack("prod")
    raw["apps"].append({**raw["apps"][1], "name": "billing-2", "namespace": "audit", "policy": "p2", "role": "r2"})
    selector = vault_chart_values(parse_stack_config(raw))["injector"]["webhook"]["namespaceSelector"]
    assert selector["matchExpressions"][0]["values"] == ["audit", "billing"]


def test_fail_open_injector_keeps_the_chart_defaults() -> None:
    cfg = _with("prod", charts={"injectorFailurePolicy": "Ignore"})
    assert vault_chart_values(cfg)["injector"] == {"enabled": True, "webhook": {"failurePolicy": "Ignore"}}


# --- images, pull policy and node paths (charts.images, charts.imagePullPolicy, charts.kubeletRootDir, ...) --------

DIGEST = "sha256:" + "0123456789abcdef" * 4
MIRROR = "mirror.example:5000"
EVERY_IMAGE = {
    "vault": f"{MIRROR}/hashicorp/vault:1.21.0",
    "vaultK8s": f"{MIRROR}/hashicorp/vault-k8s:1.7.6",
    "vaultCsiProvider": f"{MIRROR}/hashicorp/vault-csi-provider@{DIGEST}",
    "csiDriver": f"{MIRROR}/csi-secrets-store/driver:v1.6.0",
    "csiDriverCrds": f"{MIRROR}/csi-secrets-store/driver-crds:v1.6.0",
    "nodeDriverRegistrar": f"{MIRROR}/sig-storage/csi-node-driver-registrar:v2.16.0",
    "livenessProbe": f"{MIRROR}/sig-storage/livenessprobe:v2.18.0@{DIGEST}",
    "vso": f"{MIRROR}/hashicorp/vault-secrets-operator:1.4.1",
    "kubeRbacProxy": f"{MIRROR}/brancz/kube-rbac-proxy:v0.18.1",
}


def _charts(stack: str, **keys: Any) -> StackConfig:
    """The stack with these `charts` keys added to its own."""
    raw = raw_stack(stack)
    raw["charts"] = {**raw.get("charts", {}), **keys}
    return parse_stack_config(raw)


def _image(path: str, tag: str, policy: str | None = "Never") -> dict[str, str]:
    return {"repository": f"{MIRROR}/{path}", "tag": tag, **({"pullPolicy": policy} if policy else {})}


@pytest.mark.parametrize(
    ("ref", "values"),
    [
        ("hashicorp/vault:2.0.4", {"repository": "hashicorp/vault", "tag": "2.0.4"}),
        ("localhost:5000/vault:1.21.0", {"repository": "localhost:5000/vault", "tag": "1.21.0"}),
        # The charts render `<repository>:<tag>`: a digest reference comes out exactly as written.
        (f"hashicorp/vault@{DIGEST}", {"repository": "hashicorp/vault@sha256", "tag": DIGEST.removeprefix("sha256:")}),
        (
            f"localhost:5000/vault:1.21.0@{DIGEST}",
            {"repository": "localhost:5000/vault:1.21.0@sha256", "tag": DIGEST.removeprefix("sha256:")},
        ),
    ],
)
def test_image_values_render_the_reference_as_written(ref: str, values: dict[str, str]) -> None:
    assert image_values(ref, None) == values
    assert f"{values['repository']}:{values['tag']}" == ref
    assert image_values(ref, "Always") == {**values, "pullPolicy": "Always"}
    assert image_values(None, "Never") == {"pullPolicy": "Never"}
    assert image_values(None, None) == {}


def test_every_override_in_the_vault_chart() -> None:
    """One `vault` image for the server, the injected agent and the CSI provider's agent; the providers dir the
    driver shares."""
    cfg = _charts("dev", images=EVERY_IMAGE, imagePullPolicy="Never", csiProvidersDir="/srv/node/csi-providers")
    assert vault_chart_values(cfg) == {
        "injector": {
            "enabled": True,
            "webhook": {"failurePolicy": "Ignore"},
            "image": _image("hashicorp/vault-k8s", "1.7.6"),
            # No pullPolicy in the chart for the injected agent.
            "agentImage": _image("hashicorp/vault", "1.21.0", None),
        },
        "csi": {
            "enabled": True,
            "image": {
                "repository": f"{MIRROR}/hashicorp/vault-csi-provider@sha256",
                "tag": DIGEST.removeprefix("sha256:"),
                "pullPolicy": "Never",
            },
            "agent": {"image": _image("hashicorp/vault", "1.21.0")},
            "daemonSet": {"providersDir": "/srv/node/csi-providers"},
        },
        "server": {"dev": {"enabled": True}, "service": DEV_SERVICE, "image": _image("hashicorp/vault", "1.21.0")},
    }


def test_every_override_in_the_csi_driver_chart() -> None:
    cfg = _charts(
        "dev",
        images=EVERY_IMAGE,
        imagePullPolicy="Never",
        kubeletRootDir="/srv/node/kubelet",
        csiProvidersDir="/srv/node/csi-providers",
        csiDriverCrdJobs=False,
    )
    assert csi_driver_values(cfg) == {
        "syncSecret": {"enabled": True},
        "tokenRequests": [{"audience": "vault"}],
        "enableSecretRotation": True,
        "rotationPollInterval": "2m",
        "linux": {
            "image": _image("csi-secrets-store/driver", "v1.6.0"),
            "registrarImage": _image("sig-storage/csi-node-driver-registrar", "v2.16.0"),
            "livenessProbeImage": {
                "repository": f"{MIRROR}/sig-storage/livenessprobe:v2.18.0@sha256",
                "tag": DIGEST.removeprefix("sha256:"),
                "pullPolicy": "Never",
            },
            "crds": {"enabled": False, "image": _image("csi-secrets-store/driver-crds", "v1.6.0")},
            "kubeletRootDir": "/srv/node/kubelet",
            "providersDir": "/srv/node/csi-providers",
        },
    }


def test_every_override_in_the_vso_chart() -> None:
    cfg = _charts("dev", images=EVERY_IMAGE, imagePullPolicy="IfNotPresent")
    assert vso_values(cfg) == {
        "controller": {
            "manager": {"image": _image("hashicorp/vault-secrets-operator", "1.4.1", "IfNotPresent")},
            "kubeRbacProxy": {"image": _image("brancz/kube-rbac-proxy", "v0.18.1", "IfNotPresent")},
        }
    }


def test_a_pull_policy_alone_reaches_every_image_that_has_one() -> None:
    cfg = _charts("prod", imagePullPolicy="Always")
    always = {"pullPolicy": "Always"}
    vault = vault_chart_values(cfg)
    assert (vault["server"], vault["injector"]["image"], vault["csi"]["image"], vault["csi"]["agent"]) == (
        {"image": always},
        always,
        always,
        {"image": always},
    )
    assert "agentImage" not in vault["injector"]
    assert csi_driver_values(cfg)["linux"] == {
        "image": always,
        "registrarImage": always,
        "livenessProbeImage": always,
        "crds": {"image": always},
    }
    assert vso_values(cfg) == {"controller": {"manager": {"image": always}, "kubeRbacProxy": {"image": always}}}


def test_one_image_changes_only_its_values() -> None:
    cfg = _charts("dev", images={"vaultK8s": "hashicorp/vault-k8s:1.7.5"})
    expected = vault_chart_values(load_stack("dev"))
    expected["injector"]["image"] = {"repository": "hashicorp/vault-k8s", "tag": "1.7.5"}
    assert vault_chart_values(cfg) == expected
    assert csi_driver_values(cfg) == csi_driver_values(load_stack("dev"))
    assert vso_values(cfg) == {}


def test_crd_jobs_off_only_disables_the_hooks() -> None:
    assert csi_driver_values(_charts("dev", csiDriverCrdJobs=False)) == {
        **csi_driver_values(load_stack("dev")),
        "linux": {"crds": {"enabled": False}},
    }
    # The default leaves the chart's own default (true) in place.
    assert "linux" not in csi_driver_values(_charts("dev", csiDriverCrdJobs=True))


def test_kubelet_root_dir_goes_to_the_driver_only() -> None:
    cfg = _charts("dev", kubeletRootDir="/srv/node/kubelet/")
    assert csi_driver_values(cfg)["linux"] == {"kubeletRootDir": "/srv/node/kubelet"}
    assert vault_chart_values(cfg) == vault_chart_values(load_stack("dev"))


def test_providers_dir_is_the_same_for_the_provider_and_the_driver() -> None:
    cfg = _charts("prod", csiProvidersDir="/srv/node/csi-providers")
    assert vault_chart_values(cfg)["csi"]["daemonSet"] == {"providersDir": "/srv/node/csi-providers"}
    assert csi_driver_values(cfg)["linux"] == {"providersDir": "/srv/node/csi-providers"}
