"""Tests of planner.lotsizing.periodic_ss_policy: the exact periodic-review (s, S)
policy against stockpyl's s_s_discrete_exact (Snyder & Shen's examples, Zheng &
Federgruen's table), against brute force over every (s, S) of a box evaluated by
an independent Markov chain (Poisson and negative-binomial demand, lead times),
against an event simulation, and its error paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import planner.lotsizing as lotsizing
from planner.errors import PlannerError
from planner.lotsizing import PeriodicSSPolicy, periodic_ss_policy

ss = pytest.importorskip("stockpyl.ss")
newsvendor = pytest.importorskip("stockpyl.newsvendor")

#: Support of the direct sums: P(D > D_MAX) is negligible for the means used.
D_MAX = 400


def solve(**kwargs: float) -> PeriodicSSPolicy:
    """periodic_ss_policy with the long keyword names shortened (h, p, K, mu, L, v)."""
    names = {
        "mu": "demand_mean_per_period",
        "h": "holding_cost_per_period",
        "p": "stockout_cost_per_period",
        "K": "fixed_cost",
        "L": "lead_time_periods",
        "v": "variance_to_mean",
    }
    return periodic_ss_policy(**{names.get(k, k): x for k, x in kwargs.items()})


def period_pmf(mu: float, vtm: float | None) -> np.ndarray:
    """pmf of one period's demand on 0..D_MAX: Poisson, or scipy's nbinom."""
    d = np.arange(D_MAX + 1)
    if vtm is None or vtm <= 1.05:
        return stats.poisson.pmf(d, mu)
    return stats.nbinom.pmf(d, mu / (vtm - 1.0), 1.0 / vtm)


def sum_pmf(pmf: np.ndarray, n_periods: int) -> np.ndarray:
    """pmf of the demand over ``n_periods`` periods by repeated convolution."""
    out = np.zeros(D_MAX + 1)
    out[0] = 1.0
    for _ in range(n_periods):
        out = np.convolve(out, pmf)[: D_MAX + 1]
    return out


class Chain:
    """Independent evaluation of a periodic (s, S) policy by its Markov chain.

    The inventory position after ordering, Y, moves from y to y - d while that
    stays above s and back to S otherwise; the stationary law of Y gives the cost
    per period sum_y pi(y) G(y) + K P(order), and the units short per period.
    """

    def __init__(
        self, mu: float, h: float, p: float, k: float, lead: int, vtm: float | None
    ) -> None:
        self.pmf = period_pmf(mu, vtm)
        self.mu, self.k = mu, k
        x = sum_pmf(self.pmf, lead + 1)  # demand over L + 1 periods
        x_lead = sum_pmf(self.pmf, lead)  # demand over L periods
        d = np.arange(D_MAX + 1)
        levels = np.arange(-60, 200)
        self.levels = levels
        short = np.clip(d[None, :] - levels[:, None], 0, None)
        over = np.clip(levels[:, None] - d[None, :], 0, None)
        self.g = (h * over + p * short) @ x
        self.short = short @ x - short @ x_lead

    def at(self, table: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Values of a per-level table at levels y."""
        return table[y - self.levels[0]]

    def stationary(self, s: int, big_s: int) -> tuple[np.ndarray, np.ndarray, float]:
        """(levels s+1..S, stationary probabilities, orders per period)."""
        y = np.arange(s + 1, big_s + 1)
        q = y.size
        # from y[i], demand d <= i leads to y[i] - d = y[j], j = i - d; more
        # demand triggers an order back up to S (the last state)
        lag = np.arange(q)[:, None] - np.arange(q)[None, :]
        trans = np.where(lag >= 0, self.pmf[np.clip(lag, 0, None)], 0.0)
        leave = 1.0 - trans.sum(axis=1)
        trans[:, q - 1] += leave
        a = trans.T - np.eye(q)
        a[-1] = 1.0  # replace one balance equation by sum(pi) = 1
        b = np.zeros(q)
        b[-1] = 1.0
        pi = np.linalg.solve(a, b)
        return y, pi, float(pi @ leave)

    def cost(self, s: int, big_s: int) -> float:
        """Long-run cost per period of (s, S)."""
        y, pi, orders = self.stationary(s, big_s)
        return float(pi @ self.at(self.g, y) + self.k * orders)

    def fill_rate(self, s: int, big_s: int) -> float:
        """Fraction of demanded units served from stock at once."""
        y, pi, _ = self.stationary(s, big_s)
        return 1.0 - float(pi @ self.at(self.short, y)) / self.mu

    def brute_min(self, s_range: range, big_s_hi: int) -> tuple[float, int, int]:
        """Least cost over every s in s_range and s < S <= big_s_hi."""
        return min(
            (self.cost(s, big_s), s, big_s)
            for s in s_range
            for big_s in range(s + 1, big_s_hi + 1)
        )


