"""The dev stack reproduces every name and value of the tutorial."""

import json
from typing import Any

import pytest

from tests.program.harness import DEMO_VAULT_TOKEN, Run


def test_registers_exactly_these_resources(dev: Run) -> None:
    assert sorted((r.type, r.name) for r in dev.recorder.resources) == sorted(
        [
            ("pulumi:providers:kubernetes", "kubernetes"),
            ("pulumi:providers:vault", "vault"),
            ("vault-k8s:index:VaultPlatform", "platform"),
            ("kubernetes:helm.sh/v3:Release", "platform-vault"),
            ("vault:index/authBackend:AuthBackend", "platform-kubernetes-auth"),
            ("vault:kubernetes/authBackendConfig:AuthBackendConfig", "platform-kubernetes-config"),
            ("vault-k8s:index:KvEngine", "kv-secret"),
            ("vault:kv/secretV2:SecretV2", "kv-secret-db-pass"),
            ("vault-k8s:index:KvEngine", "kv-for-injection"),
            ("vault:index/mount:Mount", "kv-for-injection-mount"),
            ("vault:kv/secretV2:SecretV2", "kv-for-injection-my-pass"),
            ("vault-k8s:index:KvEngine", "kv-kvv2"),
            ("vault:index/mount:Mount", "kv-kvv2-mount"),
            ("vault:kv/secretV2:SecretV2", "kv-kvv2-webapp-config"),
            ("vault-k8s:index:PkiEngine", "pki-pki"),
            ("vault:index/mount:Mount", "pki-pki-mount"),
            ("vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert", "pki-pki-root"),
            ("vault:pkiSecret/secretBackendRole:SecretBackendRole", "pki-pki-role-my-role"),
            ("vault-k8s:index:CsiIntegration", "csi"),
            ("kubernetes:helm.sh/v3:Release", "csi-driver"),
            ("vault-k8s:index:App", "app-default-webapp-sa"),
            ("vault:index/policy:Policy", "app-default-webapp-sa-policy"),
            ("vault:kubernetes/authBackendRole:AuthBackendRole", "app-default-webapp-sa-role"),
            ("kubernetes:core/v1:ServiceAccount", "app-default-webapp-sa-sa"),
            ("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "app-default-webapp-sa-spc"),
            ("kubernetes:core/v1:Pod", "app-default-webapp-sa-workload"),
            ("vault-k8s:index:App", "app-default-webapp-vault"),
            ("vault:index/policy:Policy", "app-default-webapp-vault-policy"),
            ("vault:kubernetes/authBackendRole:AuthBackendRole", "app-default-webapp-vault-role"),
            ("kubernetes:core/v1:ServiceAccount", "app-default-webapp-vault-sa"),
            ("kubernetes:apps/v1:Deployment", "app-default-webapp-vault-workload"),
            ("vault-k8s:index:VsoIntegration", "vso"),
            ("kubernetes:helm.sh/v3:Release", "vso-operator"),
            ("vault-k8s:index:App", "app-default-webapp-vso"),
            ("vault:index/policy:Policy", "app-default-webapp-vso-policy"),
            ("vault:kubernetes/authBackendRole:AuthBackendRole", "app-default-webapp-vso-role"),
            ("kubernetes:core/v1:ServiceAccount", "app-default-webapp-vso-sa"),
            ("kubernetes:secrets.hashicorp.com/v1beta1:VaultConnection", "app-default-webapp-vso-connection"),
            ("kubernetes:secrets.hashicorp.com/v1beta1:VaultAuth", "app-default-webapp-vso-auth"),
            (
                "kubernetes:secrets.hashicorp.com/v1beta1:VaultStaticSecret",
                "app-default-webapp-vso-static-webapp-config",
            ),
            ("kubernetes:secrets.hashicorp.com/v1beta1:VaultPKISecret", "app-default-webapp-vso-pki-webapp-tls"),
            ("kubernetes:apps/v1:Deployment", "app-default-webapp-vso-workload"),
            *DATABASE_RESOURCES,
        ]
    )


def _identity(prefix: str) -> list[tuple[str, str]]:
    return [
        ("vault-k8s:index:App", prefix),
        ("vault:index/policy:Policy", f"{prefix}-policy"),
        ("vault:kubernetes/authBackendRole:AuthBackendRole", f"{prefix}-role"),
        ("kubernetes:core/v1:ServiceAccount", f"{prefix}-sa"),
    ]


DATABASE_RESOURCES = [
    ("vault-k8s:index:DatabaseEngine", "db-database"),
    ("vault:index/mount:Mount", "db-database-mount"),
    ("vault:database/secretBackendConnection:SecretBackendConnection", "db-database-connection-app"),
    ("vault:generic/endpoint:Endpoint", "db-database-connection-app-rotate-root"),
    ("vault:database/secretBackendRole:SecretBackendRole", "db-database-role-app-readonly"),
    *_identity("app-default-db-csi"),
    ("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "app-default-db-csi-spc"),
    ("kubernetes:core/v1:Pod", "app-default-db-csi-workload"),
    *_identity("app-default-db-injector"),
    ("kubernetes:apps/v1:Deployment", "app-default-db-injector-workload"),
    *_identity("app-default-db-vso"),
    ("kubernetes:secrets.hashicorp.com/v1beta1:VaultConnection", "app-default-db-vso-connection"),
    ("kubernetes:secrets.hashicorp.com/v1beta1:VaultAuth", "app-default-db-vso-auth"),
    ("kubernetes:secrets.hashicorp.com/v1beta1:VaultDynamicSecret", "app-default-db-vso-dynamic-db-creds"),
    ("kubernetes:apps/v1:Deployment", "app-default-db-vso-workload"),
]


def test_dev_mode_secret_mount_is_not_created_again(dev: Run) -> None:
    mounts = [r.inputs["path"] for r in dev.recorder.of_type("vault:index/mount:Mount")]
    assert sorted(mounts) == ["database", "for-injection", "kvv2", "pki"]
    assert dev.recorder.by_name("kv-secret-db-pass").inputs["mount"] == "secret"


def test_vault_chart_runs_dev_server_with_injector_and_csi(dev: Run) -> None:
    release = dev.recorder.by_name("platform-vault").inputs
    assert release["name"] == "vault"
    assert release["chart"] == "vault"
    assert release["version"] == "0.34.1"
    assert release["namespace"] == "default"
    assert release["repositoryOpts"] == {"repo": "https://helm.releases.hashicorp.com"}
    # The root token is `vaultToken` (the tutorial's is `root`); Pulumi reaches Vault through the NodePort.
    assert release["values"] == {
        "server": {
            "dev": {"enabled": True, "devRootToken": DEMO_VAULT_TOKEN},
            "service": {"type": "NodePort", "nodePort": 30200},
        },
        "injector": {"enabled": True, "webhook": {"failurePolicy": "Ignore"}},
        "csi": {"enabled": True},
    }
    assert "values" in dev.recorder.by_name("platform-vault").secret_inputs


def test_csi_driver_release_syncs_secrets(dev: Run) -> None:
    release = dev.recorder.by_name("csi-driver").inputs
    assert (release["name"], release["chart"], release["version"]) == ("csi", "secrets-store-csi-driver", "1.6.0")
    # The kubelet hands the driver a token for the roles' audience; the poll replaces the database credentials.
    assert release["values"] == {
        "syncSecret": {"enabled": True},
        "tokenRequests": [{"audience": "vault"}],
        "enableSecretRotation": True,
        "rotationPollInterval": "2m",
    }


def test_kubernetes_auth_uses_in_cluster_host(dev: Run) -> None:
    assert dev.recorder.by_name("platform-kubernetes-auth").inputs == {
        "type": "kubernetes",
        "path": "kubernetes",
    }
    config = dev.recorder.by_name("platform-kubernetes-config").inputs
    assert config["kubernetesHost"] == "https://kubernetes.default.svc:443"
    assert "tokenReviewerJwt" not in config


def test_secret_db_pass_seeded_from_secret_config(dev: Run) -> None:
    secret = dev.recorder.by_name("kv-secret-db-pass").inputs
    assert secret["name"] == "db-pass"
    assert json.loads(secret["dataJson"]) == {"password": "db-pass-password-value"}


def test_pki_mount_root_and_role_match_the_tutorial(dev: Run) -> None:
    mount = dev.recorder.by_name("pki-pki-mount").inputs
    assert (mount["path"], mount["type"]) == ("pki", "pki")
    # 86400h, not the tutorial's 86400s: the mount's max lease caps the root CA's life.
    assert (mount["maxLeaseTtlSeconds"], mount["defaultLeaseTtlSeconds"]) == (86400 * 3600, 3600)
    root = dev.recorder.by_name("pki-pki-root").inputs
    assert (root["backend"], root["type"], root["commonName"], root["ttl"]) == ("pki", "internal", "test", "86400h")
    role = dev.recorder.by_name("pki-pki-role-my-role").inputs
    assert {
        k: role[k]
        for k in ("backend", "name", "keyBits", "ttl", "maxTtl", "allowIpSans", "allowedDomains", "allowSubdomains")
    } == {
        "backend": "pki",
        "name": "my-role",
        "keyBits": 4096,
        "ttl": "60",
        "maxTtl": "60",
        "allowIpSans": True,
        "allowedDomains": ["example.com", "my.domain"],
        "allowSubdomains": True,
    }


@pytest.mark.parametrize(
    ("prefix", "policy", "role", "account", "hcl"),
    [
        (
            "app-default-webapp-sa",
            "internal-app",
            "database",
            "webapp-sa",
            'path "secret/data/db-pass" {\n  capabilities = ["read"]\n}\n',
        ),
        (
            "app-default-webapp-vault",
            "injection-app",
            "injection",
            "webapp-vault",
            'path "for-injection/data/my-pass" {\n  capabilities = ["read"]\n}\n\n'
            'path "pki/issue/my-role" {\n  capabilities = ["create", "update"]\n}\n',
        ),
        (
            "app-default-webapp-vso",
            "vso-app",
            "vso",
            "webapp-vso",
            'path "kvv2/data/webapp/config" {\n  capabilities = ["read"]\n}\n\n'
            'path "pki/issue/my-role" {\n  capabilities = ["create", "update"]\n}\n',
        ),
    ],
)
def test_identity_of_each_app(dev: Run, prefix: str, policy: str, role: str, account: str, hcl: str) -> None:
    assert dev.recorder.by_name(f"{prefix}-policy").inputs == {"name": policy, "policy": hcl}
    assert dev.recorder.by_name(f"{prefix}-role").inputs == {
        "backend": "kubernetes",
        "roleName": role,
        "boundServiceAccountNames": [account],
        "boundServiceAccountNamespaces": ["default"],
        "tokenPolicies": [policy],
        "tokenTtl": 1200,
        "audience": "vault",
    }
    assert dev.recorder.by_name(f"{prefix}-sa").inputs["metadata"] == {"name": account, "namespace": "default"}


def test_secret_provider_class_vault_database(dev: Run) -> None:
    spc = dev.recorder.by_name("app-default-webapp-sa-spc").inputs
    assert spc["apiVersion"] == "secrets-store.csi.x-k8s.io/v1"
    assert spc["kind"] == "SecretProviderClass"
    assert spc["metadata"] == {"name": "vault-database", "namespace": "default"}
    assert spc["spec"] == {
        "provider": "vault",
        "parameters": {
            "vaultAddress": "http://vault.default:8200",
            "roleName": "database",
            "objects": '- objectName: "db-password"\n  secretPath: "secret/data/db-pass"\n  secretKey: "password"\n',
            "audience": "vault",
        },
    }


def test_webapp_pod_mounts_the_csi_volume(dev: Run) -> None:
    pod = dev.recorder.by_name("app-default-webapp-sa-workload").inputs
    assert pod["metadata"] == {"name": "webapp", "namespace": "default", "labels": {"app": "webapp"}}
    assert pod["spec"] == {
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


def test_injection_deployment_annotations(dev: Run) -> None:
    deployment = dev.recorder.by_name("app-default-webapp-vault-workload").inputs
    assert deployment["metadata"] == {"name": "webapp-injection", "namespace": "default", "labels": {"app": "issues"}}
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["selector"] == {"matchLabels": {"app": "issues"}}
    assert spec["template"]["metadata"]["labels"] == {"app": "issues"}
    assert spec["template"]["spec"] == {
        "serviceAccountName": "webapp-vault",
        "containers": [{"name": "webapp", "image": "jweissig/app:0.0.1"}],
        "volumes": [
            {
                "name": "vault-token",
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "token"}}
                    ]
                },
            }
        ],
    }
    issue = '{{- with secret "pki/issue/my-role" "common_name=test.example.com" "ttl=30s" -}}\n'
    assert spec["template"]["metadata"]["annotations"] == {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-status": "update",
        "vault.hashicorp.com/agent-inject-secret-my-config.txt": "for-injection/data/my-pass",
        "vault.hashicorp.com/agent-inject-template-my-config.txt": (
            '{{- with secret "for-injection/data/my-pass" -}}\npassword={{ .Data.data.password }}\n{{- end }}\n'
        ),
        "vault.hashicorp.com/agent-inject-secret-cert.pem": "pki/issue/my-role",
        "vault.hashicorp.com/agent-inject-template-cert.pem": issue
        + "{{ .Data.certificate }}\n{{ .Data.issuing_ca }}\n{{- end }}\n",
        "vault.hashicorp.com/agent-inject-secret-key.pem": "pki/issue/my-role",
        "vault.hashicorp.com/agent-inject-template-key.pem": issue + "{{ .Data.private_key }}\n{{- end }}\n",
        "vault.hashicorp.com/role": "injection",
        "vault.hashicorp.com/agent-service-account-token-volume-name": "vault-token",
        "vault.hashicorp.com/template-static-secret-render-interval": "10s",
    }


