"""The plan: every decision made once, from the validated config, before any resource exists."""

from plan.build import VAULT_STARTUP_RETRIES, PlanInputs, make_plan
from plan.model import (
    AuthPathRef,
    AuthPlan,
    DatabaseEnginePlan,
    KvEnginePlan,
    PkiEnginePlan,
    ProviderPlan,
    ReviewerPlan,
)
from stackconfig.load import parse_stack_config
from tests.unit import load_stack, raw_stack

DEV = PlanInputs("dev", "vault-k8s")


def test_the_in_cluster_vault_is_waited_for_and_retried() -> None:
    plan = make_plan(load_stack("dev"), DEV)
    assert plan.provider == ProviderPlan("http://192.168.49.2:30200", None, False, VAULT_STARTUP_RETRIES)
    assert plan.platform.vault_from_chart is True
    assert plan.platform.vault_release is not None and plan.platform.vault_release.dev_root_token is True
    assert plan.platform.auth == AuthPlan("kubernetes", False, "https://kubernetes.default.svc:443", None)
    engines: list[KvEnginePlan | PkiEnginePlan | DatabaseEnginePlan] = [*plan.kv, *plan.pki, *plan.databases]
    assert {e.waits_for_vault for e in engines} == {True}
    assert {a.identity.waits_for_vault for a in plan.apps} == {True}


def test_an_external_vault_is_reviewed_by_a_service_account_and_its_ca_published() -> None:
    plan = make_plan(load_stack("prod"), PlanInputs("prod", "vault-k8s", vault_ca_path="/abs/vault-ca.pem"))
    assert plan.provider.max_retries is None and plan.provider.ca_cert_file == "/abs/vault-ca.pem"
    assert plan.platform.vault_from_chart is False
    assert plan.platform.auth.reviewer == ReviewerPlan("vault-token-reviewer", "default", "vault-token-reviewer-token")
    assert plan.platform.ca_secret_namespaces == ("billing", "default", "ledger", "orders")
    assert plan.platform.namespaces == ("billing", "ledger", "orders")
    assert {a.identity.waits_for_vault for a in plan.apps} == {False}


def test_the_local_stack_installs_no_chart() -> None:
    plan = make_plan(load_stack("local"), DEV)
    assert (plan.platform.vault_release, plan.integrations) == (None, ())


def test_method_charts_are_planned_only_for_methods_in_use() -> None:
    raw = raw_stack("dev")
    raw["apps"] = [a for a in raw["apps"] if a["method"] == "injector"]
    assert make_plan(parse_stack_config(raw), DEV).integrations == ()
    assert [i.release.resource_name for i in make_plan(load_stack("dev"), DEV).integrations] == [
        "csi-driver",
        "vso-operator",
    ]


def test_what_each_method_waits_for() -> None:
    apps = {a.app: a for a in make_plan(load_stack("dev"), DEV).apps}
    csi, injector, vso = apps["webapp"], apps["webapp-injection"], apps["webapp-vso"]
    assert (csi.workload.after, csi.workload.after_controllers, csi.workload.after_reads) == (
        ("identity", "spc"),
        ("csi", "vault"),
        True,
    )
    assert (injector.workload.after, injector.workload.after_controllers) == (("identity",), ("vault",))
    assert [(o.key, o.after, o.after_reads) for o in vso.objects] == [
        ("connection", (), False),
        ("auth", ("connection", "identity"), False),
        ("synced-static-webapp-config", ("auth",), True),
        ("synced-pki-webapp-tls", ("auth",), True),
    ]
    assert (vso.workload.after, vso.workload.after_controllers, vso.workload.after_reads) == (
        ("synced-static-webapp-config", "synced-pki-webapp-tls"),
        ("vso",),
        False,
    )


def test_a_custom_auth_mount_is_taken_from_the_mount_everywhere() -> None:
    apps = {
        a.app: a
        for a in make_plan(parse_stack_config({**raw_stack("dev"), "kubernetesAuth": {"path": "k8s"}}), DEV).apps
    }
    spc = apps["webapp"].objects[0]
    assert spc.spec["parameters"]["vaultKubernetesMountPath"] == AuthPathRef()
    assert apps["webapp-vso"].objects[1].spec["mount"] == AuthPathRef()
    template = apps["webapp-injection"].workload.spec["template"]
    assert template["metadata"]["annotations"]["vault.hashicorp.com/auth-path"] == AuthPathRef("auth/")
