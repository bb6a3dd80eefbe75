"""Tests of planner.policy: Poisson (S-1, S) figures against closed forms and brute
force, the fill-rate floor, monotonicity, the supplier-outage mixture against closed
forms and an independent event simulation, ride-through windows and error paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from planner.errors import PlannerError
from planner.policy import (
    BaseStockPolicy,
    BindingRule,
    OutageProcess,
    base_stock_policy,
    mixture_cdf,
    smallest_level,
)
from planner.units import DAYS_PER_YEAR

#: Truncation point of the direct sums: P(X > K_MAX) is negligible for means <= 60.
K_MAX = 400


def policy(
    demand_per_year: float | list[float],
    lead_time_days: float | list[float],
    *,
    target: float | list[float] = 0.95,
    downtime_cost_per_day: float | list[float] = np.nan,
    unit_cost: float = 100.0,
    holding_rate: float = 0.25,
    outage: OutageProcess | None = None,
    ride_through_days: float | list[float] | None = None,
) -> BaseStockPolicy:
    """base_stock_policy on broadcast scalars/lists (convenience for the tests)."""
    lam = np.atleast_1d(np.asarray(demand_per_year, float))
    lead, tgt, b, ride = np.broadcast_arrays(
        lam,
        np.asarray(lead_time_days, float),
        np.asarray(target, float),
        np.asarray(downtime_cost_per_day, float),
        np.asarray(0.0 if ride_through_days is None else ride_through_days, float),
    )[1:]
    n = lam.shape[0]
    return base_stock_policy(
        demand_per_year=lam,
        lead_time_days=lead.astype(float),
        unit_cost=np.full(n, unit_cost),
        holding_rate=np.full(n, holding_rate),
        target_fill_rate=tgt.astype(float),
        downtime_cost_per_day=b.astype(float),
        outage=outage,
        ride_through_days=None if ride_through_days is None else ride.astype(float),
    )


def poisson_pmf(mean: float) -> np.ndarray:
    """p(k) = e^-m m^k / k! for k = 0..K_MAX, from logs (no scipy)."""
    k = np.arange(K_MAX + 1)
    if mean == 0:
        return (k == 0).astype(float)
    log_p = -mean + k * math.log(mean) - np.array([math.lgamma(i + 1) for i in k])
    return np.exp(log_p)


def direct_figures(pmf: np.ndarray, s: int) -> tuple[float, float, float]:
    """Fill rate P(X <= S-1), EBO = sum_{k>S}(k-S)p(k), on hand = sum_{k<S}(S-k)p(k)."""
    k = np.arange(pmf.shape[0])
    fill = float(pmf[: max(s, 0)].sum())
    ebo = float(np.sum(np.where(k > s, (k - s) * pmf, 0.0)))
    on_hand = float(np.sum(np.where(k < s, (s - k) * pmf, 0.0)))
    return fill, ebo, on_hand


def smallest_s(pmf: np.ndarray, target: float) -> int:
    """Smallest S with P(X <= S - 1) >= target, by walking up the cdf."""
    cdf = np.cumsum(pmf)
    s = 0
    while (s == 0 and target > 0) or (s > 0 and cdf[s - 1] < target):
        s += 1
    return s


# --- (1) Poisson base stock against closed forms -------------------------------------

CASES = [  # (demand per year, lead time days, target)
    (36.5, 20.0, 0.95),
    (2.0, 90.0, 0.99),
    (0.3, 45.0, 0.90),
    (120.0, 14.0, 0.95),
    (500.0, 30.0, 0.99),
    (12.0, 1.0, 0.95),
]


@pytest.mark.parametrize(("lam", "lead", "target"), CASES)
def test_fill_ebo_on_hand_match_direct_sums(
    lam: float, lead: float, target: float
) -> None:
    """S is the smallest with cdf(S-1) >= target; fill, EBO, on hand by direct sums."""
    pol = policy(lam, lead, target=target)
    mean = lam * lead / DAYS_PER_YEAR
    pmf = poisson_pmf(mean)
    s = int(pol.base_stock_level[0])
    assert s == smallest_s(pmf, target)
    fill, ebo, on_hand = direct_figures(pmf, s)
    assert pol.fill_rate[0] == pytest.approx(fill, abs=1e-12)
    assert pol.expected_backorders[0] == pytest.approx(ebo, abs=1e-12)
    assert pol.expected_on_hand[0] == pytest.approx(on_hand, abs=1e-11)
    # On-hand identity: E[OH] = S - E[X] + EBO.
    assert pol.expected_on_hand[0] == pytest.approx(s - mean + ebo, abs=1e-11)
    assert pol.lead_time_demand_mean[0] == pytest.approx(mean, rel=1e-14)
    assert pol.safety_stock[0] == pytest.approx(s - mean, rel=1e-14)
    assert pol.reorder_point[0] == s - 1
    assert pol.order_up_to[0] == s
    assert pol.base_stock_level_normal[0] == s
    assert pol.binding[0] == BindingRule.FILL_RATE
    # Yearly holding: on hand x unit cost x holding rate; no downtime cost given.
    assert pol.annual_holding_cost[0] == pytest.approx(on_hand * 100.0 * 0.25)
    assert pol.annual_downtime_cost[0] == 0.0


def test_vectorised_over_parts_equals_one_at_a_time() -> None:
    """One call over all cases equals a call per case (no cross-part leakage)."""
    lam, lead, target = (list(c) for c in zip(*CASES, strict=True))
    together = policy(lam, lead, target=target, downtime_cost_per_day=[5, np.nan] * 3)
    for i, (la, le, ta) in enumerate(CASES):
        alone = policy(la, le, target=ta, downtime_cost_per_day=[5, np.nan][i % 2])
        assert together.base_stock_level[i] == alone.base_stock_level[0]
        assert together.fill_rate[i] == alone.fill_rate[0]
        assert together.expected_backorders[i] == alone.expected_backorders[0]


def test_snyder_shen_poisson_newsvendor_value() -> None:
    """h = 0.18, p = 0.70, Poisson(50): S* = 56 with cost 1.797235211809178 per period."""
    # Source: the Poisson newsvendor example of Snyder & Shen (2019), ch. 4, as
    # reproduced in stockpyl's newsvendor_poisson docstring: (56.0, 1.797235211809178).
    # One period = one day here: h = unit_cost x holding_rate / 365 = 0.18 per day.
    pol = base_stock_policy(
        demand_per_year=np.array([50.0 * DAYS_PER_YEAR / 10.0]),
        lead_time_days=np.array([10.0]),
        unit_cost=np.array([0.18 * DAYS_PER_YEAR]),
        holding_rate=np.array([1.0]),
        target_fill_rate=np.array([0.0]),
        downtime_cost_per_day=np.array([0.70]),
    )
    assert int(pol.base_stock_level[0]) == 56
    assert pol.binding[0] == BindingRule.COST
    cost_per_day = (pol.annual_holding_cost[0] + pol.annual_downtime_cost[0]) / 365
    # Tolerance: float round-off in h = 0.18 * 365 / 365 and in the loss functions.
    assert cost_per_day == pytest.approx(1.797235211809178, rel=1e-10)


@pytest.mark.parametrize(("mean", "h", "b"), [(50, 0.18, 0.70), (3.2, 1.0, 9.0),
                                              (0.4, 2.0, 50.0), (17.0, 0.5, 0.6)])  # fmt: skip
def test_against_stockpyl_oracle(mean: float, h: float, b: float) -> None:
    """S, EBO and on hand agree with stockpyl's Poisson newsvendor and loss functions."""
    newsvendor = pytest.importorskip("stockpyl.newsvendor")
    loss = pytest.importorskip("stockpyl.loss_functions")
    s_star, cost = newsvendor.newsvendor_poisson(h, b, mean)
    pol = base_stock_policy(
        demand_per_year=np.array([mean * DAYS_PER_YEAR / 10.0]),
        lead_time_days=np.array([10.0]),
        unit_cost=np.array([h * DAYS_PER_YEAR]),
        holding_rate=np.array([1.0]),
        target_fill_rate=np.array([0.0]),
        downtime_cost_per_day=np.array([b]),
    )
    s = int(pol.base_stock_level[0])
    assert s == int(s_star)
    n, n_bar = loss.poisson_loss(s, mean)
    assert pol.expected_backorders[0] == pytest.approx(n, abs=1e-10)
    assert pol.expected_on_hand[0] == pytest.approx(n_bar, abs=1e-10)
    total = (pol.annual_holding_cost[0] + pol.annual_downtime_cost[0]) / 365
    assert total == pytest.approx(cost, rel=1e-9)


