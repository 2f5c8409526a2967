"""Which namespaces the program uses and which of them it creates."""

import pytest

from derive.namespaces import namespaces_to_create, used_namespaces
from stackconfig.load import parse_stack_config
from tests.unit import load_stack, raw_stack


def test_prod_uses_its_app_namespaces_and_default() -> None:
    cfg = load_stack("prod")
    assert used_namespaces(cfg, True) == ["billing", "default", "ledger", "orders"]
    assert namespaces_to_create(cfg, True) == ["billing", "ledger", "orders"]


def test_dev_and_local_create_none() -> None:
    assert (namespaces_to_create(load_stack("dev"), False), namespaces_to_create(load_stack("local"), False)) == (
        [],
        [],
    )


def test_existing_namespaces_are_not_created() -> None:
    raw = raw_stack("prod")
    raw["existingNamespaces"] = ["orders"]
    raw["charts"] = {**raw["charts"], "namespace": "vault"}
    raw["kubernetesAuth"] = {**raw["kubernetesAuth"], "reviewer": {"namespace": "auth"}}
    assert namespaces_to_create(parse_stack_config(raw), True) == ["auth", "billing", "ledger", "vault"]


@pytest.mark.parametrize("namespace", ["default", "kube-system", "kube-public", "kube-node-lease"])
def test_a_namespace_every_cluster_has_is_never_created(namespace: str) -> None:
    raw = raw_stack("prod")
    raw["apps"][1]["namespace"] = namespace
    cfg = parse_stack_config(raw)
    assert namespace in used_namespaces(cfg, True)
    assert namespace not in namespaces_to_create(cfg, True)


def test_the_charts_namespace_counts_only_when_something_is_placed_there() -> None:
    raw = raw_stack("dev")
    raw["charts"] = {"managed": False, "namespace": "vault", "csiRotationPollInterval": "2m"}
    raw["vault"] = {"address": "http://127.0.0.1:8200"}  # no chart, so no NodePort
    assert used_namespaces(parse_stack_config(raw), False) == ["default"]
    # Vault's CA is published there.
    assert used_namespaces(parse_stack_config(raw), True) == ["default", "vault"]
    raw["charts"] = {"managed": True, "namespace": "vault", "csiRotationPollInterval": "2m"}
    assert used_namespaces(parse_stack_config(raw), False) == ["default", "vault"]
