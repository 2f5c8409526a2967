"""`make demo`: control plane up, `pulumi up --stack local`, then each app's view of its secrets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from derive.paths import kv2_api_path, pki_issue_path
from localenv.controlplane import ControlPlane
from localenv.stack import REPO, STACK, LocalStack
from localenv.verify import VaultClient, mask, service_account_token
from stackconfig.load import parse_stack_config
from stackconfig.models import KvRef, StackConfig


def stack_config() -> StackConfig:
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    return parse_stack_config({k.removeprefix("vault-k8s:"): v for k, v in raw.items()})


def show_apps(cp: ControlPlane, cfg: StackConfig, show_secrets: bool) -> list[str]:
    """Log in as each app's ServiceAccount and read exactly what it declared."""
    lines = []
    vault = VaultClient(cfg.vault.address or cp.env["VAULT_ADDR"], Path(cp.env["VAULT_CACERT"]))
    kube = cp.kube()
    for app in cfg.apps:
        jwt = service_account_token(kube, app.namespace, app.service_account)
        client = vault.login_kubernetes(cfg.kubernetes_auth.path, app.role, jwt)
        lines.append(
            f"{app.name} ({app.method}, role {app.role}, ServiceAccount {app.namespace}/{app.service_account})"
        )
        for ref in app.secrets:
            if isinstance(ref, KvRef):
                data = client.read(kv2_api_path(ref.mount, ref.path))["data"]
                shown = ", ".join(f"{k}={mask(str(data[k]), show_secrets)}" for k in ref.keys)
                lines.append(f"  {kv2_api_path(ref.mount, ref.path)}: {shown}")
            else:
                cert = client.issue(pki_issue_path(ref.mount, ref.role), ref.common_name, str(ref.ttl))
                lines.append(
                    f"  {pki_issue_path(ref.mount, ref.role)}: certificate for {ref.common_name}, "
                    f"serial {cert['serial_number']}"
                )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo")
    parser.add_argument("--down", action="store_true", help="destroy the stack and stop the control plane")
    parser.add_argument("--show-secrets", action="store_true", help="print secret values unmasked")
    args = parser.parse_args(argv)
    if args.down:
        try:
            cp = ControlPlane.load()
        except Exception:  # nothing running
            print("control plane is not running")
            return 0
        cp.stop()
        print("control plane stopped; its state folder is removed")
        return 0
    print("starting the local control plane ...", flush=True)
    cp = ControlPlane.start()
    stack = LocalStack(cp.state_dir, cp.env)
    stack.prepare()
    print("pulumi up --stack local ...", flush=True)
    result = stack.up()
    print(result.stdout[-3000:])
    print("\nWhat each app may read, logged in with its own ServiceAccount token:")
    for line in show_apps(cp, stack_config(), args.show_secrets):
        print(line)
    print("\nStop everything with: make demo-down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