@pytest.mark.parametrize(
    ("h", "p", "k", "mu", "expected"),
    [
        (1.0, 4.0, 5.0, 6.0, (4, 10, 8.034111561471644)),  # S&S Example 4.7
        (40.0, 125.0, 150.0, 4.0, (2, 7, 223.5748295669688)),  # S&S Problem 4.31
    ],
)
def test_textbook_examples(h, p, k, mu, expected):
    """Snyder & Shen's Example 4.7 and Problem 4.31 give stockpyl's published s, S, cost."""
    pol = solve(mu=mu, h=h, p=p, K=k)
    assert (int(pol.reorder_point[0]), int(pol.order_up_to[0])) == expected[:2]
    # tolerance: the published costs are stockpyl's floats; ours differ by rounding
    assert pol.cost_per_period[0] == pytest.approx(expected[2], abs=1e-9)


def test_zheng_federgruen_table():
    """All 24 instances of Zheng & Federgruen (1991), as stockpyl's tests list them,
    solved in one vectorised call: s and S exact, cost to the published 3 decimals."""
    mu = [*range(10, 80, 5), 21, 22, 23, 24, 51, 52, 59, 61, 63, 64]
    s_opt = [6, 10, 14, 19, 23, 28, 33, 37, 42, 47, 52, 56, 62, 67,
             15, 16, 17, 18, 43, 44, 51, 52, 54, 55]  # fmt: skip
    big_s_opt = [40, 49, 62, 56, 66, 77, 87, 97, 108, 118, 129, 75, 81, 86,
                 65, 68, 52, 54, 110, 112, 126, 131, 73, 74]  # fmt: skip
    c_opt = [35.022, 42.698, 49.173, 54.262, 57.819, 61.215, 64.512, 67.776,
             70.975, 74.149, 77.306, 78.518, 79.037, 79.554, 50.406, 51.632,
             52.757, 53.518, 71.611, 72.246, 76.679, 77.929, 78.287, 78.402]  # fmt: skip
    pol = solve(mu=np.array(mu, float), h=1.0, p=9.0, K=64.0)
    np.testing.assert_array_equal(pol.reorder_point, s_opt)
    np.testing.assert_array_equal(pol.order_up_to, big_s_opt)
    # tolerance: the table rounds to 3 decimals
    np.testing.assert_allclose(pol.cost_per_period, c_opt, atol=5e-4 + 1e-9)


