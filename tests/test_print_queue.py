"""Tests for planner.print_queue: jobs, plates and the printer schedule."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from planner.catalog import Criticality, Part
from planner.errors import PlannerError
from planner.print_queue import (
    EXACT_MAX_PLATES,
    PLATE_SPACING_MM,
    JobKind,
    PrinterCalendar,
    PrintQueue,
    build_queue,
    copies_per_plate,
    job_priority,
    pack_plate,
    plate_layout,
    plate_print_time_s,
    resequence_queue,
    sequence_cost,
    sequence_plates,
)
from planner.printers import Printer

START = datetime(2025, 3, 3, 8, 0, 0)  # a Monday, 08:00
DAY = timedelta(days=1)


# Stand-ins for planner.sourcing.SourcingPlan, planner.slicing.PrintEstimate and
# planner.scenarios.Event/Scenario (same field names), so these tests do not
# depend on the other modules.
@dataclass(frozen=True, slots=True, kw_only=True)
class PlanStub:
    part_id: np.ndarray
    mode: np.ndarray
    printer_id: np.ndarray
    base_stock_level: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimateStub:
    file: str
    print_time_s: float
    filament_g: float
    total_cost: float
    material: str
    printer_id: str
    bbox_x_mm: float
    bbox_y_mm: float
    bbox_z_mm: float
    layers: int = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class EventStub:
    type: str
    supplier: str | None = None
    supplier_region: str | None = None
    criticality: str | None = None
    part_id: str | None = None
    printer_id: str | None = None
    material: str | None = None
    start_day: float | None = None
    duration_days: float | None = None
    rate_per_year: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioStub:
    name: str = "test"
    horizon_days: int = 365
    events: tuple[EventStub, ...] = ()


def make_part(part_id: str, **kw) -> Part:
    """A printable catalog part with test defaults."""
    fields = {
        "unit_cost": 20.0,
        "annual_demand": 0.0,
        "lead_time_days": 30.0,
        "stl_file": f"{part_id}.stl",
        "printable": True,
    }
    fields.update(kw)
    return Part(part_id=part_id, **fields)


def make_printer(printer_id: str, hours_per_week: float = 168.0, **kw) -> Printer:
    """A 250 x 210 x 220 mm PLA/PETG printer."""
    fields = {
        "build_x_mm": 250.0,
        "build_y_mm": 210.0,
        "build_z_mm": 220.0,
        "hourly_rate": 1.0,
        "hours_available_per_week": hours_per_week,
        "materials": ("PLA", "PETG"),
    }
    fields.update(kw)
    return Printer(printer_id=printer_id, **fields)


def make_estimate(part_id, printer_id, hours=2.0, size=(40.0, 30.0, 20.0), **kw):
    """A print estimate of ``hours`` per unit and bounding box ``size``."""
    fields = {
        "file": f"{part_id}.stl",
        "print_time_s": hours * 3600.0,
        "filament_g": 25.0,
        "total_cost": 3.5,
        "material": "PETG",
        "printer_id": printer_id,
        "bbox_x_mm": size[0],
        "bbox_y_mm": size[1],
        "bbox_z_mm": size[2],
    }
    fields.update(kw)
    return EstimateStub(**fields)


def make_plan(rows):
    """Plan from (part_id, mode, printer_id, base_stock_level) rows."""
    cols = list(zip(*rows, strict=True))
    return PlanStub(
        part_id=np.array(cols[0]),
        mode=np.array(cols[1]),
        printer_id=np.array(cols[2]),
        base_stock_level=np.array(cols[3], dtype=int),
    )


def by_printer(queue: PrintQueue) -> dict[str, list]:
    """Jobs per printer in sequence order."""
    out: dict[str, list] = {}
    for job in queue.jobs:
        out.setdefault(job.printer_id, []).append(job)
    return {k: sorted(v, key=lambda j: j.sequence) for k, v in out.items()}


def plate_contents(queue: PrintQueue) -> list[tuple]:
    """Each plate's sorted (part, copies, due) rows, sorted: the plates' make-up."""
    plates: dict[str, list] = {}
    for j in queue.jobs:
        plates.setdefault(j.plate_id, []).append((j.part_id, j.quantity, j.due))
    return sorted(tuple(sorted(rows)) for rows in plates.values())


@pytest.fixture
def lab():
    """A mixed plan on two printers: 12 parts, all modes, several criticalities."""
    rng = np.random.default_rng(20240601)
    printers = [make_printer("P1", 40.0), make_printer("P2", 168.0)]
    parts, rows, estimates = [], [], {}
    crits = [Criticality.VITAL, Criticality.ESSENTIAL, Criticality.DESIRABLE]
    modes = ["print_stock", "print_on_demand", "hybrid", "buy_stock"]
    for i in range(12):
        pid = f"A-{i:02d}"
        printer = printers[i % 2].printer_id
        parts.append(
            make_part(
                pid,
                annual_demand=float(rng.uniform(1, 30)),
                criticality=crits[i % 3],
                on_hand=float(i % 3),
                downtime_cost_per_day=float(rng.uniform(0, 500)),
                am_lifetime_ratio=float(rng.uniform(0.5, 1.0)),
                supplier_region="APAC" if i % 2 else "EU",
            )
        )
        size = tuple(float(x) for x in rng.uniform(10, 120, 3))
        material = "PLA" if i % 3 == 0 else "PETG"
        estimates[(pid, printer)] = make_estimate(
            pid, printer, hours=float(rng.uniform(0.5, 9)), size=size, material=material
        )
        rows.append((pid, modes[i % 4], printer, int(rng.integers(2, 7))))
    return make_plan(rows), parts, estimates, printers


def test_job_priority_closed_form():
    """Priority = weight x (1 + log10(1 + b)) x risk, checked on hand values."""
    got = job_priority(np.array([3.0, 2.0, 1.0]), np.array([99.0, 0.0, 9.0]), 2.0)
    np.testing.assert_allclose(got, [3 * 3 * 2, 2 * 1 * 2, 1 * 2 * 2])


def test_copies_per_plate_hand_worked():
    """Grid counts on hand-worked cases, with and without the 90 degree turn."""
    copies, rotated = copies_per_plate(
        np.array([20.0, 100.0, 250.0, 251.0, 205.0]),
        np.array([20.0, 40.0, 210.0, 10.0, 10.0]),
        250.0,
        210.0,
    )
    # 20x20: floor(255/25)=10 by floor(215/25)=8. 100x40 turned: 5 x 2 = 10 > 8.
    # 250x210 exactly one; 251 long does not fit either way. 205x10: straight
    # floor(255/210) x floor(215/15) = 1 x 14; turned floor(255/15) x 1 = 17.
    assert copies.tolist() == [80, 10, 1, 0, 17]
    assert rotated.tolist() == [False, True, False, False, True]


def test_plate_layout_inside_bed_and_apart():
    """Every copy lies on the plate and copies are >= the spacing apart."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        sx, sy = rng.uniform(5, 120, 2)
        cap, _ = copies_per_plate(sx, sy, 250.0, 210.0)
        n = int(rng.integers(1, int(cap) + 1))
        offsets, rotated = plate_layout(sx, sy, 250.0, 210.0, n)
        px, py = (sy, sx) if rotated else (sx, sy)
        assert offsets.shape == (n, 2)
        assert (offsets >= -1e-9).all()
        assert (offsets[:, 0] + px <= 250.0 + 1e-9).all()
        assert (offsets[:, 1] + py <= 210.0 + 1e-9).all()
        for a, b in itertools.combinations(range(n), 2):
            gap_x = abs(offsets[a, 0] - offsets[b, 0]) - px
            gap_y = abs(offsets[a, 1] - offsets[b, 1]) - py
            assert max(gap_x, gap_y) >= PLATE_SPACING_MM - 1e-9


