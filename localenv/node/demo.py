"""`make demo`: the control plane with the real node, `pulumi up --stack local-node` (the three charts, the Vault
mounts, roles and the apps' workloads), then the tutorial's own checks, run the way a user runs them (kubectl exec
through the API server), values masked unless --show-secrets. `make demo-down` stops it all."""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from derive.workloads import delivery_command, label_selector
from localenv.controlplane import ControlPlane
from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.vaultserver import SERVER_ENV, server_from_env, server_version
from localenv.database import Postgres
from localenv.delivered import DATABASE_SHOWN, describe_certificate, key_values, masked_lines
from localenv.node.kube import Kube, eventually
from localenv.node.node import Node, peak_rss_mib, pods_peak_mib
from localenv.stack import REPO, LocalStack, stack_file_config
from stackconfig.models import AppDecl, DatabaseRef, PkiRef, StackConfig, database_file

STACK = "local-node"


def _pod(kube: Kube, app: AppDecl) -> str:
    if app.workload.kind == "Pod":
        return app.workload.name
    selector = label_selector(app)
    pod, _ = eventually(lambda: kube.running_pod(app.namespace, selector), f"a ready pod of {app.name}", 120)
    return str(pod.metadata.name)


def _exec_shown(kube: Kube, app: AppDecl, command: list[str], container: str | None = None) -> str:
    pod = _pod(kube, app)
    where = f" -c {container}" if container else ""
    ns = "" if app.namespace == "default" else f" -n {app.namespace}"
    print(f"$ kubectl exec{ns} {pod}{where} -- {shlex.join(command)}")
    return kube.exec(app.namespace, pod, command, container=container)


def show_app(kube: Kube, app: AppDecl, show: bool, database: Postgres) -> None:
    print(f"\n# {app.name} ({app.method}); the tutorial's check: {delivery_command(app)}")
    pod_name = _pod(kube, app)
    if app.method == "injector":
        pod = kube.pod(app.namespace, pod_name)
        init = " ".join(c.name for c in pod.spec.init_containers or [])
        print(f"containers: {' '.join(c.name for c in pod.spec.containers)} (init: {init})")
    creds: dict[str, str] = {}
    for ref in app.secrets:
        if app.method == "csi" and not isinstance(ref, PkiRef):
            files = (
                [database_file(ref.file or "", k) for k in ("username", "password")]
                if isinstance(ref, DatabaseRef)
                else [ref.file or ""]
            )
            for file in files:
                value = _exec_shown(kube, app, ["cat", f"{app.workload.mount_path}/{file}"])
                key = file.rsplit("-", 1)[-1] if isinstance(ref, DatabaseRef) else file
                if isinstance(ref, DatabaseRef):
                    creds[key] = value
                print("\n".join(masked_lines(f"{key}={value}", show, DATABASE_SHOWN)))
        elif app.method == "injector":
            if isinstance(ref, PkiRef):
                cert = _exec_shown(kube, app, ["cat", f"/vault/secrets/{ref.cert_file}"], "webapp")
                key_pem = kube.exec(app.namespace, pod_name, ["cat", f"/vault/secrets/{ref.key_file}"], "webapp")
                print(describe_certificate(cert, key_pem))
                continue
            text = _exec_shown(kube, app, ["cat", f"/vault/secrets/{ref.file}"], "webapp")
            if isinstance(ref, DatabaseRef):
                creds = key_values(text)
            print("\n".join(masked_lines(text, show, DATABASE_SHOWN)))
        else:
            data = kube.secret_data(app.namespace, ref.secret_name or "") or {}
            print(f"$ kubectl get secret {ref.secret_name}  # synced by VSO: keys {', '.join(sorted(data))}")
            if isinstance(ref, PkiRef):
                print(describe_certificate(data["tls.crt"], data.get("tls.key")))
            elif isinstance(ref, DatabaseRef):
                creds = {k: data[k] for k in ("username", "password")}
                print("\n".join(masked_lines(f"username={data['username']}", show, DATABASE_SHOWN)))
            else:
                names = {k.upper().replace("-", "_") for k in data if not k.startswith("_")}
                env = _exec_shown(kube, app, ["env"]).splitlines()
                shown = "\n".join(sorted(line for line in env if line.partition("=")[0] in names))
                print("\n".join(masked_lines(shown, show, DATABASE_SHOWN)))
    if creds:
        who = database.login(creds["username"], creds["password"])
        print(f"PostgreSQL login as {creds['username']}: {'accepted' if who else 'refused'}")


def up(show: bool) -> int:
    cfg: StackConfig = stack_file_config(REPO / "stacks" / f"Pulumi.{STACK}.yaml")
    began = time.monotonic()
    print(f"starting the local control plane and node ({SERVER_ENV}={server_from_env()}) ...", flush=True)
    cp = ControlPlane.start(node=True, say=lambda m: print(f"  {m}", flush=True))
    print(f"  Vault server: {server_version(cp.server_binary)} at {cp.vault_addr}", flush=True)
    stack = LocalStack(cp.state_dir, cp.env, stack=STACK)
    stack.prepare()
    print(f"pulumi up --stack {STACK} ...", flush=True)
    result = stack.up()
    print(result.stdout[-2500:])
    kube = Kube(cp.kubeconfig, "local")
    try:
        for app in cfg.apps:
            show_app(kube, app, show, Postgres.from_env(cp.env))
    finally:
        kube.close()
    node = Node.load(cp.state_dir)
    pids = [c.pid for c in cp.components.values() if c.pid is not None] + (node.pids() if node else [])
    print(
        f"\nall checks printed {time.monotonic() - began:.0f}s after start; peak memory: control plane and node "
        f"processes {peak_rss_mib(pids):.0f} MiB, pods {pods_peak_mib():.0f} MiB. Stop everything with: make demo-down"
    )
    return 0


def down() -> int:
    try:
        cp = ControlPlane.load()
    except ControlPlaneError:
        print("control plane is not running")
        return 0
    cp.stop()
    print("control plane and node stopped; the state folder, namespaces, mounts and cgroups are removed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo")
    parser.add_argument("--down", action="store_true", help="stop the node and the control plane")
    parser.add_argument("--show-secrets", action="store_true", help="print secret values unmasked")
    args = parser.parse_args(argv)
    return down() if args.down else up(args.show_secrets)


if __name__ == "__main__":
    sys.exit(main())
