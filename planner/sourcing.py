r"""Print-vs-stock decision: the options of every part and the MILP that picks one.

Each part can be sourced four ways (:class:`Mode`):

- ``buy_stock``: OEM units held at a base-stock level sized against the supplier's
  outages ("just in case");
- ``print_stock``: printed units held in stock and replenished by printing;
- ``print_on_demand``: nothing held, a unit is printed when one is needed;
- ``hybrid``: OEM stock at the normal base-stock level (no outage protection),
  demand that arrives while the supplier is out is printed.

:func:`build_options` prices every option of every part on every printer that can
make it (vectorised over parts and printers); :func:`solve_sourcing` picks one
option per part with a PuLP MILP that minimises the expected annual cost within the
printers' yearly hours and an optional investment budget.

Definitions (per part, :math:`\lambda` demand per year, :math:`c` OEM unit cost,
:math:`h` holding rate, :math:`b` downtime cost per unit backordered per day):

- printed unit cost :math:`c_p` = print estimate's total cost + post-processing
  hours :math:`\times` labour rate; printed units are consumed at
  :math:`\lambda_p = \lambda / r` with :math:`r` the AM lifetime ratio;
- print lead time :math:`L_p` [days] = (queue wait + print time + post-processing)
  / the printer's daily hours, with the M/M/1 wait
  :math:`\rho/(1-\rho) \times` print time at the utilisation cap :math:`\rho`;
- yearly cost of a stocked option = purchases + ordering + holding
  (:math:`E[OH]\,c\,h`) + downtime (:math:`365\,b\,EBO`); printing options add the
  qualification cost spread over ``qualification_amortisation_years``.

Under several scenarios, each option's base-stock level is the largest any
scenario asks for, and its cost is the probability-weighted expectation of each
scenario's cost at that level.

References
----------
.. [1] C. C. Sherbrooke, *Optimal Inventory Modeling of Systems*, 2nd ed.
   Boston, MA, USA: Kluwer, 2004, ch. 2.
.. [2] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*. New York, NY, USA:
   Wiley, 1975, sec. 3.2 (M/M/1 waiting time).
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pulp

from planner.errors import InfeasibleError, PlannerError, PlannerWarning
from planner.policy import (
    N_AGE_NODES,
    OutageProcess,
    base_stock_policy,
    fill_rate,
    mixture_ebo,
    mixture_means,
)
from planner.scenarios import part_disruption
from planner.units import DAYS_PER_YEAR, SECONDS_PER_HOUR

if TYPE_CHECKING:
    from planner.catalog import Part
    from planner.demand import DemandEstimate
    from planner.printers import Printer
    from planner.scenarios import PartDisruption, Scenario
    from planner.slicing import PrintEstimate


class Mode(StrEnum):
    """How a part is sourced."""

    BUY_STOCK = "buy_stock"
    PRINT_STOCK = "print_stock"
    PRINT_ON_DEMAND = "print_on_demand"
    HYBRID = "hybrid"


#: Modes in the column order of :class:`SourcingOptions` arrays.
MODES: tuple[Mode, ...] = tuple(Mode)
#: Modes that need a printer.
PRINT_MODES: tuple[Mode, ...] = (Mode.PRINT_STOCK, Mode.PRINT_ON_DEMAND, Mode.HYBRID)

#: Objective penalty per printing option [currency/year]: breaks exact ties in
#: favour of buying, far below any cost difference that matters.
TIE_BREAK_COST = 1e-6


class Solver(StrEnum):
    """MILP solver behind PuLP."""

    HIGHS = "highs"
    CBC = "cbc"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcingParams:
    """Settings of the print-vs-stock decision.

    Parameters
    ----------
    budget
        Most stock value the plan may tie up, ``None`` for no limit. [currency]
    max_utilisation_frac
        Share of each printer's yearly hours the plan may use, :math:`\\rho`; also
        the utilisation at which the print queue wait is taken. [0-1]
    labour_rate_per_h
        Cost of one hour of post-processing labour. [currency/h]
    qualification_amortisation_years
        Years over which a printed design's qualification cost is spread. [years]
    time_limit_s
        Solver time limit. [s]
    gap_rel
        Relative MIP gap at which the solver may stop. [fraction]
    solver
        ``"highs"`` (default; falls back to CBC when highspy is missing) or ``"cbc"``.
    currency_symbol
        Prefix of money amounts in the reason texts.
    min_print_lead_time_days
        Shortest turnaround of a printed part from order to shelf: the lab
        plans its queue by the day, and the what-if simulation steps days, so
        a print ordered today is on the shelf tomorrow at the earliest. [days]
    """

    budget: float | None = None
    max_utilisation_frac: float = 0.7
    labour_rate_per_h: float = 40.0
    qualification_amortisation_years: float = 3.0
    time_limit_s: float = 30.0
    gap_rel: float = 1e-4
    solver: Solver = Solver.HIGHS
    currency_symbol: str = "€"
    min_print_lead_time_days: float = 1.0

    def __post_init__(self) -> None:
        if self.budget is not None and not (
            math.isfinite(self.budget) and self.budget >= 0
        ):
            raise PlannerError(
                f"sourcing params: budget must be a finite number >= 0 or None, "
                f"got {self.budget!r}"
            )
        if not 0 < self.max_utilisation_frac < 1:
            raise PlannerError(
                f"sourcing params: max_utilisation_frac must be in (0, 1), "
                f"got {self.max_utilisation_frac!r}"
            )
        checks = (
            ("labour_rate_per_h", self.labour_rate_per_h, False),
            (
                "qualification_amortisation_years",
                self.qualification_amortisation_years,
                True,
            ),
            ("time_limit_s", self.time_limit_s, True),
            ("gap_rel", self.gap_rel, False),
        )
        for name, value, strict in checks:
            if not math.isfinite(value) or (value <= 0 if strict else value < 0):
                op = ">" if strict else ">="
                raise PlannerError(
                    f"sourcing params: {name} must be {op} 0, got {value!r}"
                )
        allowed = [s.value for s in Solver]
        if str(self.solver).lower() not in allowed:
            raise PlannerError(
                f"sourcing params: solver must be one of {allowed}, got {self.solver!r}"
            )
        object.__setattr__(self, "solver", Solver(str(self.solver).lower()))


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcingOptions:
    """Every sourcing option of every part, priced (arrays; ``nan`` = infeasible).

    Shapes: ``n`` parts, 4 modes in the order of :data:`MODES`, ``m`` printers in
    the order of ``printer_id``. The ``(n, 4)`` arrays give each printing mode on the
    part's best printer (the one that makes it at the lowest unit cost,
    ``best_printer``, ``-1`` where none); the ``(n, 4, m)`` arrays give the printing
    modes on every printer (the ``buy_stock`` column there is ``nan``).

    Units: cost in currency/year, printer hours in h/year, investment in currency,
    base-stock level in units, fill rate 0-1, print time in h, print unit cost in
    currency, print lead time in days.
    """

    part_id: np.ndarray
    printer_id: tuple[str, ...]
    cost: np.ndarray
    printer_hours: np.ndarray
    investment: np.ndarray
    base_stock_level: np.ndarray
    fill_rate: np.ndarray
    best_printer: np.ndarray
    cost_by_printer: np.ndarray
    printer_hours_by_printer: np.ndarray
    investment_by_printer: np.ndarray
    base_stock_level_by_printer: np.ndarray
    fill_rate_by_printer: np.ndarray
    print_time_h: np.ndarray
    print_unit_cost: np.ndarray
    print_lead_time_days: np.ndarray
    infeasible_reason: np.ndarray

    @property
    def n_parts(self) -> int:
        """Number of parts."""
        return int(self.part_id.shape[0])

    @property
    def feasible(self) -> np.ndarray:
        """Whether each (part, mode) has a feasible option, shape (n, 4)."""
        return np.isfinite(self.cost)

    @classmethod
    def from_arrays(
        cls,
        *,
        part_id: Sequence[str] | np.ndarray,
        printer_id: Sequence[str],
        buy_cost: np.ndarray,
        buy_investment: np.ndarray,
        cost_by_printer: np.ndarray,
        printer_hours_by_printer: np.ndarray,
        investment_by_printer: np.ndarray,
        print_unit_cost: np.ndarray,
        buy_base_stock_level: np.ndarray | None = None,
        buy_fill_rate: np.ndarray | None = None,
        base_stock_level_by_printer: np.ndarray | None = None,
        fill_rate_by_printer: np.ndarray | None = None,
        print_time_h: np.ndarray | None = None,
        print_lead_time_days: np.ndarray | None = None,
        infeasible_reason: np.ndarray | None = None,
    ) -> SourcingOptions:
        """Assemble options from the buy figures and the per-printer figures.

        ``*_by_printer`` arrays have shape (n, 4, m); their ``buy_stock`` column is
        ignored (set to ``nan``). Each part's best printer is the one with the
        lowest finite ``print_unit_cost`` among those where ``print_stock`` or
        ``hybrid`` is feasible. Levels and fill rates not given are 0; print time
        and lead time not given are ``nan``.

        Raises
        ------
        PlannerError
            If an array has the wrong shape.
        """
        ids = np.asarray(part_id, dtype=object).astype(str)
        printers = tuple(str(p) for p in printer_id)
        n, m = ids.shape[0], len(printers)

        def arr(value, shape, fill, dtype=float, name=""):
            if value is None:
                return np.full(shape, fill, dtype=dtype)
            out = np.array(value, dtype=dtype)
            if out.shape != shape:
                raise PlannerError(f"{name} must have shape {shape}, got {out.shape}")
            return out

        buy_cost = arr(buy_cost, (n,), np.nan, name="buy_cost")
        buy_inv = arr(buy_investment, (n,), np.nan, name="buy_investment")
        buy_level = arr(buy_base_stock_level, (n,), 0, np.int64, "buy_base_stock_level")
        buy_fill = arr(buy_fill_rate, (n,), 0.0, name="buy_fill_rate")
        shape3 = (n, len(MODES), m)
        cost3 = arr(cost_by_printer, shape3, np.nan, name="cost_by_printer")
        hours3 = arr(printer_hours_by_printer, shape3, np.nan, name="printer_hours")
        inv3 = arr(investment_by_printer, shape3, np.nan, name="investment_by_printer")
        level3 = arr(
            base_stock_level_by_printer, shape3, 0, np.int64, "base_stock_level"
        )
        fill3 = arr(fill_rate_by_printer, shape3, 0.0, name="fill_rate_by_printer")
        unit = arr(print_unit_cost, (n, m), np.nan, name="print_unit_cost")
        t_h = arr(print_time_h, (n, m), np.nan, name="print_time_h")
        lead = arr(print_lead_time_days, (n, m), np.nan, name="print_lead_time_days")
        for a in (cost3, hours3, inv3, fill3):
            a[:, 0, :] = np.nan
        level3[:, 0, :] = 0
        infeasible3 = ~np.isfinite(cost3)
        hours3[infeasible3] = np.nan
        inv3[infeasible3] = np.nan

        usable = np.isfinite(cost3[:, 1:, :]).any(axis=1) & np.isfinite(unit)
        ranked = np.where(usable, unit, np.inf)
        best = np.argmin(ranked, axis=1) if m else np.zeros(n, dtype=np.int64)
        has_best = usable.any(axis=1) if m else np.zeros(n, dtype=bool)
        best = np.where(has_best, best, -1).astype(np.int64)

        rows = np.arange(n)
        col = np.maximum(best, 0)

        def at_best(a3: np.ndarray, buy: np.ndarray, empty) -> np.ndarray:
            out = np.empty((n, len(MODES)), dtype=a3.dtype)
            out[:, 0] = buy
            if m:
                out[:, 1:] = a3[rows, 1:, col] if n else a3[:, 1:, 0]
            out[~has_best, 1:] = empty
            return out

        cost = at_best(cost3, buy_cost, np.nan)
        hours = at_best(hours3, np.zeros(n), np.nan)
        hours[~np.isfinite(buy_cost), 0] = np.nan
        investment = at_best(inv3, buy_inv, np.nan)
        level = at_best(level3, buy_level, 0)
        fill = at_best(fill3, buy_fill, 0.0)
        if infeasible_reason is None:
            reason = np.where(np.isfinite(cost), "", "infeasible").astype(object)
        else:
            reason = arr(infeasible_reason, (n, len(MODES)), "", object, "reason")
        return cls(
            part_id=ids,
            printer_id=printers,
            cost=cost,
            printer_hours=hours,
            investment=investment,
            base_stock_level=level,
            fill_rate=fill,
            best_printer=best,
            cost_by_printer=cost3,
            printer_hours_by_printer=hours3,
            investment_by_printer=inv3,
            base_stock_level_by_printer=level3,
            fill_rate_by_printer=fill3,
            print_time_h=t_h,
            print_unit_cost=unit,
            print_lead_time_days=lead,
            infeasible_reason=reason,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioImpact:
    """One scenario as the sourcing model sees it: what it does to each part.

    ``disruption`` has the fields of ``planner.scenarios.PartDisruption``
    (``lead_time_factor``, ``demand_factor``, ``outage``, ``ride_through_days``,
    arrays over parts); ``probability`` is the scenario's weight (normalised over
    the scenarios); ``horizon_days`` the length over which a ride-through window
    is averaged [days].
    """

    name: str
    probability: float
    horizon_days: float
    disruption: PartDisruption


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcingPlan:
    """The chosen option of every part and the plan's totals.

    Arrays are aligned with ``part_id``. ``mode`` holds :class:`Mode` values,
    ``printer_id`` ``""`` for ``buy_stock``. Money per year in currency/year,
    investment in currency, hours in h/year, print lead time in days (0 where
    nothing is printed). ``baseline_cost`` is the cost of buying and stocking
    every part; ``printer_usage`` lists each printer's ``capacity_hours`` (the
    yearly hours the optimiser allowed itself: available hours x utilisation cap)
    and ``used_hours``.
    """

    part_id: np.ndarray
    mode: np.ndarray
    printer_id: np.ndarray
    base_stock_level: np.ndarray
    cost: np.ndarray
    investment: np.ndarray
    printer_hours: np.ndarray
    fill_rate: np.ndarray
    print_lead_time_days: np.ndarray
    reason: np.ndarray
    objective: float
    baseline_cost: float
    total_investment: float
    budget: float | None
    printer_usage: list[dict[str, Any]]
    status: str
    solve_time_s: float
    build_time_s: float = 0.0

    @property
    def savings(self) -> float:
        """Yearly cost saved against buying and stocking everything [currency/year]."""
        return self.baseline_cost - self.objective


@dataclass(frozen=True, slots=True, kw_only=True)
class _PartColumns:
    """Catalog columns the option kernels need, as arrays over parts."""

    unit_cost: np.ndarray
    lead_time_days: np.ndarray
    holding_rate: np.ndarray
    order_cost: np.ndarray
    target_fill_rate: np.ndarray
    downtime_cost_per_day: np.ndarray
    criticality: np.ndarray
    printable: np.ndarray
    am_material: np.ndarray
    am_lifetime_ratio: np.ndarray
    am_qualification_cost: np.ndarray
    post_process_hours: np.ndarray

    @classmethod
    def from_parts(cls, parts: Sequence[Part]) -> _PartColumns:
        """One pass over the part records."""
        n = len(parts)

        def num(name: str) -> np.ndarray:
            return np.fromiter((getattr(p, name) for p in parts), float, count=n)

        def text(values) -> np.ndarray:
            return np.array(list(values), dtype=object).astype(str).reshape(n)

        return cls(
            unit_cost=num("unit_cost"),
            lead_time_days=num("lead_time_days"),
            holding_rate=num("holding_rate"),
            order_cost=num("order_cost"),
            target_fill_rate=np.fromiter(
                (p.fill_rate_target for p in parts), float, count=n
            ),
            downtime_cost_per_day=np.fromiter(
                (
                    np.nan
                    if p.downtime_cost_per_day is None
                    else p.downtime_cost_per_day
                    for p in parts
                ),
                float,
                count=n,
            ),
            criticality=text(str(p.criticality) for p in parts),
            printable=np.fromiter((bool(p.printable) for p in parts), bool, count=n),
            am_material=text(p.am_material.upper() for p in parts),
            am_lifetime_ratio=num("am_lifetime_ratio"),
            am_qualification_cost=num("am_qualification_cost"),
            post_process_hours=num("post_process_hours"),
        )


def build_options(
    parts: Sequence[Part],
    demand: DemandEstimate,
    estimates: Mapping[tuple[str, str], PrintEstimate],
    printers: Sequence[Printer],
    params: SourcingParams,
    scenarios: Sequence[Scenario] = (),
) -> SourcingOptions:
    """Price every sourcing option of every part on every printer.

    Parameters
    ----------
    parts
        The catalog's parts.
    demand
        Demand estimate aligned with ``parts`` (``demand_per_year`` [units/year]).
    estimates
        Print estimates keyed by ``(part_id, printer_id)``.
    printers
        The lab's printers.
    params
        Sourcing settings (utilisation cap, labour rate, amortisation).
    scenarios
        Scenarios to plan against, weighted by their ``probability``; none means
        one baseline scenario with no disruption.

    Returns
    -------
    SourcingOptions
        See :func:`options_under_scenarios`.

    Raises
    ------
    PlannerError
        If ``demand`` is not aligned with ``parts`` or the scenario probabilities
        are negative or all zero.
    """
    impacts: list[ScenarioImpact] = []
    if scenarios:
        impacts = [
            ScenarioImpact(
                name=s.name,
                probability=float(s.probability),
                horizon_days=float(s.horizon_days),
                disruption=part_disruption(parts, s),
            )
            for s in scenarios
        ]
    return options_under_scenarios(
        parts, demand, estimates, printers, params, impacts=impacts
    )


def _no_disruption(n: int) -> ScenarioImpact:
    """The baseline: nothing disrupted."""
    return ScenarioImpact(
        name="baseline",
        probability=1.0,
        horizon_days=DAYS_PER_YEAR,
        disruption=_Disruption(
            lead_time_factor=np.ones(n),
            demand_factor=np.ones(n),
            outage=OutageProcess.none(n),
            ride_through_days=np.zeros(n),
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Disruption:
    """No-disruption stand-in with the fields of ``PartDisruption``."""

    lead_time_factor: np.ndarray
    demand_factor: np.ndarray
    outage: OutageProcess
    ride_through_days: np.ndarray


def _poisson_ebo_fill(
    level: np.ndarray, mean: np.ndarray, vtm: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """EBO(S) and fill rate P(X <= S-1) of lead-time demand X, any shape.

    Poisson, or negative binomial where ``vtm`` (broadcast to ``mean``) marks
    over-dispersed demand (see ``planner.policy.demand_cdf``).
    """
    shape = np.shape(mean)
    means = np.asarray(mean, float).reshape(-1, 1)
    s = np.asarray(level, np.int64).reshape(-1)
    weights = np.ones_like(means)
    v = None if vtm is None else np.broadcast_to(vtm, shape).reshape(-1)
    ebo = mixture_ebo(s, means, weights, v).reshape(shape)
    fill = fill_rate(s, means, weights, v).reshape(shape)
    return ebo, fill


def _outage_mixture(
    demand_per_day: np.ndarray,
    lead_time_days: np.ndarray,
    outage: OutageProcess,
    window_days: np.ndarray,
    horizon_days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson-mixture means and weights of OEM outstanding orders, time-averaged.

    Random outages as in ``planner.policy``; a known outage window of length
    :math:`D` within a horizon :math:`H` adds, for a fraction :math:`D/H` of the
    time, an outage age uniform on :math:`[0, D]`.
    """
    means, weights = mixture_means(demand_per_day, lead_time_days, outage)
    window = np.asarray(window_days, float)
    frac = np.clip(window / max(horizon_days, 1e-9), 0.0, 1.0)
    x, w = np.polynomial.legendre.leggauss(N_AGE_NODES)
    ages = 0.5 * (x + 1.0)[None, :] * window[:, None]
    window_means = demand_per_day[:, None] * (lead_time_days[:, None] + ages)
    window_weights = 0.5 * w[None, :] * frac[:, None]
    return (
        np.concatenate([means, window_means], axis=1),
        np.concatenate([weights * (1.0 - frac)[:, None], window_weights], axis=1),
    )


