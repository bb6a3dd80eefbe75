r"""The budget frontier: total expected backorders against inventory investment.

Sherbrooke's marginal analysis [1]_ over all parts. Every part starts at a base-stock
level :math:`S_i^0` (``min_level``, default 0) and the next unit bought is always the
one with the largest reduction of expected backorders per unit of money,

.. math:: \frac{EBO_i(S_i) - EBO_i(S_i + 1)}{c_i} = \frac{P(X_i > S_i)}{c_i},

where :math:`X_i` is the number of outstanding orders of part :math:`i` (Poisson,
negative binomial, or their mixture over the age of a supplier outage: see
:mod:`planner.policy`). Because :math:`EBO_i` is convex in :math:`S_i` the ratios of
a part fall as it gets more stock, so buying units in the order of one global sort
of all (part, unit) ratios is the greedy. Each point it passes through minimises
:math:`\sum_i EBO_i + \theta \sum_i c_i S_i` for :math:`\theta` the ratio of the last
unit bought (all bought units have a ratio of at least :math:`\theta`, all others at
most), so no allocation costing as much or less has fewer expected backorders: the
points lie on the lower convex hull of (investment, total EBO), the efficient
frontier [1]_, [2]_. With ``objective="downtime_cost"`` the ratio is
:math:`365\,b_i\,P(X_i > S_i)/c_i` and the frontier is that of the expected downtime
cost per year instead.

The unit fill rate added by unit :math:`S \to S+1` is :math:`P(X = S)` for unit
(Poisson) demand and the step of the batch-demand fill curve for negative-binomial
demand, as in :func:`planner.policy.fill_rate`.

References
----------
.. [1] C. C. Sherbrooke, *Optimal Inventory Modeling of Systems*, 2nd ed.
   Boston, MA, USA: Kluwer, 2004, ch. 2-3.
.. [2] B. Fox, "Discrete optimization via marginal analysis," *Management
   Science*, vol. 13, no. 3, pp. 210-216, 1966.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import signal, special

from planner.errors import PlannerError
from planner.policy import (
    OVERDISPERSED_VTM,
    OutageProcess,
    demand_sf,
    fill_rate,
    mixture_ebo,
    mixture_means,
)
from planner.units import DAYS_PER_YEAR

#: Default expected-backorder level [units] below which a part gets no more units.
EBO_TOLERANCE = 1e-6


class FrontierObjective(StrEnum):
    """What the marginal analysis buys down."""

    BACKORDERS = "backorders"
    DOWNTIME_COST = "downtime_cost"


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    r"""Base-stock levels of one frontier point and their figures.

    Attributes
    ----------
    budget
        The budget asked for. [currency]
    base_stock_level, expected_backorders, fill_rate_by_part
        Per part: S [units], EBO(S) [units] and unit fill rate [fraction].
    investment
        :math:`\\sum_i c_i S_i`, at most the budget. [currency]
    total_ebo, fill_rate, expected_downtime_cost, n_units
        Totals as in :class:`Frontier`: [units], demand-weighted [fraction],
        [currency/year], [units].
    """

    budget: float
    base_stock_level: np.ndarray
    expected_backorders: np.ndarray
    fill_rate_by_part: np.ndarray
    investment: float
    total_ebo: float
    fill_rate: float
    expected_downtime_cost: float
    n_units: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Frontier:
    r"""The efficient frontier of total expected backorders against investment.

    The point arrays (``investment`` ... ``marginal_ratio``) hold at most
    ``max_points`` points of the greedy sequence, first and last included; the
    ``step_*`` arrays hold every unit of it, so that :meth:`allocation_at` is exact
    at any budget.

    Attributes
    ----------
    objective
        What the greedy bought down.
    investment
        Stock value :math:`\sum_i c_i S_i` at each point. [currency]
    total_ebo
        Total expected backorders :math:`\sum_i EBO_i(S_i)`. [units]
    fill_rate
        Demand-weighted unit fill rate across parts (1 when no part has demand).
        [fraction]
    expected_downtime_cost
        :math:`\sum_i 365\,b_i\,EBO_i(S_i)`, parts without a downtime cost
        counting 0. [currency/year]
    n_units
        Units held, :math:`\sum_i S_i`. [units]
    marginal_ratio
        Ratio of the last unit bought (``nan`` at the start): EBO reduction per
        money [units/currency], or downtime cost saved per year per money
        [1/year] for the downtime objective.
    start_level, start_ebo, start_fill_rate
        Per part: the starting level [units], its EBO [units] and fill rate.
    demand_per_year, downtime_cost_per_year, unit_cost
        Per part: the fill-rate weight [units/year], :math:`365\,b_i` (0 where not
        given) [currency/(unit year)] and :math:`c_i` [currency].
    step_part
        Part index of each unit bought, in greedy order.
    step_investment
        Investment after 0, 1, ... units bought (one longer than ``step_part``).
        [currency]
    step_delta_ebo, step_delta_fill
        EBO removed [units] and fill rate added to its part by each unit.
    """

    objective: FrontierObjective
    investment: np.ndarray
    total_ebo: np.ndarray
    fill_rate: np.ndarray
    expected_downtime_cost: np.ndarray
    n_units: np.ndarray
    marginal_ratio: np.ndarray
    start_level: np.ndarray
    start_ebo: np.ndarray
    start_fill_rate: np.ndarray
    demand_per_year: np.ndarray
    downtime_cost_per_year: np.ndarray
    unit_cost: np.ndarray
    step_part: np.ndarray
    step_investment: np.ndarray
    step_delta_ebo: np.ndarray
    step_delta_fill: np.ndarray

    @property
    def n_parts(self) -> int:
        """Number of parts."""
        return int(self.start_level.shape[0])

    @property
    def n_steps(self) -> int:
        """Number of units the greedy bought (points on the full frontier - 1)."""
        return int(self.step_part.shape[0])

    def allocation_at(self, budget: float) -> Allocation:
        """The last frontier point whose investment is within ``budget``.

        Parameters
        ----------
        budget
            Money available for the whole stock (the starting levels included);
            ``inf`` gives the end of the frontier. [currency]

        Returns
        -------
        Allocation
            Base-stock level, EBO and fill rate per part and the totals. Being a
            frontier point it is optimal for its own investment; up to one unit's
            cost of the budget may be left unspent.

        Raises
        ------
        PlannerError
            If ``budget`` is NaN or below the investment of the starting levels.
        """
        budget = float(budget)
        start = float(self.step_investment[0])
        if np.isnan(budget) or budget < start - _money_slack(start):
            raise PlannerError(
                f"budget must be >= {start!r} (the investment of the starting "
                f"levels), got {budget!r}"
            )
        k = int(
            np.searchsorted(
                self.step_investment, budget + _money_slack(budget), side="right"
            )
            - 1
        )
        n = self.n_parts
        parts = self.step_part[:k]
        level = self.start_level + np.bincount(parts, minlength=n)
        ebo = self.start_ebo - np.bincount(
            parts, weights=self.step_delta_ebo[:k], minlength=n
        )
        ebo = np.maximum(ebo, 0.0)
        fill = self.start_fill_rate + np.bincount(
            parts, weights=self.step_delta_fill[:k], minlength=n
        )
        return Allocation(
            budget=budget,
            base_stock_level=level,
            expected_backorders=ebo,
            fill_rate_by_part=fill,
            investment=float(self.step_investment[k]),
            total_ebo=float(ebo.sum()),
            fill_rate=_weighted_fill(fill, self.demand_per_year),
            expected_downtime_cost=float(np.dot(self.downtime_cost_per_year, ebo)),
            n_units=int(level.sum()),
        )


def _money_slack(amount: float) -> float:
    """Rounding slack of a sum of money [currency]."""
    return 1e-9 * max(1.0, abs(amount)) if np.isfinite(amount) else 0.0


def _weighted_fill(fill: np.ndarray, weight: np.ndarray) -> float:
    """Demand-weighted mean fill rate, 1 when there is no demand."""
    total = float(weight.sum())
    return float(np.dot(weight, fill) / total) if total > 0 else 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Steps:
    """Candidate units of a group of parts, flat and part-major (S ascending)."""

    part: np.ndarray
    delta_ebo: np.ndarray
    delta_fill: np.ndarray
    start_ebo: np.ndarray
    start_fill: np.ndarray


def _segment_index(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Flat indices of the segments ``first[j] .. first[j] + count[j] - 1``, joined."""
    offset = np.cumsum(count) - count
    return np.repeat(first - offset, count) + np.arange(int(count.sum()))


