"""The planner end to end: catalog -> demand -> policy -> print estimates -> sourcing
-> print queue, and the inputs of a what-if simulation.

The CLI and the app both call these functions, so every number the app shows can be
had from the command line.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from planner.catalog import Catalog, Part
from planner.demand import DemandEstimate, estimate_demand
from planner.errors import GeometryError, PlannerError, PlannerWarning
from planner.frontier import Allocation, Frontier, budget_frontier
from planner.geometry import Mesh, MeshProperties, analyse_mesh, load_stl
from planner.lotsizing import rq_policy
from planner.orientation import choose_orientation, rest_on_bed
from planner.policy import (
    OutageProcess,
    PolicyKind,
    base_stock_policy,
    evaluate_levels,
)
from planner.print_queue import PrintQueue, build_queue
from planner.printers import Material, Printer
from planner.scenarios import (
    PartDisruption,
    Scenario,
    SimulationPlan,
    part_disruption,
)
from planner.slicing import PrintEstimate, estimate_print
from planner.sourcing import (
    Mode,
    SourcingOptions,
    SourcingParams,
    SourcingPlan,
    build_options,
    solve_sourcing,
    sweep_budget,
)
from planner.units import G_PER_KG, SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True, kw_only=True)
class PartArrays:
    """Catalog columns the kernels need, as arrays aligned with the parts."""

    part_id: np.ndarray
    unit_cost: np.ndarray
    lead_time_days: np.ndarray
    holding_rate: np.ndarray
    order_cost: np.ndarray
    target_fill_rate: np.ndarray
    downtime_cost_per_day: np.ndarray
    on_hand: np.ndarray
    on_order: np.ndarray
    criticality: np.ndarray
    supplier: np.ndarray
    supplier_region: np.ndarray
    am_material: np.ndarray

    @classmethod
    def from_parts(cls, parts: Sequence[Part]) -> PartArrays:
        """Collect the columns of ``parts`` into arrays (one pass over the records)."""

        def col(getter, dtype=float) -> np.ndarray:
            return np.fromiter(
                (getter(p) for p in parts), dtype=dtype, count=len(parts)
            )

        def scol(getter) -> np.ndarray:
            return np.array([getter(p) for p in parts], dtype=object).astype(str)

        return cls(
            part_id=scol(lambda p: p.part_id),
            unit_cost=col(lambda p: p.unit_cost),
            lead_time_days=col(lambda p: p.lead_time_days),
            holding_rate=col(lambda p: p.holding_rate),
            order_cost=col(lambda p: p.order_cost),
            target_fill_rate=col(lambda p: p.fill_rate_target),
            downtime_cost_per_day=col(
                lambda p: (
                    np.nan
                    if p.downtime_cost_per_day is None
                    else p.downtime_cost_per_day
                )
            ),
            on_hand=col(lambda p: p.on_hand),
            on_order=col(lambda p: p.on_order),
            criticality=scol(lambda p: str(p.criticality)),
            supplier=scol(lambda p: p.supplier),
            supplier_region=scol(lambda p: p.supplier_region),
            am_material=scol(lambda p: p.am_material),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyResult:
    """Stock policy of every part under one or more scenarios, with its demand.

    ``columns`` holds policy.csv's columns as arrays aligned with the parts;
    ``rows`` gives the same as one plain dict per part (JSON-ready).
    """

    parts: tuple[Part, ...]
    demand: DemandEstimate
    scenario_name: str
    columns: dict[str, np.ndarray]

    @property
    def rows(self) -> list[dict]:
        """One dict per part with plain Python values, in catalog order."""
        return _rows(self.columns, len(self.parts))


def compute_policy(
    catalog: Catalog,
    scenario: Scenario | Sequence[Scenario] | None = None,
    *,
    demand: DemandEstimate | None = None,
) -> PolicyResult:
    """Base-stock policy of every part, sized against the scenarios' outages.

    ``random_outages`` in a scenario give the just-in-case level (the smallest S
    meeting the fill-rate floor under the outage process); ``supplier_outage``
    windows give the stock that rides through the window; lead-time multipliers
    and demand surges scale lead time and demand. With several scenarios each part
    is sized for the one that needs the most stock (as the sourcing model does),
    and ``sized_for`` names it.
    Today's stock is compared with the target: ``current_level`` is the
    catalog's ``current_reorder_point`` + 1 where given, else the stock position
    (on hand + on order, which a one-for-one system keeps at S);
    ``current_fill_rate`` is the fill rate that level delivers under the same
    demand and outage model, ``fill_rate_gap`` its shortfall from the target.
    ``annual_cost`` is holding + expected downtime + ordering cost per year; the
    purchase cost of consumed units does not depend on the policy and is left out.
    """
    parts = catalog.parts
    demand = demand if demand is not None else estimate_demand(parts, catalog.history)
    if scenario is None or isinstance(scenario, Scenario):
        scenarios: list[Scenario | None] = [scenario]
    else:
        scenarios = list(scenario) or [None]
    arr = PartArrays.from_parts(parts)
    current_rop = np.array(
        [
            np.nan if p.current_reorder_point is None else p.current_reorder_point
            for p in parts
        ],
        dtype=float,
    )
    has_rop = ~np.isnan(current_rop)
    # today's base-stock level: the system's reorder point + 1, else the stock
    # position (on hand + on order), which a one-for-one system keeps at S
    current_level = np.where(has_rop, current_rop + 1, arr.on_hand + arr.on_order)
    lot_rows = np.flatnonzero(
        (arr.order_cost > 0) | np.array([p.lot_size is not None for p in parts])
    )
    lot_size = np.array(
        [np.nan if parts[i].lot_size is None else parts[i].lot_size for i in lot_rows]
    )
    runs = []
    for sc in scenarios:
        disruption = part_disruption(parts, sc)
        demand_per_year = demand.demand_per_year * disruption.demand_factor
        lead = arr.lead_time_days * disruption.lead_time_factor
        policy = base_stock_policy(
            demand_per_year=demand_per_year,
            lead_time_days=lead,
            unit_cost=arr.unit_cost,
            holding_rate=arr.holding_rate,
            target_fill_rate=arr.target_fill_rate,
            downtime_cost_per_day=arr.downtime_cost_per_day,
            outage=disruption.outage,
            ride_through_days=disruption.ride_through_days,
            variance_to_mean=demand.variance_to_mean,
        )
        current_fill, _ = evaluate_levels(
            current_level,
            demand_per_year=demand_per_year,
            lead_time_days=lead,
            outage=disruption.outage,
            variance_to_mean=demand.variance_to_mean,
        )
        cols = {
            "policy": np.full(len(parts), PolicyKind.BASE_STOCK.value, dtype=object),
            "reorder_point": policy.reorder_point,
            "order_up_to": policy.order_up_to,
            "order_quantity": np.ones(len(parts), dtype=np.int64),
            "safety_stock": policy.safety_stock,
            "fill_rate": policy.fill_rate,
            "expected_backorders": policy.expected_backorders,
            "expected_on_hand": policy.expected_on_hand,
            "annual_holding_cost": policy.annual_holding_cost,
            "annual_downtime_cost": policy.annual_downtime_cost,
            "annual_order_cost": arr.order_cost * demand_per_year,
            "binding": policy.binding.astype(object),
            "order_up_to_normal": policy.base_stock_level_normal,
            "demand_per_year": demand_per_year,
            "lead_time_days": lead,
            "current_fill_rate": current_fill,
        }
        if lot_rows.size:
            _apply_lot_sizing(cols, lot_rows, lot_size, arr, demand, disruption)
        runs.append(cols)
    levels = np.stack([run["order_up_to"] for run in runs])
    pick = np.argmax(levels, axis=0)  # first scenario among equals
    chosen = {
        name: (
            np.choose(pick, np.stack([run[name] for run in runs]))
            if len(runs) > 1
            else runs[0][name]
        )
        for name in runs[0]
    }
    names = np.array([sc.name if sc is not None else "baseline" for sc in scenarios])
    annual = (
        chosen["annual_holding_cost"]
        + chosen["annual_downtime_cost"]
        + chosen["annual_order_cost"]
    )
    level = chosen["order_up_to"]
    jic_units = level - chosen["order_up_to_normal"]
    position = arr.on_hand + arr.on_order
    to_order = np.where(
        chosen["reorder_point"] >= position, np.maximum(level - position, 0), 0
    )
    current_fill = chosen["current_fill_rate"]
    columns = {
        "part_id": arr.part_id,
        "description": np.array([p.description for p in parts], dtype=object),
        "criticality": arr.criticality,
        "policy": chosen["policy"],
        "reorder_point": chosen["reorder_point"],
        "order_up_to": level,
        "order_quantity": chosen["order_quantity"],
        "safety_stock": chosen["safety_stock"],
        "fill_rate": chosen["fill_rate"],
        "target_fill_rate": arr.target_fill_rate,
        "expected_backorders": chosen["expected_backorders"],
        "expected_on_hand": chosen["expected_on_hand"],
        "annual_holding_cost": chosen["annual_holding_cost"],
        "annual_downtime_cost": chosen["annual_downtime_cost"],
        "annual_order_cost": chosen["annual_order_cost"],
        "annual_cost": annual,
        "demand_per_year": chosen["demand_per_year"],
        "demand_source": demand.source,
        "demand_method": demand.method,
        "demand_class": demand.demand_class,
        "lead_time_days": chosen["lead_time_days"],
        "binding": chosen["binding"],
        "order_up_to_normal": chosen["order_up_to_normal"],
        "just_in_case_units": jic_units,
        "just_in_case_investment": jic_units * arr.unit_cost,
        "on_hand": arr.on_hand,
        "on_order": arr.on_order,
        "to_order": to_order,
        "investment": level * arr.unit_cost,
        "sized_for": names[pick],
        "current_level": current_level,
        "current_level_source": np.where(has_rop, "reorder_point", "stock_position"),
        "current_fill_rate": current_fill,
        "fill_rate_gap": np.maximum(arr.target_fill_rate - current_fill, 0.0),
    }
    return PolicyResult(
        parts=parts,
        demand=demand,
        scenario_name=" / ".join(str(n) for n in names),
        columns=columns,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetResult:
    """The budget frontier of a catalog and the best allocation at a budget."""

    frontier: Frontier
    allocation: Allocation | None
    columns: dict[str, np.ndarray]

    @property
    def rows(self) -> list[dict]:
        """One dict per part: the allocated level and its figures."""
        return _rows(self.columns, len(self.columns["part_id"]))

    def frontier_rows(self) -> list[dict]:
        """The frontier's points as rows (investment, EBO, fill rate, downtime)."""
        f = self.frontier
        return _rows(
            {
                "investment": f.investment,
                "total_expected_backorders": f.total_ebo,
                "fill_rate": f.fill_rate,
                "expected_downtime_cost": f.expected_downtime_cost,
                "n_units": f.n_units,
            },
            len(f.investment),
        )


