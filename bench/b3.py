"""B3: a secret change to the new value inside the running pod (or the new pod, for VSO) on the real node, for the
three methods against both servers; and the time from `pulumi up` on an empty node to each method's first value.

The node sessions are bench/node.py's; B2 shares the HashiCorp Vault one (`make bench` runs B2 first), so B3 then
starts only the OpenBao session.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from typing import Any

from bench import node, plot, results
from localenv.controlplane.vaultserver import SERVERS
from localenv.latency import Change, summary

METHODS = ("csi", "injector", "vso")
PLOT_FILE = results.RESULTS_DIR / "b3.png"
EXPLAIN_ABOVE = 0.6
BOUNDS = {
    "csi": "the CSI driver's rotationPollInterval",
    "injector": "the agent's static secret render interval",
    "vso": "VaultStaticSecret refreshAfter + one rollout (median measured rollout)",
}
# Sessions run in this process (B2 runs the HashiCorp Vault one), by server.
SESSIONS: dict[str, dict[str, Any]] = {}


def method_summary(method: str, interval: float, changes: Sequence[Change], rollouts: Sequence[float] = ()) -> dict:
    """p50, max and the p50 as a fraction of the method's bound (VSO: refreshAfter plus its median rollout)."""
    figures = summary(changes, interval)
    rollout = float(statistics.median(rollouts)) if rollouts else 0.0
    bound = interval + rollout
    fraction = figures["p50_s"] / bound
    return {
        "bound": BOUNDS[method],
        "bound_s": round(bound, 2),
        **figures,
        "p50_fraction_of_bound": round(fraction, 3),
        "max_fraction_of_bound": round(figures["max_s"] / bound, 3),
        "above_explain_threshold": fraction > EXPLAIN_ABOVE,
        **({"rollout_s": list(rollouts), "rollout_median_s": round(rollout, 2)} if method == "vso" else {}),
    }


def first_secret_summary(found: dict[str, Any]) -> dict[str, Any]:
    """Seconds from `pulumi up` starting to each method's value readable in its pod; the total is the last one."""
    per = {m: found.get(m) for m in METHODS}
    numbers = [v for v in per.values() if isinstance(v, int | float)]
    return {**per, "total": max(numbers) if len(numbers) == len(METHODS) else None}


def server_entry(session: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "server_version": session["server_version"],
        "seed": session["seed"],
        "node_start_s": session["node_start_s"],
        "up_from_empty_s": session["up_from_empty_s"],
        "first_secret_s": first_secret_summary(session["first_secret"]),
    }
    for method in METHODS:
        measured = session["delivery"].get(method, {})
        if "error" in measured:
            entry[method] = {"status": "failed", "error": measured["error"], "bound": BOUNDS[method]}
            continue
        entry[method] = method_summary(method, measured["interval_s"], measured["changes"], measured["rollout_s"])
        entry[method]["offset_span_s"] = measured.get("offset_span_s", measured["interval_s"])
        if method == "vso":
            entry[method]["secret_synced_s"] = measured["synced_s"]
    return entry


def session(server: str, seed: int) -> dict[str, Any]:
    if server not in SESSIONS:
        SESSIONS[server] = node.run_server(server, seed)
    return SESSIONS[server]


def _print(entries: dict[str, dict[str, Any]]) -> None:
    print(f"  {'server':<8} {'method':<9} {'changes':>7} {'p50':>6} {'max':>6} {'bound':>6} {'p50/bound':>9}")
    for server, entry in entries.items():
        for method in METHODS:
            row = entry[method]
            if row.get("status") == "failed":
                print(f"  {server:<8} {method:<9} failed: {row['error']}")
                continue
            print(f"  {server:<8} {method:<9} {row['changes']:>7} {row['p50_s']:>5.2f}s {row['max_s']:>5.2f}s "
                  f"{row['bound_s']:>5.1f}s {row['p50_fraction_of_bound']:>9.2f}")  # fmt: skip
    print("  time to first secret (s from `pulumi up` on an empty node):")
    for server, entry in entries.items():
        firsts = entry["first_secret_s"]
        print(f"  {server:<8} " + "  ".join(f"{k} {v}" for k, v in firsts.items()) +
              f"  (up {entry['up_from_empty_s']:.1f}s)")  # fmt: skip


def run(seed: int | None = None) -> dict[str, Any]:
    seed = seed if seed is not None else random.SystemRandom().randrange(1_000_000)
    started = results.now()
    machine = results.machine_info()
    entries: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for server in SERVERS:
        try:
            entries[server] = server_entry(session(server, seed))
        except Exception as exc:  # noqa: BLE001 - the other server's figures are still recorded
            failures.append(f"{server}: {type(exc).__name__}: {str(exc)[-2000:]}")
            print(f"  b3 against {server} failed: {failures[-1]}", flush=True)
    failures += [f"{s} {m}" for s, e in entries.items() for m in METHODS if e[m].get("status") == "failed"]
    section = {
        "status": "failed" if failures else "ok",
        **({"failures": failures} if failures else {}),
        "timestamp": started,
        "finished": results.now(),
        "machine": machine,
        "method": {
            "where": "the real node (localenv/node), stack local-node, external mode, charts from ../shared/charts",
            "what": "a KV v2 put (root token) to the new value where the app reads it in its pod",
            "changes_per_method": node.CHANGES,
            "concurrency": "the three methods at once, each on its own secret",
            "spacing": "stratified random offsets after each delivery, over the method's whole cycle: its interval "
            "(CSI: the longest time between two writes on this node, the kubelet's pod resync of syncFrequency plus "
            "up to 50 % jitter once rotationPollInterval has passed; bench.node.csi_cycle_max), so that the phase "
            "against the next delivery is uniform",
            "views": {
                "csi": "one exec stream into pod webapp printing the mounted file every 0.2 s; host arrival time",
                "injector": "one exec stream into the webapp container printing /vault/secrets/<file> every 0.2 s",
                "vso": "an API watch on the Deployment's pods: the first event showing the new pod Ready, whose env "
                "(one exec) holds the value",
            },
            "vso_refresh_after": f"{node.VSO_REFRESH_AFTER} in the bench's config copy (the stack file says 30s)",
            "first_secret": "from `pulumi up` starting on the empty node to the value's first arrival through the "
            "same views (opened when the watch reports the pod Ready)",
        },
        "servers": entries,
    }
    if entries:
        _print(entries)
        plot.plot_b3(section, PLOT_FILE)
        section["plot"] = PLOT_FILE.name
    results.merge_section("b3", section)
    return section
