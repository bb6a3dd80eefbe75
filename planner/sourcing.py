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

import itertools
import math
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
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

#: Criticality codes a fill-rate floor may name (values of ``catalog.Criticality``).
_CRITICALITIES: tuple[str, ...] = ("V", "E", "D")

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
    min_fill_rate_by_criticality
        Least demand-weighted expected fill rate of the parts of each criticality,
        e.g. ``{"V": 0.99}``; keys ``"V"``, ``"E"``, ``"D"``; ``None`` for none.
        [0-1]
    material_budget_per_year
        Most printing material the plan may spend per year, ``None`` for no
        limit. [currency/year]
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
    min_fill_rate_by_criticality: dict[str, float] | None = None
    material_budget_per_year: float | None = None

    def __post_init__(self) -> None:
        floors = self.min_fill_rate_by_criticality
        if floors is not None:
            if not isinstance(floors, Mapping):
                raise PlannerError(
                    f"sourcing params: min_fill_rate_by_criticality must be a mapping "
                    f"criticality -> fill rate or None, got {floors!r}"
                )
            clean: dict[str, float] = {}
            for key, value in floors.items():
                crit = str(key).strip().upper()
                if crit not in _CRITICALITIES:
                    raise PlannerError(
                        f"sourcing params: min_fill_rate_by_criticality keys must be "
                        f"one of {list(_CRITICALITIES)}, got {key!r}"
                    )
                rate = float(value)
                if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
                    raise PlannerError(
                        f"sourcing params: min_fill_rate_by_criticality[{crit!r}] "
                        f"must be in [0, 1], got {value!r}"
                    )
                clean[crit] = rate
            object.__setattr__(self, "min_fill_rate_by_criticality", clean)
        mat = self.material_budget_per_year
        if mat is not None and not (math.isfinite(mat) and mat >= 0):
            raise PlannerError(
                f"sourcing params: material_budget_per_year must be a finite number "
                f">= 0 or None, got {mat!r}"
            )
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
    currency, print lead time in days, material cost in currency/year (printed
    units per year x the estimate's material cost). ``criticality`` (V/E/D, ``""``
    where unknown) and ``demand_per_year`` [units/year] (the weight of each part
    in a demand-weighted fill rate) are per part.
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
    material_cost: np.ndarray | None = None
    material_cost_by_printer: np.ndarray | None = None
    criticality: np.ndarray | None = None
    demand_per_year: np.ndarray | None = None

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
        material_cost_by_printer: np.ndarray | None = None,
        criticality: Sequence[str] | np.ndarray | None = None,
        demand_per_year: np.ndarray | None = None,
    ) -> SourcingOptions:
        """Assemble options from the buy figures and the per-printer figures.

        ``*_by_printer`` arrays have shape (n, 4, m); their ``buy_stock`` column is
        ignored (set to ``nan``). Each part's best printer is the one with the
        lowest finite ``print_unit_cost`` among those where ``print_stock`` or
        ``hybrid`` is feasible. Levels, fill rates and material costs not given
        are 0; print time and lead time not given are ``nan``; criticality not
        given is ``""`` and demand 1 unit/year (equal weights).

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
        mat3 = arr(material_cost_by_printer, shape3, 0.0, name="material_cost")
        crit = np.array(
            [""] * n if criticality is None else list(criticality), dtype=object
        ).astype(str)
        if crit.shape != (n,):
            raise PlannerError(f"criticality must have shape {(n,)}, got {crit.shape}")
        crit = np.char.upper(crit).astype(object).astype(str)
        weight = arr(demand_per_year, (n,), 1.0, name="demand_per_year")
        unit = arr(print_unit_cost, (n, m), np.nan, name="print_unit_cost")
        t_h = arr(print_time_h, (n, m), np.nan, name="print_time_h")
        lead = arr(print_lead_time_days, (n, m), np.nan, name="print_lead_time_days")
        for a in (cost3, hours3, inv3, fill3, mat3):
            a[:, 0, :] = np.nan
        level3[:, 0, :] = 0
        infeasible3 = ~np.isfinite(cost3)
        hours3[infeasible3] = np.nan
        inv3[infeasible3] = np.nan
        mat3[infeasible3] = np.nan

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
        material = at_best(mat3, np.zeros(n), np.nan)
        material[~np.isfinite(buy_cost), 0] = np.nan
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
            material_cost=material,
            material_cost_by_printer=mat3,
            criticality=crit,
            demand_per_year=weight,
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
    and ``used_hours``. ``material_cost`` is each part's printing material spend
    [currency/year]; ``expected_fill_rate`` the demand-weighted expected fill
    rate of all parts and ``fill_rate_by_criticality`` that of each criticality
    present [0-1]. ``status`` is ``"Optimal"``, or ``"Feasible"`` when the
    solver's time limit stopped it with a plan it had not proven optimal;
    ``status_detail`` then says so in words, with the proven gap (``""`` for an
    optimal plan).
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
    material_cost: np.ndarray | None = None
    expected_fill_rate: float = float("nan")
    fill_rate_by_criticality: dict[str, float] = field(default_factory=dict)
    status_detail: str = ""

    @property
    def material_cost_per_year(self) -> float:
        """The plan's printing material spend [currency/year]."""
        if self.material_cost is None:
            return 0.0
        return float(np.sum(self.material_cost))

    @property
    def n_printed(self) -> int:
        """Parts the plan prints in any mode."""
        return int(np.sum(np.asarray(self.mode, dtype=str) != Mode.BUY_STOCK.value))

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
) -> tuple[np.ndarray, ...]:
    """Which (part, printer) pairs can print, with print time and estimate cost.

    Returns ok (n, m), print_time_h (n, m), estimate total cost (n, m), the
    per-part reason code and bounding box used to explain infeasibility, and
    the estimate's material cost per printed unit (n, m).
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
    est_mat = np.zeros((n, m))
    bbox = np.full((n, m, 3), np.nan)
    for i, j in zip(*np.nonzero(has_est), strict=True):
        e = found[i][j]
        t_h[i, j] = e.print_time_s / SECONDS_PER_HOUR
        est_cost[i, j] = e.total_cost
        est_mat[i, j] = getattr(e, "material_cost", 0.0)
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
    return ok, t_h, est_cost, code, first_bbox, est_mat


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
        [units], fill rate and printing material cost [currency/year] (printed
        units per year x the estimate's ``material_cost``). Printing modes are
        ``nan`` where the part is not
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
    ok, t_h, est_cost, code, bbox, est_mat = _pair_feasibility(
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
    units3 = np.zeros(shape3)
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
        units3[:, k_ps] += p_k * lam_p
        units3[:, k_pod] += p_k * lam_p

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
        units3[:, k_hy] += p_k * np.where(ok, printed_units[:, None], 0.0)
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
        material_cost_by_printer=units3 * est_mat[:, None, :],
        criticality=cols.criticality,
        demand_per_year=lam,
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
    fill: np.ndarray
    material: np.ndarray

    def __len__(self) -> int:
        return int(self.part.shape[0])

    def take(self, idx: np.ndarray) -> _FlatOptions:
        """The options ``idx`` (in that order)."""
        return _FlatOptions(
            part=self.part[idx],
            mode=self.mode[idx],
            printer=self.printer[idx],
            cost=self.cost[idx],
            hours=self.hours[idx],
            investment=self.investment[idx],
            fill=self.fill[idx],
            material=self.material[idx],
        )


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
    fill = np.concatenate(
        [options.fill_rate[buy, 0], options.fill_rate_by_printer[i3, k3, j3]]
    )
    mat3 = options.material_cost_by_printer
    material = np.concatenate(
        [
            np.zeros(buy.shape[0]),
            np.zeros(i3.shape[0]) if mat3 is None else mat3[i3, k3, j3],
        ]
    )
    order = np.lexsort((printer, mode, part))
    flat = _FlatOptions(
        part=part[order],
        mode=mode[order],
        printer=printer[order],
        cost=cost[order],
        hours=np.nan_to_num(hours[order]),
        investment=np.nan_to_num(inv[order]),
        fill=np.nan_to_num(fill[order]),
        material=np.nan_to_num(material[order]),
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


def _undominated(flat: _FlatOptions, n: int, m: int) -> np.ndarray:
    """Indices of the options no other option of the same part dominates.

    Option A dominates B when it costs no more, ties up no more investment and
    material, fills no worse, and uses no more hours of B's printer (buying uses
    none). Swapping B for A keeps every constraint and does not raise the cost, so
    dropping B keeps the optimum of the MILP and of every diagnostic variant; on
    a full tie the earlier option (buy, then mode order) stays.
    """
    t = len(flat)
    drop = np.zeros(t, bool)

    def beats(a: np.ndarray, b: np.ndarray, hours_a: np.ndarray) -> tuple:
        weak = (
            (flat.cost[a] <= flat.cost[b])
            & (flat.investment[a] <= flat.investment[b])
            & (flat.material[a] <= flat.material[b])
            & (flat.fill[a] >= flat.fill[b])
            & (hours_a <= flat.hours[b])
        )
        strict = (
            (flat.cost[a] < flat.cost[b])
            | (flat.investment[a] < flat.investment[b])
            | (flat.material[a] < flat.material[b])
            | (flat.fill[a] > flat.fill[b])
            | (hours_a < flat.hours[b])
        )
        return weak, strict

    buy_at = np.full(n, -1, np.int64)
    is_buy = flat.printer < 0
    buy_at[flat.part[is_buy]] = np.flatnonzero(is_buy)
    printing = np.flatnonzero(~is_buy)
    b = buy_at[flat.part[printing]]
    has = b >= 0
    weak, _ = beats(b[has], printing[has], np.zeros(int(has.sum())))
    drop[printing[has][weak]] = True
    if m and printing.shape[0]:
        slot = np.full((n, len(MODES), m), -1, np.int64)
        slot[flat.part[printing], flat.mode[printing], flat.printer[printing]] = (
            printing
        )
        for ka, kb in itertools.permutations(range(1, len(MODES)), 2):
            a, bb = slot[:, ka, :].reshape(-1), slot[:, kb, :].reshape(-1)
            pair = (a >= 0) & (bb >= 0)
            a, bb = a[pair], bb[pair]
            weak, strict = beats(a, bb, flat.hours[a])
            drop[bb[weak & (strict | (ka < kb)) & ~drop[a]]] = True
    return np.flatnonzero(~drop)


def _safe_names(ids: Sequence[str]) -> list[str]:
    """LP-safe, unique names built from ids (other characters become ``_``)."""
    safe = [re.sub(r"[^A-Za-z0-9_]", "_", str(s)) or "_" for s in ids]
    seen: dict[str, int] = {}
    for s in safe:
        seen[s] = seen.get(s, 0) + 1
    return [s if seen[s] == 1 else f"{s}_{i}" for i, s in enumerate(safe)]


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcingModel:
    """A built sourcing MILP: the PuLP problem and the option behind each variable.

    ``options`` holds the options behind ``variables`` (options dominated by
    another option of the same part are left out: they never improve a plan);
    ``slack`` the elastic variables of a diagnostic variant, by row name.
    """

    problem: pulp.LpProblem
    variables: list[pulp.LpVariable]
    options: _FlatOptions
    capacity_hours: np.ndarray
    slack: dict[str, pulp.LpVariable] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class _ArrayModel:
    """The MILP as arrays: binary columns (the options), then elastic slacks.

    Rows: one equality per part (``n_parts`` rows), then the coupling rows named
    in ``row_names`` (printer capacity, investment budget, material budget, fill
    floors). ``state`` holds the solver objects and the last solution (``x``).
    """

    flat: _FlatOptions
    keep: np.ndarray
    n_parts: int
    part_names: list[str]
    printer_names: list[str]
    printer_ids: tuple[str, ...]
    cost: np.ndarray
    integer: bool
    matrix: Any  # scipy.sparse.csc_matrix, rows x columns
    row_names: list[str]
    row_lower: np.ndarray
    row_upper: np.ndarray
    slack_of: dict[str, int]
    capacity_hours: np.ndarray
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def n_options(self) -> int:
        """Binary columns."""
        return len(self.flat)


def _part_weights(options: SourcingOptions) -> tuple[np.ndarray, np.ndarray]:
    """Each part's criticality and demand weight (1 where no demand is given)."""
    n = options.n_parts
    crit = (
        np.full(n, "", dtype=object).astype(str)
        if options.criticality is None
        else np.asarray(options.criticality).astype(str)
    )
    w = (
        np.ones(n)
        if options.demand_per_year is None
        else np.nan_to_num(np.asarray(options.demand_per_year, float))
    )
    return crit, np.maximum(w, 0.0)