def budget_allocation(
    catalog: Catalog,
    budget: float | None,
    *,
    scenario: Scenario | None = None,
    objective: str = "backorders",
    demand: DemandEstimate | None = None,
    max_points: int = 400,
) -> BudgetResult:
    """Sherbrooke's marginal analysis over all parts, and the allocation at ``budget``.

    The frontier starts from no stock and buys, unit by unit, the largest
    reduction of expected backorders (or of expected downtime cost, with
    ``objective="downtime_cost"``) per euro; every point is the best use of its
    own investment. The allocation is the last frontier point within the budget,
    with each part's level beside the level its fill-rate target asks for.
    Demand, lead times and outages come from ``scenario`` as in
    :func:`compute_policy` (base-stock, one-for-one replenishment).
    """
    parts = catalog.parts
    demand = demand if demand is not None else estimate_demand(parts, catalog.history)
    arr = PartArrays.from_parts(parts)
    disruption = part_disruption(parts, scenario)
    demand_per_year = demand.demand_per_year * disruption.demand_factor
    lead = arr.lead_time_days * disruption.lead_time_factor
    frontier = budget_frontier(
        demand_per_year=demand_per_year,
        lead_time_days=lead,
        unit_cost=arr.unit_cost,
        downtime_cost_per_day=arr.downtime_cost_per_day,
        variance_to_mean=demand.variance_to_mean,
        outage=disruption.outage,
        objective=objective,
        max_points=max_points,
    )
    allocation = frontier.allocation_at(budget) if budget is not None else None
    target_policy = compute_policy(catalog, scenario, demand=demand).columns
    columns: dict[str, np.ndarray] = {
        "part_id": arr.part_id,
        "criticality": arr.criticality,
        "target_fill_rate": arr.target_fill_rate,
        "order_up_to_target": target_policy["order_up_to"],
        "fill_rate_target_level": target_policy["fill_rate"],
    }
    if allocation is not None:
        columns |= {
            "base_stock_level": allocation.base_stock_level,
            "fill_rate": allocation.fill_rate_by_part,
            "expected_backorders": allocation.expected_backorders,
            "investment": allocation.base_stock_level * arr.unit_cost,
        }
    return BudgetResult(frontier=frontier, allocation=allocation, columns=columns)


