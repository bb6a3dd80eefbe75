r"""Demand rates per part: from a demand history, the installed base or the catalog.

Precedence (DESIGN.md): a demand history wins over the installed base, which wins
over a typed ``annual_demand``. The result says which source and which estimator
gave each rate.

History
    Each part's demand events are summed into periods (weeks by default) from the
    earliest date of the whole history to ``as_of``. Periods are counted back from
    ``as_of``, so the most recent period is always a full one; only the earliest
    period may be shorter. The series is classified by the average inter-demand
    interval (ADI, periods per period with demand) and the squared coefficient of
    variation of the non-zero demand sizes (:math:`CV^2`) with the cut-offs of
    Syntetos, Boylan and Croston [2]_ (ADI 1.32, :math:`CV^2` 0.49):

    ============  ===============  ==================  ================================
    class         ADI              :math:`CV^2`        estimator
    ============  ===============  ==================  ================================
    smooth        < 1.32           < 0.49              mean rate over the window
                                                       (``"poisson"``)
    erratic       < 1.32           >= 0.49             simple exponential smoothing
                                                       (``"ses"``)
    intermittent  >= 1.32          < 0.49              Syntetos-Boylan approximation
                                                       (``"sba"``) [3]_
    lumpy         >= 1.32          >= 0.49             Teunter-Syntetos-Babai
                                                       (``"tsb"``) [4]_
    ============  ===============  ==================  ================================

Installed base
    ``installed_quantity x operating_hours_per_year / mtbf_hours`` units per year,
    the reliability engineer's renewal rate (method ``"installed_base"``).

Catalog
    The typed ``annual_demand`` (method ``"poisson"``); a part with no source at
    all gets 0.

Every smoother is vectorised over parts and loops over periods only.

References
----------
.. [1] J. D. Croston, "Forecasting and stock control for intermittent demands,"
   *Operational Research Quarterly*, vol. 23, no. 3, pp. 289-303, 1972.
.. [2] A. A. Syntetos, J. E. Boylan and J. D. Croston, "On the categorization of
   demand patterns," *Journal of the Operational Research Society*, vol. 56,
   no. 5, pp. 495-503, 2005.
.. [3] A. A. Syntetos and J. E. Boylan, "The accuracy of intermittent demand
   estimates," *International Journal of Forecasting*, vol. 21, no. 2,
   pp. 303-314, 2005.
.. [4] R. H. Teunter, A. A. Syntetos and M. Z. Babai, "Intermittent demand:
   Linking forecasting to inventory obsolescence," *European Journal of
   Operational Research*, vol. 214, no. 3, pp. 606-615, 2011.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from planner.catalog import DemandHistory, Part
from planner.errors import CatalogError, PlannerError
from planner.units import DAYS_PER_YEAR

#: ADI cut-off between frequent and intermittent demand [periods] ([2]_).
ADI_CUTOFF = 1.32
#: :math:`CV^2` cut-off between regular and variable demand sizes ([2]_).
CV2_CUTOFF = 0.49
#: Default smoothing constant of every smoother.
DEFAULT_ALPHA = 0.1
#: Default length of one history period [days] (a week).
DEFAULT_PERIOD_DAYS = 7


class DemandSource(StrEnum):
    """Where a part's demand rate came from."""

    CATALOG = "catalog"
    HISTORY = "history"
    INSTALLED_BASE = "installed_base"


class DemandMethod(StrEnum):
    """The estimator that gave a part's demand rate."""

    POISSON = "poisson"
    SES = "ses"
    CROSTON = "croston"
    SBA = "sba"
    TSB = "tsb"
    INSTALLED_BASE = "installed_base"


class DemandClass(StrEnum):
    """Syntetos-Boylan demand pattern of a history series."""

    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


#: Estimator used for each demand class when no method is forced.
CLASS_METHOD: dict[DemandClass, DemandMethod] = {
    DemandClass.SMOOTH: DemandMethod.POISSON,
    DemandClass.ERRATIC: DemandMethod.SES,
    DemandClass.INTERMITTENT: DemandMethod.SBA,
    DemandClass.LUMPY: DemandMethod.TSB,
}

