"""From per-size medians to the B1 verdicts: fits, per-app costs, overhead ratios and targets."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.stats import LinearFit, linear_fit, marginal_cost

OVERHEAD_TARGET = 1.15
FLOOR_MULTIPLE = 2.0
# Per-app cost at the largest size over that at the size before it; above this, growth is superlinear.
LINEAR_RATIO_LIMIT = 1.25
LINEAR_R2_MIN = 0.99


@dataclass(frozen=True)
class Growth:
    fit: LinearFit
    step_costs: list[float]
    """Per-app cost of each step between consecutive sizes (seconds per app)."""
    per_app_costs: list[float]
    """Per-app cost at each size after the first: (T(n) - T(n0)) / (n - n0), n0 the smallest size."""
    cost_ratio: float | None
    """Per-app cost at the largest size over that at the size before it (1.0 when linear)."""
    exponent: float | None
    """k in T(n) - T(n0) ~ (n - n0)^k between the two largest sizes (1.0 when linear)."""
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fit"] = {"slope_s_per_app": self.fit.slope, "intercept_s": self.fit.intercept, "r2": self.fit.r2}
        data["step_costs_s_per_app"] = data.pop("step_costs")
        data["per_app_costs_s"] = data.pop("per_app_costs")
        return data


def growth(sizes: Sequence[int], times: Sequence[float]) -> Growth:
    """How time grows with the number of apps, from medians at each size (sizes ascending)."""
    if list(sizes) != sorted(set(sizes)):
        raise ValueError(f"sizes must be distinct and ascending: {list(sizes)}")
    fit = linear_fit([float(n) for n in sizes], times)
    steps = [marginal_cost(sizes[i], times[i], sizes[i + 1], times[i + 1]) for i in range(len(sizes) - 1)]
    per_app = [marginal_cost(sizes[0], times[0], n, t) for n, t in zip(sizes[1:], times[1:], strict=True)]
    cost_ratio = exponent = None
    if len(per_app) >= 2 and per_app[-2] > 0 and per_app[-1] > 0:
        cost_ratio = per_app[-1] / per_app[-2]
        spans = (sizes[-1] - sizes[0]) / (sizes[-2] - sizes[0])
        exponent = 1.0 + math.log(cost_ratio) / math.log(spans)
    if cost_ratio is None:
        verdict = "undetermined (needs three sizes with rising times)"
    elif cost_ratio > LINEAR_RATIO_LIMIT:
        verdict = "superlinear"
    elif fit.r2 < LINEAR_R2_MIN:
        verdict = "not linear (poor fit)"
    else:
        verdict = "linear"
    return Growth(fit, steps, per_app, cost_ratio, exponent, verdict)


def ratio(numerator: float, denominator: float) -> float:
    if denominator <= 0:
        raise ValueError("ratio to a non-positive time")
    return numerator / denominator


def budget_at(n: int, floor_s: float, per_app_s: float) -> float:
    """The target for `n` apps: twice the import floor plus a linear per-app cost."""
    return FLOOR_MULTIPLE * floor_s + n * per_app_s


def targets(
    sizes: Sequence[int], program_s: Sequence[float], flat_s: Sequence[float], floor_s: float, program: Growth
) -> dict[str, Any]:
    """Overhead ratio at every size, judged at the largest (the goal: at most OVERHEAD_TARGET there, where the
    fixed start-up cost no longer dominates), linear growth, and the largest size against 2x floor + linear cost.

    The linear cost per app is the program's own per-app cost at the second largest size, so
    superlinear growth beyond it, or a fixed cost above twice the import floor, fails the budget.
    """
    ratios = [ratio(p, f) for p, f in zip(program_s, flat_s, strict=True)]
    per_app = program.per_app_costs[-2] if len(program.per_app_costs) >= 2 else program.fit.slope
    budget = budget_at(sizes[-1], floor_s, per_app)
    return {
        "overhead_ratio_by_n": dict(zip((str(n) for n in sizes), ratios, strict=True)),
        "overhead_target": OVERHEAD_TARGET,
        "overhead_at_n": sizes[-1],
        "overhead_ok": ratios[-1] <= OVERHEAD_TARGET,
        "linear_ok": program.verdict == "linear",
        "largest_n": sizes[-1],
        "largest_n_time_s": program_s[-1],
        "largest_n_per_app_s": per_app,
        "largest_n_budget_s": budget,
        "largest_n_budget_rule": f"{FLOOR_MULTIPLE:g} x import floor + n x per-app cost at n={sizes[-2]}"
        if len(sizes) >= 2
        else f"{FLOOR_MULTIPLE:g} x import floor",
        "largest_n_over_floor": program_s[-1] / floor_s,
        "largest_n_ok": program_s[-1] <= budget,
    }
