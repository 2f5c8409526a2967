"""The program creates the namespaces it places objects in (or uses declared existing ones), before anything in them."""

from pathlib import Path
from typing import Any

from tests.program.harness import Registered, Run, demo_secret_values, prod_project, run_program, stack_config

NAMESPACE = "kubernetes:core/v1:Namespace"


def run_with(stack: str, tmp_path: Path, **overrides: Any) -> Run:
    config = stack_config(stack)
    config.update({f"vault-k8s:{k}": v for k, v in overrides.items()})
    values = demo_secret_values(config)
    if values:
        config["vault-k8s:secretValues"] = values
    return run_program(
        config, stack=stack, secret_keys=["vault-k8s:secretValues"] if values else [], cwd=prod_project(tmp_path)
    )


def namespace_of(resource: Registered) -> str | None:
    if resource.type == "kubernetes:helm.sh/v3:Release":
        return resource.inputs.get("namespace")
    metadata = resource.inputs.get("metadata")
    return metadata.get("namespace") if isinstance(metadata, dict) and resource.type != NAMESPACE else None


def created(run: Run) -> dict[str, Registered]:
    return {r.inputs["metadata"]["name"]: r for r in run.recorder.of_type(NAMESPACE)}


def assert_placed_after_their_namespace(run: Run) -> dict[str, int]:
    """Every registered object in a created namespace waits for it; returns how many there are per namespace."""
    namespaces = created(run)
    placed = {name: 0 for name in namespaces}
    for resource in run.recorder.resources:
        namespace = namespace_of(resource)
        if resource.read or namespace not in namespaces:
            continue
        assert namespaces[namespace].urn in resource.dependencies, resource.name
        placed[namespace] += 1
    return placed


def test_prod_creates_each_app_namespace(prod: Run) -> None:
    namespaces = created(prod)
    assert {ns: r.name for ns, r in namespaces.items()} == {
        "billing": "platform-namespace-billing",
        "ledger": "platform-namespace-ledger",
        "orders": "platform-namespace-orders",
    }
    assert all(r.inputs["metadata"] == {"name": ns} for ns, r in namespaces.items())


def test_namespaces_outlive_the_stack(prod: Run) -> None:
    """Deleting a namespace deletes everything in it, not only what the stack put there."""
    assert all(r.retain_on_delete for r in created(prod).values())


def test_everything_in_a_namespace_waits_for_it(prod: Run) -> None:
    placed = assert_placed_after_their_namespace(prod)
    # csi: sa, spc, deployment, vault-ca; injector: sa, deployment, vault-ca;
    # vso: sa, connection, auth, static and pki secrets, deployment, vault-ca.
    assert placed == {"orders": 4, "billing": 3, "ledger": 7}


def test_default_and_kube_system_are_never_created(tmp_path: Path) -> None:
    run = run_with("dev", tmp_path, apps=[{**a, "namespace": "kube-system"} if a["name"] == "webapp" else a
                                          for a in stack_config("dev")["vault-k8s:apps"]])  # fmt: skip
    assert created(run) == {}


def test_a_charts_namespace_is_created_before_the_releases(tmp_path: Path) -> None:
    run = run_with("dev", tmp_path, charts={"namespace": "vault", "csiRotationPollInterval": "2m"})
    assert set(created(run)) == {"vault"}
    assert assert_placed_after_their_namespace(run) == {"vault": 3}


def test_declared_existing_namespaces_are_used_as_they_are(tmp_path: Path) -> None:
    run = run_with("prod", tmp_path, existingNamespaces=["orders", "billing"])
    assert set(created(run)) == {"ledger"}
    orders = [r for r in run.recorder.resources if namespace_of(r) == "orders"]
    assert orders and all(not any("Namespace" in urn for urn in r.dependencies) for r in orders)
