from __future__ import annotations

from localenv.controlplane.openbao import cli_env, health, parse_unseal_key
from localenv.controlplane.ports import pick_ports

LOG = """
The unseal key and root token are displayed below in case you want to
seal/unseal the Vault or re-authenticate.

Unseal Key: first/Key+==
Root Token: root-1
...
Unseal Key: R/5ZyhgWT2EoItsWcLqm54nkkk49DlaQmMfW6NZQCt0=
Root Token: root-1
"""


def test_parse_unseal_key_takes_latest() -> None:
    assert parse_unseal_key(LOG) == "R/5ZyhgWT2EoItsWcLqm54nkkk49DlaQmMfW6NZQCt0="
    assert parse_unseal_key("nothing here") is None


def test_cli_env_sets_both_prefixes() -> None:
    env = cli_env("http://127.0.0.1:1", "t")
    assert env["BAO_ADDR"] == env["VAULT_ADDR"] == "http://127.0.0.1:1"
    assert env["BAO_TOKEN"] == env["VAULT_TOKEN"] == "t"


def test_health_down_when_nothing_listens() -> None:
    (port,) = pick_ports(1)
    assert health(f"http://127.0.0.1:{port}", timeout=0.5) == "down"