@pytest.mark.parametrize(
    ("h", "p", "k", "mu"),
    [
        (1.0, 9.0, 64.0, 15.0),  # a Zheng-Federgruen instance
        (0.18, 0.7, 2.5, 50.0),  # S&S Example 4.8's costs, Poisson demand
        (2.0, 36.0, 60.0, 190.0),  # S&S Problem 4.32's costs, Poisson demand
        (0.5, 10.0, 20.0, 0.3),
        (0.1, 5.0, 50.0, 2.0),
        (2.0, 50.0, 100.0, 1.2),
        (1.0, 2.0, 10.0, 8.0),
        (0.05, 2.0, 30.0, 0.8),
        (0.02, 1.0, 5.0, 0.05),
        (3.0, 100.0, 500.0, 0.5),
        (1.0, 9.0, 64.0, 600.0),  # a mean above 500 (exp(-mean) underflows)
    ],
)
def test_equals_stockpyl(h, p, k, mu):
    """Same s, S and cost (to 1e-6) as stockpyl's s_s_discrete_exact, run live."""
    s_ref, big_s_ref, c_ref = ss.s_s_discrete_exact(h, p, k, True, mu)
    pol = solve(mu=mu, h=h, p=p, K=k)
    assert int(pol.reorder_point[0]) == s_ref
    assert int(pol.order_up_to[0]) == big_s_ref
    assert pol.cost_per_period[0] == pytest.approx(c_ref, abs=1e-6)


def test_zero_fixed_cost_is_base_stock():
    """K = 0 gives the newsvendor base-stock policy s = y* - 1, S = y*, cost G(y*)."""
    pol = solve(mu=np.array([0.4, 6.0, 40.0]), h=1.0, p=np.array([9.0, 4.0, 30.0]), K=0)
    for i, (mu, p) in enumerate([(0.4, 9.0), (6.0, 4.0), (40.0, 30.0)]):
        level, cost = newsvendor.newsvendor_poisson(1.0, p, mu)
        assert pol.order_up_to[i] == level
        assert pol.reorder_point[i] == level - 1
        assert pol.newsvendor_level[i] == level
        assert pol.cost_per_period[i] == pytest.approx(cost, abs=1e-9)
        assert pol.order_frequency_per_period[i] == pytest.approx(
            1.0 - np.exp(-mu), abs=1e-12
        )  # an order in every period with demand


@settings(max_examples=20, deadline=None)
@given(
    mu=st.floats(0.05, 2.5),
    h=st.floats(0.5, 2.0),
    p=st.floats(1.0, 20.0),
    k=st.floats(0.0, 25.0),
    lead=st.integers(0, 2),
)
def test_brute_force_poisson(mu, h, p, k, lead):
    """The optimum equals the least Markov-chain cost over every (s, S) in a box
    that holds it (Poisson demand, lead times 0-2); its fill rate and cost are
    the chain's too."""
    chain = Chain(mu, h, p, k, lead, None)
    pol = solve(mu=mu, h=h, p=p, K=k, L=lead)
    s, big_s = int(pol.reorder_point[0]), int(pol.order_up_to[0])
    s_lo, s_hi, big_s_hi = -12, int(3 * (lead + 1) * mu) + 6, 45
    assert s_lo < s < s_hi
    assert big_s < big_s_hi
    best, _, _ = chain.brute_min(range(s_lo, s_hi + 1), big_s_hi)
    # tolerance: rounding of the chain's linear solves
    assert pol.cost_per_period[0] == pytest.approx(best, rel=1e-9, abs=1e-11)
    assert chain.cost(s, big_s) == pytest.approx(best, rel=1e-9, abs=1e-11)
    assert pol.fill_rate[0] == pytest.approx(chain.fill_rate(s, big_s), abs=1e-10)


@settings(max_examples=12, deadline=None)
@given(
    mu=st.floats(0.1, 2.0),
    vtm=st.floats(1.2, 5.0),
    h=st.floats(0.5, 2.0),
    p=st.floats(2.0, 20.0),
    k=st.floats(1.0, 20.0),
    lead=st.integers(0, 1),
)
def test_brute_force_negative_binomial(mu, vtm, h, p, k, lead):
    """Negative-binomial demand (the extension): the optimum equals brute force over
    a box with scipy's nbinom pmf and the Markov chain, fill rate included."""
    chain = Chain(mu, h, p, k, lead, vtm)
    pol = solve(mu=mu, h=h, p=p, K=k, L=lead, v=vtm)
    s, big_s = int(pol.reorder_point[0]), int(pol.order_up_to[0])
    s_lo, s_hi, big_s_hi = -12, 25, 45
    assert s_lo < s < s_hi
    assert big_s < big_s_hi
    best, _, _ = chain.brute_min(range(s_lo, s_hi + 1), big_s_hi)
    assert pol.cost_per_period[0] == pytest.approx(best, rel=1e-9, abs=1e-11)
    assert pol.fill_rate[0] == pytest.approx(chain.fill_rate(s, big_s), abs=1e-10)


