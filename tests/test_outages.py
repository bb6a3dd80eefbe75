"""Tests for planner.outages: the exact down-period age and its Poisson mixture.

Checked against (1) hand-worked pieces of the fixed-duration law, (2) Takács's
Laplace transform of the M/G/inf busy period, (3) brute-force quadrature of the
mixture, (4) the non-overlapping limits, and (5) an independent event simulation of
overlapping outages, with and without simulated demand.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from scipy import integrate, special

from planner.errors import PlannerError
from planner.outages import (
    MAX_AGE_NODES,
    _log_poisson_cdf,
    age_distribution,
    age_survival,
    mixture_cdf_exact,
)


def one(value) -> np.ndarray:
    """A one-part array."""
    return np.array([value])


def gauss_mixture_cdf(k, lam, lead, nodes, weights) -> np.ndarray:
    """P(X <= k) from quadrature nodes/weights of one part, X | A ~ Poisson(lam (L+A))."""
    means = lam * (lead + nodes[None, :])
    return np.sum(weights[None, :] * special.pdtr(np.asarray(k)[:, None], means), 1)


# --- (1) the law of the age ------------------------------------------------------------


@pytest.mark.parametrize("n_nodes", [1, 8, 64, MAX_AGE_NODES])
def test_weights_sum_to_one_atom_first(n_nodes: int) -> None:
    """Rows sum to 1, column 0 is the atom e^(-r d/365) at age 0, nodes ascend."""
    rate = np.array([2.0, 0.0, 6.0, 1.0, 3.0, 2.0])
    dur = np.array([30.0, 14.0, 20.0, 0.0, 60.0, 30.0])
    expo = np.array([False, True, True, False, False, True])
    nodes, weights = age_distribution(rate, dur, expo, n_nodes=n_nodes)
    assert nodes.shape == weights.shape == (6, n_nodes + 1)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    np.testing.assert_allclose(weights[:, 0], np.exp(-rate * dur / 365), rtol=1e-14)
    assert np.all(nodes[:, 0] == 0)
    assert np.all(weights >= 0)
    assert np.all(np.diff(nodes[:, 1:], axis=1) >= 0)
    assert np.all(nodes[1] == 0) or np.all(weights[1, 1:] == 0)  # no outages


def test_probability_down_is_exact() -> None:
    """P(A > 0) = 1 - exp(-r d / 365) for fixed and exponential lengths, any load."""
    rate = np.array([0.5, 2.0, 8.0, 30.0, 0.5, 2.0, 8.0, 30.0])
    dur = np.array([14.0, 30.0, 20.0, 60.0, 14.0, 30.0, 20.0, 60.0])
    expo = np.arange(8) >= 4
    p = age_survival(np.zeros(8), rate, dur, expo)
    np.testing.assert_allclose(p, -np.expm1(-rate * dur / 365), rtol=1e-12)
    assert np.all(age_survival(np.full(8, -1.0), rate, dur, expo) == 1.0)


def test_fixed_second_piece_hand_worked() -> None:
    """On [d, 2d) the fixed-length age survival is the hand-integrated quadratic."""
    # S_B = 1 on [0,1), q - c (x-1) on [1,2) (delay equation); P(A>x) = q - c int S_B
    rate, d = 6.0, 30.0
    beta = rate * d / 365
    c, q = beta * math.exp(-beta), -math.expm1(-beta)
    x = np.array([0.3, 1.0, 1.4, 1.9])
    expected = np.where(
        x < 1, q - c * x, q - c - c * (q * (x - 1) - c * (x - 1) ** 2 / 2)
    )
    got = age_survival(x[None, :] * d, one(rate), one(d), one(False))[0]
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def takacs_busy_lst(s: float, beta: float, exponential: bool) -> float:
    """Laplace-Stieltjes transform of the M/G/inf busy period (Takács 1962), time in d.

    E[e^{-sB}] = 1 + s/beta - 1 / (beta I(s)), I(s) = int_0^inf exp(-s t - beta
    int_0^t P(D > v) dv) dt, D the outage length (1, or exponential with mean 1).
    """
    if exponential:
        i_s = integrate.quad(
            lambda t: math.exp(-s * t - beta * (1 - math.exp(-t))),
            0,
            np.inf,
            epsabs=1e-15,
            epsrel=1e-13,
        )[0]
    else:
        i_s = -math.expm1(-(s + beta)) / (s + beta) + math.exp(-beta - s) / s
    return 1 + s / beta - 1 / (beta * i_s)


@pytest.mark.parametrize("exponential", [False, True])
@pytest.mark.parametrize("beta", [0.16, 0.4, 2.0])
def test_age_law_matches_takacs_transform(beta: float, exponential: bool) -> None:
    """int e^{-sa} dP(A<=a) over a > 0 equals beta e^-beta (1 - E e^{-sB}) / s exactly.

    The age density is beta e^-beta P(B > a) (alternating renewal); Takács's busy
    period transform is an independent closed form of the law of B.
    """
    d = 10.0
    rate = beta * 365 / d
    edges = np.arange(0.0, 200.0 + 1)  # unit pieces: the fixed law's breakpoints
    t, w = np.polynomial.legendre.leggauss(30)
    x = (edges[:-1, None] + 0.5 * (t + 1)).ravel()
    wx = np.tile(0.5 * w, edges.size - 1)
    surv = age_survival((x * d)[None, :], one(rate), one(d), one(exponential))[0]
    p_down = -math.expm1(-beta)
    for s in (0.3, 1.0, 3.0):
        # int_0^inf e^{-sx} f(x) dx = P(A > 0) - s int e^{-sx} P(A > x) dx
        lhs = p_down - s * np.sum(wx * np.exp(-s * x) * surv)
        rhs = beta * math.exp(-beta) * (1 - takacs_busy_lst(s, beta, exponential)) / s
        assert lhs == pytest.approx(rhs, abs=1e-12)


@pytest.mark.parametrize("exponential", [False, True])
def test_non_overlapping_limit(exponential: bool) -> None:
    """As r d -> 0 the age given an outage is uniform on [0, d] or exponential(d)."""
    d = 40.0
    rate = 1e-6 * 365 / d
    a = np.linspace(0.0, 3 * d, 13)[1:]
    cond = age_survival(a[None, :], one(rate), one(d), one(exponential))[0] / (
        -math.expm1(-1e-6)
    )
    limit = np.exp(-a / d) if exponential else np.clip(1 - a / d, 0, 1)
    np.testing.assert_allclose(cond, limit, atol=3e-6)
    nodes, weights = age_distribution(one(rate), one(d), one(exponential))
    w = weights[0, 1:] / weights[0, 1:].sum()
    moments = [np.sum(w * nodes[0, 1:] ** p) / d**p for p in (1, 2, 3)]
    expected = [1, 2, 6] if exponential else [1 / 2, 1 / 3, 1 / 4]
    np.testing.assert_allclose(moments, expected, rtol=1e-5)


@pytest.mark.parametrize("exponential", [False, True])
def test_rule_reproduces_moments_of_exact_law(exponential: bool) -> None:
    """The Gauss rule's E[A], E[A^2] equal the integrals of the exact survival."""
    rate, d = 4.0, 45.0  # r d / 365 = 0.49
    nodes, weights = age_distribution(one(rate), one(d), one(exponential))
    a, w = fine_rule(d)
    surv = age_survival(a[None, :], one(rate), one(d), one(exponential))[0]
    mean = np.sum(w * surv)  # E[A] = int P(A > a) da
    second = np.sum(w * 2 * a * surv)  # E[A^2] = int 2 a P(A > a) da
    # the rule leaves out the last 1e-9 of the age's mass (then renormalises): the
    # moments move by about 1e-9 x the truncation point (~13-30 d) / the moment
    assert np.sum(weights * nodes) == pytest.approx(mean, rel=5e-8)
    assert np.sum(weights * nodes**2) == pytest.approx(second, rel=5e-7)


