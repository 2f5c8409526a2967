"""Freshness: new versions in Vault reach the workloads within the configured interval, certificates are
replaced before they expire, and each change restarts the VSO Deployment exactly once. Measured, and
recorded as section b3 of bench/results/results.json.

VSO and the agent are measured at the same time (different secrets), so the package stays within minutes.
"""

from __future__ import annotations

import random
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import hvac

from bench import results
from derive.custom_resources import vault_pki_secret_spec
from derive.paths import kv2_api_path
from localenv import agent
from localenv.controlplane import ControlPlane, KubeApi
from localenv.controlplane.waiting import wait_until
from localenv.delivered import Rollout, issued_certificates, rollout_state, secret_data
from localenv.latency import Change, measure_changes
from localenv.stack import LocalStack
from localenv.x509 import CertInfo
from stackconfig.durations import parse_duration
from stackconfig.models import AppDecl, KvRef, StackConfig
from tests.delivery import b3
from tests.delivery.conftest import INJECTOR_APP, VSO_APP, InitRun, app_named, injector_pki
from tests.delivery.test_1_vso import OPENBAO_PKI_REASON, pki_ref, skip_on_openbao, tls_outcome
from tests.delivery.watch import CertWatch

VSO_CHANGES = 5
AGENT_CHANGES = 8
VSO_POLL = 0.25
AGENT_POLL = 0.1
# Generous: the bound is the interval; slack covers a loaded machine, not a looser claim.
VSO_SLACK = 15.0
AGENT_SLACK = 10.0
# Time given to a rollout restart to show up, and to a second (unwanted) one.
RESTART_WAIT = 20.0
RESTART_SETTLE = 2.0
# A replacement certificate may land this long after the old one's expiry before the test fails.
EXPIRY_SLACK = 5.0


def kv_of(app: AppDecl) -> KvRef:
    return next(r for r in app.secrets if isinstance(r, KvRef))


@dataclass
class VsoRun:
    changes: list[Change] = field(default_factory=list)
    restarts: list[int] = field(default_factory=list)
    new_replicasets: list[int] = field(default_factory=list)
    between: list[int] = field(default_factory=list)
    """Restarts that happened between one change's count and the next change: should all be 0."""


def measure_vso(cp: ControlPlane, vault: hvac.Client, app: AppDecl, rng: random.Random) -> VsoRun:
    ref = kv_of(app)
    interval = parse_duration(ref.refresh_after)
    api = cp.kube()
    run = VsoRun()
    counted: list[Rollout] = [rollout_state(api, app.namespace, app.workload.name)]
    before: list[Rollout] = []
    token = secrets.token_urlsafe(6)

    def put(i: int) -> dict[str, str]:
        now = rollout_state(api, app.namespace, app.workload.name)
        run.between.append(now.generation - counted[-1].generation)
        before[:] = [now]
        values = {key: f"{key}-b3-{i}-{token}" for key in ref.keys}
        vault.write_data(kv2_api_path(ref.mount, ref.path), data={"data": values})
        return values

    def delivered(expected: dict[str, str]) -> bool:
        data = secret_data(api, app.namespace, str(ref.secret_name)) or {}
        return {k: data.get(k) for k in expected} == expected

    def count_restarts(_: Change) -> None:
        start = before[0]
        wait_until(lambda: rollout_state(api, app.namespace, app.workload.name).generation > start.generation,
                   f"a rollout restart of {app.workload.name}", RESTART_WAIT)  # fmt: skip
        time.sleep(RESTART_SETTLE)
        after = rollout_state(api, app.namespace, app.workload.name)
        run.restarts.append(after.generation - start.generation)
        run.new_replicasets.append(len(after.replicasets - start.replicasets))
        counted.append(after)

    try:
        run.changes = measure_changes(
            VSO_CHANGES, interval, put, delivered, timeout=interval + VSO_SLACK + 30, poll=VSO_POLL, rng=rng,
            after_each=count_restarts,
        )  # fmt: skip
        time.sleep(RESTART_SETTLE)
        run.between.append(rollout_state(api, app.namespace, app.workload.name).generation - counted[-1].generation)
    finally:
        api.close()
    return run


