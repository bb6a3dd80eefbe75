"""Tests of the budget frontier (Sherbrooke's marginal analysis) in planner.frontier.

Truths: a hand-worked two-part case, brute force over every allocation of up to four
parts, an independent one-unit-at-a-time greedy with a heap, and the per-part EBO and
fill rate of planner.policy's functions.
"""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import PlannerError
from planner.frontier import (
    Frontier,
    FrontierObjective,
    _first_levels,
    budget_frontier,
)
from planner.policy import OutageProcess, fill_rate, mixture_ebo, mixture_means

DAYS = 365.0


def _frontier(demand, lead, cost, downtime=None, **kwargs) -> Frontier:
    """budget_frontier on plain lists (downtime cost NaN unless given)."""
    n = len(demand)
    return budget_frontier(
        demand_per_year=np.asarray(demand, float),
        lead_time_days=np.asarray(lead, float),
        unit_cost=np.asarray(cost, float),
        downtime_cost_per_day=np.full(n, np.nan)
        if downtime is None
        else np.asarray(downtime, float),
        **kwargs,
    )


def _model(demand, lead, outage=None):
    """Mixture means and weights of the outstanding orders, as policy.py builds them."""
    n = len(demand)
    outage = outage if outage is not None else OutageProcess.none(n)
    return mixture_means(
        np.asarray(demand, float) / DAYS, np.asarray(lead, float), outage
    )


def _part_curves(demand, lead, vtm, outage, s_max):
    """EBO(S) and fill(S), S = 0..s_max, per part from policy.py (independent truth)."""
    n = len(demand)
    means, weights = _model(demand, lead, outage)
    v = None if vtm is None else np.asarray(vtm, float)
    levels = np.arange(s_max + 1)
    ebo = np.empty((n, s_max + 1))
    fill = np.empty((n, s_max + 1))
    for s in levels:  # test oracle: one policy.py call per level
        s_vec = np.full(n, s)
        ebo[:, s] = mixture_ebo(s_vec, means, weights, v)
        fill[:, s] = fill_rate(s_vec, means, weights, v)
    return ebo, fill


def _step_levels(fr: Frontier) -> np.ndarray:
    """Base-stock levels at every step of the greedy sequence, (n_steps + 1, n)."""
    one_hot = np.zeros((fr.n_steps + 1, fr.n_parts), dtype=np.int64)
    one_hot[np.arange(1, fr.n_steps + 1), fr.step_part] = 1
    return fr.start_level + np.cumsum(one_hot, axis=0)