def test_vso_custom_resources(dev: Run) -> None:
    rec = dev.recorder
    assert rec.by_name("vso-operator").inputs["chart"] == "vault-secrets-operator"
    assert rec.by_name("vso-operator").inputs["version"] == "1.4.1"
    assert rec.by_name("app-default-webapp-vso-connection").inputs["spec"] == {
        "address": "http://vault.default:8200",
        "skipTLSVerify": False,
    }
    assert rec.by_name("app-default-webapp-vso-auth").inputs["spec"] == {
        "vaultConnectionRef": "webapp-vso",
        "method": "kubernetes",
        "mount": "kubernetes",
        "kubernetes": {"role": "vso", "serviceAccount": "webapp-vso", "audiences": ["vault"]},
    }
    assert rec.by_name("app-default-webapp-vso-static-webapp-config").inputs["spec"] == {
        "vaultAuthRef": "webapp-vso",
        "type": "kv-v2",
        "mount": "kvv2",
        "path": "webapp/config",
        "refreshAfter": "30s",
        "destination": {"name": "webapp-config", "create": True, "transformation": {}},
        "rolloutRestartTargets": [{"kind": "Deployment", "name": "webapp-vso"}],
    }
    assert rec.by_name("app-default-webapp-vso-pki-webapp-tls").inputs["spec"] == {
        "vaultAuthRef": "webapp-vso",
        "mount": "pki",
        "role": "my-role",
        "commonName": "vso.example.com",
        "ttl": "60s",
        "expiryOffset": "12s",
        "destination": {"name": "webapp-tls", "create": True, "type": "kubernetes.io/tls", "transformation": {}},
    }
    pod = rec.by_name("app-default-webapp-vso-workload").inputs["spec"]["template"]["spec"]
    assert pod["containers"][0]["env"] == [
        {"name": "USERNAME", "valueFrom": {"secretKeyRef": {"name": "webapp-config", "key": "username"}}},
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "webapp-config", "key": "password"}}},
    ]
    assert pod["volumes"] == [{"name": "tls-0", "secret": {"secretName": "webapp-tls"}}]