def test_plate_layout_raises_when_too_many_copies():
    """Asking for more copies than the plate holds is an error naming the limit."""
    with pytest.raises(PlannerError, match=r"n_copies must be in \[1, 80\]"):
        plate_layout(20.0, 20.0, 250.0, 210.0, 81)


def _brute_force(p, d, w):
    """Independent brute force: min weighted tardiness, then min weighted completion."""
    best = None
    for order in itertools.permutations(range(len(p))):
        t, tard, comp = 0.0, 0.0, 0.0
        for j in order:
            t += p[j]
            tard += w[j] * max(0.0, t - d[j])
            comp += w[j] * t
        key = (round(tard, 6), comp)
        if best is None or key < best:
            best = key
    return best


def test_sequence_plates_optimal_on_tiny_cases():
    """Up to 6 plates the order equals brute force on tardiness, then completion."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        n = int(rng.integers(1, 7))
        p = rng.integers(1, 10, n).astype(float)
        d = rng.integers(0, 25, n).astype(float)
        w = rng.uniform(1, 18, n)
        order = sequence_plates(p, d, w)
        assert sorted(order.tolist()) == list(range(n))
        tard, comp = sequence_cost(order, p, d, w)
        best_tard, best_comp = _brute_force(p.tolist(), d.tolist(), w.tolist())
        assert tard == pytest.approx(best_tard, abs=1e-6)
        if best_tard == 0:
            assert comp == pytest.approx(best_comp, rel=1e-12)


def test_sequence_plates_weighted_lateness_equals_brute_force():
    """When no order can be late, weighted lateness equals the brute-force minimum."""
    rng = np.random.default_rng(12)
    for _ in range(30):
        n = int(rng.integers(2, EXACT_MAX_PLATES + 1))
        p = rng.uniform(1, 10, n)
        d = p.sum() + rng.uniform(0, 50, n)  # nothing can be late
        w = rng.uniform(1, 18, n)
        order = sequence_plates(p, d, w)
        c = np.cumsum(p[order])
        lateness = float(w[order] @ (c - d[order]))
        best = min(
            float(w[list(o)] @ (np.cumsum(p[list(o)]) - d[list(o)]))
            for o in itertools.permutations(range(n))
        )
        assert lateness == pytest.approx(best, rel=1e-12, abs=1e-9)


def test_sequence_plates_large_is_local_optimum_and_beats_rules():
    """Above 7 plates the order beats EDD and WSPT and no adjacent swap helps."""
    rng = np.random.default_rng(13)
    for _ in range(10):
        n = 40
        p = rng.uniform(1, 10, n)
        d = rng.uniform(0, 150, n)
        w = rng.uniform(1, 18, n)
        order = sequence_plates(p, d, w)
        assert sorted(order.tolist()) == list(range(n))
        cost = sequence_cost(order, p, d, w)
        edd = np.lexsort((-w, d))
        wspt = np.argsort(p / w)
        assert cost[0] <= sequence_cost(edd, p, d, w)[0] + 1e-6
        assert cost[0] <= sequence_cost(wspt, p, d, w)[0] + 1e-6
        for i in range(n - 1):
            swapped = order.copy()
            swapped[[i, i + 1]] = swapped[[i + 1, i]]
            assert sequence_cost(swapped, p, d, w)[0] >= cost[0] - 1e-6


def test_queue_weighted_lateness_matches_brute_force():
    """On a continuous printer the queue's weighted tardiness is the brute-force one."""
    rng = np.random.default_rng(5)
    printer = make_printer("P1", 168.0)
    crits = [Criticality.VITAL, Criticality.ESSENTIAL, Criticality.DESIRABLE]
    for _ in range(8):
        n = int(rng.integers(2, 7))
        parts, rows, estimates = [], [], {}
        for i in range(n):
            pid = f"T-{i}"
            parts.append(
                make_part(
                    pid,
                    criticality=crits[int(rng.integers(0, 3))],
                    downtime_cost_per_day=float(rng.uniform(0, 300)),
                )
            )
            # 100 x 100 mm footprint: 2 x 2 per plate, so S = 1..4 is one plate.
            hours = float(rng.uniform(2, 30))
            estimates[(pid, "P1")] = make_estimate(pid, "P1", hours, (100, 100, 10))
            rows.append((pid, "print_stock", "P1", int(rng.integers(1, 5))))
        queue = build_queue(
            make_plan(rows), parts, estimates, [printer], start=START, horizon_days=30
        )
        jobs = queue.jobs
        assert len(jobs) == n
        # Plates (several jobs may share one): due = earliest, weight = sum.
        plates: dict[str, list] = {}
        for j in jobs:
            plates.setdefault(j.plate_id, []).append(j)
        groups = list(plates.values())
        p = [(g[0].end - g[0].start).total_seconds() for g in groups]
        d = [min((j.due - START).total_seconds() for j in g) for g in groups]
        w = [sum(j.priority for j in g) for g in groups]
        c = [(g[0].end - START).total_seconds() for g in groups]
        tard = sum(wi * max(0.0, ci - di) for wi, ci, di in zip(w, c, d, strict=True))
        best_tard, best_comp = _brute_force(p, d, w)
        assert min(j.start for j in jobs) == START
        assert tard == pytest.approx(best_tard, abs=1e-3)
        if best_tard == 0:
            comp = sum(wi * ci for wi, ci in zip(w, c, strict=True))
            assert comp == pytest.approx(best_comp, rel=1e-12)


