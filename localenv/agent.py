"""Run the Vault Agent the injector put into a pod, with HashiCorp Vault's `vault agent` (what the injected
containers run), as that pod's containers would run it.

The agent config is taken unchanged from the injected container's `VAULT_CONFIG`; only paths inside the
pod's volume mounts become local folders. The volumes are filled the way a kubelet would fill them: a real
TokenRequest token of the pod's ServiceAccount, the `kube-root-ca.crt` ConfigMap, the referenced Secrets,
and empty folders shared by the containers that mount the same `emptyDir`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localenv.controllers import records
from localenv.controlplane.kubeapi import KubeApi
from localenv.controlplane.paths import require_binary
from localenv.controlplane.processes import spawn
from localenv.controlplane.waiting import wait_until
from localenv.verify import service_account_token

INIT = "vault-agent-init"
SIDECAR = "vault-agent"
AGENT_CONTAINERS = (INIT, SIDECAR)
STATUS_ANNOTATION = "vault.hashicorp.com/agent-inject-status"
# The injected containers run `echo $VAULT_CONFIG | base64 -d > /home/vault/config.json && vault agent -config=...`.
CONFIG_PATH = "/home/vault/config.json"
SECRETS_PATH = "/vault/secrets"
TOKEN_SECONDS = 86400
_DROPPED_ENV = ("VAULT_TOKEN", "BAO_TOKEN", "VAULT_ADDR", "BAO_ADDR", "VAULT_CACERT", "BAO_CACERT", "KUBECONFIG",
                "VAULT_UNSEAL_KEY")  # fmt: skip


class AgentError(RuntimeError):
    """The pod cannot be turned into a local agent run."""


# -- pods -------------------------------------------------------------------


def list_pods(api: KubeApi, namespace: str, selector: Mapping[str, str]) -> list[dict[str, Any]]:
    label_selector = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    pods = api.list("v1", "Pod", namespace, labels=label_selector)
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    return sorted(live, key=lambda p: p["metadata"]["creationTimestamp"])


def is_injected(pod: dict[str, Any]) -> bool:
    names = {c["name"] for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]}
    annotations = pod["metadata"].get("annotations") or {}
    return annotations.get(STATUS_ANNOTATION) == "injected" and set(AGENT_CONTAINERS) <= names


def ensure_injected_pod(
    api: KubeApi, namespace: str, selector: Mapping[str, str], timeout: float = 60.0
) -> dict[str, Any]:
    """The newest injected pod of the workload. Pods created before the webhook was registered are deleted,
    so their ReplicaSet creates new ones through it."""
    pods = list_pods(api, namespace, selector)
    if pods and not any(is_injected(p) for p in pods):
        for pod in pods:
            api.delete("v1", "Pod", pod["metadata"]["name"], namespace)
    found: list[dict[str, Any]] = []

    def injected_pod() -> bool:
        found[:] = [p for p in list_pods(api, namespace, selector) if is_injected(p)]
        return bool(found)

    wait_until(injected_pod, f"an injected pod with labels {dict(selector)}", timeout)
    return found[-1]


def container(pod: dict[str, Any], name: str) -> dict[str, Any]:
    for item in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
        if item["name"] == name:
            result: dict[str, Any] = item
            return result
    raise AgentError(f"pod {pod['metadata']['name']} has no container {name}")


def agent_config(item: dict[str, Any]) -> dict[str, Any]:
    """The agent config the injector rendered into the container's VAULT_CONFIG (base64 JSON)."""
    for env in item.get("env", []):
        if env["name"] == "VAULT_CONFIG":
            config: dict[str, Any] = json.loads(base64.b64decode(env["value"]))
            return config
    raise AgentError(f"container {item['name']} has no VAULT_CONFIG")


# -- paths ------------------------------------------------------------------


def local_path(path: str, mounts: Mapping[str, Path]) -> str | None:
    """The local path of a pod path inside one of `mounts` (mountPath -> folder), the longest mount first."""
    for mount_path in sorted(mounts, key=len, reverse=True):
        if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
            return str(mounts[mount_path]) + path[len(mount_path.rstrip("/")) :]
    return None


def rewrite_paths(value: Any, mounts: Mapping[str, Path]) -> Any:
    """`value` with every string that is a path inside a mount replaced by its local path; nothing else changes."""
    if isinstance(value, dict):
        return {k: rewrite_paths(v, mounts) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite_paths(v, mounts) for v in value]
    if isinstance(value, str) and value.startswith("/"):
        found = local_path(value, mounts)
        return value if found is None else found
    return value


# -- volumes ----------------------------------------------------------------


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(mode)
    os.replace(tmp, path)


def _token(api: KubeApi, namespace: str, account: str, source: dict[str, Any], seconds: int) -> bytes:
    return service_account_token(api, namespace, account, seconds, source.get("audience")).encode()


def _items(data: Mapping[str, bytes], items: list[dict[str, Any]] | None) -> dict[str, bytes]:
    if not items:
        return dict(data)
    return {item["path"]: data[item["key"]] for item in items}