def _first_levels(
    start: np.ndarray,
    means: np.ndarray,
    weights: np.ndarray,
    vtm: np.ndarray | None,
    tolerance: float,
) -> np.ndarray:
    """A first guess of the level where EBO falls below ``tolerance`` [units].

    The mean plus a normal-tail number of standard deviations of the mixture;
    :func:`_group_steps` checks it and raises it where it falls short.
    """
    v = np.ones(means.shape[0]) if vtm is None else np.maximum(vtm, 1.0)
    mean = np.sum(weights * means, axis=1)
    second = np.sum(weights * (v[:, None] * means + means**2), axis=1)
    sd = np.sqrt(np.maximum(second - mean**2, 0.0))
    z = np.sqrt(2.0 * np.log(1.0 / tolerance)) + 0.5
    guess = np.ceil(mean + z * sd + 3.0 * v).astype(np.int64)
    return np.maximum(guess, start)


def _pmf_table(
    means: np.ndarray, weights: np.ndarray, vtm: np.ndarray | None, size: int
) -> np.ndarray:
    r"""Mixture pmf P(X = x), x = 0..size-1, per row (rows, size).

    Poisson, or negative binomial with :math:`r = \mu/(v-1)`, :math:`p = 1/v` as in
    :func:`planner.policy.demand_cdf`; from log-gamma, vectorised over rows and x.
    """
    x = np.arange(size, dtype=float)[None, :]
    table = np.zeros((means.shape[0], size))
    for j in range(means.shape[1]):  # quadrature nodes, vectorised over rows
        mean = means[:, j : j + 1]
        if vtm is None:
            log_pmf = special.xlogy(x, mean) - mean - special.gammaln(x + 1.0)
        else:
            v = vtm[:, None]
            r = np.maximum(mean / (v - 1.0), 1e-300)
            log_pmf = (
                special.gammaln(x + r)
                - special.gammaln(r)
                - special.gammaln(x + 1.0)
                - r * np.log(v)
                + x * np.log1p(-1.0 / v)
            )
        table += weights[:, j : j + 1] * np.exp(log_pmf)
    return table


