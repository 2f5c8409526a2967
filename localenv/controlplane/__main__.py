"""CLI: python -m localenv.controlplane {start,status,stop} [--state DIR]."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import state
from .controlplane import ControlPlane
from .errors import ControlPlaneError
from .paths import default_state_dir


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _node_lines(cp: ControlPlane) -> list[str]:
    from localenv.node.node import Node  # the node builds on this package

    node = Node.load(cp.state_dir) if cp.node else None
    return node.status_lines() if node is not None else []


def cmd_start(state_dir: Path, timeout: float, node: bool | None) -> int:
    began = time.monotonic()
    cp = ControlPlane.start(state_dir, timeout=timeout, say=_say, node=node)
    if not cp.reused:
        _say(f"started in {time.monotonic() - began:.1f}s")
    for status in cp.status():
        print(status.line())
    for line in _node_lines(cp):
        print(line)
    print(f"source {cp.state_dir / state.ENV_SH}")
    return 0


def cmd_status(state_dir: Path) -> int:
    try:
        cp = ControlPlane.load(state_dir)
    except ControlPlaneError as exc:
        print(f"not running: {exc}")
        return 1
    statuses = cp.status()
    for status in statuses:
        print(status.line())
    for line in _node_lines(cp):
        print(line)
    return 0 if all(s.ok for s in statuses) else 1


def cmd_stop(state_dir: Path) -> int:
    if not state_dir.exists():
        print(f"not running (no {state_dir})")
        return 0
    if not (state_dir / state.PROCESSES_JSON).exists():
        state.remove(state_dir)
        print(f"removed {state_dir}")
        return 0
    cp = ControlPlane.load(state_dir)
    pids = {n: c.pid for n, c in cp.components.items() if c.pid is not None}
    cp.stop()
    stopped = ", ".join(f"{n} {p}" for n, p in pids.items()) or "nothing was running"
    print(f"stopped ({stopped}); removed {state_dir}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state",
        type=Path,
        default=argparse.SUPPRESS,
        help="state directory (default: $VAULT_K8S_STATE or <repo>/.localcp)",
    )
    parser = argparse.ArgumentParser(prog="python -m localenv.controlplane", parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", parents=[common], help="start, or confirm it is running")
    start.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each component")
    start.add_argument(
        "--node",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with a real node (kubelet, containerd, ...; default: $VAULT_K8S_NODE=1)",
    )
    sub.add_parser("status", parents=[common], help="show each component; non-zero if any is down")
    sub.add_parser("stop", parents=[common], help="stop the started processes and remove the state")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    state_dir: Path = getattr(args, "state", None) or default_state_dir()
    state_dir = state_dir.resolve()
    try:
        if args.command == "start":
            return cmd_start(state_dir, args.timeout, args.node)
        if args.command == "status":
            return cmd_status(state_dir)
        return cmd_stop(state_dir)
    except ControlPlaneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
