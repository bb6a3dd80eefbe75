"""Tests of planner.lotsizing: (r, Q) figures against direct sums, Q = 1 against the
base-stock policy, the optimum against brute force and stockpyl, the EOQ limit,
independent event simulations (unit and batch demand) and error paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from planner.errors import PlannerError
from planner.lotsizing import DEGENERATE_SUPPLY_YEARS, LotSizePolicy, rq_policy
from planner.policy import BindingRule, OutageProcess, base_stock_policy, mixture_means
from planner.units import DAYS_PER_YEAR

#: Truncation of the direct sums: P(X > K_MAX) is negligible for the means used.
K_MAX = 600


def rq(
    demand_per_year: float | list[float],
    lead_time_days: float | list[float],
    *,
    order_cost: float | list[float] = 50.0,
    target: float | list[float] = 0.95,
    downtime_cost_per_day: float | list[float] = np.nan,
    unit_cost: float | list[float] = 100.0,
    holding_rate: float = 0.25,
    lot_size: float | list[float] | None = None,
    variance_to_mean: float | list[float] | None = None,
    outage: OutageProcess | None = None,
) -> LotSizePolicy:
    """rq_policy on broadcast scalars/lists (convenience for the tests)."""
    lam = np.atleast_1d(np.asarray(demand_per_year, float))
    n = lam.shape[0]

    def full(x: float | list[float]) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, float), (n,)).copy()

    return rq_policy(
        demand_per_year=lam,
        lead_time_days=full(lead_time_days),
        unit_cost=full(unit_cost),
        holding_rate=full(holding_rate),
        order_cost=full(order_cost),
        target_fill_rate=full(target),
        downtime_cost_per_day=full(downtime_cost_per_day),
        lot_size=None if lot_size is None else full(lot_size),
        variance_to_mean=None if variance_to_mean is None else full(variance_to_mean),
        outage=outage,
    )


def level_figures(pmf: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """P(X <= y-1), E[(X-y)+], E[(y-X)+] for each level y, by direct summation."""
    k = np.arange(pmf.shape[0])
    below = k[None, :] < y[:, None]
    ready = np.sum(np.where(below, pmf, 0.0), axis=1)
    ebo = np.sum(np.maximum(k[None, :] - y[:, None], 0) * pmf, axis=1)
    on_hand = np.sum(np.maximum(y[:, None] - k[None, :], 0) * pmf, axis=1)
    return ready, ebo, on_hand


def direct_rq(pmf: np.ndarray, r: int, q: int) -> tuple[float, float, float]:
    """Fill rate, EBO and on hand of (r, Q): averages over y = r+1..r+Q (IP uniform)."""
    y = np.arange(r + 1, r + q + 1)
    ready, ebo, on_hand = level_figures(pmf, y)
    return float(ready.mean()), float(ebo.mean()), float(on_hand.mean())


def brute_force(
    pmf: np.ndarray, h: float, b: float, k_lambda: float, beta: float, q_max: int
) -> tuple[float, int, int]:
    """Least cost over r in [-q_max-50, 300], Q in [1, q_max] with fill >= beta.

    Returns (cost, r, Q): ties go to the smallest Q, then the largest r.
    """
    y = np.arange(-q_max - 50, 301)
    ready, ebo, on_hand = level_figures(pmf, y)
    g = h * on_hand + b * ebo
    cum_g = np.concatenate([[0.0], np.cumsum(g)])
    cum_f = np.concatenate([[0.0], np.cumsum(ready)])
    best = (np.inf, 0, 0)
    for q in range(1, q_max + 1):
        win_g = (cum_g[q:] - cum_g[:-q]) / q  # window starting at y[i]
        win_f = (cum_f[q:] - cum_f[:-q]) / q
        cost = np.where(win_f >= beta, k_lambda / q + win_g, np.inf)
        i = int(np.flatnonzero(cost == cost.min())[-1])
        if cost[i] < best[0] * (1 - 1e-12):
            best = (float(cost[i]), int(y[i] - 1), q)
    return best


def poisson_pmf(mean: float) -> np.ndarray:
    """Poisson pmf on 0..K_MAX (scipy.stats)."""
    return stats.poisson.pmf(np.arange(K_MAX + 1), mean)


def test_snyder_shen_example_5_8() -> None:
    """Snyder & Shen Ex. 5.8 (h=20, p=150, K=100, lambda=1.5, L=2): r=3, Q=5, g=107.9236.

    The values are those of stockpyl's doctest of r_q_poisson_exact (the book's
    example); the cost agrees to rounding.
    """
    pol = rq(1.5, 730.0, order_cost=100.0, target=0.0, unit_cost=80.0,
             downtime_cost_per_day=150.0 / DAYS_PER_YEAR)  # fmt: skip
    assert (pol.reorder_point[0], pol.order_quantity[0]) == (3, 5)
    assert pol.annual_cost[0] == pytest.approx(107.92358063314975, rel=1e-10)
    assert pol.order_up_to[0] == 8
    assert pol.binding[0] == BindingRule.COST


@pytest.mark.parametrize("case", ["poisson", "negative_binomial", "outage", "downtime"])
def test_lot_of_one_equals_base_stock(case: str) -> None:
    """With Q = 1 the (r, Q) policy is (S-1, S): r + 1 equals base_stock_policy's S
    exactly, and the figures agree (EBO to 1e-9: the window sum goes through the
    second-order loss, with rounding of order 1e-12)."""
    rng = np.random.default_rng(11)
    n = 300
    common = {
        "demand_per_year": rng.lognormal(1.0, 1.5, n).clip(0.05, 3000),
        "lead_time_days": rng.uniform(3, 180, n),
        "unit_cost": rng.lognormal(4, 1.5, n).clip(2, 5000),
        "holding_rate": np.full(n, 0.25),
        "target_fill_rate": rng.choice([0.0, 0.9, 0.95, 0.99], n),
        "downtime_cost_per_day": np.full(n, np.nan),
    }
    if case == "negative_binomial":
        common["variance_to_mean"] = np.where(
            rng.random(n) < 0.6, rng.uniform(1.2, 5.0, n), 1.0
        )
    if case == "outage":
        common["outage"] = OutageProcess(
            rate_per_year=np.where(rng.random(n) < 0.5, 0.7, 0.0),
            duration_days=rng.uniform(5, 60, n),
            exponential=rng.random(n) < 0.5,
        )
    if case == "downtime":
        common["downtime_cost_per_day"] = np.where(
            rng.random(n) < 0.7, rng.lognormal(3, 1.5, n), np.nan
        )
    base = base_stock_policy(**common)
    lots = rq_policy(**common, order_cost=np.full(n, 40.0), lot_size=np.ones(n))
    np.testing.assert_array_equal(lots.order_up_to, base.base_stock_level)
    np.testing.assert_array_equal(lots.reorder_point, base.reorder_point)
    np.testing.assert_allclose(lots.fill_rate, base.fill_rate, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        lots.expected_backorders, base.expected_backorders, rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        lots.expected_on_hand, base.expected_on_hand, rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        lots.annual_downtime_cost, base.annual_downtime_cost, rtol=1e-9, atol=1e-6
    )
    np.testing.assert_allclose(lots.safety_stock, base.safety_stock - 1.0)
    assert np.all(lots.binding[base.binding == BindingRule.COST] == BindingRule.COST)


def test_zero_order_cost_without_floor_orders_one_at_a_time() -> None:
    """K = 0 and no fill-rate floor: the mean of the Q smallest G grows with Q, so
    Q = 1 and r + 1 is the newsvendor base-stock level."""
    lam = np.array([2.0, 15.0, 120.0])
    pol = rq(lam, 40.0, order_cost=0.0, target=0.0, downtime_cost_per_day=5.0)
    base = base_stock_policy(
        demand_per_year=lam, lead_time_days=np.full(3, 40.0),
        unit_cost=np.full(3, 100.0), holding_rate=np.full(3, 0.25),
        target_fill_rate=np.zeros(3), downtime_cost_per_day=np.full(3, 5.0),
    )  # fmt: skip
    np.testing.assert_array_equal(pol.order_quantity, 1)
    np.testing.assert_array_equal(pol.order_up_to, base.base_stock_level)


@pytest.mark.parametrize(("mean", "r", "q"), [(0.6, 0, 3), (4.0, 2, 7), (25.0, 18, 40)])
def test_fixed_lot_figures_match_direct_sums(mean: float, r: int, q: int) -> None:
    """Fill rate, EBO and on hand of a given (r, Q) equal the averages of the
    base-stock figures over y = r+1..r+Q (direct sums), and on hand obeys
    E[OH] = (Q+1)/2 + r - E[X] + EBO; costs are h E[OH], K lambda/Q, 365 b EBO."""
    lead = 30.0
    lam = mean * DAYS_PER_YEAR / lead
    # pick the floor so that it makes r binding: the fill rate of (r, Q) itself
    fill, ebo, on_hand = direct_rq(poisson_pmf(mean), r, q)
    pol = rq(lam, lead, order_cost=80.0, target=fill - 1e-9, lot_size=q,
             downtime_cost_per_day=2.0)  # fmt: skip
    if pol.reorder_point[0] != r:  # the cost optimum lies above: check it is
        assert pol.binding[0] == BindingRule.COST
        r = int(pol.reorder_point[0])
        fill, ebo, on_hand = direct_rq(poisson_pmf(mean), r, q)
    assert pol.fill_rate[0] == pytest.approx(fill, abs=1e-12)
    assert pol.expected_backorders[0] == pytest.approx(ebo, rel=1e-9, abs=1e-12)
    assert pol.expected_on_hand[0] == pytest.approx(on_hand, rel=1e-9, abs=1e-12)
    assert on_hand == pytest.approx((q + 1) / 2 + r - mean + ebo, rel=1e-12)
    assert pol.safety_stock[0] == pytest.approx(r - mean)
    assert pol.annual_holding_cost[0] == pytest.approx(25.0 * on_hand, rel=1e-9)
    assert pol.annual_order_cost[0] == pytest.approx(80.0 * lam / q)
    assert pol.annual_downtime_cost[0] == pytest.approx(2.0 * 365 * ebo, rel=1e-9)
    total = pol.annual_holding_cost + pol.annual_order_cost + pol.annual_downtime_cost
    assert pol.annual_cost[0] == pytest.approx(total[0])


@pytest.mark.parametrize("target", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
@pytest.mark.parametrize("q", [1, 4, 15])
def test_fill_floor_respected_and_minimal(target: float, q: int) -> None:
    """With a given lot, r meets the floor; where the floor binds r - 1 misses it,
    where cost binds r minimises the window cost (direct sums)."""
    mean, lead = 3.2, 45.0
    pmf = poisson_pmf(mean)
    pol = rq(mean * 365 / lead, lead, target=target, lot_size=q,
             downtime_cost_per_day=0.3)  # fmt: skip
    r = int(pol.reorder_point[0])
    assert direct_rq(pmf, r, q)[0] >= target
    h, b = 25.0, 0.3 * 365

    def cost(rr: int) -> float:
        _, ebo, on_hand = direct_rq(pmf, rr, q)
        return h * on_hand + b * ebo

    if pol.binding[0] == BindingRule.FILL_RATE:
        assert direct_rq(pmf, r - 1, q)[0] < target
        assert cost(r - 1) <= cost(r)
    else:
        assert cost(r - 1) >= cost(r) < cost(r + 1)


@settings(max_examples=40, deadline=None)
@given(
    mean=st.floats(0.05, 8.0),
    k_lambda=st.floats(2.0, 3000.0),
    unit_cost=st.floats(20.0, 400.0),
    b_day=st.one_of(st.just(np.nan), st.floats(0.01, 20.0)),
    beta=st.sampled_from([0.0, 0.5, 0.8, 0.9, 0.95, 0.99]),
)
def test_optimum_equals_brute_force(
    mean: float, k_lambda: float, unit_cost: float, b_day: float, beta: float
) -> None:
    """The enumeration with its lower bound finds the least-cost feasible (r, Q) of
    an exhaustive search over a grid that holds it (cost to 1e-9)."""
    assume(not (np.isnan(b_day) and beta == 0.0))  # no finite optimum then
    lead = 30.0
    lam = mean * 365 / lead
    pol = rq(lam, lead, order_cost=k_lambda / lam, target=beta,
             unit_cost=unit_cost, downtime_cost_per_day=b_day)  # fmt: skip
    q_max = 120
    assume(pol.order_quantity[0] < q_max - 10)
    b = 0.0 if np.isnan(b_day) else b_day * 365
    cost, r, q = brute_force(
        poisson_pmf(mean), 0.25 * unit_cost, b, k_lambda, beta, q_max
    )
    assert pol.annual_cost[0] == pytest.approx(cost, rel=1e-9)
    fill, *_ = direct_rq(poisson_pmf(mean), int(pol.reorder_point[0]),
                         int(pol.order_quantity[0]))  # fmt: skip
    assert fill >= beta
    assert (pol.reorder_point[0], pol.order_quantity[0]) == (r, q) or (
        pol.annual_cost[0] == pytest.approx(cost, rel=1e-12)  # an exact tie
    )


# (h, p, K, lambda, L in years): Snyder & Shen Ex. 5.8 and five more, incl. r < 0
STOCKPYL_CASES = [
    (20.0, 150.0, 100.0, 1.5, 2.0),
    (1.0, 10.0, 50.0, 20.0, 0.1),
    (5.0, 80.0, 20.0, 12.0, 0.25),
    (0.5, 5.0, 10.0, 3.0, 1.0),
    (4.0, 400.0, 60.0, 250.0, 0.02),
    (8.0, 1000.0, 5.0, 40.0, 0.5),
]


@pytest.mark.parametrize(("h", "p", "k", "lam", "lead_years"), STOCKPYL_CASES)
def test_against_stockpyl(
    h: float, p: float, k: float, lam: float, lead_years: float
) -> None:
    """Same (r, Q) and cost as stockpyl's Federgruen-Zheng r_q_poisson_exact.

    stockpyl's p is per unit-year: downtime cost per day = p / 365; no floor.
    """
    rq_mod = pytest.importorskip("stockpyl.rq")
    r_ref, q_ref, g_ref = rq_mod.r_q_poisson_exact(h, p, k, lam, lead_years)
    pol = rq(lam, lead_years * 365, order_cost=k, target=0.0, unit_cost=h * 4,
             downtime_cost_per_day=p / 365)  # fmt: skip
    assert (pol.reorder_point[0], pol.order_quantity[0]) == (r_ref, q_ref)
    assert pol.annual_cost[0] == pytest.approx(g_ref, rel=1e-9)


def test_eoq_limit_for_fast_movers() -> None:
    """High demand, small lead-time spread (mean 100, sd 10 against Q ~ 1000): Q is
    within 2 % of the EOQ sqrt(2 K lambda / h) times the planned-backorder factor
    sqrt((h + b)/b) (1.0005 here); the 2 % covers the safety-stock effect."""
    lam, k, h = 20_000.0, 50.0, 2.0
    b_year = 1000 * h
    pol = rq(lam, 100 * 365 / lam, order_cost=k, target=0.0, unit_cost=h / 0.25,
             downtime_cost_per_day=b_year / 365)  # fmt: skip
    eoq = np.sqrt(2 * k * lam / h) * np.sqrt((h + b_year) / b_year)
    assert pol.order_quantity[0] == pytest.approx(eoq, rel=0.02)
    assert pol.annual_order_cost[0] + h * pol.order_quantity[0] / 2 == pytest.approx(
        np.sqrt(2 * k * lam * h), rel=0.02
    )


def simulate_rq(
    r: int,
    q: int,
    demand_per_day: float,
    lead_days: float,
    *,
    vtm: float = 1.0,
    horizon_days: float = 4000.0,
    n_paths: int = 200,
    rng: np.random.Generator,
) -> tuple[float, float, float, float]:
    """Event simulation of an (r, nQ) system; returns fill, its SE, EBO, its SE.

    Demand comes in batches at Poisson times (size 1, or logarithmic where vtm > 1
    so that demand over any period is NB with that variance-to-mean ratio). After
    each batch the smallest multiple of Q lifting the inventory position above r
    is ordered and arrives lead_days later. Each path starts with IP uniform on
    r+1..r+Q and nothing on order, which is stationary from t = L on. A batch gets
    min(B, net stock before it) at once; EBO is the time average of backorders on
    a grid over [L, T]. SEs come from the spread over independent paths.
    """
    if vtm > 1:
        q_log = 1.0 - 1.0 / vtm
        rate = demand_per_day / stats.logser.mean(q_log)
    else:
        rate = demand_per_day
    n_ev = int(rate * horizon_days + 8 * np.sqrt(rate * horizon_days) + 20)
    t = np.cumsum(rng.exponential(1.0 / rate, (n_paths, n_ev)), axis=1)
    assert np.all(t[:, -1] > horizon_days)
    if vtm > 1:
        sizes = stats.logser.rvs(q_log, size=(n_paths, n_ev), random_state=rng)
    else:
        sizes = np.ones((n_paths, n_ev), np.int64)
    ip0 = r + 1 + rng.integers(0, q, n_paths)
    cum = np.cumsum(sizes, axis=1)
    ip_after = r + 1 + np.mod(ip0[:, None] - r - 1 - cum, q)
    ip_before = np.concatenate([ip0[:, None], ip_after[:, :-1]], axis=1)
    ordered = ip_after - (ip_before - sizes)
    assert np.all(ordered % q == 0)
    assert np.all(ordered >= 0)
    arrived_cum = np.concatenate(
        [np.zeros((n_paths, 1)), np.cumsum(ordered, axis=1)], axis=1
    )
    demand_cum = np.concatenate([np.zeros((n_paths, 1)), cum], axis=1)
    big = float(t.max()) + lead_days + 1.0
    offset = np.arange(n_paths)[:, None] * big
    arrival_flat = (t + lead_days + offset).ravel()
    demand_flat = (t + offset).ravel()

    def count(flat: np.ndarray, when: np.ndarray, side: str) -> np.ndarray:
        """Per path, how many entries of its row of ``flat`` lie before ``when``."""
        idx = np.searchsorted(flat, (when + offset).ravel(), side=side)
        return idx.reshape(when.shape) - np.arange(n_paths)[:, None] * n_ev

    rows = np.arange(n_paths)[:, None]
    # net stock just before each batch: arrivals strictly before it
    n_arr = count(arrival_flat, t, "left")
    net_before = ip0[:, None] - (cum - sizes) + arrived_cum[rows, n_arr]
    served = np.minimum(sizes, np.maximum(net_before, 0))
    window = (t > lead_days) & (t <= horizon_days)
    served_p = np.sum(np.where(window, served, 0), axis=1)
    sizes_p = np.sum(np.where(window, sizes, 0), axis=1)
    fill = served_p.sum() / sizes_p.sum()
    resid = served_p - fill * sizes_p
    fill_se = np.sqrt(np.sum(resid**2) / (n_paths * (n_paths - 1))) / sizes_p.mean()
    grid = np.broadcast_to(
        np.linspace(lead_days + 1e-6, horizon_days, 400), (n_paths, 400)
    )
    net = (
        ip0[:, None]
        - demand_cum[rows, count(demand_flat, grid, "right")]
        + arrived_cum[rows, count(arrival_flat, grid, "right")]
    )
    ebo_p = np.maximum(-net, 0).mean(axis=1)
    return fill, fill_se, ebo_p.mean(), ebo_p.std(ddof=1) / np.sqrt(n_paths)


@pytest.mark.parametrize(
    ("demand_per_year", "lead", "target", "b_day", "vtm"),
    [
        (180.0, 6.0, 0.9, np.nan, 1.0),  # fill-rate floor binds
        (40.0, 30.0, 0.0, 3.0, 1.0),  # downtime cost binds
        (60.0, 20.0, 0.9, np.nan, 3.0),  # batch (NB) demand, floor binds
        (25.0, 40.0, 0.0, 1.0, 2.0),  # batch demand, cost binds
    ],
)
def test_matches_event_simulation(
    demand_per_year: float, lead: float, target: float, b_day: float, vtm: float
) -> None:
    """Fill rate and EBO of the optimal (r, Q) match an independent event simulation
    within 4 standard errors (unit demand, and logarithmic batches for NB, where
    the fill rate is the compound-Poisson unit fill rate averaged over IP)."""
    pol = rq(demand_per_year, lead, order_cost=30.0, target=target,
             downtime_cost_per_day=b_day, unit_cost=20.0,
             variance_to_mean=vtm)  # fmt: skip
    r, q = int(pol.reorder_point[0]), int(pol.order_quantity[0])
    assert q > 1
    fill, fill_se, ebo, ebo_se = simulate_rq(
        r, q, demand_per_year / 365, lead, vtm=vtm, rng=np.random.default_rng(5)
    )
    assert abs(fill - pol.fill_rate[0]) < 4 * fill_se
    assert abs(ebo - pol.expected_backorders[0]) < 4 * ebo_se + 1e-9


def test_outage_figures_match_mixture_sums() -> None:
    """Under random outages the figures are the weight-averaged direct sums over
    the Poisson means of the outage-age mixture, and r does not fall."""
    outage = OutageProcess(
        rate_per_year=np.array([0.8]), duration_days=np.array([40.0]),
        exponential=np.array([True]),
    )  # fmt: skip
    lam, lead = 30.0, 25.0
    pol = rq(lam, lead, target=0.95, outage=outage)
    plain = rq(lam, lead, target=0.95)
    means, weights = mixture_means(np.array([lam / 365]), np.array([lead]), outage)
    r, q = int(pol.reorder_point[0]), int(pol.order_quantity[0])
    figures = np.array([direct_rq(poisson_pmf(m), r, q) for m in means[0]])
    expected = weights[0] @ figures
    assert pol.fill_rate[0] == pytest.approx(expected[0], abs=1e-10)
    assert pol.expected_backorders[0] == pytest.approx(expected[1], rel=1e-8)
    assert pol.expected_on_hand[0] == pytest.approx(expected[2], rel=1e-8)
    assert pol.reorder_point[0] >= plain.reorder_point[0]


def test_vectorised_over_parts_equals_one_at_a_time() -> None:
    """A mixed batch (fixed and optimised lots, NB, outages, floors and costs) gives
    the same answers as each part alone: the active-set loop keeps parts apart."""
    rng = np.random.default_rng(3)
    n = 24
    args = {
        "demand_per_year": rng.lognormal(2, 1.2, n),
        "lead_time_days": rng.uniform(5, 90, n),
        "unit_cost": rng.lognormal(3, 1, n),
        "holding_rate": np.full(n, 0.2),
        "order_cost": rng.uniform(0, 200, n),
        "target_fill_rate": rng.choice([0.0, 0.9, 0.99], n),
        "downtime_cost_per_day": np.where(rng.random(n) < 0.5, 4.0, np.nan),
        "lot_size": np.where(rng.random(n) < 0.3, rng.integers(1, 20, n), np.nan),
        "variance_to_mean": np.where(rng.random(n) < 0.4, 2.5, 1.0),
    }
    args["target_fill_rate"][np.isnan(args["downtime_cost_per_day"])] = 0.95
    outage = OutageProcess(
        rate_per_year=np.where(rng.random(n) < 0.4, 1.0, 0.0),
        duration_days=np.full(n, 20.0), exponential=np.zeros(n, bool),
    )  # fmt: skip
    batch = rq_policy(**args, outage=outage)
    for i in range(n):
        one = rq_policy(
            **{k: v[i : i + 1] for k, v in args.items()},
            outage=OutageProcess(
                rate_per_year=outage.rate_per_year[i : i + 1],
                duration_days=outage.duration_days[i : i + 1],
                exponential=outage.exponential[i : i + 1],
            ),
        )
        assert one.reorder_point[0] == batch.reorder_point[i]
        assert one.order_quantity[0] == batch.order_quantity[i]
        assert one.annual_cost[0] == pytest.approx(batch.annual_cost[i], rel=1e-9)
    given_lot = ~np.isnan(args["lot_size"])
    np.testing.assert_array_equal(
        batch.order_quantity[given_lot], args["lot_size"][given_lot]
    )


@given(
    target=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
    lead=st.floats(5.0, 120.0),
    q=st.integers(1, 30),
)
@settings(max_examples=30, deadline=None)
def test_reorder_point_grows_with_lead_time_and_target(
    target: float, lead: float, q: int
) -> None:
    """For a given lot, r never falls when the lead time or the target rises."""
    pol = rq([12.0, 12.0, 12.0], [lead, lead * 1.5, lead], lot_size=q,
             target=[target, target, min(target + 0.05, 0.999)])  # fmt: skip
    assert pol.reorder_point[1] >= pol.reorder_point[0]
    assert pol.reorder_point[2] >= pol.reorder_point[0]


def test_no_demand_parts_hold_nothing() -> None:
    """Zero demand: nothing held (order-up-to 0), fill 1, no backorders, no cost."""
    pol = rq([0.0, 0.0, 5.0], 30.0, lot_size=[np.nan, 6.0, np.nan])
    np.testing.assert_array_equal(pol.order_quantity[:2], [1, 6])
    np.testing.assert_array_equal(pol.order_up_to[:2], [0, 0])
    np.testing.assert_array_equal(pol.fill_rate[:2], [1.0, 1.0])
    np.testing.assert_array_equal(pol.annual_cost[:2], [0.0, 0.0])
    assert list(pol.binding[:2]) == [BindingRule.NO_DEMAND] * 2
    assert pol.binding[2] != BindingRule.NO_DEMAND


def test_degenerate_parts_get_a_year_of_supply() -> None:
    """Free holding, or no floor and no downtime cost: no finite optimal lot, so Q
    is one year of demand; the floor still sets r (free holding) or nothing is held
    (no floor: order-up-to 0)."""
    pol = rq([10.3, 10.3], 30.0, unit_cost=[0.0, 100.0], target=[0.95, 0.0])
    expected_q = int(np.ceil(10.3 * DEGENERATE_SUPPLY_YEARS))
    np.testing.assert_array_equal(pol.order_quantity, [expected_q, expected_q])
    fixed = rq(10.3, 30.0, unit_cost=0.0, target=0.95, lot_size=expected_q)
    assert pol.reorder_point[0] == fixed.reorder_point[0]
    assert pol.fill_rate[0] >= 0.95
    assert pol.order_up_to[1] == 0
    assert pol.annual_holding_cost[1] == pytest.approx(0.0, abs=1e-9)


def test_empty_input_gives_empty_policy() -> None:
    """No parts: empty arrays, no error."""
    pol = rq_policy(
        demand_per_year=np.zeros(0), lead_time_days=np.zeros(0),
        unit_cost=np.zeros(0), holding_rate=np.zeros(0), order_cost=np.zeros(0),
        target_fill_rate=np.zeros(0), downtime_cost_per_day=np.zeros(0),
    )  # fmt: skip
    assert pol.reorder_point.shape == (0,)
    assert pol.annual_cost.shape == (0,)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("lead_time_days", -1.0, "lead_time_days must be finite and >= 0"),
        ("unit_cost", np.inf, "unit_cost must be finite"),
        ("order_cost", np.nan, "order_cost must be finite"),
        ("holding_rate", -0.1, "holding_rate"),
        ("downtime_cost_per_day", -2.0, "downtime_cost_per_day"),
        ("target_fill_rate", 1.0, r"target_fill_rate must be in \[0, 1\)"),
        ("lot_size", 0.0, "lot_size must be a whole number >= 1"),
        ("lot_size", 2.5, "lot_size must be a whole number >= 1"),
        ("variance_to_mean", -1.0, "variance_to_mean"),
    ],
)
def test_bad_values_raise(field: str, value: float, match: str) -> None:
    """Each documented bad value raises PlannerError naming the field and index."""
    args = {
        "demand_per_year": np.array([5.0, 5.0]),
        "lead_time_days": np.array([10.0, 10.0]),
        "unit_cost": np.array([10.0, 10.0]),
        "holding_rate": np.array([0.25, 0.25]),
        "order_cost": np.array([10.0, 10.0]),
        "target_fill_rate": np.array([0.9, 0.9]),
        "downtime_cost_per_day": np.array([np.nan, np.nan]),
        "lot_size": np.array([np.nan, np.nan]),
        "variance_to_mean": np.array([1.0, 1.0]),
    }
    args[field][1] = value
    with pytest.raises(PlannerError, match=match) as err:
        rq_policy(**args)
    assert "index 1" in str(err.value)


def test_bad_shapes_raise() -> None:
    """Arrays of different lengths, 2-D demand or a short outage process raise."""
    args = {
        "demand_per_year": np.array([5.0, 5.0]),
        "lead_time_days": np.array([10.0]),
        "unit_cost": np.array([10.0, 10.0]),
        "holding_rate": np.array([0.25, 0.25]),
        "order_cost": np.array([10.0, 10.0]),
        "target_fill_rate": np.array([0.9, 0.9]),
        "downtime_cost_per_day": np.array([np.nan, np.nan]),
    }
    with pytest.raises(PlannerError, match=r"lead_time_days must have shape \(2,\)"):
        rq_policy(**args)
    args["lead_time_days"] = np.array([10.0, 10.0])
    with pytest.raises(PlannerError, match="1-D"):
        rq_policy(**{**args, "demand_per_year": np.ones((2, 1))})
    with pytest.raises(PlannerError, match=r"outage\.exponential"):
        rq_policy(**args, outage=OutageProcess.none(3))
    with pytest.raises(PlannerError, match="lot_size must have shape"):
        rq_policy(**args, lot_size=np.ones(3))
