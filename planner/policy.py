r"""Stock policies and their service figures, vectorised over parts.

Replenishment is continuous-review one-for-one, :math:`(S-1, S)`. By Palm's theorem
the number of outstanding orders :math:`X` is Poisson with mean
:math:`\lambda L` for any lead-time shape, so

- fill rate :math:`= P(X \le S-1)`,
- expected backorders :math:`EBO(S) = E[(X-S)^+] = \lambda L\,P(X \ge S) - S\,P(X \ge S+1)`,
- expected on hand :math:`= S - E[X] + EBO(S)`,
- the cost-optimal :math:`S` is the smallest with :math:`P(X \le S) \ge b/(b+h)`.

Under supplier outages (Poisson starts, fixed or exponential duration; an order
placed during an outage that ends at :math:`e` arrives at :math:`e + L`), an order
placed at :math:`u` is outstanding at :math:`u + L` plus the age of the outage in
progress. With Poisson demand, :math:`X` is then a Poisson mixture,
:math:`X \mid A \sim \text{Poisson}(\lambda (L + A))`, where :math:`A` is the age
of the outage in progress at a random time (0 when none). We integrate over
:math:`A` by Gauss quadrature. :math:`P(A > 0) = 1 - e^{-r d}` exactly; given an
outage, the age is uniform on :math:`[0, d]` (fixed duration) or exponential with
mean :math:`d`, which is exact when outages do not overlap (``r d`` small).

References
----------
.. [1] C. C. Sherbrooke, *Optimal Inventory Modeling of Systems*, 2nd ed.
   Boston, MA, USA: Kluwer, 2004, ch. 2.
.. [2] L. V. Snyder and Z.-J. M. Shen, *Fundamentals of Supply Chain Theory*,
   2nd ed. Hoboken, NJ, USA: Wiley, 2019, ch. 4 and 9.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import special

from planner.errors import PlannerError
from planner.units import DAYS_PER_YEAR

#: Variance-to-mean ratio above which demand is taken as negative binomial (the
#: what-if simulation uses the same threshold).
OVERDISPERSED_VTM = 1.05

#: Quadrature nodes over the exact outage-age law (64: within 0.014 percentage
#: point of fill rate for demand x outage length up to 100 units).
N_OUTAGE_AGE_NODES = 64

#: Gauss-Legendre nodes over a known outage window (sourcing's time average).
N_AGE_NODES = 24


class PolicyKind(StrEnum):
    """Replenishment policy of a stocked part."""

    BASE_STOCK = "base_stock"
    REORDER_POINT_LOT = "r_q"


class BindingRule(StrEnum):
    """Which rule set the base-stock level."""

    FILL_RATE = "fill_rate"
    COST = "cost"
    NO_DEMAND = "no_demand"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutageProcess:
    """Random supplier outages per part (arrays aligned with the parts).

    ``rate_per_year`` is the Poisson rate of outage starts [1/year] (0: none);
    ``duration_days`` the fixed or mean outage length [days]; ``exponential``
    whether the duration is exponential (else fixed).
    """

    rate_per_year: np.ndarray
    duration_days: np.ndarray
    exponential: np.ndarray

    @classmethod
    def none(cls, n_parts: int) -> OutageProcess:
        """No outages for ``n_parts`` parts."""
        return cls(
            rate_per_year=np.zeros(n_parts),
            duration_days=np.zeros(n_parts),
            exponential=np.zeros(n_parts, dtype=bool),
        )

    def outage_prob(self) -> np.ndarray:
        """Probability that the supplier is out at a random time [0-1]."""
        rate_per_day = np.asarray(self.rate_per_year, float) / DAYS_PER_YEAR
        return 1.0 - np.exp(-rate_per_day * np.asarray(self.duration_days, float))


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseStockPolicy:
    """An (S-1, S) policy per part and its service figures (arrays over parts).

    Units: stock levels and backorders in units; costs per year in currency.
    """

    base_stock_level: np.ndarray
    reorder_point: np.ndarray
    base_stock_level_normal: np.ndarray
    lead_time_demand_mean: np.ndarray
    fill_rate: np.ndarray
    expected_backorders: np.ndarray
    expected_on_hand: np.ndarray
    safety_stock: np.ndarray
    annual_holding_cost: np.ndarray
    annual_downtime_cost: np.ndarray
    binding: np.ndarray

    @property
    def order_up_to(self) -> np.ndarray:
        """Order-up-to level, the same as the base-stock level S [units]."""
        return self.base_stock_level


def _age_nodes(outage: OutageProcess) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes [days] and weights for the outage age, shape (n, k+1).

    Column 0 is the atom "no outage in progress" (age 0). The age is that of the
    down period in progress, overlapping outages merged (the busy period of an
    M/G/infinity queue): exact law from :func:`planner.outages.age_distribution`.
    """
    from planner.outages import age_distribution

    return age_distribution(
        np.asarray(outage.rate_per_year, float),
        np.asarray(outage.duration_days, float),
        np.asarray(outage.exponential, bool),
        n_nodes=N_OUTAGE_AGE_NODES,
    )


