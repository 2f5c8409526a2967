"""The rules applied to what the real program registers for each stack (under Pulumi mocks).

Mocks do not report resource options, so `vault-mounts-protected` is covered by its unit tests only.
"""

import shutil
from pathlib import Path

import pytest

from policy import kubernetes_rules as kr
from policy import vault_rules as vr
from tests.program.harness import ROOT, Run, run_stack

RESOURCE_RULES = [
    kr.dev_mode_violations,
    kr.address_violations,
    kr.tls_violations,
    kr.injector_violations,
    kr.injector_availability_violations,
    vr.address_violations,
    vr.tls_violations,
    vr.root_cert_violations,
    vr.role_binding_violations,
]


def violations(run: Run) -> list[str]:
    resources = run.recorder.resources
    found = [f"{r.name}: {m}" for r in resources for rule in RESOURCE_RULES for m in rule(r.type, r.inputs)]
    stack = [vr.StackResource(r.type, f"urn::{r.name}", r.inputs) for r in resources]
    return found + [f"{urn}: {m}" for urn, m in vr.grant_violations(stack)]


def run_in_copy(stack: str, tmp_path: Path) -> Run:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "certs").mkdir()
    for name in ("vault-ca.pem", "kubernetes-ca.pem"):
        (tmp_path / "certs" / name).write_text("-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n")
    return run_stack(stack, cwd=tmp_path)


@pytest.mark.skipif(not (ROOT / "stacks" / "Pulumi.prod.yaml").exists(), reason="no prod stack")
def test_prod_stack_passes_every_policy(tmp_path: Path) -> None:
    assert violations(run_in_copy("prod", tmp_path)) == []


@pytest.mark.skipif(not (ROOT / "stacks" / "Pulumi.dev.yaml").exists(), reason="no dev stack")
def test_dev_stack_is_reported_but_grants_match(tmp_path: Path) -> None:
    found = violations(run_in_copy("dev", tmp_path))
    assert 'vault: vault provider address "http://192.168.49.2:30200" is not https' in found
    assert not [v for v in found if 'App "' in v or 'policy "' in v]
