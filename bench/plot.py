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