def _configmap(api: KubeApi, namespace: str, name: str) -> dict[str, bytes]:
    found = api.read("v1", "ConfigMap", name, namespace) or {}
    return {k: v.encode() for k, v in (found.get("data") or {}).items()}


def _secret(api: KubeApi, namespace: str, name: str) -> dict[str, bytes]:
    found = api.read("v1", "Secret", name, namespace)
    if found is None:
        raise AgentError(f"Secret {namespace}/{name} of a pod volume does not exist")
    return {k: base64.b64decode(v) for k, v in (found.get("data") or {}).items()}


def _field(pod: dict[str, Any], field_path: str) -> bytes:
    values = {"metadata.namespace": pod["metadata"]["namespace"], "metadata.name": pod["metadata"]["name"]}
    if field_path not in values:
        raise AgentError(f"downward API field {field_path} is not supported here")
    return values[field_path].encode()


def fill_volume(api: KubeApi, pod: dict[str, Any], volume: dict[str, Any], directory: Path, token_seconds: int) -> None:
    """Write what a kubelet would put into `volume`."""
    namespace = pod["metadata"]["namespace"]
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    if "emptyDir" in volume:
        return
    if "secret" in volume:
        source = volume["secret"]
        files = _items(_secret(api, namespace, source["secretName"]), source.get("items"))
    elif "configMap" in volume:
        source = volume["configMap"]
        files = _items(_configmap(api, namespace, source["name"]), source.get("items"))
    elif "projected" in volume:
        for source in volume["projected"]["sources"]:
            if "serviceAccountToken" in source:
                sat = source["serviceAccountToken"]
                account = pod["spec"].get("serviceAccountName", "default")
                files[sat["path"]] = _token(api, namespace, account, sat, token_seconds)
            elif "configMap" in source:
                cm = source["configMap"]
                files.update(_items(_configmap(api, namespace, cm["name"]), cm.get("items")))
            elif "secret" in source:
                sec = source["secret"]
                files.update(_items(_secret(api, namespace, sec["name"]), sec.get("items")))
            elif "downwardAPI" in source:
                for item in source["downwardAPI"]["items"]:
                    files[item["path"]] = _field(pod, item["fieldRef"]["fieldPath"])
    else:
        raise AgentError(f"volume {volume['name']} has a type that cannot be filled here: {sorted(volume)}")
    for name, data in files.items():
        _write(directory / name, data)


def mounts_of(item: dict[str, Any], volume_dirs: Mapping[str, Path]) -> dict[str, Path]:
    """mountPath -> local folder for one container."""
    result = {}
    for mount in item.get("volumeMounts", []):
        local = volume_dirs[mount["name"]]
        if mount.get("subPath"):
            local = local / mount["subPath"]
        result[mount["mountPath"]] = local
    return result


# -- running ----------------------------------------------------------------


@dataclass(frozen=True)
class LocalAgent:
    pod: str
    container: str
    config_file: Path
    argv: list[str]
    env: dict[str, str]
    config: dict[str, Any]
    log: Path


@dataclass
class InjectedPod:
    """One injected pod whose volumes are folders under `root`."""

    api: KubeApi
    pod: dict[str, Any]
    root: Path
    token_seconds: int = TOKEN_SECONDS

    @property
    def name(self) -> str:
        name: str = self.pod["metadata"]["name"]
        return name

    def volume_dir(self, volume: str) -> Path:
        return self.root / "volumes" / volume

    def fill(self) -> dict[str, Path]:
        """Fill every volume (emptyDirs stay as they are, so a re-run keeps what the agents rendered)."""
        dirs = {}
        for volume in self.pod["spec"].get("volumes", []):
            directory = self.volume_dir(volume["name"])
            fill_volume(self.api, self.pod, volume, directory, self.token_seconds)
            dirs[volume["name"]] = directory
        return dirs

    def app_container(self) -> dict[str, Any]:
        for item in self.pod["spec"]["containers"]:
            if item["name"] not in AGENT_CONTAINERS:
                result: dict[str, Any] = item
                return result
        raise AgentError(f"pod {self.name} has no application container")

    def app_secrets_dir(self) -> Path:
        """Where the application container sees the rendered files (/vault/secrets)."""
        dirs = {v["name"]: self.volume_dir(v["name"]) for v in self.pod["spec"].get("volumes", [])}
        found = local_path(SECRETS_PATH, mounts_of(self.app_container(), dirs))
        if found is None:
            raise AgentError(f"the application container of {self.name} does not mount {SECRETS_PATH}")
        return Path(found)

    def prepare(self, name: str, binary: Path | None = None) -> LocalAgent:
        """The container's agent config with pod paths made local, written where the container writes it."""
        item = container(self.pod, name)
        mounts = mounts_of(item, self.fill())
        config = rewrite_paths(agent_config(item), mounts)
        config_file = local_path(CONFIG_PATH, mounts)
        if config_file is None:
            raise AgentError(f"{name} does not mount the folder of {CONFIG_PATH}")
        _write(Path(config_file), json.dumps(config, indent=2).encode())
        binary = binary or require_binary("vault")
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
        env.update({e["name"]: e["value"] for e in item.get("env", []) if "value" in e and e["name"] != "VAULT_CONFIG"})
        log = self.root / "logs" / f"{name}.log"
        return LocalAgent(
            self.name, name, Path(config_file), [str(binary), "agent", f"-config={config_file}"], env, config, log
        )


