"""B2: the real engine on the real node, the program side by side with the flat program a user would write instead.

One node session (HashiCorp Vault), stack `local-node`: `up` from empty (the one bench.node times for the first
secret), then no-change previews and a one-value change for the program and for the flat program, at the stack's 6
apps and with 50 generated apps added. The flat program is generated from the program's state (bench.flat_state) and
runs as its own project and stack, on the same backend, providers and live resources; its up from empty runs last,
after the flat stack destroyed everything.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pulumi import automation as auto

from bench import flat_state, plot, results
from bench.flat_typed import generate
from localenv.database import Postgres
from localenv.stack import REPO, LocalStack, PulumiError

if TYPE_CHECKING:
    from bench.node import Session

PREVIEW_RUNS = 3
GENERATED_APPS = 50
# Pods for the generated apps: 0 keeps every resource (Deployments, CSI classes, VSO secrets, roles) but starts no
# pod, so the figures are the engine's and the providers', not 50 pod starts on 2 cores.
GENERATED_REPLICAS = 0
CHANGED_SECRET = ("for-injection/my-pass", "password")
FLAT_STACK = "local-node-flat"
PLOT_FILE = results.RESULTS_DIR / "b2.png"


def timed(action: Callable[[], Any]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def generated_apps(count: int, replicas: int = GENERATED_REPLICAS) -> list[dict[str, Any]]:
    """`count` more apps over the three methods, as Deployments, reading the secrets the local stacks declare."""
    apps: list[dict[str, Any]] = []
    for index in range(count):
        name = f"bench-{index:03d}"
        method = ("csi", "injector", "vso")[index % 3]
        base: dict[str, Any] = {"name": name, "method": method, "serviceAccount": name, "policy": name, "role": name,
                "workload": {"name": name, "image": "localhost/vault-k8s/app:0.0.1", "replicas": replicas}}  # fmt: skip
        if method == "csi":
            base |= {"secretProviderClass": name,
                     "secrets": [{"kind": "kv", "mount": "secret", "path": "db-pass", "keys": ["password"],
                                  "file": "db-password"}]}  # fmt: skip
        elif method == "injector":
            base |= {"secrets": [{"kind": "kv", "mount": "for-injection", "path": "my-pass", "keys": ["password"],
                                  "file": "config.txt"}]}  # fmt: skip
        else:
            base |= {"secrets": [{"kind": "kv", "mount": "kvv2", "path": "webapp/config",
                                  "keys": ["username", "password"], "secretName": name}]}  # fmt: skip
        apps.append(base)
    return apps


def add_apps(stack: LocalStack, apps: list[dict[str, Any]]) -> None:
    document = yaml.safe_load(stack.config_file.read_text())
    document["config"]["vault-k8s:apps"] += apps
    stack.config_file.write_text(yaml.safe_dump(document, sort_keys=False))


def export(stack: LocalStack, name: str) -> dict[str, Any]:
    """The deployment with secrets opened: the flat program's literals (kept in memory and a 0600 state-dir file)."""
    # Automation's export_stack passes --show-secrets, which is what this one wants.
    deployment = stack.workspace().export_stack(name)
    return {"version": deployment.version, "deployment": deployment.deployment}