def _class_weights(options: SourcingOptions, crit_code: str) -> np.ndarray:
    """Per part, its share in the demand-weighted fill rate of ``crit_code``
    (0 outside the class; equal shares where the class has no demand)."""
    crit, w = _part_weights(options)
    member = crit == crit_code
    if not member.any():
        return np.zeros(options.n_parts)
    w = np.where(member, w, 0.0)
    if w.sum() <= 0:
        w = member.astype(float)
    return w / w.sum()


def _coupling_rows(
    flat: _FlatOptions,
    options: SourcingOptions,
    capacity_hours: np.ndarray,
    params: SourcingParams,
    use: frozenset[str],
) -> list[tuple[str, np.ndarray, float, float]]:
    """(name, coefficient per option, lower, upper) of the rows beyond one per part.

    ``use`` names the row kinds to include: ``capacity``, ``budget``,
    ``material``, ``fill``.
    """
    inf = math.inf
    rows: list[tuple[str, np.ndarray, float, float]] = []
    if "capacity" in use:
        for j, pid in enumerate(options.printer_id):
            coef = np.where(flat.printer == j, flat.hours, 0.0)
            if np.any(coef > 0):
                rows.append((f"capacity_{pid}", coef, -inf, float(capacity_hours[j])))
    if "budget" in use and params.budget is not None:
        rows.append(("budget", flat.investment, -inf, float(params.budget)))
    if "material" in use and params.material_budget_per_year is not None:
        rows.append(
            ("material", flat.material, -inf, float(params.material_budget_per_year))
        )
    if "fill" in use and params.min_fill_rate_by_criticality:
        for crit_code, floor in params.min_fill_rate_by_criticality.items():
            share = _class_weights(options, crit_code)
            if not np.any(share > 0):
                continue
            rows.append((f"fill_{crit_code}", share[flat.part] * flat.fill, floor, inf))
    return rows