# --- (2) cost optimum against brute force -----------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(0.01, 40.0),
    h=st.floats(0.01, 5.0),
    b=st.floats(0.01, 500.0),
)
def test_cost_rule_minimises_expected_cost(mean: float, h: float, b: float) -> None:
    """S with P(X <= S) >= b/(b+h) minimises h E[OH] + b EBO over S by brute force."""
    pol = base_stock_policy(
        demand_per_year=np.array([mean * DAYS_PER_YEAR]),
        lead_time_days=np.array([1.0]),
        unit_cost=np.array([h * DAYS_PER_YEAR]),
        holding_rate=np.array([1.0]),
        target_fill_rate=np.array([0.0]),
        downtime_cost_per_day=np.array([b]),
    )
    pmf = poisson_pmf(mean)
    costs = []
    for s in range(int(mean + 10 * math.sqrt(mean) + 30)):
        _, ebo, on_hand = direct_figures(pmf, s)
        costs.append(h * on_hand + b * ebo)
    costs = np.array(costs)
    s_pol = int(pol.base_stock_level[0])
    # Ties between neighbours (F(S) == b/(b+h) to round-off) may pick either one.
    assert costs[s_pol] <= costs.min() * (1 + 1e-9) + 1e-12


# --- (3) the target is a floor -----------------------------------------------------------


def test_target_is_a_floor_cost_may_go_above() -> None:
    """Small b: the fill-rate S binds; large b: the cost S binds and exceeds it."""
    # lambda L = 4, h = 100 x 0.25 / 365 = 0.0685 per day.
    mean = 4.0
    pmf = poisson_pmf(mean)
    s_fill = smallest_s(pmf, 0.95)
    cheap = policy(mean * 365 / 10, 10.0, downtime_cost_per_day=0.01)
    dear = policy(mean * 365 / 10, 10.0, downtime_cost_per_day=1000.0)
    assert cheap.base_stock_level[0] == s_fill
    assert cheap.binding[0] == BindingRule.FILL_RATE
    h = 100 * 0.25 / 365
    cdf = np.cumsum(pmf)
    s_cost = int(np.argmax(cdf >= 1000.0 / (1000.0 + h)))
    assert s_cost > s_fill
    assert dear.base_stock_level[0] == s_cost
    assert dear.binding[0] == BindingRule.COST
    assert dear.fill_rate[0] >= 0.95
    assert dear.annual_downtime_cost[0] == pytest.approx(
        1000.0 * 365 * direct_figures(pmf, s_cost)[1]
    )


