"""The prod stack: external Vault over TLS with its CA, reviewer token, protected mounts."""

from pathlib import Path

from tests.program.harness import PROD_KUBE_CA, PROD_VAULT_CA, REVIEWER_JWT, Run

VAULT_CA, KUBE_CA = PROD_VAULT_CA, PROD_KUBE_CA


def test_vault_provider_uses_https_and_the_ca(prod: Run) -> None:
    provider = prod.recorder.by_name("vault").inputs
    assert provider["address"] == "https://vault.prod.example.com:8200"
    assert Path(provider["caCertFile"]).read_text() == VAULT_CA
    assert "skipTlsVerify" not in provider


def test_vault_chart_points_at_external_vault(prod: Run) -> None:
    values = prod.recorder.by_name("platform-vault").inputs["values"]
    assert values == {
        "global": {"externalVaultAddr": "https://vault.prod.example.com:8200"},
        "injector": {
            "enabled": True,
            "webhook": {
                "failurePolicy": "Fail",
                "namespaceSelector": {
                    "matchExpressions": [
                        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["billing"]}
                    ]
                },
            },
            "replicas": 2,
            "podDisruptionBudget": {"maxUnavailable": 1},
        },
        "csi": {
            "enabled": True,
            "volumes": [{"name": "vault-ca", "secret": {"secretName": "vault-ca"}}],
            "volumeMounts": [{"name": "vault-ca", "mountPath": "/vault/tls", "readOnly": True}],
        },
    }


def test_reviewer_account_binding_and_token(prod: Run) -> None:
    rec = prod.recorder
    assert rec.by_name("platform-reviewer").inputs["metadata"] == {
        "name": "vault-token-reviewer",
        "namespace": "default",
    }
    binding = rec.by_name("platform-reviewer-auth-delegator").inputs
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "system:auth-delegator",
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "vault-token-reviewer", "namespace": "default"}]
    token = rec.by_name("platform-reviewer-token").inputs
    assert token["type"] == "kubernetes.io/service-account-token"
    assert token["metadata"] == {
        "name": "vault-token-reviewer-token",
        "namespace": "default",
        "annotations": {"kubernetes.io/service-account.name": "vault-token-reviewer"},
    }
    assert rec.by_name("platform-reviewer-token-live").read


def test_auth_config_has_host_ca_and_secret_reviewer_jwt(prod: Run) -> None:
    config = prod.recorder.by_name("platform-kubernetes-config")
    assert config.inputs == {
        "backend": "kubernetes",
        "kubernetesHost": "https://api.k8s.prod.example.com:6443",
        "kubernetesCaCert": KUBE_CA,
        "tokenReviewerJwt": REVIEWER_JWT,
        "disableLocalCaJwt": True,
    }
    assert config.inputs["kubernetesHost"] != prod.recorder.by_name("vault").inputs["address"]
    assert config.secret_inputs == {"tokenReviewerJwt"}


def test_mounts_root_and_auth_are_protected(prod: Run) -> None:
    built = prod.globals["built"]
    kv, pki = built.engines
    assert kv.mount._protect is True
    assert pki.mount._protect is True
    assert pki.root._protect is True
    assert built.platform.auth_backend._protect is True
    assert [bool(r._protect) for r in pki.roles_by_name.values()] == [False]


def test_nothing_is_seeded(prod: Run) -> None:
    assert prod.recorder.of_type("vault:kv/secretV2:SecretV2") == []


def test_ca_published_to_every_consumer_namespace(prod: Run) -> None:
    secrets = [r for r in prod.recorder.of_type("kubernetes:core/v1:Secret") if r.name.startswith("platform-vault-ca-")]
    assert sorted(r.name for r in secrets) == [
        "platform-vault-ca-billing",
        "platform-vault-ca-default",
        "platform-vault-ca-ledger",
        "platform-vault-ca-orders",
    ]
    assert all(r.inputs["stringData"] == {"ca.crt": VAULT_CA} for r in secrets)


def test_consumers_verify_vault_with_the_ca(prod: Run) -> None:
    rec = prod.recorder
    spc = rec.by_name("app-orders-orders-spc").inputs["spec"]["parameters"]
    assert spc["vaultAddress"] == "https://vault.prod.example.com:8200"
    assert spc["vaultCACertPath"] == "/vault/tls/ca.crt"
    assert rec.by_name("app-ledger-ledger-connection").inputs["spec"] == {
        "address": "https://vault.prod.example.com:8200",
        "skipTLSVerify": False,
        "caCertSecretRef": "vault-ca",
    }
    annotations = rec.by_name("app-billing-billing-workload").inputs["spec"]["template"]["metadata"]["annotations"]
    assert annotations["vault.hashicorp.com/tls-secret"] == "vault-ca"
    assert annotations["vault.hashicorp.com/ca-cert"] == "/vault/tls/ca.crt"
    assert annotations["vault.hashicorp.com/template-static-secret-render-interval"] == "5m"


def test_roles_bound_to_their_namespaces(prod: Run) -> None:
    roles = {
        r.inputs["roleName"]: r.inputs
        for r in prod.recorder.of_type("vault:kubernetes/authBackendRole:AuthBackendRole")
    }
    assert {
        k: (v["boundServiceAccountNames"], v["boundServiceAccountNamespaces"], v["tokenTtl"]) for k, v in roles.items()
    } == {
        "orders": (["orders"], ["orders"], 3600),
        "billing": (["billing"], ["billing"], 3600),
        "ledger": (["ledger"], ["ledger"], 3600),
    }