_ALL_ROWS = frozenset({"capacity", "budget", "material", "fill"})


def _arrays(
    flat: _FlatOptions,
    keep: np.ndarray,
    options: SourcingOptions,
    capacity_hours: np.ndarray,
    params: SourcingParams,
    *,
    objective: str | np.ndarray = "cost",
    use: frozenset[str] = _ALL_ROWS,
    elastic: Sequence[str] = (),
    integer: bool = True,
) -> _ArrayModel:
    """Build the MILP (or a diagnostic variant) over the options ``keep`` of ``flat``.

    ``objective``: ``"cost"`` (the plan), ``"investment"``, ``"material"``,
    ``"shortfall"`` (elastic slack: capacity in hours, other rows relative to
    their bound) or an array of coefficients over the options. ``elastic``
    names row kinds (as in ``use``) whose rows get a slack variable.
    """
    from scipy import sparse

    sub = flat.take(keep)
    n, t = options.n_parts, len(sub)
    rows = _coupling_rows(sub, options, capacity_hours, params, use)
    names = [r[0] for r in rows]
    kinds = [nm.split("_", 1)[0] for nm in names]
    slack_rows = [r for r, kind in enumerate(kinds) if kind in set(elastic)]
    if isinstance(objective, np.ndarray):
        cost = np.asarray(objective, float)
    elif objective == "cost":
        cost = sub.cost + np.where(sub.printer >= 0, TIE_BREAK_COST, 0.0)
    elif objective == "investment":
        cost = sub.investment.copy()
    elif objective == "material":
        cost = sub.material.copy()
    else:
        cost = np.zeros(t)
    slack_cost = np.array(
        [
            1.0 if kinds[r] == "capacity" else 1.0 / max(abs(_bound(rows[r])), 1e-9)
            for r in slack_rows
        ],
        float,
    )
    if not (isinstance(objective, str) and objective == "shortfall"):
        slack_cost = slack_cost * 0.0
    coo_r = [sub.part]
    coo_c = [np.arange(t)]
    coo_v = [np.ones(t)]
    for r, (_, coef, _, _) in enumerate(rows):
        nz = np.flatnonzero(coef != 0)
        coo_r.append(np.full(nz.shape[0], n + r))
        coo_c.append(nz)
        coo_v.append(coef[nz])
    for s, r in enumerate(slack_rows):
        coo_r.append(np.array([n + r]))
        coo_c.append(np.array([t + s]))
        coo_v.append(np.array([1.0 if math.isfinite(rows[r][2]) else -1.0]))
    matrix = sparse.csc_matrix(
        (np.concatenate(coo_v), (np.concatenate(coo_r), np.concatenate(coo_c))),
        shape=(n + len(rows), t + len(slack_rows)),
    )
    matrix.sort_indices()
    return _ArrayModel(
        flat=sub,
        keep=keep,
        n_parts=n,
        part_names=_safe_names(options.part_id.tolist()),
        printer_names=_safe_names(list(options.printer_id)),
        printer_ids=tuple(options.printer_id),
        cost=np.concatenate([cost, slack_cost]),
        integer=integer,
        matrix=matrix,
        row_names=names,
        row_lower=np.r_[np.ones(n), [r[2] for r in rows]],
        row_upper=np.r_[np.ones(n), [r[3] for r in rows]],
        slack_of={names[r]: t + s for s, r in enumerate(slack_rows)},
        capacity_hours=capacity_hours,
    )


def _bound(row: tuple[str, np.ndarray, float, float]) -> float:
    """The finite bound of a one-sided row."""
    return row[2] if math.isfinite(row[2]) else row[3]


def _to_pulp(model: _ArrayModel) -> SourcingModel:
    """The PuLP problem of an array model (variables named after the parts)."""
    flat = model.flat
    prob = pulp.LpProblem("sourcing", pulp.LpMinimize)
    mode_names = [md.value for md in MODES]
    pn, jn = model.part_names, model.printer_names
    names = [
        f"{mode_names[k]}_{pn[i]}" + (f"_{jn[j]}" if j >= 0 else "")
        for i, k, j in zip(
            flat.part.tolist(), flat.mode.tolist(), flat.printer.tolist(), strict=True
        )
    ]
    if len(set(names)) < len(names):
        names = [f"{nm}_{t}" for t, nm in enumerate(names)]
    cat = pulp.LpBinary if model.integer else pulp.LpContinuous
    variables = [prob.add_variable(nm, 0, 1, cat=cat) for nm in names]
    slack = {
        row: prob.add_variable(f"short_{_safe_names([row])[0]}", 0, None)
        for row in model.slack_of
    }
    columns = variables + list(slack.values())
    nz = np.flatnonzero(model.cost)
    prob += pulp.LpAffineExpression(
        [(columns[c], float(model.cost[c])) for c in nz.tolist()]
    )
    csr = model.matrix.tocsr()
    n = model.n_parts
    for r in range(csr.shape[0]):
        a, e = csr.indptr[r], csr.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            list(
                zip(
                    [columns[c] for c in csr.indices[a:e].tolist()],
                    csr.data[a:e].tolist(),
                    strict=True,
                )
            )
        )
        if r < n:
            name, sense, rhs = f"one_{pn[r]}", pulp.LpConstraintEQ, 1.0
        else:
            name = _safe_names([model.row_names[r - n]])[0]
            lo, up = model.row_lower[r], model.row_upper[r]
            sense, rhs = (
                (pulp.LpConstraintLE, up)
                if not math.isfinite(lo)
                else (pulp.LpConstraintGE, lo)
            )
            if not math.isfinite(rhs):  # no limit: a bound no plan can reach
                rhs = math.copysign(float(np.abs(csr.data[a:e]).sum()) + 1.0, rhs)
        prob.addConstraint(pulp.LpConstraint(expr, sense, name, float(rhs)))
    return SourcingModel(
        problem=prob,
        variables=variables,
        options=flat,
        capacity_hours=model.capacity_hours,
        slack=slack,
    )