_HISTORY_METHODS = (
    DemandMethod.POISSON,
    DemandMethod.SES,
    DemandMethod.CROSTON,
    DemandMethod.SBA,
    DemandMethod.TSB,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandEstimate:
    """Demand rate per part and where it came from (arrays aligned with the parts).

    ``demand_per_year`` [units/year]; ``variance_to_mean`` is the index of
    dispersion of the per-period demand (1 for Poisson, and 1 wherever the rate
    does not come from a history); ``source`` holds :class:`DemandSource` values,
    ``method`` :class:`DemandMethod` values and ``demand_class``
    :class:`DemandClass` values ("" where the rate is not from a history).
    ``average_demand_interval`` [periods] and ``cv_squared`` are the
    classification statistics (nan where not from a history); ``part_id`` the
    parts' ids.
    """

    demand_per_year: np.ndarray
    variance_to_mean: np.ndarray
    source: np.ndarray
    method: np.ndarray
    demand_class: np.ndarray
    part_id: np.ndarray | None = None
    average_demand_interval: np.ndarray | None = None
    cv_squared: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.demand_per_year.shape[0])


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodDemand:
    """A demand history summed into periods, one row per part with demand.

    ``demand[i, t]`` is the quantity of part ``part_index[i]`` (a position in the
    part list) in period ``t``; column 0 is the earliest period. Only parts with
    at least one positive quantity in the window have a row.
    """

    part_index: np.ndarray
    demand: np.ndarray
    first_date: np.datetime64
    as_of: np.datetime64
    window_days: int
    period_days: int

    @property
    def n_periods(self) -> int:
        """Number of periods in the window."""
        return int(self.demand.shape[1])


def _check_fraction(name: str, value: float) -> None:
    """Raise unless ``0 < value <= 1``."""
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise PlannerError(f"{name} must be in (0, 1], got {value!r}")


def _check_period_days(period_days: int) -> int:
    """Raise unless ``period_days`` is a whole number >= 1; return it as int."""
    whole = (
        isinstance(period_days, numbers.Real)
        and not isinstance(period_days, bool)
        and float(period_days).is_integer()
    )
    if not (whole and period_days >= 1):
        raise PlannerError(
            f"period_days must be a whole number >= 1, got {period_days!r}"
        )
    return int(period_days)


