from __future__ import annotations

import socket
from pathlib import Path

import pytest

from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.vaultserver import (
    CA_FILE,
    SERVER_ENV,
    TLS_FILES,
    clear_tls_dir,
    cli_env,
    health,
    parse_unseal_key,
    server_from_env,
)

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
    env = cli_env("https://127.0.0.1:1", "t", Path("/s/vault-tls/vault-ca.pem"))
    assert env["BAO_ADDR"] == env["VAULT_ADDR"] == "https://127.0.0.1:1"
    assert env["BAO_TOKEN"] == env["VAULT_TOKEN"] == "t"
    assert env["BAO_CACERT"] == env["VAULT_CACERT"] == "/s/vault-tls/vault-ca.pem"


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_health_down_when_nothing_listens_or_no_ca(tmp_path: Path) -> None:
    ca = tmp_path / CA_FILE
    addr = f"https://127.0.0.1:{_unused_port()}"
    assert health(addr, ca, timeout=0.5) == "down"
    ca.write_text("not a certificate")
    assert health(addr, ca, timeout=0.5) == "down"


def test_clear_tls_dir_removes_read_only_leftovers(tmp_path: Path) -> None:
    tls = tmp_path / "vault-tls"
    clear_tls_dir(tls)
    assert tls.is_dir() and tls.stat().st_mode & 0o777 == 0o700
    for name in TLS_FILES:
        (tls / name).write_text("old")
        (tls / name).chmod(0o400)
    clear_tls_dir(tls)
    assert list(tls.iterdir()) == []


def test_server_defaults_to_hashicorp_vault() -> None:
    assert server_from_env({}) == "vault"
    assert server_from_env({SERVER_ENV: " "}) == "vault"
    assert server_from_env({SERVER_ENV: "OpenBao"}) == "openbao"
    assert server_from_env({SERVER_ENV: "vault"}) == "vault"


def test_unknown_server_is_refused_naming_the_setting() -> None:
    with pytest.raises(ControlPlaneError, match=f"{SERVER_ENV} must be one of vault, openbao, not 'consul'"):
        server_from_env({SERVER_ENV: "consul"})