@settings(max_examples=60, deadline=None)
@given(
    lam=st.floats(0.1, 300.0),
    lead=st.floats(1.0, 120.0),
    target=st.floats(0.5, 0.999),
    b=st.one_of(st.just(float("nan")), st.floats(0.0, 200.0)),
)
def test_level_is_max_of_fill_and_cost_levels(
    lam: float, lead: float, target: float, b: float
) -> None:
    """S = max(fill-rate S, cost S), so the fill rate never drops below the target."""
    pol = policy(lam, lead, target=target, downtime_cost_per_day=b)
    fill_only = policy(lam, lead, target=target)
    cost_only = policy(lam, lead, target=0.0, downtime_cost_per_day=b)
    s = int(pol.base_stock_level[0])
    assert s == max(
        int(fill_only.base_stock_level[0]), int(cost_only.base_stock_level[0])
    )
    assert pol.fill_rate[0] >= target
    # and the fill-rate S is the smallest that meets the target
    s_fill = int(fill_only.base_stock_level[0])
    cdf_below = stats.poisson.cdf(s_fill - 2, lam * lead / 365)
    assert s_fill == 0 or cdf_below < target


# --- (4) monotonicity -------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    lam=st.tuples(st.floats(0.0, 200.0), st.floats(0.0, 200.0)).map(sorted),
    lead=st.tuples(st.floats(0.5, 200.0), st.floats(0.5, 200.0)).map(sorted),
    target=st.tuples(st.floats(0.5, 0.999), st.floats(0.5, 0.999)).map(sorted),
    rate=st.tuples(st.floats(0.0, 6.0), st.floats(0.0, 6.0)).map(sorted),
    duration=st.tuples(st.floats(0.0, 90.0), st.floats(0.0, 90.0)).map(sorted),
    b=st.one_of(st.just(float("nan")), st.floats(0.0, 50.0)),
    exponential=st.booleans(),
)
def test_level_non_decreasing(
    lam: list[float],
    lead: list[float],
    target: list[float],
    rate: list[float],
    duration: list[float],
    b: float,
    exponential: bool,
) -> None:
    """S never falls when demand, lead time, target, outage rate or length grows."""
    base = {"lam": lam[0], "lead": lead[0], "target": target[0],
            "rate": rate[0], "duration": duration[0]}  # fmt: skip
    varied = {"lam": lam, "lead": lead, "target": target,
              "rate": rate, "duration": duration}  # fmt: skip
    for name, pair in varied.items():
        args = {k: [v, v] for k, v in base.items()}
        args[name] = list(pair)
        outage = OutageProcess(
            rate_per_year=np.array(args["rate"]),
            duration_days=np.array(args["duration"]),
            exponential=np.array([exponential] * 2),
        )
        pol = policy(
            args["lam"],
            args["lead"],
            target=args["target"],
            downtime_cost_per_day=b,
            outage=outage,
        )
        assert pol.base_stock_level[0] <= pol.base_stock_level[1], name
        assert pol.base_stock_level_normal[1] <= pol.base_stock_level[1]


# --- (5) the outage mixture --------------------------------------------------------------


def uniform_age_cdf(k: np.ndarray, lam: float, lead: float, d: float, p: float):
    """P(X <= k) when X | A ~ Poisson(lam (L + A)), A = 0 w.p. 1-p else U[0, d].

    Closed form: int_a^b e^-m m^j / j! dm = P(j+1, b) - P(j+1, a) (regularised
    lower incomplete gamma), summed over j <= k and divided by b - a.
    """
    a, b = lam * lead, lam * (lead + d)
    out = []
    for kk in k:
        j = np.arange(kk + 1) + 1.0
        mixed = np.sum(special.gammainc(j, b) - special.gammainc(j, a)) / (b - a)
        out.append((1 - p) * stats.poisson.cdf(kk, a) + p * mixed)
    return np.array(out)


def exponential_age_cdf(k: np.ndarray, lam: float, lead: float, d: float, p: float):
    """P(X <= k) when A = 0 w.p. 1-p, else exponential with mean d.

    Poisson(lam A) with A exponential is geometric with q = lam d / (1 + lam d), so
    X = Poisson(lam L) + Y with P(Y <= n) = 1 - q^(n+1): a finite convolution.
    """
    q = lam * d / (1 + lam * d)
    out = []
    for kk in k:
        j = np.arange(kk + 1)
        mixed = np.sum(stats.poisson.pmf(j, lam * lead) * (1 - q ** (kk - j + 1)))
        out.append((1 - p) * stats.poisson.cdf(kk, lam * lead) + p * mixed)
    return np.array(out)


OUTAGE_CASES = [  # (demand/year, lead days, outages/year, duration days)
    (50.0, 30.0, 2.0, 30.0),
    (4.0, 60.0, 0.5, 90.0),
    (20.0, 10.0, 4.0, 7.0),
    (0.8, 120.0, 1.0, 45.0),
]