def test_hand_worked_two_parts():
    """Two parts, worked by hand, give the greedy order and frontier points below."""
    # Part A: lambda L = 365/yr * 1 d = 1 unit outstanding, unit cost 1.
    # Part B: lambda L = 730/yr * 1 d = 2 units outstanding, unit cost 2.
    # EBO(S) - EBO(S+1) = P(X > S); Poisson tails:
    #   A (mean 1): P(X>0) = 1 - e^-1 = 0.632121, P(X>1) = 1 - 2e^-1 = 0.264241,
    #               P(X>2) = 1 - 2.5e^-1 = 0.080301
    #   B (mean 2): P(X>0) = 1 - e^-2 = 0.864665, P(X>1) = 1 - 3e^-2 = 0.593994,
    #               P(X>2) = 1 - 5e^-2 = 0.323324, P(X>3) = 1 - 19/3 e^-2 = 0.142877
    # Ratios per euro: A 0.632, 0.264, 0.080; B 0.432, 0.297, 0.162, 0.071.
    # Greedy order: A1 (0.632), B1 (0.432), B2 (0.297), A2 (0.264), B3 (0.162),
    # A3 (0.080), B4 (0.071). Total EBO starts at 1 + 2 = 3:
    #   invest 0: 3.000000        S = (0, 0)
    #   invest 1: 2.367879        S = (1, 0)
    #   invest 3: 1.503215        S = (1, 1)
    #   invest 5: 0.909221        S = (1, 2)
    #   invest 6: 0.644979        S = (2, 2)
    #   invest 8: 0.321656        S = (2, 3)
    #   invest 9: 0.241354        S = (3, 3)
    #   invest 11: 0.098478       S = (3, 4)
    # Fill rate (Poisson, P(X <= S-1)), demand-weighted 1:2, at S = (1, 1):
    #   (e^-1 + 2 e^-2) / 3 = 0.212856.
    fr = _frontier([365.0, 730.0], [1.0, 1.0], [1.0, 2.0])
    e1, e2 = math.exp(-1.0), math.exp(-2.0)
    expected_ebo = [3.0, 2.0 + e1, 1.0 + e1 + e2, e1 + 4 * e2, 3 * e1 + 4 * e2 - 1]
    assert fr.investment[:8].tolist() == [0.0, 1.0, 3.0, 5.0, 6.0, 8.0, 9.0, 11.0]
    np.testing.assert_allclose(fr.total_ebo[:5], expected_ebo, rtol=1e-12)
    closed = [3 * e1 + 9 * e2 - 2, 5.5 * e1 + 9 * e2 - 3, 5.5 * e1 + 46 / 3 * e2 - 4]
    np.testing.assert_allclose(fr.total_ebo[5:8], closed, rtol=1e-12)
    np.testing.assert_allclose(
        fr.total_ebo[5:8], [0.321656, 0.241354, 0.098478], atol=6e-7
    )
    np.testing.assert_allclose(fr.fill_rate[2], (e1 + 2 * e2) / 3, rtol=1e-12)
    assert fr.step_part[:7].tolist() == [0, 1, 1, 0, 1, 0, 1]
    # Budget 4 buys only the point at 3 (one unit each); the point at 5 is too dear.
    alloc = fr.allocation_at(4.0)
    assert alloc.base_stock_level.tolist() == [1, 1]
    assert alloc.investment == 3.0
    np.testing.assert_allclose(alloc.total_ebo, 1.0 + e1 + e2, rtol=1e-12)
    assert fr.allocation_at(5.0).base_stock_level.tolist() == [1, 2]


def _brute_force_check(fr: Frontier, ebo_curves: np.ndarray, cost, value_weight):
    """Every frontier step is optimal for its own investment, by enumeration.

    ``ebo_curves`` (n, s_max + 1) are the per-part EBOs; the objective is
    sum(value_weight * EBO). Part i ranges over 0..top_i, its level at the end of
    the frontier (past it each unit lowers EBO by < ebo_tolerance = 1e-9).
    Returns the objective at every step, from the curves.
    """
    n = ebo_curves.shape[0]
    levels = _step_levels(fr)
    ranges = [range(int(top) + 1) for top in levels[-1]]
    grid = np.array(list(itertools.product(*ranges))).reshape(-1, n)
    invest = grid @ np.asarray(cost, float)
    value = (value_weight[None, :] * ebo_curves[np.arange(n), grid]).sum(axis=1)
    order = np.argsort(invest, kind="stable")
    best = np.minimum.accumulate(value[order])  # best value for cost <= invest
    step_value = (value_weight[None, :] * ebo_curves[np.arange(n), levels]).sum(axis=1)
    reach = np.searchsorted(invest[order], fr.step_investment + 1e-9, "right") - 1
    np.testing.assert_allclose(step_value, best[reach], rtol=1e-10, atol=1e-10)
    return step_value


def test_frontier_optimal_against_brute_force_mixed_parts():
    """Poisson, NB, outage and NB-with-outage parts: each step beats every allocation."""
    demand = [12.0, 30.0, 10.0, 15.0]
    lead = [30.0, 10.0, 45.0, 20.0]
    cost = [50.0, 20.0, 130.0, 35.0]
    vtm = [1.0, 1.8, 1.0, 1.5]
    outage = OutageProcess(
        rate_per_year=np.array([0.0, 0.0, 1.0, 2.0]),
        duration_days=np.array([0.0, 0.0, 30.0, 14.0]),
        exponential=np.array([False, False, False, True]),
    )
    fr = _frontier(
        demand, lead, cost, variance_to_mean=vtm, outage=outage, ebo_tolerance=1e-9
    )
    top = _step_levels(fr)[-1]
    assert np.prod(top + 1) < 300_000  # keep the enumeration small
    ebo, _ = _part_curves(demand, lead, vtm, outage, int(top.max()))
    step_value = _brute_force_check(fr, ebo, cost, np.ones(4))
    np.testing.assert_allclose(
        fr.total_ebo, step_value[_thinned(fr)], rtol=1e-9, atol=1e-12
    )


