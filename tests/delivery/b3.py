"""Section b3 of bench/results/results.json: delivery latency and certificate renewal, measured by tests/delivery."""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from bench import results
from localenv.latency import Change, summary
from localenv.stack import REPO, tool_bin_dir
from tests.delivery.watch import CertWatch

VERSIONS_FILE = REPO / "localenv" / "versions.env"
PINS = ("VSO_VERSION", "VAULT_K8S_VERSION", "VAULT_CSI_VERSION", "KUBERNETES_VERSION")


def pinned_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    pins = dict(re.findall(r"^([A-Z0-9_]+)=(\S+)$", path.read_text(), flags=re.MULTILINE))
    return {k: v for k, v in pins.items() if k in PINS}


def rotation_stats(
    watch: CertWatch, ttl: int, not_before_duration: int, exclude: Collection[str] = ()
) -> dict[str, Any]:
    """Per replacement of a certificate (not those whose serial is in `exclude`), seconds before the old one's
    expiry that the new one was requested, issued, and seen where the workload reads it.

    Vault sets notAfter from the request's start (+ ttl) and notBefore after generating the key (- its
    not_before_duration), so the new certificate itself tells when it was asked for and when it was made."""
    requested, issued, seen, durations = [], [], [], []
    for old, new in watch.rotations():
        if old.cert.serial in exclude:
            continue
        asked = new.cert.not_after - datetime.timedelta(seconds=ttl)
        made = new.cert.not_before + datetime.timedelta(seconds=not_before_duration)
        requested.append(round((old.cert.not_after - asked).total_seconds(), 2))
        issued.append(round((old.cert.not_after - made).total_seconds(), 2))
        seen.append(round((old.cert.not_after - new.at).total_seconds(), 2))
        durations.append(round((made - asked).total_seconds(), 2))
    return {
        "certificates_seen": len(watch.history),
        "renewals": len(seen),
        "keys_matched": all(s.key_matches for s in watch.history),
        "requested_before_expiry_s": requested,
        "issued_before_expiry_s": issued,
        "seen_before_expiry_s": seen,
        "issue_duration_s": durations,
        "min_seen_before_expiry_s": min(seen) if seen else None,
        "renewals_seen_after_expiry": sum(1 for m in seen if m < 0),
        "precision": f"certificate times are whole seconds; seen times are polled every {watch.interval}s",
    }


def _outcome(started: str, failures: Sequence[str]) -> dict[str, Any]:
    return {
        "status": "failed" if failures else "ok",
        **({"failures": list(failures)} if failures else {}),
        "timestamp": started,
        "finished": results.now(),
    }


def section(
    *,
    server: str,
    started: str,
    vso: Sequence[Change],
    vso_interval: float,
    vso_slack: float,
    restarts: Sequence[int],
    new_replicasets: Sequence[int],
    agent: Sequence[Change],
    agent_interval: float,
    agent_slack: float,
    seed: int,
    poll: dict[str, float],
    certificates: dict[str, Any],
    failures: Sequence[str],
) -> dict[str, Any]:
    return {
        **_outcome(started, failures),
        "machine": results.machine_info(),
        "server": server,
        "versions": pinned_versions(),
        "method": {
            "what": "secret change in Vault (root token, KV v2 put of a new version) to the value the workload sees",
            "clock": "monotonic; from the put's response to the first poll that shows the new value",
            "poll_interval_s": poll,
            "spacing": "stratified random offsets over one configured interval after each delivery",
            "seed": seed,
            "source": "tests/delivery/test_3_freshness.py",
        },
        "vso": {
            "view": "Secret webapp-config as read from the API (what env valueFrom.secretKeyRef resolves)",
            "bound": f"VaultStaticSecret refreshAfter {vso_interval:.0f}s",
            **summary(vso, vso_interval),
            "asserted_max_s": vso_interval + vso_slack,
            "restarts_per_change": list(restarts),
            "new_replicasets_per_change": list(new_replicasets),
        },
        "injector": {
            "view": "my-config.txt in the pod's /vault/secrets volume, rendered by the injected agent config",
            "bound": f"template-static-secret-render-interval {agent_interval:.0f}s",
            **summary(agent, agent_interval),
            "asserted_max_s": agent_interval + agent_slack,
        },
        "certificates": certificates,
    }


RECORD_ENV = "VAULT_K8S_RECORD_B3"
# Outside the repository: tests never write into tracked folders; `make bench` records it into results.json.
LAST_RUN = tool_bin_dir().parent / "results" / "b3.last.json"


def merge(server_key: str, data: dict[str, Any], part: str | None = None) -> dict[str, Any]:
    """Every run leaves its figures in b3.last.json, one entry per server (`vault`, `openbao`): the whole entry,
    or one `part` of it (`csi`). With VAULT_K8S_RECORD_B3=1 the file is recorded as section b3_standins of
    results.json."""
    last: dict[str, Any] = json.loads(LAST_RUN.read_text()) if LAST_RUN.exists() else {}
    if part is None:
        last[server_key] = data
    else:
        last.setdefault(server_key, {})[part] = data
    LAST_RUN.parent.mkdir(parents=True, exist_ok=True)
    LAST_RUN.write_text(json.dumps(last, indent=1) + "\n")
    if os.environ.get(RECORD_ENV) == "1":
        # The node's figures (bench/b3.py) own section b3; these are the stand-in controllers'.
        results.merge_section("b3_standins", last)
    return last


def csi_section(
    *,
    started: str,
    changes: Sequence[Change],
    poll: float,
    slack: float,
    check_interval: float,
    provider: str,
    mount_calls: dict[str, Any],
    seed: int,
    failures: Sequence[str],
) -> dict[str, Any]:
    """The `csi` part of a server's entry: secret change to the first Mount answer holding the new value."""
    return {
        **_outcome(started, failures),
        "provider": provider,
        "view": "files of the provider's MountResponse for pod webapp's volume (what the driver writes into its tmpfs)",
        "stand_in": (
            f"the driver's rotation (kubelet republish, driver rotation-poll-interval) is stood in by a loop calling "
            f"the real provider's Mount every {poll:g}s through csi-mount, with the request the driver v1.6.0 builds"
        ),
        "bound": f"poll interval {poll:g}s",
        "clock": (
            f"monotonic; from the put's response to the first Mount answer with the new value, checked every "
            f"{check_interval:g}s"
        ),
        "spacing": "stratified random offsets over one poll interval after each delivery",
        "seed": seed,
        **summary(changes, poll),
        "asserted_max_s": poll + slack,
        "mount_calls": mount_calls,
        "source": "tests/delivery/test_4_csi.py",
    }
