"""The generated bench configs are valid stacks with every reference declared and seeded."""

from collections import Counter

import pytest

from bench.configs import METHODS, SECRET_VALUES_KEY, VAULT_TOKEN, VAULT_TOKEN_KEY, bench_config, generate_config
from stackconfig.load import parse_stack_config


def _model_keys(config: dict) -> dict:
    return {k.removeprefix("vault-k8s:"): v for k, v in config.items() if k != SECRET_VALUES_KEY}


@pytest.mark.parametrize("n", [1, 2, 3, 10, 31])
def test_config_validates_with_n_apps_round_robin(n: int) -> None:
    stack = parse_stack_config(_model_keys(generate_config(n)))
    assert len(stack.apps) == n
    counts = Counter(app.method for app in stack.apps)
    assert counts == Counter({m: len(range(i, n, len(METHODS))) for i, m in enumerate(METHODS) if i < n})
    assert stack.vault.mode == "internal"


def test_every_kv_secret_is_seeded_and_every_pki_ref_has_a_role() -> None:
    config, secret_keys = bench_config(9)
    assert secret_keys == [SECRET_VALUES_KEY, VAULT_TOKEN_KEY]
    assert config[VAULT_TOKEN_KEY] == VAULT_TOKEN
    declared = {f"{m['path']}/{s['path']}": s["keys"] for m in config["vault-k8s:kv"] for s in m["secrets"]}
    values = config[SECRET_VALUES_KEY]
    assert set(values) == set(declared)
    assert all(sorted(values[k]) == sorted(keys) for k, keys in declared.items())
    roles = {r["name"] for m in config["vault-k8s:pki"] for r in m["roles"]}
    refs = {ref["role"] for app in config["vault-k8s:apps"] for ref in app["secrets"] if ref["kind"] == "pki"}
    assert refs == roles and len(roles) == 6


def test_declarations_grow_linearly_with_apps() -> None:
    small, large = generate_config(30), generate_config(300)

    def secrets(config: dict) -> int:
        return sum(len(m["secrets"]) for m in config["vault-k8s:kv"])

    assert (secrets(small), secrets(large)) == (30, 300)
    assert len(large["vault-k8s:pki"][0]["roles"]) == 200


def test_one_app_needs_no_pki_and_zero_apps_is_refused() -> None:
    assert "vault-k8s:pki" not in generate_config(1)
    with pytest.raises(ValueError):
        generate_config(0)
