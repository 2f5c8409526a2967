"""`make demo`: control plane up, controllers, `pulumi up --stack local`, then what each app may read and what
each workload actually receives. `make demo-down` stops the controllers, the agents and the control plane."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from derive.paths import database_creds_path, kv2_api_path, pki_issue_path
from derive.workloads import workload_labels
from localenv import agent, csi
from localenv.controllers import ControllerSettings, csi_provider, start_controllers, stop_controllers
from localenv.controlplane import ControlPlane, KubeApi
from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.vaultserver import SERVER_ENV, server_from_env, server_version
from localenv.controlplane.waiting import wait_until
from localenv.database import SELECT_ITEMS, Postgres
from localenv.delivered import agent_view, key_values, secret_data, vso_view
from localenv.stack import REPO, STACK, LocalStack, stack_file_config
from localenv.verify import login_kubernetes, mask, service_account_token, vault_client
from stackconfig.durations import parse_duration
from stackconfig.models import DATABASE_KEYS, AppDecl, DatabaseRef, KvRef, PkiRef, StackConfig, database_file


def stack_config() -> StackConfig:
    return stack_file_config(REPO / "stacks" / f"Pulumi.{STACK}.yaml")


def show_apps(cp: ControlPlane, cfg: StackConfig, show_secrets: bool) -> list[str]:
    """Log in as each app's ServiceAccount and read exactly what it declared."""
    lines = []
    vault = vault_client(cfg.vault.address or cp.env["VAULT_ADDR"], Path(cp.env["VAULT_CACERT"]))
    kube = cp.kube()
    for app in cfg.apps:
        jwt = service_account_token(kube, app.namespace, app.service_account, audience=cfg.kubernetes_auth.audience)
        client = login_kubernetes(vault, cfg.kubernetes_auth.path, app.role, jwt)
        lines.append(
            f"{app.name} ({app.method}, role {app.role}, ServiceAccount {app.namespace}/{app.service_account})"
        )
        for ref in app.secrets:
            if isinstance(ref, KvRef):
                data = client.read(kv2_api_path(ref.mount, ref.path))["data"]["data"]
                listed = ", ".join(f"{k}={mask(str(data[k]), show_secrets)}" for k in ref.keys)
                lines.append(f"  {kv2_api_path(ref.mount, ref.path)}: {listed}")
            elif isinstance(ref, DatabaseRef):
                lease = client.read(database_creds_path(ref.mount, ref.role))
                lines.append(
                    f"  {database_creds_path(ref.mount, ref.role)}: a new database user "
                    f"{lease['data']['username']} for {lease['lease_duration']}s"
                )
            else:
                request = {"common_name": ref.common_name, "ttl": str(ref.ttl)}
                cert = client.write_data(pki_issue_path(ref.mount, ref.role), data=request)["data"]
                lines.append(
                    f"  {pki_issue_path(ref.mount, ref.role)}: certificate for {ref.common_name}, "
                    f"serial {cert['serial_number']}"
                )
    return lines


def run_agents(cp: ControlPlane, api: KubeApi, cfg: StackConfig) -> dict[str, Path]:
    """Per injector app: its pod's agent running, and the folder where its application container reads."""
    folders = {}
    for app in (a for a in cfg.apps if a.method == "injector"):
        pod = agent.ensure_injected_pod(api, app.namespace, workload_labels(app))
        injected = agent.InjectedPod(api, pod, cp.state_dir / "agents" / pod["metadata"]["name"])
        agent.run_pod(cp.state_dir, injected)
        folders[app.name] = injected.app_secrets_dir()
    return folders


def wait_fresh(api: KubeApi, cfg: StackConfig, folders: dict[str, Path], values: dict[str, dict[str, str]]) -> None:
    """Wait (bounded by the longest refresh interval) until every delivered KV value is the one just written."""
    checks = []
    for app in cfg.apps:
        for ref in (r for r in app.secrets if isinstance(r, KvRef)):
            expected = values.get(f"{ref.mount}/{ref.path}")
            if expected is None:
                continue
            if app.method == "vso":
                checks.append(partial(_secret_is, api, app.namespace, str(ref.secret_name), expected))
            elif app.method == "injector":
                text = "".join(f"{k}={expected[k]}\n" for k in ref.keys)
                checks.append(partial(_file_is, folders[app.name] / str(ref.file), text))
    for app in cfg.apps:
        for db in (r for r in app.secrets if isinstance(r, DatabaseRef)):
            if app.method == "vso":
                checks.append(partial(_secret_has, api, app.namespace, str(db.secret_name), "username"))
            elif app.method == "injector":
                checks.append(partial(Path.is_file, folders[app.name] / str(db.file)))
    intervals = [parse_duration(a.static_render_interval or 0) for a in cfg.apps]
    intervals += [parse_duration(r.refresh_after) for a in cfg.apps for r in a.secrets if isinstance(r, KvRef)]
    try:
        wait_until(lambda: all(check() for check in checks), "delivery of the values just written",
                   max(intervals, default=0) + 15)  # fmt: skip
    except ControlPlaneError:
        print("  (some values are not delivered yet; shown as they are now)")


def _secret_is(api: KubeApi, namespace: str, name: str, expected: dict[str, str]) -> bool:
    data = secret_data(api, namespace, name) or {}
    return {k: data.get(k) for k in expected} == expected


def _secret_has(api: KubeApi, namespace: str, name: str, key: str) -> bool:
    return bool((secret_data(api, namespace, name) or {}).get(key))