def _capacity_hours(
    options: SourcingOptions, printers: Sequence[Printer], params: SourcingParams
) -> np.ndarray:
    """Yearly hours the optimiser may use on each printer of ``options`` [h/year]."""
    return _printer_hours(options, printers)[0] * params.max_utilisation_frac


def _printer_hours(
    options: SourcingOptions, printers: Sequence[Printer]
) -> tuple[np.ndarray, np.ndarray]:
    """Yearly [h/year] and weekly [h/week] hours of each printer of ``options``."""
    by_id = {pr.printer_id: pr for pr in printers}
    missing = [p for p in options.printer_id if p not in by_id]
    if missing:
        raise PlannerError(
            f"printer(s) {missing} of the sourcing options are not among the printers "
            f"given ({sorted(by_id)})"
        )
    yearly = np.array(
        [by_id[p].hours_available_per_year for p in options.printer_id], float
    )
    weekly = np.array(
        [by_id[p].hours_available_per_week for p in options.printer_id], float
    )
    return yearly, weekly


def _model_for(
    options: SourcingOptions, printers: Sequence[Printer], params: SourcingParams
) -> tuple[_FlatOptions, _ArrayModel]:
    """The full flat options and the plan's array model over the undominated ones."""
    capacity = _capacity_hours(options, printers, params)
    flat = _flatten(options)
    keep = _undominated(flat, options.n_parts, len(options.printer_id))
    return flat, _arrays(flat, keep, options, capacity, params)


def build_sourcing_model(
    options: SourcingOptions, printers: Sequence[Printer], params: SourcingParams
) -> SourcingModel:
    """The sourcing MILP as a PuLP problem (what the CBC path solves).

    Binary variables exist only for feasible options no other option of the
    same part dominates, named after the part, e.g. ``print_stock_P_17_P2``; rows:
    one option per part (``one_<part>``), printer hours (``capacity_<printer>``),
    investment (``budget``), material spend (``material``) and the fill floors
    (``fill_<criticality>``: the demand-weighted fill rate of the class's parts,
    :math:`\\sum_i w_i \\sum_o f_o x_o \\ge f_{min}` with :math:`w` the parts'
    demand shares). The objective is the total expected annual cost.

    Raises
    ------
    PlannerError
        If a printer of ``options`` is missing from ``printers``.
    InfeasibleError
        If a part has no feasible option at all.
    """
    return _to_pulp(_model_for(options, printers, params)[1])


