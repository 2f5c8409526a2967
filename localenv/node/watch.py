"""Watch what a pod sees without an exec per check: one long-lived exec stream per pod runs a shell loop that prints a
file over and over, and the host timestamps each line as it arrives; new pods of a Deployment come from an API watch.

Repeated `exec` calls (one API request, one kubelet stream, one runc exec each) starve a 2-core node; a single stream
per pod costs one `cat` every `period` seconds inside the pod and nothing on the API server between lines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import watch as k8s_watch
from kubernetes.stream import stream

from localenv.node.kube import Kube, pod_ready

Clock = Callable[[], float]


def loop_command(path: str, period: float) -> list[str]:
    """A shell loop printing `path` as one line (newlines folded to spaces) every `period` seconds, forever."""
    return ["sh", "-c", f"while :; do tr '\\n' ' ' < {path} 2>/dev/null; echo; sleep {period:g}; done"]


@dataclass
class Lines:
    """Lines in arrival order with their host arrival times; only changes are kept (the loop repeats itself)."""

    clock: Clock = time.monotonic
    seen: list[tuple[float, str]] = field(default_factory=list)
    _pending: str = ""
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def feed(self, chunk: str, at: float | None = None) -> None:
        """Split a chunk of stream output into lines stamped `at` (now by default)."""
        stamp = self.clock() if at is None else at
        text = self._pending + chunk
        *complete, self._pending = text.split("\n")
        with self._changed:
            for line in complete:
                line = line.strip()
                if not self.seen or self.seen[-1][1] != line:
                    self.seen.append((stamp, line))
            self._changed.notify_all()

    def first(self, matches: Callable[[str], bool], since: float) -> float | None:
        """Arrival time of the first line at or after `since` that matches, or of the line showing at `since`."""
        with self._changed:
            return first_match(self.seen, matches, since)

    def wait(self, matches: Callable[[str], bool], since: float, timeout: float) -> float | None:
        deadline = self.clock() + timeout
        with self._changed:
            while True:
                found = first_match(self.seen, matches, since)
                left = deadline - self.clock()
                if found is not None or left <= 0:
                    return found
                self._changed.wait(min(left, 1.0))


def first_match(seen: list[tuple[float, str]], matches: Callable[[str], bool], since: float) -> float | None:
    """Lines are changes only: a line that arrived before `since` and still shows then counts as seen at `since`."""
    for index, (at, line) in enumerate(seen):
        later = seen[index + 1][0] if index + 1 < len(seen) else None
        if later is not None and later <= since:
            continue
        if matches(line):
            return max(at, since)
    return None


class FileStream:
    """One exec stream into a pod that prints a file every `period` s; `lines` holds what arrived, and when."""

    def __init__(
        self, kube: Kube, namespace: str, pod: str, path: str, *, container: str | None = None, period: float = 0.2
    ) -> None:
        self.pod = pod
        self.lines = Lines()
        self.error: str | None = None
        kwargs: dict[str, Any] = {"container": container} if container else {}
        self._ws = stream(
            kube.core.connect_get_namespaced_pod_exec, pod, namespace, command=loop_command(path, period),
            stdout=True, stderr=False, stdin=False, tty=False, _preload_content=False, **kwargs,
        )  # fmt: skip
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name=f"stream-{pod}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while not self._stop.is_set() and self._ws.is_open():
                self._ws.update(timeout=1)
                if self._ws.peek_stdout():
                    self.lines.feed(self._ws.read_stdout())
        except Exception as exc:  # noqa: BLE001 - reported to whoever waits on this stream
            self.error = f"{type(exc).__name__}: {exc}"

    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        try:
            self._ws.close()
        except Exception:  # noqa: BLE001, S110 - closing a stream that already ended
            pass
        self._thread.join(timeout=5)


@dataclass(frozen=True)
class PodReady:
    name: str
    at: float
    """Host time the watch delivered the event in which the pod first showed Ready."""


class PodWatch:
    """An API watch on the pods matching a label selector: when each became Ready (first event showing it)."""

    def __init__(self, kube: Kube, namespace: str, selector: str, clock: Clock = time.monotonic) -> None:
        self.kube = kube
        self.namespace = namespace
        self.selector = selector
        self.clock = clock
        self.ready: list[PodReady] = []
        self.error: str | None = None
        self._changed = threading.Condition()
        self._watch = k8s_watch.Watch()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{selector}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for event in self._watch.stream(
                    self.kube.core.list_namespaced_pod, self.namespace, label_selector=self.selector,
                    timeout_seconds=60,
                ):  # fmt: skip
                    self._record(event["object"], self.clock())
                    if self._stop.is_set():
                        break
            except Exception as exc:  # noqa: BLE001 - a dropped watch is reopened; the last error is kept
                self.error = f"{type(exc).__name__}: {exc}"
                time.sleep(0.5)

    def _record(self, pod: Any, at: float) -> None:
        if pod.metadata.deletion_timestamp is not None or not pod_ready(pod):
            return
        with self._changed:
            if all(r.name != pod.metadata.name for r in self.ready):
                self.ready.append(PodReady(pod.metadata.name, at))
                self._changed.notify_all()

    def wait_new(self, known: set[str], timeout: float) -> PodReady | None:
        """The first pod not in `known` that became Ready, waiting up to `timeout` seconds."""
        deadline = self.clock() + timeout
        with self._changed:
            while True:
                fresh = [r for r in self.ready if r.name not in known]
                left = deadline - self.clock()
                if fresh or left <= 0:
                    return fresh[0] if fresh else None
                self._changed.wait(min(left, 1.0))

    def names(self) -> set[str]:
        with self._changed:
            return {r.name for r in self.ready}

    def close(self) -> None:
        self._stop.set()
        self._watch.stop()
        self._thread.join(timeout=5)
