from typing import Any

import pytest

from policy import kubernetes_rules as kr
from policy.values import UNKNOWN

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def release(chart: str, values: Any) -> dict[str, Any]:
    return {"chart": chart, "values": values, "name": "vault", "namespace": "vault"}


def vault(values: Any) -> dict[str, Any]:
    return release("vault", values)


def workload(annotations: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"metadata": {"annotations": annotations}, "spec": {"containers": []}}}}


class TestDevMode:
    def test_dev_off_passes(self) -> None:
        assert kr.dev_mode_violations(kr.HELM_RELEASE, vault({"server": {"dev": {"enabled": False}}})) == []
        assert kr.dev_mode_violations(kr.HELM_RELEASE, vault({})) == []

    @pytest.mark.parametrize("flag", [True, "true"])
    def test_dev_on_is_flagged(self, flag: object) -> None:
        assert kr.dev_mode_violations(kr.HELM_RELEASE, vault({"server": {"dev": {"enabled": flag}}})) == [
            "vault Helm release sets server.dev.enabled"
        ]

    @pytest.mark.parametrize("chart", ["hashicorp/vault", "oci://registry.example/charts/vault", "./vault-0.30.1.tgz"])
    def test_recognises_chart_spellings(self, chart: str) -> None:
        props = release(chart, {"server": {"dev": {"enabled": True}}})
        assert kr.dev_mode_violations(kr.HELM_RELEASE, props) == ["vault Helm release sets server.dev.enabled"]

    def test_other_charts_and_unknowns_pass(self) -> None:
        dev = {"server": {"dev": {"enabled": True}}}
        assert kr.dev_mode_violations(kr.HELM_RELEASE, release("vault-secrets-operator", dev)) == []
        assert kr.dev_mode_violations(kr.HELM_RELEASE, release("secrets-store-csi-driver", dev)) == []
        assert kr.dev_mode_violations(kr.HELM_RELEASE, vault({"server": {"dev": {"enabled": UNKNOWN}}})) == []
        assert kr.dev_mode_violations(kr.HELM_RELEASE, vault(UNKNOWN)) == []


class TestAddresses:
    def test_https_everywhere_passes(self) -> None:
        url = "https://vault.example.com:8200"
        assert kr.address_violations(kr.HELM_RELEASE, vault({"global": {"externalVaultAddr": url}})) == []
        vso = release("vault-secrets-operator", {"defaultVaultConnection": {"address": url}})
        assert kr.address_violations(kr.HELM_RELEASE, vso) == []
        spc = {"spec": {"provider": "vault", "parameters": {"vaultAddress": url}}}
        assert kr.address_violations(kr.SECRET_PROVIDER_CLASS, spc) == []
        assert kr.address_violations(kr.VAULT_CONNECTION, {"spec": {"address": url}}) == []
        assert kr.address_violations(DEPLOYMENT, workload({kr.SERVICE_ANNOTATION: url})) == []
        assert kr.address_violations(DEPLOYMENT, workload({})) == []

    def test_helm_values_are_flagged(self) -> None:
        values = {"global": {"externalVaultAddr": "http://vault:8200"}, "injector": {"externalVaultAddr": "vault"}}
        assert kr.address_violations(kr.HELM_RELEASE, vault(values)) == [
            'Helm value global.externalVaultAddr "http://vault:8200" is not https',
            'Helm value injector.externalVaultAddr "vault" is not https',
        ]
        vso = release("vault-secrets-operator", {"defaultVaultConnection": {"address": "http://vault:8200"}})
        assert kr.address_violations(kr.HELM_RELEASE, vso) == [
            'Helm value defaultVaultConnection.address "http://vault:8200" is not https'
        ]

    def test_secret_provider_class_is_flagged(self) -> None:
        spc = {"spec": {"provider": "vault", "parameters": {"vaultAddress": "http://vault.vault:8200"}}}
        assert kr.address_violations(kr.SECRET_PROVIDER_CLASS, spc) == [
            'SecretProviderClass vaultAddress "http://vault.vault:8200" is not https'
        ]

    def test_vault_connection_is_flagged(self) -> None:
        assert kr.address_violations(kr.VAULT_CONNECTION, {"spec": {"address": "http://vault:8200"}}) == [
            'VaultConnection address "http://vault:8200" is not https'
        ]

    def test_injector_service_annotation_is_flagged(self) -> None:
        props = workload({kr.SERVICE_ANNOTATION: "http://vault.vault.svc:8200"})
        assert kr.address_violations(DEPLOYMENT, props) == [
            'annotation vault.hashicorp.com/service "http://vault.vault.svc:8200" is not https'
        ]

    def test_unknowns_say_nothing(self) -> None:
        assert kr.address_violations(kr.VAULT_CONNECTION, {"spec": {"address": UNKNOWN}}) == []
        assert kr.address_violations(kr.SECRET_PROVIDER_CLASS, {"spec": UNKNOWN}) == []