def measure_agent(vault: hvac.Client, injected: agent.InjectedPod, app: AppDecl, rng: random.Random) -> list[Change]:
    ref = kv_of(app)
    assert app.static_render_interval is not None
    interval = parse_duration(app.static_render_interval)
    path = injected.app_secrets_dir() / str(ref.file)
    token = secrets.token_urlsafe(6)

    def put(i: int) -> str:
        values = {key: f"{key}-b3-{i}-{token}" for key in ref.keys}
        vault.write_data(kv2_api_path(ref.mount, ref.path), data={"data": values})
        return "".join(f"{key}={values[key]}\n" for key in ref.keys)

    def delivered(expected: str) -> bool:
        try:
            return path.read_text() == expected
        except FileNotFoundError:
            return False

    return measure_changes(
        AGENT_CHANGES, interval, put, delivered, timeout=interval + AGENT_SLACK + 30, poll=AGENT_POLL, rng=rng
    )


def backdate(root_vault: hvac.Client, config: StackConfig) -> int:
    pki = injector_pki(config)
    return int(root_vault.read(f"{pki.mount}/roles/{pki.role}")["data"].get("not_before_duration", 30))


def agent_renewals(watch: CertWatch, init_run: InitRun, root_vault: hvac.Client, config: StackConfig) -> dict[str, Any]:
    """Renewals by the sidecar; the sidecar replacing the init container's certificate at start is not one."""
    pki = injector_pki(config)
    ttl = parse_duration(pki.ttl)
    return b3.rotation_stats(watch, ttl, backdate(root_vault, config), exclude=init_run.issued)


def certificates_summary(
    root_vault: hvac.Client, agent_watch: CertWatch, vso_watch: CertWatch, tls: str, config: StackConfig,
    init_run: InitRun,
) -> dict[str, Any]:  # fmt: skip
    pki = injector_pki(config)
    spec = vault_pki_secret_spec(pki_ref(config), VSO_APP)
    vso: dict[str, Any] = {"requested_ttl": spec["ttl"], "expiry_offset": spec["expiryOffset"]}
    if tls == "rejected":
        vso.update(status="refused", reason=OPENBAO_PKI_REASON)
    else:
        vso.update(b3.rotation_stats(vso_watch, parse_duration(spec["ttl"]), backdate(root_vault, config)))
    injector = {"cert": pki.cert_file, "requested_ttl": str(pki.ttl),
                "key_bits": root_vault.read(f"{pki.mount}/roles/{pki.role}")["data"]["key_bits"],
                "started_with_init_certificate_replaced": bool(agent_watch.history)
                and agent_watch.history[0].cert.serial in init_run.issued}  # fmt: skip
    injector.update(agent_renewals(agent_watch, init_run, root_vault, config))
    return {"injector": injector, "vso": vso}


