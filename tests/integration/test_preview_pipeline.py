"""`make preview STACK=local` and the push-to-main update (pipeline/up.sh) for real: the policy pack runs, data loss
is stopped, production is mandatory, and the update applies exactly the gated plan."""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest
import yaml

from localenv.stack import REPO, LocalStack


@pytest.fixture(scope="module")
def deployed(stack: LocalStack) -> Iterator[LocalStack]:
    stack.up()
    original = stack.config_file.read_text()
    try:
        yield stack
    finally:
        stack.config_file.write_text(original)
        stack.destroy()


def make_preview(
    stack: LocalStack, out: Path, config_file: Path | None = None, script: str = "preview.sh", **env: str
) -> subprocess.CompletedProcess[str]:
    """Exactly what `make preview STACK=local` (or, with up.sh, the push-to-main job) runs once the local
    environment is exported."""
    full_env = {
        **stack.env(),
        "PREVIEW_CONFIG_FILE": str(config_file or stack.config_file),
        "PREVIEW_OUT_DIR": str(out),
        "PYTHON": str(REPO / ".venv" / "bin" / "python"),
        **env,
    }
    return subprocess.run(
        ["bash", f"pipeline/{script}", "local"], cwd=REPO, env=full_env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def edited(stack: LocalStack, target: Path, change: dict[str, object]) -> Path:
    document = yaml.safe_load(stack.config_file.read_text())
    for key, value in change.items():
        document["config"][f"vault-k8s:{key}"] = value
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return target


def test_make_preview_runs_the_pack_and_passes_a_clean_stack(deployed: LocalStack, tmp_path: Path) -> None:
    result = make_preview(deployed, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = (tmp_path / "summary.md").read_text()
    assert "local" in summary
    assert "data-loss" not in summary.lower()
    events = (tmp_path / "events.jsonl").read_text()
    assert "vault-k8s-guardrails" in events  # the pack was loaded and reported in


def test_replacing_the_pki_root_is_flagged_and_fails(deployed: LocalStack, tmp_path: Path) -> None:
    pki = yaml.safe_load(deployed.config_file.read_text())["config"]["vault-k8s:pki"]
    changed = copy.deepcopy(pki)
    changed[0]["root"]["commonName"] = "test-renamed"
    config = edited(deployed, tmp_path / "Pulumi.local.yaml", {"pki": changed})
    result = make_preview(deployed, tmp_path / "out", config)
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert result.returncode != 0
    assert "pki-pki-root" in summary and "replace" in summary
    allowed = make_preview(deployed, tmp_path / "allowed", config, ALLOW_DATA_LOSS="pki-pki-root")
    assert allowed.returncode == 0, allowed.stderr[-3000:]


def moved_kv_mount(stack: LocalStack, target: Path) -> Path:
    document = yaml.safe_load(stack.config_file.read_text())["config"]
    kv = copy.deepcopy(document["vault-k8s:kv"])
    apps = copy.deepcopy(document["vault-k8s:apps"])
    values = copy.deepcopy(document["vault-k8s:secretValues"])
    next(m for m in kv if m["path"] == "for-injection")["path"] = "for-injection-v2"
    for app in apps:
        for ref in app["secrets"]:
            if ref.get("mount") == "for-injection":
                ref["mount"] = "for-injection-v2"
    values["for-injection-v2/my-pass"] = values.pop("for-injection/my-pass")
    return edited(stack, target, {"kv": kv, "apps": apps, "secretValues": values})


def test_moving_a_kv_mount_is_flagged_and_fails(deployed: LocalStack, tmp_path: Path) -> None:
    config = moved_kv_mount(deployed, tmp_path / "Pulumi.local.yaml")
    result = make_preview(deployed, tmp_path / "out", config)
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert result.returncode != 0
    assert "kv-for-injection-mount" in summary and "delete" in summary


def test_renaming_an_app_deletes_nothing(deployed: LocalStack, tmp_path: Path) -> None:
    """Resources are named from the app's namespace and ServiceAccount, so a rename keeps every URN: no
    data loss, and the ServiceAccount, policy and role are neither deleted nor created."""
    apps = copy.deepcopy(yaml.safe_load(deployed.config_file.read_text())["config"]["vault-k8s:apps"])
    next(a for a in apps if a["name"] == "webapp")["name"] = "webapp-renamed"
    config = edited(deployed, tmp_path / "Pulumi.local.yaml", {"apps": apps})
    result = make_preview(deployed, tmp_path / "out", config)
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert result.returncode == 0, summary + result.stderr[-3000:]
    assert "data-loss" not in summary.lower(), summary
    for name in ("app-default-webapp-sa-sa", "app-default-webapp-sa-policy", "app-default-webapp-sa-role"):
        assert f"`{name}`" not in summary, summary


def test_production_copy_with_an_http_address_fails_on_the_mandatory_rule(deployed: LocalStack, tmp_path: Path) -> None:
    vault = yaml.safe_load(deployed.config_file.read_text())["config"]["vault-k8s:vault"]
    config = edited(
        deployed,
        tmp_path / "Pulumi.local.yaml",
        {"production": True, "vault": {**vault, "workloadAddress": "http://127.0.0.1:28200"}},
    )
    result = make_preview(deployed, tmp_path / "out", config)
    output = result.stdout + result.stderr + (tmp_path / "out" / "summary.md").read_text()
    assert result.returncode != 0
    assert "vault-address-https" in output
    assert "mandatory" in output.lower()
    advisory = edited(
        deployed, tmp_path / "advisory.yaml", {"vault": {**vault, "workloadAddress": "http://127.0.0.1:28200"}}
    )
    assert make_preview(deployed, tmp_path / "advisory", advisory).returncode == 0
    assert os.path.exists(tmp_path / "advisory" / "summary.md")


def test_push_to_main_refuses_an_ungated_destructive_change(
    deployed: LocalStack, root_vault: hvac.Client, tmp_path: Path
) -> None:
    config = moved_kv_mount(deployed, tmp_path / "Pulumi.local.yaml")
    result = make_preview(deployed, tmp_path / "out", config, script="up.sh")
    assert result.returncode == 1, result.stderr[-3000:]
    assert "not applying local: the preview gate failed" in result.stderr
    mounts = root_vault.sys.list_mounted_secrets_engines()["data"]
    assert "for-injection/" in mounts and "for-injection-v2/" not in mounts


def test_push_to_main_applies_exactly_the_gated_plan(
    deployed: LocalStack, root_vault: hvac.Client, tmp_path: Path
) -> None:
    apps = copy.deepcopy(yaml.safe_load(deployed.config_file.read_text())["config"]["vault-k8s:apps"])
    app = next(a for a in apps if a["name"] == "webapp")
    app["tokenTtl"] = "30m"
    config = edited(deployed, tmp_path / "Pulumi.local.yaml", {"apps": apps})
    result = make_preview(deployed, tmp_path / "out", config, script="up.sh")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert (tmp_path / "out" / "plan.json").stat().st_size > 0
    role = root_vault.read(f"auth/kubernetes/role/{app['role']}")["data"]
    assert role["token_ttl"] == 1800
    deployed.up()  # back to the stack's own config for whatever runs next
