"""Least squares, growth verdicts and targets."""

import math

import pytest

from bench.analysis import OVERHEAD_TARGET, budget_at, growth, targets
from bench.stats import linear_fit, marginal_cost, median


def test_exact_line_is_recovered() -> None:
    fit = linear_fit([1, 10, 100, 500], [0.5 + 0.02 * n for n in (1, 10, 100, 500)])
    assert fit.slope == pytest.approx(0.02)
    assert fit.intercept == pytest.approx(0.5)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.predict(1000) == pytest.approx(20.5)


def test_scatter_lowers_r2() -> None:
    fit = linear_fit([0, 1, 2, 3], [0.0, 2.0, 1.0, 3.0])
    assert fit.slope == pytest.approx(0.8)
    assert fit.intercept == pytest.approx(0.3)
    assert fit.r2 == pytest.approx(0.64)


def test_fit_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        linear_fit([1], [1])
    with pytest.raises(ValueError):
        linear_fit([2, 2], [1, 3])
    with pytest.raises(ValueError):
        linear_fit([1, 2], [1])


def test_median_and_marginal_cost() -> None:
    assert median([5.0, 1.0, 3.0, 100.0, 2.0]) == 3.0
    assert marginal_cost(100, 3.0, 500, 11.0) == pytest.approx(0.02)
    with pytest.raises(ValueError):
        median([])


def test_linear_growth_is_called_linear() -> None:
    sizes = [1, 10, 100, 500]
    g = growth(sizes, [1.0 + 0.03 * n for n in sizes])
    assert g.verdict == "linear"
    assert g.cost_ratio == pytest.approx(1.0)
    assert g.exponent == pytest.approx(1.0)
    assert g.per_app_costs == pytest.approx([0.03, 0.03, 0.03])


def test_quadratic_growth_is_called_superlinear_though_r2_is_high() -> None:
    sizes = [1, 10, 100, 500]
    g = growth(sizes, [1.0 + 0.01 * n + 0.0001 * n * n for n in sizes])
    assert g.fit.r2 > 0.95
    assert g.verdict == "superlinear"
    assert g.cost_ratio is not None and g.cost_ratio > 2
    assert g.exponent is not None and 1.6 < g.exponent < 1.8


def test_growth_needs_ascending_sizes() -> None:
    with pytest.raises(ValueError):
        growth([10, 1, 100], [1.0, 2.0, 3.0])


def test_targets_overhead_and_budget() -> None:
    sizes = [1, 10, 100, 500]
    flat = [1.0 + 0.01 * n for n in sizes]
    program = [1.1 * t for t in flat]
    g = growth(sizes, program)
    t = targets(sizes, program, flat, floor_s=1.0, program=g)
    assert t["overhead_ok"] and math.isclose(max(t["overhead_ratio_by_n"].values()), 1.1)
    assert t["linear_ok"] and t["overhead_at_n"] == 500
    assert t["largest_n_budget_s"] == pytest.approx(budget_at(500, 1.0, 0.011))
    assert t["largest_n_ok"]
    slow = [p * 1.2 for p in program]
    assert not targets(sizes, slow, flat, 1.0, growth(sizes, slow))["overhead_ok"]
    assert OVERHEAD_TARGET == 1.15


def test_the_overhead_is_judged_at_the_largest_size() -> None:
    """A fixed start-up cost weighs at one app and fades at 500: the goal is the ratio at the largest size."""
    sizes = [1, 10, 100, 500]
    flat = [1.0 + 0.01 * n for n in sizes]
    program = [f + 0.3 for f in flat]
    t = targets(sizes, program, flat, floor_s=1.0, program=growth(sizes, program))
    assert t["overhead_ratio_by_n"]["1"] > 1.15 and t["overhead_ok"]


def test_superlinear_program_misses_the_budget_at_the_largest_size() -> None:
    sizes = [1, 10, 100, 500]
    program = [0.5 + 0.01 * n + 0.00005 * n * n for n in sizes]
    t = targets(sizes, program, program, floor_s=0.5, program=growth(sizes, program))
    assert not t["largest_n_ok"] and not t["linear_ok"]