def _highs_available() -> bool:
    """Whether highspy can be imported."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def _solver(params: SourcingParams) -> pulp.LpSolver:
    """The PuLP CBC solver object (the fallback and the ``"cbc"`` choice)."""
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


def _run(model: _ArrayModel, params: SourcingParams) -> tuple[str, int, float]:
    """Solve; return the PuLP status string, solution status and wall time [s].

    HiGHS gets the arrays directly (``highspy``; the model is kept between calls
    so a changed row bound re-solves from the last solution); CBC goes through
    PuLP. The solution is left in ``model.state["x"]``.
    """
    t0 = time.perf_counter()
    if params.solver == Solver.HIGHS and _highs_available():
        status, sol_status = _run_highs(model, params)
    else:
        status, sol_status = _run_cbc(model, params)
    return status, sol_status, time.perf_counter() - t0


def _run_highs(model: _ArrayModel, params: SourcingParams) -> tuple[str, int]:
    """Solve the array model with highspy."""
    import highspy

    h = model.state.get("highs")
    n_rows = model.row_lower.shape[0]
    if h is None:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        n_cols = model.cost.shape[0]
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.col_cost_ = model.cost
        lp.col_lower_ = np.zeros(n_cols)
        upper = np.full(n_cols, highspy.kHighsInf)
        upper[: model.n_options] = 1.0
        lp.col_upper_ = upper
        lp.row_lower_ = np.where(
            np.isfinite(model.row_lower), model.row_lower, -highspy.kHighsInf
        )
        lp.row_upper_ = np.where(
            np.isfinite(model.row_upper), model.row_upper, highspy.kHighsInf
        )
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = model.matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = model.matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = model.matrix.data.astype(float)
        if model.integer:
            kinds = [highspy.HighsVarType.kInteger] * model.n_options
            kinds += [highspy.HighsVarType.kContinuous] * (n_cols - model.n_options)
            lp.integrality_ = kinds
        h.passModel(lp)
        model.state["highs"] = h
    else:
        n = model.n_parts
        for r in range(n, n_rows):
            lo, up = model.row_lower[r], model.row_upper[r]
            h.changeRowBounds(
                r,
                lo if math.isfinite(lo) else -highspy.kHighsInf,
                up if math.isfinite(up) else highspy.kHighsInf,
            )
        if model.integer and "x" in model.state:
            start = highspy.HighsSolution()
            start.col_value = list(model.state["x"])
            h.setSolution(start)
    h.setOptionValue("time_limit", float(params.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(params.gap_rel))
    h.run()
    ms = h.getModelStatus()
    has_solution = h.getInfo().primal_solution_status == 2
    if has_solution:
        model.state["x"] = np.asarray(h.getSolution().col_value, float)
    else:
        model.state.pop("x", None)
    gap = float(h.getInfo().mip_gap) if model.integer else 0.0
    model.state["mip_gap"] = gap if math.isfinite(gap) else math.inf
    st = highspy.HighsModelStatus
    if ms == st.kOptimal:
        return "Optimal", pulp.LpSolutionOptimal
    if ms in (st.kInfeasible, st.kUnboundedOrInfeasible):
        return "Infeasible", pulp.LpSolutionInfeasible
    if ms == st.kUnbounded:
        return "Unbounded", pulp.LpSolutionUnbounded
    if has_solution:
        return "Optimal", pulp.LpSolutionIntegerFeasible
    return "Not Solved", pulp.LpSolutionNoSolutionFound


def _run_cbc(model: _ArrayModel, params: SourcingParams) -> tuple[str, int]:
    """Solve the array model with CBC through PuLP."""
    built = model.state.get("pulp")
    if built is None:
        built = _to_pulp(model)
        model.state["pulp"] = built
    else:
        n = model.n_parts
        loose = np.asarray(abs(model.matrix).sum(axis=1)).reshape(-1) + 1.0
        for r, name in enumerate(model.row_names):
            lo, up = model.row_lower[n + r], model.row_upper[n + r]
            rhs = up if not math.isfinite(lo) else lo
            if not math.isfinite(rhs):  # no limit: a bound no plan can reach
                rhs = math.copysign(loose[n + r], rhs)
            built.problem.constraints[_safe_names([name])[0]].changeRHS(float(rhs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        built.problem.solve(_solver(params))
    model.state["mip_gap"] = math.inf  # PuLP does not report CBC's final gap
    columns = built.variables + list(built.slack.values())
    model.state["x"] = np.fromiter(
        (v.varValue if v.varValue is not None else 0.0 for v in columns),
        float,
        count=len(columns),
    )
    return pulp.LpStatus[built.problem.status], built.problem.sol_status


def _chosen(model: _ArrayModel, n: int) -> np.ndarray:
    """Index into the model's options of each part's chosen option."""
    x = model.state["x"][: model.n_options]
    part = model.flat.part
    order = np.lexsort((-x, part))
    first = np.r_[True, part[order][1:] != part[order][:-1]]
    return order[first][:n]


def _money(value: float, params: SourcingParams) -> str:
    """Money for messages: symbol and thousands separators, no decimals."""
    sign = "-" if value < 0 else ""
    return f"{sign}{params.currency_symbol}{abs(value):,.0f}"


def _diagnose(
    flat: _FlatOptions,
    keep: np.ndarray,
    options: SourcingOptions,
    capacity: np.ndarray,
    params: SourcingParams,
    status: str,
    solve_s: float,
) -> str:
    """Explain in words why the plan has no solution: what binds and by how much.

    In turn: printer capacity alone (elastic hours); each fill floor against the
    best fill rate its class can reach within capacity; the material budget
    against the least material spend within capacity and the fill floors; the
    investment budget against the least investment within all the other rows;
    then all the limits together (elastic rows, least relative shortfall).
    Only sub-problems solved to proven optimality count as evidence. When the
    solver stopped without proving the model infeasible (``status`` other than
    ``"Infeasible"``: the time limit ran out before any plan was found), it says
    so and names the time limit instead.
    """
    if status != "Infeasible":
        return _stopped_text(status, solve_s, params)
    cap_text = {
        pid: f"{capacity[j]:,.0f} h/year at {params.max_utilisation_frac:.0%} use"
        for j, pid in enumerate(options.printer_id)
    }
    floors = params.min_fill_rate_by_criticality or {}

    def solve(objective, use: frozenset[str], elastic: Sequence[str] = ()):
        model = _arrays(
            flat,
            keep,
            options,
            capacity,
            params,
            objective=objective,
            use=use,
            elastic=elastic,
        )
        st, sol, _ = _run(model, params)
        # a sub-problem stopped by the time limit proves nothing: no evidence
        proven = st == "Optimal" and sol != pulp.LpSolutionIntegerFeasible
        return model if proven and "x" in model.state else None

    def chosen_sum(model: _ArrayModel, values: np.ndarray) -> float:
        return float(values[keep][_chosen(model, options.n_parts)].sum())

    def shortfalls(use: frozenset[str]) -> tuple[str, dict[str, float]] | None:
        model = solve("shortfall", use | {"capacity"}, elastic=("capacity",))
        if model is None:
            return None
        x = model.state["x"]
        short = {
            name.split("_", 1)[1]: float(x[c])
            for name, c in model.slack_of.items()
            if x[c] > 1e-6
        }
        text = "; ".join(
            f"printer {pid} capacity is short by {h:,.0f} h/year "
            f"(it may use {cap_text[pid]})"
            for pid, h in short.items()
        )
        return text, short

    alone = shortfalls(frozenset())
    if alone is not None and alone[1]:
        return (
            f"no plan fits the printers even without a budget: {alone[0]} "
            f"(some parts can only be printed)"
        )
    failing = []
    for code, floor in floors.items():
        share = _class_weights(options, code)
        if not np.any(share > 0):
            continue
        coef = -(share[flat.part] * flat.fill)[keep]
        model = solve(coef, frozenset({"capacity"}))
        if model is None:
            continue
        best = float(-coef @ model.state["x"][: model.n_options])
        if best < floor - 1e-9:
            failing.append(
                f"the minimum fill rate {floor:.1%} of criticality {code} parts is "
                f"out of reach: at most {best:.2%} within the printers' capacity "
                f"(short by {100 * (floor - best):.2f} points)"
            )
    if failing:
        return "; ".join(failing)
    also = " and the fill floors" if floors else ""
    if params.material_budget_per_year is not None:
        model = solve("material", frozenset({"capacity", "fill"}))
        limit = params.material_budget_per_year
        if model is not None:
            need = chosen_sum(model, flat.material)
            if need > limit * (1 + 1e-9) + 1e-6:
                return (
                    f"material budget {_money(limit, params)}/yr is "
                    f"{_money(need - limit, params)}/yr short of the least material "
                    f"spend of any plan within the printers' capacity{also} "
                    f"({_money(need, params)}/yr)"
                )
    if params.budget is not None:
        model = solve("investment", frozenset({"capacity", "fill", "material"}))
        if model is not None:
            need = chosen_sum(model, flat.investment)
            if need > params.budget * (1 + 1e-9) + 1e-6:
                message = (
                    f"investment budget {params.budget:,.0f} is "
                    f"{need - params.budget:,.0f} short of the cheapest feasible plan "
                    f"({need:,.0f})"
                )
                within = shortfalls(frozenset({"budget", "fill", "material"}))
                if within is not None and within[1]:
                    message += f"; to stay within the budget instead, {within[0]}"
                return message
    kinds = [
        kind
        for kind, on in (
            ("budget", params.budget is not None),
            ("material", params.material_budget_per_year is not None),
            ("fill", bool(floors)),
        )
        if on
    ]
    if kinds:
        model = solve("shortfall", _ALL_ROWS, elastic=kinds)
        if model is not None:
            x = model.state["x"]
            parts = []
            for name, c in model.slack_of.items():
                s = float(x[c])
                if name == "budget" and s > 1e-6:
                    parts.append(
                        f"investment budget {params.budget:,.0f} short by {s:,.0f}"
                    )
                elif name == "material" and s > 1e-6:
                    parts.append(
                        f"material budget "
                        f"{_money(params.material_budget_per_year, params)}/yr "
                        f"short by {_money(s, params)}/yr"
                    )
                elif name.startswith("fill_") and s > 1e-9:
                    code = name.split("_", 1)[1]
                    parts.append(
                        f"fill floor {floors[code]:.1%} of criticality {code} parts "
                        f"short by {100 * s:.2f} points"
                    )
            if parts:
                return "the limits cannot all hold together: " + "; ".join(parts)
    limits = [f"printer {pid} capacity {text}" for pid, text in cap_text.items()]
    if params.budget is not None:
        limits.append(f"investment budget {params.budget:,.0f}")
    if params.material_budget_per_year is not None:
        limits.append(
            f"material budget {_money(params.material_budget_per_year, params)}/yr"
        )
    limits += [
        f"fill floor {floor:.1%} of criticality {code} parts"
        for code, floor in floors.items()
    ]
    return (
        f"the solver proved that no plan meets all the limits ({'; '.join(limits)}), "
        f"but its time limit ({params.time_limit_s:g} s per solve) ran out before "
        f"it could tell which one binds; allow more time (time_limit_s, the CLI's "
        f"--time-limit) for the diagnosis"
    )


def _stopped_text(status: str, solve_s: float, params: SourcingParams) -> str:
    """Why a solve that found no plan and proved nothing stopped, in words."""
    return (
        f"the solver stopped with status {status!r} after {solve_s:.2f} s without a "
        f"feasible plan (time_limit_s = {params.time_limit_s:g} s); allow more time "
        f"(time_limit_s, the CLI's --time-limit)"
    )


def _time_limit_text(model: _ArrayModel, params: SourcingParams) -> str:
    """What a plan stopped by the time limit is worth: the proven gap, in words."""
    gap = float(model.state.get("mip_gap", math.inf))
    bound = (
        f"within {gap:.2%} of the best possible objective"
        if math.isfinite(gap)
        else "not proven optimal (the solver reports no gap)"
    )
    return (
        f"the sourcing solver hit its time limit ({params.time_limit_s:g} s) with a "
        f"feasible plan {bound}; allow more time (time_limit_s, the CLI's "
        f"--time-limit) for the optimum"
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
    weekly_hours: np.ndarray | None = None,
) -> np.ndarray:
    """One sentence per part: chosen option against buying, and what forced it.

    A choice is "forced" when the part's cheapest option costs less than the
    chosen one; the investment budget, the material budget, a fill floor or a
    printer's capacity is named when switching this part alone to that option
    would break it. A printed part whose single print takes longer than its
    printer's weekly hours [h/week] is allowed (the print runs over into the
    next week) and the reason says so.
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
    material_forced = np.zeros(n, bool)
    if params.material_budget_per_year is not None:
        total_mat = float(flat.material[t].sum())
        extra_mat = flat.material[best] - flat.material[t]
        material_forced = forced & (
            total_mat + extra_mat > params.material_budget_per_year * (1 + 1e-9) + 1e-6
        )
    fill_forced = np.zeros(n, bool)
    floor_of = np.full(n, np.nan)
    crit = _part_weights(options)[0]
    for code, floor in (params.min_fill_rate_by_criticality or {}).items():
        share = _class_weights(options, code)
        member = share > 0
        if not member.any():
            continue
        reached = float(share @ flat.fill[t])
        after = reached - share * (flat.fill[t] - flat.fill[best])
        fill_forced |= forced & member & (after < floor - 1e-9)
        floor_of[member] = floor
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
        if material_forced[i]:
            limit = float(params.material_budget_per_year or 0.0)
            by.append(f"the material budget {_money(limit, params)}/yr")
        if fill_forced[i]:
            by.append(f"the {crit[i]} fill floor {floor_of[i]:.1%}")
        if cap_forced[i]:
            by.append(f"printer {printers[jb[i]]} capacity")
        who = " and ".join(by) if by else "the plan's limits together"
        return (
            f"; {who} ruled out {best_label[i]} "
            f"({_money(float(flat.cost[best[i]]), params)}/yr)"
        )

    overrun = np.zeros(n, bool)
    jt = flat.printer[t]
    t_print = np.zeros(n)
    if len(printers) and weekly_hours is not None:
        jt0 = np.maximum(jt, 0)
        t_print = np.nan_to_num(options.print_time_h[np.arange(n), jt0])
        overrun = (jt >= 0) & (t_print > weekly_hours[jt0])

    def overrun_text(i: int) -> str:
        if not overrun[i]:
            return ""
        pid = printers[jt[i]]
        return (
            f"; one print takes {t_print[i]:,.1f} h, more than {pid}'s "
            f"{weekly_hours[jt[i]]:g} h/week, so it runs over into the next week"
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

    return np.array(
        [text(i) + forced_text(i) + overrun_text(i) for i in range(n)], dtype=object
    )


def solve_sourcing(
    options: SourcingOptions, printers: Sequence[Printer], params: SourcingParams
) -> SourcingPlan:
    """Pick one option per part at least expected annual cost (PuLP MILP).

    Constraints: exactly one option per part; each printer's yearly hours at most
    ``hours_available_per_year x max_utilisation_frac`` (weekly hours enter
    through the yearly ones; a print longer than a week's hours is allowed and
    its reason says it runs over); total investment at most ``params.budget``,
    printing material spend at most ``params.material_budget_per_year`` and the
    demand-weighted expected fill rate of each criticality at least
    ``params.min_fill_rate_by_criticality`` when given. HiGHS solves the arrays
    directly (highspy); CBC goes through PuLP (:func:`build_sourcing_model`).

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
        If no plan meets the limits (the message says which binds and by how
        much: the hours a printer is short, the fill floor a criticality cannot
        reach and by how many points, the material budget's or the investment
        budget's shortfall against the least any plan needs, or the shortfalls
        of the limits together), or the solver stops at its time limit before
        it finds any plan (``status`` ``"Not Solved"``; the message names the
        time limit).
    PlannerError
        If a printer of ``options`` is missing from ``printers``.

    Warns
    -----
    PlannerWarning
        When the time limit stops the solver with a feasible but unproven plan
        (the plan's ``status`` is then ``"Feasible"`` and ``status_detail`` gives
        the proven gap).

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
    weekly = _printer_hours(options, printers)[1]
    t0 = time.perf_counter()
    if n == 0:
        return _empty_plan(options, capacity, params)
    flat, model = _model_for(options, printers, params)
    build_s = time.perf_counter() - t0
    status, sol_status, solve_s = _run(model, params)
    if status != "Optimal":
        raise InfeasibleError(
            "no sourcing plan: "
            + _diagnose(flat, model.keep, options, capacity, params, status, solve_s),
            status=status,
        )
    plan_status, detail = "Optimal", ""
    if sol_status == pulp.LpSolutionIntegerFeasible:
        plan_status, detail = "Feasible", _time_limit_text(model, params)
        warnings.warn(PlannerWarning(detail), stacklevel=2)
    chosen = model.keep[_chosen(model, n)]
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
        reason=_reasons(flat, chosen, options, used, capacity, params, weekly).astype(
            str
        ),
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
        material_cost=flat.material[chosen],
        expected_fill_rate=_weighted_fill(options, flat.fill[chosen]),
        fill_rate_by_criticality=_fill_by_criticality(options, flat.fill[chosen]),
        status_detail=detail,
    )


def _weighted_fill(options: SourcingOptions, fill: np.ndarray) -> float:
    """Demand-weighted expected fill rate of all parts (equal weights if no demand)."""
    w = _part_weights(options)[1]
    if w.sum() <= 0:
        w = np.ones_like(w)
    return float(w @ fill / w.sum()) if w.shape[0] else float("nan")


def _fill_by_criticality(options: SourcingOptions, fill: np.ndarray) -> dict:
    """Demand-weighted expected fill rate of each criticality present."""
    crit = _part_weights(options)[0]
    return {
        str(code): float(_class_weights(options, str(code)) @ fill)
        for code in np.unique(crit[crit != ""])
    }


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


# ---------------------------------------------------------------------- trade-offs


def solve_lp_relaxation(
    options: SourcingOptions, printers: Sequence[Printer], params: SourcingParams
) -> float:
    """The LP relaxation's optimum: a lower bound on any plan's cost [currency/year].

    The MILP of :func:`solve_sourcing` with the choice variables relaxed to
    [0, 1]; the gap of a plan is ``(plan.objective - bound) / bound``.

    Raises
    ------
    InfeasibleError
        If even the relaxation has no solution.
    PlannerError
        If a printer of ``options`` is missing from ``printers``.
    """
    if options.n_parts == 0:
        _capacity_hours(options, printers, params)
        return 0.0
    capacity = _capacity_hours(options, printers, params)
    flat = _flatten(options)
    keep = _undominated(flat, options.n_parts, len(options.printer_id))
    model = _arrays(flat, keep, options, capacity, params, integer=False)
    status, _, _ = _run(model, params)
    if status != "Optimal":
        raise InfeasibleError(
            f"the LP relaxation of the sourcing model has no solution (status "
            f"{status!r})",
            status=status,
        )
    return float(model.flat.cost @ model.state["x"][: model.n_options])


def _sweep_row(
    options: SourcingOptions, flat: _FlatOptions, chosen: np.ndarray
) -> dict[str, Any]:
    """Totals of the plan that picks ``chosen`` (indices into ``flat``)."""
    cost = float(flat.cost[chosen].sum())
    return {
        "objective": cost,
        "investment": float(flat.investment[chosen].sum()),
        "fill_rate": _weighted_fill(options, flat.fill[chosen]),
        "n_printed": int(np.sum(flat.printer[chosen] >= 0)),
        "material_cost_per_year": float(flat.material[chosen].sum()),
        "savings": float(np.nansum(options.cost[:, 0])) - cost,
    }


_NO_PLAN = {
    "objective": float("nan"),
    "investment": float("nan"),
    "fill_rate": float("nan"),
    "n_printed": 0,
    "material_cost_per_year": float("nan"),
    "savings": float("nan"),
}


def sweep_budget(
    options: SourcingOptions,
    printers: Sequence[Printer],
    params: SourcingParams,
    budgets: Sequence[float | None],
) -> list[dict[str, Any]]:
    """The cost-availability frontier: the optimal plan at each investment budget.

    The model is built once; each budget changes the right-hand side of its row
    and, with HiGHS, re-solves from the previous plan (budgets are solved from
    the smallest up, so that plan stays feasible).

    Parameters
    ----------
    options, printers, params
        As in :func:`solve_sourcing`; ``params.budget`` is ignored.
    budgets
        Investment budgets [currency]; ``None`` for no limit.

    Returns
    -------
    list of dict
        One row per budget, in the order given: ``budget``, ``status``
        (``"Optimal"``, ``"Feasible"`` when the time limit stopped the solver, or
        the solver's status when there is no plan), ``objective``
        [currency/year], ``investment`` [currency], ``fill_rate`` (demand-weighted
        expected fill rate) [0-1], ``n_printed``, ``material_cost_per_year``
        [currency/year], ``savings`` against the all-buy baseline
        [currency/year], ``solve_time_s`` [s] and ``explanation`` (why there is
        no plan, as in :class:`InfeasibleError`; ``""`` where there is one).
        Figures are ``nan`` where there is no plan.

    Raises
    ------
    PlannerError
        If a budget is negative or not finite, or a printer of ``options`` is
        missing from ``printers``.

    Examples
    --------
    >>> import numpy as np
    >>> from planner.printers import Printer
    >>> p1 = Printer(printer_id="P1", build_x_mm=200, build_y_mm=200, build_z_mm=200,
    ...              hourly_rate=1.0, hours_available_per_week=40, materials=("PETG",))
    >>> cost = np.full((1, 4, 1), np.nan); cost[0, 1, 0] = 80.0
    >>> opts = SourcingOptions.from_arrays(part_id=["A-1"], printer_id=["P1"],
    ...     buy_cost=np.array([100.0]), buy_investment=np.array([300.0]),
    ...     cost_by_printer=cost, printer_hours_by_printer=np.zeros((1, 4, 1)),
    ...     investment_by_printer=np.full((1, 4, 1), 400.0),
    ...     print_unit_cost=np.array([[5.0]]))
    >>> rows = sweep_budget(opts, [p1], SourcingParams(), [100.0, 300.0, 500.0])
    >>> [(r["status"], r["objective"]) for r in rows]
    [('Infeasible', nan), ('Optimal', 100.0), ('Optimal', 80.0)]
    """
    values: list[float | None] = []
    for b in budgets:
        if b is None or (isinstance(b, float) and math.isinf(b) and b > 0):
            values.append(None)
            continue
        if not (math.isfinite(float(b)) and float(b) >= 0):
            raise PlannerError(
                f"sweep_budget: budgets must be finite numbers >= 0 or None, got {b!r}"
            )
        values.append(float(b))
    capacity = _capacity_hours(options, printers, params)
    n = options.n_parts
    rows: list[dict[str, Any]] = [{} for _ in values]
    if n == 0:
        return [
            {"budget": b, "status": "Optimal", **_sweep_row(options, _EMPTY, _NONE)}
            | {"solve_time_s": 0.0, "explanation": ""}
            for b in values
        ]
    flat = _flatten(options)
    keep = _undominated(flat, n, len(options.printer_id))
    base = replace(params, budget=0.0)
    model = _arrays(flat, keep, options, capacity, base)
    row = n + model.row_names.index("budget")
    order = sorted(
        range(len(values)), key=lambda i: math.inf if values[i] is None else values[i]
    )
    for i in order:
        b = values[i]
        model.row_upper[row] = math.inf if b is None else b
        status, sol_status, secs = _run(model, params)
        head = {"budget": b}
        if status == "Optimal":
            chosen = keep[_chosen(model, n)]
            feasible = sol_status == pulp.LpSolutionIntegerFeasible
            rows[i] = {
                **head,
                "status": "Feasible" if feasible else "Optimal",
                **_sweep_row(options, flat, chosen),
                "solve_time_s": secs,
                "explanation": _time_limit_text(model, params) if feasible else "",
            }
        else:
            model.state.pop("x", None)
            why = _diagnose(
                flat, keep, options, capacity, replace(params, budget=b), status, secs
            )
            rows[i] = {
                **head,
                "status": status,
                **_NO_PLAN,
                "solve_time_s": secs,
                "explanation": why,
            }
    return rows


_EMPTY = _FlatOptions(
    part=np.zeros(0, np.int64),
    mode=np.zeros(0, np.int64),
    printer=np.zeros(0, np.int64),
    cost=np.zeros(0),
    hours=np.zeros(0),
    investment=np.zeros(0),
    fill=np.zeros(0),
    material=np.zeros(0),
)
_NONE = np.zeros(0, np.int64)


def with_printer_copies(
    options: SourcingOptions,
    printers: Sequence[Printer],
    printer_id: str,
    count: int,
) -> tuple[SourcingOptions, list[Printer]]:
    """The options and printers with ``count`` identical copies of one printer.

    Copies after the first are named ``"<printer_id>#2"``, ``"#3"``, ...; ``count``
    0 removes the printer. Each copy has the original's hours, so the options'
    figures on it are the original's.

    Raises
    ------
    PlannerError
        If ``printer_id`` is not among the options' printers or ``count < 0``.
    """
    ids = list(options.printer_id)
    if printer_id not in ids:
        raise PlannerError(
            f"with_printer_copies: printer_id must be one of {ids}, got {printer_id!r}"
        )
    if int(count) != count or count < 0:
        raise PlannerError(f"with_printer_copies: count must be >= 0, got {count!r}")
    by_id = {pr.printer_id: pr for pr in printers}
    _printer_hours(options, printers)
    j = ids.index(printer_id)
    cols = [c for c in range(len(ids)) if c != j] + [j] * int(count)
    new_ids = [ids[c] for c in cols if c != j] + [
        printer_id if k == 0 else f"{printer_id}#{k + 1}" for k in range(int(count))
    ]
    new_printers = [
        by_id[ids[c]] if c != j else replace(by_id[printer_id], printer_id=new_ids[pos])
        for pos, c in enumerate(cols)
    ]
    pick = np.array(cols, np.int64)
    mat3 = (
        np.zeros_like(options.cost_by_printer)
        if options.material_cost_by_printer is None
        else options.material_cost_by_printer
    )
    out = SourcingOptions.from_arrays(
        part_id=options.part_id,
        printer_id=new_ids,
        buy_cost=options.cost[:, 0],
        buy_investment=options.investment[:, 0],
        buy_base_stock_level=options.base_stock_level[:, 0],
        buy_fill_rate=options.fill_rate[:, 0],
        cost_by_printer=options.cost_by_printer[:, :, pick],
        printer_hours_by_printer=options.printer_hours_by_printer[:, :, pick],
        investment_by_printer=options.investment_by_printer[:, :, pick],
        base_stock_level_by_printer=options.base_stock_level_by_printer[:, :, pick],
        fill_rate_by_printer=options.fill_rate_by_printer[:, :, pick],
        material_cost_by_printer=mat3[:, :, pick],
        print_unit_cost=options.print_unit_cost[:, pick],
        print_time_h=options.print_time_h[:, pick],
        print_lead_time_days=options.print_lead_time_days[:, pick],
        infeasible_reason=options.infeasible_reason,
        criticality=options.criticality,
        demand_per_year=options.demand_per_year,
    )
    return out, new_printers


def sweep_printer_count(
    options: SourcingOptions,
    printers: Sequence[Printer],
    params: SourcingParams,
    printer_id: str,
    counts: Sequence[int],
) -> list[dict[str, Any]]:
    """The optimal plan with 0, 1, 2, ... copies of one printer ("add a printer").

    Returns
    -------
    list of dict
        One row per count, in the order given: ``printer_id``, ``count`` and the
        keys of :func:`sweep_budget` (``budget`` is ``params.budget``).

    Raises
    ------
    PlannerError
        If ``printer_id`` is not among the options' printers or a count is < 0.
    """
    rows = []
    for count in counts:
        opts, prs = with_printer_copies(options, printers, printer_id, count)
        head = {"printer_id": printer_id, "count": int(count), "budget": params.budget}
        try:
            plan = solve_sourcing(opts, prs, params)
        except InfeasibleError as err:
            rows.append(
                {
                    **head,
                    "status": err.status or "Infeasible",
                    **_NO_PLAN,
                    "solve_time_s": float("nan"),
                    "explanation": str(err).removeprefix("no sourcing plan: "),
                }
            )
            continue
        rows.append(
            {
                **head,
                "status": plan.status,
                "objective": plan.objective,
                "investment": plan.total_investment,
                "fill_rate": plan.expected_fill_rate,
                "n_printed": plan.n_printed,
                "material_cost_per_year": plan.material_cost_per_year,
                "savings": plan.savings,
                "solve_time_s": plan.solve_time_s,
                "explanation": "",
            }
        )
    return rows


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
    ([{printer_id, capacity_hours, used_hours}]), status, status_detail (why a
    plan is only ``"Feasible"``, else ``""``), solve_time_s and n_parts_by_mode
    (every mode, 0 where unused).
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
        "status_detail": plan.status_detail,
        "solve_time_s": float(plan.solve_time_s),
        "n_parts_by_mode": by_mode,
    }
