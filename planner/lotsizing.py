r"""Lot sizing: continuous-review :math:`(r, Q)` policies, vectorised over parts.

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
