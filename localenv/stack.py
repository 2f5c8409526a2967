"""Drive the real Pulumi engine for the `local` stack against the local control plane: through
`pulumi.automation` (stacks, preview, up, destroy, outputs), and through the CLI where automation would write
into the committed stack file or put a secret on a command line (config), or hides what is checked (export)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import yaml
from pulumi import automation as auto

from stackconfig.load import NAMESPACE, VAULT_TOKEN_KEY, parse_stack_config
from stackconfig.models import StackConfig

REPO = Path(__file__).resolve().parents[1]
STACK = "local"
T = TypeVar("T", auto.PreviewResult, auto.UpResult, auto.DestroyResult)


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

    def workspace(self, work_dir: Path | None = None, secrets_provider: str | None = None) -> auto.LocalWorkspace:
        """An automation workspace on the project (or `work_dir`), the file backend and the toolchain's CLI."""
        env = self.env()
        found = shutil.which("pulumi", path=env["PATH"])
        if found is None:
            raise FileNotFoundError(f"no pulumi CLI on {env['PATH']}")
        command = auto.PulumiCommand(root=str(Path(found).parent.parent), skip_version_check=True)
        return auto.LocalWorkspace(
            work_dir=str(work_dir or self.project_dir), env_vars=env, pulumi_command=command,
            secrets_provider=secrets_provider,
        )  # fmt: skip

    @cached_property
    def automation(self) -> auto.Stack:
        """Selected once: each selection runs the CLI twice (its version, `stack select`)."""
        return auto.Stack.select(self.stack, self.workspace())

    def _logged(self, run: Callable[[], T]) -> T:
        """The engine's output kept in `log` (the checks look for secrets in it), failed runs' too."""
        try:
            result = run()
        except auto.CommandError as exc:
            self.log.append(str(exc))
            raise
        self.log.append(result.stdout + result.stderr)
        return result

    def pulumi(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """The CLI on the stack, for what automation cannot do here (see the module's docstring)."""
        argv = [*args, "--stack", self.stack, "--non-interactive"]
        result = subprocess.run(
            ["pulumi", *argv], cwd=self.project_dir, env=self.env(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        self.log.append(result.stdout + result.stderr)
        if result.returncode != 0:
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
        if self.stack not in {s.name for s in self.workspace().list_stacks()}:
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
        """Create the stack from a scratch copy of the project: `stack init` writes the passphrase's salt into the
        stack's settings file, which must not be the committed one."""
        scratch = self.state_dir / "init-project"
        scratch.mkdir(exist_ok=True)
        shutil.copy(self.project_dir / "Pulumi.yaml", scratch / "Pulumi.yaml")
        self.workspace(scratch, secrets_provider="passphrase").create_stack(self.stack)

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

    def up(
        self, *, refresh: bool = False, replace: Sequence[str] = (), expect_no_changes: bool = False
    ) -> auto.UpResult:
        """`pulumi up --yes --skip-preview` with the config copy; raises auto.CommandError when it fails."""
        stack = self.automation
        return self._logged(
            lambda: stack.up(
                refresh=refresh or None, replace=list(replace) or None, expect_no_changes=expect_no_changes or None,
                config_file=str(self.config_file), show_secrets=False,
            )
        )  # fmt: skip

    def preview(
        self,
        *,
        expect_no_changes: bool = False,
        diff: bool = False,
        refresh: bool = False,
        json: bool = False,
        replace: Sequence[str] = (),
    ) -> auto.PreviewResult:
        """`pulumi preview` with the config copy (its stdout the JSON plan with `json`); raises auto.CommandError when
        it fails, and with `expect_no_changes` when anything would change."""
        stack = self.automation
        return self._logged(
            lambda: stack.preview(
                expect_no_changes=expect_no_changes or None, diff=diff or None, refresh=refresh or None,
                json=json or None, replace=list(replace) or None, config_file=str(self.config_file),
            )
        )  # fmt: skip

    def destroy(self) -> auto.DestroyResult:
        stack = self.automation
        return self._logged(lambda: stack.destroy(config_file=str(self.config_file), show_secrets=False))

    def outputs(self) -> dict[str, object]:
        """The stack's outputs, secret ones masked as the CLI shows them."""
        return {k: "[secret]" if v.secret else v.value for k, v in self.automation.outputs().items()}

    def export(self) -> str:
        """The state as stored, secrets encrypted: the CLI, since automation's export_stack decrypts them."""
        return self.pulumi("stack", "export").stdout


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
