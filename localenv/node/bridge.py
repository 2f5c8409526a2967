"""Joins the node's network namespace and the control plane on the machine's loopback, listening on nothing in the
machine's own network namespace.

- Inside the node's namespace it listens on the node address and forwards each connection to the same port on the
  machine's 127.0.0.1: pods and the kubelet reach the API server, Vault and PostgreSQL at the node address, the way
  a cluster reaches servers outside it.
- On the machine's 127.0.0.1 it publishes NodePorts (`--publish`), the way kind maps a node's ports to the host:
  Pulumi reaches an in-cluster Vault by its NodePort.
- On a unix socket it is the API server's egress proxy (HTTP CONNECT, `--egress-selector-config-file`): the API
  server's connections to the kubelet, to webhook Services and to pods are dialled from inside the namespace.

    python -m localenv.node.bridge --netns FILE --node-ip IP --port 26443 --port 28200 --publish 30200 \
        --egress-socket PATH
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import functools
import ipaddress
import os
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

CLONE_NEWNET = 0x40000000
HOST = "127.0.0.1"
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def entered(target: int, home: int) -> Iterator[None]:
    """Sockets created inside this block belong to `target`'s network namespace (a socket keeps the namespace it
    was created in), everything else stays in `home`'s."""
    _setns(target)
    try:
        yield
    finally:
        _setns(home)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


async def _splice(
    a: tuple[asyncio.StreamReader, asyncio.StreamWriter], b: tuple[asyncio.StreamReader, asyncio.StreamWriter]
) -> None:
    await asyncio.gather(_pipe(a[0], b[1]), _pipe(b[0], a[1]))


class Bridge:
    def __init__(
        self,
        netns: Path,
        node_ip: str,
        ports: Sequence[int],
        egress_socket: Path | None,
        published: Sequence[int] = (),
    ) -> None:
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.node = os.open(netns, os.O_RDONLY)
        self.node_ip = node_ip
        self.ports = list(ports)
        self.egress_socket = egress_socket
        self.published = list(published)

    async def _forward(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream = await asyncio.open_connection(HOST, port)
        except OSError:
            writer.close()
            return
        await _splice((reader, writer), upstream)

    async def _dial_node(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        with entered(self.node, self.home):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, port)), 10.0)
        except BaseException:
            sock.close()
            raise
        return await asyncio.open_connection(sock=sock)

    async def _publish(self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream = await self._dial_node(self.node_ip, port)
        except (TimeoutError, OSError):
            writer.close()
            return
        await _splice((reader, writer), upstream)

    async def _egress(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
            method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            host, _, port = target.rpartition(":")
            if method != "CONNECT":
                raise ValueError(f"not a CONNECT: {method}")
            ipaddress.ip_address(host)  # the API server dials addresses; names would need the node's DNS
            upstream = await self._dial_node(host, int(port))
        except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError) as exc:
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(f"HTTP/1.1 502 Bad Gateway\r\n\r\n{exc}".encode())
                await writer.drain()
                writer.close()
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await _splice((reader, writer), upstream)

    async def serve(self) -> None:
        servers = []
        for port in self.ports:
            with entered(self.node, self.home):
                listener = socket.create_server((self.node_ip, port), reuse_port=False)
            servers.append(await asyncio.start_server(functools.partial(self._forward, port), sock=listener))
        for port in self.published:
            servers.append(await asyncio.start_server(functools.partial(self._publish, port), HOST, port))
        if self.egress_socket is not None:
            with contextlib.suppress(FileNotFoundError):
                self.egress_socket.unlink()
            servers.append(await asyncio.start_unix_server(self._egress, path=str(self.egress_socket)))
            self.egress_socket.chmod(0o600)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(
            f"bridge ready: {self.node_ip} ports {self.ports}, published {self.published}, egress {self.egress_socket}",
            flush=True,
        )
        await stop.wait()
        for server in servers:
            server.close()
        if self.egress_socket is not None:
            with contextlib.suppress(FileNotFoundError):
                self.egress_socket.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localenv.node.bridge")
    parser.add_argument("--netns", type=Path, required=True, help="the node's network namespace file")
    parser.add_argument("--node-ip", required=True)
    parser.add_argument("--port", type=int, action="append", default=[], help="forwarded to 127.0.0.1:PORT")
    parser.add_argument("--publish", type=int, action="append", default=[], help="127.0.0.1:PORT to NODE_IP:PORT")
    parser.add_argument("--egress-socket", type=Path, help="unix socket of the API server's egress proxy")
    args = parser.parse_args(argv)
    asyncio.run(Bridge(args.netns, args.node_ip, args.port, args.egress_socket, args.publish).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