def _sorted_unique_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort order and sorted ids of ``ids``; raise if an id repeats."""
    if ids.ndim != 1:
        raise CatalogError(f"part_ids must be 1-D, got shape {ids.shape}")
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    repeated = sorted_ids[1:] == sorted_ids[:-1]
    if np.any(repeated):
        raise CatalogError(
            f"part_id must be unique, got {str(sorted_ids[1:][repeated][0])!r} twice"
        )
    return order, sorted_ids


def _as_matrix(demand: np.ndarray) -> np.ndarray:
    """Validate a (series, periods) demand matrix and return it as float."""
    y = np.asarray(demand, dtype=float)
    if y.ndim != 2:
        raise PlannerError(
            f"demand must be a 2-D array (series, periods), got shape {y.shape}"
        )
    if y.size and (np.any(~np.isfinite(y)) or np.any(y < 0)):
        bad = np.argwhere(~np.isfinite(y) | (y < 0))[0]
        raise PlannerError(
            f"demand must be finite and >= 0, got {float(y[tuple(bad)])!r} "
            f"at series {bad[0]}, period {bad[1]}"
        )
    return y


def _as_date(value: object) -> np.datetime64:
    """``value`` as a day, or PlannerError."""
    try:
        return np.datetime64(value, "D")
    except (ValueError, TypeError) as exc:
        raise PlannerError(f"as_of must be a date, got {value!r}") from exc


def bucket_history(
    history: DemandHistory,
    part_ids: Sequence[str] | np.ndarray,
    *,
    as_of: np.datetime64 | str | None = None,
    period_days: int = DEFAULT_PERIOD_DAYS,
) -> PeriodDemand:
    """Sum each part's demand events into periods ending at ``as_of``.

    Parameters
    ----------
    history
        Demand events (part id, date, quantity). Ids not in ``part_ids`` are
        ignored, and so are events after ``as_of``.
    part_ids
        Ids of the parts, unique.
    as_of
        Last day of the window; default the last date in the history. [date]
    period_days
        Length of one period. [days]

    Returns
    -------
    PeriodDemand
        One row per part with a positive quantity in the window. The window runs
        from the earliest date of the whole history to ``as_of``, both included.

    Raises
    ------
    CatalogError
        If the history arrays differ in length, a date is missing, or a quantity
        is negative or not finite; or if ``part_ids`` repeats an id.
    PlannerError
        If ``period_days`` is not a whole number >= 1, or ``as_of`` is missing or
        before the first history date.

    Examples
    --------
    >>> import numpy as np
    >>> h = DemandHistory(part_id=np.array(["A", "A", "B"]),
    ...     date=np.array(["2024-01-01", "2024-01-09", "2024-01-14"], "datetime64[D]"),
    ...     quantity=np.array([2.0, 1.0, 3.0]))
    >>> b = bucket_history(h, ["A", "B", "C"])
    >>> b.part_index.tolist(), b.demand.tolist(), b.window_days
    ([0, 1], [[2.0, 1.0], [0.0, 3.0]], 14)
    """
    period_days = _check_period_days(period_days)
    ids = np.asarray(part_ids, dtype=str)
    order, sorted_ids = _sorted_unique_ids(ids)

    hist_ids = np.asarray(history.part_id, dtype=str)
    quantity = np.asarray(history.quantity, dtype=float)
    date = np.asarray(history.date).astype("datetime64[D]")
    n_events = hist_ids.shape[0]
    for name, arr in (("date", date), ("quantity", quantity)):
        if hist_ids.ndim != 1 or arr.shape != (n_events,):
            raise CatalogError(
                f"demand history: part_id and {name} must be 1-D arrays of one "
                f"length, got shapes {hist_ids.shape} and {arr.shape}"
            )
    bad_quantity = ~np.isfinite(quantity) | (quantity < 0)
    if np.any(bad_quantity):
        i = int(np.flatnonzero(bad_quantity)[0])
        raise CatalogError(
            f"demand history entry {i} (part {hist_ids[i]}): quantity must be a "
            f"finite number >= 0, got {float(quantity[i])!r}"
        )
    missing_date = np.isnat(date)
    if np.any(missing_date):
        i = int(np.flatnonzero(missing_date)[0])
        raise CatalogError(
            f"demand history entry {i} (part {hist_ids[i]}): date is missing"
        )

    empty = PeriodDemand(
        part_index=np.zeros(0, dtype=np.int64),
        demand=np.zeros((0, 1)),
        first_date=np.datetime64("NaT", "D"),
        as_of=np.datetime64("NaT", "D"),
        window_days=0,
        period_days=period_days,
    )
    if n_events == 0:
        return empty
    first_date = date.min()
    end = date.max() if as_of is None else _as_date(as_of)
    if np.isnat(end):
        raise PlannerError("as_of must be a date, got NaT")
    if end < first_date:
        raise PlannerError(
            f"as_of must be on or after the first history date {first_date}, got {end}"
        )
    window_days = int((end - first_date).astype(np.int64)) + 1
    n_periods = -(-window_days // period_days)

    pos = np.searchsorted(sorted_ids, hist_ids)
    pos_clipped = np.minimum(pos, max(ids.shape[0] - 1, 0))
    known = (
        (pos < ids.shape[0]) & (sorted_ids[pos_clipped] == hist_ids)
        if ids.shape[0]
        else np.zeros(n_events, dtype=bool)
    )
    use = known & (date <= end) & (quantity > 0)
    if not np.any(use):
        return PeriodDemand(
            part_index=empty.part_index,
            demand=np.zeros((0, n_periods)),
            first_date=first_date,
            as_of=end,
            window_days=window_days,
            period_days=period_days,
        )
    part_of_event = order[pos_clipped[use]]
    days_back = (end - date[use]).astype(np.int64)
    period = n_periods - 1 - days_back // period_days
    part_index, row = np.unique(part_of_event, return_inverse=True)
    flat = np.bincount(
        row * n_periods + period,
        weights=quantity[use],
        minlength=part_index.shape[0] * n_periods,
    )
    return PeriodDemand(
        part_index=part_index.astype(np.int64),
        demand=flat.reshape(part_index.shape[0], n_periods),
        first_date=first_date,
        as_of=end,
        window_days=window_days,
        period_days=period_days,
    )


def classify_demand(demand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Syntetos-Boylan-Croston classification of each series.

    Parameters
    ----------
    demand
        Demand per period, shape (series, periods). [units]

    Returns
    -------
    average_demand_interval
        ADI = periods / periods with demand; inf for a series without demand.
        [periods]
    cv_squared
        :math:`CV^2 = \mathrm{Var}(z) / \bar z^2` of the non-zero sizes
        :math:`z` (population variance; 0 with a single demand, nan with none).
    demand_class
        :class:`DemandClass` values: smooth (ADI < 1.32, :math:`CV^2` < 0.49),
        erratic (ADI < 1.32, :math:`CV^2` >= 0.49), intermittent (ADI >= 1.32,
        :math:`CV^2` < 0.49), lumpy (both at or above); "" with no demand.

    Raises
    ------
    PlannerError
        If ``demand`` is not 2-D or holds negative or non-finite values.

    References
    ----------
    A. A. Syntetos, J. E. Boylan and J. D. Croston, "On the categorization of
    demand patterns," *J. Oper. Res. Soc.*, vol. 56, no. 5, pp. 495-503, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> adi, cv2, cls = classify_demand(np.array([[1, 1, 1, 1], [0, 4, 0, 4]]))
    >>> adi.tolist(), cv2.tolist(), cls.tolist()
    ([1.0, 2.0], [0.0, 0.0], ['smooth', 'intermittent'])
    """
    y = _as_matrix(demand)
    nonzero = y > 0
    n_nonzero = nonzero.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(n_nonzero > 0, y.shape[1] / n_nonzero, np.inf)
        size_mean = y.sum(axis=1) / n_nonzero
        size_var = (
            np.where(nonzero, (y - size_mean[:, None]) ** 2, 0.0).sum(axis=1)
            / n_nonzero
        )
        cv2 = size_var / size_mean**2
    cv2 = np.where(n_nonzero > 0, cv2, np.nan)
    frequent = adi < ADI_CUTOFF
    regular = cv2 < CV2_CUTOFF
    demand_class = np.select(
        [
            frequent & regular,
            frequent & ~regular,
            ~frequent & regular,
            ~frequent & ~regular,
        ],
        [
            DemandClass.SMOOTH.value,
            DemandClass.ERRATIC.value,
            DemandClass.INTERMITTENT.value,
            DemandClass.LUMPY.value,
        ],
        default="",
    )
    demand_class = np.where(n_nonzero > 0, demand_class, "")
    return adi, cv2, demand_class


