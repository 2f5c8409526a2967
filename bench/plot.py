"""The B1 figure: time against the number of apps for program and flat, with the import floor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _band(series: dict[str, Any], key: str) -> tuple[float, float, float]:
    samples = series[key]["samples"]
    mid = series[key]["median"]
    return mid, mid - min(samples), max(samples) - mid


def plot_b1(section: dict[str, Any], path: Path) -> None:
    rows = section["sizes"]
    sizes = [r["n"] for r in rows]
    runs = section["method"]["runs_per_point"]
    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [3, 2]})
    for name, color, marker in (("program", "tab:red", "o"), ("flat", "tab:blue", "s")):
        bands = [_band(r[name], "wall_s") for r in rows]
        ax_time.errorbar(
            sizes,
            [b[0] for b in bands],
            yerr=[[b[1] for b in bands], [b[2] for b in bands]],
            color=color,
            marker=marker,
            capsize=3,
            label=f"{name} (median, min-max)",
        )
        grown = section.get("growth", {}).get(f"{name}_wall")
        if grown:
            fit = grown["fit"]
            low, high = min(sizes), max(sizes)
            xs = [low * (high / low) ** (i / 60) for i in range(61)] if high > low else [low]
            ax_time.plot(
                xs,
                [fit["intercept_s"] + fit["slope_s_per_app"] * x for x in xs],
                color=color,
                linestyle=":",
                linewidth=1,
                label=f"{name} linear fit: {fit['slope_s_per_app'] * 1000:.1f} ms/app, R² {fit['r2']:.3f}",
            )
        ax_mem.plot(sizes, [r[name]["maxrss_mib"]["median"] for r in rows], color=color, marker=marker, label=name)
    floor = section["import_floor"]["wall_s"]["median"]
    ax_time.axhline(floor, color="gray", linestyle="--", label=f"import floor {floor:.2f} s")
    ax_time.axhline(2 * floor, color="gray", linestyle="-.", linewidth=0.8, label=f"2x import floor {2 * floor:.2f} s")
    ax_mem.axhline(section["import_floor"]["maxrss_mib"]["median"], color="gray", linestyle="--", label="import floor")
    ax_time.set_xscale("log")
    ax_time.set_yscale("log")
    ax_time.set_xlabel("apps (N)")
    ax_time.set_ylabel("wall time per process (s)")
    ax_time.set_title(f"B1: program vs flat under mocks ({runs} runs per point)")
    ax_time.grid(True, which="both", alpha=0.3)
    ax_time.legend(fontsize=8, loc="upper left")
    ax_mem.set_xscale("log")
    ax_mem.set_xlabel("apps (N)")
    ax_mem.set_ylabel("peak RSS (MiB, median)")
    ax_mem.set_title("peak memory")
    ax_mem.grid(True, which="both", alpha=0.3)
    ax_mem.legend(fontsize=8, loc="upper left")
    machine = section.get("machine", {})
    load = machine.get("load_average_before") or []
    load_text = f", load average {load[0]:.1f} at start" if load else ""
    fig.suptitle(
        f"{machine.get('cpu_count', '?')} cores shared with background work{load_text}; {section.get('timestamp', '')}",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_b2(section: dict[str, Any], path: Path) -> None:
    """Program and flat program side by side: each operation's time, one group per stack size."""
    groups: list[tuple[str, float, float]] = []
    for row in section["runs"]:
        size = f"{row['resources']['custom']} resources"
        if "up_ratio" in row:
            groups.append((f"up from empty\n{size}", row["program"]["up_from_empty_s"], row["flat"]["up_from_empty_s"]))
        groups.append((f"no-change preview\n{size}", row["program"]["preview"]["median_s"],
                       row["flat"]["preview"]["median_s"]))  # fmt: skip
        groups.append((f"one-value change\n{size}", row["program"]["change_s"], row["flat"]["change_s"]))
    fig, ax = plt.subplots(figsize=(11, 5))
    xs = list(range(len(groups)))
    width = 0.38
    program = ax.bar([x - width / 2 for x in xs], [g[1] for g in groups], width, color="tab:red", label="program")
    flat = ax.bar([x + width / 2 for x in xs], [g[2] for g in groups], width, color="tab:blue", label="flat program")
    for bars in (program, flat):
        ax.bar_label(bars, fmt="%.1f s", fontsize=8)
    for x, (_, p, f) in zip(xs, groups, strict=True):
        ax.annotate(f"{p / f:.2f}x", (x, max(p, f)), textcoords="offset points", xytext=(0, 14), ha="center",
                    fontsize=9, fontweight="bold")  # fmt: skip
    ax.set_xticks(xs, [g[0] for g in groups], fontsize=8)
    ax.set_ylabel("wall time (s)")
    ax.set_ylim(0, max(max(g[1], g[2]) for g in groups) * 1.25)
    ax.set_title("B2: pulumi on the real node, program vs the flat typed program (same providers, same resources)")
    ax.legend(loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle(
        f"{section.get('machine', {}).get('cpu_count', '?')} cores; {section.get('timestamp', '')}", fontsize=9
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_b3(section: dict[str, Any], path: Path) -> None:
    """Each method's latencies against its bound and the polling floor (half the interval), one panel per server."""
    servers = section["servers"]
    fig, axes = plt.subplots(1, len(servers), figsize=(6 * len(servers), 5), sharey=True, squeeze=False)
    colors = {"csi": "tab:green", "injector": "tab:orange", "vso": "tab:purple"}
    for ax, (server, entry) in zip(axes[0], servers.items(), strict=True):
        for x, method in enumerate(colors):
            row = entry.get(method, {})
            if "samples_s" not in row:
                ax.text(x, 1, "failed", ha="center")
                continue
            samples = row["samples_s"]
            jitter = [x + (i - (len(samples) - 1) / 2) * 0.04 for i in range(len(samples))]
            ax.scatter(jitter, samples, color=colors[method], zorder=3, s=22)
            ax.hlines(row["p50_s"], x - 0.3, x + 0.3, color=colors[method], linewidth=2)
            ax.hlines(row["bound_s"], x - 0.35, x + 0.35, color="black", linestyle="--", linewidth=1)
            interval = row["configured_interval_s"]
            floor = interval / 2 + row.get("rollout_median_s", 0.0)
            ax.hlines(floor, x - 0.35, x + 0.35, color="gray", linestyle=":", linewidth=1)
            ax.annotate(f"p50 {row['p50_s']:.1f}s\n= {row['p50_fraction_of_bound']:.2f} of bound",
                        (x + 0.36, row["p50_s"]), fontsize=8, va="center")  # fmt: skip
        ax.set_xticks(range(len(colors)), list(colors))
        ax.set_xlim(-0.5, len(colors) - 0.1)
        ax.set_title(f"{server} {entry.get('server_version', '')}".strip(), fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0][0].set_ylabel("change to value in the pod (s)")
    axes[0][0].plot([], [], color="black", linestyle="--", label="bound (interval; VSO + rollout)")
    axes[0][0].plot([], [], color="gray", linestyle=":", label="polling floor (half the interval)")
    # Below the panels: inside one it would cover the samples nearest the top (CSI's max).
    fig.legend(fontsize=8, loc="lower center", ncol=2, frameon=False)
    fig.suptitle(f"B3: delivery into running pods on the real node, {section['method']['changes_per_method']} changes "
                 f"per method; {section.get('timestamp', '')}", fontsize=10)  # fmt: skip
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
