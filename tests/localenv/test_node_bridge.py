"""The bridge between the node's network namespace and the machine's loopback, in a namespace made for the test:
forwards from the node address to loopback, publishes a node port on loopback, and proxies CONNECTs into the
namespace; nothing of it listens in the machine's namespace except the published port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localenv.node import namespaces
from localenv.node.namespaces import NODE_IP

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

HOST_PORT = 28998
NODE_PORT = 28997
PUBLISHED = 28996


def _serve(argv: list[str], port: int, host: str, tag: bytes) -> subprocess.Popen[bytes]:
    code = (
        "import socket,sys\n"
        f"s=socket.create_server(({host!r},{port}))\n"
        "while True:\n"
        "    c,_=s.accept(); c.sendall(" + repr(tag) + "); c.close()\n"
    )
    return subprocess.Popen([*argv, sys.executable, "-c", code])


def _read(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(100):
        data += chunk
    return data


@pytest.fixture
def bridged(tmp_path: Path) -> Iterator[tuple[namespaces.Namespaces, Path]]:
    ns = namespaces.Namespaces(tmp_path / "ns")
    namespaces.create(ns, "10.0.0.0/24")
    egress = tmp_path / "egress.sock"
    procs = [
        _serve([], HOST_PORT, "127.0.0.1", b"host"),
        _serve(ns.enter(), NODE_PORT, NODE_IP, b"node"),
        _serve(ns.enter(), PUBLISHED, NODE_IP, b"published"),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "localenv.node.bridge",
                f"--netns={ns.net}",
                f"--node-ip={NODE_IP}",
                f"--port={HOST_PORT}",
                f"--publish={PUBLISHED}",
                f"--egress-socket={egress}",
            ]
        ),  # fmt: skip
    ]
    deadline = time.monotonic() + 20
    while not egress.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield ns, egress
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        namespaces.remove(ns)
        assert not namespaces._is_mountpoint(ns.net)


def test_the_node_reaches_loopback_servers_at_the_node_address(bridged: tuple[namespaces.Namespaces, Path]) -> None:
    ns, _ = bridged
    code = f"import socket;s=socket.create_connection(({NODE_IP!r},{HOST_PORT}),5);print(s.recv(10).decode())"
    done = subprocess.run([*ns.enter(), sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert done.stdout.strip() == "host", done.stderr


def test_a_published_node_port_answers_on_loopback(bridged: tuple[namespaces.Namespaces, Path]) -> None:
    with socket.create_connection(("127.0.0.1", PUBLISHED), 5) as sock:
        assert _read(sock) == b"published"


def test_connect_reaches_a_server_inside_the_namespace(bridged: tuple[namespaces.Namespaces, Path]) -> None:
    _, egress = bridged
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(egress))
        sock.sendall(f"CONNECT {NODE_IP}:{NODE_PORT} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert _read(sock) == b"HTTP/1.1 200 Connection established\r\n\r\nnode"


def test_connect_to_a_name_is_refused(bridged: tuple[namespaces.Namespaces, Path]) -> None:
    _, egress = bridged
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(egress))
        sock.sendall(b"CONNECT vault.default.svc:8200 HTTP/1.1\r\n\r\n")
        assert _read(sock).startswith(b"HTTP/1.1 502 Bad Gateway")


def test_the_node_address_is_not_on_the_machine() -> None:
    addresses = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    assert NODE_IP not in addresses
