r"""Lot sizing, vectorised over parts: continuous-review :math:`(r, Q)` policies
(:func:`rq_policy`, what the planner uses for parts with an order cost) and
periodic-review :math:`(s, S)` policies (:func:`periodic_ss_policy`, the
Zheng–Federgruen model, exact).

When the inventory position drops to the reorder point :math:`r` or below, the
smallest multiple of :math:`Q` that lifts it above :math:`r` is ordered. With
unit (Poisson) demand that is one lot of :math:`Q`, and the policy is the
:math:`(s, S)` policy with :math:`s = r`, :math:`S = r + Q`. With compound-Poisson
demand (negative binomial lead-time demand: logarithmic batches) it is the
:math:`(r, nQ)` policy. Either way the inventory position :math:`IP` is uniform
on :math:`r+1, \dots, r+Q` in steady state and independent of the lead-time
demand :math:`X` that follows it, and net stock is :math:`IP - X`, so

- fill rate :math:`= \frac{1}{Q}\sum_{y=r+1}^{r+Q} \beta(y)`, with
  :math:`\beta(y)` the unit fill rate of a base-stock level :math:`y`
  (:math:`P(X \le y-1)` for unit demand, the compound-Poisson unit fill rate of
  :func:`planner.policy.fill_rate` for batch demand),
- :math:`EBO = \frac{1}{Q}\sum_{y=r+1}^{r+Q} E[(X-y)^+]`,
- :math:`E[OH] = \frac{1}{Q}\sum_y E[(y-X)^+] = r + \frac{Q+1}{2} - E[X] + EBO`,
- cost per year :math:`K\lambda/Q + \frac{1}{Q}\sum_{y=r+1}^{r+Q} G(y)`, with
  :math:`G(y) = h\,E[(y-X)^+] + b\,E[(X-y)^+]` (:math:`h` per unit-year,
  :math:`b` = downtime cost per unit-day :math:`\times` 365).

All of these are exact for the model: no normal or "1 - EBO/lambda"
approximation is used. Under supplier outages :math:`X` is the Poisson (or NB)
mixture of :func:`planner.policy.mixture_means` (the inventory position does not
depend on lead times, and orders stay in sequence, so the same argument holds
with the lead time stretched by the age of the outage in progress).

Optimisation. :math:`G` is convex, so for each :math:`Q` the cost-optimal window
is the :math:`Q` consecutive :math:`y` with the smallest :math:`G` and the
windows are nested: the window for :math:`Q+1` adds the cheaper neighbour of the
window for :math:`Q` (Federgruen and Zheng [1]_). The fill rate of a window is
non-decreasing in :math:`r`, and the smallest :math:`r` meeting the floor moves
by 0 or -1 from :math:`Q` to :math:`Q+1`; the cost for fixed :math:`Q` is convex
in :math:`r`, so the constrained optimum is
:math:`r(Q) = \max(r_{cost}(Q), r_{fill}(Q))`. Both windows are carried along
:math:`Q` with running (prefix) sums, :math:`O(1)` per :math:`Q` per part, and
:math:`Q` is enumerated until the lower bound

.. math:: LB(Q) = \max\Big(\bar G(Q),\; h\,\frac{\beta(\beta Q + 1)}{2}\Big)

reaches the best cost found, where :math:`\bar G(Q)` is the mean of the
:math:`Q` smallest :math:`G` (non-decreasing in :math:`Q`) and the second term
bounds the holding cost of any window with fill rate :math:`\ge \beta` (the
on-hand stock of such a window is smallest when all the fill sits at its top).
Both terms are non-decreasing in :math:`Q` and bound the cost of every larger
lot, so the enumeration is exact.

References
----------
.. [1] A. Federgruen and Y.-S. Zheng, "An efficient algorithm for computing an
   optimal (r, Q) policy in continuous review stochastic inventory systems,"
   *Operations Research*, vol. 40, no. 4, pp. 808-813, 1992.
.. [2] L. V. Snyder and Z.-J. M. Shen, *Fundamentals of Supply Chain Theory*,
   2nd ed. Hoboken, NJ, USA: Wiley, 2019, sec. 5.3.
.. [3] G. Hadley and T. M. Whitin, *Analysis of Inventory Systems*. Englewood
   Cliffs, NJ, USA: Prentice-Hall, 1963, ch. 4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import special

from planner.errors import PlannerError
from planner.policy import (
    OVERDISPERSED_VTM,
    BindingRule,
    OutageProcess,
    _nb_fill_curves,
    _nb_pmf_table,
    demand_cdf,
    mixture_means,
    smallest_fill_level,
    smallest_level,
)
from planner.units import DAYS_PER_YEAR

#: Where no finite optimal lot exists (holding is free, or neither a fill-rate
#: floor nor a downtime cost asks for stock), the lot is this many years of
#: demand, at least one unit.
DEGENERATE_SUPPLY_YEARS = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class LotSizePolicy:
    """An (r, Q) policy per part and its service figures (arrays over parts).

    ``order_up_to`` is r + Q, the (s, S) view with s = r (exact for unit demand).
    ``safety_stock`` is r - E[X] (the standard definition; the mean inventory
    position is r + (Q + 1)/2). Units: stock levels and backorders in units;
    costs per year in currency; ``binding`` holds :class:`BindingRule` values.
    """

    reorder_point: np.ndarray
    order_quantity: np.ndarray
    order_up_to: np.ndarray
    lead_time_demand_mean: np.ndarray
    fill_rate: np.ndarray
    expected_backorders: np.ndarray
    expected_on_hand: np.ndarray
    safety_stock: np.ndarray
    annual_holding_cost: np.ndarray
    annual_order_cost: np.ndarray
    annual_downtime_cost: np.ndarray
    annual_cost: np.ndarray
    binding: np.ndarray


def _tail(
    k: np.ndarray, means: np.ndarray, v: np.ndarray | None, shift: int = 0
) -> np.ndarray:
    """P(X > k): Poisson (``v`` None) or negative binomial for every row.

    The same law as :func:`planner.policy.demand_sf` (``shift``: size r + shift,
    the size-biased laws), without evaluating both families for every entry.
    """
    kk = np.maximum(k, 0)
    if v is None:
        out = special.pdtrc(kk, means)
    else:
        size = np.maximum(means / (v - 1.0), 1e-300)
        out = special.betainc(kk + 1.0, size + shift, 1.0 - 1.0 / v)
        out = np.where(means <= 0, 0.0, out)
    return np.where(k < 0, 1.0, out)


class _LeadTimeDemand:
    """Lead-time demand X per part: loss functions and window sums of fill rates.

    Holds the Poisson/NB mixture of :mod:`planner.policy` and, for the NB rows, a
    cache of cumulative unit fill rates that grows on demand.
    """

    def __init__(
        self, means: np.ndarray, weights: np.ndarray, vtm: np.ndarray | None
    ) -> None:
        n = means.shape[0]
        self.means = means
        self.weights = weights
        self.vtm = vtm
        self.mean = np.sum(weights * means, axis=1)
        self.is_nb = np.zeros(n, bool) if vtm is None else vtm > OVERDISPERSED_VTM
        # evaluate in up to four groups so that plain parts skip the quadrature
        # nodes and Poisson parts skip the incomplete beta function
        mixed = np.any(weights[:, 1:] > 0, axis=1)
        self._group = 2 * self.is_nb + mixed
        self._nb_rows = np.flatnonzero(self.is_nb)
        self._nb_pos = np.full(n, -1)
        self._nb_pos[self._nb_rows] = np.arange(self._nb_rows.size)
        self._prefix = np.zeros((self._nb_rows.size, 1))  # column y+1: sum_{S<=y}
        self._row_max = np.full(self._nb_rows.size, -1)  # largest y cached per row

    def groups(
        self, idx: np.ndarray
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]:
        """(positions in idx, means, weights, vtm or None) per group of parts."""
        group = self._group[idx]
        for g in np.unique(group):
            pos = np.flatnonzero(group == g)
            ids = idx[pos]
            k = self.means.shape[1] if g % 2 else 1
            v = self.vtm[ids] if g >= 2 else None
            yield pos, self.means[ids, :k], self.weights[ids, :k], v

    def ebo(self, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
        """E[(X - y)+] for parts ``idx`` at integer levels ``y`` [units]."""
        out = np.empty(idx.size)
        for pos, means, weights, v in self.groups(idx):
            y2 = y[pos, None]
            v2 = None if v is None else v[:, None]
            ebo = means * _tail(y2 - 1, means, v2, 1) - y2 * _tail(y2, means, v2)
            out[pos] = np.sum(weights * np.maximum(ebo, 0.0), axis=1)
        return out

    def on_hand(self, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
        """E[(y - X)+] = y - E[X] + E[(X - y)+] [units]."""
        return y - self.mean[idx] + self.ebo(idx, y)

    def cost(
        self, idx: np.ndarray, y: np.ndarray, h: np.ndarray, b: np.ndarray
    ) -> np.ndarray:
        """G(y) = h E[(y - X)+] + b E[(X - y)+] [currency/year]."""
        ebo = self.ebo(idx, y)
        return h[idx] * (y - self.mean[idx] + ebo) + b[idx] * ebo

    def loss2(self, idx: np.ndarray, a: np.ndarray) -> np.ndarray:
        r"""Second-order loss :math:`\sum_{y \ge a} E[(X - y)^+]` [units].

        Equals :math:`\tfrac12 E[((X-a)^+)^2 + (X-a)^+]`, written with the
        factorial moments of the size-biased laws (shift 1 and 2 in
        :func:`_tail`).
        """
        a = np.asarray(a, float)
        out = np.empty(idx.size)
        for pos, means, weights, v in self.groups(idx):
            a2 = a[pos, None]
            v2 = None if v is None else v[:, None]
            factorial2 = means**2 + (0.0 if v is None else means * (v2 - 1.0))
            sf0 = _tail(a2, means, v2)
            sf1 = _tail(a2 - 1, means, v2, 1)
            sf2 = _tail(a2 - 2, means, v2, 2)
            terms = (
                0.5 * factorial2 * sf2
                + (1.0 - a2) * means * sf1
                + 0.5 * a2 * (a2 - 1.0) * sf0
            )
            out[pos] = np.sum(weights * terms, axis=1)
        return out

    def fill_sum(
        self, idx: np.ndarray, r: np.ndarray, q: np.ndarray | int
    ) -> np.ndarray:
        r""":math:`\sum_{y=r+1}^{r+Q} \beta(y)`: Q times the fill rate of (r, Q).

        Unit demand: :math:`\sum_{k=r}^{r+Q-1} P(X \le k) = E[(r+Q-X)^+] -
        E[(r-X)^+]`. Batch demand: differences of the cached cumulative unit
        fill rates.
        """
        top = r + q
        out = np.empty(idx.size)
        nb = self.is_nb[idx]
        sel = np.flatnonzero(~nb)
        if sel.size:
            ids = idx[sel]
            out[sel] = self.on_hand(ids, top[sel]) - self.on_hand(ids, r[sel])
        sel = np.flatnonzero(nb)
        if sel.size:
            rows = self._nb_pos[idx[sel]]
            self._ensure(rows, top[sel])
            out[sel] = self._cum(rows, top[sel]) - self._cum(rows, r[sel])
        return out

    def _cum(self, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Sum of the unit fill rates beta(0..y) for NB rows (0 for y < 0)."""
        col = np.clip(y, -1, None) + 1
        return self._prefix[rows, col]

    def _ensure(self, rows: np.ndarray, y: np.ndarray) -> None:
        """Extend the cumulative fill-rate cache of NB ``rows`` to levels ``y``."""
        short = y > self._row_max[rows]
        if not np.any(short):
            return
        need = np.unique(rows[short])
        y_need = np.zeros(self._nb_rows.size, np.int64)
        np.maximum.at(y_need, rows[short], y[short])
        s_max = int(max(y_need[need].max(), 2 * self._row_max[need].max(), 16))
        if self._prefix.shape[1] < s_max + 2:
            pad = s_max + 2 - self._prefix.shape[1]
            self._prefix = np.pad(self._prefix, ((0, 0), (0, pad)))
        for pos, means, weights, v in self.groups(self._nb_rows[need]):
            # plain rows pass their one node only: unused nodes carry weight 0
            curves = _nb_fill_curves(means, weights, v, s_max)
            self._prefix[need[pos], 0] = 0.0
            self._prefix[need[pos], 1 : s_max + 2] = np.cumsum(curves, axis=1)
        self._row_max[need] = s_max