def run_to_completion(agent: LocalAgent, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run an agent that exits by itself (the init container: `exit_after_auth`)."""
    agent.log.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(agent.argv, env=agent.env, capture_output=True, text=True, timeout=timeout, check=False)
    agent.log.write_text(done.stdout + done.stderr)
    return done


def record_name(agent: LocalAgent) -> str:
    return f"agent/{agent.pod}/{agent.container}"


def start(state_dir: Path, agent: LocalAgent) -> records.Record:
    """Start a long-running agent (the sidecar) detached and record it with the controllers."""
    proc = spawn(agent.argv, agent.log, env=agent.env, cwd=agent.config_file.parent)
    record = records.Record(record_name(agent), proc.pid, proc.start_ticks, agent.argv, str(agent.log))
    records.add(state_dir, record)
    return record


def wait_rendered(agent: LocalAgent, timeout: float = 60.0, record: records.Record | None = None) -> list[Path]:
    """Wait until every template destination of `agent` exists and is not empty."""
    destinations = [Path(t["destination"]) for t in agent.config.get("template", [])]

    def rendered() -> bool:
        return all(p.is_file() and p.stat().st_size > 0 for p in destinations)

    wait_until(rendered, f"{agent.container} of {agent.pod} to render {len(destinations)} files", timeout,
               log=agent.log, process=record.process if record else None)  # fmt: skip
    return destinations


def stable_read(path: Path, settle: float = 0.05) -> str:
    """The file's content once two reads a moment apart agree (the agent may be writing it)."""
    previous = path.read_text()
    for _ in range(20):
        time.sleep(settle)
        current = path.read_text()
        if current == previous:
            return current
        previous = current
    return previous


def replaced_pod_records(names: list[str], pod: dict[str, Any]) -> list[str]:
    """Agent records of other pods of the same ReplicaSet's Deployment (pods a rollout replaced)."""
    owner = next((o["name"] for o in pod["metadata"].get("ownerReferences", []) if o.get("kind") == "ReplicaSet"), "")
    deployment = owner.rpartition("-")[0]
    if not deployment:
        return []
    same = re.compile(rf"^agent/{re.escape(deployment)}-[a-z0-9]+-[a-z0-9]+/")
    own = f"agent/{pod['metadata']['name']}/"
    return [n for n in names if same.match(n) and not n.startswith(own)]


def rewrite_flag(word: str, mounts: Mapping[str, Path]) -> str:
    """A command-line word with its pod path made local: `/path` or `-flag=/path`."""
    flag, sep, value = word.partition("=")
    if sep and flag.startswith("-"):
        return f"{flag}={rewrite_paths(value, mounts)}"
    rewritten: str = rewrite_paths(word, mounts)
    return rewritten


def pre_stop(injected: InjectedPod, timeout: float = 60.0) -> subprocess.CompletedProcess[str] | None:
    """Run the sidecar's preStop hook as the kubelet would before stopping it (the injector's revoke-on-shutdown:
    `vault token revoke -self` with the agent's token), its pod paths made local. None when it has none."""
    item = container(injected.pod, SIDECAR)
    command = ((item.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command")
    if not command:
        return None
    mounts = mounts_of(item, {v["name"]: injected.volume_dir(v["name"]) for v in injected.pod["spec"]["volumes"]})
    binary = str(require_binary("vault"))
    steps = []
    for step in command[-1].split("&&"):
        words = [binary if w == "/bin/vault" else rewrite_flag(w, mounts) for w in shlex.split(step)]
        steps.append(shlex.join(words))
    home = local_path("/home/vault", mounts)
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    if home:
        # The CLI finds the agent's token where the agent's sink wrote it: $HOME/.vault-token.
        env["HOME"] = home
    return subprocess.run(
        ["/bin/sh", "-c", " && ".join(steps)],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def run_pod(state_dir: Path, injected: InjectedPod, timeout: float = 120.0) -> LocalAgent:
    """Run the pod's agents as the kubelet would: the init container once, then the sidecar, left running.
    A sidecar already running for this pod is kept; agents of pods that replaced ones of the same Deployment
    are stopped."""
    sidecar = injected.prepare(SIDECAR)
    current = records.running(state_dir, record_name(sidecar))
    for name in replaced_pod_records(list(records.read(state_dir)), injected.pod):
        records.stop(state_dir, name)
    if current is not None:
        return sidecar
    init = injected.prepare(INIT)
    done = run_to_completion(init, timeout)
    if done.returncode != 0:
        raise AgentError(f"{INIT} of {injected.name} exited {done.returncode}: {(done.stdout + done.stderr)[-2000:]}")
    record = start(state_dir, sidecar)
    wait_rendered(sidecar, timeout, record)
    return sidecar
