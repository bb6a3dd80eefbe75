"""Tests of planner.sourcing: option costs against hand calculations, the MILP
against brute force, infeasibility explanations and the output rows.

The demand, print-estimate and scenario records are stood in by small local
dataclasses with the contract's field names: build_options only reads attributes.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pulp
import pytest
from scipy import stats

from planner import sourcing
from planner.catalog import Criticality, Part
from planner.errors import InfeasibleError, PlannerError, PlannerWarning
from planner.policy import OutageProcess
from planner.printers import Printer
from planner.sourcing import (
    MODES,
    Mode,
    ScenarioImpact,
    SourcingOptions,
    SourcingParams,
    build_options,
    build_sourcing_model,
    options_under_scenarios,
    solve_lp_relaxation,
    solve_sourcing,
    sourcing_table,
    summary_dict,
    sweep_budget,
    sweep_printer_count,
    with_printer_copies,
)

BUY, PS, POD, HY = (MODES.index(m) for m in Mode)


# ------------------------------------------------------------------ stand-ins


@dataclass(frozen=True, slots=True, kw_only=True)
class Demand:
    """Stand-in for planner.demand.DemandEstimate."""

    demand_per_year: np.ndarray
    variance_to_mean: np.ndarray
    source: np.ndarray
    method: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """Stand-in for planner.slicing.PrintEstimate."""

    print_time_s: float
    total_cost: float
    bbox_x_mm: float = 50.0
    bbox_y_mm: float = 50.0
    bbox_z_mm: float = 50.0
    filament_g: float = 20.0
    material_cost: float = 0.5
    machine_cost: float = 1.0
    material: str = "PETG"
    printer_id: str = ""

    @property
    def print_time_h(self) -> float:
        """Print time [h]."""
        return self.print_time_s / 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Disruption:
    """Stand-in for planner.scenarios.PartDisruption."""

    lead_time_factor: np.ndarray
    demand_factor: np.ndarray
    outage: OutageProcess
    ride_through_days: np.ndarray


def demand_of(rates) -> Demand:
    """Poisson demand estimate with the given rates [units/year]."""
    lam = np.asarray(rates, float)
    n = lam.shape[0]
    return Demand(
        demand_per_year=lam,
        variance_to_mean=np.ones(n),
        source=np.full(n, "catalog"),
        method=np.full(n, "poisson"),
    )


def printer(pid: str, size: float = 250.0, materials=("PETG", "PLA"), hours=40.0):
    """A printer with a cubic build volume of ``size`` mm."""
    return Printer(
        printer_id=pid,
        build_x_mm=size,
        build_y_mm=size,
        build_z_mm=size,
        hourly_rate=1.0,
        hours_available_per_week=hours,
        materials=tuple(materials),
    )


def part(pid: str, **kw) -> Part:
    """A printable part with the hand-calculation defaults, overridable."""
    base = {
        "part_id": pid,
        "unit_cost": 100.0,
        "annual_demand": 12.0,
        "lead_time_days": 30.0,
        "downtime_cost_per_day": 50.0,
        "order_cost": 2.0,
        "printable": True,
        "am_lifetime_ratio": 0.5,
        "am_qualification_cost": 300.0,
        "post_process_hours": 0.5,
    }
    base.update(kw)
    return Part(**base)


def impact(n, *, demand_factor=1.0, rate=0.0, duration=0.0, ride=0.0, p=1.0, name="s"):
    """A scenario impact with the same disruption for all ``n`` parts."""
    return ScenarioImpact(
        name=name,
        probability=p,
        horizon_days=365.0,
        disruption=Disruption(
            lead_time_factor=np.ones(n),
            demand_factor=np.full(n, demand_factor),
            outage=OutageProcess(
                rate_per_year=np.full(n, rate),
                duration_days=np.full(n, duration),
                exponential=np.zeros(n, bool),
            ),
            ride_through_days=np.full(n, ride),
        ),
    )


# ------------------------------------------- independent Poisson (mixture) maths

GRID = np.arange(0, 400)


def mix_pmf(means: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pmf on GRID of a Poisson mixture."""
    return (weights[:, None] * stats.poisson.pmf(GRID[None, :], means[:, None])).sum(0)


def fill_of(s: int, pmf: np.ndarray) -> float:
    """P(X <= s - 1)."""
    return float(pmf[:s].sum())


def ebo_of(s: int, pmf: np.ndarray) -> float:
    """E[(X - s)+]."""
    return float((np.maximum(GRID - s, 0) * pmf).sum())


def level_of(pmf: np.ndarray, target: float, b: float, h_day: float) -> int:
    """max(smallest S with fill >= target, smallest S with P(X <= S) >= b/(b+h))."""
    cdf = np.cumsum(pmf)
    s_fill = next(s for s in range(400) if fill_of(s, pmf) >= target)
    s_cost = next(s for s in range(400) if cdf[s] >= b / (b + h_day))
    return max(s_fill, s_cost)


def poisson_pmf(mean: float) -> np.ndarray:
    """Pmf on GRID of Poisson(mean)."""
    return stats.poisson.pmf(GRID, mean)


def outage_pmf(lam_day: float, lead: float, rate: float, dur: float, ride: float):
    """Outstanding OEM orders: the age of the down period in progress follows the
    exact M/D/inf busy-period law (planner.outages.age_survival), integrated by a
    4000-bin midpoint rule; a known window of ``ride`` days adds a uniform age for
    ride/365 of the time."""
    from planner.outages import age_survival

    k = 4000
    frac = ride / 365.0
    if rate > 0:
        edges = np.linspace(0.0, 12 * dur, k + 1)
        surv = age_survival(
            edges,
            np.full(k + 1, rate),
            np.full(k + 1, dur),
            np.zeros(k + 1, bool),
        )
        p_out = float(surv[0])
        bins = surv[:-1] - surv[1:]
        mids = (edges[:-1] + edges[1:]) / 2
    else:
        p_out, bins, mids = 0.0, np.zeros(k), np.zeros(k)
    ages = (np.arange(k) + 0.5) / k
    means = np.concatenate(
        [
            [lam_day * lead],
            lam_day * (lead + mids),
            lam_day * (lead + ages * ride),
        ]
    )
    weights = np.concatenate(
        [
            [(1 - p_out) * (1 - frac)],
            bins * (1 - frac),
            np.full(k, frac / k),
        ]
    )
    return mix_pmf(means, weights), p_out


# --------------------------------------------------------------- option costs


def hand_case(outage_rate=0.0, outage_days=0.0, ride=0.0):
    """Options for the one hand-worked part on one printer (P1, 40 h/week)."""
    parts = [part("A-1")]
    est = {("A-1", "P1"): Estimate(print_time_s=7200.0, total_cost=8.0)}
    params = SourcingParams()
    opts = options_under_scenarios(
        parts,
        demand_of([12.0]),
        est,
        [printer("P1")],
        params,
        impacts=[impact(1, rate=outage_rate, duration=outage_days, ride=ride)],
    )
    return opts


