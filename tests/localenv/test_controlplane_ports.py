from __future__ import annotations

import socket

import pytest

from localenv.controlplane.errors import ControlPlaneError
from localenv.controlplane.ports import (
    OFFSET_ENV,
    Ports,
    offset_from_env,
    port_is_free,
    require_free,
)


def test_default_ports_are_the_documented_ones() -> None:
    ports = Ports.default()
    assert ports == Ports(22379, 22380, 26443, 26257, 28200, 25432)
    assert ports.vault_cluster == 28201
    assert ports.all() == [22379, 22380, 26443, 26257, 28200, 28201, 25432]
    assert Ports.from_env({}) == ports


def test_offset_is_added_to_every_port() -> None:
    shifted = Ports.from_env({OFFSET_ENV: "100"})
    assert shifted.all() == [p + 100 for p in Ports.default().all()]
    assert Ports.from_env({OFFSET_ENV: " -10 "}).apiserver == 26433
    assert offset_from_env({OFFSET_ENV: ""}) == 0


@pytest.mark.parametrize("raw", ["x", "1.5"])
def test_offset_must_be_an_integer(raw: str) -> None:
    with pytest.raises(ControlPlaneError, match=OFFSET_ENV):
        offset_from_env({OFFSET_ENV: raw})


def test_offset_must_keep_ports_in_range() -> None:
    with pytest.raises(ControlPlaneError, match="outside 1024-65535"):
        Ports.default(40000)
    with pytest.raises(ControlPlaneError, match="outside 1024-65535"):
        Ports.default(-22000)


def test_require_free_names_component_port_and_env_var() -> None:
    ports = Ports.default(7)
    require_free(ports, is_free=lambda p: True)
    busy = {ports.apiserver, ports.vault_cluster}
    with pytest.raises(ControlPlaneError) as err:
        require_free(ports, is_free=lambda p: p not in busy)
    message = str(err.value)
    assert "kube-apiserver port 26450" in message
    assert "vault cluster port 28208" in message
    assert "etcd" not in message
    assert OFFSET_ENV in message and "now 7" in message


def test_port_is_free_detects_listener() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert not port_is_free(port)
        with pytest.raises(ControlPlaneError, match=f"port {port}"):
            require_free(Ports(port, port + 1, port + 2, port + 3, port + 4, port + 5), is_free=port_is_free)