def _thinned(fr: Frontier) -> np.ndarray:
    """Step indices of the point arrays (n_units counts the units bought)."""
    return fr.n_units - int(fr.start_level.sum())


@settings(max_examples=25, deadline=None)
@given(
    n_parts=st.integers(1, 3),
    data=st.data(),
)
def test_frontier_optimal_brute_force_property(n_parts, data):
    """On random small Poisson catalogs every greedy step is optimal for its cost."""
    demand = data.draw(
        st.lists(st.floats(1.0, 80.0), min_size=n_parts, max_size=n_parts)
    )
    lead = data.draw(st.lists(st.floats(1.0, 30.0), min_size=n_parts, max_size=n_parts))
    cost = data.draw(st.lists(st.integers(1, 50), min_size=n_parts, max_size=n_parts))
    fr = _frontier(demand, lead, cost, ebo_tolerance=1e-9)
    top = int(_step_levels(fr)[-1].max())
    ebo, _ = _part_curves(demand, lead, None, None, top)
    _brute_force_check(fr, ebo, cost, np.ones(n_parts))


def _heap_greedy(ebo_curves: np.ndarray, cost, weight, tolerance):
    """Independent marginal analysis: one unit at a time from a max-heap."""
    n = ebo_curves.shape[0]
    level = [0] * n
    heap = []
    for i in range(n):
        if weight[i] > 0 and ebo_curves[i, 0] >= tolerance:
            heapq.heappush(
                heap, (-weight[i] * (ebo_curves[i, 0] - ebo_curves[i, 1]) / cost[i], i)
            )
    invest, total = [0.0], [float((weight * ebo_curves[:, 0]).sum())]
    while heap:
        _, i = heapq.heappop(heap)
        s = level[i]
        total.append(total[-1] - weight[i] * (ebo_curves[i, s] - ebo_curves[i, s + 1]))
        invest.append(invest[-1] + cost[i])
        level[i] = s + 1
        if ebo_curves[i, s + 1] >= tolerance:
            gain = weight[i] * (ebo_curves[i, s + 1] - ebo_curves[i, s + 2])
            heapq.heappush(heap, (-gain / cost[i], i))
    return np.array(invest), np.array(total)


def test_matches_heap_greedy_downtime_objective():
    """The downtime objective equals a unit-by-unit heap greedy on b * EBO / c."""
    demand = [12.0, 200.0, 45.0, 3.0, 80.0]
    lead = [60.0, 7.0, 21.0, 120.0, 14.0]
    cost = [400.0, 15.0, 60.0, 900.0, 25.0]
    downtime = [800.0, 50.0, np.nan, 2000.0, 120.0]
    fr = _frontier(
        demand,
        lead,
        cost,
        downtime,
        objective="downtime_cost",
        ebo_tolerance=1e-6,
        max_points=10_000,
    )
    assert fr.objective is FrontierObjective.DOWNTIME_COST
    ebo, _ = _part_curves(demand, lead, None, None, 200)
    weight = np.nan_to_num(np.asarray(downtime), nan=0.0) * DAYS
    invest, total = _heap_greedy(ebo, cost, weight, 1e-6)
    np.testing.assert_allclose(fr.investment, invest, rtol=1e-12)
    np.testing.assert_allclose(fr.expected_downtime_cost, total, rtol=1e-9, atol=1e-6)
    assert np.all(fr.step_part != 2)  # no downtime cost: no units


def test_downtime_objective_brute_force():
    """Downtime-weighted steps are optimal for their cost among all allocations."""
    demand, lead, cost = [30.0, 90.0, 10.0], [20.0, 10.0, 40.0], [10.0, 4.0, 30.0]
    downtime = [100.0, 10.0, 500.0]
    fr = _frontier(
        demand, lead, cost, downtime, objective="downtime_cost", ebo_tolerance=1e-9
    )
    top = int(_step_levels(fr)[-1].max())
    ebo, _ = _part_curves(demand, lead, None, None, top)
    step_value = _brute_force_check(fr, ebo, cost, np.asarray(downtime) * DAYS)
    np.testing.assert_allclose(
        fr.expected_downtime_cost, step_value[_thinned(fr)], rtol=1e-9, atol=1e-9
    )