@pytest.mark.parametrize(
    ("rate", "dur", "ride"), [(0.0, 0.0, 0.0), (2.0, 20.0, 0.0), (1.0, 15.0, 30.0)]
)
def test_buy_stock_cost_matches_hand_calculation(rate, dur, ride):
    """buy_stock: S, purchase + ordering + holding + downtime under outages and a
    ride-through window, against an independent midpoint-rule mixture."""
    opts = hand_case(rate, dur, ride)
    lam, lead, c, hr, b, k = 12.0, 30.0, 100.0, 0.25, 50.0, 2.0
    pmf, _ = outage_pmf(lam / 365, lead, rate, dur, ride)
    s = level_of(pmf, 0.95, b, c * hr / 365)
    if ride > 0:  # the fill-rate floor must also hold at the window's worst moment
        s = max(
            s, level_of(poisson_pmf(lam / 365 * (lead + ride)), 0.95, b, c * hr / 365)
        )
    ebo = ebo_of(s, pmf)
    mean_x = float((GRID * pmf).sum())
    cost = lam * c + k * lam + (s - mean_x + ebo) * c * hr + b * 365 * ebo
    assert opts.base_stock_level[0, BUY] == s
    # tolerance: 64-node rule vs a 4000-bin midpoint rule on the exact law
    assert opts.cost[0, BUY] == pytest.approx(cost, rel=1e-5)
    assert opts.investment[0, BUY] == pytest.approx(s * c)
    assert opts.printer_hours[0, BUY] == 0.0
    assert opts.fill_rate[0, BUY] == pytest.approx(fill_of(s, pmf), abs=1e-5)


def test_print_options_match_hand_calculation():
    """print_stock and print_on_demand: c_p, L_p with the M/M/1 wait, S, costs and
    hours by hand (supplier outages must not change them)."""
    opts = hand_case(2.0, 20.0)
    c_p = 8.0 + 0.5 * 40.0
    lam_p = 12.0 / 0.5
    t = 2.0
    lead_p = (0.7 / 0.3 * t + t + 0.5) / (40.0 / 7.0)
    mu = lam_p * lead_p / 365
    b, hr, qual = 50.0, 0.25, 300.0 / 3.0
    assert opts.print_unit_cost[0, 0] == pytest.approx(c_p)
    assert opts.print_lead_time_days[0, 0] == pytest.approx(lead_p)
    assert opts.print_time_h[0, 0] == pytest.approx(t)
    pmf = poisson_pmf(mu)
    s = level_of(pmf, 0.95, b, c_p * hr / 365)
    ebo = ebo_of(s, pmf)
    cost_ps = lam_p * c_p + (s - mu + ebo) * c_p * hr + b * 365 * ebo + qual
    assert opts.base_stock_level[0, PS] == s
    assert opts.cost[0, PS] == pytest.approx(cost_ps, rel=1e-9)
    assert opts.investment[0, PS] == pytest.approx(s * c_p)
    assert opts.printer_hours[0, PS] == pytest.approx(lam_p * t)
    cost_pod = lam_p * c_p + b * 365 * mu + qual
    assert opts.cost[0, POD] == pytest.approx(cost_pod, rel=1e-12)
    assert opts.base_stock_level[0, POD] == 0
    assert opts.fill_rate[0, POD] == 0.0
    assert opts.investment[0, POD] == 0.0
    assert opts.printer_hours[0, POD] == pytest.approx(lam_p * t)
    assert opts.best_printer[0] == 0


@pytest.mark.parametrize(("rate", "dur", "ride"), [(2.0, 20.0, 0.0), (0.0, 0.0, 30.0)])
def test_hybrid_cost_matches_hand_calculation(rate, dur, ride):
    """hybrid: OEM stock at the normal S, the outage share of demand (outage
    probability + window/horizon) printed, downtime of the normal S."""
    opts = hand_case(rate, dur, ride)
    lam, lead, c, hr, b, k = 12.0, 30.0, 100.0, 0.25, 50.0, 2.0
    c_p, t, qual = 28.0, 2.0, 100.0
    p_out = 1.0 - math.exp(-rate / 365 * dur) + ride / 365
    pmf = poisson_pmf(lam * lead / 365)
    s = level_of(pmf, 0.95, b, c * hr / 365)
    ebo = ebo_of(s, pmf)
    printed = lam * p_out / 0.5
    cost = (
        lam * (1 - p_out) * (c + k)
        + (s - lam * lead / 365 + ebo) * c * hr
        + b * 365 * ebo
        + printed * c_p
        + qual
    )
    assert opts.base_stock_level[0, HY] == s
    assert opts.cost[0, HY] == pytest.approx(cost, rel=1e-9)
    assert opts.printer_hours[0, HY] == pytest.approx(printed * t)
    assert opts.investment[0, HY] == pytest.approx(s * c)
    assert opts.base_stock_level[0, HY] <= opts.base_stock_level[0, BUY]


def test_hybrid_without_outages_is_buy_plus_qualification():
    """With no outage, hybrid prints nothing: buy at the normal S + qualification."""
    opts = hand_case()
    assert opts.cost[0, HY] == pytest.approx(opts.cost[0, BUY] + 100.0)
    assert opts.printer_hours[0, HY] == 0.0


def test_scenarios_size_for_the_worst_and_weight_costs():
    """S per option is the max over scenarios; cost is the normalised
    probability-weighted cost at that S (weights 1 and 3 -> 0.25, 0.75)."""
    parts = [part("A-1")]
    est = {("A-1", "P1"): Estimate(print_time_s=7200.0, total_cost=8.0)}
    args = (parts, demand_of([12.0]), est, [printer("P1")], SourcingParams())
    low = impact(1, demand_factor=1.0, p=1.0, name="low")
    high = impact(1, demand_factor=3.0, p=3.0, name="high")
    single_low = options_under_scenarios(*args, impacts=[low])
    single_high = options_under_scenarios(*args, impacts=[high])
    both = options_under_scenarios(*args, impacts=[low, high])
    for k in (BUY, PS, HY):
        expected = max(
            single_low.base_stock_level[0, k], single_high.base_stock_level[0, k]
        )
        assert both.base_stock_level[0, k] == expected
    assert both.cost[0, POD] == pytest.approx(
        0.25 * single_low.cost[0, POD] + 0.75 * single_high.cost[0, POD]
    )
    s = both.base_stock_level[0, BUY]
    c, hr, b, k = 100.0, 0.25, 50.0, 2.0
    expected = 0.0
    for w, lam in ((0.25, 12.0), (0.75, 36.0)):
        pmf = poisson_pmf(lam * 30 / 365)
        ebo = ebo_of(s, pmf)
        expected += w * (
            lam * (c + k) + (s - lam * 30 / 365 + ebo) * c * hr + b * 365 * ebo
        )
    assert both.cost[0, BUY] == pytest.approx(expected, rel=1e-9)


def test_no_scenarios_is_the_undisrupted_baseline():
    """build_options with no scenarios equals one impact with no disruption."""
    parts = [part("A-1"), part("B-2", unit_cost=40.0)]
    est = {
        (p.part_id, "P1"): Estimate(print_time_s=3600.0, total_cost=5.0) for p in parts
    }
    args = (parts, demand_of([12.0, 3.0]), est, [printer("P1")], SourcingParams())
    a = build_options(*args)
    b = options_under_scenarios(*args, impacts=[impact(2)])
    np.testing.assert_allclose(a.cost, b.cost)
    np.testing.assert_array_equal(a.base_stock_level, b.base_stock_level)