class TestTls:
    def test_verifying_passes(self) -> None:
        spc = {"spec": {"parameters": {"vaultSkipTLSVerify": "false"}}}
        assert kr.tls_violations(kr.SECRET_PROVIDER_CLASS, spc) == []
        assert kr.tls_violations(kr.VAULT_CONNECTION, {"spec": {"skipTLSVerify": False}}) == []
        assert kr.tls_violations(DEPLOYMENT, workload({kr.SKIP_VERIFY_ANNOTATION: "false"})) == []
        vso = release("vault-secrets-operator", {"defaultVaultConnection": {"skipTLSVerify": False}})
        assert kr.tls_violations(kr.HELM_RELEASE, vso) == []

    def test_secret_provider_class_is_flagged(self) -> None:
        spc = {"spec": {"parameters": {"vaultSkipTLSVerify": "true"}}}
        assert kr.tls_violations(kr.SECRET_PROVIDER_CLASS, spc) == [
            'SecretProviderClass sets vaultSkipTLSVerify to "true"'
        ]

    def test_vault_connection_is_flagged(self) -> None:
        assert kr.tls_violations(kr.VAULT_CONNECTION, {"spec": {"skipTLSVerify": True}}) == [
            "VaultConnection sets skipTLSVerify"
        ]

    def test_vso_default_connection_is_flagged(self) -> None:
        vso = release("vault-secrets-operator", {"defaultVaultConnection": {"skipTLSVerify": True}})
        assert kr.tls_violations(kr.HELM_RELEASE, vso) == ["Helm value defaultVaultConnection.skipTLSVerify is true"]

    def test_injector_annotation_is_flagged(self) -> None:
        assert kr.tls_violations(DEPLOYMENT, workload({kr.SKIP_VERIFY_ANNOTATION: "true"})) == [
            "annotation vault.hashicorp.com/tls-skip-verify is true"
        ]

    def test_unknown_says_nothing(self) -> None:
        assert kr.tls_violations(kr.VAULT_CONNECTION, {"spec": {"skipTLSVerify": UNKNOWN}}) == []


class TestInjectorFailurePolicy:
    def test_fail_passes(self) -> None:
        values = {"injector": {"enabled": True, "webhook": {"failurePolicy": "Fail"}}}
        assert kr.injector_violations(kr.HELM_RELEASE, vault(values)) == []

    def test_disabled_injector_passes(self) -> None:
        assert kr.injector_violations(kr.HELM_RELEASE, vault({"injector": {"enabled": False}})) == []
        assert kr.injector_violations(kr.HELM_RELEASE, vault({"injector": {"enabled": "false"}})) == []
        assert kr.injector_violations(kr.HELM_RELEASE, vault({"global": {"enabled": False}})) == []

    def test_ignore_is_flagged(self) -> None:
        values = {"injector": {"enabled": True, "webhook": {"failurePolicy": "Ignore"}}}
        assert kr.injector_violations(kr.HELM_RELEASE, vault(values)) == [
            'injector.webhook.failurePolicy is "Ignore", must be "Fail"'
        ]

    def test_chart_default_is_flagged_when_injector_follows_global(self) -> None:
        for values in ({}, {"injector": {"enabled": "-"}}):
            assert kr.injector_violations(kr.HELM_RELEASE, vault(values)) == [
                'injector.webhook.failurePolicy is unset (chart default "Ignore"), must be "Fail"'
            ]

    def test_unknowns_say_nothing(self) -> None:
        assert kr.injector_violations(kr.HELM_RELEASE, vault({"injector": {"enabled": UNKNOWN}})) == []
        values = {"injector": {"enabled": True, "webhook": {"failurePolicy": UNKNOWN}}}
        assert kr.injector_violations(kr.HELM_RELEASE, vault(values)) == []


SELECTOR = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["billing"]}]}


def fail_closed(**injector: Any) -> dict[str, Any]:
    webhook = {"failurePolicy": "Fail", "namespaceSelector": SELECTOR}
    return vault({"injector": {"enabled": True, "webhook": webhook, **injector}})