def test_no_overlap_and_consecutive_sequences(lab):
    """Plates never overlap on a printer and sequences run 1..n per printer."""
    plan, parts, estimates, printers = lab
    scenario = ScenarioStub(
        events=(
            EventStub(
                type="printer_down", printer_id="P2", start_day=3, duration_days=4
            ),
            EventStub(
                type="material_shortage", material="PLA", start_day=1, duration_days=5
            ),
            EventStub(
                type="supplier_outage",
                supplier_region="APAC",
                start_day=10,
                duration_days=40,
            ),
        )
    )
    queue = build_queue(
        plan, parts, estimates, printers, start=START, scenario=scenario
    )
    assert queue.jobs
    groups = by_printer(queue)
    assert set(groups) == {"P1", "P2"}
    for jobs in groups.values():
        plates = list(dict.fromkeys((j.sequence, j.plate_id) for j in jobs))
        assert [seq for seq, _ in plates] == list(range(1, len(plates) + 1))
        first = [next(j for j in jobs if j.plate_id == pid) for _, pid in plates]
        for a, b in itertools.pairwise(first):
            assert a.end <= b.start
        for j in jobs:
            assert j.end - j.start == timedelta(seconds=math.ceil(j.print_time_s))
            assert j.earliest_start == START <= j.start
    assert len({j.job_id for j in queue.jobs}) == len(queue.jobs)
    assert len({j.plate_id for j in queue.jobs}) < len(queue.jobs), "plates shared"


def test_every_plate_fits_its_printer(lab):
    """Each plate's copies fit the printer's plate and its height the build volume."""
    plan, parts, estimates, printers = lab
    queue = build_queue(plan, parts, estimates, printers, start=START, horizon_days=120)
    printer_by_id = {p.printer_id: p for p in printers}
    for job in queue.jobs:
        est = estimates[(job.part_id, job.printer_id)]
        printer = printer_by_id[job.printer_id]
        assert printer.fits((est.bbox_x_mm, est.bbox_y_mm, est.bbox_z_mm))
        cap, _ = copies_per_plate(
            est.bbox_x_mm, est.bbox_y_mm, printer.build_x_mm, printer.build_y_mm
        )
        assert 1 <= job.quantity <= int(cap)
        assert job.filament_g == pytest.approx(job.quantity * est.filament_g)
        assert job.cost == pytest.approx(job.quantity * est.total_cost)
        # No per-layer overhead in the stand-ins: plate time = sum of copies'.
        mates = [j for j in queue.jobs if j.plate_id == job.plate_id]
        alone = sum(
            j.quantity * estimates[(j.part_id, j.printer_id)].print_time_s
            for j in mates
        )
        assert job.print_time_s == math.ceil(alone - 1e-6)


def test_printer_down_window_respected(lab):
    """No plate overlaps its printer's downtime; the window does push plates."""
    plan, parts, estimates, printers = lab
    down = (START + 2 * DAY, START + 12 * DAY)
    scenario = ScenarioStub(
        events=(
            EventStub(
                type="printer_down", printer_id="P1", start_day=2, duration_days=10
            ),
        )
    )
    queue = build_queue(
        plan, parts, estimates, printers, start=START, scenario=scenario
    )
    base = build_queue(plan, parts, estimates, printers, start=START)
    p1 = by_printer(queue)["P1"]
    assert all(j.end <= down[0] or j.start >= down[1] for j in p1)
    assert any(j.start >= down[1] for j in p1)
    assert any(j.end > down[0] and j.start < down[1] for j in by_printer(base)["P1"]), (
        "the test window should hit the undisturbed schedule"
    )
    # P2 is not down: its schedule is unchanged.
    assert by_printer(queue)["P2"] == by_printer(base)["P2"]