def test_build_options_reads_real_scenarios():
    """A random_outages scenario for region EU raises the just-in-case stock and
    makes hybrid print only for the EU part, as options_under_scenarios with the
    scenario module's own part_disruption gives."""
    from planner.scenarios import Event, EventType, Scenario, part_disruption

    parts = [
        part(pid, supplier_region=pid[:2], downtime_cost_per_day=None)
        for pid in ("EU-1", "US-1")
    ]
    est = {
        (p.part_id, "P1"): Estimate(print_time_s=3600.0, total_cost=5.0) for p in parts
    }
    scenario = Scenario(
        name="EU outages",
        events=(
            Event(
                type=EventType.RANDOM_OUTAGES,
                supplier_region="EU",
                rate_per_year=2.0,
                duration_days=60.0,
            ),
        ),
    )
    args = (parts, demand_of([50.0, 50.0]), est, [printer("P1")], SourcingParams())
    opts = build_options(*args, scenarios=[scenario])
    direct = options_under_scenarios(
        *args,
        impacts=[
            ScenarioImpact(
                name=scenario.name,
                probability=1.0,
                horizon_days=float(scenario.horizon_days),
                disruption=part_disruption(parts, scenario),
            )
        ],
    )
    np.testing.assert_allclose(opts.cost, direct.cost)
    assert opts.base_stock_level[0, BUY] > opts.base_stock_level[1, BUY]
    assert opts.printer_hours[0, HY] > 0.0
    assert opts.printer_hours[1, HY] == 0.0


# ------------------------------------------------------------- feasibility


def test_non_printable_parts_never_get_printing_modes():
    """Not printable, no estimate, or no printer running the material: printing
    modes are nan with a reason, and the plan buys even when printing is cheap."""
    parts = [
        part("NP", printable=False),
        part("NOEST"),
        part("PA", am_material="PA12"),
        part("OK"),
    ]
    est = {
        (pid, "P1"): Estimate(print_time_s=600.0, total_cost=0.1)
        for pid in ("NP", "PA", "OK")
    }
    pr = [printer("P1", materials=("PETG",))]
    opts = build_options(parts, demand_of([50.0] * 4), est, pr, SourcingParams())
    assert np.all(np.isnan(opts.cost[:3, 1:]))
    assert np.all(np.isfinite(opts.cost[3, 1:]))
    assert list(opts.infeasible_reason[:3, PS]) == [
        "not printable",
        "no print estimate",
        "no printer runs PA12",
    ]
    assert np.array_equal(opts.best_printer, [-1, -1, -1, 0])
    plan = solve_sourcing(opts, pr, SourcingParams())
    assert list(plan.mode[:3]) == ["buy_stock"] * 3
    assert list(plan.printer_id[:3]) == [""] * 3
    assert plan.mode[3] != "buy_stock"
    assert "no printing option (not printable)" in plan.reason[0]


def test_parts_fitting_only_p3_only_get_p3():
    """A part too big for P1 and P2 is priced and planned only on P3, even when P1
    would be cheaper; a small part may use any printer."""
    parts = [part("BIG"), part("SMALL")]
    pr = [printer("P1", 200), printer("P2", 250), printer("P3", 500)]
    est = {}
    for j, p in enumerate(pr):
        est[("BIG", p.printer_id)] = Estimate(
            print_time_s=3600.0, total_cost=1.0 + j, bbox_x_mm=300, bbox_y_mm=120
        )
        est[("SMALL", p.printer_id)] = Estimate(print_time_s=3600.0, total_cost=1.0 + j)
    opts = build_options(parts, demand_of([40.0, 40.0]), est, pr, SourcingParams())
    assert np.all(np.isnan(opts.cost_by_printer[0, 1:, :2]))
    assert np.all(np.isfinite(opts.cost_by_printer[0, 1:, 2]))
    assert opts.best_printer.tolist() == [2, 0]
    plan = solve_sourcing(opts, pr, SourcingParams())
    assert plan.mode[0] != "buy_stock"
    assert plan.printer_id[0] == "P3"


def test_print_on_demand_needs_downtime_cost_and_non_vital():
    """print_on_demand is infeasible without downtime_cost_per_day or for V parts."""
    parts = [
        part("NOB", downtime_cost_per_day=None),
        part("VITAL", criticality=Criticality.VITAL),
        part("OK"),
    ]
    est = {
        (p.part_id, "P1"): Estimate(print_time_s=3600.0, total_cost=5.0) for p in parts
    }
    opts = build_options(
        parts, demand_of([5.0] * 3), est, [printer("P1")], SourcingParams()
    )
    assert np.isnan(opts.cost[0, POD])
    assert np.isnan(opts.cost[1, POD])
    assert np.isfinite(opts.cost[2, POD])
    assert np.all(np.isfinite(opts.cost[:, [PS, HY]]))
    assert opts.infeasible_reason[0, POD] == "needs a downtime_cost_per_day"
    assert opts.infeasible_reason[1, POD] == "not allowed for vital (V) parts"


def test_bad_inputs_raise():
    """Misaligned demand, bad probabilities, bad params and a missing printer raise
    PlannerError naming the field."""
    parts = [part("A")]
    with pytest.raises(PlannerError, match="demand_per_year"):
        build_options(parts, demand_of([1.0, 2.0]), {}, [], SourcingParams())
    with pytest.raises(PlannerError, match="probabilities"):
        options_under_scenarios(
            parts,
            demand_of([1.0]),
            {},
            [],
            SourcingParams(),
            impacts=[impact(1, p=0.0)],
        )
    with pytest.raises(PlannerError, match="max_utilisation_frac"):
        SourcingParams(max_utilisation_frac=1.0)
    with pytest.raises(PlannerError, match="budget"):
        SourcingParams(budget=-1.0)
    with pytest.raises(PlannerError, match="solver"):
        SourcingParams(solver="gurobi")
    assert SourcingParams(solver="CBC").solver == sourcing.Solver.CBC
    est = {("A", "P1"): Estimate(print_time_s=3600.0, total_cost=5.0)}
    opts = build_options(
        parts, demand_of([1.0]), est, [printer("P1")], SourcingParams()
    )
    with pytest.raises(PlannerError, match="P1"):
        solve_sourcing(opts, [printer("P9")], SourcingParams())
    with pytest.raises(PlannerError, match="cost_by_printer"):
        SourcingOptions.from_arrays(
            part_id=["A"],
            printer_id=["P1"],
            buy_cost=np.ones(1),
            buy_investment=np.ones(1),
            cost_by_printer=np.ones((1, 3, 1)),
            printer_hours_by_printer=np.ones((1, 4, 1)),
            investment_by_printer=np.ones((1, 4, 1)),
            print_unit_cost=np.ones((1, 1)),
        )


# ------------------------------------------------------------ MILP vs brute force

PRINTERS_2 = [printer("P1", hours=10.0), printer("P2", hours=20.0)]
CAP_2 = np.array([p.hours_available_per_year * 0.7 for p in PRINTERS_2])


def random_options(rng: np.random.Generator, n: int) -> SourcingOptions:
    """Random options: buy always feasible and investment-heavy; printing options
    on 2 printers feasible at random, cheaper to hold but using printer hours."""
    m = 2
    while True:
        cost = np.full((n, 4, m), np.nan)
        hours = np.full((n, 4, m), np.nan)
        inv = np.full((n, 4, m), np.nan)
        mask = rng.random((n, 3, m)) < 0.4
        cost[:, 1:][mask] = rng.uniform(30, 120, mask.sum())
        hours[:, 1:][mask] = rng.uniform(20, 200, mask.sum())
        inv[:, 1:][mask] = rng.uniform(0, 300, mask.sum())
        counts = 1 + mask.reshape(n, -1).sum(axis=1)
        if np.prod(counts) <= 60_000:
            break
    return SourcingOptions.from_arrays(
        part_id=[f"R-{i}" for i in range(n)],
        printer_id=["P1", "P2"],
        buy_cost=rng.uniform(80, 160, n),
        buy_investment=rng.uniform(300, 900, n),
        cost_by_printer=cost,
        printer_hours_by_printer=hours,
        investment_by_printer=inv,
        print_unit_cost=rng.uniform(1, 10, (n, m)),
    )


