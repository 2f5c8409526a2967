"""The pure parts of B2 and B3 on the node: the flat program from state, the state rewrite, the summaries, and the
line stream the watchers timestamp."""

import json
import random

import pytest

from bench import b2, b3, flat_state, node
from bench.flat_typed import generate, keyword_names
from localenv.latency import Change, DeliveryTimeout, measure_watched
from localenv.node.watch import Lines, first_match, loop_command

P = "urn:pulumi:local-node::vault-k8s::"
SIG = flat_state.SECRET_SIG
SECRET = "1b47061264138c4ac30d75fd1eb44270"
STACK = f"{P}pulumi:pulumi:Stack::vault-k8s-local-node"
PROVIDER = f"{P}pulumi:providers:vault::vault"
ENGINE = f"{P}vault-k8s:index:KvEngine::kv"
MOUNT = f"{P}vault-k8s:index:KvEngine$vault:index/mount:Mount::kv-mount"
SECRET_URN = f"{P}vault-k8s:index:KvEngine$vault:kv/secretV2:SecretV2::kv-secret"
POLICY = f"{P}vault:index/policy:Policy::reader"


def _deployment() -> dict:
    return {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": STACK, "custom": False, "type": "pulumi:pulumi:Stack",
                 "outputs": {"mode": "external", "token": {SIG: SECRET, "plaintext": '"t0"'}}},
                {"urn": PROVIDER, "custom": True, "id": "p1", "type": "pulumi:providers:vault", "parent": STACK,
                 "inputs": {"__internal": {}, "version": "7.10.0", "address": "https://127.0.0.1:28200"}},
                {"urn": ENGINE, "custom": False, "type": "vault-k8s:index:KvEngine", "parent": STACK},
                {"urn": MOUNT, "custom": True, "id": "kvv2", "type": "vault:index/mount:Mount", "parent": ENGINE,
                 "provider": f"{PROVIDER}::p1", "inputs": {"__defaults": ["local"], "local": False, "path": "kvv2",
                 "type": "kv-v2"}},
                {"urn": SECRET_URN, "custom": True, "id": "kvv2/data/x", "type": "vault:kv/secretV2:SecretV2",
                 "parent": ENGINE, "provider": f"{PROVIDER}::p1", "dependencies": [MOUNT],
                 "propertyDependencies": {"mount": [MOUNT]},
                 "inputs": {"mount": "kvv2", "name": "x",
                            "dataJson": {SIG: SECRET, "plaintext": json.dumps('{"password": "v1"}')}}},
                {"urn": POLICY, "custom": True, "id": "reader", "type": "vault:index/policy:Policy", "parent": STACK,
                 "provider": f"{PROVIDER}::p1", "dependencies": [ENGINE], "inputs": {"name": "reader", "policy": "p"}},
            ]
        },
    }  # fmt: skip


def test_flat_urn_drops_component_parents_only() -> None:
    assert flat_state.flat_urn(SECRET_URN) == f"{P}vault:kv/secretV2:SecretV2::kv-secret"
    assert flat_state.flat_urn(POLICY) == POLICY


def test_reveal_opens_nested_secrets_and_says_so() -> None:
    value = {"a": [1, {SIG: SECRET, "plaintext": '{"k": "v"}'}], "b": "x"}
    assert flat_state.reveal(value) == ({"a": [1, {"k": "v"}], "b": "x"}, True)
    assert flat_state.reveal({"b": "x"}) == ({"b": "x"}, False)


def test_user_inputs_drop_provider_defaults_and_internals() -> None:
    resources = _deployment()["deployment"]["resources"]
    assert flat_state.user_inputs(resources[3]) == ({"path": "kvv2", "type": "kv-v2"}, [])
    assert flat_state.user_inputs(resources[1]) == ({"address": "https://127.0.0.1:28200"}, [])
    inputs, secret = flat_state.user_inputs(resources[4])
    assert inputs["dataJson"] == '{"password": "v1"}' and secret == ["dataJson"]