def test_material_shortage_respected():
    """No plate of a short material starts in the shortage; others print meanwhile."""
    printer = make_printer("P1", 168.0)
    parts = [
        make_part("M-PETG", annual_demand=40.0),
        make_part("M-PLA", annual_demand=40.0),
    ]
    estimates = {
        ("M-PETG", "P1"): make_estimate("M-PETG", "P1", 3.0, material="PETG"),
        ("M-PLA", "P1"): make_estimate("M-PLA", "P1", 3.0, material="PLA"),
    }
    plan = make_plan(
        [("M-PETG", "print_on_demand", "P1", 0), ("M-PLA", "print_on_demand", "P1", 0)]
    )
    scenario = ScenarioStub(
        events=(
            EventStub(
                type="material_shortage", material="petg", start_day=0, duration_days=20
            ),
        )
    )
    queue = build_queue(
        plan, parts, estimates, [printer], start=START, scenario=scenario
    )
    petg = [j for j in queue.jobs if j.material == "PETG"]
    pla = [j for j in queue.jobs if j.material == "PLA"]
    assert petg
    assert pla
    assert all(j.start >= START + 20 * DAY for j in petg)
    assert pla[0].start == START


def test_daily_window_start_rule():
    """Plates start only within 08:00 + h/7 hours each day and then run to the end."""
    printer = make_printer("P1", 14.0)  # 2 h a day: 08:00-10:00
    parts = [make_part("W-1", annual_demand=60.0)]
    estimates = {("W-1", "P1"): make_estimate("W-1", "P1", 5.0, (200, 200, 50))}
    plan = make_plan([("W-1", "print_on_demand", "P1", 0)])
    start = datetime(2025, 3, 3, 13, 30)  # after today's window
    queue = build_queue(plan, parts, estimates, [printer], start=start, horizon_days=30)
    jobs = by_printer(queue)["P1"]
    assert len(jobs) == math.ceil(60 * 30 / 365)
    for j in jobs:
        opens = j.start.replace(hour=8, minute=0, second=0)
        assert opens <= j.start < opens + timedelta(hours=2)
        assert j.end - j.start == timedelta(hours=5)  # runs past the window
    # One 5 h plate a day: each starts at 08:00 on consecutive days from tomorrow.
    assert [j.start for j in jobs] == [
        datetime(2025, 3, 4, 8) + k * DAY for k in range(len(jobs))
    ]


def test_calendar_open_at_or_after_hand_worked():
    """Window arithmetic across midnight and the start's phase, by hand."""
    printer = make_printer("P1", 7 * 20.0)  # 20 h: 08:00 to 04:00 next day
    start = datetime(2025, 3, 3, 6, 0)
    cal = PrinterCalendar.for_printer(printer, start=start)
    hour = 3600.0
    assert cal.open_at_or_after(0.0) == 2 * hour  # 06:00 -> 08:00
    assert cal.open_at_or_after(3 * hour) == 3 * hour  # 09:00 is open
    assert cal.open_at_or_after(21 * hour) == 21 * hour  # 03:00 next day still open
    assert cal.open_at_or_after(22 * hour) == 26 * hour  # 04:00 closed -> 08:00
    continuous = PrinterCalendar.for_printer(make_printer("P2", 168.0), start=start)
    assert continuous.open_at_or_after(12345.0) == 12345.0


def test_initial_build_and_replenishment_jobs():
    """print_stock: S - on hand - on order now, then ceil(lambda H / 365 r) prints."""
    printer = make_printer("P1", 168.0)
    part = make_part(
        "S-1",
        annual_demand=10.0,
        am_lifetime_ratio=0.5,
        on_hand=1.0,
        on_order=1.0,
        criticality=Criticality.VITAL,
        downtime_cost_per_day=99.0,
    )
    est = make_estimate("S-1", "P1", 2.0, (40, 30, 20))
    plan = make_plan([("S-1", "print_stock", "P1", 5)])
    queue = build_queue(plan, [part], {("S-1", "P1"): est}, [printer], start=START)
    initial = [j for j in queue.jobs if j.kind is JobKind.INITIAL_BUILD]
    repl = [j for j in queue.jobs if j.kind is JobKind.REPLENISHMENT]
    assert [j.quantity for j in initial] == [3]
    # due = start + 3 x 2 h + 1 day (vital); risk 1 + (5 - 1)/5; weight 3 x 3.
    assert initial[0].due == START + timedelta(hours=6) + DAY
    assert initial[0].priority == pytest.approx(3 * 3 * 1.8)
    # 10 / 0.5 = 20 per year over 90 days: 4.93 -> 5 prints every 18.25 days.
    assert len(repl) == 5
    dues = sorted((j.due - START) / DAY for j in repl)
    assert dues == pytest.approx([18.25, 36.5, 54.75, 73.0, 90.0])
    assert all(j.quantity == 1 for j in repl)
    assert repl[0].priority == pytest.approx(3 * 3 * (1 + 1 / 5))


def test_initial_build_split_over_plates():
    """A build larger than one plate becomes several plates that add up."""
    printer = make_printer("P1", 168.0)
    part = make_part("B-1")
    est = make_estimate("B-1", "P1", 1.0, (100, 100, 10))  # 2 x 2 = 4 per plate
    plan = make_plan([("B-1", "print_stock", "P1", 10)])
    queue = build_queue(plan, [part], {("B-1", "P1"): est}, [printer], start=START)
    assert sorted(j.quantity for j in queue.jobs) == [2, 4, 4]
    dues = sorted(j.due - START for j in queue.jobs)
    # Cumulative copies 4, 8, 10 at 1 h each, plus 7 days (essential).
    assert dues == [timedelta(hours=h) + 7 * DAY for h in (4, 8, 10)]


