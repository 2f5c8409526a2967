"""B2: the real engine against the local control plane: `up` from empty and no-change previews."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench import results
from localenv.controlplane import ControlPlane
from localenv.controlplane.paths import default_state_dir
from localenv.stack import REPO, LocalStack

PREVIEW_RUNS = 3
GENERATED_APPS = 50


def _timed(action: Any) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def generated_apps(count: int) -> list[dict[str, Any]]:
    """`count` more apps over the three methods, reading the secrets the local stack declares."""
    apps: list[dict[str, Any]] = []
    for index in range(count):
        name = f"bench-{index:03d}"
        method = ("csi", "injector", "vso")[index % 3]
        base: dict[str, Any] = {"name": name, "method": method, "serviceAccount": name, "policy": name, "role": name,
                "workload": {"name": name}}  # fmt: skip
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


def _resource_count(stack: LocalStack) -> int:
    deployment = json.loads(stack.export())
    return len(deployment["deployment"].get("resources", []))


def _previews(stack: LocalStack) -> list[float]:
    return [_timed(lambda: stack.preview("--expect-no-changes")) for _ in range(PREVIEW_RUNS)]


def _measure(stack: LocalStack, label: str) -> dict[str, Any]:
    up_s = _timed(stack.up)
    count = _resource_count(stack)
    previews = _previews(stack)
    median = statistics.median(previews)
    row = {
        "label": label,
        "resources": count,
        "up_s": round(up_s, 2),
        "preview_s": round(median, 2),
        "preview_samples": [round(p, 2) for p in previews],
        "preview_s_per_resource": round(median / count, 4),
    }
    print(f"  {label:<22} {count:>5} resources  up {up_s:6.1f}s  no-change preview {median:5.1f}s "
          f"({median / count * 1000:.0f} ms/resource)", flush=True)  # fmt: skip
    return row


def _empty_program_floor(stack: LocalStack) -> dict[str, Any]:
    """A project with an empty program, previewed by the same engine and backend."""
    with tempfile.TemporaryDirectory(prefix="vault-k8s-empty-") as folder:
        project = Path(folder)
        (project / "Pulumi.yaml").write_text(yaml.safe_dump({
            "name": "vault-k8s-empty",
            "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": str(REPO / ".venv")}},
        }))  # fmt: skip
        (project / "__main__.py").write_text("")
        env = stack.env()

        def pulumi(*args: str) -> None:
            subprocess.run(["pulumi", *args, "--non-interactive"], cwd=project, env=env, check=True,
                           capture_output=True, text=True, timeout=300)  # fmt: skip

        pulumi("stack", "init", "empty")
        pulumi("up", "--yes", "--skip-preview", "--stack", "empty")
        samples = [_timed(lambda: pulumi("preview", "--stack", "empty")) for _ in range(PREVIEW_RUNS)]
        pulumi("stack", "rm", "--yes", "--force", "empty")
    median = statistics.median(samples)
    print(f"  {'empty program':<22} {'':>5}            no-change preview {median:5.1f}s (the floor)", flush=True)
    return {"preview_s": round(median, 2), "preview_samples": [round(s, 2) for s in samples]}


def run() -> dict[str, Any]:
    if (default_state_dir() / "processes.json").exists():
        raise SystemExit("b2: a control plane is already running (make demo-down first)")
    print("b2: real engine on the local control plane", flush=True)
    section: dict[str, Any] = {"status": "ok", "timestamp": results.now(), "machine": results.machine_info()}
    cp = ControlPlane.start()
    try:
        stack = LocalStack(cp.state_dir, cp.env)
        stack.prepare()
        section["floor"] = _empty_program_floor(stack)
        demo = _measure(stack, "local (6 demo apps)")
        document = yaml.safe_load(stack.config_file.read_text())
        document["config"]["vault-k8s:apps"] += generated_apps(GENERATED_APPS)
        stack.config_file.write_text(yaml.safe_dump(document, sort_keys=False))
        more = _measure(stack, f"local + {GENERATED_APPS} apps")
        stack.destroy()
        section["runs"] = [demo, more]
        added = more["resources"] - demo["resources"]
        section["marginal_preview_s_per_resource"] = round((more["preview_s"] - demo["preview_s"]) / added, 4)
    finally:
        cp.stop()
        shutil.rmtree(cp.state_dir, ignore_errors=True)
    results.merge_section("b2", section)
    return section