def _table_steps(
    top: np.ndarray, means: np.ndarray, weights: np.ndarray, vtm: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    r"""EBO step :math:`P(X > S)` and fill-rate step of each level S = 0..T-1.

    ``T = top.max()``; shapes (rows, T). The tail is summed from the top down,
    :math:`P(X > S) = P(X > T) + \sum_{x=S+1}^{T} P(X = x)`, so it keeps its
    relative precision. Unit demand: the fill step is :math:`P(X = S)`. Batch
    (negative-binomial) demand, with logarithmic batches :math:`B`: the step of
    :func:`planner.policy.fill_rate`,
    :math:`\frac{1}{E[B]}\sum_{x=0}^{S} P(X = x)\,P(B \ge S + 1 - x)`, one
    FFT convolution for all rows.
    """
    size = max(int(top.max()), 1)
    pmf = _pmf_table(means, weights, vtm, size + 1)
    v = None if vtm is None else vtm[:, None]
    tail_top = np.sum(
        weights * demand_sf(np.full((top.size, 1), size), means, v), axis=1
    )
    above = np.cumsum(pmf[:, :0:-1], axis=1)[:, ::-1]  # sum over x in [S+1, T]
    sf = tail_top[:, None] + above
    if vtm is None:
        return sf, pmf[:, :size]
    q = 1.0 - 1.0 / vtm[:, None]
    i = np.arange(1, size + 1, dtype=float)[None, :]
    batch_pmf = q**i / (i * np.log(vtm)[:, None])
    batch_tail = np.maximum(
        1.0
        - np.concatenate([np.zeros((top.size, 1)), batch_pmf[:, :-1]], axis=1).cumsum(
            axis=1
        ),
        0.0,
    )  # P(B >= i), i = 1..T
    mean_batch = (vtm - 1.0) / np.log(vtm)
    conv = signal.fftconvolve(pmf[:, :size], batch_tail, axes=1)[:, :size]
    return sf, np.maximum(conv, 0.0) / mean_batch[:, None]


def _group_steps(
    start: np.ndarray,
    cap: np.ndarray,
    means: np.ndarray,
    weights: np.ndarray,
    vtm: np.ndarray | None,
    tolerance: float,
    floor: np.ndarray | None = None,
) -> _Steps:
    """Every unit a group of parts may get, with its EBO and fill-rate steps.

    Part ``i`` gets units at levels ``start[i] .. top[i] - 1`` where ``top[i]`` is
    the first level with EBO below ``tolerance``, at most ``start[i] + cap[i]``.
    ``vtm`` is None for a Poisson group, else every row is negative binomial.
    ``top`` is first guessed (at least ``floor``); parts whose EBO is still above
    the tolerance there are done again with twice the span.
    """
    n = start.shape[0]
    start_ebo = np.sum(weights * means, axis=1)  # EBO(0) = E[X]
    later = np.flatnonzero(start > 0)
    if later.size:
        v = None if vtm is None else vtm[later]
        start_ebo[later] = mixture_ebo(start[later], means[later], weights[later], v)
    limit = start + cap
    top = _first_levels(start, means, weights, vtm, tolerance)
    if floor is not None:
        top = np.maximum(top, floor)
    top = np.minimum(top, limit)

    count = top - start
    row = np.repeat(np.arange(n), count)
    first = np.cumsum(count) - count  # flat index of each part's first unit
    level = start[row] + (np.arange(row.size) - first[row])
    if vtm is None and means.shape[1] == 1:  # plain Poisson: one pass, flat
        sf = special.pdtrc(level, means[row, 0])  # EBO(S) - EBO(S + 1)
        start_fill = fill_rate(start, means, weights)
        has = count > 0
        before = np.empty_like(sf)  # P(X > S - 1)
        before[1:] = sf[:-1]
        before[first[has]] = 1.0 - start_fill[has]
        delta_fill = before - sf
    else:  # mixture or batch demand: tables over S = 0..T per size class
        sf = np.empty(row.size)
        delta_fill = np.empty(row.size)
        start_fill = np.empty(n)
        size_class = np.ceil(np.log2(top + 2.0)).astype(np.int64)
        for size in np.unique(size_class):  # a few size classes, not parts
            rows = np.flatnonzero(size_class == size)
            v = None if vtm is None else vtm[rows]
            sf_table, fill_table = _table_steps(
                top[rows], means[rows], weights[rows], v
            )
            cum_fill = np.cumsum(fill_table, axis=1)
            start_fill[rows] = np.where(
                start[rows] > 0,
                cum_fill[np.arange(rows.size), np.maximum(start[rows] - 1, 0)],
                0.0,
            )
            local = np.repeat(np.arange(rows.size), count[rows])
            flat = _segment_index(first[rows], count[rows])
            sf[flat] = sf_table[local, level[flat]]
            delta_fill[flat] = fill_table[local, level[flat]]

    removed = np.cumsum(sf) - sf  # exclusive, then made per part
    ebo_before = start_ebo[row] - (removed - removed[first[row]])
    keep = ebo_before >= tolerance
    ebo_top = start_ebo - np.bincount(row, weights=sf, minlength=n)
    short = np.flatnonzero((ebo_top >= tolerance) & (top < limit))
    steps = _Steps(
        part=row[keep],
        delta_ebo=sf[keep],
        delta_fill=delta_fill[keep],
        start_ebo=start_ebo,
        start_fill=start_fill,
    )
    if short.size == 0:
        return steps
    v = None if vtm is None else vtm[short]
    again = _group_steps(
        start[short],
        cap[short],
        means[short],
        weights[short],
        v,
        tolerance,
        floor=2 * top[short] - start[short] + 1,
    )
    done = ~np.isin(steps.part, short)
    return _Steps(
        part=np.concatenate([steps.part[done], short[again.part]]),
        delta_ebo=np.concatenate([steps.delta_ebo[done], again.delta_ebo]),
        delta_fill=np.concatenate([steps.delta_fill[done], again.delta_fill]),
        start_ebo=start_ebo,
        start_fill=start_fill,
    )


def _checked(name: str, value, n: int, *, allow_nan: bool = False) -> np.ndarray:
    """``value`` as a float array of shape (n,), finite and >= 0 (NaN if allowed)."""
    arr = np.asarray(value, float)
    if arr.shape != (n,):
        raise PlannerError(f"{name} must have shape ({n},), got {arr.shape}")
    wrong = ~(np.isfinite(arr) & (arr >= 0))
    if allow_nan:
        wrong &= ~np.isnan(arr)
    if np.any(wrong):
        bad = int(np.flatnonzero(wrong)[0])
        allowed = "finite and >= 0" + (" (or NaN)" if allow_nan else "")
        raise PlannerError(
            f"part index {bad}: {name} must be {allowed}, got {float(arr[bad])!r}"
        )
    return arr


def _start_levels(min_level, n: int) -> np.ndarray:
    """Starting base-stock levels as int64 (n,), checked to be whole and >= 0."""
    if min_level is None:
        return np.zeros(n, dtype=np.int64)
    raw = (
        np.broadcast_to(np.asarray(min_level, float), (n,))
        if np.ndim(min_level) == 0
        else np.asarray(min_level, float)
    )
    if raw.shape != (n,):
        raise PlannerError(f"min_level must have shape ({n},), got {raw.shape}")
    wrong = ~np.isfinite(raw) | (raw < 0) | (raw != np.round(raw))
    if np.any(wrong):
        bad = int(np.flatnonzero(wrong)[0])
        raise PlannerError(
            f"part index {bad}: min_level must be a whole number >= 0, "
            f"got {float(raw[bad])!r}"
        )
    return raw.astype(np.int64)


def _thin(investment: np.ndarray, value: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` points, spread in investment and value."""
    n = investment.shape[0]
    if n <= max_points:
        return np.arange(n)
    half = max_points // 2
    grid = np.linspace(investment[0], investment[-1], half)
    by_investment = np.searchsorted(investment, grid, side="right") - 1
    grid = np.linspace(value[0], value[-1], max_points - half)
    by_value = np.searchsorted(-value, -grid, side="left")  # value falls
    return np.unique(np.concatenate([[0, n - 1], by_investment, by_value]))


def budget_frontier(
    *,
    demand_per_year: np.ndarray,
    lead_time_days: np.ndarray,
    unit_cost: np.ndarray,
    downtime_cost_per_day: np.ndarray,
    variance_to_mean: np.ndarray | None = None,
    outage: OutageProcess | None = None,
    min_level: np.ndarray | int | None = None,
    max_investment: float | None = None,
    max_points: int = 2000,
    objective: FrontierObjective | str = FrontierObjective.BACKORDERS,
    ebo_tolerance: float = EBO_TOLERANCE,
) -> Frontier:
    r"""Efficient frontier of total expected backorders against investment.

    Parameters
    ----------
    demand_per_year
        Demand rate :math:`\lambda_i`; also the weight of the part in the fill
        rate. [units/year]
    lead_time_days
        Replenishment lead time :math:`L_i`. [days]
    unit_cost
        Value of one unit :math:`c_i`; a free part gets its units first.
        [currency]
    downtime_cost_per_day
        Cost per unit backordered per day :math:`b_i`, NaN where not given
        (then the part adds nothing to the downtime cost). [currency/(unit day)]
    variance_to_mean
        Variance-to-mean ratio of demand; above
        :data:`planner.policy.OVERDISPERSED_VTM` the lead-time demand is
        negative binomial, as in :func:`planner.policy.base_stock_policy`.
        ``None`` (or NaN): Poisson.
    outage
        Random supplier outages per part; ``None`` for none.
    min_level
        Starting base-stock level per part (or one for all), e.g. the levels that
        meet the fill-rate floors; default 0. [units]
    max_investment
        Stop the frontier at this investment, starting levels included; ``None``
        runs until every part's EBO is below ``ebo_tolerance``. [currency]
    max_points
        Most points kept in the point arrays (at least 2); the full sequence
        stays in the ``step_*`` arrays.
    objective
        ``"backorders"``: buy the largest :math:`\Delta EBO_i / c_i` first;
        ``"downtime_cost"``: the largest :math:`365\, b_i \Delta EBO_i / c_i`
        (parts without a downtime cost get no units).
    ebo_tolerance
        A part gets no more units once its EBO is below this. [units]

    Returns
    -------
    Frontier
        Points of the greedy sequence, each optimal for its own investment.

    Raises
    ------
    PlannerError
        If an array has the wrong shape or a negative or non-finite value, a
        ``min_level`` is not a whole number >= 0, ``objective`` is unknown,
        ``max_points`` < 2, ``ebo_tolerance`` is not positive, or
        ``max_investment`` is below the investment of the starting levels.

    Examples
    --------
    Two parts with one day of lead time: A with mean lead-time demand 1 and unit
    cost 1, B with mean 2 and cost 2 (the hand-worked case of the tests).

    >>> import numpy as np
    >>> fr = budget_frontier(demand_per_year=np.array([365.0, 730.0]),
    ...     lead_time_days=np.array([1.0, 1.0]), unit_cost=np.array([1.0, 2.0]),
    ...     downtime_cost_per_day=np.array([np.nan, np.nan]))
    >>> fr.investment[:5].tolist()
    [0.0, 1.0, 3.0, 5.0, 6.0]
    >>> np.round(fr.total_ebo[:5], 4).tolist()
    [3.0, 2.3679, 1.5032, 0.9092, 0.645]
    >>> fr.allocation_at(4.0).base_stock_level.tolist()
    [1, 1]
    """
    lam = np.asarray(demand_per_year, float)
    if lam.ndim != 1:
        raise PlannerError(f"demand_per_year must be 1-D, got shape {lam.shape}")
    n = lam.shape[0]
    lam = _checked("demand_per_year", lam, n)
    lead = _checked("lead_time_days", lead_time_days, n)
    cost = _checked("unit_cost", unit_cost, n)
    b = _checked("downtime_cost_per_day", downtime_cost_per_day, n, allow_nan=True)
    b_year = np.where(np.isnan(b), 0.0, b) * DAYS_PER_YEAR
    try:
        objective = FrontierObjective(objective)
    except ValueError:
        allowed = ", ".join(o.value for o in FrontierObjective)
        raise PlannerError(
            f"objective must be one of {allowed}, got {objective!r}"
        ) from None
    if not (float(max_points).is_integer() and max_points >= 2):
        raise PlannerError(
            f"max_points must be a whole number >= 2, got {max_points!r}"
        )
    if not (np.isfinite(ebo_tolerance) and ebo_tolerance > 0):
        raise PlannerError(f"ebo_tolerance must be > 0, got {ebo_tolerance!r}")
    vtm = np.ones(n)
    if variance_to_mean is not None:
        vtm = _checked("variance_to_mean", variance_to_mean, n, allow_nan=True)
        vtm = np.where(np.isnan(vtm), 1.0, vtm)
    outage = outage if outage is not None else OutageProcess.none(n)
    rate = _checked("outage.rate_per_year", outage.rate_per_year, n)
    duration = _checked("outage.duration_days", outage.duration_days, n)
    exponential = np.asarray(outage.exponential, bool)
    if exponential.shape != (n,):
        raise PlannerError(
            f"outage.exponential must have shape ({n},), got {exponential.shape}"
        )
    start = _start_levels(min_level, n)
    start_investment = float(np.dot(cost, start))

    huge = np.int64(1) << 40
    cap = np.full(n, huge)
    if max_investment is not None:
        max_investment = float(max_investment)
        if np.isnan(max_investment) or max_investment < start_investment - _money_slack(
            start_investment
        ):
            raise PlannerError(
                f"max_investment must be >= {start_investment!r} (the investment "
                f"of the starting levels), got {max_investment!r}"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            spare = (
                max_investment - start_investment + _money_slack(max_investment)
            ) / cost
        spare = np.clip(np.nan_to_num(spare, nan=0.0), 0, huge)  # nan: 0/0
        cap = np.where(cost > 0, np.floor(spare), huge).astype(np.int64)
    cap = np.where(lam > 0, cap, 0)
    if objective is FrontierObjective.DOWNTIME_COST:
        cap = np.where(b_year > 0, cap, 0)

    lam_day = lam / DAYS_PER_YEAR
    is_nb = vtm > OVERDISPERSED_VTM
    has_outage = rate > 0
    start_ebo = np.zeros(n)
    start_fill = np.ones(n)
    pieces = []
    for out in (False, True):  # four groups at most: outage x distribution
        for nb in (False, True):
            rows = np.flatnonzero((has_outage == out) & (is_nb == nb) & (lam > 0))
            if rows.size == 0:
                continue
            if out:
                sub = OutageProcess(
                    rate_per_year=rate[rows],
                    duration_days=duration[rows],
                    exponential=exponential[rows],
                )
                means, weights = mixture_means(lam_day[rows], lead[rows], sub)
            else:
                means = (lam_day[rows] * lead[rows])[:, None]
                weights = np.ones((rows.size, 1))
            steps = _group_steps(
                start[rows],
                cap[rows],
                means,
                weights,
                vtm[rows] if nb else None,
                float(ebo_tolerance),
            )
            start_ebo[rows] = steps.start_ebo
            start_fill[rows] = steps.start_fill
            pieces.append((rows[steps.part], steps.delta_ebo, steps.delta_fill))
    if pieces:
        part, delta_ebo, delta_fill = (
            np.concatenate(p) for p in zip(*pieces, strict=True)
        )
    else:
        part = np.zeros(0, dtype=np.int64)
        delta_ebo = delta_fill = np.zeros(0)

    gain = (
        delta_ebo
        if objective is FrontierObjective.BACKORDERS
        else b_year[part] * delta_ebo
    )
    unit = cost[part]
    ratio = np.divide(gain, unit, out=np.full(gain.shape, np.inf), where=unit > 0)
    order = np.argsort(-ratio, kind="stable")
    part, delta_ebo, delta_fill, ratio = (
        part[order],
        delta_ebo[order],
        delta_fill[order],
        ratio[order],
    )
    step_investment = start_investment + np.concatenate([[0.0], np.cumsum(cost[part])])
    if max_investment is not None:
        k = int(
            np.searchsorted(
                step_investment,
                max_investment + _money_slack(max_investment),
                side="right",
            )
            - 1
        )
        part, delta_ebo, delta_fill, ratio = (
            part[:k],
            delta_ebo[:k],
            delta_fill[:k],
            ratio[:k],
        )
        step_investment = step_investment[: k + 1]

    def running(total: float, steps: np.ndarray) -> np.ndarray:
        return total + np.concatenate([[0.0], np.cumsum(steps)])

    total_ebo = np.maximum(running(start_ebo.sum(), -delta_ebo), 0.0)
    downtime = np.maximum(
        running(np.dot(b_year, start_ebo), -b_year[part] * delta_ebo), 0.0
    )
    weight = lam.sum()
    if weight > 0:
        fill = running(np.dot(lam, start_fill), lam[part] * delta_fill) / weight
    else:
        fill = np.ones(part.size + 1)
    value = total_ebo if objective is FrontierObjective.BACKORDERS else downtime
    idx = _thin(step_investment, value, int(max_points))
    n_units = int(start.sum()) + idx
    marginal = np.concatenate([[np.nan], ratio])
    return Frontier(
        objective=objective,
        investment=step_investment[idx],
        total_ebo=total_ebo[idx],
        fill_rate=fill[idx],
        expected_downtime_cost=downtime[idx],
        n_units=n_units.astype(np.int64),
        marginal_ratio=marginal[idx],
        start_level=start,
        start_ebo=start_ebo,
        start_fill_rate=start_fill,
        demand_per_year=lam,
        downtime_cost_per_year=b_year,
        unit_cost=cost,
        step_part=part,
        step_investment=step_investment,
        step_delta_ebo=delta_ebo,
        step_delta_fill=delta_fill,
    )
