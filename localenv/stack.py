"""Drive the real Pulumi CLI for the `local` stack against the local control plane."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from stackconfig.load import NAMESPACE, VAULT_TOKEN_KEY, parse_stack_config
from stackconfig.models import StackConfig

REPO = Path(__file__).resolve().parents[1]
STACK = "local"
SECRET_VALUES = "vault-k8s:secretValues"


class PulumiError(RuntimeError):
    """A Pulumi command failed; the message carries its output."""

    def __init__(self, args: Sequence[str], result: subprocess.CompletedProcess[str]):
        self.result = result
        super().__init__(
            f"pulumi {' '.join(args)} exited {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


def tool_bin_dir() -> Path:
    return Path(os.environ.get("VAULT_K8S_CACHE", Path.home() / ".cache" / "vault-k8s")) / "bin"


def stack_file_config(stack_file: Path) -> StackConfig:
    """The validated config of a committed stack file (its plain keys; it holds no secrets)."""
    raw = (yaml.safe_load(stack_file.read_text()) or {}).get("config", {})
    return parse_stack_config({k.removeprefix(f"{NAMESPACE}:"): v for k, v in raw.items()})


def random_values(wanted: Mapping[str, Sequence[str]]) -> dict[str, dict[str, str]]:
    """Fresh values for every seeded key, so nothing secret is ever committed."""
    return {name: {key: f"{key}-{secrets.token_urlsafe(12)}" for key in keys} for name, keys in wanted.items()}


@dataclass
class LocalStack:
    """The `local` stack with a file backend and a config copy inside the control plane's state dir."""

    state_dir: Path
    control_env: Mapping[str, str]
    project_dir: Path = REPO
    log: list[str] = field(default_factory=list)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    """The seed values last written by `prepare`."""
    stack: str = STACK
    """`local` (controllers as host processes), or `local-node` / `local-internal` (the real node)."""
    vault_token: str | None = None
    """The in-cluster dev Vault's root token `prepare` wrote (stacks whose Vault comes from the chart)."""

    @property
    def config_file(self) -> Path:
        return self.state_dir / f"Pulumi.{self.stack}.yaml"

    @property
    def stack_file(self) -> Path:
        return self.project_dir / "stacks" / f"Pulumi.{self.stack}.yaml"

    def env(self) -> dict[str, str]:
        home = self.state_dir / "pulumi-home"
        home.mkdir(parents=True, exist_ok=True)
        backend = self.state_dir / "pulumi-backend"
        backend.mkdir(parents=True, exist_ok=True)
        passphrase_file = self.state_dir / "pulumi-passphrase"
        if not passphrase_file.exists():
            passphrase_file.write_text(secrets.token_urlsafe(24))
        env = dict(os.environ)
        env.update(self.control_env)
        env.update(
            {
                "PATH": f"{tool_bin_dir()}{os.pathsep}{self.project_dir / '.venv' / 'bin'}{os.pathsep}{env['PATH']}",
                "PULUMI_HOME": str(home),
                "PULUMI_BACKEND_URL": f"file://{backend}",
                "PULUMI_CONFIG_PASSPHRASE": passphrase_file.read_text(),
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
            }
        )
        return env

    def pulumi(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 600,
        stack: bool = True,
        extra_env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        argv = list(args)
        if stack:
            argv += ["--stack", self.stack, "--config-file", str(self.config_file)]
        argv.append("--non-interactive")
        result = subprocess.run(
            ["pulumi", *argv],
            cwd=cwd or self.project_dir,
            env={**self.env(), **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.log.append(result.stdout + result.stderr)
        if check and result.returncode != 0:
            raise PulumiError(argv, result)
        return result

    def prepare(self, values: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, dict[str, str]]:
        """Create the stack if needed and write the seed values as secrets into the config copy.

        Without `values`, a copy that has seed values already keeps them: seeds are written to Vault once, so
        new ones would only make the config disagree with Vault (a second `make demo`).
        """
        source = self.stack_file
        if not self.config_file.exists():
            shutil.copy(source, self.config_file)
        listed = self.pulumi("stack", "ls", "--json", stack=False)
        if self.stack not in {s["name"] for s in json.loads(listed.stdout or "[]")}:
            self._init_stack()
        kept = self.current_values() if values is None else {}
        declared = stack_file_config(source)
        wanted = declared.seeded_secrets()
        fresh = random_values({n: k for n, k in wanted.items() if sorted(kept.get(n, {})) != sorted(k)})
        chosen = {k: dict(v) for k, v in values.items()} if values is not None else {**kept, **fresh}
        for name, pairs in chosen.items():
            if kept.get(name) == pairs:
                continue
            for key, value in pairs.items():
                self.set_secret(name, key, value)
        if declared.vault_from_chart():
            self.vault_token = self.current_vault_token() or "root-" + secrets.token_hex(12)
            self._set_config_secret(VAULT_TOKEN_KEY, self.vault_token)
        admin_password = self.control_env.get("POSTGRES_VAULT_ADMIN_PASSWORD", "")
        for connection in declared.database_connections():
            # The control plane's admin; after rotate-root the value stays in config and Vault holds the new one.
            self._set_config_secret(f'databasePasswords["{connection}"]', admin_password)
        self.values = chosen if values is not None else {name: chosen[name] for name in wanted}
        return self.values

    def current_vault_token(self) -> str | None:
        """The in-cluster dev Vault's root token the config copy holds, or none (kept across runs: the running
        server has it)."""
        result = subprocess.run(
            ["pulumi", "config", "get", VAULT_TOKEN_KEY, "--stack", self.stack,
             "--config-file", str(self.config_file), "--non-interactive"],
            cwd=self.project_dir, env=self.env(), capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        return result.stdout.strip() or None if result.returncode == 0 else None

    def current_values(self) -> dict[str, dict[str, str]]:
        """The seed values the config copy holds (decrypted), or none."""
        # Not through `pulumi()`: its output is kept in `log`, which must never hold a secret.
        result = subprocess.run(
            ["pulumi", "config", "get", "secretValues", "--json", "--stack", self.stack,
             "--config-file", str(self.config_file), "--non-interactive"],
            cwd=self.project_dir, env=self.env(), capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            return {}
        found = json.loads(result.stdout).get("objectValue") or {}
        return {str(n): {str(k): str(v) for k, v in p.items()} for n, p in found.items() if isinstance(p, dict)}

    def _init_stack(self) -> None:
        """Create the stack from a scratch copy of the project, so no committed stack file is touched."""
        scratch = self.state_dir / "init-project"
        scratch.mkdir(exist_ok=True)
        shutil.copy(self.project_dir / "Pulumi.yaml", scratch / "Pulumi.yaml")
        self.pulumi("stack", "init", self.stack, "--secrets-provider", "passphrase", stack=False, cwd=scratch)

    def set_secret(self, name: str, key: str, value: str) -> None:
        self._set_config_secret(f'secretValues["{name}"].{key}', value)

    def _set_config_secret(self, path: str, value: str) -> None:
        # The value goes through stdin, never argv, so it cannot show up in a process listing.
        subprocess.run(
            ["pulumi", "config", "set", "--secret", "--path", path, "--stack", self.stack,
             "--config-file", str(self.config_file), "--non-interactive"],
            input=value, cwd=self.project_dir, env=self.env(), capture_output=True, text=True, check=True,
            timeout=120,
        )  # fmt: skip

    def up(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.pulumi("up", "--yes", "--skip-preview", *extra)

    def preview(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.pulumi("preview", *extra, check=check)

    def destroy(self) -> subprocess.CompletedProcess[str]:
        return self.pulumi("destroy", "--yes", "--skip-preview")

    def outputs(self) -> dict[str, object]:
        output = self.pulumi("stack", "output", "--json", "--stack", self.stack, stack=False)
        result: dict[str, object] = json.loads(output.stdout)
        return result

    def export(self) -> str:
        return self.pulumi("stack", "export", "--stack", self.stack, stack=False).stdout


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m localenv.stack env`: shell exports that point pulumi at the local stack."""
    import shlex
    import sys

    from localenv.controlplane import ControlPlane

    args = list(argv if argv is not None else sys.argv[1:])
    if args != ["env"]:
        print("usage: python -m localenv.stack env", file=sys.stderr)
        return 2
    cp = ControlPlane.load()
    local = LocalStack(cp.state_dir, cp.env)
    exports = {k: v for k, v in local.env().items() if os.environ.get(k) != v}
    exports["PREVIEW_CONFIG_FILE"] = str(local.config_file)
    for key, value in sorted(exports.items()):
        print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