def enumerate_plans(opts: SourcingOptions, cap: np.ndarray):
    """Every combination of one option per part: total cost, total investment and
    whether it fits the printers' capacity (numpy over combinations)."""
    per_part = []
    for i in range(opts.n_parts):
        rows = [(opts.cost[i, BUY], opts.investment[i, BUY], -1, 0.0)]
        for k, j in itertools.product(range(1, 4), range(len(opts.printer_id))):
            if np.isfinite(opts.cost_by_printer[i, k, j]):
                rows.append(
                    (
                        opts.cost_by_printer[i, k, j],
                        opts.investment_by_printer[i, k, j],
                        j,
                        opts.printer_hours_by_printer[i, k, j],
                    )
                )
        per_part.append(np.array(rows))
    grids = np.indices([len(r) for r in per_part]).reshape(opts.n_parts, -1)
    picked = [per_part[i][grids[i]] for i in range(opts.n_parts)]
    total_cost = sum(p[:, 0] for p in picked)
    total_inv = sum(p[:, 1] for p in picked)
    fits = np.ones(grids.shape[1], bool)
    for j in range(len(cap)):
        used = sum(np.where(p[:, 2] == j, p[:, 3], 0.0) for p in picked)
        fits &= used <= cap[j] + 1e-9
    return total_cost, total_inv, fits


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_milp_equals_brute_force(solver, rng):
    """On random cases of 3-8 parts and 2 printers, with capacity and budget set to
    bind, the MILP optimum equals brute force over all combinations; a budget below
    the least investment raises InfeasibleError."""
    n_binding = 0
    for case in range(10):
        n = 3 + case % 6
        opts = random_options(rng, n)
        cap = CAP_2 * rng.uniform(0.15, 0.35)
        printers = [
            printer("P1", hours=10.0 * cap[0] / CAP_2[0]),
            printer("P2", hours=20.0 * cap[1] / CAP_2[1]),
        ]
        cost, inv, fits = enumerate_plans(opts, cap)
        least_inv = inv[fits].min()
        capped_best_inv = inv[fits][np.argmin(cost[fits])]
        if case == 9:  # a budget no plan meets
            params = SourcingParams(budget=0.9 * least_inv, solver=solver)
            with pytest.raises(InfeasibleError, match="budget"):
                solve_sourcing(opts, printers, params)
            continue
        budget = float(
            least_inv + rng.uniform(0.0, 0.8) * (capped_best_inv - least_inv)
        )
        ok = fits & (inv <= budget + 1e-9)
        best = cost[ok].min()
        params = SourcingParams(budget=budget, solver=solver, gap_rel=0.0)
        plan = solve_sourcing(opts, printers, params)
        assert plan.objective == pytest.approx(best, rel=1e-9, abs=1e-4)
        assert plan.total_investment <= budget + 1e-6
        for u, c in zip(plan.printer_usage, cap, strict=True):
            assert u["used_hours"] <= c + 1e-6
            assert u["capacity_hours"] == pytest.approx(c)
        n_binding += best > cost.min() + 1e-6
    assert n_binding >= 6  # the constraints really cut off the unconstrained optimum


def test_budget_infeasible_names_budget_and_shortfall():
    """A budget below the least investment of any plan within capacity raises
    InfeasibleError naming the budget, the shortfall and the least investment, and
    the printer hours a budget-keeping plan would lack."""
    cost = np.full((2, 4, 1), np.nan)
    hours = np.full((2, 4, 1), np.nan)
    inv = np.full((2, 4, 1), np.nan)
    cost[:, PS, 0] = [90.0, 90.0]
    hours[:, PS, 0] = [1000.0, 1000.0]
    inv[:, PS, 0] = [2000.0, 3000.0]
    opts = SourcingOptions.from_arrays(
        part_id=["A", "B"],
        printer_id=["P1"],
        buy_cost=np.array([100.0, 100.0]),
        buy_investment=np.array([5000.0, 6120.0]),
        cost_by_printer=cost,
        printer_hours_by_printer=hours,
        investment_by_printer=inv,
        print_unit_cost=np.ones((2, 1)),
    )
    pr = [printer("P1", hours=40.0)]  # 40 * 365/7 * 0.7 = 1,460 h/year usable
    with pytest.raises(InfeasibleError) as err:
        solve_sourcing(opts, pr, SourcingParams(budget=4000.0))
    msg = str(err.value)
    # least investment within capacity: print B, buy A = 5,000 + 3,000 = 8,000
    assert (
        "investment budget 4,000 is 4,000 short of the cheapest feasible plan (8,000)"
        in msg
    )
    assert err.value.status == "Infeasible"
    with pytest.raises(InfeasibleError) as err:
        solve_sourcing(opts, pr, SourcingParams(budget=5000.0))
    msg = str(err.value)
    assert "investment budget 5,000 is 3,000 short" in msg
    # within 5,000 both parts print: 2,000 h against 1,460 h usable
    assert "printer P1 capacity is short by 540 h/year" in msg


def test_capacity_infeasible_names_printer():
    """Parts that can only be printed and need more hours than a printer has
    raise InfeasibleError naming that printer and the hours missing."""
    cost = np.full((2, 4, 2), np.nan)
    hours = np.full((2, 4, 2), np.nan)
    inv = np.zeros((2, 4, 2))
    cost[:, POD, 1] = [10.0, 10.0]
    hours[:, POD, 1] = [600.0, 500.0]
    opts = SourcingOptions.from_arrays(
        part_id=["A", "B"],
        printer_id=["P1", "P2"],
        buy_cost=np.array([np.nan, np.nan]),
        buy_investment=np.array([np.nan, np.nan]),
        cost_by_printer=cost,
        printer_hours_by_printer=hours,
        investment_by_printer=inv,
        print_unit_cost=np.ones((2, 2)),
    )
    pr = [printer("P1"), printer("P2", hours=20.0)]  # P2: 730 h/year usable
    with pytest.raises(
        InfeasibleError, match=r"printer P2 capacity is short by 370 h/year"
    ):
        solve_sourcing(opts, pr, SourcingParams())


def test_part_without_any_option_raises():
    """A part with no feasible option at all cannot be planned."""
    opts = SourcingOptions.from_arrays(
        part_id=["A"],
        printer_id=[],
        buy_cost=np.array([np.nan]),
        buy_investment=np.array([np.nan]),
        cost_by_printer=np.zeros((1, 4, 0)),
        printer_hours_by_printer=np.zeros((1, 4, 0)),
        investment_by_printer=np.zeros((1, 4, 0)),
        print_unit_cost=np.zeros((1, 0)),
    )
    with pytest.raises(InfeasibleError, match="no feasible sourcing option"):
        solve_sourcing(opts, [], SourcingParams())


def test_time_limit_incumbent_warns(monkeypatch):
    """A feasible plan stopped by the time limit comes back with a PlannerWarning
    and status 'Feasible' (solution status patched to 'integer feasible')."""
    real_run = sourcing._run

    def stopped(model, params):
        status, _, seconds = real_run(model, params)
        return status, pulp.LpSolutionIntegerFeasible, seconds

    monkeypatch.setattr(sourcing, "_run", stopped)
    opts = random_options(np.random.default_rng(1), 3)
    with pytest.warns(PlannerWarning, match="time limit"):
        plan = solve_sourcing(opts, PRINTERS_2, SourcingParams())
    assert plan.status == "Feasible"