class TestInjectorAvailability:
    def test_two_replicas_a_budget_and_a_selector_pass(self) -> None:
        props = fail_closed(replicas=2, podDisruptionBudget={"maxUnavailable": 1})
        assert kr.injector_availability_violations(kr.HELM_RELEASE, props) == []

    def test_the_chart_defaults_are_flagged(self) -> None:
        """One replica, no budget, every namespace: the injector down blocks every pod in the cluster."""
        values = {"injector": {"enabled": True, "webhook": {"failurePolicy": "Fail"}}}
        assert kr.injector_availability_violations(kr.HELM_RELEASE, vault(values)) == [
            'injector.replicas is unset (chart default 1) with failurePolicy "Fail", must be at least 2',
            'injector.podDisruptionBudget is unset with failurePolicy "Fail": a drain may stop every replica',
            'injector.webhook.namespaceSelector is unset with failurePolicy "Fail": pods in every namespace, '
            "kube-system included, wait on the injector",
        ]

    def test_one_replica_is_flagged(self) -> None:
        props = fail_closed(replicas=1, podDisruptionBudget={"minAvailable": 1})
        assert kr.injector_availability_violations(kr.HELM_RELEASE, props) == [
            'injector.replicas is 1 with failurePolicy "Fail", must be at least 2'
        ]

    def test_replicas_without_leader_election_are_flagged(self) -> None:
        props = fail_closed(replicas=3, podDisruptionBudget={"maxUnavailable": 1}, leaderElector={"enabled": False})
        assert kr.injector_availability_violations(kr.HELM_RELEASE, props) == [
            "injector.leaderElector.enabled is false: replicas would each write their own TLS certificate"
        ]

    def test_deprecated_keys_count(self) -> None:
        values = {
            "injector": {
                "enabled": True,
                "failurePolicy": "Fail",
                "namespaceSelector": SELECTOR,
                "replicas": 2,
                "podDisruptionBudget": {"maxUnavailable": 1},
            }
        }
        assert kr.injector_availability_violations(kr.HELM_RELEASE, vault(values)) == []
        values["injector"]["namespaceSelector"] = {}
        assert len(kr.injector_availability_violations(kr.HELM_RELEASE, vault(values))) == 1

    def test_fail_open_or_disabled_injector_passes(self) -> None:
        values = {"injector": {"enabled": True, "webhook": {"failurePolicy": "Ignore"}}}
        assert kr.injector_availability_violations(kr.HELM_RELEASE, vault(values)) == []
        disabled = {"injector": {"enabled": False, "webhook": {"failurePolicy": "Fail"}}}
        assert kr.injector_availability_violations(kr.HELM_RELEASE, vault(disabled)) == []
        assert kr.injector_availability_violations(DEPLOYMENT, workload({})) == []

    def test_unknowns_say_nothing(self) -> None:
        props = fail_closed(replicas=UNKNOWN, podDisruptionBudget=UNKNOWN)
        props["values"]["injector"]["webhook"]["namespaceSelector"] = UNKNOWN
        assert kr.injector_availability_violations(kr.HELM_RELEASE, props) == []
        unknown_policy = {"injector": {"enabled": True, "webhook": {"failurePolicy": UNKNOWN}}}
        assert kr.injector_availability_violations(kr.HELM_RELEASE, vault(unknown_policy)) == []


class TestOtherWorkloadKinds:
    def test_pod_annotations_are_read_from_its_metadata(self) -> None:
        pod = {"metadata": {"annotations": {kr.SERVICE_ANNOTATION: "http://vault:8200"}}}
        assert kr.address_violations(kr.POD, pod) == [
            'annotation vault.hashicorp.com/service "http://vault:8200" is not https'
        ]
        assert kr.tls_violations(kr.POD, {"metadata": {"annotations": {kr.SKIP_VERIFY_ANNOTATION: "1"}}}) == [
            "annotation vault.hashicorp.com/tls-skip-verify is true"
        ]

    def test_cron_job_annotations_are_read_from_its_job_template(self) -> None:
        annotations = {kr.SERVICE_ANNOTATION: "http://vault:8200"}
        cron = {"spec": {"jobTemplate": {"spec": {"template": {"metadata": {"annotations": annotations}}}}}}
        assert kr.address_violations(kr.CRON_JOB, cron) == [
            'annotation vault.hashicorp.com/service "http://vault:8200" is not https'
        ]