def test_recording_has_dependencies_with_components_expanded_and_secret_exports() -> None:
    recording = flat_state.to_recording(_deployment())
    by_name = {r["name"]: r for r in recording["resources"]}
    assert [r["name"] for r in recording["resources"]] == ["vault", "kv-mount", "kv-secret", "reader"]
    assert by_name["kv-secret"]["dependsOn"] == [["vault:index/mount:Mount", "kv-mount"]]
    # A dependency on a component is one on every custom resource beneath it.
    assert by_name["reader"]["dependsOn"] == [
        ["vault:index/mount:Mount", "kv-mount"],
        ["vault:kv/secretV2:SecretV2", "kv-secret"],
    ]
    assert by_name["kv-mount"]["provider"] == "vault"
    assert recording["exports"] == {"mode": "external", "token": "t0"}
    assert recording["secretExports"] == ["token"]


def test_generated_flat_source_declares_depends_on_and_secrets() -> None:
    source = generate(flat_state.to_recording(_deployment()))
    assert "r2 = pulumi_vault_kv.SecretV2('kv-secret', mount='kvv2', name='x', data_json=pulumi.Output.secret(" \
        "'{\"password\": \"v1\"}'), opts=pulumi.ResourceOptions(provider=r0, depends_on=[r1]))" in source  # fmt: skip
    assert "pulumi.export('token', pulumi.Output.secret('t0'))" in source
    assert "pulumi.export('mode', 'external')" in source


def test_irregular_wire_names_map_to_their_keyword() -> None:
    assert keyword_names("pulumi_kubernetes.helm.v3", "Release")["disableCRDHooks"] == "disable_crd_hooks"


def test_flat_deployment_renames_the_stack_and_drops_components() -> None:
    flat = flat_state.flat_deployment(_deployment(), "local-node-flat")
    resources = {r["urn"]: r for r in flat["deployment"]["resources"]}
    q = "urn:pulumi:local-node-flat::vault-k8s::"
    stack = f"{q}pulumi:pulumi:Stack::vault-k8s-local-node-flat"
    assert sorted(resources) == sorted([
        stack, f"{q}pulumi:providers:vault::vault", f"{q}vault:index/mount:Mount::kv-mount",
        f"{q}vault:kv/secretV2:SecretV2::kv-secret", f"{q}vault:index/policy:Policy::reader",
    ])  # fmt: skip
    secret = resources[f"{q}vault:kv/secretV2:SecretV2::kv-secret"]
    assert secret["parent"] == stack
    assert secret["provider"] == f"{q}pulumi:providers:vault::vault::p1"
    assert secret["dependencies"] == [f"{q}vault:index/mount:Mount::kv-mount"]
    assert secret["propertyDependencies"] == {"mount": [f"{q}vault:index/mount:Mount::kv-mount"]}
    assert resources[f"{q}vault:index/policy:Policy::reader"]["dependencies"] == [
        f"{q}vault:index/mount:Mount::kv-mount",
        f"{q}vault:kv/secretV2:SecretV2::kv-secret",
    ]


def test_change_value_edits_one_literal() -> None:
    recording = flat_state.to_recording(_deployment())
    changed = b2.change_value(recording, "kvv2/x", "password", "v2")
    assert json.loads(changed["resources"][2]["inputs"]["dataJson"]) == {"password": "v2"}
    assert json.loads(recording["resources"][2]["inputs"]["dataJson"]) == {"password": "v1"}
    with pytest.raises(LookupError):
        b2.change_value(recording, "kvv2/y", "password", "v2")