@pytest.mark.parametrize("exponential", [False, True])
@pytest.mark.parametrize(("lam_y", "lead", "rate", "d"), OUTAGE_CASES)
def test_outage_mixture_matches_the_exact_law(
    lam_y: float, lead: float, rate: float, d: float, exponential: bool
) -> None:
    """Fill rate, EBO and mean under outages equal the exact M/G/inf age law.

    The reference is planner.outages.mixture_cdf_exact (adaptive integration of
    the exact age density, checked there against Takacs's busy-period transform),
    not the quadrature the policy uses.
    """
    from planner.outages import age_survival, mixture_cdf_exact

    outage = OutageProcess(
        rate_per_year=np.array([rate]),
        duration_days=np.array([d]),
        exponential=np.array([exponential]),
    )
    pol = policy(lam_y, lead, target=0.95, outage=outage)
    lam = lam_y / 365
    s = int(pol.base_stock_level[0])
    k = np.arange(s + 1)[None, :]
    cdf = mixture_cdf_exact(
        k,
        np.array([lam]),
        np.array([lead]),
        np.array([rate]),
        np.array([d]),
        np.array([exponential]),
    )[0]
    # 64-node rule vs the exact integral: within 1.4e-4 for lambda d <= 100 (here <= 5)
    assert pol.fill_rate[0] == pytest.approx(cdf[s - 1], abs=2e-5)
    assert cdf[s - 1] >= 0.95 - 2e-5
    assert s == 1 or cdf[s - 2] < 0.95 + 2e-5  # the smallest S meeting the target
    ages = np.linspace(0.0, 60 * d, 600_001)
    surv = age_survival(
        ages,
        np.full(ages.size, rate),
        np.full(ages.size, d),
        np.full(ages.size, exponential),
    )
    mean_age = float(np.sum((surv[1:] + surv[:-1]) / 2 * np.diff(ages)))
    assert pol.lead_time_demand_mean[0] == pytest.approx(
        lam * (lead + mean_age), rel=1e-5
    )
    # EBO = E[X] - S + sum_{k<S} P(X <= k)
    ebo = lam * (lead + mean_age) - s + cdf[:s].sum()
    assert pol.expected_backorders[0] == pytest.approx(ebo, abs=5e-5)
    assert pol.base_stock_level_normal[0] == smallest_s(poisson_pmf(lam * lead), 0.95)


def test_outage_mixture_fast_mover_exponential() -> None:
    """At 1 unit/day and 30-day exponential outages the quadrature is within 1e-5
    of the exact integral over the M/M/inf age law (planner.outages)."""
    from planner.outages import mixture_cdf_exact

    outage = OutageProcess(
        rate_per_year=np.array([4.0]),
        duration_days=np.array([30.0]),
        exponential=np.array([True]),
    )
    pol = policy(365.0, 20.0, target=0.95, outage=outage)
    s = int(pol.base_stock_level[0])
    exact = mixture_cdf_exact(
        np.array([s - 1]),
        np.array([1.0]),
        np.array([20.0]),
        np.array([4.0]),
        np.array([30.0]),
        np.array([True]),
    )[0]
    assert pol.fill_rate[0] == pytest.approx(exact, abs=1e-5)