def test_solver_stop_without_plan_raises(monkeypatch):
    """A solver that stops without any plan raises InfeasibleError saying so."""
    monkeypatch.setattr(sourcing, "_run", lambda model, params: ("Not Solved", 0, 1.0))
    opts = random_options(np.random.default_rng(2), 3)
    with pytest.raises(
        InfeasibleError, match="stopped with status 'Not Solved'"
    ) as err:
        solve_sourcing(opts, PRINTERS_2, SourcingParams())
    assert err.value.status == "Not Solved"


# ------------------------------------------------------------ reasons and outputs


def two_part_options(hours_each: float, inv_print: float = 0.0) -> SourcingOptions:
    """Two parts, cheaper to print on P1 (each using ``hours_each`` h/year)."""
    cost = np.full((2, 4, 1), np.nan)
    cost[:, PS, 0] = [60.0, 70.0]
    return SourcingOptions.from_arrays(
        part_id=["A", "B"],
        printer_id=["P1"],
        buy_cost=np.array([100.0, 100.0]),
        buy_investment=np.array([100.0, 100.0]),
        cost_by_printer=cost,
        printer_hours_by_printer=np.full((2, 4, 1), hours_each),
        investment_by_printer=np.full((2, 4, 1), inv_print),
        print_unit_cost=np.ones((2, 1)),
    )


def test_reason_names_capacity_that_forced_a_choice():
    """When capacity lets only one part print, the other's reason says which
    printer's capacity ruled out its cheaper option; the sums add up."""
    pr = [printer("P1", hours=40.0)]  # 1,460 h/year usable
    plan = solve_sourcing(two_part_options(1000.0), pr, SourcingParams())
    assert list(plan.mode) == ["print_stock", "buy_stock"]
    assert (
        plan.reason[0] == "print_stock on P1: €60/yr vs buy_stock €100/yr (saves €40)"
    )
    assert plan.reason[1] == (
        "buy_stock: €100/yr; printer P1 capacity ruled out print_stock on P1 (€70/yr)"
    )
    assert plan.objective == pytest.approx(160.0)
    assert plan.baseline_cost == pytest.approx(200.0)
    assert plan.printer_usage == [
        {
            "printer_id": "P1",
            "capacity_hours": pytest.approx(1460.0),
            "used_hours": 1000.0,
        }
    ]


def test_reason_names_budget_that_forced_a_choice():
    """A budget that allows one stocked part only: the other part's reason names
    the investment budget."""
    cost = np.full((2, 4, 1), np.nan)
    cost[:, PS, 0] = [60.0, 60.0]
    cost[:, POD, 0] = [150.0, 90.0]
    inv = np.full((2, 4, 1), 0.0)
    inv[:, PS, 0] = [50.0, 50.0]
    opts = SourcingOptions.from_arrays(
        part_id=["A", "B"],
        printer_id=["P1"],
        buy_cost=np.array([100.0, 100.0]),
        buy_investment=np.array([400.0, 400.0]),
        cost_by_printer=cost,
        printer_hours_by_printer=np.full((2, 4, 1), 10.0),
        investment_by_printer=inv,
        print_unit_cost=np.ones((2, 1)),
    )
    plan = solve_sourcing(opts, [printer("P1")], SourcingParams(budget=50.0))
    assert list(plan.mode) == ["print_stock", "print_on_demand"]
    assert (
        "the investment budget 50 ruled out print_stock on P1 (€60/yr)"
        in plan.reason[1]
    )


def test_sourcing_table_and_summary():
    """sourcing.csv rows carry the DESIGN columns (None where infeasible) and the
    summary is JSON-ready with the DESIGN keys and mode counts."""
    parts = [part("NP", printable=False), part("OK")]
    est = {("OK", "P1"): Estimate(print_time_s=3600.0, total_cost=2.0)}
    pr = [printer("P1")]
    opts = build_options(parts, demand_of([10.0, 10.0]), est, pr, SourcingParams())
    plan = solve_sourcing(opts, pr, SourcingParams(budget=1e6))
    rows = sourcing_table(plan, opts)
    expected = ["part_id", "mode", "printer_id", "reason"] + [
        f"{fig}_{m.value}"
        for fig in ("cost", "printer_hours", "investment")
        for m in MODES
    ]
    assert list(rows[0]) == expected
    assert rows[0]["cost_print_stock"] is None
    assert rows[0]["investment_hybrid"] is None
    assert rows[0]["cost_buy_stock"] == pytest.approx(opts.cost[0, BUY])
    assert all(rows[1][f"cost_{m.value}"] is not None for m in MODES)
    chosen = rows[1]["mode"]
    assert rows[1][f"cost_{chosen}"] == pytest.approx(plan.cost[1])
    summary = summary_dict(plan)
    json.dumps(summary)
    assert summary["budget"] == 1e6
    assert summary["baseline_cost"] == pytest.approx(opts.cost[:, BUY].sum())
    assert summary["savings"] == pytest.approx(
        summary["baseline_cost"] - summary["objective"]
    )
    assert sum(summary["n_parts_by_mode"].values()) == 2
    assert set(summary["n_parts_by_mode"]) == {m.value for m in MODES}
    assert summary["printers"][0]["printer_id"] == "P1"
    assert summary["status"] == "Optimal"


def test_model_variables_are_named_after_parts():
    """Variables are named after the (sanitised) part and printer ids."""
    opts = two_part_options(10.0)
    opts = SourcingOptions.from_arrays(
        part_id=["P-17", "P 18"],
        printer_id=["P1"],
        buy_cost=opts.cost[:, BUY],
        buy_investment=opts.investment[:, BUY],
        cost_by_printer=opts.cost_by_printer,
        printer_hours_by_printer=opts.printer_hours_by_printer,
        investment_by_printer=opts.investment_by_printer,
        print_unit_cost=opts.print_unit_cost,
    )
    model = build_sourcing_model(opts, [printer("P1")], SourcingParams())
    names = sorted(v.name for v in model.variables)
    assert names == [
        "buy_stock_P_17",
        "buy_stock_P_18",
        "print_stock_P_17_P1",
        "print_stock_P_18_P1",
    ]


def test_empty_catalog_gives_empty_plan():
    """No parts: an empty plan with zero totals, no solver call."""
    opts = build_options([], demand_of([]), {}, [printer("P1")], SourcingParams())
    plan = solve_sourcing(opts, [printer("P1")], SourcingParams())
    assert plan.objective == 0.0
    assert len(plan.mode) == 0
    assert summary_dict(plan)["printers"][0]["used_hours"] == 0.0


# ------------------------------------------- fill floors and the material budget


def rich_options(rng: np.random.Generator, n: int) -> SourcingOptions:
    """Random options as in random_options, with fill rates (printing fills
    better or worse than buying), yearly material cost on printing options,
    criticality V/E and demand weights."""
    base = random_options(rng, n)
    shape = base.cost_by_printer.shape
    fill3 = rng.uniform(0.80, 0.999, shape)
    mat3 = rng.uniform(5.0, 60.0, shape)
    crit = rng.choice(["V", "E"], n)
    crit[0] = "V"
    return SourcingOptions.from_arrays(
        part_id=base.part_id,
        printer_id=base.printer_id,
        buy_cost=base.cost[:, BUY],
        buy_investment=base.investment[:, BUY],
        buy_fill_rate=rng.uniform(0.80, 0.97, n),
        cost_by_printer=base.cost_by_printer,
        printer_hours_by_printer=base.printer_hours_by_printer,
        investment_by_printer=base.investment_by_printer,
        fill_rate_by_printer=fill3,
        material_cost_by_printer=mat3,
        print_unit_cost=base.print_unit_cost,
        criticality=crit,
        demand_per_year=rng.uniform(1.0, 20.0, n),
    )