def _apply_lot_sizing(
    cols: dict[str, np.ndarray],
    rows: np.ndarray,
    lot_size: np.ndarray,
    arr: PartArrays,
    demand: DemandEstimate,
    disruption: PartDisruption,
) -> None:
    """Replace the base-stock figures of ``rows`` by exact (r, Q) policies, in place.

    Parts with an order cost or a given lot size are replenished in lots: (r, Q)
    under the scenario's outages, and without them for the just-in-case
    difference. A known outage window is not applied to lot-sized parts.
    """
    outage = disruption.outage
    sub = OutageProcess(
        rate_per_year=np.asarray(outage.rate_per_year, float)[rows],
        duration_days=np.asarray(outage.duration_days, float)[rows],
        exponential=np.asarray(outage.exponential, bool)[rows],
    )
    common = {
        "demand_per_year": cols["demand_per_year"][rows],
        "lead_time_days": cols["lead_time_days"][rows],
        "unit_cost": arr.unit_cost[rows],
        "holding_rate": arr.holding_rate[rows],
        "order_cost": arr.order_cost[rows],
        "target_fill_rate": arr.target_fill_rate[rows],
        "downtime_cost_per_day": arr.downtime_cost_per_day[rows],
        "lot_size": lot_size,
        "variance_to_mean": demand.variance_to_mean[rows],
    }
    lot = rq_policy(**common, outage=sub)
    normal = rq_policy(**common) if np.any(sub.rate_per_year > 0) else lot
    updates = {
        "policy": PolicyKind.REORDER_POINT_LOT.value,
        "reorder_point": lot.reorder_point,
        "order_up_to": lot.order_up_to,
        "order_quantity": lot.order_quantity,
        "safety_stock": lot.safety_stock,
        "fill_rate": lot.fill_rate,
        "expected_backorders": lot.expected_backorders,
        "expected_on_hand": lot.expected_on_hand,
        "annual_holding_cost": lot.annual_holding_cost,
        "annual_downtime_cost": lot.annual_downtime_cost,
        "annual_order_cost": lot.annual_order_cost,
        "binding": lot.binding,
        "order_up_to_normal": normal.order_up_to,
    }
    for name, value in updates.items():
        column = cols[name].copy()
        column[rows] = value
        cols[name] = column


