"""B1: evaluating the whole program under mocks, against the flat typed program a user would write instead."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import recording, results
from bench.analysis import growth, targets
from bench.measure import IMPORT_FLOOR, Sample, import_floor, python_argv, run_measured, worker
from bench.stats import median

DEFAULT_SIZES = (1, 10, 100, 500)
DEFAULT_RUNS = 5
PROFILE_N = 250
PLOT_FILE = results.RESULTS_DIR / "b1.png"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Series:
    samples: list[Sample]

    def wall(self) -> float:
        return median([s.wall_s for s in self.samples])

    def phase(self, name: str) -> float:
        return median([s.phases[name] for s in self.samples])

    def rss(self) -> float:
        return median([s.maxrss_mib for s in self.samples])

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "wall_s": {"median": self.wall(), "samples": [s.wall_s for s in self.samples]},
            "maxrss_mib": {"median": self.rss(), "samples": [s.maxrss_mib for s in self.samples]},
        }
        for name in sorted(self.samples[0].phases):
            data[name] = {"median": self.phase(name), "samples": [s.phases[name] for s in self.samples]}
        return data


def _counts(data: dict[str, Any]) -> dict[str, int]:
    custom = recording.custom_resources(data)
    return {
        "custom": len(custom),
        "components": len(data["resources"]) - len(custom),
        "providers": sum(1 for r in custom if r["type"].startswith(recording.PROVIDER_PREFIX)),
    }


def measure(sizes: Sequence[int], runs: int, workdir: Path, say: Callable[[str], None] = log) -> dict[str, Any]:
    """Fresh process per sample; program and flat alternate so background load hits both alike."""
    say(f"b1: import floor x{runs}")
    floor = Series([import_floor() for _ in range(runs)])
    rows = []
    for n in sizes:
        path = workdir / f"recording-{n}.json"
        say(f"b1: n={n}: record and verify the flat replay")
        worker("record", n, path)
        worker("verify", n, path)
        counts = _counts(recording.load(path))
        program: list[Sample] = []
        flat: list[Sample] = []
        for run in range(runs):
            program.append(worker("program", n))
            flat.append(worker("flat", n, path))
            say(f"b1: n={n} run {run + 1}/{runs}: program {program[-1].wall_s:.2f}s, flat {flat[-1].wall_s:.2f}s")
        rows.append({"n": n, "registrations": counts, "program": Series(program), "flat": Series(flat)})
    return {"floor": floor, "rows": rows}


def _machine(load_before: list[float]) -> dict[str, Any]:
    info = results.machine_info()
    after = info.pop("load_average")
    return {**info, "load_average_before": load_before, "load_average_after": [round(x, 2) for x in after]}


def summarize(raw: dict[str, Any], runs: int, started: str, load_before: list[float]) -> dict[str, Any]:
    floor: Series = raw["floor"]
    rows = raw["rows"]
    sizes = [r["n"] for r in rows]
    program_wall = [r["program"].wall() for r in rows]
    flat_wall = [r["flat"].wall() for r in rows]
    program_eval = [r["program"].phase("eval_s") for r in rows]
    flat_eval = [r["flat"].phase("eval_s") for r in rows]
    section: dict[str, Any] = {
        "status": "ok",
        "timestamp": started,
        "finished": results.now(),
        "machine": _machine(load_before),
        "method": {
            "runs_per_point": runs,
            "statistic": "median",
            "process": "fresh interpreter per sample; wall time from spawn to exit, peak RSS from wait4",
            "program": "__main__.py under pulumi.runtime.set_mocks with the test harness recorder, internal mode",
            "flat": "the flat program a user would write instead: bench/flat_typed.py generates it from the program's "
            "recorded registrations as Python source, one typed SDK constructor per resource (same class, name, "
            "inputs, secret inputs, provider; CustomResource for kinds without an SDK class), verified equal before "
            "timing, and runs it like a __main__.py (parse and evaluate)",
            "import_floor": f'python -c "{IMPORT_FLOOR}"',
            "eval_s": "time inside the mocked evaluation only (after imports and config generation)",
            "noise": "2-core machine with unrelated background compilation; medians, not means",
        },
        "import_floor": floor.as_dict(),
        "sizes": [
            {
                "n": r["n"],
                "registrations": r["registrations"],
                "program": r["program"].as_dict(),
                "flat": r["flat"].as_dict(),
                "overhead_ratio_wall": r["program"].wall() / r["flat"].wall(),
                "overhead_ratio_eval": r["program"].phase("eval_s") / r["flat"].phase("eval_s"),
            }
            for r in rows
        ],
    }
    if len(sizes) >= 2:
        program_growth = growth(sizes, program_wall)
        section["growth"] = {
            "program_wall": program_growth.as_dict(),
            "flat_wall": growth(sizes, flat_wall).as_dict(),
            "program_eval": growth(sizes, program_eval).as_dict(),
            "flat_eval": growth(sizes, flat_eval).as_dict(),
        }
        section["targets"] = targets(sizes, program_wall, flat_wall, floor.wall(), program_growth)
    return section


def table(section: dict[str, Any]) -> str:
    floor = section["import_floor"]
    lines = [
        f"B1 program evaluation under mocks (median of {section['method']['runs_per_point']} fresh processes; "
        "noisy 2-core machine)",
        f"import floor: {floor['wall_s']['median']:.3f} s wall, {floor['maxrss_mib']['median']:.0f} MiB peak RSS",
        "",
        f"{'N':>5} {'custom':>6} {'comp':>5} | {'program s':>9} {'flat s':>7} {'ratio':>6} | "
        f"{'prog eval':>9} {'flat eval':>9} {'ratio':>6} | {'prog MiB':>8} {'flat MiB':>8}",
    ]
    for row in section["sizes"]:
        p, f = row["program"], row["flat"]
        lines.append(
            f"{row['n']:>5} {row['registrations']['custom']:>6} {row['registrations']['components']:>5} | "
            f"{p['wall_s']['median']:>9.3f} {f['wall_s']['median']:>7.3f} {row['overhead_ratio_wall']:>6.2f} | "
            f"{p['eval_s']['median']:>9.3f} {f['eval_s']['median']:>9.3f} {row['overhead_ratio_eval']:>6.2f} | "
            f"{p['maxrss_mib']['median']:>8.0f} {f['maxrss_mib']['median']:>8.0f}"
        )
    grown = section.get("growth")
    if grown:
        lines.append("")
        for key in ("program_wall", "flat_wall", "program_eval", "flat_eval"):
            g = grown[key]
            ratio = g["cost_ratio"]
            exponent = g["exponent"]
            costs = " ".join(f"{c * 1000:.1f}" for c in g["per_app_costs_s"])
            lines.append(
                f"{key:<13} fit {g['fit']['slope_s_per_app'] * 1000:6.2f} ms/app, R2 {g['fit']['r2']:.4f}; "
                f"per-app cost by n [{costs}] ms, last/previous {'n/a' if ratio is None else f'{ratio:.2f}'}, "
                f"exponent {'n/a' if exponent is None else f'{exponent:.2f}'}: {g['verdict']}"
            )
        t = section["targets"]
        at = str(t["overhead_at_n"])
        lines.append(
            f"overhead ratio program/flat (wall) at n={at}: {t['overhead_ratio_by_n'][at]:.2f}, target <= "
            f"{t['overhead_target']}: {'met' if t['overhead_ok'] else 'NOT met'}; growth linear: "
            f"{'met' if t['linear_ok'] else 'NOT met'}"
        )
        lines.append(
            f"n={t['largest_n']}: {t['largest_n_time_s']:.2f} s vs budget {t['largest_n_budget_s']:.2f} s "
            f"({t['largest_n_budget_rule']}); {t['largest_n_over_floor']:.1f}x the import floor: "
            f"{'met' if t['largest_n_ok'] else 'NOT met'}"
        )
    profile = section.get("profile")
    if profile:
        lines.append("")
        lines.append(f"profile at n={profile['n']} ({profile['total_s']:.2f} s profiled), top cumulative costs:")
        for item in profile["cumulative"][:10]:
            lines.append(f"  {item['seconds']:7.3f} s {item['share'] * 100:5.1f}%  {item['function']}")
    return "\n".join(lines)


def profile_summary(n: int, workdir: Path) -> dict[str, Any]:
    out = workdir / f"profile-{n}.json"
    run_measured(python_argv("-m", "bench", "profile", str(n), "--json", str(out)))
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    runs: int = DEFAULT_RUNS,
    results_file: Path = results.RESULTS_FILE,
    plot_file: Path | None = PLOT_FILE,
    profile: bool = True,
) -> dict[str, Any]:
    """Measure, analyse, profile when a target is missed, print the table, merge section b1, plot."""
    started = results.now()
    load_before = [round(x, 2) for x in os.getloadavg()]
    begin = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-b1-") as temp:
        workdir = Path(temp)
        raw = measure(sorted(set(sizes)), runs, workdir)
        section = summarize(raw, runs, started, load_before)
        t = section.get("targets")
        missed = t is not None and not (t["overhead_ok"] and t["linear_ok"])
        if profile and missed:
            n = min(PROFILE_N, max(sizes))
            log(f"b1: a target is missed; profiling n={n}")
            section["profile"] = profile_summary(n, workdir)
    section["duration_s"] = time.perf_counter() - begin
    print(table(section), flush=True)
    results.merge_section("b1", section, results_file)
    if plot_file is not None:
        from bench.plot import plot_b1

        plot_b1(section, plot_file)
        section["plot"] = plot_file.name
        results.merge_section("b1", section, results_file)
    log(f"b1: {section['duration_s']:.0f} s; results in {results_file}")
    return section