def simulate_fill(
    *,
    demand_per_day: float,
    lead_time_days: float,
    outage_rate_per_day: float,
    duration_days: float,
    exponential: bool,
    levels: np.ndarray,
    horizon_days: float,
    n_batches: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill rate (and batch-means SE) of (S-1, S) for each S, by event simulation.

    Unit Poisson demands; each places an order at once. Outages start as a Poisson
    process and last duration_days (fixed or exponential); overlapping outages merge
    into one down period. An order placed while the supplier is down arrives at the
    end of that down period + L, otherwise at placement + L. Arrival times are then
    non-decreasing, so the orders outstanding just before demand i are
    i - #{arrivals <= t_i}. Demand i is served from stock iff that is <= S - 1.
    """
    warm_up = lead_time_days + 20 * duration_days
    t0 = -warm_up
    span = horizon_days + warm_up
    t = np.sort(rng.uniform(t0, horizon_days, rng.poisson(demand_per_day * span)))
    n_out = rng.poisson(outage_rate_per_day * (span + 20 * duration_days))
    starts = np.sort(rng.uniform(t0 - 20 * duration_days, horizon_days, n_out))
    lengths = (
        rng.exponential(duration_days, n_out)
        if exponential
        else np.full(n_out, duration_days)
    )
    run_end = np.maximum.accumulate(starts + lengths)
    new_block = np.ones(n_out, dtype=bool)
    new_block[1:] = starts[1:] > run_end[:-1]
    block_start = starts[new_block]
    block_end = run_end[np.r_[np.flatnonzero(new_block)[1:] - 1, n_out - 1]]
    block = np.searchsorted(block_start, t, side="right") - 1
    safe = np.maximum(block, 0)
    down = (block >= 0) & (t < block_end[safe])
    arrival = np.where(down, block_end[safe], t) + lead_time_days
    outstanding = np.arange(t.shape[0]) - np.searchsorted(arrival, t, side="right")
    keep = t >= 0
    batch = (t[keep] / horizon_days * n_batches).astype(np.int64)
    n_demands = np.bincount(batch, minlength=n_batches)
    fills = []
    for s in levels:
        served = np.bincount(
            batch, weights=outstanding[keep] <= s - 1, minlength=n_batches
        )
        fills.append(served / n_demands)
    fills = np.array(fills)  # (levels, batches)
    fill = fills @ n_demands / n_demands.sum()
    se = fills.std(axis=1, ddof=1) / math.sqrt(n_batches)
    return fill, se


@pytest.mark.parametrize("exponential", [False, True])
def test_outage_fill_rate_matches_simulation(exponential: bool) -> None:
    """Mixture P(X <= k) for k near S equals the simulated fill within 4 SE (r d small)."""
    # r d = 0.5/yr x 14 d = 0.019: outages rarely overlap, where the mixture is
    # exact. (The exact union-of-outages fill differs by under 1 SE here.)
    lam_y, lead, rate, d = 50.0, 7.0, 0.5, 14.0
    outage = OutageProcess(
        rate_per_year=np.array([rate]),
        duration_days=np.array([d]),
        exponential=np.array([exponential]),
    )
    pol = policy(lam_y, lead, target=0.95, outage=outage)
    s = int(pol.base_stock_level[0])
    levels = np.arange(max(s - 4, 1), s + 3)
    fill, se = simulate_fill(
        demand_per_day=lam_y / 365,
        lead_time_days=lead,
        outage_rate_per_day=rate / 365,
        duration_days=d,
        exponential=exponential,
        levels=levels,
        horizon_days=365 * 20_000,
        n_batches=200,
        rng=np.random.default_rng(7 + exponential),
    )
    i = int(np.flatnonzero(levels == s)[0])
    assert abs(fill[i] - pol.fill_rate[0]) < 4 * se[i]
    n = levels.shape[0]
    means, weights = (
        np.repeat(a, n, axis=0)
        for a in _mixture(lam_y / 365, lead, rate, d, exponential)
    )
    model = mixture_cdf(levels - 1, means, weights)
    np.testing.assert_array_less(np.abs(fill - model), 4 * se)
    # Power: a model without outages is far off (> 10 SE) at some level.
    no_outage = stats.poisson.cdf(levels - 1, lam_y * lead / 365)
    assert np.max(np.abs(no_outage - fill) / se) > 10
    assert fill[i] >= 0.95


def _mixture(lam_day: float, lead: float, rate: float, d: float, exponential: bool):
    """The policy's mixture means/weights for one part (via a one-part policy)."""
    from planner.policy import mixture_means

    return mixture_means(
        np.array([lam_day]),
        np.array([lead]),
        OutageProcess(
            rate_per_year=np.array([rate]),
            duration_days=np.array([d]),
            exponential=np.array([exponential]),
        ),
    )


@pytest.mark.parametrize("exponential", [False, True])
def test_just_in_case_level_meets_target_when_simulated(exponential: bool) -> None:
    """At r = 2/yr, d = 30 days the just-in-case S meets 95 % when the outage process
    is simulated event by event, and S - 1 does not (DESIGN)."""
    lam_y, lead, rate, d = 50.0, 30.0, 2.0, 30.0
    outage = OutageProcess(
        rate_per_year=np.array([rate]),
        duration_days=np.array([d]),
        exponential=np.array([exponential]),
    )
    pol = policy(lam_y, lead, target=0.95, outage=outage)
    s = int(pol.base_stock_level[0])
    fill, se = simulate_fill(
        demand_per_day=lam_y / 365,
        lead_time_days=lead,
        outage_rate_per_day=rate / 365,
        duration_days=d,
        exponential=exponential,
        levels=np.array([s - 1, s]),
        horizon_days=365 * 20_000,
        n_batches=200,
        rng=np.random.default_rng(11 + exponential),
    )
    assert fill[1] > 0.95 - 4 * se[1]  # S meets the target ...
    assert fill[0] < 0.95 + 4 * se[0]  # ... and S - 1 does not
    assert fill[1] == pytest.approx(pol.fill_rate[0], abs=4 * se[1])
    assert s > pol.base_stock_level_normal[0]


def test_outage_mixture_exact_at_moderate_overlap() -> None:
    """At r = 2/yr, d = 30 days the mixture fill equals the simulation within 4 SE."""
    outage = OutageProcess(
        rate_per_year=np.array([2.0]),
        duration_days=np.array([30.0]),
        exponential=np.array([False]),
    )
    pol = policy(50.0, 30.0, target=0.95, outage=outage)
    s = int(pol.base_stock_level[0])
    fill, se = simulate_fill(
        demand_per_day=50.0 / 365,
        lead_time_days=30.0,
        outage_rate_per_day=2.0 / 365,
        duration_days=30.0,
        exponential=False,
        levels=np.array([s]),
        horizon_days=365 * 20_000,
        n_batches=200,
        rng=np.random.default_rng(3),
    )
    assert abs(fill[0] - pol.fill_rate[0]) < 4 * se[0]


@pytest.mark.slow
@pytest.mark.parametrize("exponential", [False, True])
@pytest.mark.parametrize(("lam_y", "lead", "rate", "d"), [(5.0, 60.0, 0.2, 21.0),
                                                          (200.0, 7.0, 0.5, 5.0)])  # fmt: skip
def test_outage_simulation_long(
    lam_y: float, lead: float, rate: float, d: float, exponential: bool
) -> None:
    """10^7 simulated demands at r d <= 0.012: the mixture cdf near S within 4 SE."""
    pol = policy(
        lam_y,
        lead,
        target=0.95,
        outage=OutageProcess(
            rate_per_year=np.array([rate]),
            duration_days=np.array([d]),
            exponential=np.array([exponential]),
        ),
    )
    s = int(pol.base_stock_level[0])
    levels = np.arange(max(s - 3, 1), s + 3)
    fill, se = simulate_fill(
        demand_per_day=lam_y / 365,
        lead_time_days=lead,
        outage_rate_per_day=rate / 365,
        duration_days=d,
        exponential=exponential,
        levels=levels,
        horizon_days=365 * 10_000_000 / lam_y,
        n_batches=400,
        rng=np.random.default_rng(99),
    )
    n = levels.shape[0]
    means, weights = (
        np.repeat(a, n, axis=0)
        for a in _mixture(lam_y / 365, lead, rate, d, exponential)
    )
    np.testing.assert_array_less(
        np.abs(fill - mixture_cdf(levels - 1, means, weights)), 4 * se
    )


# --- (6) ride-through window -------------------------------------------------------------


@pytest.mark.parametrize(("lam", "lead", "ride", "target"), [
    (12.0, 30.0, 70.0, 0.95), (0.5, 10.0, 200.0, 0.99), (300.0, 5.0, 14.0, 0.9)])  # fmt: skip
def test_ride_through_is_poisson_quantile_of_lead_plus_window(
    lam: float, lead: float, ride: float, target: float
) -> None:
    """S = smallest with Poisson cdf(S-1; lambda (L + D)) >= target; normal S unchanged."""
    pol = policy(lam, lead, target=target, ride_through_days=ride)
    ride_pmf = poisson_pmf(lam * (lead + ride) / 365)
    s = int(pol.base_stock_level[0])
    assert s == smallest_s(ride_pmf, target)
    normal_pmf = poisson_pmf(lam * lead / 365)
    assert pol.base_stock_level_normal[0] == smallest_s(normal_pmf, target)
    # Reported figures are for the normal process at the raised S.
    fill, ebo, on_hand = direct_figures(normal_pmf, s)
    assert pol.fill_rate[0] == pytest.approx(fill, abs=1e-12)
    assert pol.expected_on_hand[0] == pytest.approx(on_hand, abs=1e-10)
    assert pol.expected_backorders[0] == pytest.approx(ebo, abs=1e-12)


def test_ride_through_zero_or_short_changes_nothing() -> None:
    """D = 0 gives the normal S; a cost optimum above the ride-through S still rules."""
    plain = policy([12.0, 12.0], 30.0, downtime_cost_per_day=[np.nan, 500.0])
    zero = policy(
        [12.0, 12.0], 30.0, downtime_cost_per_day=[np.nan, 500.0], ride_through_days=0.0
    )
    np.testing.assert_array_equal(plain.base_stock_level, zero.base_stock_level)
    short = policy(
        [12.0, 12.0], 30.0, downtime_cost_per_day=[np.nan, 500.0], ride_through_days=1.0
    )
    assert short.base_stock_level[1] == plain.base_stock_level[1]
    assert short.base_stock_level[0] >= plain.base_stock_level[0]


# --- (7) no-demand parts -----------------------------------------------------------------


def test_no_demand_parts_hold_nothing() -> None:
    """lambda = 0: S = 0, fill 1, no backorders, no stock, no cost, binding no_demand."""
    outage = OutageProcess(
        rate_per_year=np.array([0.0, 3.0, 0.0]),
        duration_days=np.array([0.0, 60.0, 0.0]),
        exponential=np.array([False, True, False]),
    )
    pol = policy(
        [0.0, 0.0, 10.0],
        [30.0, 30.0, 30.0],
        downtime_cost_per_day=[np.nan, 100.0, np.nan],
        outage=outage,
        ride_through_days=[50.0, 50.0, 0.0],
    )
    assert pol.base_stock_level[:2].tolist() == [0, 0]
    assert pol.reorder_point[:2].tolist() == [-1, -1]
    assert pol.base_stock_level_normal[:2].tolist() == [0, 0]
    assert pol.fill_rate[:2].tolist() == [1.0, 1.0]
    assert pol.expected_backorders[:2].tolist() == [0.0, 0.0]
    assert pol.expected_on_hand[:2].tolist() == [0.0, 0.0]
    assert pol.annual_holding_cost[:2].tolist() == [0.0, 0.0]
    assert pol.annual_downtime_cost[:2].tolist() == [0.0, 0.0]
    assert pol.binding.tolist() == ["no_demand", "no_demand", "fill_rate"]
    assert pol.base_stock_level[2] == smallest_s(poisson_pmf(10 * 30 / 365), 0.95)


def test_empty_input_gives_empty_policy() -> None:
    """Zero parts give arrays of length 0, not an error."""
    empty = np.zeros(0)
    pol = base_stock_policy(
        demand_per_year=empty,
        lead_time_days=empty,
        unit_cost=empty,
        holding_rate=empty,
        target_fill_rate=empty,
        downtime_cost_per_day=empty,
    )
    assert pol.base_stock_level.shape == (0,)
    assert pol.binding.shape == (0,)


def test_smallest_level_edges() -> None:
    """Target 0 gives S = 0; a one-node mixture equals the Poisson quantile + 1."""
    means = np.array([[2.0], [2.0], [0.5]])
    weights = np.ones((3, 1))
    s = smallest_level(np.array([0.0, 0.95, 0.5]), means, weights)
    assert s.tolist() == [0, smallest_s(poisson_pmf(2.0), 0.95), 1]
    assert smallest_level(np.zeros(0), np.zeros((0, 1)), np.zeros((0, 1))).shape == (0,)


# --- (8) error paths ----------------------------------------------------------------------

GOOD = {
    "demand_per_year": np.array([10.0, 2.0]),
    "lead_time_days": np.array([30.0, 10.0]),
    "unit_cost": np.array([5.0, 50.0]),
    "holding_rate": np.array([0.25, 0.25]),
    "target_fill_rate": np.array([0.95, 0.99]),
    "downtime_cost_per_day": np.array([np.nan, 100.0]),
}


@pytest.mark.parametrize("field", sorted(GOOD))
def test_bad_shape_raises(field: str) -> None:
    """An array of the wrong length raises PlannerError naming it."""
    args = dict(GOOD, **{field: np.ones(3)})
    pattern = "must be 1-D" if field == "demand_per_year" else f"{field} must have"
    if field == "demand_per_year":
        args[field] = np.ones((2, 1))
    with pytest.raises(PlannerError, match=pattern):
        base_stock_policy(**args)


@pytest.mark.parametrize("field", sorted(GOOD))
@pytest.mark.parametrize("value", [-1.0, np.inf])
def test_negative_or_infinite_raises(field: str, value: float) -> None:
    """A negative or infinite entry raises PlannerError naming field, value and index."""
    arr = GOOD[field].copy()
    arr[1] = value
    with pytest.raises(PlannerError, match=rf"{field} must be finite and >= 0, got "
                       rf"{value!r} at index 1"):  # fmt: skip
        base_stock_policy(**dict(GOOD, **{field: arr}))


def test_nan_allowed_only_for_downtime_cost() -> None:
    """nan means "not given" for downtime cost only; elsewhere it is an error."""
    base_stock_policy(**GOOD)
    arr = GOOD["demand_per_year"].copy()
    arr[0] = np.nan
    with pytest.raises(PlannerError, match="demand_per_year must be finite"):
        base_stock_policy(**dict(GOOD, demand_per_year=arr))


def test_bad_ride_through_and_outage_raise() -> None:
    """ride_through_days and the outage arrays are checked like the others."""
    with pytest.raises(PlannerError, match=r"ride_through_days must have shape \(2,\)"):
        base_stock_policy(**GOOD, ride_through_days=np.ones(3))
    with pytest.raises(PlannerError, match="ride_through_days must be finite and >= 0"):
        base_stock_policy(**GOOD, ride_through_days=np.array([1.0, -5.0]))
    good_outage = {
        "rate_per_year": np.array([1.0, 1.0]),
        "duration_days": np.array([10.0, 10.0]),
        "exponential": np.array([False, True]),
    }
    bad = [
        ({"rate_per_year": np.array([1.0, -1.0])}, "outage.rate_per_year must be"),
        ({"duration_days": np.array([np.nan, 1.0])}, "outage.duration_days must be"),
        ({"duration_days": np.ones(1)}, r"outage.duration_days must have shape"),
        ({"exponential": np.array([True])}, r"outage.exponential must have shape"),
    ]
    for change, pattern in bad:
        outage = OutageProcess(**dict(good_outage, **change))
        with pytest.raises(PlannerError, match=pattern):
            base_stock_policy(**GOOD, outage=outage)


def test_outage_process_none_and_probability() -> None:
    """OutageProcess.none has no outages; outage_prob = 1 - exp(-r d / 365)."""
    none = OutageProcess.none(3)
    assert none.outage_prob().tolist() == [0.0, 0.0, 0.0]
    out = OutageProcess(
        rate_per_year=np.array([2.0]),
        duration_days=np.array([30.0]),
        exponential=np.array([False]),
    )
    assert out.outage_prob()[0] == pytest.approx(1 - math.exp(-60 / 365), rel=1e-14)
    with_none = policy([5.0, 5.0], 20.0, outage=OutageProcess.none(2))
    plain = policy([5.0, 5.0], 20.0)
    np.testing.assert_array_equal(with_none.fill_rate, plain.fill_rate)


# -- negative-binomial lead-time demand (over-dispersed history) ---------------


def unit_fill_direct(s: int, r: float, p: float) -> float:
    """Unit fill rate of compound-Poisson (logarithmic batch) demand, by double sum.

    beta(S) = sum_x P(X = x) sum_j P(B = j) min(j, (S - x)+) / E[B], with X ~
    NB(r, p) and B ~ Log(1 - p): written out term by term, independent of the
    convolution in planner.policy.
    """
    q = 1.0 - p
    j = np.arange(1, 4000)
    pb = stats.logser.pmf(j, q)
    total = 0.0
    for x in range(s):
        total += stats.nbinom.pmf(x, r, p) * np.sum(pb * np.minimum(j, s - x))
    return total / stats.logser.mean(q)


@pytest.mark.parametrize(("mean", "vtm"), [(0.4, 1.8), (3.0, 2.5), (12.0, 4.0)])
def test_negative_binomial_levels_match_scipy(mean: float, vtm: float) -> None:
    """With variance/mean > 1.05, S meets the unit fill rate of batch demand, EBO
    follows scipy's nbinom.

    r = mean/(vtm - 1), p = 1/vtm gives the mean and the variance vtm * mean; the
    EBO is checked by direct summation of (k - S) p(k) over 2,000 terms, the fill
    rate by a term-by-term double sum over lead-time demand and batch size.
    """
    r, p = mean / (vtm - 1.0), 1.0 / vtm
    lead = 36.5
    pol = base_stock_policy(
        demand_per_year=np.array([mean * 365 / lead]),
        lead_time_days=np.array([lead]),
        unit_cost=np.array([10.0]),
        holding_rate=np.array([0.25]),
        target_fill_rate=np.array([0.95]),
        downtime_cost_per_day=np.array([np.nan]),
        variance_to_mean=np.array([vtm]),
    )
    s = int(pol.base_stock_level[0])
    assert unit_fill_direct(s, r, p) >= 0.95 > unit_fill_direct(s - 1, r, p)
    assert pol.fill_rate[0] == pytest.approx(unit_fill_direct(s, r, p), rel=1e-9)
    # batches make the unit fill rate lower than the chance of no shortage
    assert pol.fill_rate[0] < stats.nbinom.cdf(s - 1, r, p)
    k = np.arange(2000)
    ebo = np.sum(np.maximum(k - s, 0) * stats.nbinom.pmf(k, r, p))
    assert pol.expected_backorders[0] == pytest.approx(ebo, rel=1e-9, abs=1e-14)


def test_negative_binomial_fill_rate_against_event_simulation() -> None:
    """The unit fill rate of batch demand matches a simulated (S-1, S) system.

    Batches arrive as a Poisson process, sizes logarithmic; an order per unit
    arrives L later. A batch finding X outstanding gets min(B, (S - X)+) at once.
    2 million batches; tolerance 4 standard errors of a ratio estimate (batch
    means over 200 blocks).
    """
    rng = np.random.default_rng(20240601)
    vtm, lead_days, demand_per_year = 3.0, 30.0, 40.0
    q = 1.0 - 1.0 / vtm
    batch_rate_per_day = demand_per_year / 365 / stats.logser.mean(q)
    n = 2_000_000
    times = np.cumsum(rng.exponential(1.0 / batch_rate_per_day, n))
    sizes = stats.logser.rvs(q, size=n, random_state=rng)
    cum = np.concatenate([[0], np.cumsum(sizes)])
    first = np.searchsorted(times, times - lead_days, side="right")
    outstanding = cum[np.arange(n)] - cum[first]
    pol = base_stock_policy(
        demand_per_year=np.array([demand_per_year]),
        lead_time_days=np.array([lead_days]),
        unit_cost=np.array([10.0]),
        holding_rate=np.array([0.25]),
        target_fill_rate=np.array([0.95]),
        downtime_cost_per_day=np.array([np.nan]),
        variance_to_mean=np.array([vtm]),
    )
    s = int(pol.base_stock_level[0])
    served = np.minimum(sizes, np.maximum(s - outstanding, 0))
    blocks = 200
    ratio = served.reshape(blocks, -1).sum(1) / sizes.reshape(blocks, -1).sum(1)
    se = ratio.std(ddof=1) / np.sqrt(blocks)
    assert abs(served.sum() / sizes.sum() - pol.fill_rate[0]) < 4 * se


def test_dispersion_at_or_below_threshold_is_poisson() -> None:
    """A ratio <= 1.05 (or None) leaves the Poisson policy unchanged; more dispersion
    never lowers S."""
    common = {
        "demand_per_year": np.full(3, 20.0),
        "lead_time_days": np.full(3, 30.0),
        "unit_cost": np.full(3, 50.0),
        "holding_rate": np.full(3, 0.25),
        "target_fill_rate": np.full(3, 0.95),
        "downtime_cost_per_day": np.full(3, 300.0),
    }
    plain = base_stock_policy(**common)
    flat = base_stock_policy(**common, variance_to_mean=np.array([0.7, 1.0, 1.05]))
    np.testing.assert_array_equal(plain.base_stock_level, flat.base_stock_level)
    np.testing.assert_allclose(plain.fill_rate, flat.fill_rate, rtol=0, atol=0)
    lumpy = base_stock_policy(**common, variance_to_mean=np.array([1.5, 3.0, 6.0]))
    assert np.all(np.diff(lumpy.base_stock_level) >= 0)
    assert np.all(lumpy.base_stock_level >= plain.base_stock_level)


def test_mixed_exposure_equals_part_by_part() -> None:
    """Parts with and without outages in one call give the figures of separate calls."""
    rng = np.random.default_rng(3)
    n = 12
    kw = {
        "demand_per_year": rng.uniform(0.2, 30, n),
        "lead_time_days": rng.uniform(5, 120, n),
        "unit_cost": rng.uniform(5, 500, n),
        "holding_rate": np.full(n, 0.25),
        "target_fill_rate": rng.choice([0.9, 0.95, 0.99], n),
        "downtime_cost_per_day": np.where(rng.random(n) < 0.5, 400.0, np.nan),
        "variance_to_mean": np.where(rng.random(n) < 0.3, 2.5, 1.0),
    }
    rate = np.where(np.arange(n) % 3 == 0, 1.0, 0.0)
    outage = OutageProcess(
        rate_per_year=rate,
        duration_days=np.full(n, 20.0),
        exponential=np.arange(n) % 2 == 0,
    )
    together = base_stock_policy(**kw, outage=outage)
    for i in range(n):
        one = base_stock_policy(
            **{k: v[i : i + 1] for k, v in kw.items()},
            outage=OutageProcess(
                rate_per_year=rate[i : i + 1],
                duration_days=np.full(1, 20.0),
                exponential=np.array([i % 2 == 0]),
            ),
        )
        for name in ("base_stock_level", "base_stock_level_normal", "binding"):
            assert getattr(together, name)[i] == getattr(one, name)[0]
        for name in ("fill_rate", "expected_backorders", "expected_on_hand"):
            assert getattr(together, name)[i] == pytest.approx(getattr(one, name)[0])


def test_negative_binomial_large_mean_does_not_underflow() -> None:
    """A fast mover (mean 1,479, p^r underflows) still gets a finite level meeting
    the target; its fill rate lies between the Poisson and a cruder bound."""
    pol = base_stock_policy(
        demand_per_year=np.array([3000.0]),
        lead_time_days=np.array([180.0]),
        unit_cost=np.array([10.0]),
        holding_rate=np.array([0.25]),
        target_fill_rate=np.array([0.95]),
        downtime_cost_per_day=np.array([np.nan]),
        variance_to_mean=np.array([1.1]),
    )
    mean = 3000 * 180 / 365
    s = int(pol.base_stock_level[0])
    assert np.isfinite(pol.fill_rate[0])
    assert pol.fill_rate[0] >= 0.95
    # the NB ready rate at S - 1 (variance 1.1 mean) bounds the unit fill rate above
    r, p = mean / 0.1, 1 / 1.1
    assert stats.nbinom.cdf(s - 1, r, p) >= pol.fill_rate[0]
    assert s > stats.poisson.ppf(0.95, mean)  # more spread needs more stock


def test_fast_mover_above_the_recursion_range() -> None:
    """Lead-time demand above 500 units takes the bisection path and agrees with scipy."""
    from planner.policy import smallest_level

    means = np.array([[600.0], [2500.0], [3.0]])
    target = np.array([0.9, 0.99, 0.95])
    level = smallest_level(target, means, np.ones((3, 1)))
    for s, m, q in zip(level, means[:, 0], target, strict=True):
        assert stats.poisson.cdf(s - 1, m) >= q > stats.poisson.cdf(s - 2, m)