def test_figures_add_up():
    """Holding + stockout + order cost is the cost; on hand = E[Y] - E[X] + EBO."""
    mu = np.array([0.05, 0.7, 3.0, 12.0, 2.0])
    lead = np.array([0, 1, 3, 0, 2])
    pol = solve(mu=mu, h=0.3, p=12.0, K=40.0, L=lead, v=np.array([1, 1, 2.5, 1, 1.8]))
    parts = (
        pol.expected_holding_cost_per_period
        + pol.expected_stockout_cost_per_period
        + pol.expected_order_cost_per_period
    )
    np.testing.assert_allclose(parts, pol.cost_per_period, rtol=1e-12)
    chain_checks = [Chain(m, 0.3, 12.0, 40.0, int(lt), v) for m, lt, v in
                    zip(mu, lead, [None, None, 2.5, None, 1.8], strict=True)]  # fmt: skip
    for i, chain in enumerate(chain_checks):
        y, pi, orders = chain.stationary(pol.reorder_point[i], pol.order_up_to[i])
        mean_y = float(pi @ y)
        expected = mean_y - (lead[i] + 1) * mu[i] + pol.expected_backorders[i]
        assert pol.expected_on_hand[i] == pytest.approx(expected, abs=1e-9)
        assert pol.order_frequency_per_period[i] == pytest.approx(orders, abs=1e-10)
    assert np.all((pol.fill_rate > 0) & (pol.fill_rate < 1))


def test_event_simulation_with_lead_time(rng):
    """An event simulation (orders arrive L periods later, costs on end-of-period
    stock) agrees with the exact cost and fill rate within 4 standard errors."""
    mu, h, p, k, lead = 1.5, 0.4, 6.0, 15.0, 2
    pol = solve(mu=mu, h=h, p=p, K=k, L=lead)
    s, big_s = int(pol.reorder_point[0]), int(pol.order_up_to[0])
    n_paths, n_periods, burn_in = 400, 3000, 200
    position = np.full(n_paths, big_s)
    net = np.full(n_paths, big_s)
    pipeline = np.zeros((lead + 1, n_paths), np.int64)  # row i arrives in i periods
    cost = np.zeros(n_paths)
    served = np.zeros(n_paths)
    demanded = np.zeros(n_paths)
    for t in range(n_periods):
        qty = np.where(position <= s, big_s - position, 0)
        position = position + qty
        pipeline[lead] += qty
        net = net + pipeline[0]  # the order of L periods ago (this one if L = 0)
        pipeline = np.roll(pipeline, -1, axis=0)
        pipeline[lead] = 0
        demand = rng.poisson(mu, n_paths)
        if t >= burn_in:
            served += np.minimum(demand, np.maximum(net, 0))
            demanded += demand
        net = net - demand
        position = position - demand
        if t >= burn_in:
            cost += h * np.maximum(net, 0) + p * np.maximum(-net, 0) + k * (qty > 0)
    per_path = cost / (n_periods - burn_in)
    se = per_path.std(ddof=1) / np.sqrt(n_paths)
    assert abs(per_path.mean() - pol.cost_per_period[0]) < 4 * se
    fill = served / demanded
    se_fill = fill.std(ddof=1) / np.sqrt(n_paths)
    assert abs(fill.mean() - pol.fill_rate[0]) < 4 * se_fill + 1e-4