def test_changes_reach_the_workloads_within_their_interval(
    stack: LocalStack,
    control_plane: ControlPlane,
    root_vault: hvac.Client,
    injected: agent.InjectedPod,
    sidecar: agent.LocalAgent,
    agent_cert_watch: CertWatch,
    vso_tls_watch: CertWatch,
    init_run: InitRun,
    config: StackConfig,
) -> None:
    vso_app, injector_app = app_named(config, VSO_APP), app_named(config, INJECTOR_APP)
    vso_interval = float(parse_duration(kv_of(vso_app).refresh_after))
    assert injector_app.static_render_interval is not None
    agent_interval = float(parse_duration(injector_app.static_render_interval))
    seed = random.SystemRandom().randrange(2**32)
    started = results.now()
    with ThreadPoolExecutor(max_workers=2) as pool:
        vso_future = pool.submit(measure_vso, control_plane, root_vault, vso_app, random.Random(seed))
        agent_future = pool.submit(measure_agent, root_vault, injected, injector_app, random.Random(seed + 1))
        vso, agent_changes = vso_future.result(), agent_future.result()
    kube = control_plane.kube()
    try:
        tls = tls_outcome(kube, vso_app.namespace, str(pki_ref(config).secret_name), timeout=5)
    finally:
        kube.close()
    failures = []
    if max(c.latency for c in vso.changes) > vso_interval + VSO_SLACK:
        failures.append(f"VSO latency above refreshAfter {vso_interval:.0f}s + {VSO_SLACK:.0f}s")
    if max(c.latency for c in agent_changes) > agent_interval + AGENT_SLACK:
        failures.append(f"agent latency above its render interval {agent_interval:.0f}s + {AGENT_SLACK:.0f}s")
    if vso.restarts != [1] * VSO_CHANGES or any(vso.between):
        failures.append(f"restarts per change {vso.restarts}, in between {vso.between}")
    section = b3.section(
        server=control_plane.server, started=started, vso=vso.changes, vso_interval=vso_interval,
        vso_slack=VSO_SLACK, restarts=vso.restarts, new_replicasets=vso.new_replicasets, agent=agent_changes,
        agent_interval=agent_interval, agent_slack=AGENT_SLACK, seed=seed,
        poll={"vso": VSO_POLL, "injector": AGENT_POLL},
        certificates=certificates_summary(root_vault, agent_cert_watch, vso_tls_watch, tls, config, init_run),
        failures=failures,
    )  # fmt: skip
    b3.merge(control_plane.server, section)
    assert not failures, failures
    assert vso.new_replicasets == [1] * VSO_CHANGES


def test_agent_renews_its_certificate_before_expiry(
    agent_cert_watch: CertWatch, init_run: InitRun, root_vault: hvac.Client, config: StackConfig
) -> None:
    pki = injector_pki(config)
    wait_until(lambda: agent_renewals(agent_cert_watch, init_run, root_vault, config)["renewals"] >= 3,
               "three certificate renewals", 120)  # fmt: skip
    stats = agent_renewals(agent_cert_watch, init_run, root_vault, config)
    assert stats["keys_matched"], agent_cert_watch.history
    # The agent asks for the next certificate before the current one expires ...
    assert all(m > 0 for m in stats["requested_before_expiry_s"]), stats
    # ... and it reaches the workload's volume no later than moments after (issuing a 4096-bit key takes seconds).
    assert all(m > -EXPIRY_SLACK for m in stats["seen_before_expiry_s"]), stats
    for seen in agent_cert_watch.history:
        assert seen.cert.common_name == pki.common_name


def test_every_agent_certificate_comes_from_one_issue_call(
    agent_cert_watch: CertWatch, init_run: InitRun, root_vault: hvac.Client, config: StackConfig
) -> None:
    pki = injector_pki(config)
    count = len(agent_cert_watch.history)
    # Right after a replacement is seen, the next issue call is at least ~20s away.
    wait_until(lambda: len(agent_cert_watch.history) > count, "the next certificate replacement", 60)
    known: dict[str, CertInfo] = dict(init_run.seen_certs)
    issued = issued_certificates(root_vault, pki.mount, pki.common_name, known)
    seen = {s.cert.serial for s in agent_cert_watch.history} | init_run.issued
    assert issued == seen, (sorted(issued - seen), sorted(seen - issued))


def test_vso_reissues_its_certificate_before_expiry(
    vso_tls_watch: CertWatch, kube: KubeApi, config: StackConfig, control_plane: ControlPlane
) -> None:
    skip_on_openbao(control_plane)
    app, ref = app_named(config, VSO_APP), pki_ref(config)
    assert tls_outcome(kube, app.namespace, str(ref.secret_name)) == "synced"
    offset = parse_duration(vault_pki_secret_spec(ref, VSO_APP)["expiryOffset"])
    wait_until(lambda: len(vso_tls_watch.rotations()) >= 1, "a VSO certificate replacement", 90)
    for old, new in vso_tls_watch.rotations():
        assert new.key_matches and new.cert.common_name == ref.common_name
        before_expiry = (old.cert.not_after - new.at).total_seconds()
        # Renewed at expiryOffset before notAfter: not earlier (whole-second certificate times, a polled view).
        assert 0 < before_expiry <= offset + 2, (before_expiry, offset)