def _bisect(
    pred: Callable[[np.ndarray, np.ndarray], np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Smallest integer in (lo, hi] where ``pred(positions, value)`` holds.

    ``pred`` must be monotone (false then true), false at ``lo`` and true at
    ``hi``. Vectorised over positions.
    """
    lo = lo.copy()
    hi = hi.copy()
    while (act := np.flatnonzero(hi - lo > 1)).size:
        mid = (lo[act] + hi[act]) // 2
        ok = pred(act, mid)
        hi[act] = np.where(ok, mid, hi[act])
        lo[act] = np.where(ok, lo[act], mid)
    return hi


def _check_inputs(arrays: dict[str, np.ndarray], n: int, nan_ok: set[str]) -> None:
    """Shape, finiteness and sign checks with messages that name field and index."""
    for name, arr in arrays.items():
        if arr.shape != (n,):
            raise PlannerError(f"{name} must have shape ({n},), got {arr.shape}")
        allowed_nan = name in nan_ok
        wrong = (~np.isfinite(arr) & ~(allowed_nan & np.isnan(arr))) | (arr < 0)
        if np.any(wrong):
            bad = int(np.flatnonzero(wrong)[0])
            raise PlannerError(
                f"{name} must be finite and >= 0, got {float(arr[bad])!r} "
                f"at index {bad}"
            )


def rq_policy(
    *,
    demand_per_year: np.ndarray,
    lead_time_days: np.ndarray,
    unit_cost: np.ndarray,
    holding_rate: np.ndarray,
    order_cost: np.ndarray,
    target_fill_rate: np.ndarray,
    downtime_cost_per_day: np.ndarray,
    lot_size: np.ndarray | None = None,
    variance_to_mean: np.ndarray | None = None,
    outage: OutageProcess | None = None,
) -> LotSizePolicy:
    r"""Continuous-review (r, Q) policies meeting a fill-rate floor at least cost.

    Parameters
    ----------
    demand_per_year
        Demand rate :math:`\lambda` of each part. [units/year]
    lead_time_days
        Replenishment lead time :math:`L`. [days]
    unit_cost
        Value of one unit. [currency]
    holding_rate
        Holding cost as a fraction of unit value per year; :math:`h` =
        ``unit_cost * holding_rate``. [1/year]
    order_cost
        Fixed cost :math:`K` of one order. [currency]
    target_fill_rate
        Fill-rate floor in [0, 1). [fraction]
    downtime_cost_per_day
        Cost per unit backordered per day, ``nan`` where not given (then only
        holding and ordering are costed and the fill-rate floor sets the
        service). [currency/(unit day)]
    lot_size
        Fixed order quantity :math:`Q` per part, ``nan`` where it is to be
        optimised; ``None``: optimise every part. Where given, :math:`r` is the
        smallest reorder point that meets the fill-rate floor and is at least
        the cost-optimal one for that :math:`Q`. [units]
    variance_to_mean
        Variance-to-mean ratio of demand; above
        :data:`planner.policy.OVERDISPERSED_VTM` the lead-time demand is negative
        binomial (compound Poisson with logarithmic batches) and the fill rate is
        the exact unit fill rate of batch demand under the (r, nQ) policy.
        ``None`` or ``nan``: Poisson.
    outage
        Random supplier outages per part (the mixture of
        :func:`planner.policy.mixture_means`); ``None`` for none.

    Returns
    -------
    LotSizePolicy
        :math:`(r, Q)` minimising :math:`K\lambda/Q + h E[OH] + b\,365\,EBO`
        subject to fill rate :math:`\ge` target (ties: the smallest :math:`Q`,
        then the largest cost-optimal :math:`r`), with its figures. With
        ``Q = 1`` this is :func:`planner.policy.base_stock_policy` with
        :math:`S = r + 1`. Parts with no demand get :math:`r = -Q` (nothing
        held), fill rate 1 and zero costs. Where no finite optimal lot exists
        (``unit_cost * holding_rate`` = 0, or target 0 with no downtime cost)
        and no lot size is given, :math:`Q` is :data:`DEGENERATE_SUPPLY_YEARS`
        of demand.

    Raises
    ------
    PlannerError
        If the arrays differ in length or hold negative or non-finite values, a
        target is 1 or more, or a lot size is not a whole number >= 1.

    Examples
    --------
    Snyder and Shen's Example 5.8 (:math:`h = 20`, :math:`p = 150` per year,
    :math:`K = 100`, :math:`\lambda = 1.5`, :math:`L = 2` years):

    >>> import numpy as np
    >>> pol = rq_policy(demand_per_year=np.array([1.5]),
    ...     lead_time_days=np.array([730.0]), unit_cost=np.array([80.0]),
    ...     holding_rate=np.array([0.25]), order_cost=np.array([100.0]),
    ...     target_fill_rate=np.array([0.0]),
    ...     downtime_cost_per_day=np.array([150.0 / 365.0]))
    >>> int(pol.reorder_point[0]), int(pol.order_quantity[0])
    (3, 5)
    >>> round(float(pol.annual_cost[0]), 4)
    107.9236
    """
    lam = np.asarray(demand_per_year, float)
    if lam.ndim != 1:
        raise PlannerError(f"demand_per_year must be 1-D, got shape {lam.shape}")
    n = lam.shape[0]
    outage = outage if outage is not None else OutageProcess.none(n)
    if np.asarray(outage.exponential).shape != (n,):
        raise PlannerError(
            f"outage.exponential must have shape ({n},), "
            f"got {np.asarray(outage.exponential).shape}"
        )
    lot = np.full(n, np.nan) if lot_size is None else np.asarray(lot_size, float)
    vtm_in = None if variance_to_mean is None else np.asarray(variance_to_mean, float)
    arrays = {
        "demand_per_year": lam,
        "lead_time_days": np.asarray(lead_time_days, float),
        "unit_cost": np.asarray(unit_cost, float),
        "holding_rate": np.asarray(holding_rate, float),
        "order_cost": np.asarray(order_cost, float),
        "target_fill_rate": np.asarray(target_fill_rate, float),
        "downtime_cost_per_day": np.asarray(downtime_cost_per_day, float),
        "lot_size": lot,
        "outage.rate_per_year": np.asarray(outage.rate_per_year, float),
        "outage.duration_days": np.asarray(outage.duration_days, float),
    }
    if vtm_in is not None:
        arrays["variance_to_mean"] = vtm_in
    _check_inputs(arrays, n, {"downtime_cost_per_day", "lot_size", "variance_to_mean"})
    target = arrays["target_fill_rate"]
    if np.any(target >= 1.0):
        bad = int(np.flatnonzero(target >= 1.0)[0])
        raise PlannerError(
            f"target_fill_rate must be in [0, 1), got {float(target[bad])!r} "
            f"at index {bad}"
        )
    given = ~np.isnan(lot)
    if np.any(given & ((lot < 1) | (lot != np.round(lot)))):
        bad = int(np.flatnonzero(given & ((lot < 1) | (lot != np.round(lot))))[0])
        raise PlannerError(
            f"lot_size must be a whole number >= 1 (nan: optimise), "
            f"got {float(lot[bad])!r} at index {bad}"
        )

    lead = arrays["lead_time_days"]
    cost = arrays["unit_cost"]
    h = cost * arrays["holding_rate"]  # per unit-year
    b_day = arrays["downtime_cost_per_day"]
    b = np.where(np.isnan(b_day), 0.0, b_day) * DAYS_PER_YEAR  # per unit-year
    fixed_per_year = arrays["order_cost"] * lam  # K lambda
    vtm = None if vtm_in is None else np.nan_to_num(vtm_in, nan=1.0)

    means, weights = mixture_means(lam / DAYS_PER_YEAR, lead, outage)
    dist = _LeadTimeDemand(means, weights, vtm)

    no_demand = lam <= 0
    degenerate = ~no_demand & ((h <= 0) | ((b <= 0) & (target <= 0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((b > 0) & (h > 0), b / (b + h), 0.0)
    # Q = 1: the base-stock levels of planner.policy (S = r + 1)
    y_star = np.zeros(n, np.int64)
    r_fill_1 = np.zeros(n, np.int64)
    for pos, m, w, v in dist.groups(np.arange(n)):
        y_star[pos] = np.maximum(smallest_level(ratio[pos], m, w, v) - 1, 0)
        r_fill_1[pos] = smallest_fill_level(target[pos], m, w, v) - 1

    q = np.where(given, lot, 1.0).astype(np.int64)
    cap = np.maximum(np.ceil(lam * DEGENERATE_SUPPLY_YEARS), 1.0).astype(np.int64)
    q = np.where(degenerate & ~given, cap, q)
    r_cost = np.zeros(n, np.int64)
    r_fill = np.zeros(n, np.int64)

    search = np.flatnonzero(~given & ~degenerate & ~no_demand)
    if search.size:
        q_s, rc_s, rf_s = _enumerate_lots(
            search, dist, h, b, fixed_per_year, target, y_star, r_fill_1
        )
        q[search], r_cost[search], r_fill[search] = q_s, rc_s, rf_s

    fixed = np.flatnonzero(~no_demand & (given | degenerate))
    if fixed.size:
        rc_f, rf_f = _levels_for_lot(
            fixed, q[fixed], dist, h, b, target, y_star, r_fill_1, degenerate
        )
        r_cost[fixed], r_fill[fixed] = rc_f, rf_f

    r = np.where(no_demand, -q, np.maximum(r_cost, r_fill))
    every = np.arange(n)
    fill = dist.fill_sum(every, r, q) / q
    ebo = (dist.loss2(every, r + 1) - dist.loss2(every, r + q + 1)) / q
    ebo = np.maximum(ebo, 0.0)
    fill = np.where(no_demand, 1.0, np.clip(fill, 0.0, 1.0))
    ebo = np.where(no_demand, 0.0, ebo)
    on_hand = np.where(no_demand, 0.0, r + (q + 1) / 2.0 - dist.mean + ebo)
    holding = h * on_hand
    ordering = np.where(no_demand, 0.0, fixed_per_year / q)
    downtime = b * ebo
    binding = np.where(
        no_demand,
        BindingRule.NO_DEMAND.value,
        np.where(r_fill > r_cost, BindingRule.FILL_RATE.value, BindingRule.COST.value),
    )
    return LotSizePolicy(
        reorder_point=r,
        order_quantity=q,
        order_up_to=r + q,
        lead_time_demand_mean=dist.mean,
        fill_rate=fill,
        expected_backorders=ebo,
        expected_on_hand=on_hand,
        safety_stock=r - dist.mean,
        annual_holding_cost=holding,
        annual_order_cost=ordering,
        annual_downtime_cost=downtime,
        annual_cost=holding + ordering + downtime,
        binding=binding,
    )


def _levels_for_lot(
    idx: np.ndarray,
    q: np.ndarray,
    dist: _LeadTimeDemand,
    h: np.ndarray,
    b: np.ndarray,
    target: np.ndarray,
    y_star: np.ndarray,
    r_fill_1: np.ndarray,
    degenerate: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost-optimal and smallest fill-meeting reorder points for fixed lots ``q``.

    Cost: the largest minimiser of the (convex in r) window cost, i.e. the
    smallest r with G(r + Q + 1) > G(r + 1); its window holds the newsvendor
    level ``y_star``, so r lies in [y_star - Q, y_star]. Fill: the window fill
    rate rises with r and r_fill(Q) lies in [r_fill(1) - Q + 1, r_fill(1)].
    Where holding is free the cost term asks for nothing (r = -Q).
    """

    def cost_rises(pos: np.ndarray, r: np.ndarray) -> np.ndarray:
        ids = idx[pos]
        return dist.cost(ids, r + q[pos] + 1, h, b) > dist.cost(ids, r + 1, h, b)

    def fill_met(pos: np.ndarray, r: np.ndarray) -> np.ndarray:
        return dist.fill_sum(idx[pos], r, q[pos]) / q[pos] >= target[idx[pos]]

    ys = y_star[idx]
    r_cost = _bisect(cost_rises, ys - q - 1, ys)
    r_cost = np.where(degenerate[idx], -q, r_cost)
    rf1 = r_fill_1[idx]
    r_fill = _bisect(fill_met, rf1 - q, rf1)
    r_fill = np.where(target[idx] <= 0, rf1 - q, r_fill)  # no floor: never binds
    return r_cost, r_fill


def _enumerate_lots(
    idx: np.ndarray,
    dist: _LeadTimeDemand,
    h: np.ndarray,
    b: np.ndarray,
    fixed_per_year: np.ndarray,
    target: np.ndarray,
    y_star: np.ndarray,
    r_fill_1: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Optimal Q with r_cost(Q) and r_fill(Q) for parts ``idx``, Q = 1, 2, ...

    Carries the cost window (Federgruen-Zheng: add the cheaper neighbour) and
    the fill window (r_fill moves by 0 or -1) with running sums of G, and stops a
    part once the lower bound of the module docstring reaches its best cost.
    """
    beta = target[idx]
    r_c = y_star[idx] - 1
    r_f = r_fill_1[idx].copy()
    sum_c = dist.cost(idx, r_c + 1, h, b)
    sum_f = dist.cost(idx, r_f + 1, h, b)
    best = fixed_per_year[idx] + np.where(r_f > r_c, sum_f, sum_c)
    best_q = np.ones(idx.size, np.int64)
    best_rc = r_c.copy()
    best_rf = r_f.copy()
    bound = np.maximum(sum_c, h[idx] * beta * (beta + 1.0) / 2.0)
    cur = np.flatnonzero(bound < best)
    q = 1
    while cur.size:
        q += 1
        ids = idx[cur]
        rc = r_c[cur]
        g_low = dist.cost(ids, rc, h, b)
        g_high = dist.cost(ids, rc + q, h, b)
        down = g_low < g_high
        sum_c[cur] += np.where(down, g_low, g_high)
        r_c[cur] = rc - down
        rf = r_f[cur]
        ok = (beta[cur] <= 0) | (dist.fill_sum(ids, rf - 1, q) / q >= beta[cur])
        sum_f[cur] += dist.cost(ids, np.where(ok, rf, rf + q), h, b)
        r_f[cur] = rf - ok
        use_fill = r_f[cur] > r_c[cur]
        total = fixed_per_year[ids] / q + np.where(use_fill, sum_f[cur], sum_c[cur]) / q
        better = total < best[cur]
        won = cur[better]
        best[won] = total[better]
        best_q[won] = q
        best_rc[won] = r_c[won]
        best_rf[won] = r_f[won]
        bq = beta[cur]
        bound = np.maximum(sum_c[cur] / q, h[ids] * bq * (bq * q + 1.0) / 2.0)
        cur = cur[bound < best[cur]]
    return best_q, best_rc, best_rf


# ---------------------------------------------------------------------------
# Periodic-review (s, S) policies with a fixed order cost, solved exactly
# ---------------------------------------------------------------------------

#: Per-period demand beyond the smallest d with P(D > d) below this is dropped
#: from the renewal recursions (far below double-precision resolution).
PMF_TAIL_PROB = 1e-18

#: Costs within this relative distance of the minimum count as ties (rounding).
SS_TIE_RTOL = 1e-12

#: Parts solved together; the parts are sorted by problem size first, so that
#: the arrays of one block are of similar width.
SS_BLOCK_PARTS = 1024

#: Most cells (parts x levels) a block's tables may reach, estimated before
#: the search; bounds memory where a few parts have very wide searches.
SS_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodicSSPolicy:
    """Optimal periodic-review (s, S) policies and their figures (arrays over parts).

    At the start of each period, if the inventory position is at or below
    ``reorder_point`` s, order up to ``order_up_to`` S. Stock levels in units;
    costs per period in currency; ``order_frequency_per_period`` is the long-run
    number of orders per period, :math:`1/M(S-s)`. ``expected_on_hand`` and
    ``expected_backorders`` are taken at the end of a period (where the costs
    are charged), ``fill_rate`` is the fraction of demanded units served from
    stock at once. ``newsvendor_level`` is :math:`y^*`, the minimiser of the
    one-period cost :math:`G`. Parts with no demand get s = -1, S = 0 (nothing
    held), zero costs and fill rate 1.
    """

    reorder_point: np.ndarray
    order_up_to: np.ndarray
    cost_per_period: np.ndarray
    expected_holding_cost_per_period: np.ndarray
    expected_stockout_cost_per_period: np.ndarray
    expected_order_cost_per_period: np.ndarray
    expected_on_hand: np.ndarray
    expected_backorders: np.ndarray
    fill_rate: np.ndarray
    order_frequency_per_period: np.ndarray
    newsvendor_level: np.ndarray


def _by_family(
    func: Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray],
    y: np.ndarray,
    mean: np.ndarray,
    vtm: np.ndarray,
    is_nb: np.ndarray,
) -> np.ndarray:
    """``func(y, mean, v)`` with v None on the Poisson entries, ``vtm`` on NB ones.

    All arguments are 1-D of one length; each family is evaluated only where
    it applies (the incomplete beta function is the expensive one).
    """
    out = np.empty(y.shape)
    pois = np.flatnonzero(~is_nb)
    if pois.size:
        out[pois] = func(y[pois], mean[pois], None)
    nb = np.flatnonzero(is_nb)
    if nb.size:
        out[nb] = func(y[nb], mean[nb], vtm[nb])
    return out


def _shortage(
    y: np.ndarray, mean: np.ndarray, vtm: np.ndarray, is_nb: np.ndarray
) -> np.ndarray:
    r"""E[(X - y)+] for Poisson entries and NB entries (``is_nb``) [units].

    Uses :math:`E[(X-y)^+] = \mu P(Y > y-1) - y P(X > y)` with :math:`Y` the
    size-biased law (see :func:`_tail`).
    """

    def loss(yy: np.ndarray, mm: np.ndarray, v: np.ndarray | None) -> np.ndarray:
        return np.maximum(mm * _tail(yy - 1, mm, v, 1) - yy * _tail(yy, mm, v), 0.0)

    return _by_family(loss, y, mean, vtm, is_nb)


def _demand_pmf(
    mean: np.ndarray, vtm: np.ndarray, is_nb: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-period demand pmf at 0..width-1 per row, and 1 - P(D = 0) per row.

    Poisson from logarithms (so that tiny or large means neither underflow nor
    lose the upper terms), NB from :func:`planner.policy._nb_pmf_table`.
    """
    n = mean.shape[0]
    table = np.zeros((n, width))
    d = np.arange(width, dtype=float)
    pois = np.flatnonzero(~is_nb)
    if pois.size:
        mm = mean[pois, None]
        table[pois] = np.exp(d * np.log(mm) - mm - special.gammaln(d + 1.0))
    nb = np.flatnonzero(is_nb)
    if nb.size:
        table[nb] = _nb_pmf_table(mean[nb], vtm[nb], width)
    size = mean / np.where(is_nb, vtm - 1.0, 1.0)
    # P(D > 0): Poisson 1 - e^-mu, NB 1 - v^-r, without cancellation
    positive = np.where(is_nb, -np.expm1(-size * np.log(vtm)), -np.expm1(-mean))
    return table, positive


def _pmf_width(mean: np.ndarray, vtm: np.ndarray, is_nb: np.ndarray) -> np.ndarray:
    """Smallest d with P(D > d) < :data:`PMF_TAIL_PROB`, per row (bisection)."""
    v = np.where(is_nb, vtm, 1.0)
    hi = np.ceil(mean + 12.0 * np.sqrt(v * mean) + 40.0 * v).astype(np.int64)

    def tail(k: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return _by_family(_tail, k, mean[rows], vtm[rows], is_nb[rows])

    every = np.arange(mean.shape[0])
    while np.any(short := tail(hi, every) >= PMF_TAIL_PROB):
        hi[short] *= 2
    lo = np.full(mean.shape[0], -1, np.int64)
    while (act := np.flatnonzero(hi - lo > 1)).size:
        mid = (lo[act] + hi[act]) // 2
        ok = tail(mid, act) < PMF_TAIL_PROB
        hi[act] = np.where(ok, mid, hi[act])
        lo[act] = np.where(ok, lo[act], mid)
    return hi


def _newsvendor_level(
    ratio: np.ndarray, mean: np.ndarray, vtm: np.ndarray
) -> np.ndarray:
    """Smallest y >= 0 with P(X <= y) >= ratio, per row (vectorised bisection).

    ``vtm`` at or below :data:`planner.policy.OVERDISPERSED_VTM` means Poisson.
    """
    v = np.maximum(vtm, 1.0)
    hi = np.ceil(mean + 12.0 * np.sqrt(v * mean) + 40.0 * v).astype(np.int64)
    while np.any(short := demand_cdf(hi, mean, vtm) < ratio):
        hi[short] *= 2
    lo = np.full(mean.shape[0], -1, np.int64)  # P(X <= -1) = 0 < ratio
    while (act := np.flatnonzero(hi - lo > 1)).size:
        mid = (lo[act] + hi[act]) // 2
        ok = demand_cdf(mid, mean[act], vtm[act]) >= ratio[act]
        hi[act] = np.where(ok, mid, hi[act])
        lo[act] = np.where(ok, lo[act], mid)
    return hi


class _SSBlock:
    """One block of parts: demand laws, the one-period cost G and renewal sums."""

    def __init__(
        self,
        mean: np.ndarray,
        h: np.ndarray,
        p: np.ndarray,
        fixed: np.ndarray,
        lead: np.ndarray,
        vtm: np.ndarray,
    ) -> None:
        self.n = mean.shape[0]
        self.mean, self.h, self.p, self.fixed = mean, h, p, fixed
        self.is_nb = vtm > OVERDISPERSED_VTM
        self.vtm = np.where(self.is_nb, vtm, 2.0)
        # demand over L + 1 periods (the cost) and over L periods (the fill rate);
        # a sum of iid NB(r, 1/v) is NB with the sizes added and the same v
        self.mean_cost = mean * (lead + 1.0)
        self.mean_lead = mean * lead
        width = _pmf_width(mean, self.vtm, self.is_nb)
        self.pmf_width = int(width.max())
        self.pmf, self.positive = _demand_pmf(
            mean, self.vtm, self.is_nb, self.pmf_width + 1
        )
        # renewal sums m(j) (expected periods with cumulative demand j), grown on
        # demand: columns 0..m_len-1 are computed, the rest is spare capacity
        self.m = np.zeros((self.n, 64))
        self.m_len = 0

    def cost(self, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """G(y) = h E[(y - X)+] + p E[(X - y)+] for ``rows`` [currency/period]."""
        mu = self.mean_cost[rows]
        loss = _shortage(y, mu, self.vtm[rows], self.is_nb[rows])
        return self.h[rows] * (y - mu) + (self.h[rows] + self.p[rows]) * loss

    def renewal_term(self, table: np.ndarray, t: int) -> np.ndarray:
        r""":math:`\sum_{d=1}^{\min(t, T)} P(D=d)\,table[:, t-d]` for every row."""
        w = min(t, self.pmf_width)
        if w == 0:
            return np.zeros(self.n)
        return np.einsum(
            "ij,ij->i", self.pmf[:, 1 : w + 1], table[:, t - 1 :: -1][:, :w]
        )

    def grow_renewal(self, length: int) -> None:
        """Extend m(j) to j = 0..length-1: m(j) (1 - p0) = [j = 0] + sum_d p_d m(j-d)."""
        self.m = _grow(self.m, length)
        for j in range(self.m_len, length):
            self.m[:, j] = ((j == 0) + self.renewal_term(self.m, j)) / self.positive
        self.m_len = max(self.m_len, length)


def _grow(table: np.ndarray, need: int) -> np.ndarray:
    """``table`` with at least ``need`` columns (doubling), zero-padded."""
    if table.shape[1] >= need:
        return table
    return np.pad(table, ((0, 0), (0, max(need, 2 * table.shape[1]) - table.shape[1])))


def _solve_ss_block(
    block: _SSBlock, y_star: np.ndarray, s_max: int | None, part_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal (s, S) for one block of parts (see :func:`periodic_ss_policy`)."""
    n = block.n
    every = np.arange(n)
    # Phase 1: s = y* - 1, S = y* + t for t = 0, 1, ...; N(S) = sum m(j) G(S - j)
    # by the renewal recursion N(S)(1 - p0) = G(S) + sum_d p_d N(S - d), and the
    # running best cost bounds S from above (G(S*) <= c*).
    n_cum = np.zeros((n, 64))  # N(y* - 1, y* + t)
    cycle = np.zeros(n)  # M(t + 1)
    c_ub = np.full(n, np.inf)
    n_up = np.zeros(n, np.int64)  # number of S values in the search, per part
    active = every
    t = 0
    while active.size:
        g = block.cost(y_star[active] + t, active)
        stop = g > c_ub[active]
        n_up[active[stop]] = t
        active = active[~stop]
        if not active.size:
            break
        if s_max is not None and np.any(over := y_star[active] + t > s_max):
            bad = int(part_ids[active[np.flatnonzero(over)[0]]])
            raise PlannerError(
                f"part {bad}: the exact (s, S) search needs order-up-to levels "
                f"above s_max = {s_max}; raise s_max or leave it None"
            )
        n_cum = _grow(n_cum, t + 1)
        block.grow_renewal(t + 1)
        g_full = np.zeros(n)
        g_full[active] = g[~stop]
        n_cum[:, t] = (g_full + block.renewal_term(n_cum, t)) / block.positive
        cycle += block.m[:, t]
        c = (block.fixed + n_cum[:, t]) / cycle
        c_ub[active] = np.minimum(c_ub[active], c[active])
        t += 1
    # Phase 2: s >= y_l(c_ub) - 1, with y_l the smallest y with G(y) <= c_ub
    # (G(s* + 1) <= c* <= c_ub); g_low[:, k] = G(y* - k).
    n_low = np.ones(n, np.int64)  # number of s values: s = y* - 1 - k, k < n_low
    g_low = [np.zeros(n), np.zeros(n)]
    active = every
    k = 1
    while active.size:
        g = block.cost(y_star[active] - k, active)
        col = np.zeros(n)
        col[active] = g
        g_low[k] = col
        inside = g <= c_ub[active]
        n_low[active] += inside
        active = active[inside]
        k += 1
        g_low.append(np.zeros(n))
    g_low_t = np.stack(g_low, axis=1)
    # Phase 3: every (s, S) in the box; N(s - 1, S) = N(s, S) + m(S - s) G(s), so
    # each pair costs O(1).
    width_up = int(n_up.max())
    width_low = int(n_low.max())
    block.grow_renewal(width_up + width_low)
    m_used = block.m[:, : width_up + width_low]
    cum_m = np.concatenate([np.zeros((n, 1)), np.cumsum(m_used, axis=1)], axis=1)
    up_idx = np.arange(width_up)
    n_run = n_cum[:, :width_up].copy()
    in_box = up_idx[None, :] < n_up[:, None]
    best_by_up = np.full((n, width_up), np.inf)  # min over s of c(s, y* + t)
    for k in range(width_low):
        if k:
            n_run += block.m[:, k : k + width_up] * g_low_t[:, k, None]
        c = (block.fixed[:, None] + n_run) / cum_m[:, k + 1 : k + 1 + width_up]
        ok = in_box & (k < n_low)[:, None]
        np.minimum(best_by_up, np.where(ok, c, np.inf), out=best_by_up)
    # ties (to rounding): the smallest S, then the smallest optimal s for it,
    # s = y_l(c_S) - 1, the level below which lowering s stops paying
    best = np.min(best_by_up, axis=1)
    near = best_by_up <= best[:, None] * (1.0 + SS_TIE_RTOL)
    t_best = np.argmax(near, axis=1)
    c_up = best_by_up[every, t_best]
    k_low = np.ones(n, np.int64)
    while np.any(more := (k_low < n_low) & (g_low_t[every, k_low] <= c_up)):
        k_low += more
    return y_star - k_low, y_star + t_best


def _ss_figures(
    block: _SSBlock, s: np.ndarray, big_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Expected on hand, backorders, shortage per period and cycle length M(Q).

    The cost per period, :math:`K/M(Q) + h\,E[OH] + p\,E[BO]`, follows from them.

    The inventory position after ordering is :math:`S - j` with probability
    :math:`m(j)/M(Q)`, :math:`j < Q = S - s`; the net stock at the end of the
    period it reaches is :math:`S - j - X` (:math:`X` over :math:`L + 1`
    periods), and the units short in that period are
    :math:`E[(X - y)^+] - E[(X_L - y)^+]` (:math:`X_L` over :math:`L` periods).
    Summed over a flat (part, j) array.
    """
    q = big_s - s
    rows = np.repeat(np.arange(block.n), q)
    starts = np.cumsum(q) - q
    j = np.arange(rows.size) - np.repeat(starts, q)
    y = big_s[rows] - j
    m_used = block.m[:, : block.m_len]
    cycle = np.sum(np.where(np.arange(block.m_len) < q[:, None], m_used, 0.0), axis=1)
    weight = block.m[rows, j] / cycle[rows]
    vtm, nb = block.vtm[rows], block.is_nb[rows]
    loss = _shortage(y, block.mean_cost[rows], vtm, nb)
    loss_lead = _shortage(y, block.mean_lead[rows], vtm, nb)
    on_hand = y - block.mean_cost[rows] + loss

    def total(x: np.ndarray) -> np.ndarray:
        return np.bincount(rows, weights=weight * x, minlength=block.n)

    return total(on_hand), total(loss), total(loss - loss_lead), cycle


def periodic_ss_policy(
    *,
    demand_mean_per_period: np.ndarray | float,
    holding_cost_per_period: np.ndarray | float,
    stockout_cost_per_period: np.ndarray | float,
    fixed_cost: np.ndarray | float,
    lead_time_periods: np.ndarray | int = 0,
    variance_to_mean: np.ndarray | float | None = None,
    s_max: int | None = None,
) -> PeriodicSSPolicy:
    r"""Optimal periodic-review (s, S) policies, exactly, vectorised over parts.

    The model of stockpyl's ``ss.s_s_discrete_exact`` (Zheng and Federgruen
    [4]_; Snyder and Shen [2]_, ch. 4): each period, review the inventory
    position; if it is at or below :math:`s`, order up to :math:`S` at fixed cost
    :math:`K`; demand :math:`D` per period is Poisson (negative binomial where
    the variance-to-mean ratio exceeds :data:`planner.policy.OVERDISPERSED_VTM`,
    an extension); unmet demand is backordered; holding :math:`h` and stockout
    :math:`p` costs are charged on the end-of-period net stock. An order placed
    at the start of a period arrives :math:`L` periods later (stockpyl has
    :math:`L = 0`); as usual the cost charged :math:`L` periods after an order
    is booked to the order's period, with :math:`X` the demand over
    :math:`L + 1` periods (Poisson with mean :math:`(L+1)\mu`, or NB with the
    same ratio).

    Parameters
    ----------
    demand_mean_per_period
        Mean demand :math:`\mu` per review period, >= 0. [units/period]
    holding_cost_per_period
        Holding cost :math:`h` per unit on hand at the end of a period, > 0.
        [currency/(unit period)]
    stockout_cost_per_period
        Stockout cost :math:`p` per unit backordered at the end of a period, > 0.
        [currency/(unit period)]
    fixed_cost
        Fixed cost :math:`K` per order, >= 0 (0 gives the base-stock policy
        :math:`s = y^* - 1`, :math:`S = y^*`). [currency]
    lead_time_periods
        Order lead time :math:`L`, a whole number >= 0. [periods]
    variance_to_mean
        Variance-to-mean ratio :math:`v` of the demand per period; above
        :data:`planner.policy.OVERDISPERSED_VTM` demand is negative binomial
        with size :math:`\mu/(v-1)` and success probability :math:`1/v`;
        ``None``, ``nan`` or lower: Poisson. [1]
    s_max
        Largest order-up-to level the search may visit; ``None``: no limit. The
        search is exact, so a part whose bounds pass ``s_max`` raises instead of
        returning a policy that might not be optimal. [units]

    Returns
    -------
    PeriodicSSPolicy
        The (s, S) of least long-run cost per period,

        .. math:: c(s, S) = \frac{K + \sum_{j=0}^{S-s-1} m(j)\,G(S-j)}{M(S-s)},

        and its figures. Ties (costs within :data:`SS_TIE_RTOL`): the smallest
        :math:`S`, then the smallest optimal :math:`s` for it, as stockpyl.

    Raises
    ------
    PlannerError
        If an input is negative or not finite, a holding or stockout cost is
        not positive, a lead time is not a whole number, the inputs do not
        broadcast to one dimension, or the search passes ``s_max``.

    Notes
    -----
    :math:`G(y) = h\,E[(y-X)^+] + p\,E[(X-y)^+]` is convex with minimiser
    :math:`y^*` (the smallest :math:`y` with :math:`P(X \le y) \ge p/(p+h)`),
    :math:`m(j)` is the expected number of periods in which the cumulative
    demand since an order equals :math:`j`,
    :math:`m(0) = 1/(1 - p_0)`, :math:`m(j)(1-p_0) = \sum_{d=1}^{j} p_d m(j-d)`,
    and :math:`M(Q) = \sum_{j<Q} m(j)` is the expected cycle length.

    Search. For a fixed :math:`S`, lowering :math:`s` by one averages
    :math:`c` with :math:`G(s)`, so an optimal policy has
    :math:`G(s^*) \ge c^* \ge G(s^*+1)`; with :math:`s^* < y^* \le S^*` and
    :math:`G(S^*) \le c^*` ([4]_) every optimal pair lies in the box
    :math:`y_l(\bar c) - 1 \le s \le y^* - 1`, :math:`y^* \le S \le y_u(\bar c)`,
    where :math:`\{y_l, \dots, y_u\} = \{y: G(y) \le \bar c\}` for any upper
    bound :math:`\bar c \ge c^*`. The bound is the best :math:`c(y^*-1, S)`,
    found while :math:`S` rises from :math:`y^*` (with
    :math:`N(S) = \sum_j m(j) G(S-j)` by the renewal recursion
    :math:`N(S)(1-p_0) = G(S) + \sum_{d \ge 1} p_d N(S-d)`) until
    :math:`G(S) > \bar c`. Then every pair of the box is evaluated, lowering
    :math:`s` with :math:`N(s-1, S) = N(s, S) + m(S-s)\,G(s)` and
    :math:`M(Q+1) = M(Q) + m(Q)`: :math:`O(1)` per pair, vectorised over parts
    and :math:`S`. The demand pmf is cut where
    :math:`P(D > d) <` :data:`PMF_TAIL_PROB`.

    The fill rate is exact for the model: with :math:`Y` the inventory position
    after ordering (:math:`P(Y = S-j) = m(j)/M(Q)`), the units short in a
    period are :math:`E[(X-Y)^+] - E[(X_L-Y)^+]`, :math:`X_L` the demand over
    :math:`L` periods, and fill rate :math:`= 1 - \text{that}/\mu`.

    References
    ----------
    .. [4] Y.-S. Zheng and A. Federgruen, "Finding optimal (s, S) policies is
       about as simple as evaluating a single policy," *Operations Research*,
       vol. 39, no. 4, pp. 654-665, 1991.

    Examples
    --------
    Snyder and Shen's Example 4.7 (:math:`h = 1`, :math:`p = 4`, :math:`K = 5`,
    Poisson demand with mean 6), as stockpyl solves it:

    >>> pol = periodic_ss_policy(demand_mean_per_period=6.0,
    ...     holding_cost_per_period=1.0, stockout_cost_per_period=4.0,
    ...     fixed_cost=5.0)
    >>> int(pol.reorder_point[0]), int(pol.order_up_to[0])
    (4, 10)
    >>> round(float(pol.cost_per_period[0]), 6)
    8.034112
    """
    raw = {
        "demand_mean_per_period": demand_mean_per_period,
        "holding_cost_per_period": holding_cost_per_period,
        "stockout_cost_per_period": stockout_cost_per_period,
        "fixed_cost": fixed_cost,
        "lead_time_periods": lead_time_periods,
    }
    if variance_to_mean is not None:
        raw["variance_to_mean"] = variance_to_mean
    try:
        shape = np.broadcast_shapes(*(np.shape(a) for a in raw.values()))
    except ValueError as err:
        raise PlannerError(f"the inputs do not broadcast to one shape: {err}") from None
    if len(shape) > 1:
        raise PlannerError(f"the inputs must be scalars or 1-D, got shape {shape}")
    n = shape[0] if shape else 1
    arrays = {
        name: np.broadcast_to(np.asarray(a, float).reshape(-1), (n,)).copy()
        if np.ndim(a)
        else np.full(n, float(a))
        for name, a in raw.items()
    }
    _check_inputs(arrays, n, {"variance_to_mean"})
    for name in ("holding_cost_per_period", "stockout_cost_per_period"):
        if np.any(wrong := arrays[name] <= 0):
            bad = int(np.flatnonzero(wrong)[0])
            raise PlannerError(
                f"part {bad}: {name} must be > 0, got {float(arrays[name][bad])!r}"
            )
    lead = arrays["lead_time_periods"]
    if np.any(wrong := lead != np.round(lead)):
        bad = int(np.flatnonzero(wrong)[0])
        raise PlannerError(
            f"part {bad}: lead_time_periods must be a whole number >= 0, "
            f"got {float(lead[bad])!r}"
        )
    if s_max is not None and (s_max != int(s_max) or s_max < 0):
        raise PlannerError(f"s_max must be a whole number >= 0 or None, got {s_max!r}")
    mean = arrays["demand_mean_per_period"]
    h = arrays["holding_cost_per_period"]
    p = arrays["stockout_cost_per_period"]
    fixed = arrays["fixed_cost"]
    vtm = np.nan_to_num(arrays.get("variance_to_mean", np.ones(n)), nan=1.0)

    s = np.full(n, -1, np.int64)
    big_s = np.zeros(n, np.int64)
    on_hand = np.zeros(n)
    backorders = np.zeros(n)
    short = np.zeros(n)
    cycle = np.ones(n)
    y_star = np.zeros(n, np.int64)

    parts = np.flatnonzero(mean > 0)
    if parts.size:
        is_nb = vtm[parts] > OVERDISPERSED_VTM
        y_star[parts] = _newsvendor_level(
            p[parts] / (p[parts] + h[parts]),
            mean[parts] * (lead[parts] + 1.0),
            np.where(is_nb, vtm[parts], 1.0),
        )
        # solve in blocks of similar width: an EOQ-like order quantity plus the
        # width of the demand pmf
        v = np.maximum(vtm[parts], 1.0)
        size = (
            np.sqrt(2.0 * fixed[parts] * mean[parts] / h[parts])
            + mean[parts]
            + 12.0 * np.sqrt(v * mean[parts] * (lead[parts] + 1.0))
            + 40.0 * v
        )
        order = np.argsort(size, kind="stable")
        ordered, size = parts[order], size[order]
        start = 0
        while start < ordered.size:
            stop = min(start + SS_BLOCK_PARTS, ordered.size)
            count = max(1, min(stop - start, int(SS_BLOCK_CELLS // size[stop - 1])))
            ids = ordered[start : start + count]
            start += count
            block = _SSBlock(mean[ids], h[ids], p[ids], fixed[ids], lead[ids], vtm[ids])
            s[ids], big_s[ids] = _solve_ss_block(block, y_star[ids], s_max, ids)
            on_hand[ids], backorders[ids], short[ids], cycle[ids] = _ss_figures(
                block, s[ids], big_s[ids]
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(mean > 0, 1.0 - short / mean, 1.0)
    orders = np.where(mean <= 0, 0.0, 1.0 / cycle)
    holding, stockout, ordering = h * on_hand, p * backorders, fixed * orders
    return PeriodicSSPolicy(
        reorder_point=s,
        order_up_to=big_s,
        cost_per_period=holding + stockout + ordering,
        expected_holding_cost_per_period=holding,
        expected_stockout_cost_per_period=stockout,
        expected_order_cost_per_period=ordering,
        expected_on_hand=on_hand,
        expected_backorders=backorders,
        fill_rate=np.clip(fill, 0.0, 1.0),
        order_frequency_per_period=orders,
        newsvendor_level=y_star,
    )