def test_figures_equal_policy_functions():
    """Per-part EBO and fill rate at a budget equal policy.py's, totals their sums."""
    rng = np.random.default_rng(20240601)
    n = 40
    demand = rng.lognormal(1.5, 1.0, n)
    lead = rng.uniform(5, 120, n)
    cost = rng.lognormal(3, 1, n)
    downtime = np.where(rng.random(n) < 0.5, rng.uniform(10, 500, n), np.nan)
    vtm = np.where(rng.random(n) < 0.4, rng.uniform(1.2, 4.0, n), 1.0)
    outage = OutageProcess(
        rate_per_year=np.where(rng.random(n) < 0.4, 0.8, 0.0),
        duration_days=np.full(n, 25.0),
        exponential=rng.random(n) < 0.5,
    )
    start = rng.integers(0, 3, n)
    demand[3] = 0.0  # no demand: stays put, weight 0 in the fill rate
    fr = budget_frontier(
        demand_per_year=demand,
        lead_time_days=lead,
        unit_cost=cost,
        downtime_cost_per_day=downtime,
        variance_to_mean=vtm,
        outage=outage,
        min_level=start,
    )
    means, weights = _model(demand, lead, outage)
    for budget in np.quantile(fr.investment, [0.0, 0.1, 0.5, 0.9, 1.0]):
        alloc = fr.allocation_at(budget)
        level = alloc.base_stock_level
        ebo = mixture_ebo(level, means, weights, vtm)
        fill = np.where(demand > 0, fill_rate(level, means, weights, vtm), 1.0)
        np.testing.assert_allclose(alloc.expected_backorders, ebo, atol=1e-9)
        np.testing.assert_allclose(alloc.fill_rate_by_part, fill, atol=1e-9)
        assert alloc.total_ebo == pytest.approx(ebo.sum(), abs=1e-8)
        assert alloc.fill_rate == pytest.approx(np.dot(demand, fill) / demand.sum())
        downtime_year = np.nan_to_num(downtime) * DAYS * ebo
        assert alloc.expected_downtime_cost == pytest.approx(downtime_year.sum())
        assert alloc.investment == pytest.approx(np.dot(cost, level))
        assert alloc.investment <= budget + 1e-9
        assert alloc.n_units == level.sum()
        assert np.all(level >= start)
        assert level[3] == start[3]
    # the point arrays hold the same totals as the allocation at their investment
    k = len(fr.investment) // 2
    alloc = fr.allocation_at(fr.investment[k])
    assert alloc.total_ebo == pytest.approx(fr.total_ebo[k], abs=1e-8)
    assert alloc.fill_rate == pytest.approx(fr.fill_rate[k], abs=1e-10)
    assert alloc.n_units == fr.n_units[k]


def test_monotone_and_convex():
    """Investment rises, EBO and downtime cost fall, fill rises, ratios fall."""
    rng = np.random.default_rng(3)
    n = 300
    fr = budget_frontier(
        demand_per_year=rng.lognormal(1, 1.2, n),
        lead_time_days=rng.uniform(3, 180, n),
        unit_cost=rng.lognormal(4, 1.5, n),
        downtime_cost_per_day=rng.uniform(0, 300, n),
        variance_to_mean=np.where(rng.random(n) < 0.3, 2.0, 1.0),
        max_points=100_000,
    )
    assert len(fr.investment) == fr.n_steps + 1
    assert np.all(np.diff(fr.investment) > 0)
    assert np.all(np.diff(fr.total_ebo) <= 1e-12)
    assert np.all(np.diff(fr.expected_downtime_cost) <= 1e-9)
    assert np.all(np.diff(fr.fill_rate) >= -1e-12)
    assert np.all(np.diff(fr.marginal_ratio[1:]) <= 0)
    # lower convex hull: the slope between successive points never steepens
    slope = np.diff(fr.total_ebo) / np.diff(fr.investment)
    assert np.all(np.diff(slope) >= -1e-12)
    assert fr.total_ebo[-1] < n * 1e-6
    assert fr.fill_rate[-1] > 0.999