def _pair_feasibility(
    cols: _PartColumns,
    part_ids: np.ndarray,
    estimates: Mapping[tuple[str, str], PrintEstimate],
    printers: Sequence[Printer],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which (part, printer) pairs can print, with print time and estimate cost.

    Returns ok (n, m), print_time_h (n, m), estimate total cost (n, m), and the
    per-part reason code and bounding box used to explain infeasibility.
    """
    n, m = part_ids.shape[0], len(printers)
    found = [
        [estimates.get((pid, pr.printer_id)) for pr in printers] for pid in part_ids
    ]
    has_est = np.array([[e is not None for e in row] for row in found], bool).reshape(
        n, m
    )
    t_h = np.full((n, m), np.nan)
    est_cost = np.full((n, m), np.nan)
    bbox = np.full((n, m, 3), np.nan)
    for i, j in zip(*np.nonzero(has_est), strict=True):
        e = found[i][j]
        t_h[i, j] = e.print_time_s / SECONDS_PER_HOUR
        est_cost[i, j] = e.total_cost
        bbox[i, j] = (e.bbox_x_mm, e.bbox_y_mm, e.bbox_z_mm)
    materials, inverse = np.unique(cols.am_material, return_inverse=True)
    runs_table = np.array(
        [[pr.runs(str(mat)) for pr in printers] for mat in materials], bool
    ).reshape(len(materials), m)
    runs = runs_table[inverse.reshape(n)] if n else np.zeros((0, m), bool)
    build = np.array(
        [(pr.build_x_mm, pr.build_y_mm, pr.build_z_mm) for pr in printers], float
    ).reshape(m, 3)
    bx, by, bz = build[None, :, 0], build[None, :, 1], build[None, :, 2]
    x, y, z = bbox[..., 0], bbox[..., 1], bbox[..., 2]
    fits = (z <= bz) & (((x <= bx) & (y <= by)) | ((y <= bx) & (x <= by)))
    hours_ok = np.array([pr.hours_available_per_week > 0 for pr in printers], bool)
    ok = cols.printable[:, None] & has_est & runs & fits & hours_ok[None, :]
    code = np.select(
        [
            ~cols.printable,
            ~has_est.any(axis=1),
            ~(has_est & runs).any(axis=1),
            ~(has_est & runs & fits).any(axis=1),
            ~ok.any(axis=1),
        ],
        [1, 2, 3, 4, 5],
        default=0,
    )
    first_bbox = np.where(has_est[..., None], bbox, np.inf).min(axis=1) if m else None
    return ok, t_h, est_cost, code, first_bbox


def _print_reason(code: np.ndarray, material: np.ndarray, bbox) -> np.ndarray:
    """Why a part cannot be printed, in words ("" where it can)."""
    out = np.full(code.shape[0], "", dtype=object)
    fixed = {
        1: "not printable",
        2: "no print estimate",
        5: "no printer has print hours available",
    }
    for value, text in fixed.items():
        out[code == value] = text
    for i in np.flatnonzero(code == 3):
        out[i] = f"no printer runs {material[i]}"
    for i in np.flatnonzero(code == 4):
        x, y, z = bbox[i]
        out[i] = (
            f"does not fit any printer that runs {material[i]} "
            f"({x:.0f} x {y:.0f} x {z:.0f} mm)"
        )
    return out


def options_under_scenarios(
    parts: Sequence[Part],
    demand: DemandEstimate,
    estimates: Mapping[tuple[str, str], PrintEstimate],
    printers: Sequence[Printer],
    params: SourcingParams,
    *,
    impacts: Sequence[ScenarioImpact] = (),
) -> SourcingOptions:
    r"""Price every option of every part under weighted scenario impacts.

    Parameters
    ----------
    parts, demand, estimates, printers, params
        As in :func:`build_options`.
    impacts
        What each scenario does to each part, with its probability; none means
        the baseline with no disruption.

    Returns
    -------
    SourcingOptions
        Per part, mode and printer: expected annual cost [currency/year], printer
        hours [h/year], investment (stock value) [currency], base-stock level
        [units] and fill rate. Printing modes are ``nan`` where the part is not
        printable, has no estimate on the printer, or the printer does not fit it
        or run its ``am_material``; ``print_on_demand`` also where the part has no
        ``downtime_cost_per_day`` or is vital (V).

    Raises
    ------
    PlannerError
        If ``demand`` is not aligned with ``parts`` or the probabilities are
        negative or sum to 0.

    Notes
    -----
    - buy_stock: :math:`S` from the base-stock policy at the OEM lead time
      (:math:`\times` the scenario's lead-time factor) under its outages and
      ride-through window; cost :math:`\lambda c + \lambda k + E[OH]\,c\,h +
      365\,b\,EBO`; investment :math:`S c`.
    - print_stock: :math:`S` from the policy at :math:`L_p` with demand
      :math:`\lambda/r` (supplier outages do not reach the printer); cost
      :math:`\lambda_p c_p + E[OH]\,c_p h + 365\,b\,EBO + q/Y`; hours
      :math:`\lambda_p t`; investment :math:`S c_p`.
    - print_on_demand: :math:`S = 0`, :math:`EBO = \lambda_p L_p/365` (Little);
      cost :math:`\lambda_p c_p + 365\,b\,EBO + q/Y`.
    - hybrid: OEM stock at the normal :math:`S` (no outage protection); the share
      :math:`p` of demand that arrives while the supplier is out (outage
      probability + window / horizon) is printed; cost
      :math:`\lambda (1-p)(c + k) + E[OH]\,c\,h + 365\,b\,EBO_{normal} +
      \lambda p c_p / r + q/Y`; hours :math:`\lambda p t / r`.
    """
    part_ids = np.array([p.part_id for p in parts], dtype=object).astype(str)
    n, m = len(parts), len(printers)
    lam = np.asarray(demand.demand_per_year, float)
    if lam.shape != (n,):
        raise PlannerError(
            f"demand.demand_per_year must have one entry per part ({n}), "
            f"got shape {lam.shape}"
        )
    vtm = np.nan_to_num(
        np.asarray(getattr(demand, "variance_to_mean", np.ones(n)), float), nan=1.0
    )
    impacts = list(impacts) if impacts else [_no_disruption(n)]
    probs = np.array([imp.probability for imp in impacts], float)
    if np.any(~np.isfinite(probs)) or np.any(probs < 0) or probs.sum() <= 0:
        raise PlannerError(
            f"scenario probabilities must be finite, >= 0 and not all 0, "
            f"got {dict(zip([i.name for i in impacts], probs.tolist(), strict=True))}"
        )
    probs = probs / probs.sum()

    cols = _PartColumns.from_parts(parts)
    ok, t_h, est_cost, code, bbox = _pair_feasibility(
        cols, part_ids, estimates, printers
    )
    rho = params.max_utilisation_frac
    daily_h = np.array([pr.hours_available_per_week / 7.0 for pr in printers], float)
    pph = cols.post_process_hours[:, None]
    c_p = np.where(ok, est_cost + pph * params.labour_rate_per_h, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        lead_p = np.where(
            ok,
            np.maximum(
                (t_h * rho / (1.0 - rho) + t_h + pph) / daily_h[None, :],
                params.min_print_lead_time_days,
            ),
            np.nan,
        )
    t_ok = np.where(ok, t_h, 0.0)
    c_ok = np.where(ok, c_p, 0.0)
    lead_ok = np.where(ok, lead_p, 0.0)
    b = cols.downtime_cost_per_day
    b0 = np.nan_to_num(b)
    qual = cols.am_qualification_cost / params.qualification_amortisation_years
    ratio = cols.am_lifetime_ratio
    c, hr = cols.unit_cost, cols.holding_rate

    def flat(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, (n, m)).reshape(-1)

    # Pass 1: the base-stock level of each option under each scenario; keep the max.
    s_buy = np.zeros(n, np.int64)
    s_normal = np.zeros(n, np.int64)
    s_print = np.zeros((n, m), np.int64)
    per_scenario = []
    for imp in impacts:
        d = imp.disruption
        lam_k = lam * np.asarray(d.demand_factor, float)
        lead_k = cols.lead_time_days * np.asarray(d.lead_time_factor, float)
        ride_k = np.asarray(d.ride_through_days, float)
        buy = base_stock_policy(
            demand_per_year=lam_k,
            lead_time_days=lead_k,
            unit_cost=c,
            holding_rate=hr,
            target_fill_rate=cols.target_fill_rate,
            downtime_cost_per_day=b,
            outage=d.outage,
            ride_through_days=ride_k,
            variance_to_mean=vtm,
        )
        s_buy = np.maximum(s_buy, buy.base_stock_level)
        s_normal = np.maximum(s_normal, buy.base_stock_level_normal)
        lam_p = np.where(ok, (lam_k / ratio)[:, None], 0.0)
        printed = base_stock_policy(
            demand_per_year=lam_p.reshape(-1),
            lead_time_days=lead_ok.reshape(-1),
            unit_cost=c_ok.reshape(-1),
            holding_rate=flat(hr[:, None]),
            target_fill_rate=flat(cols.target_fill_rate[:, None]),
            downtime_cost_per_day=flat(b[:, None]),
            variance_to_mean=flat(vtm[:, None]),
        )
        s_print = np.maximum(s_print, printed.base_stock_level.reshape(n, m))
        per_scenario.append((imp, lam_k, lead_k, ride_k, lam_p))

    # Pass 2: each scenario's cost at those levels, weighted by probability.
    shape3 = (n, len(MODES), m)
    cost3 = np.zeros(shape3)
    hours3 = np.zeros(shape3)
    fill3 = np.zeros(shape3)
    buy_cost = np.zeros(n)
    buy_fill = np.zeros(n)
    for p_k, (imp, lam_k, lead_k, ride_k, lam_p) in zip(
        probs, per_scenario, strict=True
    ):
        d = imp.disruption
        means, weights = _outage_mixture(
            lam_k / DAYS_PER_YEAR, lead_k, d.outage, ride_k, imp.horizon_days
        )
        ebo = mixture_ebo(s_buy, means, weights, vtm)
        on_hand = s_buy - np.sum(weights * means, axis=1) + ebo
        buy_cost += p_k * (
            lam_k * (c + cols.order_cost) + on_hand * c * hr + b0 * DAYS_PER_YEAR * ebo
        )
        buy_fill += p_k * np.where(
            lam_k > 0, fill_rate(s_buy, means, weights, vtm), 1.0
        )

        # print_stock and print_on_demand
        mu = lam_p * lead_ok / DAYS_PER_YEAR
        ebo_p, fill_p = _poisson_ebo_fill(s_print, mu, vtm[:, None])
        on_hand_p = s_print - mu + ebo_p
        purchase_p = lam_p * c_ok
        k_ps, k_pod, k_hy = (MODES.index(md) for md in PRINT_MODES)
        cost3[:, k_ps] += p_k * (
            purchase_p
            + on_hand_p * c_ok * hr[:, None]
            + b0[:, None] * DAYS_PER_YEAR * ebo_p
        )
        fill3[:, k_ps] += p_k * np.where(lam_p > 0, fill_p, 1.0)
        cost3[:, k_pod] += p_k * (purchase_p + b0[:, None] * DAYS_PER_YEAR * mu)
        hours3[:, k_ps] += p_k * lam_p * t_ok
        hours3[:, k_pod] += p_k * lam_p * t_ok

        # hybrid: OEM stock at the normal level, outage demand printed
        p_out = np.clip(
            d.outage.outage_prob() + ride_k / max(imp.horizon_days, 1e-9), 0.0, 1.0
        )
        mean_normal = lam_k * lead_k / DAYS_PER_YEAR
        ebo_h, fill_h = _poisson_ebo_fill(s_normal, mean_normal, vtm)
        on_hand_h = s_normal - mean_normal + ebo_h
        printed_units = lam_k * p_out / ratio
        oem = (
            lam_k * (1.0 - p_out) * (c + cols.order_cost)
            + on_hand_h * c * hr
            + b0 * DAYS_PER_YEAR * ebo_h
        )
        cost3[:, k_hy] += p_k * (oem[:, None] + printed_units[:, None] * c_ok)
        hours3[:, k_hy] += p_k * printed_units[:, None] * t_ok
        fill3[:, k_hy] += p_k * np.where(lam_k > 0, fill_h, 1.0)[:, None]

    cost3[:, 1:] += qual[:, None, None]
    inv3 = np.zeros(shape3)
    level3 = np.zeros(shape3, np.int64)
    k_ps, k_pod, k_hy = (MODES.index(md) for md in PRINT_MODES)
    inv3[:, k_ps] = s_print * c_ok
    level3[:, k_ps] = s_print
    inv3[:, k_hy] = (s_normal * c)[:, None]
    level3[:, k_hy] = s_normal[:, None]
    pod_allowed = ~np.isnan(b) & (cols.criticality != "V")
    feasible3 = np.repeat(ok[:, None, :], len(MODES), axis=1)
    feasible3[:, 0] = False
    feasible3[:, k_pod] &= pod_allowed[:, None]
    cost3 = np.where(feasible3, cost3, np.nan)

    print_why = _print_reason(code, cols.am_material, bbox)
    reason = np.full((n, len(MODES)), "", dtype=object)
    for k in (k_ps, k_pod, k_hy):
        reason[:, k] = print_why
    pod_why = np.where(
        np.isnan(b),
        "needs a downtime_cost_per_day",
        np.where(cols.criticality == "V", "not allowed for vital (V) parts", ""),
    )
    reason[:, k_pod] = np.where(print_why != "", print_why, pod_why)
    return SourcingOptions.from_arrays(
        part_id=part_ids,
        printer_id=[pr.printer_id for pr in printers],
        buy_cost=buy_cost,
        buy_investment=s_buy * c,
        buy_base_stock_level=s_buy,
        buy_fill_rate=buy_fill,
        cost_by_printer=cost3,
        printer_hours_by_printer=hours3,
        investment_by_printer=inv3,
        base_stock_level_by_printer=level3,
        fill_rate_by_printer=fill3,
        print_time_h=np.where(ok, t_h, np.nan),
        print_unit_cost=c_p,
        print_lead_time_days=lead_p,
        infeasible_reason=reason,
    )


# --------------------------------------------------------------------------- MILP


@dataclass(frozen=True, slots=True, kw_only=True)
class _FlatOptions:
    """The feasible (part, mode, printer) options as flat arrays, sorted by part."""

    part: np.ndarray
    mode: np.ndarray
    printer: np.ndarray  # -1 for buy_stock
    cost: np.ndarray
    hours: np.ndarray
    investment: np.ndarray

    def __len__(self) -> int:
        return int(self.part.shape[0])


def _flatten(options: SourcingOptions) -> _FlatOptions:
    """Feasible options of every part, buy first, then printing modes by printer."""
    n = options.n_parts
    buy = np.flatnonzero(np.isfinite(options.cost[:, 0]))
    i3, k3, j3 = np.nonzero(np.isfinite(options.cost_by_printer))
    part = np.concatenate([buy, i3])
    mode = np.concatenate([np.zeros(buy.shape[0], np.int64), k3])
    printer = np.concatenate([np.full(buy.shape[0], -1, np.int64), j3])
    cost = np.concatenate([options.cost[buy, 0], options.cost_by_printer[i3, k3, j3]])
    hours = np.concatenate(
        [np.zeros(buy.shape[0]), options.printer_hours_by_printer[i3, k3, j3]]
    )
    inv = np.concatenate(
        [options.investment[buy, 0], options.investment_by_printer[i3, k3, j3]]
    )
    order = np.lexsort((printer, mode, part))
    flat = _FlatOptions(
        part=part[order],
        mode=mode[order],
        printer=printer[order],
        cost=cost[order],
        hours=np.nan_to_num(hours[order]),
        investment=np.nan_to_num(inv[order]),
    )
    counts = np.bincount(flat.part, minlength=n)
    if np.any(counts == 0):
        bad = np.flatnonzero(counts == 0)
        names = ", ".join(str(options.part_id[i]) for i in bad[:5])
        raise InfeasibleError(
            f"{bad.shape[0]} part(s) have no feasible sourcing option (first: {names})",
            status="Infeasible",
        )
    return flat


def _safe_names(ids: Sequence[str]) -> list[str]:
    """LP-safe, unique names built from ids (other characters become ``_``)."""
    safe = [re.sub(r"[^A-Za-z0-9_]", "_", str(s)) or "_" for s in ids]
    seen: dict[str, int] = {}
    for s in safe:
        seen[s] = seen.get(s, 0) + 1
    return [s if seen[s] == 1 else f"{s}_{i}" for i, s in enumerate(safe)]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcingModel:
    """A built sourcing MILP: the PuLP problem and the option behind each variable."""

    problem: pulp.LpProblem
    variables: list[pulp.LpVariable]
    options: _FlatOptions
    capacity_hours: np.ndarray
    slack: dict[str, pulp.LpVariable] = field(default_factory=dict)


def _make_model(
    flat: _FlatOptions,
    options: SourcingOptions,
    capacity_hours: np.ndarray,
    budget: float | None,
    *,
    objective: str = "cost",
    elastic_capacity: bool = False,
) -> SourcingModel:
    """Build the MILP (or a diagnostic variant) from the flat option arrays.

    ``objective``: ``"cost"`` (the plan), ``"investment"`` (least stock value) or
    ``"shortfall"`` (least printer hours over capacity; needs ``elastic_capacity``).
    """
    prob = pulp.LpProblem("sourcing", pulp.LpMinimize)
    part_names = _safe_names(options.part_id.tolist())
    printer_names = _safe_names(list(options.printer_id))
    mode_names = [md.value for md in MODES]
    names = [
        f"{mode_names[k]}_{part_names[i]}" + (f"_{printer_names[j]}" if j >= 0 else "")
        for i, k, j in zip(
            flat.part.tolist(), flat.mode.tolist(), flat.printer.tolist(), strict=True
        )
    ]
    if len(set(names)) < len(names):
        names = [f"{nm}_{t}" for t, nm in enumerate(names)]
    variables = [prob.add_variable(nm, 0, 1, cat=pulp.LpBinary) for nm in names]
    slack: dict[str, pulp.LpVariable] = {}
    if elastic_capacity:
        slack = {
            pid: prob.add_variable(f"short_{printer_names[j]}", 0, None)
            for j, pid in enumerate(options.printer_id)
        }
    if objective == "cost":
        coef = flat.cost + np.where(flat.printer >= 0, TIE_BREAK_COST, 0.0)
        prob += pulp.LpAffineExpression(
            list(zip(variables, coef.tolist(), strict=True))
        )
    elif objective == "investment":
        prob += pulp.LpAffineExpression(
            list(zip(variables, flat.investment.tolist(), strict=True))
        )
    else:
        prob += pulp.LpAffineExpression([(s, 1.0) for s in slack.values()])

    starts = np.flatnonzero(np.r_[True, flat.part[1:] != flat.part[:-1]])
    ends = np.r_[starts[1:], len(flat)]
    for a, e in zip(starts.tolist(), ends.tolist(), strict=True):
        expr = pulp.LpAffineExpression([(v, 1) for v in variables[a:e]])
        prob.addConstraint(
            pulp.LpConstraint(
                expr, pulp.LpConstraintEQ, f"one_{part_names[flat.part[a]]}", 1
            )
        )
    for j, pid in enumerate(options.printer_id):
        idx = np.flatnonzero((flat.printer == j) & (flat.hours > 0))
        if idx.shape[0] == 0:
            continue
        terms = list(
            zip(
                [variables[t] for t in idx.tolist()],
                flat.hours[idx].tolist(),
                strict=True,
            )
        )
        if elastic_capacity:
            terms.append((slack[pid], -1.0))
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression(terms),
                pulp.LpConstraintLE,
                f"capacity_{printer_names[j]}",
                float(capacity_hours[j]),
            )
        )
    if budget is not None:
        idx = np.flatnonzero(flat.investment > 0)
        terms = list(
            zip(
                [variables[t] for t in idx.tolist()],
                flat.investment[idx].tolist(),
                strict=True,
            )
        )
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression(terms),
                pulp.LpConstraintLE,
                "budget",
                float(budget),
            )
        )
    return SourcingModel(
        problem=prob,
        variables=variables,
        options=flat,
        capacity_hours=capacity_hours,
        slack=slack,
    )


def _capacity_hours(
    options: SourcingOptions, printers: Sequence[Printer], params: SourcingParams
) -> np.ndarray:
    """Yearly hours the optimiser may use on each printer of ``options`` [h/year]."""
    by_id = {pr.printer_id: pr for pr in printers}
    missing = [p for p in options.printer_id if p not in by_id]
    if missing:
        raise PlannerError(
            f"printer(s) {missing} of the sourcing options are not among the printers "
            f"given ({sorted(by_id)})"
        )
    return np.array(
        [
            by_id[p].hours_available_per_year * params.max_utilisation_frac
            for p in options.printer_id
        ],
        float,
    )


def build_sourcing_model(
    options: SourcingOptions, printers: Sequence[Printer], params: SourcingParams
) -> SourcingModel:
    """The sourcing MILP: one option per part, printer hours, investment budget.

    Binary variables exist only for feasible options, named after the part, e.g.
    ``print_stock_P_17_P2``; the objective is the total expected annual cost.

    Raises
    ------
    PlannerError
        If a printer of ``options`` is missing from ``printers``.
    InfeasibleError
        If a part has no feasible option at all.
    """
    capacity = _capacity_hours(options, printers, params)
    return _make_model(_flatten(options), options, capacity, params.budget)


def _solver(params: SourcingParams) -> pulp.LpSolver:
    """The PuLP solver object: HiGHS when asked and available, else CBC."""
    if params.solver == Solver.HIGHS and pulp.HiGHS().available():
        return pulp.HiGHS(
            msg=False, timeLimit=params.time_limit_s, gapRel=params.gap_rel
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cbc = pulp.PULP_CBC_CMD(
            msg=False, timeLimit=params.time_limit_s, gapRel=params.gap_rel
        )
    if not cbc.available():
        raise PlannerError(
            f"no MILP solver available: solver {params.solver.value!r} asked; "
            f"HiGHS (highspy) and the bundled CBC both missing"
        )
    return cbc


def _run(model: SourcingModel, params: SourcingParams) -> tuple[str, int, float]:
    """Solve; return the PuLP status string, solution status and wall time [s]."""
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model.problem.solve(_solver(params))
    return (
        pulp.LpStatus[model.problem.status],
        model.problem.sol_status,
        time.perf_counter() - t0,
    )


def _chosen(model: SourcingModel, n: int) -> np.ndarray:
    """Index into the flat options of each part's chosen option."""
    values = np.fromiter(
        (v.varValue if v.varValue is not None else 0.0 for v in model.variables),
        float,
        count=len(model.variables),
    )
    order = np.lexsort((-values, model.options.part))
    first = np.r_[True, model.options.part[order][1:] != model.options.part[order][:-1]]
    return order[first][:n]


def _money(value: float, params: SourcingParams) -> str:
    """Money for messages: symbol and thousands separators, no decimals."""
    sign = "-" if value < 0 else ""
    return f"{sign}{params.currency_symbol}{abs(value):,.0f}"


def _diagnose(
    flat: _FlatOptions,
    options: SourcingOptions,
    capacity: np.ndarray,
    params: SourcingParams,
    status: str,
    solve_s: float,
) -> str:
    """Explain in words why the plan has no solution: what binds and by how much."""
    cap_text = {
        pid: f"{capacity[j]:,.0f} h/year at {params.max_utilisation_frac:.0%} use"
        for j, pid in enumerate(options.printer_id)
    }

    def shortfalls(budget: float | None) -> tuple[str, dict[str, float]] | None:
        model = _make_model(
            flat,
            options,
            capacity,
            budget,
            objective="shortfall",
            elastic_capacity=True,
        )
        st, _, _ = _run(model, params)
        if st != "Optimal":
            return None
        short = {pid: float(v.varValue or 0.0) for pid, v in model.slack.items()}
        short = {pid: h for pid, h in short.items() if h > 1e-6}
        text = "; ".join(
            f"printer {pid} capacity is short by {h:,.0f} h/year "
            f"(it may use {cap_text[pid]})"
            for pid, h in short.items()
        )
        return text, short

    alone = shortfalls(None)
    if alone is not None and alone[1]:
        return (
            f"no plan fits the printers even without a budget: {alone[0]} "
            f"(some parts can only be printed)"
        )
    if params.budget is not None:
        least = _make_model(flat, options, capacity, None, objective="investment")
        st, _, _ = _run(least, params)
        if st == "Optimal":
            idx = _chosen(least, options.n_parts)
            need = float(flat.investment[idx].sum())
            if need > params.budget * (1 + 1e-9) + 1e-6:
                message = (
                    f"investment budget {params.budget:,.0f} is "
                    f"{need - params.budget:,.0f} short of the cheapest feasible plan "
                    f"({need:,.0f})"
                )
                within = shortfalls(params.budget)
                if within is not None and within[1]:
                    message += f"; to stay within the budget instead, {within[0]}"
                return message
    return (
        f"the solver stopped with status {status!r} after {solve_s:.1f} s without a "
        f"feasible plan (time_limit_s = {params.time_limit_s:g}); allow more time"
    )


def _labels(flat: _FlatOptions, idx: np.ndarray, printers: Sequence[str]) -> np.ndarray:
    """ "<mode> on <printer>" (or just the mode) of the flat options ``idx``."""
    modes = np.array([md.value for md in MODES], dtype=object)[flat.mode[idx]]
    names = np.array([f" on {p}" for p in printers] + [""], dtype=object)
    return modes + names[flat.printer[idx]]


def _first_per_part(flat: _FlatOptions, subset: np.ndarray, n: int) -> np.ndarray:
    """Per part, the cheapest option among ``subset`` (-1 where none)."""
    out = np.full(n, -1, np.int64)
    if subset.shape[0]:
        o = subset[np.lexsort((flat.cost[subset], flat.part[subset]))]
        first = np.r_[True, flat.part[o][1:] != flat.part[o][:-1]]
        out[flat.part[o[first]]] = o[first]
    return out


def _reasons(
    flat: _FlatOptions,
    chosen: np.ndarray,
    options: SourcingOptions,
    used: np.ndarray,
    capacity: np.ndarray,
    params: SourcingParams,
) -> np.ndarray:
    """One sentence per part: chosen option against buying, and what forced it.

    A choice is "forced" when the part's cheapest option costs less than the
    chosen one; the budget (capacity) is named when switching this part alone to
    that option would break it.
    """
    n = options.n_parts
    printers = options.printer_id
    best = _first_per_part(flat, np.arange(len(flat)), n)
    alt = _first_per_part(flat, np.flatnonzero(flat.printer >= 0), n)
    t = chosen
    cost = flat.cost[t]
    buy = options.cost[:, 0]
    is_buy = flat.printer[t] < 0
    label = _labels(flat, t, printers)
    money = np.array([_money(v, params) for v in cost.tolist()], dtype=object)
    buy_money = np.array(
        [_money(v, params) if math.isfinite(v) else "" for v in buy.tolist()],
        dtype=object,
    )
    alt_label = np.where(alt >= 0, _labels(flat, np.maximum(alt, 0), printers), "")
    alt_money = [
        _money(float(flat.cost[a]), params) if a >= 0 else "" for a in alt.tolist()
    ]
    print_why = options.infeasible_reason[:, MODES.index(Mode.PRINT_STOCK)]
    diff = buy - cost
    gain = [
        f"saves {_money(d, params)}" if d >= 0 else f"costs {_money(-d, params)} more"
        for d in np.nan_to_num(diff).tolist()
    ]

    forced = flat.cost[best] < cost - 1e-6 * np.maximum(1.0, np.abs(cost))
    total_inv = float(flat.investment[t].sum())
    extra_inv = flat.investment[best] - flat.investment[t]
    budget_forced = np.zeros(n, bool)
    if params.budget is not None:
        budget_forced = forced & (
            total_inv + extra_inv > params.budget * (1 + 1e-9) + 1e-6
        )
    jb = flat.printer[best]
    jb0 = np.maximum(jb, 0)
    freed = np.where(flat.printer[t] == jb, flat.hours[t], 0.0)
    cap_forced = np.zeros(n, bool)
    if len(printers):
        cap_forced = (
            forced
            & (jb >= 0)
            & (used[jb0] - freed + flat.hours[best] > capacity[jb0] * (1 + 1e-9) + 1e-6)
        )
    best_label = _labels(flat, best, printers)
    budget_text = (
        f"the investment budget {params.budget:,.0f}"
        if params.budget is not None
        else ""
    )

    def forced_text(i: int) -> str:
        if not forced[i]:
            return ""
        by = [budget_text] if budget_forced[i] else []
        if cap_forced[i]:
            by.append(f"printer {printers[jb[i]]} capacity")
        who = " and ".join(by) if by else "the budget and capacity limits together"
        return (
            f"; {who} ruled out {best_label[i]} "
            f"({_money(float(flat.cost[best[i]]), params)}/yr)"
        )

    def text(i: int) -> str:
        if is_buy[i]:
            if alt[i] < 0:
                tail = f"; no printing option ({print_why[i] or 'none feasible'})"
            elif forced[i] and alt[i] == best[i]:
                tail = ""  # the forced-choice note names it
            else:
                tail = f"; cheapest printing option {alt_label[i]} {alt_money[i]}/yr"
            return f"buy_stock: {money[i]}/yr{tail}"
        if buy_money[i]:
            return (
                f"{label[i]}: {money[i]}/yr vs buy_stock {buy_money[i]}/yr ({gain[i]})"
            )
        return f"{label[i]}: {money[i]}/yr (buy_stock not possible)"

    return np.array([text(i) + forced_text(i) for i in range(n)], dtype=object)


def solve_sourcing(
    options: SourcingOptions, printers: Sequence[Printer], params: SourcingParams
) -> SourcingPlan:
    """Pick one option per part at least expected annual cost (PuLP MILP).

    Constraints: exactly one option per part; each printer's yearly hours at most
    ``hours_available_per_year x max_utilisation_frac``; total investment at most
    ``params.budget`` when given.

    Parameters
    ----------
    options
        Priced options from :func:`build_options`.
    printers
        The printers named in ``options`` (for their yearly hours).
    params
        Budget, utilisation cap, solver, time limit and gap.

    Returns
    -------
    SourcingPlan
        The chosen option of every part with a reason in words, totals and
        printer usage.

    Raises
    ------
    InfeasibleError
        If no plan meets the budget and printer capacity (the message says which
        binds and by how much: the budget's shortfall against the least
        investment any plan needs, or the hours a printer is short), or the solver
        stops without a feasible plan.
    PlannerError
        If a printer of ``options`` is missing from ``printers``.

    Warns
    -----
    PlannerWarning
        When the time limit stops the solver with a feasible but unproven plan.

    Examples
    --------
    >>> import numpy as np
    >>> from planner.printers import Printer
    >>> p1 = Printer(printer_id="P1", build_x_mm=200, build_y_mm=200, build_z_mm=200,
    ...              hourly_rate=1.0, hours_available_per_week=40, materials=("PETG",))
    >>> cost = np.full((1, 4, 1), np.nan); cost[0, 1, 0] = 80.0
    >>> hours = np.zeros((1, 4, 1)); inv = np.full((1, 4, 1), 20.0)
    >>> opts = SourcingOptions.from_arrays(part_id=["A-1"], printer_id=["P1"],
    ...     buy_cost=np.array([100.0]), buy_investment=np.array([300.0]),
    ...     cost_by_printer=cost, printer_hours_by_printer=hours,
    ...     investment_by_printer=inv, print_unit_cost=np.array([[5.0]]))
    >>> plan = solve_sourcing(opts, [p1], SourcingParams())
    >>> str(plan.mode[0]), str(plan.printer_id[0]), plan.objective, plan.baseline_cost
    ('print_stock', 'P1', 80.0, 100.0)
    >>> print(plan.reason[0])
    print_stock on P1: €80/yr vs buy_stock €100/yr (saves €20)
    """
    n, m = options.n_parts, len(options.printer_id)
    capacity = _capacity_hours(options, printers, params)
    t0 = time.perf_counter()
    flat = _flatten(options) if n else None
    if flat is None:
        return _empty_plan(options, capacity, params)
    model = _make_model(flat, options, capacity, params.budget)
    build_s = time.perf_counter() - t0
    status, sol_status, solve_s = _run(model, params)
    if status != "Optimal":
        raise InfeasibleError(
            "no sourcing plan: "
            + _diagnose(flat, options, capacity, params, status, solve_s),
            status=status,
        )
    plan_status = "Optimal"
    if sol_status == pulp.LpSolutionIntegerFeasible:
        plan_status = "Feasible"
        warnings.warn(
            PlannerWarning(
                f"the sourcing solver hit its time limit ({params.time_limit_s:g} s) "
                f"with a feasible plan that may be up to the MIP gap from optimal"
            ),
            stacklevel=2,
        )
    chosen = _chosen(model, n)
    j = flat.printer[chosen]
    k = flat.mode[chosen]
    rows = np.arange(n)
    has_printer = j >= 0
    jj = np.maximum(j, 0)
    used = np.bincount(
        j[has_printer], weights=flat.hours[chosen][has_printer], minlength=m
    )
    if m:
        level = np.where(
            has_printer,
            options.base_stock_level_by_printer[rows, k, jj],
            options.base_stock_level[:, 0],
        )
        fill = np.where(
            has_printer,
            options.fill_rate_by_printer[rows, k, jj],
            options.fill_rate[:, 0],
        )
        lead = np.where(has_printer, options.print_lead_time_days[rows, jj], 0.0)
    else:
        level = options.base_stock_level[:, 0]
        fill = options.fill_rate[:, 0]
        lead = np.zeros(n)
    printer_names = np.array([*options.printer_id, ""], dtype=object)
    cost = flat.cost[chosen]
    investment = flat.investment[chosen]
    return SourcingPlan(
        part_id=options.part_id,
        mode=np.array([md.value for md in MODES], dtype=object)[k].astype(str),
        printer_id=printer_names[j].astype(str),
        base_stock_level=np.asarray(level, np.int64),
        cost=cost,
        investment=investment,
        printer_hours=flat.hours[chosen],
        fill_rate=np.asarray(fill, float),
        print_lead_time_days=np.nan_to_num(np.asarray(lead, float)),
        reason=_reasons(flat, chosen, options, used, capacity, params).astype(str),
        objective=float(cost.sum()),
        baseline_cost=float(np.nansum(options.cost[:, 0])),
        total_investment=float(investment.sum()),
        budget=params.budget,
        printer_usage=[
            {
                "printer_id": pid,
                "capacity_hours": float(capacity[jx]),
                "used_hours": float(used[jx]),
            }
            for jx, pid in enumerate(options.printer_id)
        ],
        status=plan_status,
        solve_time_s=solve_s,
        build_time_s=build_s,
    )


def _empty_plan(
    options: SourcingOptions, capacity: np.ndarray, params: SourcingParams
) -> SourcingPlan:
    """The plan of a catalog without parts."""
    empty = np.zeros(0)
    return SourcingPlan(
        part_id=options.part_id,
        mode=np.zeros(0, dtype=str),
        printer_id=np.zeros(0, dtype=str),
        base_stock_level=np.zeros(0, np.int64),
        cost=empty,
        investment=empty,
        printer_hours=empty,
        fill_rate=empty,
        print_lead_time_days=empty,
        reason=np.zeros(0, dtype=str),
        objective=0.0,
        baseline_cost=0.0,
        total_investment=0.0,
        budget=params.budget,
        printer_usage=[
            {"printer_id": pid, "capacity_hours": float(capacity[j]), "used_hours": 0.0}
            for j, pid in enumerate(options.printer_id)
        ],
        status="Optimal",
        solve_time_s=0.0,
    )


# ------------------------------------------------------------------------ outputs


def _none_if_nan(values: np.ndarray) -> list[float | None]:
    """Python floats, ``None`` where ``nan``."""
    return [None if not math.isfinite(v) else float(v) for v in values.tolist()]


def sourcing_table(
    plan: SourcingPlan, options: SourcingOptions
) -> list[dict[str, Any]]:
    """Rows of sourcing.csv: the choice, its reason and every mode's figures.

    Columns: ``part_id``, ``mode``, ``printer_id``, ``reason``, then ``cost_<m>``
    [currency/year], ``printer_hours_<m>`` [h/year] and ``investment_<m>``
    [currency] for every mode ``m``, ``None`` where the mode is not feasible.
    Figures are on the part's best printer, except for the chosen mode, which
    shows the printer the plan assigned.

    Raises
    ------
    PlannerError
        If ``plan`` and ``options`` hold different parts.
    """
    if not np.array_equal(np.asarray(plan.part_id), np.asarray(options.part_id)):
        raise PlannerError(
            f"plan and options must hold the same parts in the same order, got "
            f"{len(plan.part_id)} and {options.n_parts} parts"
        )
    n = options.n_parts
    figures = {
        "cost": options.cost.copy(),
        "printer_hours": options.printer_hours.copy(),
        "investment": options.investment.copy(),
    }
    mode_index = {md.value: k for k, md in enumerate(MODES)}
    k = np.array([mode_index[md] for md in plan.mode], np.int64).reshape(n)
    rows = np.arange(n)
    figures["cost"][rows, k] = plan.cost
    figures["printer_hours"][rows, k] = plan.printer_hours
    figures["investment"][rows, k] = plan.investment
    columns: dict[str, list] = {
        "part_id": plan.part_id.tolist(),
        "mode": plan.mode.tolist(),
        "printer_id": plan.printer_id.tolist(),
        "reason": plan.reason.tolist(),
    }
    for name, values in figures.items():
        for kx, md in enumerate(MODES):
            columns[f"{name}_{md.value}"] = _none_if_nan(values[:, kx])
    return [{c: columns[c][i] for c in columns} for i in range(n)]


def summary_dict(plan: SourcingPlan) -> dict[str, Any]:
    """The sourcing part of summary.json (plain Python values, JSON-ready).

    Keys: objective, budget, total_investment, baseline_cost, savings, printers
    ([{printer_id, capacity_hours, used_hours}]), status, solve_time_s and
    n_parts_by_mode (every mode, 0 where unused).
    """
    modes, counts = np.unique(np.asarray(plan.mode, dtype=str), return_counts=True)
    by_mode = {md.value: 0 for md in MODES}
    by_mode.update({str(md): int(c) for md, c in zip(modes, counts, strict=True)})
    return {
        "objective": float(plan.objective),
        "budget": None if plan.budget is None else float(plan.budget),
        "total_investment": float(plan.total_investment),
        "baseline_cost": float(plan.baseline_cost),
        "savings": float(plan.savings),
        "printers": [
            {
                "printer_id": str(u["printer_id"]),
                "capacity_hours": float(u["capacity_hours"]),
                "used_hours": float(u["used_hours"]),
            }
            for u in plan.printer_usage
        ],
        "status": plan.status,
        "solve_time_s": float(plan.solve_time_s),
        "n_parts_by_mode": by_mode,
    }