def test_print_on_demand_and_buy_stock():
    """On-demand parts print expected demand; bought parts print nothing."""
    printer = make_printer("P1", 168.0)
    parts = [make_part("D-1", annual_demand=4.0), make_part("D-2", annual_demand=50.0)]
    estimates = {("D-1", "P1"): make_estimate("D-1", "P1")}
    plan = make_plan([("D-1", "print_on_demand", "P1", 0), ("D-2", "buy_stock", "", 3)])
    queue = build_queue(plan, parts, estimates, [printer], start=START)
    assert [j.part_id for j in queue.jobs] == ["D-1"]
    job = queue.jobs[0]
    assert job.kind is JobKind.ON_DEMAND
    assert job.due == START + 90 * DAY  # 365/4 = 91.25 days, capped at the horizon
    assert job.priority == pytest.approx(2 * 1 * 2)


def test_demand_per_year_overrides_catalog():
    """demand_per_year aligned with the plan replaces part.annual_demand."""
    printer = make_printer("P1", 168.0)
    parts = [make_part("D-1", annual_demand=4.0)]
    estimates = {("D-1", "P1"): make_estimate("D-1", "P1")}
    plan = make_plan([("D-1", "print_on_demand", "P1", 0)])
    queue = build_queue(
        plan, parts, estimates, [printer], start=START, demand_per_year=np.array([40.0])
    )
    assert len(queue.jobs) == math.ceil(40 * 90 / 365)


def test_hybrid_emergency_prints_only_in_outage():
    """Hybrid parts print ceil(lambda D / 365 r) during a matching outage only."""
    printer = make_printer("P1", 168.0)
    parts = [
        make_part(
            "H-1",
            annual_demand=12.0,
            supplier_region="APAC",
            criticality=Criticality.VITAL,
        ),
        make_part("H-2", annual_demand=12.0, supplier_region="EU"),
    ]
    estimates = {
        ("H-1", "P1"): make_estimate("H-1", "P1", 2.0),
        ("H-2", "P1"): make_estimate("H-2", "P1", 2.0),
    }
    plan = make_plan([("H-1", "hybrid", "P1", 2), ("H-2", "hybrid", "P1", 2)])
    none = build_queue(plan, parts, estimates, [printer], start=START)
    assert none.jobs == ()
    scenario = ScenarioStub(
        events=(
            EventStub(
                type="supplier_outage",
                supplier_region="apac",
                start_day=30,
                duration_days=70,
            ),
        )
    )
    queue = build_queue(
        plan, parts, estimates, [printer], start=START, scenario=scenario
    )
    assert {j.part_id for j in queue.jobs} == {"H-1"}
    assert sum(j.quantity for j in queue.jobs) == math.ceil(12 * 70 / 365)  # 3
    job = queue.jobs[0]
    assert job.kind is JobKind.EMERGENCY
    assert job.due == START + 30 * DAY + timedelta(hours=6) + DAY


def test_outage_after_horizon_gives_no_prints():
    """An outage starting after the queue horizon adds no emergency prints."""
    printer = make_printer("P1", 168.0)
    parts = [make_part("H-1", annual_demand=12.0, supplier="Acme")]
    estimates = {("H-1", "P1"): make_estimate("H-1", "P1")}
    plan = make_plan([("H-1", "hybrid", "P1", 2)])
    scenario = ScenarioStub(
        events=(
            EventStub(
                type="supplier_outage", supplier="Acme", start_day=200, duration_days=30
            ),
        )
    )
    queue = build_queue(
        plan, parts, estimates, [printer], start=START, scenario=scenario
    )
    assert queue.jobs == ()


def test_late_plates_are_warned():
    """A printer too slow for the due dates says how many plates are late."""
    printer = make_printer("P1", 168.0)
    parts = [make_part(f"L-{i}", criticality=Criticality.VITAL) for i in range(3)]
    estimates = {(p.part_id, "P1"): make_estimate(p.part_id, "P1", 30.0) for p in parts}
    plan = make_plan([(p.part_id, "print_stock", "P1", 1) for p in parts])
    queue = build_queue(plan, parts, estimates, [printer], start=START)
    assert any("finish after their due date" in w for w in queue.warnings)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"start": datetime(2025, 1, 1, tzinfo=UTC)}, "timezone-naive"),
        ({"horizon_days": 0}, "horizon_days must be an integer > 0"),
        ({"demand_per_year": np.array([1.0, 2.0])}, "demand_per_year must have 1"),
        ({"demand_per_year": np.array([-1.0])}, "demand_per_year must be >= 0"),
        ({"plan": make_plan([("X-1", "print_stock", "P9", 2)])}, "printer_id must be"),
        ({"plan": make_plan([("X-1", "print_stock", "", 2)])}, "needs a printer_id"),
        ({"plan": make_plan([("X-1", "make", "P1", 2)])}, "mode must be one of"),
        ({"plan": make_plan([("Y-1", "print_stock", "P1", 2)])}, "part Y-1 is not"),
        ({"estimates": {}}, "no print estimate"),
        (
            {
                "estimates": {
                    ("X-1", "P1"): make_estimate("X-1", "P1", size=(300, 50, 10))
                }
            },
            "does not fit printer P1",
        ),
        (
            {"estimates": {("X-1", "P1"): make_estimate("X-1", "P1", material="PA12")}},
            "material must be one of",
        ),
        (
            {"printers": [make_printer("P1", 0.0)]},
            "hours_available_per_week must be > 0",
        ),
    ],
)
def test_build_queue_raises(change, match):
    """Every documented PlannerError of build_queue, with the field in the message."""
    args = {
        "plan": make_plan([("X-1", "print_stock", "P1", 2)]),
        "parts": [make_part("X-1", annual_demand=1.0)],
        "estimates": {("X-1", "P1"): make_estimate("X-1", "P1")},
        "printers": [make_printer("P1")],
        "start": START,
        "horizon_days": 90,
    }
    args.update(change)
    with pytest.raises(PlannerError, match=match):
        build_queue(
            args.pop("plan"),
            args.pop("parts"),
            args.pop("estimates"),
            args.pop("printers"),
            **args,
        )


