"""Every Helm value the program sets exists in the pinned chart; vault's validate against its schema."""

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import needs_shared
from tests.program.harness import ROOT, Run, demo_secret_values, run_program, stack_config
from tests.program.schemas import (
    CHARTS,
    COMMENTED_VALUES,
    chart_defaults,
    chart_template,
    chart_version,
    known_values,
    merged,
    unknown_value_keys,
)

pytestmark = needs_shared

RELEASES = {
    "platform-vault": "vault",
    "csi-driver": "secrets-store-csi-driver",
    "vso-operator": "vault-secrets-operator",
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_key_exists_and_version_is_pinned(stack: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(stack)
    for resource, chart in RELEASES.items():
        release = run.recorder.by_name(resource).inputs
        assert release["version"] == chart_version(chart)
        assert unknown_value_keys(release.get("values", {}), known_values(chart)) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_vault_values_validate_against_schema(stack: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(stack)
    schema = json.loads((CHARTS["vault"] / "values.schema.json").read_text())
    values = merged(chart_defaults("vault"), run.recorder.by_name("platform-vault").inputs["values"])
    jsonschema.Draft7Validator(schema).validate(values)


COMMENTED = [(chart, dotted, template) for chart, keys in COMMENTED_VALUES.items() for dotted, template in keys.items()]


@pytest.mark.parametrize(("chart", "dotted", "template"), COMMENTED)
def test_commented_values_are_documented_and_read_by_the_chart(chart: str, dotted: str, template: str) -> None:
    """Each value taken as known although values.yaml has it only as a comment: the comment is there, under its
    parent, and the template reads the value."""
    *parents, leaf = dotted.split(".")
    node = chart_defaults(chart)
    for key in parents:
        node = node[key]
    assert leaf not in node
    assert f"#{leaf}:" in (CHARTS[chart] / "values.yaml").read_text()
    assert f".Values.{dotted} " in chart_template(chart, template)


def test_the_check_catches_a_misspelled_key() -> None:
    assert unknown_value_keys({"syncSecret": {"enabeld": True}}, chart_defaults("secrets-store-csi-driver")) == [
        "syncSecret.enabeld"
    ]


def test_free_form_maps_take_any_key() -> None:
    values = {"injector": {"podDisruptionBudget": {"maxUnavailable": 1}, "webhok": {}}}
    assert unknown_value_keys(values, chart_defaults("vault")) == ["injector.webhok"]


def test_the_schema_catches_a_wrong_type() -> None:
    schema = json.loads((CHARTS["vault"] / "values.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(
            merged(chart_defaults("vault"), {"server": {"dev": {"enabled": "yes"}}})
        )


# --- a local node: charts from local paths, imported images, its own kubelet and providers dirs ------------------

SHARED_CHARTS = CHARTS["vault"].parents[1] / "charts"
LOCAL_CHARTS = {
    "platform-vault": ("vault", "vault", "../shared/charts/vault-0.34.1.tgz"),
    "csi-driver": ("csiDriver", "csi", "../shared/charts/secrets-store-csi-driver-1.6.0.tgz"),
    "vso-operator": ("vso", "vault-secrets-operator", "../shared/charts/vault-secrets-operator-1.4.1.tgz"),
}
LOCAL_NODE = {
    **{key: {"path": path} for key, _, path in LOCAL_CHARTS.values()},
    "images": {
        "vault": "docker.io/hashicorp/vault:1.21.0",
        "vaultK8s": "docker.io/hashicorp/vault-k8s:1.7.6",
        "vaultCsiProvider": "docker.io/hashicorp/vault-csi-provider:1.7.4",
        "csiDriver": "registry.k8s.io/csi-secrets-store/driver:v1.6.0",
        "csiDriverCrds": "registry.k8s.io/csi-secrets-store/driver-crds:v1.6.0",
        "nodeDriverRegistrar": "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.16.0",
        "livenessProbe": "registry.k8s.io/sig-storage/livenessprobe:v2.18.0",
        "vso": "docker.io/hashicorp/vault-secrets-operator:1.4.1",
        "kubeRbacProxy": "quay.io/brancz/kube-rbac-proxy:v0.18.1",
    },
    "imagePullPolicy": "Never",
    "kubeletRootDir": "/srv/vault-k8s/node/kubelet",
    "csiProvidersDir": "/srv/vault-k8s/node/csi-providers",
    "csiDriverCrdJobs": False,
}
WORKLOAD_TYPES = ("kubernetes:core/v1:Pod", "kubernetes:apps/v1:Deployment")


def run_dev_with_charts(**charts: Any) -> Run:
    config = stack_config("dev")
    config["vault-k8s:charts"] = {**config["vault-k8s:charts"], **charts}
    config["vault-k8s:secretValues"] = demo_secret_values(config)
    return run_program(config, secret_keys=["vault-k8s:secretValues"])


@pytest.fixture(scope="module")
def local_node() -> Run:
    return run_dev_with_charts(**LOCAL_NODE)


def test_local_charts_are_installed_from_their_resolved_path(local_node: Run) -> None:
    """`chart` is the absolute path (the provider does not run in the project directory); no repository is asked
    and no version is sent, which Helm would ignore for a local chart."""
    for resource, (_, release_name, path) in LOCAL_CHARTS.items():
        release = local_node.recorder.by_name(resource).inputs
        assert release["chart"] == os.path.abspath(ROOT / path)
        assert release["chart"] == str(SHARED_CHARTS / Path(path).name)
        assert (release["name"], release["namespace"]) == (release_name, "default")
        assert "repositoryOpts" not in release
        assert "version" not in release


def test_one_local_chart_leaves_the_others_in_their_repositories() -> None:
    run = run_dev_with_charts(vault={"path": "../shared/charts/vault-0.34.1.tgz"})
    vault = run.recorder.by_name("platform-vault").inputs
    assert (vault["chart"], "version" in vault, "repositoryOpts" in vault) == (
        str(SHARED_CHARTS / "vault-0.34.1.tgz"),
        False,
        False,
    )
    csi = run.recorder.by_name("csi-driver").inputs
    assert (csi["chart"], csi["version"], csi["repositoryOpts"]) == (
        "secrets-store-csi-driver",
        "1.6.0",
        {"repo": "https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts"},
    )
    vso = run.recorder.by_name("vso-operator").inputs
    assert (vso["chart"], vso["version"], vso["repositoryOpts"]) == (
        "vault-secrets-operator",
        "1.4.1",
        {"repo": "https://helm.releases.hashicorp.com"},
    )


def test_a_mirror_repository_reaches_the_release() -> None:
    run = run_dev_with_charts(vso={"repo": "https://charts.mirror.example/hashicorp"})
    vso = run.recorder.by_name("vso-operator").inputs
    assert (vso["chart"], vso["version"], vso["repositoryOpts"]) == (
        "vault-secrets-operator",
        "1.4.1",
        {"repo": "https://charts.mirror.example/hashicorp"},
    )


def test_local_node_values_exist_in_the_charts_and_validate(local_node: Run) -> None:
    for resource, chart in RELEASES.items():
        values = local_node.recorder.by_name(resource).inputs["values"]
        assert unknown_value_keys(values, known_values(chart)) == [], resource
    schema = json.loads((CHARTS["vault"] / "values.schema.json").read_text())
    values = merged(chart_defaults("vault"), local_node.recorder.by_name("platform-vault").inputs["values"])
    jsonschema.Draft7Validator(schema).validate(values)


def test_local_node_values_reach_the_releases(local_node: Run) -> None:
    vault = local_node.recorder.by_name("platform-vault").inputs["values"]
    agent = {"repository": "docker.io/hashicorp/vault", "tag": "1.21.0"}
    assert (vault["server"]["image"], vault["injector"]["agentImage"], vault["csi"]["agent"]["image"]) == (
        {**agent, "pullPolicy": "Never"},
        agent,
        {**agent, "pullPolicy": "Never"},
    )
    assert vault["csi"]["daemonSet"] == {"providersDir": "/srv/vault-k8s/node/csi-providers"}
    linux = local_node.recorder.by_name("csi-driver").inputs["values"]["linux"]
    assert (linux["kubeletRootDir"], linux["providersDir"], linux["crds"]["enabled"]) == (
        "/srv/vault-k8s/node/kubelet",
        "/srv/vault-k8s/node/csi-providers",
        False,
    )
    manager = local_node.recorder.by_name("vso-operator").inputs["values"]["controller"]["manager"]
    assert manager == {
        "image": {"repository": "docker.io/hashicorp/vault-secrets-operator", "tag": "1.4.1", "pullPolicy": "Never"}
    }


def test_every_app_container_gets_the_pull_policy(local_node: Run, request: pytest.FixtureRequest) -> None:
    def containers(run: Run) -> dict[str, list[Any]]:
        found = {}
        for r in run.recorder.resources:
            if r.type in WORKLOAD_TYPES:
                spec = r.inputs["spec"]
                found[r.name] = (spec["template"]["spec"] if "template" in spec else spec)["containers"]
        return found

    local, dev = containers(local_node), containers(request.getfixturevalue("dev"))
    assert sorted(local) == sorted(dev) and len(local) == 6
    for name, listed in local.items():
        assert [c["imagePullPolicy"] for c in listed] == ["Never"], name
        assert [{k: v for k, v in c.items() if k != "imagePullPolicy"} for c in listed] == dev[name]