def test_thinning_keeps_ends_and_true_points():
    """max_points caps the point arrays at true steps, first and last included."""
    rng = np.random.default_rng(5)
    n = 200
    args = {
        "demand_per_year": rng.lognormal(2, 1, n),
        "lead_time_days": rng.uniform(10, 90, n),
        "unit_cost": rng.lognormal(3, 1, n),
        "downtime_cost_per_day": np.full(n, np.nan),
    }
    full = budget_frontier(**args, max_points=1_000_000)
    thin = budget_frontier(**args, max_points=50)
    assert len(thin.investment) <= 50
    assert thin.investment[0] == full.investment[0]
    assert thin.investment[-1] == full.investment[-1]
    idx = _thinned(thin)
    np.testing.assert_array_equal(thin.investment, full.investment[idx])
    np.testing.assert_array_equal(thin.total_ebo, full.total_ebo[idx])
    np.testing.assert_array_equal(thin.step_part, full.step_part)


def test_max_investment_truncates_the_same_sequence():
    """A cap keeps the uncapped sequence up to the last step within it."""
    demand, lead, cost = [50.0, 20.0, 5.0], [30.0, 60.0, 90.0], [10.0, 25.0, 80.0]
    full = _frontier(demand, lead, cost, max_points=100_000)
    cap = 0.4 * full.investment[-1]
    capped = _frontier(demand, lead, cost, max_investment=cap, max_points=100_000)
    k = capped.n_steps
    assert capped.investment[-1] <= cap
    at_start = _frontier(demand, lead, cost, min_level=2, max_investment=230.0 - 1e-12)
    assert at_start.n_steps == 0  # a cap at the start investment: one point
    assert full.step_investment[k + 1] > cap
    np.testing.assert_array_equal(capped.step_part, full.step_part[:k])
    np.testing.assert_allclose(capped.total_ebo, full.total_ebo[: k + 1], rtol=1e-12)


def test_min_level_start_and_free_parts():
    """min_level sets the first point; free parts get their units before any other."""
    fr = _frontier(
        [10.0, 30.0, 0.0], [30.0, 30.0, 30.0], [0.0, 5.0, 7.0], min_level=[0, 2, 4]
    )
    assert fr.investment[0] == 2 * 5.0 + 4 * 7.0
    assert fr.n_units[0] == 6
    n_free = int(np.sum(fr.step_part == 0))
    assert n_free > 0
    assert np.all(fr.step_part[:n_free] == 0)
    assert np.all(fr.step_part != 2)  # no demand: no units
    assert np.isinf(fr.marginal_ratio[1])
    alloc = fr.allocation_at(np.inf)
    assert alloc.base_stock_level[2] == 4
    assert alloc.investment == fr.investment[-1]


