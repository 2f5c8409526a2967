"""Dynamic database credentials from the control plane's real PostgreSQL, through the real server and controllers.

Each method's app (`db-csi`, `db-injector`, `db-vso` of the local stack) gets its own database user that logs in
and may read the table and nothing else. Leases end: revoked at once, or dropped at defaultTtl when nobody renews.
The injector and VSO renew and bring new credentials before the old ones die (maxTtl); CSI brings a new user at
each poll. Removing a workload's delivery takes its users with it. The figures go to b3.last.json
(`database`, see tests/delivery/b3.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import hvac
import pytest

from derive.custom_resources import VSO_API_VERSION
from derive.paths import database_creds_path
from derive.workloads import workload_labels
from localenv import agent
from localenv.controllers import csi_provider, records
from localenv.controlplane import ControlPlane, KubeApi
from localenv.controlplane.waiting import wait_until
from localenv.csi import mount_pod, token_requests_of
from localenv.database import CREATE_TABLE, SELECT_ITEMS, WRITE_ITEMS, Postgres
from localenv.delivered import key_values, secret_data
from localenv.stack import LocalStack
from localenv.verify import login_kubernetes, service_account_token
from stackconfig.durations import parse_duration
from stackconfig.models import DATABASE_KEYS, AppDecl, DatabaseRef, DatabaseRoleDecl, StackConfig, database_file
from tests.delivery import b3
from tests.delivery.conftest import app_named

APPS = {"csi": "db-csi", "injector": "db-injector", "vso": "db-vso"}
# Beyond a lease's end: Vault's expiration manager revokes within a few seconds.
SLACK = 15.0

Credentials = dict[str, str]
FIGURES: dict[str, Any] = {}


def ref_of(app: AppDecl) -> DatabaseRef:
    ref = next(r for r in app.secrets if isinstance(r, DatabaseRef))
    return ref


@pytest.fixture(scope="module")
def database(control_plane: ControlPlane) -> Postgres:
    return Postgres.from_env(control_plane.env)


@pytest.fixture(scope="module")
def role(config: StackConfig) -> DatabaseRoleDecl:
    ref = ref_of(app_named(config, APPS["vso"]))
    mount = next(m for m in config.databases if m.path == ref.mount)
    return next(r for r in mount.roles if r.name == ref.role)


@pytest.fixture(scope="module")
def injected_db(stack: LocalStack, control_plane: ControlPlane, config: StackConfig) -> Iterator[agent.InjectedPod]:
    """The db-injector pod's agents, run as its containers would run them: init, then the sidecar."""
    app = app_named(config, APPS["injector"])
    api = control_plane.kube()
    pod = agent.ensure_injected_pod(api, app.namespace, workload_labels(app))
    injected = agent.InjectedPod(api, pod, control_plane.state_dir / "agents" / pod["metadata"]["name"])
    sidecar = agent.run_pod(control_plane.state_dir, injected)
    yield injected
    records.stop(control_plane.state_dir, agent.record_name(sidecar))
    api.close()


def csi_mount(control_plane: ControlPlane, kube: KubeApi, config: StackConfig) -> Credentials:
    app = app_named(config, APPS["csi"])
    socket = csi_provider.socket_path(control_plane.state_dir)
    result = mount_pod(kube, socket, app.namespace, app.workload.name, token_requests_of(config))
    assert not result.failed, result.error
    file = str(ref_of(app).file)
    return {key: result.files[database_file(file, key)].decode() for key in DATABASE_KEYS}


def vso_credentials(kube: KubeApi, config: StackConfig) -> Credentials:
    app = app_named(config, APPS["vso"])
    data = secret_data(kube, app.namespace, str(ref_of(app).secret_name)) or {}
    return {key: data.get(key, "") for key in DATABASE_KEYS}