def test_hybrid_without_printer_in_outage_raises():
    """A hybrid part hit by an outage but given no printer is an error."""
    plan = make_plan([("H-1", "hybrid", "", 2)])
    parts = [make_part("H-1", annual_demand=12.0)]
    scenario = ScenarioStub(
        events=(EventStub(type="supplier_outage", start_day=0, duration_days=10),)
    )
    with pytest.raises(PlannerError, match="hybrid mode needs a printer_id"):
        build_queue(
            plan, parts, {}, [make_printer("P1")], start=START, scenario=scenario
        )
    assert build_queue(plan, parts, {}, [make_printer("P1")], start=START).jobs == ()


def test_resequence_moves_a_raised_part_forward(lab):
    """Raising one part's priority keeps every plate, moves it no later, no overlaps."""
    plan, parts, estimates, printers = lab
    queue = build_queue(plan, parts, estimates, printers, start=START)
    last = max(queue.jobs, key=lambda j: (j.printer_id, j.sequence))
    raised = {last.part_id: 1000.0 * last.priority}
    again = resequence_queue(queue, printers, raised)
    assert sorted((j.part_id, j.quantity) for j in again.jobs) == sorted(
        (j.part_id, j.quantity) for j in queue.jobs
    )
    before = min(j.start for j in queue.jobs if j.part_id == last.part_id)
    after = min(j.start for j in again.jobs if j.part_id == last.part_id)
    assert after <= before
    assert plate_contents(again) == plate_contents(queue)
    for jobs in by_printer(again).values():
        for a, b in itertools.pairwise(jobs):
            assert a.plate_id == b.plate_id or a.end <= b.start
            assert (a.start, a.end) == (b.start, b.end) or a.plate_id != b.plate_id
    unchanged = resequence_queue(queue, printers, {})
    assert [(j.part_id, j.start) for j in unchanged.jobs] == [
        (j.part_id, j.start) for j in queue.jobs
    ]


def test_pack_plate_inside_bed_and_spaced():
    """Packed copies of several parts stay on the bed and 5 mm apart (rectpack)."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        k = int(rng.integers(2, 5))
        sizes = rng.uniform(10, 60, (k, 2))
        copies = rng.integers(1, 4, k)
        try:
            offsets, turned = pack_plate(sizes, copies, 250.0, 210.0)
        except PlannerError:
            continue
        lo, hi = [], []
        for j in range(k):
            size = sizes[j, ::-1] if turned[j] else sizes[j]
            assert offsets[j].shape == (copies[j], 2)
            lo.append(offsets[j])
            hi.append(offsets[j] + size)
        lo, hi = np.concatenate(lo), np.concatenate(hi)
        assert (lo >= -1e-9).all()
        assert (hi <= np.array([250.0, 210.0]) + 1e-9).all()
        for a, b in itertools.combinations(range(lo.shape[0]), 2):
            gap = np.maximum(lo[a] - hi[b], lo[b] - hi[a])
            assert gap.max() >= 5.0 - 0.011  # apart along x or y by the spacing


def test_pack_plate_raises_when_too_many():
    """Copies that cannot all fit the plate raise PlannerError."""
    with pytest.raises(PlannerError, match="must fit the 100 x 100 mm plate"):
        pack_plate(np.array([[60.0, 60.0], [60.0, 60.0]]), np.array([1, 1]), 100, 100)


def test_plate_print_time_closed_form():
    """Plate time = sum of copies' times minus shared overhead, paid once."""
    t = plate_print_time_s(np.array([3600.0, 1800.0]), np.array([600.0, 100.0]), [2, 3])
    assert t == pytest.approx(2 * 3000 + 3 * 1700 + 600)


def test_close_due_dates_share_a_plate_and_far_ones_do_not():
    """Close-due jobs of one material share a plate (same start/end); PLA does not."""
    printer = make_printer("P1", 168.0)
    parts = [make_part(f"C-{i}", annual_demand=0.0) for i in range(3)]
    estimates = {
        (p.part_id, "P1"): make_estimate(p.part_id, "P1", 2.0, (40, 30, 20))
        for p in parts
    }
    plan = make_plan([(p.part_id, "print_stock", "P1", 2) for p in parts])
    # C-0, C-1 essential (due 7 d), C-2 desirable (due 14 d): C-2 is within 7 d.
    parts[2] = make_part("C-2", criticality=Criticality.DESIRABLE)
    queue = build_queue(plan, parts, estimates, [printer], start=START)
    assert len(queue.jobs) == 3
    assert len({j.plate_id for j in queue.jobs}) == 1
    assert len({(j.start, j.end, j.sequence) for j in queue.jobs}) == 1
    assert queue.jobs[0].print_time_s == 6 * 2 * 3600
    estimates[("C-2", "P1")] = make_estimate("C-2", "P1", 2.0, material="PLA")
    queue = build_queue(plan, parts, estimates, [printer], start=START)
    assert len({j.plate_id for j in queue.jobs}) == 2  # other material apart


def test_vital_job_closes_its_plate():
    """No later-due job joins a vital job's plate."""
    printer = make_printer("P1", 168.0)
    parts = [
        make_part("V-1", criticality=Criticality.VITAL),
        make_part("V-2", criticality=Criticality.ESSENTIAL),
    ]
    estimates = {
        (p.part_id, "P1"): make_estimate(p.part_id, "P1", 1.0, (30, 30, 10))
        for p in parts
    }
    plan = make_plan([(p.part_id, "print_stock", "P1", 1) for p in parts])
    queue = build_queue(plan, parts, estimates, [printer], start=START)
    assert len({j.plate_id for j in queue.jobs}) == 2
    vital = next(j for j in queue.jobs if j.part_id == "V-1")
    assert vital.end == START + timedelta(hours=1)