def test_outputs_show_the_tutorial_commands(dev: Run) -> None:
    apps: dict[str, Any] = dev.globals["plan"].exports["apps"]
    assert apps["webapp"]["verify"] == "kubectl exec webapp -- cat /mnt/secrets-store/db-password"
    assert apps["webapp-injection"]["verify"] == (
        'kubectl exec $(kubectl get pod -l app=issues -o jsonpath="{.items[0].metadata.name}") '
        "-c webapp -- cat /vault/secrets/my-config.txt"
    )
    assert apps["webapp-vso"]["verify"] == "kubectl get secret webapp-config -o yaml"


def test_seeded_values_are_pulumi_secrets(dev: Run) -> None:
    seeded = dev.recorder.of_type("vault:kv/secretV2:SecretV2")
    assert [(r.name, r.secret_inputs) for r in seeded] == [(r.name, {"dataJson"}) for r in seeded] and len(seeded) == 3
    others = sorted(
        ((r.name, r.secret_inputs) for r in dev.recorder.resources if r.secret_inputs and r not in seeded),
        key=lambda pair: pair[0],
    )
    # The database admin's password, the rotate-root call's empty body (the provider marks every body secret), and
    # the dev root token (`vaultToken`) in the vault chart's values and the Vault provider's token.
    assert others == [
        ("db-database-connection-app", {"postgresql"}),
        ("db-database-connection-app-rotate-root", {"dataJson"}),
        ("platform-vault", {"values"}),
        ("vault", {"token"}),
    ]