def test_database_engines_are_destroyed_last() -> None:
    def resource(name: str, typ: str, custom: bool = True, **inputs: str) -> dict:
        return {"urn": name, "type": typ, "custom": custom, "inputs": inputs}

    resources = [
        resource("stack", "pulumi:pulumi:Stack", custom=False),
        resource("vault", "pulumi:providers:vault"),
        resource("kv", "vault:index/mount:Mount", path="db-kv", type="kv-v2"),
        resource("db", "vault:index/mount:Mount", path="db", type="database"),
        resource("conn", "vault:database/secretBackendConnection:SecretBackendConnection", backend="db"),
        resource("rotate", "vault:generic/endpoint:Endpoint", path="db/rotate-root/app"),
        resource("role", "vault:database/secretBackendRole:SecretBackendRole", backend="db"),
        resource("other-call", "vault:generic/endpoint:Endpoint", path="db-kv/config"),
        resource("app", "kubernetes:apps/v1:Deployment"),
    ]
    assert b2.database_last(resources) == (["kv", "other-call", "app"], ["db", "conn", "rotate", "role"])


def test_generated_apps_cycle_methods_without_pods() -> None:
    apps = b2.generated_apps(4)
    assert [a["method"] for a in apps] == ["csi", "injector", "vso", "csi"]
    assert {a["workload"]["replicas"] for a in apps} == {0}
    assert apps[2]["secrets"][0]["secretName"] == "bench-002"


def _changes(latencies: list[float]) -> list[Change]:
    return [Change(i, 0.0, 100.0, 100.0 + v) for i, v in enumerate(latencies)]


def test_method_summary_fraction_of_bound() -> None:
    row = b3.method_summary("csi", 10.0, _changes([2.0, 4.0, 6.0, 8.0, 5.0]))
    assert (row["p50_s"], row["max_s"], row["bound_s"], row["p50_fraction_of_bound"]) == (5.0, 8.0, 10.0, 0.5)
    assert row["above_explain_threshold"] is False
    vso = b3.method_summary("vso", 10.0, _changes([9.0, 10.0, 11.0]), rollouts=[1.0, 2.0, 4.0])
    assert (vso["bound_s"], vso["p50_fraction_of_bound"], vso["rollout_median_s"]) == (12.0, 0.833, 2.0)
    assert vso["above_explain_threshold"] is True


def test_first_secret_total_is_the_last_method_or_none() -> None:
    assert b3.first_secret_summary({"csi": 30.1, "injector": 33.0, "vso": 31.5}) == {
        "csi": 30.1, "injector": 33.0, "vso": 31.5, "total": 33.0}  # fmt: skip
    assert b3.first_secret_summary({"csi": 30.1, "injector": "failed: x", "vso": 31.5})["total"] is None


def test_lines_keep_changes_stamped_on_arrival() -> None:
    lines = Lines(clock=lambda: 0.0)
    lines.feed("old\nol", at=1.0)
    lines.feed("d\nnew\nnew\n", at=2.0)
    assert lines.seen == [(1.0, "old"), (2.0, "new")]
    assert lines.first(lambda s: s == "new", since=1.5) == 2.0
    # A value already showing when the change was made counts from that moment.
    assert lines.first(lambda s: s == "new", since=5.0) == 5.0
    assert lines.first(lambda s: s == "old", since=2.5) is None
    assert first_match([], lambda s: True, 0.0) is None


def test_loop_command_prints_the_file_as_one_line_per_period() -> None:
    assert loop_command("/vault/secrets/a.txt", 0.2) == [
        "sh", "-c", "while :; do tr '\\n' ' ' < /vault/secrets/a.txt 2>/dev/null; echo; sleep 0.2; done"]  # fmt: skip


def test_measure_watched_takes_the_watchers_time() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    changes = measure_watched(3, 3.0, lambda i: i, lambda i, expected, put_at: put_at + 1.5 + i,
                              rng=random.Random(7), sleep=sleep, clock=lambda: now[0])  # fmt: skip
    assert [round(c.latency, 9) for c in changes] == [1.5, 2.5, 3.5]

    def never(index: int, expected: object, put_at: float) -> float:
        raise DeliveryTimeout("no")

    with pytest.raises(DeliveryTimeout):
        measure_watched(1, 1.0, lambda i: i, never, sleep=sleep, clock=lambda: now[0])


