"""Recordings, the generated flat program's equality check, and the shared results file."""

import json
from pathlib import Path

import pytest

from bench import recording, results
from bench.configs import bench_config
from bench.flat_typed import CUSTOM_RESOURCE, generate, run, sdk_class
from bench.mockrun import BenchRecorder, evaluate, run_main

URN = "urn:pulumi:bench::vault-k8s::pulumi:pulumi:Stack$pulumi:providers:vault::vault"


def test_provider_name_from_reference() -> None:
    assert recording.provider_name(f"{URN}::vault-id") == "vault"
    assert recording.provider_name(None) is None
    with pytest.raises(ValueError):
        recording.provider_name("vault")


def _res(name: str, inputs: dict, custom: bool = True, secret: list[str] | None = None) -> dict:
    return {
        "type": "vault:index/policy:Policy",
        "name": name,
        "inputs": inputs,
        "secretInputs": secret or [],
        "custom": custom,
        "provider": "vault",
        "readId": None,
    }


def test_compare_ignores_components_and_order_but_not_inputs_or_secrecy() -> None:
    a = {"resources": [_res("comp", {}, custom=False), _res("p1", {"x": 1}), _res("p2", {"y": [1]})], "exports": {}}
    b = {"resources": [_res("p2", {"y": [1]}), _res("p1", {"x": 1})], "exports": {}}
    assert recording.compare(a, b) is None
    changed = {"resources": [_res("p2", {"y": [2]}), _res("p1", {"x": 1})], "exports": {}}
    assert recording.compare(a, changed) is not None
    secret = {"resources": [_res("p2", {"y": [1]}, secret=["y"]), _res("p1", {"x": 1})], "exports": {}}
    assert recording.compare(a, secret) is not None
    assert recording.compare(a, {"resources": [_res("p1", {"x": 1})], "exports": {}}) is not None


def test_the_flat_program_registers_what_the_program_registers() -> None:
    config, secret_keys = bench_config(4)
    recorder = BenchRecorder()
    evaluate(config, secret_keys, run_main, recorder)
    recorded = json.loads(json.dumps(recording.to_recording(recorder)))
    assert any(not r["custom"] for r in recorded["resources"])
    assert any(r["secretInputs"] for r in recorded["resources"])
    source = generate(recorded)
    # What a user would write: typed SDK classes, a CustomResource only for kinds the SDK has no class for.
    assert "pulumi_vault.Mount(" in source and "pulumi_kubernetes_apps_v1.Deployment(" in source
    assert "pulumi.CustomResource(" not in source
    flat = BenchRecorder()
    evaluate({}, [], lambda: run(source, "flat.py"), flat)
    again = recording.to_recording(flat)
    assert all(r["custom"] for r in again["resources"])
    assert recording.compare(recorded, again) is None


@pytest.mark.parametrize(
    ("token", "found"),
    [
        ("vault:index/mount:Mount", ("pulumi_vault", "Mount")),
        ("vault:pkiSecret/secretBackendRole:SecretBackendRole", ("pulumi_vault.pkisecret", "SecretBackendRole")),
        ("kubernetes:apps/v1:Deployment", ("pulumi_kubernetes.apps.v1", "Deployment")),
        ("kubernetes:helm.sh/v3:Release", ("pulumi_kubernetes.helm.v3", "Release")),
        (
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            ("pulumi_kubernetes.rbac.v1", "ClusterRoleBinding"),
        ),
        ("kubernetes:secrets.hashicorp.com/v1beta1:VaultAuth", CUSTOM_RESOURCE),
        ("pulumi:providers:vault", ("pulumi_vault", "Provider")),
    ],
)
def test_sdk_class_of_each_type(token: str, found: tuple[str, str]) -> None:
    assert sdk_class(token) == found


def test_merge_keeps_other_sections(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"b2": {"status": "ok", "value": 1}}))
    results.merge_section("b1", {"status": "ok"}, path)
    results.mark_not_run("b2", "no engine", path)
    results.mark_not_run("b3", "no cluster", path)
    data = json.loads(path.read_text())
    assert list(data) == ["b1", "b2", "b3"]
    assert data["b2"] == {"status": "ok", "value": 1}
    assert data["b3"]["status"] == "not run" and data["b3"]["reason"] == "no cluster"