@dataclass
class FlatStack:
    """The flat program as its own project beside the state dir, on the program's backend and credentials."""

    program: LocalStack
    folder: Path

    @classmethod
    def create(cls, program: LocalStack) -> FlatStack:
        folder = program.state_dir / "flat-project"
        folder.mkdir(exist_ok=True)
        # The program's relative paths (`.localcp/kubeconfig`) resolve from the project folder, as they do for it.
        link = folder / program.state_dir.name
        if not link.exists():
            link.symlink_to(program.state_dir)
        project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
        project.pop("stackConfigDir", None)
        project["runtime"]["options"]["virtualenv"] = str(REPO / ".venv")
        (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        # The flat project is the state dir's own: stack init's salt lands in its stack file, not a committed one.
        workspace = program.workspace(folder, secrets_provider="passphrase")
        if FLAT_STACK not in {s.name for s in workspace.list_stacks()}:
            workspace.create_stack(FLAT_STACK)
        return cls(program, folder)

    @cached_property
    def automation(self) -> auto.Stack:
        return auto.Stack.select(FLAT_STACK, self.program.workspace(self.folder))

    def pulumi(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """The CLI, for `stack import --force`: automation's import_stack cannot force."""
        argv = [*args, "--stack", FLAT_STACK, "--non-interactive"]
        result = subprocess.run(["pulumi", *argv], cwd=self.folder, env=self.program.env(), capture_output=True,
                                text=True, timeout=timeout, check=False)  # fmt: skip
        if result.returncode != 0:
            raise PulumiError(argv, result)
        return result

    def write(self, recording: dict[str, Any]) -> int:
        source = generate(recording)
        target = self.folder / "__main__.py"
        target.write_text(source)
        os.chmod(target, 0o600)
        return len(source.splitlines())

    def adopt(self, program_deployment: dict[str, Any]) -> None:
        """Import the program's state rewritten for the flat program's URNs."""
        state = self.folder / "state.json"
        state.write_text(json.dumps(flat_state.flat_deployment(program_deployment, FLAT_STACK)))
        os.chmod(state, 0o600)
        try:
            self.pulumi("stack", "import", "--file", str(state), "--force")
        finally:
            state.unlink()

    def preview(self, *, expect_no_changes: bool = False) -> None:
        self.automation.preview(expect_no_changes=expect_no_changes or None)

    def up(self) -> None:
        self.automation.up(show_secrets=False)

    def destroy(self, targets: list[str] | None = None) -> None:
        self.automation.destroy(target=targets, target_dependents=True if targets else None, show_secrets=False)

    def destroy_database_last(self, revoke: Callable[[], None]) -> None:
        """Everything but the database engines first (the pods that take leases go with it), then their leases
        revoked, then the engines: a database mount's delete revokes its leases, which needs the connection the
        same destroy removes before it."""
        first, _ = database_last((self.automation.export_stack().deployment or {})["resources"])
        self.destroy(first)
        revoke()
        self.destroy()


DATABASE_TYPES = (
    "vault:database/secretBackendConnection:SecretBackendConnection",
    "vault:database/secretBackendRole:SecretBackendRole",
)


def database_last(resources: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The custom resources' URNs split in two: all but the database engines, then the engines (their mounts,
    connections, roles and rotate-root calls)."""
    mounts = {r["inputs"]["path"] for r in resources
              if r["type"] == "vault:index/mount:Mount" and r.get("inputs", {}).get("type") == "database"}  # fmt: skip

    def engine(resource: dict[str, Any]) -> bool:
        path = str(resource.get("inputs", {}).get("path", ""))
        return (
            resource["type"] in DATABASE_TYPES
            or (resource["type"] == "vault:index/mount:Mount" and path in mounts)
            or (resource["type"] == "vault:generic/endpoint:Endpoint" and any(path.startswith(f"{m}/") for m in mounts))
        )

    custom = [r for r in resources if r.get("custom") and not r["type"].startswith("pulumi:providers:")]
    return [r["urn"] for r in custom if not engine(r)], [r["urn"] for r in custom if engine(r)]


def change_value(recording: dict[str, Any], secret: str, key: str, value: str) -> dict[str, Any]:
    """The recording with one KV value changed in its `SecretV2`'s data, as a user edits one literal."""
    mount, _, path = secret.partition("/")
    changed = json.loads(json.dumps(recording))
    for resource in changed["resources"]:
        inputs = resource["inputs"]
        if resource["type"] == "vault:kv/secretV2:SecretV2" and (inputs["mount"], inputs["name"]) == (mount, path):
            data = json.loads(inputs["dataJson"])
            data[key] = value
            inputs["dataJson"] = json.dumps(data)
            return changed
    raise LookupError(f"no SecretV2 for {secret}")


def _previews(preview: Callable[[], Any]) -> dict[str, Any]:
    samples = [timed(preview) for _ in range(PREVIEW_RUNS)]
    return {"median_s": round(statistics.median(samples), 2), "samples_s": [round(s, 2) for s in samples]}


def _resources(deployment: dict[str, Any]) -> dict[str, int]:
    resources = deployment["deployment"]["resources"]
    custom = sum(1 for r in resources if r.get("custom"))
    return {"custom": custom, "components": len(resources) - custom - 1}


def side_by_side(
    stack: LocalStack, flat: FlatStack, label: str, say: Callable[[str], None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """No-change previews and a one-value change: the program, then the flat program on the same live resources.
    Returns the row and the flat program's recording."""
    secret, key = CHANGED_SECRET
    program_preview = _previews(lambda: stack.preview(expect_no_changes=True))
    stack.set_secret(secret, key, f"{key}-b2-program-{time.time_ns()}")
    program_change = timed(stack.up)
    deployment = export(stack, stack.stack)
    recording = flat_state.to_recording(deployment)
    lines = flat.write(recording)
    flat.adopt(deployment)
    # Equal inputs or this fails: the flat program is checked against the program's live state before timing.
    flat_preview = _previews(lambda: flat.preview(expect_no_changes=True))
    flat.write(change_value(recording, secret, key, f"{key}-b2-flat-{time.time_ns()}"))
    flat_change = timed(flat.up)
    row = {
        "label": label,
        "resources": _resources(deployment),
        "flat_source_lines": lines,
        "program": {"preview": program_preview, "change_s": round(program_change, 2)},
        "flat": {"preview": flat_preview, "change_s": round(flat_change, 2)},
        "preview_ratio": round(program_preview["median_s"] / flat_preview["median_s"], 3),
        "change_ratio": round(program_change / flat_change, 3),
    }
    say(f"  {label}: no-change preview program {program_preview['median_s']:.2f}s flat "
        f"{flat_preview['median_s']:.2f}s ({row['preview_ratio']:.2f}x); one-value change program "
        f"{program_change:.1f}s flat {flat_change:.1f}s ({row['change_ratio']:.2f}x)")  # fmt: skip
    return row, recording


def measure(session: Session, say: Callable[[str], None]) -> dict[str, Any]:
    """Everything after the program's up from empty, on the running node."""
    stack, up_from_empty_s = session.stack, session.up_from_empty_s
    flat = FlatStack.create(stack)
    small, small_recording = side_by_side(stack, flat, "local-node (6 apps)", say)
    small["program"]["up_from_empty_s"] = round(up_from_empty_s, 2)
    add_apps(stack, generated_apps(GENERATED_APPS))
    adding = timed(stack.up)
    say(f"  program up adding {GENERATED_APPS} apps: {adding:.1f}s")
    large, large_recording = side_by_side(stack, flat, f"local-node + {GENERATED_APPS} apps", say)
    large["program"]["up_adding_apps_s"] = round(adding, 2)
    measured: dict[str, Any] = {"runs": [small, large]}
    try:
        measured |= from_empty(session, flat, [(small, small_recording), (large, large_recording)], say)
    except Exception as exc:  # noqa: BLE001 - the side-by-side figures above are kept
        measured["up_from_empty_error"] = f"{type(exc).__name__}: {str(exc)[-3000:]}"
        say(f"  up from empty failed: {measured['up_from_empty_error'][-1500:]}")
    shutil.rmtree(flat.folder, ignore_errors=True)
    return measured


def forget(stack: LocalStack) -> None:
    """The program's state emptied (what it described was destroyed by the flat stack, which had adopted it)."""
    workspace_stack = stack.automation
    exported = workspace_stack.export_stack()
    deployment = dict(exported.deployment or {})
    deployment["resources"] = []
    deployment.pop("pendingOperations", None)
    workspace_stack.import_stack(auto.Deployment(version=exported.version, deployment=deployment))


def from_empty(
    session: Session,
    flat: FlatStack,
    rows: list[tuple[dict[str, Any], dict[str, Any]]],
    say: Callable[[str], None],
) -> dict[str, Any]:
    """`up` from an empty node: the flat program at each size (destroyed after each), then the program with the
    generated apps. The program's 6-app figure is the session's first up."""

    def revoke() -> None:
        # Leases of the pods' database users: a database mount's delete would revoke them through the connection
        # the same destroy removes first.
        for database in session.cfg.databases:
            session.root.sys.revoke_force(database.path)

    def emptied() -> None:
        # An empty environment: the admin password as the control plane made it (each deploy rotates it).
        Postgres.from_env(session.cp.env).set_admin_password(session.cp.env["POSTGRES_VAULT_ADMIN_PASSWORD"])

    destroy = timed(lambda: flat.destroy_database_last(revoke))
    forget(session.stack)
    for row, recording in rows:
        emptied()
        flat.write(recording)
        row["flat"]["up_from_empty_s"] = round(timed(flat.up), 2)
        flat.destroy_database_last(revoke)
    emptied()
    large = rows[-1][0]
    large["program"]["up_from_empty_s"] = round(timed(session.stack.up), 2)
    for row, _ in rows:
        row["up_ratio"] = round(row["program"]["up_from_empty_s"] / row["flat"]["up_from_empty_s"], 3)
        say(f"  {row['label']}: up from empty program {row['program']['up_from_empty_s']:.1f}s flat "
            f"{row['flat']['up_from_empty_s']:.1f}s ({row['up_ratio']:.2f}x)")  # fmt: skip
    say(f"  flat destroy of {GENERATED_APPS + 6} apps: {destroy:.1f}s")
    return {"flat_destroy_s": round(destroy, 2)}


def build_section(measured: dict[str, Any], machine: dict[str, Any], started: str) -> dict[str, Any]:
    return {
        "status": "ok",
        "timestamp": started,
        "finished": results.now(),
        "machine": machine,
        "server": "vault",
        "stack": "local-node on the real node",
        "method": {
            "program": "__main__.py through `pulumi` with the stack's config copy",
            "flat": (
                "bench/flat_state.py: the program's deployed state (`stack export --show-secrets`) written out as a "
                "flat typed program (bench/flat_typed.py: same SDK classes, names, inputs, secret inputs, providers, "
                "depends_on), run as its own project and stack on the same backend, with the program's state "
                "imported under the flat URNs; its no-change preview passing `--expect-no-changes` proves it equal"
            ),
            "preview": f"median of {PREVIEW_RUNS} `pulumi preview --expect-no-changes`",
            "change": f"one KV value ({CHANGED_SECRET[0]} {CHANGED_SECRET[1]}) changed, then `pulumi up`",
            "up_from_empty": (
                "after the flat stack (holding the program's adopted state) destroyed everything, database engines "
                "last: the flat program's `up` at 6 apps, destroyed, then at 6 + "
                f"{GENERATED_APPS} apps, destroyed; then the program's `up` at 6 + {GENERATED_APPS} apps. The "
                "program's 6-app figure is the session's first `up` on the new node (3 host threads watching pods "
                "for the first secret)"
            ),
            "generated_apps": f"{GENERATED_APPS} apps over the three methods, Deployments with replicas "
            f"{GENERATED_REPLICAS}",
        },
        **measured,
    }


def _print(section: dict[str, Any]) -> None:
    print(f"  {'stack':<24} {'resources':>9} {'operation':<20} {'program':>8} {'flat':>8} {'ratio':>6}")
    for row in section["runs"]:
        program, flat = row["program"], row["flat"]
        operations = [
            ("no-change preview", program["preview"]["median_s"], flat["preview"]["median_s"], row["preview_ratio"]),
            ("one-value change", program["change_s"], flat["change_s"], row["change_ratio"]),
        ]
        if "up_ratio" in row:
            operations.insert(0, ("up from empty", row["program"]["up_from_empty_s"],
                                  row["flat"]["up_from_empty_s"], row["up_ratio"]))  # fmt: skip
        for name, mine, theirs, ratio in operations:
            print(f"  {row['label']:<24} {row['resources']['custom']:>9} {name:<20} {mine:>7.2f}s {theirs:>7.2f}s "
                  f"{ratio:>6.2f}")  # fmt: skip
        if "up_adding_apps_s" in row["program"]:
            print(
                f"  {row['label']:<24} {'':>9} {'up adding the apps':<20} {row['program']['up_adding_apps_s']:>7.2f}s"
            )


def run(seed: int | None = None) -> dict[str, Any]:
    """The HashiCorp Vault node session with B2 after B3's changes; the session's B3 figures are kept for B3."""
    from bench import b3, node

    seed = seed if seed is not None else random.SystemRandom().randrange(1_000_000)
    started = results.now()
    machine = results.machine_info()
    print("b2: the real engine on the real node, program and flat program side by side", flush=True)
    session = node.run_server("vault", seed, after_delivery=lambda s: measure(s, node.say))
    b3.SESSIONS["vault"] = session
    measured = session["extra"]
    if "error" in measured:
        failed = {"status": "failed", "error": measured["error"], "timestamp": started, "finished": results.now()}
        results.merge_section("b2", failed)
        print(f"  b2 failed: {measured['error'][-2000:]}", flush=True)
        return failed
    section = build_section(measured, machine, started)
    _print(section)
    plot.plot_b2(section, PLOT_FILE)
    section["plot"] = PLOT_FILE.name
    results.merge_section("b2", section)
    return section