def ses_level(demand: np.ndarray, *, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    r"""Simple exponential smoothing level of each series after its last period.

    :math:`\ell_0 = y_0`, :math:`\ell_t = \ell_{t-1} + \alpha (y_t - \ell_{t-1})`.

    Parameters
    ----------
    demand
        Demand per period, shape (series, periods). [units]
    alpha
        Smoothing constant in (0, 1].

    Returns
    -------
    numpy.ndarray
        Level per series, the forecast of demand per period. [units/period]

    Raises
    ------
    PlannerError
        If ``alpha`` is outside (0, 1], or ``demand`` is not 2-D or holds
        negative or non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> ses_level(np.array([[0.0, 10.0]]), alpha=0.5).tolist()
    [5.0]
    """
    _check_fraction("alpha", alpha)
    y = _as_matrix(demand)
    if y.shape[1] == 0:
        return np.zeros(y.shape[0])
    level = y[:, 0].copy()
    for t in range(1, y.shape[1]):
        level += alpha * (y[:, t] - level)
    return level


def croston_rate(
    demand: np.ndarray,
    *,
    alpha: float = DEFAULT_ALPHA,
    method: DemandMethod | str = DemandMethod.CROSTON,
) -> np.ndarray:
    r"""Croston's or the Syntetos-Boylan (SBA) demand rate of each series.

    Sizes :math:`z` and inter-demand intervals :math:`p` are smoothed only in
    periods with demand: :math:`z \leftarrow z + \alpha (y_t - z)`,
    :math:`p \leftarrow p + \alpha (q - p)` with :math:`q` the periods since the
    last demand. Both start at the first demand: :math:`z = y_{t_1}`,
    :math:`p = t_1 + 1` (periods from the start of the window). The rate is
    :math:`z / p` (Croston [1]_) or :math:`(1 - \alpha/2)\, z / p` (SBA [2]_,
    which removes Croston's positive bias); 0 for a series without demand.

    Parameters
    ----------
    demand
        Demand per period, shape (series, periods). [units]
    alpha
        Smoothing constant of sizes and intervals, in (0, 1].
    method
        ``"croston"`` or ``"sba"``.

    Returns
    -------
    numpy.ndarray
        Demand rate per series. [units/period]

    Raises
    ------
    PlannerError
        If ``method`` is neither, ``alpha`` is outside (0, 1], or ``demand`` is
        not 2-D or holds negative or non-finite values.

    References
    ----------
    .. [1] J. D. Croston, "Forecasting and stock control for intermittent
       demands," *Oper. Res. Q.*, vol. 23, no. 3, pp. 289-303, 1972.
    .. [2] A. A. Syntetos and J. E. Boylan, "The accuracy of intermittent demand
       estimates," *Int. J. Forecast.*, vol. 21, no. 2, pp. 303-314, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(croston_rate(np.array([[0, 3, 0, 0, 2]]))[0]), 6)
    1.380952
    """
    _check_fraction("alpha", alpha)
    if method not in (DemandMethod.CROSTON, DemandMethod.SBA):
        raise PlannerError(f"method must be 'croston' or 'sba', got {method!r}")
    y = _as_matrix(demand)
    n = y.shape[0]
    size = np.zeros(n)
    interval = np.zeros(n)
    since_last = np.zeros(n)
    seen = np.zeros(n, dtype=bool)
    for t in range(y.shape[1]):
        since_last += 1.0
        y_t = y[:, t]
        hit = y_t > 0
        first = hit & ~seen
        later = hit & seen
        size = np.where(first, y_t, np.where(later, size + alpha * (y_t - size), size))
        interval = np.where(
            first,
            since_last,
            np.where(later, interval + alpha * (since_last - interval), interval),
        )
        since_last = np.where(hit, 0.0, since_last)
        seen |= hit
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(seen, size / interval, 0.0)
    if method == DemandMethod.SBA:
        rate *= 1.0 - alpha / 2.0
    return rate


def tsb_rate(
    demand: np.ndarray, *, alpha: float = DEFAULT_ALPHA, beta: float = DEFAULT_ALPHA
) -> np.ndarray:
    r"""Teunter-Syntetos-Babai (TSB) demand rate of each series.

    The demand probability :math:`d` is smoothed every period,
    :math:`d \leftarrow d + \beta (\mathbb{1}[y_t > 0] - d)`, starting from
    :math:`d = \mathbb{1}[y_0 > 0]`; the size :math:`z` only in periods with
    demand, :math:`z \leftarrow z + \alpha (y_t - z)`, starting at the first
    demand. The rate is :math:`d\,z`, which decays towards 0 while no demand
    comes (obsolescence), unlike Croston's; 0 for a series without demand.

    Parameters
    ----------
    demand
        Demand per period, shape (series, periods). [units]
    alpha
        Smoothing constant of the sizes, in (0, 1].
    beta
        Smoothing constant of the demand probability, in (0, 1].

    Returns
    -------
    numpy.ndarray
        Demand rate per series. [units/period]

    Raises
    ------
    PlannerError
        If ``alpha`` or ``beta`` is outside (0, 1], or ``demand`` is not 2-D or
        holds negative or non-finite values.

    References
    ----------
    R. H. Teunter, A. A. Syntetos and M. Z. Babai, "Intermittent demand: Linking
    forecasting to inventory obsolescence," *Eur. J. Oper. Res.*, vol. 214,
    no. 3, pp. 606-615, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(tsb_rate(np.array([[4, 0, 4, 0]]), alpha=0.5, beta=0.5)[0]), 6)
    1.5
    """
    _check_fraction("alpha", alpha)
    _check_fraction("beta", beta)
    y = _as_matrix(demand)
    n = y.shape[0]
    if y.shape[1] == 0:
        return np.zeros(n)
    prob = (y[:, 0] > 0).astype(float)
    size = np.zeros(n)
    seen = np.zeros(n, dtype=bool)
    for t in range(y.shape[1]):
        y_t = y[:, t]
        hit = y_t > 0
        if t > 0:
            prob += beta * (hit - prob)
        first = hit & ~seen
        later = hit & seen
        size = np.where(first, y_t, np.where(later, size + alpha * (y_t - size), size))
        seen |= hit
    return np.where(seen, prob * size, 0.0)


def _installed_base(parts: Sequence[Part]) -> tuple[np.ndarray, np.ndarray]:
    """Installed-base rate [units/year] per part and whether it applies."""
    quantity = np.array(
        [
            np.nan if p.installed_quantity is None else p.installed_quantity
            for p in parts
        ],
        dtype=float,
    )
    mtbf = np.array(
        [np.nan if p.mtbf_hours is None else p.mtbf_hours for p in parts], dtype=float
    )
    hours = np.array([p.operating_hours_per_year for p in parts], dtype=float)
    given_quantity = np.array([p.installed_quantity is not None for p in parts], bool)
    given_mtbf = np.array([p.mtbf_hours is not None for p in parts], dtype=bool)
    checks = (
        ("installed_quantity", quantity, given_quantity & ~(quantity >= 0), ">= 0"),
        ("mtbf_hours", mtbf, given_mtbf & ~(mtbf > 0), "> 0"),
        ("operating_hours_per_year", hours, ~(hours >= 0), ">= 0"),
    )
    for name, values, bad, allowed in checks:
        bad = bad | (~np.isnan(values) & ~np.isfinite(values))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise CatalogError(
                f"part {parts[i].part_id}: {name} must be a finite number "
                f"{allowed}, got {float(values[i])!r}"
            )
    applies = given_quantity & given_mtbf
    with np.errstate(invalid="ignore"):
        rate = np.where(applies, quantity * hours / mtbf, 0.0)
    return rate, applies


def _fit_history(
    buckets: PeriodDemand,
    *,
    alpha: float,
    beta: float,
    history_method: DemandMethod | str | None,
) -> dict[str, np.ndarray]:
    """Classify each bucketed series and estimate its yearly rate (rows of buckets)."""
    y = buckets.demand
    adi, cv2, classes = classify_demand(y)
    if history_method is None:
        chosen = np.select(
            [classes == c.value for c in CLASS_METHOD],
            [m.value for m in CLASS_METHOD.values()],
            default=DemandMethod.POISSON.value,
        )
    else:
        chosen = np.full(y.shape[0], DemandMethod(history_method).value)
    rate = y.sum(axis=1) * DAYS_PER_YEAR / buckets.window_days
    kernels = {
        DemandMethod.SES: lambda m: ses_level(m, alpha=alpha),
        DemandMethod.CROSTON: lambda m: croston_rate(
            m, alpha=alpha, method=DemandMethod.CROSTON
        ),
        DemandMethod.SBA: lambda m: croston_rate(
            m, alpha=alpha, method=DemandMethod.SBA
        ),
        DemandMethod.TSB: lambda m: tsb_rate(m, alpha=alpha, beta=beta),
    }
    periods_per_year = DAYS_PER_YEAR / buckets.period_days
    for kind, kernel in kernels.items():
        mask = chosen == kind.value
        if np.any(mask):
            rate[mask] = kernel(y[mask]) * periods_per_year
    variance_to_mean = np.ones(y.shape[0])
    if y.shape[1] > 1:
        variance_to_mean = y.var(axis=1, ddof=1) / y.mean(axis=1)
    return {
        "demand_per_year": rate,
        "variance_to_mean": variance_to_mean,
        "method": chosen,
        "demand_class": classes,
        "average_demand_interval": adi,
        "cv_squared": cv2,
    }


def estimate_demand(
    parts: Sequence[Part],
    history: DemandHistory | None = None,
    *,
    as_of: np.datetime64 | str | None = None,
    alpha: float = DEFAULT_ALPHA,
    beta: float = DEFAULT_ALPHA,
    period_days: int = DEFAULT_PERIOD_DAYS,
    history_method: DemandMethod | str | None = None,
) -> DemandEstimate:
    r"""Demand rate of every part: history, else installed base, else catalog.

    Parameters
    ----------
    parts
        The catalog's parts (unique ids).
    history
        Demand events; ``None`` for none. A part is *in the history* when it has
        at least one event with a positive quantity on or before ``as_of``.
    as_of
        Last day of the history window; default the last history date. [date]
    alpha
        Smoothing constant of SES, Croston/SBA and the TSB sizes, in (0, 1].
    beta
        Smoothing constant of the TSB demand probability, in (0, 1].
    period_days
        Length of one history period (7: weeks). [days]
    history_method
        Force one estimator for every history series (``"poisson"``, ``"ses"``,
        ``"croston"``, ``"sba"`` or ``"tsb"``); ``None`` picks it by demand class
        (:data:`CLASS_METHOD`).

    Returns
    -------
    DemandEstimate
        Arrays aligned with ``parts``. For history parts the rate per period is
        scaled by ``365 / period_days``; the ``"poisson"`` rate is the total
        quantity over the window's days times 365. ``variance_to_mean`` is the
        sample variance (ddof 1) over the mean of the per-period demand, the
        Poisson index of dispersion (1 where the rate is not from a history or
        the window has a single period).

    Raises
    ------
    CatalogError
        If a part id repeats, a part's ``installed_quantity``, ``mtbf_hours`` or
        ``operating_hours_per_year`` is out of range, or the history is malformed
        (see :func:`bucket_history`).
    PlannerError
        If ``alpha``, ``beta``, ``period_days``, ``as_of`` or ``history_method``
        is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> a = Part(part_id="A", unit_cost=1.0, annual_demand=5.0, lead_time_days=10.0)
    >>> b = Part(part_id="B", unit_cost=1.0, annual_demand=5.0, lead_time_days=10.0,
    ...          installed_quantity=4, mtbf_hours=8760.0, operating_hours_per_year=4380.0)
    >>> h = DemandHistory(part_id=np.array(["A"] * 52),
    ...     date=np.datetime64("2024-01-01") + 7 * np.arange(52),
    ...     quantity=np.ones(52))
    >>> est = estimate_demand([a, b], h, as_of="2024-12-29")  # 52 full weeks
    >>> est.demand_per_year.round(2).tolist(), est.source.tolist()
    ([52.14, 2.0], ['history', 'installed_base'])
    >>> est.method.tolist(), est.demand_class.tolist()
    (['poisson', 'installed_base'], ['smooth', ''])
    """
    _check_fraction("alpha", alpha)
    _check_fraction("beta", beta)
    if history_method is not None and history_method not in _HISTORY_METHODS:
        raise PlannerError(
            "history_method must be one of "
            f"{[m.value for m in _HISTORY_METHODS]} or None, got {history_method!r}"
        )
    n = len(parts)
    part_ids = np.array([p.part_id for p in parts], dtype=str).reshape(n)
    catalog_rate = np.array(
        [0.0 if p.annual_demand is None else p.annual_demand for p in parts], float
    )
    installed_rate, installed = _installed_base(parts)

    demand_per_year = np.where(installed, installed_rate, catalog_rate)
    source = np.where(
        installed, DemandSource.INSTALLED_BASE.value, DemandSource.CATALOG.value
    ).astype("<U14")
    method = np.where(
        installed, DemandMethod.INSTALLED_BASE.value, DemandMethod.POISSON.value
    ).astype("<U14")
    demand_class = np.full(n, "", dtype="<U12")
    variance_to_mean = np.ones(n)
    adi_out = np.full(n, np.nan)
    cv2_out = np.full(n, np.nan)

    period_days = _check_period_days(period_days)
    _sorted_unique_ids(part_ids)
    if history is not None:
        buckets = bucket_history(
            history, part_ids, as_of=as_of, period_days=period_days
        )
        rows = buckets.part_index
        if rows.shape[0]:
            fit = _fit_history(
                buckets, alpha=alpha, beta=beta, history_method=history_method
            )
            demand_per_year[rows] = fit["demand_per_year"]
            variance_to_mean[rows] = fit["variance_to_mean"]
            source[rows] = DemandSource.HISTORY.value
            method[rows] = fit["method"]
            demand_class[rows] = fit["demand_class"]
            adi_out[rows] = fit["average_demand_interval"]
            cv2_out[rows] = fit["cv_squared"]
    return DemandEstimate(
        demand_per_year=demand_per_year,
        variance_to_mean=variance_to_mean,
        source=source,
        method=method,
        demand_class=demand_class,
        part_id=part_ids,
        average_demand_interval=adi_out,
        cv_squared=cv2_out,
    )