@pytest.mark.parametrize(("block_parts", "block_cells"), [(3, 4_000_000), (1024, 50)])
def test_vectorised_equals_one_by_one(monkeypatch, block_parts, block_cells):
    """A mixed batch (Poisson, NB, lead times, zero demand, K = 0), split into
    blocks by count or by the memory bound, gives each part's one-part answer."""
    monkeypatch.setattr(lotsizing, "SS_BLOCK_PARTS", block_parts)
    monkeypatch.setattr(lotsizing, "SS_BLOCK_CELLS", block_cells)
    mu = np.array([0.0, 0.02, 0.9, 4.0, 25.0, 1.3, 7.0, 0.4])
    h = np.array([1.0, 0.1, 0.5, 2.0, 0.3, 1.0, 0.05, 4.0])
    p = np.array([5.0, 8.0, 40.0, 20.0, 3.0, 12.0, 1.5, 200.0])
    k = np.array([10.0, 30.0, 0.0, 80.0, 15.0, 25.0, 40.0, 300.0])
    lead = np.array([0, 2, 1, 0, 3, 1, 0, 4])
    vtm = np.array([np.nan, 1.0, 3.0, 1.5, np.nan, 1.04, 2.2, 6.0])
    pol = solve(mu=mu, h=h, p=p, K=k, L=lead, v=vtm)
    for i in range(mu.size):
        one = solve(mu=mu[i], h=h[i], p=p[i], K=k[i], L=lead[i], v=vtm[i])
        for name in PeriodicSSPolicy.__slots__:
            np.testing.assert_allclose(
                getattr(pol, name)[i], getattr(one, name)[0], rtol=1e-11, atol=1e-13
            )


def test_no_demand_holds_nothing():
    """A part with no demand is never ordered: s = -1, S = 0, zero cost, fill 1."""
    pol = solve(mu=np.array([0.0, 2.0]), h=1.0, p=4.0, K=5.0)
    assert (pol.reorder_point[0], pol.order_up_to[0]) == (-1, 0)
    assert pol.cost_per_period[0] == 0.0
    assert pol.fill_rate[0] == 1.0
    assert pol.order_frequency_per_period[0] == 0.0


def test_overdispersion_threshold():
    """A ratio at or below 1.05 (or nan) is Poisson: the same answer as no ratio."""
    base = solve(mu=3.0, h=1.0, p=9.0, K=20.0)
    for vtm in (np.nan, 0.8, 1.05):
        pol = solve(mu=3.0, h=1.0, p=9.0, K=20.0, v=vtm)
        assert pol.cost_per_period[0] == base.cost_per_period[0]
    assert (
        solve(mu=3.0, h=1.0, p=9.0, K=20.0, v=2.0).cost_per_period[0]
        > (base.cost_per_period[0])
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mu": -1.0}, "demand_mean_per_period"),
        ({"mu": np.nan}, "demand_mean_per_period"),
        ({"h": 0.0}, "holding_cost_per_period must be > 0"),
        ({"p": 0.0}, "stockout_cost_per_period must be > 0"),
        ({"K": -5.0}, "fixed_cost"),
        ({"L": 1.5}, "lead_time_periods must be a whole number"),
        ({"L": -1}, "lead_time_periods"),
        ({"v": -2.0}, "variance_to_mean"),
        ({"mu": np.ones((2, 2))}, "scalars or 1-D"),
        ({"mu": np.ones(3), "h": np.ones(2)}, "broadcast"),
        ({"s_max": -1}, "s_max must be a whole number"),
        ({"s_max": 9}, "above s_max = 9"),
    ],
)
def test_raises(kwargs, match):
    """Each documented PlannerError: bad values name the field; s_max stops the search."""
    args = {"mu": 6.0, "h": 1.0, "p": 4.0, "K": 5.0} | kwargs
    with pytest.raises(PlannerError, match=match):
        solve(**args)