def policy_totals(columns: dict[str, np.ndarray]) -> dict[str, float]:
    """Headline totals of a policy (``PolicyResult.columns``).

    Stock investment and just-in-case investment [currency], annual cost
    [currency/year], and the number of parts holding just-in-case stock, to order
    now, and below their fill-rate target today.
    """
    return {
        "investment": float(np.sum(columns["investment"])),
        "just_in_case_investment": float(np.sum(columns["just_in_case_investment"])),
        "n_just_in_case": int(np.sum(np.asarray(columns["just_in_case_units"]) > 0)),
        "annual_cost": float(np.sum(columns["annual_cost"])),
        "n_to_order": int(np.sum(np.asarray(columns["to_order"]) > 0)),
        "n_below_target": int(np.sum(np.asarray(columns["fill_rate_gap"]) > 0)),
    }


def queue_totals(queue: PrintQueue) -> dict[str, float]:
    """Headline totals of a print queue.

    Jobs packed on one plate share its print time, so printer hours are summed
    per plate, not per job; filament [kg] and cost [currency] per job.
    """
    jobs = queue.jobs
    plate_seconds = {job.plate_id: job.print_time_s for job in jobs}
    return {
        "jobs": len(jobs),
        "plates": len(plate_seconds),
        "printers": len({job.printer_id for job in jobs}),
        "print_hours": float(sum(plate_seconds.values()) / SECONDS_PER_HOUR),
        "filament_kg": float(sum(job.filament_g for job in jobs) / G_PER_KG),
        "cost": float(sum(job.cost for job in jobs)),
        "late_jobs": sum(job.end > job.due for job in jobs),
    }