# --- plate times from the plate estimate; random-outage emergency prints ---

from planner.geometry import box_mesh  # noqa: E402
from planner.orientation import AXIS_ROTATIONS, rest_on_bed  # noqa: E402
from planner.plan import queue_totals  # noqa: E402
from planner.plate_estimate import estimate_plate  # noqa: E402
from planner.print_queue import (  # noqa: E402
    EXACT_CALENDAR_MAX_PLATES,
    part_layer_figures,
    random_outage_fraction,
    schedule_exact,
)
from planner.printers import Material, PrintProfile  # noqa: E402
from planner.slicing import estimate_print  # noqa: E402

PETG = Material(material="PETG", density_g_cm3=1.27, cost_per_kg=30.0)
COOLED = PrintProfile(slowdown_below_layer_time_s=10.0)


def write_stl(path, vectors) -> None:
    """Binary STL of triangles ``vectors`` (n, 3, 3)."""
    n = vectors.shape[0]
    record = np.zeros(n, dtype=[("normal", "<f4", 3), ("v", "<f4", (3, 3)),
                                ("attr", "<u2")])  # fmt: skip
    record["v"] = vectors
    path.write_bytes(b"\0" * 80 + np.uint32(n).tobytes() + record.tobytes())


def cube_lab(tmp_path, n_copies, *, modelled=None, rotation=None):
    """A print_stock cube part of S = n_copies on a cooled printer, with its STL."""
    cube = box_mesh((12.0, 12.0, 8.0), name="cube.stl")
    stl = tmp_path / "cube.stl"
    write_stl(stl, cube.vectors if modelled is None else modelled)
    printer = make_printer("P1", 168.0, profile=COOLED)
    est = estimate_print(cube, profile=COOLED, material=PETG, hourly_rate=1.0,
                         printer_id="P1", name="cube.stl")  # fmt: skip
    part = make_part("C-1", stl_file="cube.stl", stl_path=stl,
                     criticality=Criticality.DESIRABLE)  # fmt: skip
    plan = make_plan([("C-1", "print_stock", "P1", n_copies)])
    return cube, printer, est, part, plan


@pytest.mark.parametrize("n_copies", [2, 5, 9])
def test_plate_of_cube_copies_is_the_plate_estimate(tmp_path, n_copies):
    """n copies of a cube on one plate: the queue's plate time, filament and cost
    are estimate_plate's (composed, at the packed positions), less than n single
    prints, and queue_totals add up to the plate."""
    cube, printer, est, part, plan = cube_lab(tmp_path, n_copies)
    queue = build_queue(plan, [part], {("C-1", "P1"): est}, [printer], start=START,
                        materials={"PETG": PETG})  # fmt: skip
    assert len(queue.jobs) == 1
    assert queue.warnings == ()
    job = queue.jobs[0]
    assert job.quantity == n_copies
    offsets, turned = pack_plate(np.array([[12.0, 12.0]]), np.array([n_copies]),
                                 printer.build_x_mm, printer.build_y_mm)  # fmt: skip
    direct = estimate_plate(
        [cube] * n_copies, offsets[0].tolist(), turned_90=[bool(turned[0])] * n_copies,
        profile=COOLED, material=PETG, hourly_rate=1.0, method="compose",
    )  # fmt: skip
    assert job.print_time_s == math.ceil(direct.print_time_s)
    assert job.print_time_s < n_copies * est.print_time_s
    assert job.filament_g == pytest.approx(direct.filament_g, rel=1e-12)
    assert job.cost == pytest.approx(direct.total_cost, rel=1e-12)
    sliced = estimate_plate([cube] * n_copies, offsets[0].tolist(), profile=COOLED,
                            material=PETG, hourly_rate=1.0)  # fmt: skip
    assert job.print_time_s == pytest.approx(sliced.print_time_s, rel=0.05)
    totals = queue_totals(queue)
    assert totals["print_hours"] == pytest.approx(job.print_time_s / 3600.0)
    assert totals["filament_kg"] == pytest.approx(direct.filament_g / 1000.0)
    assert totals["cost"] == pytest.approx(direct.total_cost)


def test_plate_orientation_found_without_rotations(tmp_path):
    """A cube modelled on its side: without rotations the queue finds the
    candidate orientation whose box and estimate match, the same plate as with
    the rotation given; the material follows from the estimate alone."""
    turn = AXIS_ROTATIONS["+X up"]
    side = box_mesh((8.0, 12.0, 12.0)).vectors  # "+X up" stands it 12 x 12 x 8
    _, printer, est, part, plan = cube_lab(tmp_path, 4, modelled=side)
    assert np.ptp(rest_on_bed(side, turn).reshape(-1, 3), axis=0).tolist() == [
        12.0, 12.0, 8.0
    ]  # fmt: skip
    key = ("C-1", "P1")
    given = build_queue(plan, [part], {key: est}, [printer], start=START,
                        rotations={key: turn}, materials={"PETG": PETG})  # fmt: skip
    found = build_queue(plan, [part], {key: est}, [printer], start=START)
    assert found.jobs[0].print_time_s == given.jobs[0].print_time_s
    assert found.jobs[0].print_time_s < 4 * est.print_time_s
    assert found.jobs[0].cost == pytest.approx(given.jobs[0].cost, rel=1e-9)
    assert part_layer_figures(part, est, printer) is not None


