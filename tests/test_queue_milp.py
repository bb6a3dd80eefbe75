"""The print queue's schedule against a time-indexed MILP (PuLP + HiGHS).

On small instances with whole-hour print times, due dates, daily windows and
whole-day downtime and shortage windows, every event of an optimal schedule falls
on a whole hour (the objective only grows with completion times, so an optimal
schedule can be shifted left until each plate starts at the queue start, at a
window opening, at the end of a downtime or shortage, or at the end of the plate
before it, all whole hours). A model with one binary per plate and allowed start
hour is then exact, and is built here from the calendar's definition
(:class:`planner.print_queue.PrinterCalendar`'s docstring), not from its code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pulp
import pytest
from test_print_queue import EstimateStub, EventStub, PlanStub, ScenarioStub

from planner.catalog import Criticality, Part
from planner.print_queue import (
    EXACT_CALENDAR_MAX_PLATES,
    PrinterCalendar,
    build_queue,
    schedule_exact,
)
from planner.printers import Printer

START = datetime(2025, 3, 3, 8, 0, 0)  # a Monday, 08:00: windows open at t = 0
HOUR = 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    """Plates of several printers: hours, due hours, weights, materials, printer."""

    p_h: np.ndarray
    due_h: np.ndarray
    weight: np.ndarray
    material: np.ndarray
    printer: np.ndarray
    window_h: dict[int, float]
    down_h: dict[int, list[tuple[int, int]]]
    shortage_h: dict[str, list[tuple[int, int]]]


def allowed_starts(inst: Instance, j: int, horizon_h: int) -> list[int]:
    """Whole hours at which plate j may start, from the calendar's rules."""
    k = int(inst.printer[j])
    p = int(inst.p_h[j])
    out = []
    for t in range(horizon_h - p + 1):
        if t % 24 >= inst.window_h[k]:
            continue  # a plate starts only inside the daily window
        if any(a <= t < b for a, b in inst.shortage_h.get(str(inst.material[j]), [])):
            continue  # never starts during a shortage of its material
        if any(a < t + p and t < b for a, b in inst.down_h.get(k, [])):
            continue  # never overlaps a downtime of its printer
        out.append(t)
    return out


def milp_schedule(inst: Instance) -> tuple[float, float]:
    """Least weighted tardiness, then least weighted completion [h], by MILP."""
    n = inst.p_h.size
    busy = sum(b for spans in inst.down_h.values() for _, b in spans)
    short = sum(b for spans in inst.shortage_h.values() for _, b in spans)
    # any order placed as early as allowed ends by then: each plate waits at most
    # a day for its window, plus every downtime and shortage
    horizon_h = int(inst.p_h.sum()) + 24 * (n + 1) + busy + short
    prob = pulp.LpProblem("queue", pulp.LpMinimize)
    x = {
        (j, t): pulp.LpVariable(f"x_{j}_{t}", cat=pulp.LpBinary)
        for j in range(n)
        for t in allowed_starts(inst, j, horizon_h)
    }
    late = [pulp.LpVariable(f"late_{j}", lowBound=0) for j in range(n)]
    finish = [
        pulp.lpSum((t + int(inst.p_h[j])) * v for (i, t), v in x.items() if i == j)
        for j in range(n)
    ]
    for j in range(n):
        prob += pulp.lpSum(v for (i, _), v in x.items() if i == j) == 1
        prob += late[j] >= finish[j] - float(inst.due_h[j])
    running: dict[tuple[int, int], list[pulp.LpVariable]] = {}
    for (j, t), v in x.items():
        for hour in range(t, t + int(inst.p_h[j])):
            running.setdefault((int(inst.printer[j]), hour), []).append(v)
    for on in running.values():
        if len(on) > 1:
            prob += pulp.lpSum(on) <= 1  # one plate at a time on a printer
    tardiness = pulp.lpSum(float(inst.weight[j]) * late[j] for j in range(n))
    prob += tardiness
    solver = pulp.HiGHS(msg=False)
    assert pulp.LpStatus[prob.solve(solver)] == "Optimal"
    best = float(pulp.value(tardiness))
    prob += tardiness <= best + 1e-6 * (1.0 + best)
    prob.setObjective(pulp.lpSum(float(inst.weight[j]) * finish[j] for j in range(n)))
    assert pulp.LpStatus[prob.solve(solver)] == "Optimal"
    return best, float(pulp.value(prob.objective))


def random_instance(rng: np.random.Generator, n: int, n_printers: int) -> Instance:
    """Whole-hour plates on printers of 7..24 h a day with a downtime day each."""
    window = {k: float(rng.choice([7, 10, 14, 24])) for k in range(n_printers)}
    down = {}
    for k in range(n_printers):
        a = int(rng.integers(0, 3))
        down[k] = [(24 * a, 24 * (a + 1))]
    shortage = {"PLA": [(0, 24 * int(rng.integers(0, 2)))]}
    return Instance(
        p_h=rng.integers(1, 13, n).astype(float),
        due_h=rng.integers(2, 72, n).astype(float),
        weight=np.round(rng.uniform(1, 10, n), 3),
        material=np.where(rng.random(n) < 0.4, "PLA", "PETG"),
        printer=rng.integers(0, n_printers, n),
        window_h=window,
        down_h=down,
        shortage_h=shortage,
    )


def printer_of(k: int, window_h: float) -> Printer:
    """A printer whose daily window is ``window_h`` hours."""
    return Printer(
        printer_id=f"P{k}", build_x_mm=250.0, build_y_mm=210.0, build_z_mm=220.0,
        hourly_rate=1.0, hours_available_per_week=7.0 * window_h,
        materials=("PLA", "PETG"),
    )  # fmt: skip