def enumerate_rich(opts: SourcingOptions, cap: np.ndarray):
    """Every combination of one option per part: cost, investment, capacity fit,
    material spend and the demand-weighted fill rate of the V parts."""
    per_part = []
    for i in range(opts.n_parts):
        rows = [(opts.cost[i, BUY], opts.investment[i, BUY], -1, 0.0)]
        rows[0] += (opts.fill_rate[i, BUY], 0.0)
        for k, j in itertools.product(range(1, 4), range(len(opts.printer_id))):
            if np.isfinite(opts.cost_by_printer[i, k, j]):
                rows.append(
                    (
                        opts.cost_by_printer[i, k, j],
                        opts.investment_by_printer[i, k, j],
                        j,
                        opts.printer_hours_by_printer[i, k, j],
                        opts.fill_rate_by_printer[i, k, j],
                        opts.material_cost_by_printer[i, k, j],
                    )
                )
        per_part.append(np.array(rows))
    grids = np.indices([len(r) for r in per_part]).reshape(opts.n_parts, -1)
    picked = [per_part[i][grids[i]] for i in range(opts.n_parts)]
    cost = sum(p[:, 0] for p in picked)
    inv = sum(p[:, 1] for p in picked)
    fits = np.ones(grids.shape[1], bool)
    for j in range(len(cap)):
        used = sum(np.where(p[:, 2] == j, p[:, 3], 0.0) for p in picked)
        fits &= used <= cap[j] + 1e-9
    material = sum(p[:, 5] for p in picked)
    w = np.where(opts.criticality == "V", opts.demand_per_year, 0.0)
    fill_v = sum(w[i] * picked[i][:, 4] for i in range(opts.n_parts)) / w.sum()
    return cost, inv, fits, material, fill_v


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_milp_with_fill_floor_and_material_budget_equals_brute_force(solver, rng):
    """On random cases of 3-8 parts, with a V fill floor and a material budget set
    between what the capacity-only optimum reaches and the best reachable (so
    both bind), the MILP optimum equals brute force over all combinations."""
    n_fill, n_mat = 0, 0
    for case in range(10):
        n = 3 + case % 6
        opts = rich_options(rng, n)
        cap = CAP_2 * rng.uniform(0.3, 0.6)
        printers = [
            printer("P1", hours=10.0 * cap[0] / CAP_2[0]),
            printer("P2", hours=20.0 * cap[1] / CAP_2[1]),
        ]
        cost, _, fits, material, fill_v = enumerate_rich(opts, cap)
        free = np.flatnonzero(fits)[np.argmin(cost[fits])]
        floor = float(
            fill_v[free] + rng.uniform(0.3, 0.8) * (fill_v[fits].max() - fill_v[free])
        )
        ok = fits & (fill_v >= floor - 1e-9)
        at_floor = np.flatnonzero(ok)[np.argmin(cost[ok])]
        least = material[ok].min()
        mat_budget = float(least + rng.uniform(0.2, 0.8) * (material[at_floor] - least))
        ok2 = ok & (material <= mat_budget + 1e-9)
        best = cost[ok2].min()
        params = SourcingParams(
            solver=solver,
            gap_rel=0.0,
            min_fill_rate_by_criticality={"V": floor},
            material_budget_per_year=mat_budget,
        )
        plan = solve_sourcing(opts, printers, params)
        assert plan.objective == pytest.approx(best, rel=1e-9, abs=1e-4)
        assert plan.material_cost_per_year <= mat_budget + 1e-6
        assert plan.fill_rate_by_criticality["V"] >= floor - 1e-7
        n_fill += cost[ok].min() > cost[fits].min() + 1e-6
        n_mat += best > cost[ok].min() + 1e-6
    assert n_fill >= 5  # the fill floor really cuts off the optimum
    assert n_mat >= 5  # and so does the material budget


def one_part_options(*, buy_fill=0.9, print_fill=0.95, material=30.0, buy=True):
    """One V part: buy (fill ``buy_fill``) or print_stock on P1 (``print_fill``,
    ``material`` per year of printing material)."""
    cost = np.full((1, 4, 1), np.nan)
    cost[0, PS, 0] = 80.0
    return SourcingOptions.from_arrays(
        part_id=["V-1"],
        printer_id=["P1"],
        buy_cost=np.array([100.0 if buy else np.nan]),
        buy_investment=np.array([300.0 if buy else np.nan]),
        buy_fill_rate=np.array([buy_fill]),
        cost_by_printer=cost,
        printer_hours_by_printer=np.full((1, 4, 1), 10.0),
        investment_by_printer=np.full((1, 4, 1), 500.0),
        fill_rate_by_printer=np.full((1, 4, 1), print_fill),
        material_cost_by_printer=np.full((1, 4, 1), material),
        print_unit_cost=np.ones((1, 1)),
        criticality=["V"],
        demand_per_year=np.array([4.0]),
    )


def test_unreachable_fill_floor_names_the_class_and_the_gap():
    """A V floor of 99 % when the best option fills 95 %: the message names the
    class, the best reachable rate and the 4-point gap."""
    params = SourcingParams(min_fill_rate_by_criticality={"v": 0.99})
    with pytest.raises(InfeasibleError) as err:
        solve_sourcing(one_part_options(), [printer("P1")], params)
    assert (
        "the minimum fill rate 99.0% of criticality V parts is out of reach: at most "
        "95.00% within the printers' capacity (short by 4.00 points)"
    ) in str(err.value)


def test_material_budget_shortfall_is_named():
    """A part that can only be printed needs €30/yr of material: a €10/yr budget
    is €20/yr short; a fill floor that forces printing says so too."""
    with pytest.raises(InfeasibleError) as err:
        solve_sourcing(
            one_part_options(buy=False),
            [printer("P1")],
            SourcingParams(material_budget_per_year=10.0),
        )
    assert (
        "material budget €10/yr is €20/yr short of the least material spend of any "
        "plan within the printers' capacity (€30/yr)"
    ) in str(err.value)
    params = SourcingParams(
        material_budget_per_year=10.0, min_fill_rate_by_criticality={"V": 0.93}
    )
    with pytest.raises(InfeasibleError, match="capacity and the fill floors"):
        solve_sourcing(one_part_options(), [printer("P1")], params)


def test_budget_with_fill_floor_counts_the_forced_investment():
    """When the V floor forces printing (investment 500), a budget of 400 is
    100 short of the cheapest plan meeting the floor."""
    params = SourcingParams(budget=400.0, min_fill_rate_by_criticality={"V": 0.93})
    with pytest.raises(InfeasibleError, match=r"budget 400 is 100 short .* \(500\)"):
        solve_sourcing(one_part_options(print_fill=0.95), [printer("P1")], params)


def test_reason_names_the_fill_floor_that_forced_a_choice():
    """Printing is cheaper but fills worse; the V floor keeps the part bought and
    its reason names the floor."""
    opts = one_part_options(buy_fill=0.97, print_fill=0.9)
    plan = solve_sourcing(
        opts, [printer("P1")], SourcingParams(min_fill_rate_by_criticality={"V": 0.95})
    )
    assert list(plan.mode) == ["buy_stock"]
    assert "the V fill floor 95.0% ruled out print_stock on P1" in plan.reason[0]
    assert plan.expected_fill_rate == pytest.approx(0.97)
    assert plan.fill_rate_by_criticality == {"V": pytest.approx(0.97)}