def _file_is(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text() == text


def csi_view(
    cp: ControlPlane, api: KubeApi, cfg: StackConfig, app: AppDecl, show_secrets: bool
) -> tuple[list[str], dict[str, str]]:
    """What vault-csi-provider answers to the Mount the driver makes for the app's pod: the volume's files."""
    result = csi.mount_pod(
        api, csi_provider.socket_path(cp.state_dir), app.namespace, app.workload.name, csi.token_requests_of(cfg)
    )
    if result.failed:
        return [f"  Mount refused: {result.error}"], {}
    files = {name: data.decode() for name, data in result.files.items()}
    usernames = {database_file(str(r.file), "username") for r in app.secrets if isinstance(r, DatabaseRef)}
    return [f"  {app.workload.mount_path}/{name}: {text if name in usernames else mask(text, show_secrets)}"
            for name, text in sorted(files.items())], files  # fmt: skip


def delivered_credentials(
    app: AppDecl, ref: DatabaseRef, api: KubeApi, folders: dict[str, Path], csi_files: dict[str, str]
) -> dict[str, str]:
    """The username and password the app's container reads, wherever its method puts them."""
    if app.method == "csi":
        found = {key: csi_files.get(database_file(ref.file or "", key), "") for key in DATABASE_KEYS}
    elif app.method == "vso":
        found = secret_data(api, app.namespace, str(ref.secret_name)) or {}
    else:
        path = folders[app.name] / str(ref.file)
        found = key_values(path.read_text()) if path.is_file() else {}
    return {key: found.get(key, "") for key in DATABASE_KEYS}


def login_view(database: Postgres, credentials: dict[str, str]) -> str:
    user = database.login(credentials["username"], credentials["password"]) if credentials["username"] else None
    if user is None:
        return f"  PostgreSQL refuses {credentials['username'] or 'the missing user'}"
    allowed = database.may(credentials["username"], credentials["password"], SELECT_ITEMS)
    return f"  logged in to PostgreSQL as {user}; {SELECT_ITEMS}: {'allowed' if allowed else 'refused'}"


VSO_KINDS = {KvRef: "VaultStaticSecret", PkiRef: "VaultPKISecret", DatabaseRef: "VaultDynamicSecret"}


def delivered_view(
    cp: ControlPlane, api: KubeApi, cfg: StackConfig, app: AppDecl, folders: dict[str, Path], show_secrets: bool
) -> list[str]:
    csi_files: dict[str, str] = {}
    if app.method == "csi":
        lines, csi_files = csi_view(cp, api, cfg, app, show_secrets)
    elif app.method == "vso":
        synced = [(VSO_KINDS[type(r)], str(r.secret_name)) for r in app.secrets]
        lines = vso_view(api, app.namespace, synced, show_secrets)
    else:
        files = [str(r.file) for r in app.secrets if not isinstance(r, PkiRef)]
        pairs = {str(r.cert_file): str(r.key_file) for r in app.secrets if isinstance(r, PkiRef)}
        files += [f for cert, key in pairs.items() for f in (cert, key)]
        database_files = [str(r.file) for r in app.secrets if isinstance(r, DatabaseRef)]
        lines = agent_view(folders[app.name], files, pairs, show_secrets, database_files)
    database = Postgres.from_env(cp.env)
    for ref in (r for r in app.secrets if isinstance(r, DatabaseRef)):
        lines.append(login_view(database, delivered_credentials(app, ref, api, folders, csi_files)))
    return lines


def show_delivered(
    cp: ControlPlane, cfg: StackConfig, values: dict[str, dict[str, str]], show_secrets: bool
) -> list[str]:
    api = cp.kube()
    try:
        folders = run_agents(cp, api, cfg)
        wait_fresh(api, cfg, folders, values)
        lines = []
        for app in cfg.apps:
            where = {
                "csi": f"CSI volume at {app.workload.mount_path}, as vault-csi-provider mounts it",
                "vso": "Secrets synced by VSO",
                "injector": f"files rendered by the agent in /vault/secrets ({folders.get(app.name)})",
            }
            lines.append(f"{app.name} ({app.method}): {where[app.method]}")
            lines.extend(delivered_view(cp, api, cfg, app, folders, show_secrets))
        return lines
    finally:
        api.close()


def down() -> int:
    try:
        cp = ControlPlane.load()
    except ControlPlaneError:
        print("control plane is not running")
        return 0
    stopped = stop_controllers(cp, cp.state_dir)
    if stopped:
        print("stopped " + ", ".join(f"{n} (pid {p})" for n, p in stopped.items()))
    cp.stop()
    print("control plane stopped; its state folder is removed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo")
    parser.add_argument("--down", action="store_true", help="stop the controllers, agents and control plane")
    parser.add_argument("--show-secrets", action="store_true", help="print secret values unmasked")
    args = parser.parse_args(argv)
    if args.down:
        return down()
    cfg = stack_config()
    print(f"starting the local control plane ({SERVER_ENV}={server_from_env()}) ...", flush=True)
    cp = ControlPlane.start()
    print(f"  Vault server: {server_version(cp.server_binary)} at {cp.vault_addr}", flush=True)
    print("starting the Vault Secrets Operator, the Vault Agent injector and vault-csi-provider ...", flush=True)
    for name, record in start_controllers(cp, ControllerSettings.from_config(cfg)).items():
        print(f"  {name}: pid {record.pid}, log {record.log}")
    stack = LocalStack(cp.state_dir, cp.env)
    stack.prepare()
    print("pulumi up --stack local ...", flush=True)
    result = stack.up()
    print(result.stdout[-3000:])
    print("\nWhat each app may read, logged in with its own ServiceAccount token:")
    for line in show_apps(cp, cfg, args.show_secrets):
        print(line)
    print("\nWhat each workload receives:")
    for line in show_delivered(cp, cfg, stack.values, args.show_secrets):
        print(line)
    print("\nThe controllers and agents keep running with the control plane. Stop everything with: make demo-down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
