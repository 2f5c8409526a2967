"""What a user does with kubectl against the node, through the official Kubernetes client: exec into a pod (the
API server proxies to the kubelet's streaming server), read pods and Secrets, wait for readiness."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

T = TypeVar("T")


class Kube:
    def __init__(self, kubeconfig: Path, context: str | None = None) -> None:
        self.api_client = config.new_client_from_config(config_file=str(kubeconfig), context=context)
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.storage = client.StorageV1Api(self.api_client)

    def exec(self, namespace: str, pod: str, command: list[str], container: str | None = None) -> str:
        """stdout of `kubectl exec POD [-c CONTAINER] -- COMMAND`; raises on a non-zero exit."""
        kwargs: dict[str, Any] = {"container": container} if container else {}
        ws = stream(
            self.core.connect_get_namespaced_pod_exec, pod, namespace, command=command,
            stdout=True, stderr=True, stdin=False, tty=False, _preload_content=False, **kwargs,
        )  # fmt: skip
        ws.run_forever(timeout=60)
        out, err = ws.read_stdout(), ws.read_stderr()
        code = ws.returncode
        ws.close()
        if code != 0:
            raise RuntimeError(f"exec {pod} {command} exited {code}: {err.strip()}")
        return str(out)

    def pod(self, namespace: str, name: str) -> Any:
        return self.core.read_namespaced_pod(name, namespace)

    def pods(self, namespace: str, selector: str) -> list[Any]:
        return list(self.core.list_namespaced_pod(namespace, label_selector=selector).items)

    def running_pod(self, namespace: str, selector: str) -> Any:
        """The one Ready pod that matches (not one that is terminating)."""
        ready = [p for p in self.pods(namespace, selector) if p.metadata.deletion_timestamp is None and _ready(p)]
        if len(ready) != 1:
            raise LookupError(f"{len(ready)} ready pods match {selector} in {namespace}")
        return ready[0]

    def secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        try:
            secret = self.core.read_namespaced_secret(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}

    def close(self) -> None:
        self.api_client.close()


def _ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


def pod_ready(pod: Any) -> bool:
    """The pod's Ready condition is True."""
    return _ready(pod)


def eventually(check: Callable[[], T | None], what: str, timeout: float, interval: float = 0.5) -> tuple[T, float]:
    """The first truthy result of `check` and the seconds it took; any exception means "not yet"."""
    start = time.monotonic()
    last = ""
    while True:
        try:
            result = check()
            if result:
                return result, time.monotonic() - start
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what}: not after {timeout:.0f}s ({last or 'no result'})")
        time.sleep(interval)
