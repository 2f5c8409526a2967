"""Configs a new user writes on the first day that Vault and the cluster take: the program registers them as such."""

from typing import Any

from tests.program.harness import Run, demo_secret_values, run_program, stack_config

SECRET_VALUES = "vault-k8s:secretValues"


def run_dev(mutate: Any) -> Run:
    config = stack_config("dev")
    mutate(config)
    config[SECRET_VALUES] = demo_secret_values(config)
    return run_program(config, secret_keys=[SECRET_VALUES])


def test_a_kv_key_with_a_dash_renders_with_index() -> None:
    def mutate(c: dict[str, Any]) -> None:
        c["vault-k8s:kv"][1]["secrets"][0]["keys"] = ["my-key"]
        c["vault-k8s:apps"][1]["secrets"][0]["keys"] = ["my-key"]

    workload = run_dev(mutate).recorder.by_name("app-default-webapp-vault-workload").inputs
    annotations = workload["spec"]["template"]["metadata"]["annotations"]
    assert annotations["vault.hashicorp.com/agent-inject-template-my-config.txt"] == (
        '{{- with secret "for-injection/data/my-pass" -}}\nmy-key={{ index .Data.data "my-key" }}\n{{- end }}\n'
    )


def test_key_sizes_follow_the_key_type() -> None:
    def mutate(c: dict[str, Any]) -> None:
        role = c["vault-k8s:pki"][0]["roles"][0]
        del role["keyBits"]
        role["keyType"] = "ec"
        c["vault-k8s:pki"][0]["roles"].append({**role, "name": "ed", "keyType": "ed25519"})

    rec = run_dev(mutate).recorder
    ec = rec.by_name("pki-pki-role-my-role").inputs
    assert (ec["keyType"], ec["keyBits"]) == ("ec", 256)
    ed = rec.by_name("pki-pki-role-ed").inputs
    assert ed["keyType"] == "ed25519" and "keyBits" not in ed