def scenario_of(inst: Instance) -> ScenarioStub:
    """The instance's downtime and shortage windows as scenario events."""
    events = [
        EventStub(type="printer_down", printer_id=f"P{k}", start_day=a / 24,
                  duration_days=(b - a) / 24)
        for k, spans in inst.down_h.items()
        for a, b in spans
    ] + [
        EventStub(type="material_shortage", material=m, start_day=a / 24,
                  duration_days=(b - a) / 24)
        for m, spans in inst.shortage_h.items()
        for a, b in spans
        if b > a
    ]  # fmt: skip
    return ScenarioStub(events=tuple(events))


def exact_cost(inst: Instance) -> tuple[float, float]:
    """The product's exact schedule per printer, costs summed [h]."""
    scenario = scenario_of(inst)
    tard = comp = 0.0
    for k in sorted(set(inst.printer.tolist())):
        mine = np.flatnonzero(inst.printer == k)
        cal = PrinterCalendar.for_printer(
            printer_of(k, inst.window_h[k]), start=START, scenario=scenario
        )
        _, ends, placed = schedule_exact(
            cal, inst.p_h[mine] * HOUR, inst.due_h[mine] * HOUR,
            inst.weight[mine], inst.material[mine],
        )  # fmt: skip
        rows = mine[placed]
        ends_h = ends / HOUR
        tard += float(inst.weight[rows] @ np.maximum(ends_h - inst.due_h[rows], 0.0))
        comp += float(inst.weight[rows] @ ends_h)
    return tard, comp


@pytest.mark.parametrize("seed", range(6))
def test_exact_schedule_equals_milp_on_one_printer(seed):
    """Up to 6 plates on one printer with a daily window, a downtime day and a
    material shortage: the scheduler's weighted tardiness and then weighted
    completion equal the MILP optimum."""
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, EXACT_CALENDAR_MAX_PLATES + 1))
    inst = random_instance(rng, n, 1)
    tard, comp = exact_cost(inst)
    best_tard, best_comp = milp_schedule(inst)
    assert tard == pytest.approx(best_tard, abs=1e-5)
    assert comp == pytest.approx(best_comp, rel=1e-9, abs=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_exact_schedule_equals_milp_on_two_printers(seed):
    """Plates already assigned to two printers (as the sourcing plan assigns
    them): the joint MILP's optimum is the sum of the per-printer schedules."""
    rng = np.random.default_rng(200 + seed)
    inst = random_instance(rng, 6, 2)
    tard, comp = exact_cost(inst)
    best_tard, best_comp = milp_schedule(inst)
    assert tard == pytest.approx(best_tard, abs=1e-5)
    assert comp == pytest.approx(best_comp, rel=1e-9, abs=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_build_queue_schedule_equals_milp(seed):
    """End to end: one initial build per part, each filling its own plate, on a
    printer with weekly hours and a downtime day; the queue's weighted tardiness
    equals the MILP's on the queue's plates, due dates and priorities."""
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(3, EXACT_CALENDAR_MAX_PLATES + 1))
    window_h = float(rng.choice([10, 14]))
    printer = printer_of(0, window_h)
    down_day = int(rng.integers(0, 3))
    scenario = ScenarioStub(events=(
        EventStub(type="printer_down", printer_id="P0", start_day=down_day,
                  duration_days=1),
    ))  # fmt: skip
    crits = [Criticality.VITAL, Criticality.ESSENTIAL, Criticality.DESIRABLE]
    parts, estimates = [], {}
    for i in range(n):
        pid = f"M-{i}"
        parts.append(Part(
            part_id=pid, unit_cost=10.0, annual_demand=0.0, lead_time_days=10.0,
            stl_file=f"{pid}.stl", printable=True,
            criticality=crits[int(rng.integers(0, 3))],
            downtime_cost_per_day=float(rng.integers(0, 200)),
        ))  # fmt: skip
        estimates[(pid, "P0")] = EstimateStub(
            file=f"{pid}.stl", print_time_s=float(rng.integers(2, 14)) * HOUR,
            filament_g=10.0, total_cost=2.0, material="PETG", printer_id="P0",
            bbox_x_mm=200.0, bbox_y_mm=200.0, bbox_z_mm=10.0,
        )  # fmt: skip
    plan = PlanStub(
        part_id=np.array([p.part_id for p in parts]),
        mode=np.full(n, "print_stock"),
        printer_id=np.full(n, "P0"),
        base_stock_level=np.ones(n, dtype=int),
    )
    queue = build_queue(plan, parts, estimates, [printer], start=START,
                        horizon_days=30, scenario=scenario)  # fmt: skip
    assert len({j.plate_id for j in queue.jobs}) == n
    p_h = np.array([(j.end - j.start).total_seconds() / HOUR for j in queue.jobs])
    due_h = np.array([(j.due - START).total_seconds() / HOUR for j in queue.jobs])
    end_h = np.array([(j.end - START).total_seconds() / HOUR for j in queue.jobs])
    weight = np.array([j.priority for j in queue.jobs])
    assert np.allclose(p_h, np.round(p_h))
    assert np.allclose(due_h, np.round(due_h))
    inst = Instance(
        p_h=p_h, due_h=due_h, weight=weight, material=np.full(n, "PETG"),
        printer=np.zeros(n, dtype=int), window_h={0: window_h},
        down_h={0: [(24 * down_day, 24 * down_day + 24)]}, shortage_h={},
    )  # fmt: skip
    best_tard, _ = milp_schedule(inst)
    tard = float(weight @ np.maximum(end_h - due_h, 0.0))
    assert tard == pytest.approx(best_tard, abs=1e-5 * (1.0 + best_tard))
    assert math.isfinite(tard)
