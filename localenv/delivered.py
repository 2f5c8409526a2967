"""What a workload sees: the Secrets VSO synced, the files the agent rendered, and the certificates Vault issued."""

from __future__ import annotations

import base64
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import hvac

from localenv.controlplane.kubeapi import KubeApi
from localenv.verify import mask
from localenv.x509 import CertInfo, cert_info, certificate_count, key_matches, normalize_serial

TLS_TYPE = "kubernetes.io/tls"


def secret_data(api: KubeApi, namespace: str, name: str) -> dict[str, str] | None:
    """The Secret's data decoded, or None when it does not exist."""
    secret = api.read("v1", "Secret", name, namespace)
    if secret is None:
        return None
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def secret_type(api: KubeApi, namespace: str, name: str) -> str | None:
    secret = api.read("v1", "Secret", name, namespace)
    return None if secret is None else str(secret.get("type", ""))


@dataclass(frozen=True)
class Rollout:
    generation: int
    replicasets: frozenset[str]
    restarted_at: str | None


def rollout_state(api: KubeApi, namespace: str, deployment: str) -> Rollout:
    """The Deployment's generation, its ReplicaSets and VSO's restart annotation on its pod template."""
    found = api.read("apps/v1", "Deployment", deployment, namespace)
    if found is None:
        raise LookupError(f"Deployment {namespace}/{deployment} does not exist")
    uid = found["metadata"]["uid"]
    sets = api.list("apps/v1", "ReplicaSet", namespace)
    owned = frozenset(
        rs["metadata"]["name"]
        for rs in sets
        if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences", []))
    )
    annotations = found["spec"]["template"]["metadata"].get("annotations") or {}
    return Rollout(found["metadata"]["generation"], owned, annotations.get("vso.secrets.hashicorp.com/restartedAt"))


def issued_certificates(vault: hvac.Client, mount: str, common_name: str, known: dict[str, CertInfo]) -> set[str]:
    """Serials of every certificate the mount issued for `common_name` (reads only serials not in `known`)."""
    listed = vault.secrets.pki.list_certificates(mount_point=mount)["data"]["keys"]
    for raw in listed:
        serial = normalize_serial(raw)
        if serial not in known:
            known[serial] = cert_info(vault.secrets.pki.read_certificate(raw, mount_point=mount)["data"]["certificate"])
    return {s for s in (normalize_serial(r) for r in listed) if known[s].common_name == common_name}


# What is shown of a database credential: the user's name is not its secret, and tells which user the pod has.
DATABASE_SHOWN = frozenset({"username"})


def shown(key: str, value: str, show: bool, shown_keys: frozenset[str] = frozenset()) -> str:
    return value if key in shown_keys else mask(value, show)


def masked_lines(text: str, show: bool, shown_keys: frozenset[str] = frozenset()) -> list[str]:
    """`key=value` lines with their values masked, but those of `shown_keys`."""
    lines = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        lines.append(f"{key}{sep}{shown(key, value, show, shown_keys)}" if sep else mask(line, show))
    return lines


def key_values(text: str) -> dict[str, str]:
    """The `key=value` lines of a rendered file."""
    pairs = (line.partition("=") for line in text.splitlines())
    return {key: value for key, sep, value in pairs if sep}


def describe_certificate(cert_pem: str, key_pem: str | None) -> str:
    info = cert_info(cert_pem)
    chain = certificate_count(cert_pem)
    pairing = ""
    if key_pem is not None:
        pairing = ", key matches" if key_matches(cert_pem, key_pem) else ", KEY DOES NOT MATCH"
    return (
        f"certificate CN={info.common_name} serial {info.serial[:16]}... expires in {info.remaining():.0f}s "
        f"({chain} PEM certificate{'s' if chain != 1 else ''}{pairing})"
    )


def vso_view(api: KubeApi, namespace: str, synced: list[tuple[str, str]], show: bool) -> list[str]:
    """`synced`: (VSO kind, Secret name) pairs; a missing Secret shows VSO's last warning about it."""
    lines = []
    for kind, name in synced:
        data = secret_data(api, namespace, name)
        if data is None:
            warnings = warnings_for(api, namespace, kind, name)
            reason = " ".join(warnings[-1].split())[:300] if warnings else "no warning from the operator yet"
            lines.append(f"  Secret {name}: not synced ({kind}: {reason})")
            continue
        if secret_type(api, namespace, name) == TLS_TYPE:
            lines.append(f"  Secret {name} ({TLS_TYPE}): {describe_certificate(data['tls.crt'], data.get('tls.key'))}")
            continue
        visible = DATABASE_SHOWN if kind == "VaultDynamicSecret" else frozenset()
        listed = ", ".join(f"{k}={shown(k, v, show, visible)}" for k, v in sorted(data.items()) if k != "_raw")
        lines.append(f"  Secret {name}: {listed}")
    return lines


def agent_view(
    directory: Path, files: list[str], pairs: dict[str, str], show: bool, database_files: Collection[str] = ()
) -> list[str]:
    """The rendered files as the application container reads them; `pairs` maps a cert file to its key file;
    `database_files` hold a database credential."""
    lines = []
    keys = set(pairs.values())
    for name in files:
        path = directory / name
        if not path.is_file():
            lines.append(f"  {name}: not rendered")
        elif name in pairs:
            key_file = directory / pairs[name]
            key = key_file.read_text() if key_file.is_file() else None
            lines.append(f"  {name}: {describe_certificate(path.read_text(), key)}")
        elif name in keys:
            lines.append(f"  {name}: private key ({path.stat().st_size} bytes)")
        else:
            visible = DATABASE_SHOWN if name in database_files else frozenset()
            lines.append(f"  {name}: " + " | ".join(masked_lines(path.read_text(), show, visible)))
    return lines


def warnings_for(api: KubeApi, namespace: str, kind: str, name: str) -> list[str]:
    """Messages of the Warning events about one object, oldest first (how VSO reports failed syncs)."""
    selector = f"involvedObject.kind={kind},involvedObject.name={name},type=Warning"
    events = api.list("v1", "Event", namespace, fields=selector)
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return [str(e.get("message", "")) for e in events]
