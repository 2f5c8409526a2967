"""Pod specs per delivery method, and the tutorial's commands to see the delivered secret."""

from __future__ import annotations

import pytest

from derive.workloads import (
    csi_pod_spec,
    delivery_command,
    deployment_spec,
    injector_pod_spec,
    label_selector,
    vso_pod_spec,
    workload_labels,
)
from stackconfig.models import AppDecl
from tests.unit import app, load_stack


def _dev(name: str) -> AppDecl:
    return app(load_stack("dev"), name)


def _prod(name: str) -> AppDecl:
    return app(load_stack("prod"), name)


def test_csi_pod_is_the_tutorials_webapp() -> None:
    assert csi_pod_spec(_dev("webapp")) == {
        "serviceAccountName": "webapp-sa",
        "containers": [
            {
                "name": "webapp",
                "image": "jweissig/app:0.0.1",
                "volumeMounts": [{"name": "secrets-store-inline", "mountPath": "/mnt/secrets-store", "readOnly": True}],
            }
        ],
        "volumes": [
            {
                "name": "secrets-store-inline",
                "csi": {
                    "driver": "secrets-store.csi.k8s.io",
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": "vault-database"},
                },
            }
        ],
    }


def test_injector_pod_is_plain() -> None:
    assert injector_pod_spec(_dev("webapp-injection")) == {
        "serviceAccountName": "webapp-vault",
        "containers": [{"name": "webapp", "image": "jweissig/app:0.0.1"}],
    }


def test_vso_pod_reads_env_and_tls_files() -> None:
    assert vso_pod_spec(_dev("webapp-vso")) == {
        "serviceAccountName": "webapp-vso",
        "containers": [
            {
                "name": "webapp",
                "image": "jweissig/app:0.0.1",
                "env": [
                    {"name": "USERNAME", "valueFrom": {"secretKeyRef": {"name": "webapp-config", "key": "username"}}},
                    {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "webapp-config", "key": "password"}}},
                ],
                "volumeMounts": [{"name": "tls-0", "mountPath": "/etc/tls/webapp-tls", "readOnly": True}],
            }
        ],
        "volumes": [{"name": "tls-0", "secret": {"secretName": "webapp-tls"}}],
    }


def test_vso_pod_kv_only() -> None:
    decl = AppDecl.model_validate(
        {
            "name": "api",
            "method": "vso",
            "serviceAccount": "api",
            "policy": "api",
            "role": "api",
            "secrets": [{"kind": "kv", "mount": "kv", "path": "api", "keys": ["api-key"], "secretName": "api"}],
            "workload": {"name": "api", "image": "example/api:1"},
        }
    )
    assert vso_pod_spec(decl) == {
        "serviceAccountName": "api",
        "containers": [
            {
                "name": "webapp",
                "image": "example/api:1",
                "env": [{"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "api-key"}}}],
            }
        ],
    }


def test_labels() -> None:
    assert workload_labels(_dev("webapp-injection")) == {"app": "issues"}
    assert workload_labels(_dev("webapp-vso")) == {"app": "webapp-vso"}


def test_deployment_is_the_tutorials_webapp_injection() -> None:
    decl = _dev("webapp-injection")
    pod = injector_pod_spec(decl)
    assert deployment_spec(decl, pod, {"a": "b"}) == {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "issues"}},
        "template": {"metadata": {"labels": {"app": "issues"}, "annotations": {"a": "b"}}, "spec": pod},
    }


def test_deployment_without_annotations() -> None:
    decl = _prod("ledger")
    pod = vso_pod_spec(decl)
    assert deployment_spec(decl, pod, {}) == {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "ledger"}},
        "template": {"metadata": {"labels": {"app": "ledger"}}, "spec": pod},
    }


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("webapp", "kubectl exec webapp -- cat /mnt/secrets-store/db-password"),
        (
            "webapp-injection",
            'kubectl exec $(kubectl get pod -l app=issues -o jsonpath="{.items[0].metadata.name}") '
            "-c webapp -- cat /vault/secrets/my-config.txt",
        ),
        ("webapp-vso", "kubectl get secret webapp-config -o yaml"),
    ],
)
def test_dev_delivery_commands_are_the_tutorials(name: str, command: str) -> None:
    assert delivery_command(_dev(name)) == command


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("orders", "kubectl exec -n orders deploy/orders -- cat /mnt/secrets-store/db-password"),
        (
            "billing",
            "kubectl exec -n billing "
            '$(kubectl get pod -n billing -l app=billing -o jsonpath="{.items[0].metadata.name}") '
            "-c webapp -- cat /vault/secrets/api.env",
        ),
        ("ledger", "kubectl get secret -n ledger ledger-config -o yaml"),
    ],
)
def test_prod_delivery_commands_name_the_namespace(name: str, command: str) -> None:
    assert delivery_command(_prod(name)) == command


@pytest.mark.parametrize("policy", ["Never", "IfNotPresent", "Always"])
def test_the_pull_policy_reaches_every_app_container(policy: str) -> None:
    """`charts.imagePullPolicy`: `Never` on a node with imported images fails a missing image at once."""
    cases = [
        (csi_pod_spec(_dev("webapp")), csi_pod_spec(_dev("webapp"), policy)),
        (injector_pod_spec(_dev("webapp-injection")), injector_pod_spec(_dev("webapp-injection"), None, policy)),
        (
            injector_pod_spec(_dev("webapp-injection"), "vault"),
            injector_pod_spec(_dev("webapp-injection"), "vault", policy),
        ),
        (vso_pod_spec(_dev("webapp-vso")), vso_pod_spec(_dev("webapp-vso"), policy)),
        (vso_pod_spec(_dev("db-vso")), vso_pod_spec(_dev("db-vso"), policy)),
    ]
    for plain, with_policy in cases:
        [container] = plain["containers"]
        assert "imagePullPolicy" not in container
        assert with_policy == {**plain, "containers": [{**container, "imagePullPolicy": policy}]}


def test_injector_pod_with_a_pull_policy() -> None:
    assert injector_pod_spec(_dev("webapp-injection"), None, "Never") == {
        "serviceAccountName": "webapp-vault",
        "containers": [{"name": "webapp", "image": "jweissig/app:0.0.1", "imagePullPolicy": "Never"}],
    }


def test_label_selector_is_what_kubectl_l_takes() -> None:
    declared = AppDecl.model_validate(
        {"name": "a", "method": "injector", "serviceAccount": "a", "policy": "a", "role": "a",
         "secrets": [{"kind": "kv", "mount": "m", "path": "p", "keys": ["k"], "file": "f"}],
         "workload": {"name": "w", "labels": {"app": "w", "tier": "web"}}}
    )  # fmt: skip
    assert label_selector(declared) == "app=w,tier=web"