def test_unreproduced_estimate_falls_back_and_warns(tmp_path):
    """An estimate the STL does not reproduce (another slicer's time) is not
    composed: the plate takes the shared-overhead approximation and a warning."""
    _, printer, est, part, plan = cube_lab(tmp_path, 3)
    other = replace(est, print_time_s=est.print_time_s * 1.5)
    queue = build_queue(plan, [part], {("C-1", "P1"): other}, [printer], start=START)
    expected = plate_print_time_s(
        np.array([other.print_time_s]), np.array([0.0]), np.array([3])
    )
    assert queue.jobs[0].print_time_s <= math.ceil(expected)
    assert any("approximated" in w for w in queue.warnings)
    assert part_layer_figures(part, other, printer) is None


@pytest.mark.parametrize(
    ("rate", "days", "demand", "life", "horizon"),
    [(3.0, 20.0, 50.0, 1.0, 90), (1.0, 10.0, 12.0, 0.5, 365), (0.2, 5.0, 4.0, 1.0, 90),
     (6.0, 30.0, 200.0, 1.0, 60)],
)  # fmt: skip
def test_random_outage_emergency_count_closed_form(rate, days, demand, life, horizon):
    """Hybrid parts print round(lambda/r * nu D/365 * H/365) single-unit
    emergency jobs for random outages, due at the midpoints of n equal slices of
    the horizon; parts of other suppliers get none."""
    printer = make_printer("P1", 168.0)
    parts = [
        make_part("H-1", annual_demand=demand, supplier="Acme",
                  am_lifetime_ratio=life),
        make_part("H-2", annual_demand=demand, supplier="Other",
                  am_lifetime_ratio=life),
    ]  # fmt: skip
    estimates = {(p.part_id, "P1"): make_estimate(p.part_id, "P1", 0.5, (20, 20, 5))
                 for p in parts}  # fmt: skip
    plan = make_plan([("H-1", "hybrid", "P1", 2), ("H-2", "hybrid", "P1", 2)])
    scenario = ScenarioStub(events=(
        EventStub(type="random_outages", supplier="acme", rate_per_year=rate,
                  duration_days=days),
    ))  # fmt: skip
    queue = build_queue(plan, parts, estimates, [printer], start=START,
                        horizon_days=horizon, scenario=scenario)  # fmt: skip
    expected = demand / life * (rate * days / 365) * horizon / 365
    n = math.floor(expected + 0.5)
    jobs = [j for j in queue.jobs if j.part_id == "H-1"]
    assert sum(j.quantity for j in jobs) == n
    assert all(j.kind is JobKind.EMERGENCY and j.quantity == 1 for j in jobs)
    assert not [j for j in queue.jobs if j.part_id == "H-2"]
    dues = sorted((j.due - START).total_seconds() / 86400 for j in jobs)
    assert dues == pytest.approx([(k + 0.5) * horizon / n for k in range(n)], abs=1e-4)


def test_random_outage_fraction_sums_events_and_caps():
    """Two matching events add nu D / 365; the share is capped at 1; no scenario or
    no matching event gives 0."""
    part = make_part("A", supplier_region="EU", annual_demand=1.0)
    events = (
        EventStub(type="random_outages", rate_per_year=2.0, duration_days=18.25),
        EventStub(type="random_outages", supplier_region="eu", rate_per_year=1.0,
                  duration_days=73.0),
        EventStub(type="random_outages", supplier_region="APAC", rate_per_year=9.0,
                  duration_days=9.0),
        EventStub(type="supplier_outage", start_day=0, duration_days=300),
    )  # fmt: skip
    assert random_outage_fraction(part, ScenarioStub(events=events)) == pytest.approx(
        0.1 + 0.2
    )
    heavy = (EventStub(type="random_outages", rate_per_year=12.0, duration_days=60.0),)
    assert random_outage_fraction(part, ScenarioStub(events=heavy)) == 1.0
    assert random_outage_fraction(part, None) == 0.0


def test_schedule_exact_equals_brute_force_on_calendar():
    """Up to EXACT_CALENDAR_MAX_PLATES plates the calendar schedule is the best of
    all orders each placed as early as the calendar allows (daily window,
    downtime, shortage), on tardiness then completion."""
    rng = np.random.default_rng(3)
    printer = make_printer("P1", 70.0)
    for _ in range(12):
        n = int(rng.integers(1, EXACT_CALENDAR_MAX_PLATES + 1))
        down = float(rng.integers(0, 4))
        scenario = ScenarioStub(events=(
            EventStub(type="printer_down", printer_id="P1", start_day=down,
                      duration_days=1.0),
            EventStub(type="material_shortage", material="PLA", start_day=0,
                      duration_days=float(rng.integers(0, 3))),
        ))  # fmt: skip
        cal = PrinterCalendar.for_printer(printer, start=START, scenario=scenario)
        p = rng.integers(1, 12, n) * 3600.0
        d = rng.integers(2, 100, n) * 3600.0
        w = rng.uniform(1, 10, n)
        mat = np.where(rng.random(n) < 0.5, "PLA", "PETG")
        starts, ends, placed = schedule_exact(cal, p, d, w, mat)
        got = (float(w[placed] @ np.maximum(ends - d[placed], 0)),
               float(w[placed] @ ends))  # fmt: skip
        best = (math.inf, math.inf)
        for order in itertools.permutations(range(n)):
            t, tard, comp = 0.0, 0.0, 0.0
            for j in order:
                t = cal.earliest_start(t, p[j], mat[j]) + p[j]
                tard += w[j] * max(t - d[j], 0.0)
                comp += w[j] * t
            if tard < best[0] - 1e-6 or (
                abs(tard - best[0]) <= 1e-6 and comp < best[1]
            ):
                best = (tard, comp)
        assert got[0] == pytest.approx(best[0], abs=1e-6)
        assert got[1] == pytest.approx(best[1], rel=1e-9)
        assert np.all(starts[1:] >= ends[:-1])