def injector_credentials(injected: agent.InjectedPod, config: StackConfig) -> Credentials:
    path = injected.app_secrets_dir() / str(ref_of(app_named(config, APPS["injector"])).file)
    found = key_values(agent.stable_read(path)) if path.is_file() else {}
    return {key: found.get(key, "") for key in DATABASE_KEYS}


def delivered(
    method: str, control_plane: ControlPlane, kube: KubeApi, config: StackConfig, injected: agent.InjectedPod
) -> Credentials:
    if method == "csi":
        return csi_mount(control_plane, kube, config)
    if method == "vso":
        wait_until(lambda: bool(vso_credentials(kube, config)["username"]), "VSO to sync db-creds", 90)
        return vso_credentials(kube, config)
    return injector_credentials(injected, config)


def wait_refused(database: Postgres, credentials: Credentials, timeout: float) -> float:
    """Seconds until PostgreSQL refuses the credentials."""
    return wait_until(
        lambda: database.login(credentials["username"], credentials["password"]) is None,
        f"PostgreSQL to refuse {credentials['username']}", timeout, interval=0.5,
    )  # fmt: skip


def test_vault_rotated_the_admin_password(stack: LocalStack, control_plane: ControlPlane, database: Postgres) -> None:
    """rotateRoot: the password in the stack config no longer logs in; Vault, which knows the new one, still
    creates users (every test below)."""
    assert not database.admin_password_works(control_plane.env["POSTGRES_VAULT_ADMIN_PASSWORD"])


def test_after_the_rotation_preview_and_up_change_nothing(stack: LocalStack) -> None:
    stack.preview(expect_no_changes=True, refresh=True)
    stack.up(expect_no_changes=True, refresh=True)


@pytest.mark.parametrize("method", ["csi", "injector", "vso"])
def test_each_method_delivers_a_user_who_may_read_and_nothing_more(
    method: str, control_plane: ControlPlane, kube: KubeApi, config: StackConfig, database: Postgres,
    injected_db: agent.InjectedPod,
) -> None:  # fmt: skip
    credentials = delivered(method, control_plane, kube, config, injected_db)
    username, password = credentials["username"], credentials["password"]
    assert username.startswith("v-") and password, credentials.keys()
    assert database.login(username, password) == username
    assert database.may(username, password, SELECT_ITEMS)
    assert not database.may(username, password, WRITE_ITEMS)
    assert not database.may(username, password, CREATE_TABLE)
    assert database.login(username, password + "x") is None


def test_a_revoked_lease_takes_its_user(root_vault: hvac.Client, database: Postgres, config: StackConfig) -> None:
    ref = ref_of(app_named(config, APPS["vso"]))
    lease = root_vault.read(database_creds_path(ref.mount, ref.role))
    credentials = {key: str(lease["data"][key]) for key in DATABASE_KEYS}
    assert database.login(credentials["username"], credentials["password"]) == credentials["username"]
    root_vault.sys.revoke_lease(lease["lease_id"])
    assert database.login(credentials["username"], credentials["password"]) is None
    assert credentials["username"] not in database.users()


def test_the_app_may_not_read_another_role_or_touch_leases(
    root_vault: hvac.Client, kube: KubeApi, config: StackConfig
) -> None:
    """Its policy is exactly `read` on its role's creds: the root mount, the connection and rotate-root refuse."""
    app = app_named(config, APPS["vso"])
    ref = ref_of(app)
    jwt = service_account_token(kube, app.namespace, app.service_account, audience=config.kubernetes_auth.audience)
    client = login_kubernetes(root_vault, config.kubernetes_auth.path, app.role, jwt)
    assert client.read(database_creds_path(ref.mount, ref.role))["data"]["username"]
    refused = ((client.read, f"{ref.mount}/config/app"), (client.write_data, f"{ref.mount}/rotate-root/app"),
               (client.read, f"{ref.mount}/roles/{ref.role}"), (client.list, f"{ref.mount}/roles"))  # fmt: skip
    for call, path in refused:
        with pytest.raises(hvac.exceptions.Forbidden):
            call(path)