def _rows(columns: dict[str, np.ndarray], n: int) -> list[dict]:
    """Turn aligned column arrays into plain-Python row dicts (JSON-ready)."""
    lists = {k: np.asarray(v).tolist() for k, v in columns.items()}
    return [{k: lists[k][i] for k in columns} for i in range(n)]


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimateResult:
    """Print estimates of the printable parts on every printer that can make them."""

    estimates: dict[tuple[str, str], PrintEstimate]
    geometry: dict[str, MeshProperties]
    warnings: tuple[str, ...]
    orientation: dict[tuple[str, str], str] = field(default_factory=dict)
    rotation: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)


def estimate_parts(
    parts: Sequence[Part], printers: Sequence[Printer], materials: dict[str, Material]
) -> EstimateResult:
    """Estimate every printable part on each printer that runs its material and fits it.

    Each part is printed in its best orientation (:func:`choose_orientation`: the
    six axis-aligned ones and the largest flat face down, by support volume, then
    print time), chosen on the first printer that runs its material; another
    printer takes the best candidate that fits its build volume. A part whose STL
    cannot be read is reported in ``warnings`` and treated as not printable; it
    never stops the plan.
    """
    estimates: dict[tuple[str, str], PrintEstimate] = {}
    geometry: dict[str, MeshProperties] = {}
    orientation: dict[tuple[str, str], str] = {}
    rotation: dict[tuple[str, str], np.ndarray] = {}
    notes: list[str] = []
    for part in parts:
        if not part.printable or part.stl_path is None:
            continue
        material = materials.get(part.am_material.upper())
        if material is None:
            notes.append(
                f"part {part.part_id}: material {part.am_material!r} is not in the "
                f"materials table; treated as not printable"
            )
            continue
        runs = [pr for pr in printers if pr.runs(part.am_material)]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PlannerWarning)
                mesh = load_stl(part.stl_path, name=part.stl_file)
                topology = analyse_mesh(mesh)
                geometry[part.part_id] = topology.properties
                if not runs:
                    notes.append(
                        f"part {part.part_id}: no printer runs {part.am_material}"
                    )
                    continue
                first = runs[0]
                choice = choose_orientation(
                    mesh,
                    profile=first.profile,
                    material=material,
                    printer=first,
                    hourly_rate=first.hourly_rate,
                    topology=topology,
                )
        except GeometryError as exc:
            notes.append(f"part {part.part_id}: {exc}; treated as not printable")
            continue
        ranked = sorted(
            choice.candidates,
            key=lambda c: (
                c.label != choice.label,
                c.support_volume_mm3,
                c.estimate.print_time_s,
            ),
        )
        for printer in runs:
            cand = next(
                (
                    c
                    for c in ranked
                    if printer.fits((c.bbox_x_mm, c.bbox_y_mm, c.bbox_z_mm))
                ),
                None,
            )
            if cand is None:
                continue
            if printer is first and cand.label == choice.label:
                est = dataclasses.replace(
                    choice.estimate, printer_id=printer.printer_id, file=part.stl_file
                )
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", PlannerWarning)
                    est = estimate_print(
                        Mesh(
                            vectors=rest_on_bed(mesh.vectors, cand.rotation),
                            name=part.stl_file,
                        ),
                        profile=printer.profile,
                        material=material,
                        hourly_rate=printer.hourly_rate,
                        printer_id=printer.printer_id,
                        name=part.stl_file,
                    )
            estimates[(part.part_id, printer.printer_id)] = est
            orientation[(part.part_id, printer.printer_id)] = cand.label
            rotation[(part.part_id, printer.printer_id)] = cand.rotation
        if not any(key[0] == part.part_id for key in estimates):
            size = geometry[part.part_id].size_mm
            notes.append(
                f"part {part.part_id}: no printer runs {part.am_material} with a build "
                f"volume for {size[0]:.0f} x {size[1]:.0f} x {size[2]:.0f} mm in any "
                f"orientation"
            )
    return EstimateResult(
        estimates=estimates,
        geometry=geometry,
        orientation=orientation,
        rotation=rotation,
        warnings=tuple(notes),
    )