def test_print_longer_than_a_week_is_allowed_and_explained():
    """A 50 h print on a printer with 40 h/week may still be chosen; its reason
    says the print runs over into the next week."""
    base = one_part_options()
    opts = SourcingOptions.from_arrays(
        part_id=base.part_id,
        printer_id=base.printer_id,
        buy_cost=base.cost[:, BUY],
        buy_investment=base.investment[:, BUY],
        cost_by_printer=base.cost_by_printer,
        printer_hours_by_printer=base.printer_hours_by_printer,
        investment_by_printer=base.investment_by_printer,
        print_unit_cost=base.print_unit_cost,
        print_time_h=np.array([[50.0]]),
    )
    plan = solve_sourcing(opts, [printer("P1", hours=40.0)], SourcingParams())
    assert plan.mode[0] == "print_stock"
    assert plan.reason[0].endswith(
        "; one print takes 50.0 h, more than P1's 40 h/week, so it runs over into "
        "the next week"
    )


def test_material_cost_is_printed_units_times_estimate_material():
    """Options' material cost = printed units per year x the estimate's material
    cost: lambda / r for print_stock and print_on_demand, the outage share of it
    for hybrid, 0 for buying."""
    opts = hand_case(2.0, 20.0)
    lam_p = 12.0 / 0.5
    assert opts.material_cost[0, BUY] == 0.0
    assert opts.material_cost[0, PS] == pytest.approx(lam_p * 0.5)
    assert opts.material_cost[0, POD] == pytest.approx(lam_p * 0.5)
    share = opts.printer_hours[0, HY] / opts.printer_hours[0, PS]
    assert opts.material_cost[0, HY] == pytest.approx(share * lam_p * 0.5)
    assert opts.criticality.tolist() == ["E"]
    assert opts.demand_per_year.tolist() == [12.0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_fill_rate_by_criticality": {"X": 0.9}}, "keys must be one of"),
        ({"min_fill_rate_by_criticality": {"V": 1.2}}, r"\['V'\] must be in \[0, 1\]"),
        ({"min_fill_rate_by_criticality": [0.9]}, "must be a mapping"),
        ({"material_budget_per_year": -1.0}, "material_budget_per_year must be"),
        ({"material_budget_per_year": math.inf}, "material_budget_per_year must be"),
    ],
)
def test_bad_new_params_raise(kwargs, match):
    """Fill floors outside [0, 1] or for unknown classes, and negative or
    infinite material budgets, are refused with the field named."""
    with pytest.raises(PlannerError, match=match):
        SourcingParams(**kwargs)


def test_lp_relaxation_bounds_the_milp(rng):
    """The LP relaxation is a lower bound on the MILP optimum (brute force)."""
    opts = rich_options(rng, 6)
    cap = CAP_2 * 0.3
    printers = [printer("P1", hours=3.0), printer("P2", hours=6.0)]
    cost, _, fits, _, _ = enumerate_rich(opts, cap)
    for solver in ("highs", "cbc"):
        bound = solve_lp_relaxation(opts, printers, SourcingParams(solver=solver))
        assert bound <= cost[fits].min() + 1e-6
        assert bound >= cost.min() - 1e-6


# ------------------------------------------------------ structure of the optimum


def grouped_catalog(rng, groups, printer_hours=40.0):
    """Parts in groups of alike parts (values jittered by up to +-30 %), each
    printable on P1: options, printer and the parts' group tags."""
    parts, est, lam, tags = [], {}, [], []
    for tag, k, g in groups:
        for i in range(k):
            f = np.exp(rng.uniform(-0.3, 0.3, 4))
            pid = f"{tag}-{i}"
            parts.append(
                part(
                    pid,
                    unit_cost=g["unit"] * f[0],
                    lead_time_days=g["lead"],
                    criticality=Criticality(g.get("crit", "E")),
                    downtime_cost_per_day=g.get("down", g["unit"]) * f[1],
                    am_qualification_cost=100.0,
                    post_process_hours=0.3,
                )
            )
            est[(pid, "P1")] = Estimate(
                print_time_s=g["print_h"] * f[2] * 3600.0,
                total_cost=g["print_cost"] * f[3],
            )
            lam.append(g["lam"] * f[0])
            tags.append(tag)
    pr = [printer("P1", hours=printer_hours)]
    opts = build_options(parts, demand_of(lam), est, pr, SourcingParams())
    return opts, pr, np.array(tags)


SLOW = {"lam": 0.5, "lead": 120.0, "unit": 400.0, "print_h": 3.0, "print_cost": 8.0}
FAST = {"lam": 30.0, "lead": 7.0, "unit": 20.0, "print_h": 10.0, "print_cost": 40.0}


def test_slow_long_lead_cheap_prints_are_printed_on_a_lightly_loaded_printer(rng):
    """Slow movers with long OEM lead times that are cheap to print go to
    printing, fast cheap-to-buy parts are bought; the printer runs under 10 % of
    its hours yet the plan saves over 20 % of the all-buy cost (Song & Zhang,
    Westerweel et al.: printers in good plans are lightly loaded)."""
    opts, pr, tags = grouped_catalog(rng, [("SLOW", 20, SLOW), ("FAST", 20, FAST)])
    plan = solve_sourcing(opts, pr, SourcingParams())
    printed = plan.mode != "buy_stock"
    assert printed[tags == "SLOW"].mean() >= 0.9
    assert printed[tags == "FAST"].mean() <= 0.1
    used = plan.printer_usage[0]["used_hours"]
    assert used / pr[0].hours_available_per_year < 0.1
    assert plan.savings > 0.2 * plan.baseline_cost


@pytest.mark.parametrize("print_h", [2.0, 60.0])
def test_critical_parts_lean_to_stock_when_printing_is_slow(rng, print_h):
    """Vital parts (high downtime cost) are printed when a print is quick, but
    bought and stocked when the print lead time is long (about 60-90 days on a
    20 h/week printer against a 21-day OEM lead time)."""
    vital = {"lam": 2.0, "lead": 21.0, "unit": 150.0, "print_h": print_h,
             "print_cost": 10.0, "crit": "V", "down": 3000.0}  # fmt: skip
    opts, pr, _ = grouped_catalog(rng, [("V", 15, vital)], printer_hours=20.0)
    plan = solve_sourcing(opts, pr, SourcingParams())
    bought = (plan.mode == "buy_stock").mean()
    if print_h < 10:
        assert bought <= 0.1
    else:
        assert np.nanmin(opts.print_lead_time_days) > 21.0 * 2
        assert bought >= 0.8
        assert np.all(plan.base_stock_level > 0)


# ---------------------------------------------------------------- trade-offs


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_budget_sweep_is_monotone_and_matches_single_solves(solver, rng):
    """More budget never costs more; each point equals solve_sourcing at that
    budget; a budget below the least investment is a row with status and the
    binding constraint, not an exception; rows keep the order given."""
    opts, pr, _ = grouped_catalog(rng, [("SLOW", 8, SLOW), ("FAST", 8, FAST)])
    params = SourcingParams(solver=solver, gap_rel=0.0)
    least = solve_sourcing(opts, pr, params).total_investment
    top = float(np.nansum(opts.investment[:, BUY]))
    budgets = [top, None, *np.linspace(0.2 * least, top, 7).tolist()]
    rows = sweep_budget(opts, pr, params, budgets)
    assert [r["budget"] for r in rows] == budgets
    first = rows[2]
    assert first["status"] == "Infeasible"
    assert "investment budget" in first["explanation"]
    assert math.isnan(first["objective"])
    feasible = [r for r in rows[2:] if r["status"] == "Optimal"]
    assert len(feasible) >= 4
    objectives = [r["objective"] for r in feasible]
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(objectives))
    for r in feasible[:3]:
        plan = solve_sourcing(opts, pr, replace_budget(params, r["budget"]))
        assert r["objective"] == pytest.approx(plan.objective, rel=1e-9)
        assert r["investment"] <= r["budget"] + 1e-6
        assert r["n_printed"] == plan.n_printed
        assert r["fill_rate"] == pytest.approx(plan.expected_fill_rate)
    assert rows[1]["objective"] == pytest.approx(
        solve_sourcing(opts, pr, params).objective
    )
    with pytest.raises(PlannerError, match="budgets must be finite"):
        sweep_budget(opts, pr, params, [-1.0])