def mixture_means(
    demand_per_day: np.ndarray, lead_time_days: np.ndarray, outage: OutageProcess
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson means (n, k) of outstanding orders per age node, and their weights."""
    if not np.any(np.asarray(outage.rate_per_year) > 0):
        return (demand_per_day * lead_time_days)[:, None], np.ones(
            (len(demand_per_day), 1)
        )
    nodes, weights = _age_nodes(outage)
    means = demand_per_day[:, None] * (lead_time_days[:, None] + nodes)
    return means, weights


def poisson_cdf(k: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """P(X <= k) for Poisson X, 0 for k < 0 (``scipy.special.pdtr``, no overhead)."""
    k = np.asarray(k)
    return np.where(k < 0, 0.0, special.pdtr(np.maximum(k, 0), mean))


def poisson_sf(k: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """P(X > k) for Poisson X, 1 for k < 0 (``scipy.special.pdtrc``)."""
    k = np.asarray(k)
    return np.where(k < 0, 1.0, special.pdtrc(np.maximum(k, 0), mean))


def _negbin_shape(
    mean: np.ndarray, vtm: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NB size r and success probability p for a mean and variance-to-mean ratio.

    Returns ``(is_nb, r, p)``; rows that are not over-dispersed get dummy values.
    """
    is_nb = vtm > OVERDISPERSED_VTM
    vtm_nb = np.where(is_nb, vtm, 2.0)
    r = np.maximum(mean / (vtm_nb - 1.0), 1e-300)
    return is_nb, r, 1.0 / vtm_nb


def _overdispersed(
    k: np.ndarray, mean: np.ndarray, vtm: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """NB rows, size and probability where any ``vtm`` exceeds the threshold.

    ``None`` when every row is Poisson (no ``vtm`` or none over-dispersed).
    """
    if vtm is None:
        return None
    vtm = np.broadcast_to(
        np.asarray(vtm, float), np.broadcast_shapes(k.shape, mean.shape)
    )
    if not np.any(vtm > OVERDISPERSED_VTM):
        return None
    return _negbin_shape(mean, vtm)


def demand_cdf(
    k: np.ndarray, mean: np.ndarray, vtm: np.ndarray | None = None
) -> np.ndarray:
    r"""P(X <= k) for lead-time demand of ``mean`` and variance ``vtm * mean``.

    Poisson where ``vtm`` <= :data:`OVERDISPERSED_VTM` (or ``vtm`` is None),
    else negative binomial with :math:`r = \mu/(v-1)`, :math:`p = 1/v`:
    :math:`P(X \le k) = I_p(r, k+1)` (regularised incomplete beta).
    """
    k = np.asarray(k)
    mean = np.asarray(mean, float)
    pois = poisson_cdf(k, mean)
    shape = _overdispersed(k, mean, vtm)
    if shape is None:
        return pois
    is_nb, r, p = shape
    nb = special.betainc(r, np.maximum(k, 0) + 1.0, p)
    nb = np.where(k < 0, 0.0, np.where(mean <= 0, 1.0, nb))
    return np.where(is_nb, nb, pois)


def demand_sf(
    k: np.ndarray, mean: np.ndarray, vtm: np.ndarray | None = None, *, shift: int = 0
) -> np.ndarray:
    """P(X > k) for the lead-time demand of :func:`demand_cdf`.

    ``shift=1`` gives the tail of the size-biased law used by the loss function:
    Poisson unchanged, negative binomial with size r + 1. Computed as the upper
    incomplete beta, not 1 - cdf, so small tails keep their precision.
    """
    k = np.asarray(k)
    mean = np.asarray(mean, float)
    pois = poisson_sf(k, mean)
    shape = _overdispersed(k, mean, vtm)
    if shape is None:
        return pois
    is_nb, r, p = shape
    nb = special.betainc(np.maximum(k, 0) + 1.0, r + shift, 1.0 - p)
    nb = np.where(k < 0, 1.0, np.where(mean <= 0, 0.0, nb))
    return np.where(is_nb, nb, pois)


def mixture_cdf(
    k: np.ndarray,
    means: np.ndarray,
    weights: np.ndarray,
    vtm: np.ndarray | None = None,
) -> np.ndarray:
    """P(X <= k) for a Poisson (or NB) mixture, per part. ``k`` has shape (n,).

    ``vtm`` (n,) is each part's variance-to-mean ratio (None: Poisson).
    """
    v = None if vtm is None else np.asarray(vtm, float)[:, None]
    return np.sum(weights * demand_cdf(k[:, None], means, v), axis=1)


def mixture_ebo(
    s: np.ndarray,
    means: np.ndarray,
    weights: np.ndarray,
    vtm: np.ndarray | None = None,
) -> np.ndarray:
    r"""E[(X - s)+] for a Poisson (or NB) mixture, per part [units].

    Uses :math:`E[X 1\{X > s\}] = \mu P(Y \ge s)` with :math:`Y` the size-biased
    law shifted by one (Poisson: itself; NB(r, p): NB(r + 1, p)), so
    :math:`E[(X-s)^+] = \mu P(Y > s-1) - s P(X > s)`.
    """
    s2 = s[:, None]
    v = None if vtm is None else np.asarray(vtm, float)[:, None]
    ebo = means * demand_sf(s2 - 1, means, v, shift=1) - s2 * demand_sf(s2, means, v)
    return np.sum(weights * np.maximum(ebo, 0.0), axis=1)


def _poisson_smallest_level(target: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Smallest S >= 0 with Poisson P(X <= S - 1) >= target, by the pmf recursion.

    p(k) = p(k - 1) m / k accumulated over the rows still short of their target
    (cheap arithmetic instead of incomplete-gamma calls); means above 500, where
    exp(-m) underflows, go to the bisection of :func:`smallest_level`.
    """
    n = target.shape[0]
    level = np.zeros(n, dtype=np.int64)
    big = mean > 500.0
    if np.any(big):
        rows = np.flatnonzero(big)
        level[rows] = _bisect_level(
            target[rows], mean[rows, None], np.ones((rows.size, 1)), None
        )
    active = np.flatnonzero(~big & (target > 0))
    pmf = np.exp(-mean[active])
    cdf = pmf.copy()
    k = 0
    while active.size:
        done = cdf >= target[active]
        level[active[done]] = k + 1
        keep = ~done
        active, pmf, cdf = active[keep], pmf[keep], cdf[keep]
        k += 1
        pmf = pmf * mean[active] / k
        cdf = np.minimum(cdf + pmf, 1.0)
        if k > 100_000:
            raise PlannerError(
                "no Poisson base-stock level up to 100,000 meets the target"
            )
    return level


def smallest_level(
    target_prob: np.ndarray,
    means: np.ndarray,
    weights: np.ndarray,
    vtm: np.ndarray | None = None,
) -> np.ndarray:
    """Smallest integer S >= 0 with P(X <= S - 1) >= target, per part.

    Vectorised bisection over parts. A target of 0 gives S = 0.
    """
    target = np.asarray(target_prob, float)
    n = target.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if means.shape[1] == 1:  # no outage mixture: Poisson rows by recursion
        nb = (
            np.zeros(n, bool)
            if vtm is None
            else np.asarray(vtm, float) > OVERDISPERSED_VTM
        )
        if not np.any(nb):
            return _poisson_smallest_level(target, means[:, 0])
        level = np.empty(n, dtype=np.int64)
        level[~nb] = _poisson_smallest_level(target[~nb], means[~nb, 0])
        level[nb] = _bisect_level(
            target[nb], means[nb], weights[nb], np.asarray(vtm, float)[nb]
        )
        return level
    return _bisect_level(target, means, weights, vtm)


def _bisect_level(
    target: np.ndarray,
    means: np.ndarray,
    weights: np.ndarray,
    vtm: np.ndarray | None,
) -> np.ndarray:
    """:func:`smallest_level` by vectorised bisection (mixtures, NB demand)."""
    n = target.shape[0]
    vtm = None if vtm is None else np.asarray(vtm, float)
    q = np.clip(target, 0.0, 1.0 - 1e-12)
    upper_mean = means.max(axis=1)
    # Bernstein's inequality P(X >= m + t) <= exp(-t^2 / (2 (m + t/3))) bounds the
    # Poisson quantile from above without scipy's slow generic ppf
    log_tail = -np.log1p(-q)
    t = log_tail / 3.0 + np.sqrt(log_tail**2 / 9.0 + 2.0 * log_tail * upper_mean)
    hi = np.ceil(upper_mean + t)
    if vtm is not None:
        is_nb, _, _ = _negbin_shape(upper_mean, np.asarray(vtm, float))
        rows = np.flatnonzero(is_nb)
        if rows.size:  # grow a generous bracket until it holds the quantile
            sub = means[rows]
            hi_nb = np.ceil(upper_mean[rows] * (1 + 10 * np.sqrt(vtm[rows])) + 10)
            short = np.ones(rows.size, bool)
            while np.any(short):
                cdf = mixture_cdf(
                    hi_nb[short].astype(np.int64) - 1,
                    sub[short],
                    weights[rows][short],
                    np.asarray(vtm, float)[rows][short],
                )
                grow = cdf < q[rows][short]
                idx = np.flatnonzero(short)
                hi_nb[idx[grow]] *= 2
                short[idx[~grow]] = False
            hi[rows] = hi_nb
    hi = np.nan_to_num(hi, nan=0.0).astype(np.int64) + 1
    lo = np.zeros(n, dtype=np.int64)
    done = target <= 0
    hi = np.where(done, 0, np.maximum(hi, 1))
    # invariant: cdf(lo - 1) < target <= cdf(hi - 1)  (lo fails, hi passes)
    lo = np.where(done, -1, lo)
    while np.any(active := hi - lo > 1):
        mid = (lo + hi) // 2
        ok = mixture_cdf(mid - 1, means, weights, vtm) >= target
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid, lo)
    return hi


def _nb_pmf_table(mean: np.ndarray, vtm: np.ndarray, s_max: int) -> np.ndarray:
    """NB(r, p) pmf at 0..s_max-1 per row, from log p(k) = log p(k-1) + log(q (k-1+r)/k).

    ``mean`` and ``vtm`` are (rows,); r = mean / (vtm - 1), p = 1 / vtm. Summed in
    log space so that p(0) = p^r may underflow without spoiling the larger terms;
    a zero mean gives the point mass at 0.
    """
    p = 1.0 / vtm
    r = np.maximum(mean / (vtm - 1.0), 1e-300)
    k = np.arange(1, s_max, dtype=float)
    log_steps = np.log1p(-p)[:, None] + np.log(
        (k[None, :] - 1.0 + r[:, None]) / k[None, :]
    )
    log_table = np.empty((mean.shape[0], s_max))
    log_table[:, 0] = r * np.log(p)
    if s_max > 1:
        log_table[:, 1:] = log_table[:, :1] + np.cumsum(log_steps, axis=1)
    table = np.exp(log_table)
    table[mean <= 0] = 0.0
    table[mean <= 0, 0] = 1.0
    return table


def _nb_fill_curves(
    means: np.ndarray, weights: np.ndarray, vtm: np.ndarray, s_max: int
) -> np.ndarray:
    r"""Unit fill rate of an (S-1, S) system for S = 0..s_max, NB demand rows.

    Negative-binomial demand is compound Poisson with logarithmic batch sizes
    :math:`B` (:math:`P(B = j) \propto q^j / j`, :math:`q = 1 - 1/v`). A batch
    that finds :math:`x` units outstanding is served :math:`\min(B, (S - x)^+)`
    units at once, so the fraction of units served at once is

    .. math:: \beta(S) = \frac{1}{E[B]} \sum_{x=0}^{S-1} P(X = x)\,
              E[\min(B, S - x)],\quad E[\min(B, m)] = \sum_{i=1}^{m} P(B \ge i),

    with :math:`X` the outstanding orders seen by an arriving batch (PASTA).
    The sum over x is a convolution, done by FFT along the stock axis.
    Shape (rows, s_max + 1).
    """
    rows = means.shape[0]
    q = 1.0 - 1.0 / vtm
    pmf = np.zeros((rows, s_max + 1))
    for j in range(means.shape[1]):  # quadrature nodes, vectorised over rows
        pmf[:, :s_max] += weights[:, j : j + 1] * _nb_pmf_table(means[:, j], vtm, s_max)
    # logarithmic batch: P(B = i) = q^i / (i c), c = -ln(1 - q); tail P(B >= i)
    i = np.arange(1, s_max + 1, dtype=float)
    log_c = np.log(-np.log1p(-q))
    batch_pmf = np.exp(
        i[None, :] * np.log(q)[:, None] - np.log(i)[None, :] - log_c[:, None]
    )
    tail = 1.0 - np.concatenate(
        [np.zeros((rows, 1)), np.cumsum(batch_pmf, axis=1)[:, :-1]], axis=1
    )
    g = np.concatenate(
        [np.zeros((rows, 1)), np.cumsum(np.clip(tail, 0, 1), axis=1)], axis=1
    )
    n_fft = 1 << int(2 * (s_max + 1) - 1).bit_length()
    spectrum = np.fft.rfft(pmf, n_fft, axis=1) * np.fft.rfft(g, n_fft, axis=1)
    fill = np.fft.irfft(spectrum, n_fft, axis=1)[:, : s_max + 1]
    mean_batch = q / ((1.0 - q) * -np.log1p(-q))
    return np.clip(fill / mean_batch[:, None], 0.0, 1.0)


def fill_rate(
    s: np.ndarray,
    means: np.ndarray,
    weights: np.ndarray,
    vtm: np.ndarray | None = None,
) -> np.ndarray:
    r"""Fraction of demanded units served at once from stock, per part.

    Poisson demand (unit arrivals): :math:`P(X \le S - 1)`. Over-dispersed
    (negative binomial) demand arrives in batches: the unit fill rate of
    :func:`_nb_fill_curves`, which is below the probability of no shortage.
    """
    s = np.asarray(s, np.int64)
    out = mixture_cdf(s - 1, means, weights, vtm)
    if vtm is None:
        return out
    vtm = np.asarray(vtm, float)
    rows = np.flatnonzero((vtm > OVERDISPERSED_VTM) & (s > 0))
    if rows.size:
        s_max = int(s[rows].max())
        curves = _nb_fill_curves(means[rows], weights[rows], vtm[rows], s_max)
        out = out.copy()
        out[rows] = curves[np.arange(rows.size), s[rows]]
    return out


def smallest_fill_level(
    target: np.ndarray,
    means: np.ndarray,
    weights: np.ndarray,
    vtm: np.ndarray | None = None,
) -> np.ndarray:
    """Smallest S whose unit fill rate (:func:`fill_rate`) meets ``target``."""
    level = smallest_level(target, means, weights, vtm)  # exact for Poisson rows
    if vtm is None:
        return level
    vtm = np.asarray(vtm, float)
    rows = np.flatnonzero((vtm > OVERDISPERSED_VTM) & (target > 0))
    if rows.size == 0:
        return level
    level = level.copy()
    s_max = max(int(level[rows].max()), 1)
    todo = rows
    while todo.size:
        s_max *= 2  # the unit fill rate needs more stock than the ready rate
        curves = _nb_fill_curves(means[todo], weights[todo], vtm[todo], s_max)
        meets = curves >= target[todo, None]
        found = meets.any(axis=1)
        level[todo[found]] = np.argmax(meets[found], axis=1)
        todo = todo[~found]
        if s_max > 1_000_000:
            raise PlannerError(
                f"no stock level up to {s_max} meets the fill-rate target for "
                f"{todo.size} over-dispersed parts"
            )
    return level


def evaluate_levels(
    base_stock_level: np.ndarray,
    *,
    demand_per_year: np.ndarray,
    lead_time_days: np.ndarray,
    outage: OutageProcess | None = None,
    variance_to_mean: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill rate and expected backorders [units] of given base-stock levels.

    The same model as :func:`base_stock_policy` (Poisson or negative-binomial
    lead-time demand, mixture over the outage age), for levels chosen elsewhere,
    e.g. the stock a plant holds today. Parts with no demand get fill rate 1.

    Examples
    --------
    >>> import numpy as np
    >>> fill, ebo = evaluate_levels(np.array([6]), demand_per_year=np.array([36.5]),
    ...     lead_time_days=np.array([20.0]))
    >>> round(float(fill[0]), 4)
    0.9834
    """
    lam = np.asarray(demand_per_year, float)
    n = lam.shape[0]
    level = np.maximum(np.asarray(base_stock_level, float), 0).astype(np.int64)
    outage = outage if outage is not None else OutageProcess.none(n)
    vtm = (
        None
        if variance_to_mean is None
        else np.nan_to_num(np.asarray(variance_to_mean, float), nan=1.0)
    )
    means, weights = mixture_means(
        lam / DAYS_PER_YEAR, np.asarray(lead_time_days, float), outage
    )
    no_demand = lam <= 0
    fill = np.where(no_demand, 1.0, fill_rate(level, means, weights, vtm))
    ebo = np.where(no_demand, 0.0, mixture_ebo(level, means, weights, vtm))
    return fill, ebo


def base_stock_policy(
    *,
    demand_per_year: np.ndarray,
    lead_time_days: np.ndarray,
    unit_cost: np.ndarray,
    holding_rate: np.ndarray,
    target_fill_rate: np.ndarray,
    downtime_cost_per_day: np.ndarray,
    outage: OutageProcess | None = None,
    ride_through_days: np.ndarray | None = None,
    variance_to_mean: np.ndarray | None = None,
) -> BaseStockPolicy:
    r"""Base-stock levels meeting a fill-rate floor and the cost optimum, per part.

    Parameters
    ----------
    demand_per_year
        Demand rate :math:`\lambda` of each part. [units/year]
    lead_time_days
        Replenishment lead time :math:`L`. [days]
    unit_cost
        Value of one unit. [currency]
    holding_rate
        Holding cost as a fraction of unit value per year. [1/year]
    target_fill_rate
        Fill-rate floor in [0, 1). [fraction]
    downtime_cost_per_day
        Cost per unit backordered per day, ``nan`` where not given (then the fill
        rate alone rules). [currency/(unit day)]
    outage
        Random supplier outages per part; ``None`` for none.
    ride_through_days
        Length of a known supplier outage window that the stock must ride
        through: the fill-rate floor then holds at the worst moment of the
        window, when :math:`\lambda (L + D)` units are outstanding. [days]
    variance_to_mean
        Variance-to-mean ratio of demand (from history); where it exceeds
        :data:`OVERDISPERSED_VTM` the lead-time demand is negative binomial with
        that ratio (a compound-Poisson demand keeps its ratio over any period),
        else Poisson. ``None``: Poisson for every part.

    Returns
    -------
    BaseStockPolicy
        The larger of the fill-rate S and the cost-optimal S (the target is a
        floor), with its fill rate, EBO, on hand and yearly costs under the
        outage process. ``base_stock_level_normal`` is the S the same rules give
        with no outages and no window, so the difference is the just-in-case stock.

    Raises
    ------
    PlannerError
        If the arrays differ in length or hold negative or non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> pol = base_stock_policy(demand_per_year=np.array([36.5]),
    ...     lead_time_days=np.array([20.0]), unit_cost=np.array([10.0]),
    ...     holding_rate=np.array([0.25]), target_fill_rate=np.array([0.95]),
    ...     downtime_cost_per_day=np.array([np.nan]))
    >>> int(pol.base_stock_level[0]), round(float(pol.fill_rate[0]), 4)
    (6, 0.9834)
    """
    lam = np.asarray(demand_per_year, float)
    if lam.ndim != 1:
        raise PlannerError(f"demand_per_year must be 1-D, got shape {lam.shape}")
    n = lam.shape[0]
    outage = outage if outage is not None else OutageProcess.none(n)
    extra = (
        np.zeros(n)
        if ride_through_days is None
        else np.asarray(ride_through_days, float)
    )
    if np.asarray(outage.exponential).shape != (n,):
        raise PlannerError(
            f"outage.exponential must have shape ({n},), "
            f"got {np.asarray(outage.exponential).shape}"
        )
    arrays = {
        "lead_time_days": np.asarray(lead_time_days, float),
        "unit_cost": np.asarray(unit_cost, float),
        "holding_rate": np.asarray(holding_rate, float),
        "target_fill_rate": np.asarray(target_fill_rate, float),
        "downtime_cost_per_day": np.asarray(downtime_cost_per_day, float),
    }
    checked_too = {
        "ride_through_days": extra,
        "outage.rate_per_year": np.asarray(outage.rate_per_year, float),
        "outage.duration_days": np.asarray(outage.duration_days, float),
    }
    for name, arr in {"demand_per_year": lam, **arrays, **checked_too}.items():
        if arr.shape != (n,):
            raise PlannerError(f"{name} must have shape ({n},), got {arr.shape}")
        finite = arr[~np.isnan(arr)] if name == "downtime_cost_per_day" else arr
        if np.any(~np.isfinite(finite)) or np.any(finite < 0):
            allowed_nan = name == "downtime_cost_per_day"
            wrong = (~np.isfinite(arr) & ~(allowed_nan & np.isnan(arr))) | (arr < 0)
            bad = int(np.flatnonzero(wrong)[0])
            raise PlannerError(
                f"{name} must be finite and >= 0, got {float(arr[bad])!r} "
                f"at index {bad}"
            )
    lead = arrays["lead_time_days"]
    cost = arrays["unit_cost"]
    target = np.clip(arrays["target_fill_rate"], 0.0, 1.0)
    b = arrays["downtime_cost_per_day"]
    h_per_day = cost * arrays["holding_rate"] / DAYS_PER_YEAR
    lam_day = lam / DAYS_PER_YEAR
    vtm_in = None if variance_to_mean is None else np.asarray(variance_to_mean, float)

    exposed = np.asarray(outage.rate_per_year, float) > 0
    if np.any(exposed) and not np.all(exposed):
        # only exposed parts need the mixture over the outage age: solve the two
        # groups apart and put the rows back in place
        groups = [np.flatnonzero(~exposed), np.flatnonzero(exposed)]
        parts = [
            base_stock_policy(
                demand_per_year=lam[idx],
                lead_time_days=lead[idx],
                unit_cost=cost[idx],
                holding_rate=arrays["holding_rate"][idx],
                target_fill_rate=arrays["target_fill_rate"][idx],
                downtime_cost_per_day=b[idx],
                outage=OutageProcess(
                    rate_per_year=np.asarray(outage.rate_per_year, float)[idx],
                    duration_days=np.asarray(outage.duration_days, float)[idx],
                    exponential=np.asarray(outage.exponential, bool)[idx],
                ),
                ride_through_days=extra[idx],
                variance_to_mean=None if variance_to_mean is None else vtm_in[idx],
            )
            for idx in groups
        ]
        merged = {}
        for name in BaseStockPolicy.__dataclass_fields__:
            first = getattr(parts[0], name)
            out = np.empty(n, dtype=np.result_type(first, getattr(parts[1], name)))
            for idx, part in zip(groups, parts, strict=True):
                out[idx] = getattr(part, name)
            merged[name] = out
        return BaseStockPolicy(**merged)

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isnan(b), 0.0, b / (b + h_per_day))
    ratio = np.where(np.isnan(ratio), 1.0 - 1e-9, ratio)  # b = h = 0: stock a unit

    vtm = None
    if variance_to_mean is not None:
        vtm = np.nan_to_num(np.asarray(variance_to_mean, float), nan=1.0)
        if vtm.shape != (n,) or np.any(vtm < 0) or np.any(~np.isfinite(vtm)):
            raise PlannerError(
                f"variance_to_mean must be finite, >= 0 and of shape ({n},), "
                f"got shape {vtm.shape}"
            )

    def levels(means: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s_fill = smallest_fill_level(target, means, weights, vtm)
        s_cost = np.maximum(smallest_level(ratio, means, weights, vtm) - 1, 0)
        return np.maximum(s_fill, s_cost), s_cost > s_fill

    means, weights = mixture_means(lam_day, lead, outage)
    s_run, cost_binds = levels(means, weights)
    if np.any(extra > 0):
        ride_means = (lam_day * (lead + extra))[:, None]
        s_ride, _ = levels(ride_means, np.ones((n, 1)))
        s_run = np.maximum(s_run, s_ride)
    disrupted = np.any(np.asarray(outage.rate_per_year) > 0) or np.any(extra > 0)
    if disrupted:
        normal_means = (lam_day * lead)[:, None]
        s_normal, _ = levels(normal_means, np.ones((n, 1)))
    else:
        s_normal = s_run

    no_demand = lam <= 0
    s_run = np.where(no_demand, 0, s_run)
    s_normal = np.where(no_demand, 0, s_normal)
    fill = np.where(no_demand, 1.0, fill_rate(s_run, means, weights, vtm))
    ebo = np.where(no_demand, 0.0, mixture_ebo(s_run, means, weights, vtm))
    mean_outstanding = np.sum(weights * means, axis=1)
    on_hand = s_run - mean_outstanding + ebo
    binding = np.where(
        no_demand,
        BindingRule.NO_DEMAND.value,
        np.where(cost_binds, BindingRule.COST.value, BindingRule.FILL_RATE.value),
    )
    downtime = np.where(np.isnan(b), 0.0, b) * DAYS_PER_YEAR * ebo
    return BaseStockPolicy(
        base_stock_level=s_run.astype(np.int64),
        reorder_point=s_run.astype(np.int64) - 1,
        base_stock_level_normal=s_normal.astype(np.int64),
        lead_time_demand_mean=mean_outstanding,
        fill_rate=fill,
        expected_backorders=ebo,
        expected_on_hand=on_hand,
        safety_stock=s_run - mean_outstanding,
        annual_holding_cost=on_hand * cost * arrays["holding_rate"],
        annual_downtime_cost=downtime,
        binding=binding,
    )