def estimate_rows(result: EstimateResult) -> list[dict]:
    """One row per (part, printer) estimate: layers, time, filament, cost, warnings.

    Geometry warnings of the part (open mesh, inverted normals, units) come first
    in ``warnings``; parts that could not be estimated are not listed (their
    reason is in ``result.warnings``).
    """
    rows = []
    geometries = getattr(result, "geometry", {})
    for (part_id, printer_id), est in result.estimates.items():
        geometry = geometries.get(part_id)
        notes = (geometry.warnings if geometry is not None else ()) + tuple(
            est.warnings
        )
        rows.append(
            {
                "part_id": part_id,
                "printer_id": printer_id,
                "file": est.file,
                "orientation": getattr(result, "orientation", {}).get(
                    (part_id, printer_id), ""
                ),
                "material": est.material,
                "triangles": est.triangles,
                "volume_mm3": est.volume_mm3,
                "bbox_x_mm": est.bbox_x_mm,
                "bbox_y_mm": est.bbox_y_mm,
                "bbox_z_mm": est.bbox_z_mm,
                "watertight": None if geometry is None else geometry.watertight,
                "layers": est.layers,
                "print_time_h": est.print_time_s / 3600.0,
                "filament_g": est.filament_g,
                "material_cost": est.material_cost,
                "machine_cost": est.machine_cost,
                "total_cost": est.total_cost,
                "warnings": "; ".join(dict.fromkeys(notes)),
            }
        )
    return rows


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanResult:
    """Everything `plan` produces, for the CLI writers and the app pages."""

    catalog: Catalog
    printers: tuple[Printer, ...]
    scenarios: tuple[Scenario, ...]
    policy: PolicyResult
    estimates: EstimateResult
    options: SourcingOptions
    sourcing: SourcingPlan
    queue: PrintQueue
    params: SourcingParams
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Everything the plan noticed but worked around."""
        return (
            tuple(self.catalog.warnings)
            + self.estimates.warnings
            + tuple(self.queue.warnings)
        )


def run_plan(
    catalog: Catalog,
    printers: Sequence[Printer],
    materials: dict[str, Material],
    *,
    scenarios: Sequence[Scenario] = (),
    params: SourcingParams | None = None,
    queue_start: datetime | None = None,
    queue_horizon_days: int = 90,
    estimates: EstimateResult | None = None,
) -> PlanResult:
    """Plan end to end: policy, print estimates, print-vs-stock MILP, print queue.

    ``estimates`` may carry print estimates already made for these parts and
    printers (see :func:`estimate_parts`), so that re-planning with another budget
    or scenario does not slice every STL again.

    Raises
    ------
    InfeasibleError
        If the sourcing model has no feasible plan (the message says what binds).
    """
    params = params if params is not None else SourcingParams()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    demand = estimate_demand(catalog.parts, catalog.history)
    first = scenarios[0] if scenarios else None
    policy = compute_policy(catalog, scenarios, demand=demand)
    timings["policy_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    est = (
        estimates
        if estimates is not None
        else estimate_parts(catalog.parts, printers, materials)
    )
    key = "estimate_s" if estimates is None else "estimate (cached)_s"
    timings[key] = time.perf_counter() - t0
    t0 = time.perf_counter()
    options = build_options(
        catalog.parts, demand, est.estimates, printers, params, scenarios=scenarios
    )
    sourcing = solve_sourcing(options, printers, params)
    timings["sourcing_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    start = queue_start if queue_start is not None else _next_morning()
    queue = build_queue(
        sourcing,
        catalog.parts,
        est.estimates,
        printers,
        start=start,
        horizon_days=queue_horizon_days,
        demand_per_year=demand.demand_per_year,
        scenario=first,
        rotations=est.rotation,
        materials=materials,
    )
    timings["queue_s"] = time.perf_counter() - t0
    return PlanResult(
        catalog=catalog,
        printers=tuple(printers),
        scenarios=tuple(scenarios),
        policy=policy,
        estimates=est,
        options=options,
        sourcing=sourcing,
        queue=queue,
        params=params,
        timings_s=timings,
    )


def budget_sweep(result: PlanResult, *, n_points: int = 12) -> list[dict]:
    """The cost-availability frontier of the plan: the optimum at a range of budgets.

    Budgets run from the least investment any plan needs (each part's cheapest
    feasible option in stock value, printer hours ignored) to the unconstrained
    plan's investment, plus no budget; a budget that capacity makes too small
    comes back with its explanation instead of figures.
    """
    if n_points < 2:
        raise PlannerError(f"n_points must be >= 2, got {n_points}")
    options = result.options
    feasible = np.isfinite(options.cost)
    least = float(np.nansum(np.min(np.where(feasible, options.investment, np.inf), 1)))
    invest = float(result.sourcing.total_investment)
    budgets: list[float | None] = [
        *np.ceil(np.linspace(least, max(invest, least), n_points)).tolist(),
        None,
    ]
    return sweep_budget(result.options, result.printers, result.params, budgets)


def _next_morning() -> datetime:
    """Tomorrow 08:00 local time, the default start of the print queue."""
    now = datetime.now()
    return datetime(now.year, now.month, now.day, 8, 0) + timedelta(days=1)


def simulation_plan(
    result: PlanResult,
    *,
    baseline: bool = False,
    assignment: dict[str, tuple[str, str]] | None = None,
) -> SimulationPlan:
    """The inputs of a what-if simulation for the plan (or the all-buy baseline).

    ``baseline=True`` gives every part ``buy_stock`` at its just-in-case base-stock
    level, the plant as it would run without printing. ``assignment`` (part_id ->
    (mode, printer_id), e.g. read back from a saved sourcing.csv) overrides the
    plan's choice for the parts it names; each option keeps the stock level the
    option tables computed for it.

    Raises
    ------
    PlannerError
        If ``assignment`` names a mode or printer that is not a feasible option
        for the part.
    """
    parts = result.catalog.parts
    arr = PartArrays.from_parts(parts)
    options = result.options
    n = len(parts)
    modes = [m.value for m in Mode]
    printer_index = {p: j for j, p in enumerate(options.printer_id)}
    if baseline:
        mode = np.full(n, Mode.BUY_STOCK.value, dtype=object)
        printer_id = np.full(n, "", dtype=object)
    else:
        mode = np.asarray(result.sourcing.mode, dtype=object).copy()
        printer_id = np.asarray(result.sourcing.printer_id, dtype=object).copy()
    if assignment:
        row_of = {pid: i for i, pid in enumerate(arr.part_id)}
        for pid, (m, printer) in assignment.items():
            i = row_of.get(pid)
            if i is None:
                continue
            ok = m in modes and (
                (m == Mode.BUY_STOCK.value and not printer)
                or (
                    printer in printer_index
                    and np.isfinite(
                        options.cost_by_printer[
                            i, modes.index(m), printer_index[printer]
                        ]
                    )
                )
            )
            if not ok:
                raise PlannerError(
                    f"part {pid}: the saved plan's mode {m!r} on printer "
                    f"{printer or '(none)'} is not a feasible option here"
                )
            mode[i], printer_id[i] = m, printer
    k = np.array([modes.index(m) for m in mode])
    j = np.array([printer_index.get(p, -1) for p in printer_id])
    has_printer = j >= 0
    jj = np.where(has_printer, j, 0)
    rows = np.arange(n)
    level = np.where(
        has_printer,
        options.base_stock_level_by_printer[rows, k, jj],
        options.base_stock_level[:, modes.index(Mode.BUY_STOCK)],
    )
    print_time_h = np.where(has_printer, options.print_time_h[rows, jj], 0.0)
    print_lead = np.where(has_printer, options.print_lead_time_days[rows, jj], 0.0)
    printed_units = np.isin(mode, [Mode.PRINT_STOCK.value, Mode.PRINT_ON_DEMAND.value])
    # Bought parts under an (r, Q) policy keep it in the simulation.
    cols = result.policy.columns
    lot_rows = (mode == Mode.BUY_STOCK.value) & (
        np.asarray(cols["policy"], dtype=object) == PolicyKind.REORDER_POINT_LOT.value
    )
    lot_size = np.where(lot_rows, np.asarray(cols["order_quantity"], float), np.nan)
    reorder_point = np.where(lot_rows, np.asarray(cols["reorder_point"], float), np.nan)
    daily_h = {p.printer_id: p.hours_available_per_week / 7.0 for p in result.printers}
    hours_of = np.array([daily_h.get(p, 0.0) for p in printer_id], dtype=float)
    post_h = np.array([p.post_process_hours for p in parts], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        post_days = np.where(hours_of > 0, post_h / hours_of, 0.0)
    unit_value = np.where(
        printed_units & has_printer, options.print_unit_cost[rows, jj], arr.unit_cost
    )
    return SimulationPlan(
        part_id=arr.part_id,
        demand_per_year=result.policy.demand.demand_per_year,
        variance_to_mean=result.policy.demand.variance_to_mean,
        base_stock_level=np.asarray(level, dtype=np.int64),
        initial_on_hand=None,  # each part starts in its steady state
        lead_time_days=arr.lead_time_days,
        unit_value=unit_value,
        downtime_cost_per_day=np.nan_to_num(arr.downtime_cost_per_day),
        mode=mode.astype(str),
        print_lead_time_days=np.nan_to_num(print_lead),
        print_time_h=np.nan_to_num(print_time_h),
        printer_id=printer_id.astype(str),
        material=arr.am_material,
        supplier=arr.supplier,
        supplier_region=arr.supplier_region,
        criticality=arr.criticality,
        reorder_point=reorder_point,
        lot_size=lot_size,
        post_process_days=np.nan_to_num(post_days),
        printer_hours_per_day=daily_h,
    )