def replace_budget(params: SourcingParams, budget: float) -> SourcingParams:
    """The same settings with another investment budget."""
    from dataclasses import replace

    return replace(params, budget=budget)


def test_printer_count_sweep_never_costs_more(rng):
    """Adding copies of a loaded printer never raises the optimum; 0 copies
    means buying everything (no other printer); copies are named P1#2, ..."""
    heavy = dict(SLOW, print_h=40.0)
    opts, pr, _ = grouped_catalog(rng, [("SLOW", 12, heavy)], printer_hours=10.0)
    rows = sweep_printer_count(opts, pr, SourcingParams(), "P1", [0, 1, 2, 4])
    objectives = [r["objective"] for r in rows]
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(objectives))
    assert rows[0]["n_printed"] == 0
    assert rows[0]["objective"] == pytest.approx(np.nansum(opts.cost[:, BUY]))
    assert rows[-1]["n_printed"] > rows[1]["n_printed"]
    more, printers = with_printer_copies(opts, pr, "P1", 3)
    assert more.printer_id == ("P1", "P1#2", "P1#3")
    assert [p.printer_id for p in printers] == ["P1", "P1#2", "P1#3"]
    assert np.array_equal(
        more.cost_by_printer[:, :, 2], opts.cost_by_printer[:, :, 0], equal_nan=True
    )
    with pytest.raises(PlannerError, match="printer_id must be one of"):
        with_printer_copies(opts, pr, "P9", 1)
    with pytest.raises(PlannerError, match="count must be >= 0"):
        with_printer_copies(opts, pr, "P1", -1)


# ------------------------------------------------------------- solver faults


def knapsack_options(n: int, seed: int = 0) -> SourcingOptions:
    """Many parts, each buy or print_stock on one of two printers: a multi-knapsack
    HiGHS cannot close in milliseconds (a real time-limit case)."""
    rng = np.random.default_rng(seed)
    cost = np.full((n, 4, 2), np.nan)
    hours = np.full((n, 4, 2), np.nan)
    inv = np.full((n, 4, 2), np.nan)
    cost[:, PS, :] = rng.uniform(30, 120, (n, 2))
    hours[:, PS, :] = rng.uniform(20, 200, (n, 2))
    inv[:, PS, :] = rng.uniform(0, 300, (n, 2))
    return SourcingOptions.from_arrays(
        part_id=[f"K-{i}" for i in range(n)],
        printer_id=["P1", "P2"],
        buy_cost=rng.uniform(80, 160, n),
        buy_investment=rng.uniform(300, 900, n),
        cost_by_printer=cost,
        printer_hours_by_printer=hours,
        investment_by_printer=inv,
        print_unit_cost=rng.uniform(1, 10, (n, 2)),
    )


KNAPSACK_PRINTERS = [printer("P1", hours=100.0), printer("P2", hours=150.0)]


@pytest.mark.parametrize("time_limit_s", [1e-3, 0.05])
def test_tiny_time_limit_gives_a_plan_with_its_status_or_a_clear_error(time_limit_s):
    """With the real HiGHS and a tiny time limit the result is one of: an optimal
    plan, a 'Feasible' plan that keeps every limit and says it hit the time limit
    (warning + status_detail), or InfeasibleError 'Not Solved' naming the limit."""
    opts = knapsack_options(1000)
    params = SourcingParams(time_limit_s=time_limit_s)
    cap = np.array([p.hours_available_per_year * 0.7 for p in KNAPSACK_PRINTERS])
    failure: InfeasibleError | None = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plan = solve_sourcing(opts, KNAPSACK_PRINTERS, params)
    except InfeasibleError as err:
        failure = err
    if failure is not None:
        assert failure.status == "Not Solved"
        assert f"time_limit_s = {time_limit_s:g} s" in str(failure)
        assert "allow more time" in str(failure)
        return
    used = [u["used_hours"] for u in plan.printer_usage]
    assert np.all(np.array(used) <= cap * (1 + 1e-6))
    assert len(plan.mode) == opts.n_parts
    if plan.status == "Optimal":
        assert plan.status_detail == ""
    else:
        assert plan.status == "Feasible"
        assert "time limit" in plan.status_detail
        assert any("time limit" in str(w.message) for w in caught)
        assert summary_dict(plan)["status_detail"] == plan.status_detail


def test_time_limit_plan_states_the_proven_gap(monkeypatch):
    """A plan stopped by the time limit says so in status_detail with the gap
    HiGHS proved (0.00 % here: the patched stop happens after the optimum)."""
    real_run = sourcing._run

    def stopped(model, params):
        status, _, seconds = real_run(model, params)
        return status, pulp.LpSolutionIntegerFeasible, seconds

    monkeypatch.setattr(sourcing, "_run", stopped)
    opts = random_options(np.random.default_rng(3), 3)
    with pytest.warns(PlannerWarning, match="time limit"):
        plan = solve_sourcing(opts, PRINTERS_2, SourcingParams(time_limit_s=7))
    assert plan.status == "Feasible"
    assert "time limit (7 s)" in plan.status_detail
    assert "within 0.00% of the best possible objective" in plan.status_detail
    assert summary_dict(plan)["status_detail"] == plan.status_detail


def test_stopped_solver_is_not_diagnosed(monkeypatch):
    """A solve stopped without a plan proves nothing: no sub-solves are run to
    'diagnose' it, the message names the time limit and the status."""
    calls = []

    def stopped(model, params):
        calls.append(1)
        return "Not Solved", pulp.LpSolutionNoSolutionFound, 0.5

    monkeypatch.setattr(sourcing, "_run", stopped)
    opts = random_options(np.random.default_rng(4), 3)
    with pytest.raises(InfeasibleError) as err:
        solve_sourcing(opts, PRINTERS_2, SourcingParams(budget=10.0, time_limit_s=2))
    assert len(calls) == 1
    assert "stopped with status 'Not Solved' after 0.50 s" in str(err.value)
    assert "time_limit_s = 2 s" in str(err.value)


def test_unproven_sub_solves_are_no_evidence(monkeypatch):
    """When the model is proven infeasible but every diagnostic sub-solve stops at
    the time limit, the message lists the limits in force and says the diagnosis
    ran out of time, instead of quoting shortfalls it never proved."""
    real_run = sourcing._run
    first = []

    def run(model, params):
        if not first:
            first.append(1)
            return real_run(model, params)
        status, _, seconds = real_run(model, params)
        return status, pulp.LpSolutionIntegerFeasible, seconds

    monkeypatch.setattr(sourcing, "_run", run)
    opts = random_options(np.random.default_rng(5), 3)
    with pytest.raises(InfeasibleError) as err:
        solve_sourcing(opts, PRINTERS_2, SourcingParams(budget=1.0))
    text = str(err.value)
    assert err.value.status == "Infeasible"
    assert "proved that no plan meets all the limits" in text
    assert "investment budget 1" in text
    assert "printer P1 capacity" in text
    assert "short by" not in text
