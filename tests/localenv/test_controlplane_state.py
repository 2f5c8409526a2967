from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from localenv.controlplane import ControlPlane, ControlPlaneError, running_in
from localenv.controlplane.controlplane import COMPONENTS, Component
from localenv.controlplane.ports import OFFSET_ENV, Ports
from localenv.controlplane.processes import read_stat, spawn, terminate
from localenv.controlplane.state import (
    MARKER,
    prepare,
    read_env,
    remove,
    render_env_sh,
    write_env,
    write_processes,
)


def test_env_sh_quotes_values(tmp_path: Path) -> None:
    env = {"A": "plain", "B": "it's $HOME"}
    text = render_env_sh(env)
    assert text.splitlines()[0] == "export A=plain"
    assert f"export B={shlex.quote(env['B'])}" in text
    write_env(tmp_path, env)
    out = subprocess.run(
        ["sh", "-c", f'. {tmp_path / "env.sh"} && printf %s "$B"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == env["B"]
    assert read_env(tmp_path) == env
    assert (tmp_path / "env.json").stat().st_mode & 0o777 == 0o600


def test_prepare_refuses_foreign_dir(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious").write_text("x")
    with pytest.raises(ControlPlaneError, match="not created by the control plane"):
        prepare(foreign)
    with pytest.raises(ControlPlaneError, match="refusing to delete"):
        remove(foreign)
    assert (foreign / "precious").exists()


def test_prepare_and_remove_own_dir(tmp_path: Path) -> None:
    own = tmp_path / "state"
    prepare(own)
    assert (own / MARKER).is_file()
    (own / "logs").mkdir()
    prepare(own)
    assert not (own / "logs").exists()
    remove(own)
    assert not own.exists()
    remove(own)


def _fake(state_dir: Path) -> ControlPlane:
    ports = Ports(21001, 21002, 22000, 23000, 24000, 25000)
    port_of = dict(zip(COMPONENTS, (21001, 22000, 23000, 24000, 25000), strict=True))
    components = {n: Component(n, port_of[n], [f"/bin/{n}"], state_dir / "logs" / f"{n}.log") for n in COMPONENTS}
    components["etcd"].pid, components["etcd"].start_ticks = 4242, 99
    components["postgres"].user = "postgres"
    return ControlPlane(
        state_dir, ports, "root-abc", components, unseal_key="KEY=", postgres_dir=state_dir / "pg",
        postgres_password="pg-super", postgres_admin_password="pg-admin",
    )  # fmt: skip


def test_env_contract_and_roundtrip(tmp_path: Path) -> None:
    prepare(tmp_path / "s")
    cp = _fake(tmp_path / "s")
    cp.save()
    env = json.loads((cp.state_dir / "env.json").read_text())
    assert env["KUBECONFIG"] == str(cp.state_dir / "kubeconfig")
    assert env["VAULT_ADDR"] == env["BAO_ADDR"] == "https://127.0.0.1:24000"
    ca = str(cp.state_dir / "vault-ca.pem")
    assert env["VAULT_CACERT"] == env["BAO_CACERT"] == ca
    assert env["VAULT_TOKEN"] == "root-abc"
    assert env["KUBE_APISERVER_URL"] == "https://127.0.0.1:22000"
    assert env["KUBE_CA_FILE"] == str(cp.state_dir / "pki" / "ca.crt")
    assert env["ETCD_PID"] == "4242"
    assert "KUBE_APISERVER_PID" not in env
    assert env["VAULT_UNSEAL_KEY"] == "KEY="
    assert (env["POSTGRES_PORT"], env["POSTGRES_PASSWORD"]) == ("25000", "pg-super")
    assert (env["POSTGRES_VAULT_ADMIN"], env["POSTGRES_VAULT_ADMIN_PASSWORD"]) == ("vault-admin", "pg-admin")
    assert all(isinstance(v, str) for v in env.values())
    loaded = ControlPlane.load(cp.state_dir)
    assert loaded == cp
    assert loaded.env == cp.env


def test_load_without_state(tmp_path: Path) -> None:
    with pytest.raises(ControlPlaneError, match="no control plane state"):
        ControlPlane.load(tmp_path / "missing")


def test_status_of_dead_processes(tmp_path: Path) -> None:
    prepare(tmp_path / "s")
    cp = _fake(tmp_path / "s")
    statuses = cp.status()
    assert [s.name for s in statuses] == list(COMPONENTS)
    assert not any(s.ok for s in statuses)
    assert statuses[0].health == "down"
    assert "etcd" in statuses[0].line()


def test_start_refuses_a_running_control_plane_on_other_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepare(tmp_path / "s")
    cp = _fake(tmp_path / "s")
    sleeper = spawn(["sleep", "30"], tmp_path / "sleep.log")
    try:
        cp.components["etcd"].pid, cp.components["etcd"].start_ticks = sleeper.pid, sleeper.start_ticks
        cp.save()
        monkeypatch.delenv(OFFSET_ENV, raising=False)

        def must_not_create(*args: object) -> None:
            raise AssertionError("started a new control plane")

        monkeypatch.setattr(ControlPlane, "_create", must_not_create)
        with pytest.raises(ControlPlaneError, match=f"runs on other ports .*{OFFSET_ENV}"):
            ControlPlane.start(cp.state_dir)
        assert cp.components["etcd"].running()
        assert (cp.state_dir / "env.json").exists()
    finally:
        terminate(sleeper, 5.0)


def test_a_failed_start_left_behind_is_not_a_running_control_plane(tmp_path: Path) -> None:
    assert not running_in(tmp_path)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        stat = read_stat(sleeper.pid)
        assert stat is not None
        write_processes(tmp_path, {"components": {"etcd": {"pid": sleeper.pid, "start_ticks": stat[1]}}})
        assert running_in(tmp_path)
        # The same pid with another start time is another process: the listed one is gone.
        write_processes(tmp_path, {"components": {"etcd": {"pid": sleeper.pid, "start_ticks": stat[1] + 1}}})
        assert not running_in(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()
    write_processes(tmp_path, {"components": {"etcd": {"pid": sleeper.pid, "start_ticks": stat[1]}}})
    assert not running_in(tmp_path)