def test_report_tables_show_the_recorded_figures() -> None:
    from bench import report

    row = b3.method_summary("csi", 10.0, _changes([4.0, 6.0]))
    entry = {"server_version": "1.0", "up_from_empty_s": 30.04, "first_secret_s": b3.first_secret_summary(
        {"csi": 31.0, "injector": 33.25, "vso": 32.0})}  # fmt: skip
    entry |= {"csi": row, "injector": row, "vso": {"status": "failed", "error": "boom", "bound": "x"}}
    table = report.b3_table({"servers": {"vault": entry}})
    csi = "| CSI | the CSI driver's rotationPollInterval: 10.0 s | p50 5.00 s (0.50×), max 6.00 s (0.60×), n=2 |"
    assert csi in table
    assert "| VSO |  | failed: boom |" in table
    assert report.first_secret_table({"servers": {"vault": entry}}).splitlines()[-1] == (
        "| vault | 30.0 s | 31.0 s | 33.2 s | 32.0 s | 33.2 s |"
    )


def test_a_read_of_an_object_the_stack_creates_depends_on_its_creation() -> None:
    data = _deployment()
    made = f"{P}kubernetes:core/v1:Secret::token"
    read = f"{P}vault-k8s:index:VaultPlatform$kubernetes:core/v1:Secret::token-live"
    data["deployment"]["resources"] += [
        {"urn": made, "custom": True, "id": "default/t", "type": "kubernetes:core/v1:Secret", "inputs": {}},
        {"urn": read, "custom": True, "id": "default/t", "type": "kubernetes:core/v1:Secret", "external": True,
         "inputs": {}},
    ]  # fmt: skip
    recorded = flat_state.to_recording(data)["resources"][-1]
    assert (recorded["readId"], recorded["dependsOn"]) == ("default/t", [["kubernetes:core/v1:Secret", "token"]])


def test_an_input_taken_from_a_read_object_is_written_as_its_data() -> None:
    data = _deployment()
    read = f"{P}vault-k8s:index:VaultPlatform$kubernetes:core/v1:Secret::token-live"
    config = f"{P}vault:kubernetes/authBackendConfig:AuthBackendConfig::auth-config"
    token = {SIG: SECRET, "plaintext": json.dumps("and0LTE=")}  # base64 of "jwt-1"
    data["deployment"]["resources"] += [
        {"urn": read, "custom": True, "id": "default/t", "type": "kubernetes:core/v1:Secret", "external": True,
         "inputs": {}, "outputs": {"data": {"token": token, "ca.crt": "Y2E="}}},
        {"urn": config, "custom": True, "id": "auth/kubernetes/config",
         "type": "vault:kubernetes/authBackendConfig:AuthBackendConfig", "dependencies": [read],
         "propertyDependencies": {"tokenReviewerJwt": [read], "kubernetesCaCert": [read]},
         "inputs": {"tokenReviewerJwt": {SIG: SECRET, "plaintext": json.dumps("jwt-1")}, "kubernetesCaCert": "other"}},
    ]  # fmt: skip
    recorded = flat_state.to_recording(data)["resources"][-1]
    # Only the input whose value is the read's decoded data; the other stays a literal.
    assert recorded["readData"] == {"tokenReviewerJwt": ["kubernetes:core/v1:Secret", "token-live", "token"]}
    source = generate(flat_state.to_recording(data))
    assert (
        "token_reviewer_jwt=pulumi.Output.secret(r4.data.apply(lambda d: base64.b64decode(d['token']).decode()))"
        in source
    )
    assert "kubernetes_ca_cert='other'" in source


def test_csi_changes_spread_over_the_kubelets_republish_cycle() -> None:
    # Resyncs every 10-15 s, each one writing once 10 s have passed since the last write: at most 15 s apart.
    assert node.csi_cycle_max(10.0, 10.0) == 15.0
    # A poll longer than the resync period: the poll, then up to one more resync.
    assert node.csi_cycle_max(120.0, 60.0) == 210.0
    assert node.offset_spans({"csi": 10.0, "injector": 10.0, "vso": 10.0}) == {
        "csi": 15.0,
        "injector": 10.0,
        "vso": 10.0,
    }