def test_scalar_min_level_and_no_parts():
    """A scalar min_level applies to all parts; an empty catalog gives one point."""
    fr = _frontier([10.0, 10.0], [30.0, 30.0], [1.0, 2.0], min_level=3)
    assert fr.start_level.tolist() == [3, 3]
    stocked = _frontier([10.0, 10.0], [30.0, 30.0], [1.0, 2.0], min_level=[0, 60])
    assert set(stocked.step_part.tolist()) == {0}  # part 1 is already past 1e-6
    assert stocked.allocation_at(np.inf).base_stock_level[1] == 60
    empty = _frontier([], [], [])
    assert empty.investment.tolist() == [0.0]
    assert empty.fill_rate.tolist() == [1.0]
    assert empty.allocation_at(10.0).base_stock_level.shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"unit_cost": [1.0, -1.0]}, "unit_cost"),
        ({"lead_time_days": [1.0, np.inf]}, "lead_time_days"),
        ({"demand_per_year": [1.0, np.nan]}, "demand_per_year"),
        ({"downtime_cost_per_day": [-1.0, np.nan]}, "downtime_cost_per_day"),
        ({"unit_cost": [1.0, 2.0, 3.0]}, r"unit_cost must have shape \(2,\)"),
        ({"variance_to_mean": [1.0, -2.0]}, "variance_to_mean"),
        ({"min_level": [0, 1.5]}, "min_level"),
        ({"min_level": [-1, 0]}, "min_level"),
        ({"min_level": [0, 0, 0]}, "min_level"),
        ({"objective": "fill"}, "objective"),
        ({"max_points": 1}, "max_points"),
        ({"max_points": np.nan}, "max_points"),
        ({"ebo_tolerance": 0.0}, "ebo_tolerance"),
        ({"min_level": [2, 2], "max_investment": 3.0}, "max_investment"),
        ({"max_investment": np.nan}, "max_investment"),
        (
            {
                "outage": OutageProcess(
                    rate_per_year=np.zeros(2),
                    duration_days=np.zeros(2),
                    exponential=np.zeros(3, dtype=bool),
                )
            },
            "outage.exponential",
        ),
        (
            {
                "outage": OutageProcess(
                    rate_per_year=np.array([0.0, -1.0]),
                    duration_days=np.zeros(2),
                    exponential=np.zeros(2, dtype=bool),
                )
            },
            "outage.rate_per_year",
        ),
        ({"demand_per_year": [[1.0, 2.0]]}, "1-D"),
    ],
)
def test_raises_on_bad_input(kwargs, match):
    """Every documented bad input raises PlannerError naming the field."""
    args = {
        "demand_per_year": [10.0, 20.0],
        "lead_time_days": [10.0, 20.0],
        "unit_cost": [1.0, 2.0],
        "downtime_cost_per_day": [np.nan, 5.0],
    } | kwargs
    with pytest.raises(PlannerError, match=match):
        budget_frontier(**args)


@pytest.mark.parametrize("budget", [np.nan, -1.0, 5.0])
def test_allocation_at_raises_below_start(budget):
    """A budget below the starting investment (or NaN) raises PlannerError."""
    fr = _frontier([10.0, 20.0], [10.0, 20.0], [1.0, 2.0], min_level=[2, 2])
    with pytest.raises(PlannerError, match="budget"):
        fr.allocation_at(budget)


def test_heavy_tailed_outage_reaches_the_tolerance():
    """A long exponential outage outruns the first guess; the frontier still ends
    exactly at the first level whose EBO (policy.py) is below the tolerance."""
    demand, lead, cost = [20.0, 5.0], [30.0, 60.0], [10.0, 10.0]
    outage = OutageProcess(
        rate_per_year=np.array([0.9, 0.0]),
        duration_days=np.array([365.0, 0.0]),
        exponential=np.array([True, False]),
    )
    fr = _frontier(demand, lead, cost, outage=outage)
    end = fr.allocation_at(np.inf).base_stock_level
    means, weights = _model(demand, lead, outage)
    guess = _first_levels(np.zeros(1, np.int64), means[:1], weights[:1], None, 1e-6)
    n_levels = 3000  # the exact busy-period law at r d = 0.9 has a long tail
    levels = np.arange(n_levels)
    ebo = mixture_ebo(
        levels, np.repeat(means[:1], n_levels, 0), np.repeat(weights[:1], n_levels, 0)
    )
    assert ebo[-1] < 1e-6
    assert end[0] == int(np.argmax(ebo < 1e-6))
    assert end[0] > guess[0]  # the retry with a doubled span was needed
    final = mixture_ebo(end, means, weights)
    assert fr.total_ebo[-1] == pytest.approx(final.sum(), abs=1e-9)


def test_downtime_objective_leaves_parts_without_cost():
    """NB and outage parts without a downtime cost get no units under that objective."""
    n = 4
    fr = _frontier(
        [10.0, 20.0, 30.0, 40.0],
        [20.0] * n,
        [5.0] * n,
        [np.nan, np.nan, 50.0, 0.0],
        variance_to_mean=[2.0, 1.0, 2.0, 2.0],
        outage=OutageProcess(
            rate_per_year=np.array([1.0, 1.0, 0.0, 1.0]),
            duration_days=np.full(n, 10.0),
            exponential=np.zeros(n, dtype=bool),
        ),
        objective="downtime_cost",
    )
    assert set(fr.step_part.tolist()) == {2}
    assert fr.expected_downtime_cost[-1] < 50.0 * DAYS * 1e-6