def test_csi_creates_one_user_per_poll_and_nobody_renews_them(
    control_plane: ControlPlane, kube: KubeApi, config: StackConfig, database: Postgres, role: DatabaseRoleDecl
) -> None:
    """A Mount every csiRotationPollInterval (the stack's 10 s), as the driver's rotation makes them: each reads
    `creds/` once for both files, so one new user per poll; nobody renews it, so it is dropped at defaultTtl; the
    next poll's user arrives before its predecessor dies."""
    poll = parse_duration(config.charts.csi_rotation_poll_interval or 0)
    default_ttl = parse_duration(role.default_ttl)
    polls = max(2, default_ttl // poll)
    before = database.users()
    mounts: list[tuple[float, Credentials]] = []
    for index in range(polls):
        mounts.append((time.monotonic(), csi_mount(control_plane, kube, config)))
        if index < polls - 1:
            time.sleep(max(0.0, mounts[-1][0] + poll - time.monotonic()))
    created = database.users() - before
    usernames = [c["username"] for _, c in mounts]
    # Every poll a new user (the agent and VSO may create theirs meanwhile, so only ours are counted).
    assert len(set(usernames)) == polls and set(usernames) <= created
    (first_at, first), (second_at, _) = mounts[0], mounts[1]
    assert database.login(first["username"], first["password"]) == first["username"]
    refused_at = time.monotonic() + wait_refused(database, first, default_ttl + SLACK)
    wait_until(lambda: first["username"] not in database.users(), "Vault to drop the expired user", SLACK)
    assert default_ttl - 2 <= refused_at - first_at <= default_ttl + SLACK
    FIGURES["csi"] = {
        "lease_ttl_s": default_ttl,
        "poll_s": poll,
        "renewals": 0,
        "users_per_poll": len(set(usernames)) / polls,
        "users_per_hour_per_pod": round(3600 / poll * len(set(usernames)) / polls),
        "first_user_refused_after_s": round(refused_at - first_at, 1),
        "replacement_before_expiry_s": round(refused_at - second_at, 1),
        "note": "Mounts every poll_s through the real provider, standing in for the driver's rotation",
    }


@dataclass
class Rotation:
    """One method's credentials watched from its first user to its replacement and the first user's end."""

    method: str
    first: Credentials = field(default_factory=dict)
    renewals: list[float] = field(default_factory=list)
    replaced_after: float | None = None
    old_valid_when_replaced: bool = False
    old_refused_after: float | None = None


def watch_rotation(method: str, read: Callable[[], Credentials], database: Postgres, timeout: float) -> Rotation:
    """From now: the current user, each renewal (its VALID UNTIL moves: the renew statement), its replacement,
    and when the replaced user stops logging in."""
    watch = Rotation(method)
    start = time.monotonic()
    watch.first = read()
    valid_until = database.valid_until(watch.first["username"])
    while time.monotonic() - start < timeout:
        time.sleep(0.5)
        now = read()
        current_until = database.valid_until(watch.first["username"])
        if current_until is not None and current_until != valid_until:
            watch.renewals.append(round(time.monotonic() - start, 1))
            valid_until = current_until
        if now["username"] and now["username"] != watch.first["username"]:
            watch.replaced_after = time.monotonic() - start
            watch.old_valid_when_replaced = database.login(watch.first["username"], watch.first["password"]) is not None
            break
    if watch.replaced_after is not None:
        remaining = timeout - (time.monotonic() - start) + SLACK
        watch.old_refused_after = watch.replaced_after + wait_refused(database, watch.first, remaining)
    return watch


def test_the_injector_and_vso_renew_and_replace_credentials_before_they_expire(
    kube: KubeApi, config: StackConfig, database: Postgres, role: DatabaseRoleDecl, injected_db: agent.InjectedPod
) -> None:
    """Both renew the lease (the user's VALID UNTIL moves) and bring a new user before maxTtl ends the first.
    Watched from each one's current user: at most maxTtl until its replacement."""
    max_ttl, default_ttl = parse_duration(role.max_ttl), parse_duration(role.default_ttl)
    readers = {"injector": lambda: injector_credentials(injected_db, config),
               "vso": lambda: vso_credentials(kube, config)}  # fmt: skip
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {m: pool.submit(watch_rotation, m, r, database, max_ttl + SLACK) for m, r in readers.items()}
        watched = {m: f.result() for m, f in futures.items()}
    for method, watch in watched.items():
        assert watch.replaced_after is not None, f"{method}: no new user within maxTtl {max_ttl}s"
        assert watch.old_valid_when_replaced, f"{method}: the new user came after the old one died"
        assert watch.old_refused_after is not None and watch.old_refused_after > watch.replaced_after
        FIGURES[method] = {
            "lease_ttl_s": default_ttl,
            "max_ttl_s": max_ttl,
            "renewals_at_s": watch.renewals,
            "renewal_intervals_s": [round(b - a, 1) for a, b in zip(watch.renewals, watch.renewals[1:], strict=False)],
            "replaced_at_s": round(watch.replaced_after, 1),
            "old_user_refused_at_s": round(watch.old_refused_after, 1),
            "replacement_before_expiry_s": round(watch.old_refused_after - watch.replaced_after, 1),
            "clock": "seconds from the start of the watch, which began with the user delivered then",
        }
    # Renewal is what keeps a user past defaultTtl: the first user outlived its first lease by being renewed.
    assert any(watch.renewals for watch in watched.values()), watched


def test_removing_the_delivery_leaves_no_user_past_its_lease(
    control_plane: ControlPlane, kube: KubeApi, config: StackConfig, database: Postgres, role: DatabaseRoleDecl,
    injected_db: agent.InjectedPod,
) -> None:  # fmt: skip
    """The injector's preStop hook revokes the agent's token and with it its leases (revoke-on-shutdown): the user
    is dropped at once (after the hook's 5 s grace). A deleted VaultDynamicSecret's lease is no longer renewed:
    its user is dropped at the lease's end, within defaultTtl, long before maxTtl."""
    default_ttl = parse_duration(role.default_ttl)
    timings: dict[str, float] = {}
    injector = injector_credentials(injected_db, config)
    assert database.login(injector["username"], injector["password"]) is not None
    started = time.monotonic()
    hook = agent.pre_stop(injected_db)
    assert hook is not None and hook.returncode == 0, hook
    # Then the kubelet stops the container.
    records.stop(control_plane.state_dir, f"agent/{injected_db.name}/{agent.SIDECAR}")
    timings["injector"] = time.monotonic() - started + wait_refused(database, injector, SLACK)
    vso = vso_credentials(kube, config)
    app = app_named(config, APPS["vso"])
    assert database.login(vso["username"], vso["password"]) is not None
    started = time.monotonic()
    assert kube.delete(VSO_API_VERSION, "VaultDynamicSecret", str(ref_of(app).secret_name), app.namespace)
    timings["vso"] = time.monotonic() - started + wait_refused(database, vso, default_ttl + SLACK)
    for method, seconds in timings.items():
        FIGURES.setdefault(method, {})["user_dropped_after_removal_s"] = round(seconds, 1)
    # The hook sleeps 5 s (vault.hashicorp.com/agent-revoke-grace) before it revokes.
    assert timings["injector"] < 5 + SLACK, timings
    assert timings["vso"] <= default_ttl + SLACK, timings
    assert injector["username"] not in database.users() and vso["username"] not in database.users()


def test_record_the_figures(control_plane: ControlPlane) -> None:
    """Last: what the tests above measured, for the note and `make bench`."""
    assert set(FIGURES) == {"csi", "injector", "vso"}, FIGURES
    b3.merge(control_plane.server, {**FIGURES, "source": "tests/delivery/test_5_database.py"}, part="database")