def test_vectorised_equals_one_at_a_time() -> None:
    """Mixed parts (both kinds, several loads, no outages) equal one-part calls."""
    rate = np.array([2.0, 0.0, 6.0, 2.0, 9.0, 2.0])
    dur = np.array([30.0, 20.0, 20.0, 30.0, 15.0, 30.0])
    expo = np.array([False, True, True, True, False, False])
    lam = np.array([0.2, 1.0, 0.05, 3.0, 0.5, 0.2])
    lead = np.array([30.0, 10.0, 60.0, 20.0, 7.0, 30.0])
    k = np.array([[3, 9], [8, 12], [2, 5], [70, 140], [4, 9], [3, 9]])
    nodes, weights = age_distribution(rate, dur, expo, n_nodes=16)
    cdf = mixture_cdf_exact(k, lam, lead, rate, dur, expo)
    ages = np.array([[0.0, 10.0, 50.0]] * 6)
    surv = age_survival(ages, rate, dur, expo)
    for i in range(6):
        args = (one(rate[i]), one(dur[i]), one(expo[i]))
        n1, w1 = age_distribution(*args, n_nodes=16)
        np.testing.assert_allclose(nodes[i], n1[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(weights[i], w1[0], rtol=1e-12, atol=1e-15)
        c1 = mixture_cdf_exact(k[i : i + 1], one(lam[i]), one(lead[i]), *args)
        np.testing.assert_allclose(cdf[i], c1[0], rtol=1e-13)
        np.testing.assert_allclose(surv[i], age_survival(ages[:1], *args)[0])
    np.testing.assert_allclose(cdf[1], special.pdtr(k[1], 10.0))  # no outages


# --- (2) the Poisson mixture -------------------------------------------------------------


def fine_rule(d: float, n_cells_per_d: int = 20, n_d: int = 80):
    """Composite 20-point Gauss-Legendre nodes/weights on [0, n_d d] [days].

    Cells of d / n_cells_per_d, aligned with the fixed law's breakpoints k d.
    """
    t, w = np.polynomial.legendre.leggauss(20)
    h = d / n_cells_per_d
    left = np.arange(n_d * n_cells_per_d) * h
    return (left[:, None] + 0.5 * h * (t + 1)).ravel(), np.tile(0.5 * h * w, left.size)


def brute_force_cdf(ks: np.ndarray, lam, lead, rate, d, exponential) -> np.ndarray:
    """P(X <= k) by brute-force quadrature against the age survival P(A > a).

    Integration by parts: E F(k; lam (L + A)) = F(k; lam L) - int_0^inf P(A > a)
    lam p(k; lam (L + a)) da, p the Poisson pmf; fine composite Gauss-Legendre.
    """
    a, w = fine_rule(d)
    surv = age_survival(a[None, :], one(rate), one(d), one(exponential))[0]
    m = lam * (lead + a)
    k = ks[:, None]
    pmf = np.exp(special.xlogy(k, m) - m - special.gammaln(k + 1))
    return special.pdtr(ks, lam * lead) - np.sum(w * surv * lam * pmf, axis=1)


@pytest.mark.parametrize("exponential", [False, True])
@pytest.mark.parametrize(
    ("lam", "lead", "rate", "d"),
    [(50 / 365, 30.0, 2.0, 30.0), (80 / 30, 20.0, 0.4 * 365 / 30, 30.0),
     (0.01, 60.0, 1.0, 45.0)],
)  # fmt: skip
def test_exact_mixture_matches_brute_force(lam, lead, rate, d, exponential) -> None:
    """mixture_cdf_exact equals adaptive quadrature to 1e-12, fast movers included."""
    mean = lam * (lead + d)
    ks = np.unique(np.round(np.array([0.5, 1.0, 2.0, 4.0]) * mean + 1).astype(int))
    got = mixture_cdf_exact(ks[None, :], one(lam), one(lead), one(rate), one(d),
                            one(exponential))[0]  # fmt: skip
    want = brute_force_cdf(ks, lam, lead, rate, d, exponential)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("exponential", [False, True])
@pytest.mark.parametrize("beta", [0.16, 0.5])
@pytest.mark.parametrize("lam_d", [30.0, 100.0])
def test_default_rule_within_2e4_of_exact(beta, lam_d, exponential) -> None:
    """The 64-node rule's Poisson mixture is within 2e-4 of exact for all k, lambda d <= 100."""
    # measured worst case over k, L/d in [0.02, 3], r d/365 <= 0.5: 1.4e-4 (exponential,
    # lambda d = 100), 8e-7 (fixed); the issue asks for 1e-3 (0.1 percentage point)
    d = 30.0
    rate, lam = beta * 365 / d, lam_d / d
    nodes, weights = age_distribution(one(rate), one(d), one(exponential))
    for lead in (0.05 * d, d):
        ks = np.arange(int(lam * (lead + 15 * d)) + 20)
        exact = mixture_cdf_exact(ks[None, :], one(lam), one(lead), one(rate), one(d),
                                  one(exponential))[0]  # fmt: skip
        rule = gauss_mixture_cdf(ks, lam, lead, nodes[0], weights[0])
        assert np.max(np.abs(rule - exact)) < 2e-4


def test_fewer_nodes_enough_for_slower_movers() -> None:
    """32 nodes keep the mixture within 1e-3 for lambda d <= 30 (documented table)."""
    d, rate, lam, lead = 30.0, 0.5 * 365 / 30, 1.0, 1.5
    for exponential in (False, True):
        nodes, weights = age_distribution(
            one(rate), one(d), one(exponential), n_nodes=32
        )
        ks = np.arange(500)
        exact = mixture_cdf_exact(ks[None, :], one(lam), one(lead), one(rate), one(d),
                                  one(exponential))[0]  # fmt: skip
        rule = gauss_mixture_cdf(ks, lam, lead, nodes[0], weights[0])
        assert np.max(np.abs(rule - exact)) < 1e-3


def test_exponential_component_is_poisson_plus_geometric() -> None:
    """At r d -> 0 the exact cdf is Poisson(lam L) + geometric (non-overlap closed form)."""
    lam, lead, d, beta = 1.0, 20.0, 30.0, 1e-9
    ks = np.array([10, 27, 59, 120])
    exact = mixture_cdf_exact(ks[None, :], one(lam), one(lead), one(beta * 365 / d),
                              one(d), one(True))[0]  # fmt: skip
    q = lam * d / (1 + lam * d)
    geometric = []
    for k in ks:
        j = np.arange(k + 1)
        pmf = np.exp(special.xlogy(j, lam * lead) - lam * lead - special.gammaln(j + 1))
        geometric.append(np.sum(pmf * (1 - q ** (k - j + 1))))
    p = -math.expm1(-beta)
    np.testing.assert_allclose(
        (exact - (1 - p) * special.pdtr(ks, lam * lead)) / p, geometric, atol=1e-6
    )


def test_log_poisson_cdf_far_tail() -> None:
    """The log Poisson cdf stays finite and right where the cdf itself underflows."""
    k = np.array([0.0, 5.0, 50.0, 900.0, 3.0])
    mean = np.array([800.0, 2000.0, 3000.0, 3000.0, 2.0])
    want = [
        special.logsumexp(
            special.xlogy(np.arange(kk + 1), m)
            - m
            - special.gammaln(np.arange(kk + 1) + 1)
        )
        for kk, m in zip(k, mean, strict=True)
    ]
    np.testing.assert_allclose(_log_poisson_cdf(k, mean), want, rtol=1e-12)


def test_mixture_edges() -> None:
    """k < 0 gives 0; zero demand gives 1; no outages give the Poisson cdf."""
    args = (one(0.5), one(10.0), one(3.0), one(30.0), one(False))
    assert mixture_cdf_exact(np.array([-1]), *args)[0] == 0.0
    zero = mixture_cdf_exact(np.array([0]), one(0.0), *args[1:])
    assert zero[0] == 1.0
    none = mixture_cdf_exact(np.array([7]), one(0.5), one(10.0), one(0.0), one(30.0),
                             one(True))  # fmt: skip
    assert none[0] == pytest.approx(special.pdtr(7, 5.0), rel=1e-15)


# --- (3) against an independent event simulation ----------------------------------------


def simulate_down_periods(
    rate_per_day: float, d: float, exponential: bool, t0: float, t1: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end [days] of the down periods: unions of overlapping outages."""
    n = rng.poisson(rate_per_day * (t1 - t0))
    starts = np.sort(rng.uniform(t0, t1, n))
    ends = starts + (rng.exponential(d, n) if exponential else np.full(n, d))
    reach = np.maximum.accumulate(ends)
    first = np.r_[True, starts[1:] > reach[:-1]]
    idx = np.flatnonzero(first)
    return starts[idx], reach[np.r_[idx[1:] - 1, n - 1]]


def batch_mean(per_batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and batch-means standard error along the last axis."""
    return per_batch.mean(-1), per_batch.std(-1, ddof=1) / math.sqrt(
        per_batch.shape[-1]
    )


def lower_partial(k: np.ndarray, m: np.ndarray) -> np.ndarray:
    """sum_{j<=k} P(Poisson(m) <= j) = (k+1) F(k; m) - m F(k-1; m); d/dm = -F(k; m)."""
    return (k + 1) * special.pdtr(k, m) - m * np.where(
        k >= 1, special.pdtr(np.maximum(k - 1, 0), m), 0.0
    )


SIM_CASES = [  # (label, demand/day, lead days, r d / 365, exponential, years)
    ("slow fixed 0.16", 50 / 365, 30.0, 0.16, False, 200_000),
    ("slow exp 0.16", 50 / 365, 30.0, 0.16, True, 200_000),
    ("slow fixed 0.4", 50 / 365, 30.0, 0.4, False, 200_000),
    ("slow exp 0.4", 50 / 365, 30.0, 0.4, True, 400_000),
    ("fast fixed 0.16", 80 / 30, 20.0, 0.16, False, 200_000),
    ("fast exp 0.4", 80 / 30, 20.0, 0.4, True, 400_000),
]


@pytest.mark.parametrize(("label", "lam", "lead", "beta", "exponential", "years"),
                         SIM_CASES, ids=[c[0] for c in SIM_CASES])  # fmt: skip
def test_age_and_fill_match_outage_simulation(
    label, lam, lead, beta, exponential, years
) -> None:
    """Simulated age (mean, tail) and fill at S-1..S+1 within 4 SE and 0.1 pp.

    Outages are simulated over a long horizon and merged into down periods. Given
    the path, the age runs uniformly over each down period, and the outstanding
    orders at a demand are Poisson(lam (L + A)) (Poisson demand, independent of the
    outages), so the time average of P(X <= k | path) is an exact conditional
    estimate (Rao-Blackwell); its batch means give the SE. The demand-level
    simulation below checks the model itself.
    """
    d = 30.0
    rate = beta * 365 / d
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    horizon = years * 365.0
    n_batches = 200
    starts, ends = simulate_down_periods(rate / 365, d, exponential, 0.0, horizon, rng)
    length = np.minimum(ends, horizon) - starts
    batch = (starts / horizon * n_batches).astype(np.int64)
    span = horizon / n_batches

    def per_batch(values: np.ndarray) -> np.ndarray:
        return np.bincount(batch, weights=values, minlength=n_batches) / span

    # the age law: time share with A > a, and the mean age
    ages = np.array([0.0, 0.5, 1.0, 2.0, 4.0]) * d
    tail_sim, tail_se = batch_mean(
        np.array([per_batch(np.maximum(length - a, 0.0)) for a in ages])
    )
    mean_sim, mean_se = batch_mean(per_batch(length**2 / 2))
    tail = age_survival(ages[None, :], one(rate), one(d), one(exponential))[0]
    nodes, weights = age_distribution(one(rate), one(d), one(exponential))
    mean = float(np.sum(nodes * weights))
    assert np.all(np.abs(tail_sim - tail) < 4 * tail_se + 1e-12)
    assert abs(mean_sim - mean) < 4 * mean_se

    # the fill rate P(X <= S - 1) near the smallest S meeting 95 %
    ks = np.arange(int(lam * (lead + 20 * d)) + 50)
    args = (one(lam), one(lead), one(rate), one(d), one(exponential))
    cdf = mixture_cdf_exact(ks[None, :], *args)[0]
    s = int(np.argmax(cdf >= 0.95)) + 1
    k = np.array([s - 2, s - 1, s])
    up = special.pdtr(k, lam * lead)
    down_part = np.array(
        [
            per_batch(
                (
                    lower_partial(kk, lam * lead)
                    - lower_partial(kk, lam * (lead + length))
                )
                / lam
                - length * u
            )
            for kk, u in zip(k, up, strict=True)
        ]
    )
    fill_sim, fill_se = batch_mean(up[:, None] + down_part)
    rule = gauss_mixture_cdf(k, lam, lead, nodes[0], weights[0])
    for model in (cdf[k], rule):
        np.testing.assert_array_less(np.abs(fill_sim - model), 4 * fill_se)
        np.testing.assert_array_less(np.abs(fill_sim - model), 1e-3)
    assert cdf[s - 1] >= 0.95 > cdf[s - 2]
    # power: the non-overlapping model (age uniform on [0, d] / exponential with
    # mean d given an outage, P(A > 0) exact) is more than 4 SE off
    if exponential:
        x, w = np.polynomial.laguerre.laggauss(64)
    else:
        x, w = np.polynomial.legendre.leggauss(64)
        x, w = 0.5 * (x + 1), 0.5 * w
    p_down = -math.expm1(-beta)
    naive = gauss_mixture_cdf(
        k, lam, lead, np.r_[0.0, x * d], np.r_[1 - p_down, w * p_down]
    )
    assert np.max(np.abs(fill_sim - naive) / fill_se) > 4


def simulate_demand_fill(lam, lead, rate, d, exponential, levels, years, rng):
    """Fill rate of (S-1, S) per level by simulating unit Poisson demands (batch SE)."""
    horizon = years * 365.0
    warm = lead + 60 * d
    starts, ends = simulate_down_periods(
        rate / 365, d, exponential, -warm, horizon, rng
    )
    t = np.sort(rng.uniform(-warm, horizon, rng.poisson(lam * (horizon + warm))))
    block = np.maximum(np.searchsorted(starts, t, side="right") - 1, 0)
    down = (t >= starts[block]) & (t < ends[block])
    arrival = np.where(down, ends[block], t) + lead  # non-decreasing in t
    outstanding = np.arange(t.size) - np.searchsorted(arrival, t, side="right")
    keep = t >= 0
    batch = (t[keep] / horizon * 100).astype(np.int64)
    count = np.bincount(batch, minlength=100)
    per = np.array(
        [np.bincount(batch, outstanding[keep] <= s - 1, minlength=100) / count
         for s in levels]
    )  # fmt: skip
    return batch_mean(per)


@pytest.mark.parametrize("exponential", [False, True])
def test_fill_matches_demand_level_simulation(exponential: bool) -> None:
    """Simulated unit demands and orders (r d/365 = 0.16): exact fill within 4 SE."""
    lam, lead, d, beta = 50 / 365, 30.0, 30.0, 0.16
    rate = beta * 365 / d
    args = (one(lam), one(lead), one(rate), one(d), one(exponential))
    levels = np.array([9, 10, 11, 12])
    exact = mixture_cdf_exact(levels[None, :] - 1, *args)[0]
    fill, se = simulate_demand_fill(lam, lead, rate, d, exponential, levels, 60_000,
                                    np.random.default_rng(5 + exponential))  # fmt: skip
    np.testing.assert_array_less(np.abs(fill - exact), 4 * se)
    assert np.max(se) < 5e-4


@pytest.mark.slow
@pytest.mark.parametrize("exponential", [False, True])
def test_fast_mover_demand_level_simulation(exponential: bool) -> None:
    """Fast mover (lambda d = 80, r d/365 = 0.4), 3 x 10^7 simulated demands: within 4 SE."""
    lam, lead, d, beta = 80 / 30, 20.0, 30.0, 0.4
    rate = beta * 365 / d
    args = (one(lam), one(lead), one(rate), one(d), one(exponential))
    ks = np.arange(1500)
    cdf = mixture_cdf_exact(ks[None, :], *args)[0]
    s = int(np.argmax(cdf >= 0.95)) + 1
    levels = np.array([s - 1, s, s + 1])
    fill, se = simulate_demand_fill(lam, lead, rate, d, exponential, levels, 30_000,
                                    np.random.default_rng(17 + exponential))  # fmt: skip
    np.testing.assert_array_less(np.abs(fill - cdf[levels - 1]), 4 * se)


# --- (4) errors ---------------------------------------------------------------------------


def test_bad_inputs_raise() -> None:
    """Shapes, negative / non-finite values, overload and node counts are refused."""
    good = {
        "rate_per_year": np.array([1.0, 2.0]),
        "duration_days": np.array([10.0, 20.0]),
        "exponential": np.array([False, True]),
    }
    cases = [
        ({"rate_per_year": np.array([1.0, -1.0])}, "rate_per_year must be finite"),
        ({"duration_days": np.array([np.nan, 1.0])}, "duration_days must be finite"),
        ({"duration_days": np.ones(3)}, r"duration_days must have shape \(2,\)"),
        ({"exponential": np.array([True])}, r"exponential must have shape"),
        ({"rate_per_year": np.ones((2, 1))}, "rate_per_year must be 1-D"),
        ({"rate_per_year": np.array([1.0, 100.0])}, r"must be <= 5.0, got 5.47"),
    ]
    for change, match in cases:
        with pytest.raises(PlannerError, match=match):
            age_distribution(**{**good, **change})
        with pytest.raises(PlannerError, match=match):
            age_survival(np.zeros(2), *{**good, **change}.values())
        with pytest.raises(PlannerError, match=match):
            mixture_cdf_exact(np.zeros(2), np.ones(2), np.ones(2),
                              *{**good, **change}.values())  # fmt: skip
    for n_nodes in (0, MAX_AGE_NODES + 1, 2.5):
        with pytest.raises(PlannerError, match="n_nodes must be an integer"):
            age_distribution(**good, n_nodes=n_nodes)
    with pytest.raises(PlannerError, match=r"age_days must have shape \(2,\)"):
        age_survival(np.zeros(3), *good.values())
    with pytest.raises(PlannerError, match="age_days must not be NaN"):
        age_survival(np.array([0.0, np.nan]), *good.values())
    with pytest.raises(PlannerError, match=r"k must have shape \(2,\)"):
        mixture_cdf_exact(np.zeros(3), np.ones(2), np.ones(2), *good.values())
    with pytest.raises(PlannerError, match="k must hold whole numbers"):
        mixture_cdf_exact(np.array([1.5, 2]), np.ones(2), np.ones(2), *good.values())
    with pytest.raises(PlannerError, match="demand_per_day must be finite"):
        mixture_cdf_exact(np.zeros(2), -np.ones(2), np.ones(2), *good.values())
    with pytest.raises(PlannerError, match=r"lead_time_days must have shape"):
        mixture_cdf_exact(np.zeros(2), np.ones(2), np.ones(3), *good.values())
