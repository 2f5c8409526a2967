"""Start the pack the way the CLI's pulumi-analyzer-policy-python does and talk to it over gRPC."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from pipeline.policy_config import pack_config

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
MANDATORY = analyzer_pb2.MANDATORY
ADVISORY = analyzer_pb2.ADVISORY


def pack_process(config: dict[str, Any] | None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PULUMI_CONFIG", "PYTHONPATH")}
    if config is not None:
        env["PULUMI_CONFIG"] = json.dumps(config)
    # The pack runs in policy/, a tracked folder: no __pycache__ left there.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Same command line as the analyzer script: `python -u -m pulumi.policy <engine> .`, run in the pack directory.
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=POLICY_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_pack(config: dict[str, Any] | None) -> Iterator[Any]:
    proc = pack_process(config)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        if not port.isdigit():
            proc.kill()
            _, err = proc.communicate(timeout=10)
            pytest.fail(f"policy pack did not start: {err}")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=20)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        proc.kill()
        proc.communicate(timeout=10)


@pytest.fixture
def advisory_pack() -> Iterator[Any]:
    yield from start_pack({"vault-k8s:vault": "{}"})


@pytest.fixture
def production_pack() -> Iterator[Any]:
    yield from start_pack({"vault-k8s:production": "true"})


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    value = struct_pb2.Struct()
    value.update(props)
    return value


def analyze(stub: Any, resource_type: str, props: dict[str, Any]) -> list[Any]:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type, urn=f"urn:pulumi:dev::vault-k8s::{resource_type}::r", name="r", properties=struct(props)
    )
    return list(stub.Analyze(request).diagnostics)


def test_policies_are_advisory_outside_production(advisory_pack: Any) -> None:
    info = advisory_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "vault-k8s-guardrails"
    assert {p.enforcementLevel for p in info.policies} == {ADVISORY}
    [diag] = analyze(advisory_pack, "pulumi:providers:vault", {"address": "http://127.0.0.1:8200"})
    assert diag.policyName == "vault-address-https"
    assert diag.enforcementLevel == ADVISORY
    assert (
        diag.message
        == 'Every Vault address must use https.\nvault provider address "http://127.0.0.1:8200" is not https'
    )


def test_policies_are_mandatory_in_production(production_pack: Any) -> None:
    info = production_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert {p.enforcementLevel for p in info.policies} == {MANDATORY}
    [diag] = analyze(production_pack, "pulumi:providers:vault", {"skipTlsVerify": "true"})
    assert (diag.policyName, diag.enforcementLevel) == ("vault-tls-verify", MANDATORY)


def test_a_flag_the_program_would_refuse_stops_the_pack() -> None:
    """Not advisory by default: the pack does not start, and says which key is wrong."""
    proc = pack_process({"vault-k8s:production": "yes"})
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out) == (1, "")
    assert err.strip() == (
        "policy pack vault-k8s-guardrails: vault-k8s:production must be true or false, got 'yes' (not JSON)"
    )


def test_the_pipelines_pack_config_names_every_policy_the_pack_runs(advisory_pack: Any) -> None:
    info = advisory_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert {p.name for p in info.policies} == set(pack_config(True)) - {"all"}
    assert len(info.policies) > 1


def test_explicit_pack_config_overrides(advisory_pack: Any) -> None:
    config = {name: analyzer_pb2.PolicyConfig(enforcementLevel=MANDATORY) for name in ("vault-address-https",)}
    advisory_pack.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=config))
    [diag] = analyze(advisory_pack, "pulumi:providers:vault", {"address": "http://v"})
    assert diag.enforcementLevel == MANDATORY


def test_unknown_values_during_preview_are_not_violations(advisory_pack: Any) -> None:
    assert analyze(advisory_pack, "pulumi:providers:vault", {"address": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}) == []


def test_stack_policy_runs_over_grpc(advisory_pack: Any) -> None:
    identity = analyzer_pb2.AnalyzerResource(
        type="vault-k8s:index:App",
        urn="urn:pulumi:dev::vault-k8s::vault-k8s:index:App::webapp",
        name="webapp",
        properties=struct(
            {"app": "webapp", "policyName": "internal-app", "grants": [{"path": "a/b", "capabilities": ["read"]}]}
        ),
    )
    policy_urn = "urn:pulumi:dev::vault-k8s::vault:index/policy:Policy::p"
    policy = analyzer_pb2.AnalyzerResource(
        type="vault:index/policy:Policy",
        urn=policy_urn,
        name="p",
        properties=struct({"name": "internal-app", "policy": 'path "a/b" { capabilities = ["read", "delete"] }'}),
    )
    response = advisory_pack.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[identity, policy]))
    assert [(d.policyName, d.urn) for d in response.diagnostics] == [("vault-policy-least-privilege", policy_urn)]
    assert response.diagnostics[0].message.endswith(
        'policy "internal-app" grants [read, delete] on "a/b", which no App declares'
    )
