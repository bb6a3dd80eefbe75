r"""Print jobs, plates and their schedule on the lab's printers.

:func:`build_queue` turns a sourcing plan into a :class:`PrintQueue`:

1. **Jobs.** ``print_stock`` parts get an initial build up to the base-stock level
   :math:`S` (:math:`S - \text{on hand} - \text{on order}` units, when positive)
   and then one replenishment print per expected consumption over the horizon;
   ``print_on_demand`` parts get one print per expected consumption; ``hybrid``
   parts get emergency prints for the scenario's supplier outages that hit them
   and for its random outages (the expected prints while the supplier is down).
   Printed units are consumed :math:`1/r` times as often as OEM units, where
   :math:`r` is ``am_lifetime_ratio`` (DESIGN.md), so the expected number of prints
   over :math:`H` days is :math:`\lceil \lambda H / (365 r) \rceil`.
2. **Plates.** A job holds as many copies of one part as fit the build plate on
   a grid of footprints 5 mm apart (the footprint may be turned 90°); a larger
   job is split into several jobs. Jobs of the same printer and material whose
   due dates lie within :data:`PLATE_WINDOW_DAYS` of the plate's earliest due
   date are then packed together onto one plate with rectpack
   (:func:`pack_plate`), first fit in due-date order; a job of a vital part
   closes its plate (no later-due job joins it), so it never ends later than
   printed on its own plate right after the jobs due before it. A plate's
   time, filament and cost are its plate estimate
   (:func:`planner.plate_estimate.estimate_plate`, ``method="compose"``): the
   copies in their print orientation at their packed positions, each distinct
   part sliced once (:func:`part_layer_figures`, cached) and the plate's layers
   composed from the parts' layers. When a part's STL does not reproduce its
   estimate, the plate falls back to the copies' times less the per-layer
   overhead they share (:func:`plate_print_time_s`) and the queue warns.
3. **Schedule.** Per printer, the plates are ordered to minimise the total
   priority-weighted tardiness :math:`\sum_j w_j \max(0, C_j - d_j)` (ties broken
   by the weighted completion time :math:`\sum_j w_j C_j`, i.e. the weighted
   lateness). Up to :data:`EXACT_CALENDAR_MAX_PLATES` plates the optimum on the
   printer's calendar (daily window, downtime, shortages; see
   :class:`PrinterCalendar`) is found exactly (:func:`schedule_exact`; checked
   against a time-indexed MILP in the tests). Above that the plates are
   sequenced on a continuous single machine (exactly up to
   :data:`EXACT_MAX_PLATES` plates, else the better of the EDD and Smith (WSPT)
   orders improved by adjacent interchanges) and placed in the calendar in that
   order.

Times inside the module are seconds from the queue start; the records carry
timezone-naive :class:`~datetime.datetime` values.

References
----------
.. [1] M. L. Pinedo, *Scheduling: Theory, Algorithms, and Systems*, 5th ed.
   Cham, Switzerland: Springer, 2016, ch. 3 (WSPT, EDD, adjacent interchange).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from planner.catalog import Criticality, Part
from planner.errors import GeometryError, PlannerError, PlannerWarning
from planner.geometry import Mesh, load_stl
from planner.orientation import candidate_rotations, rest_on_bed
from planner.plate_estimate import (
    LayerFigures,
    PlateMethod,
    estimate_plate,
    layer_figures,
)
from planner.printers import Material, Printer
from planner.units import (
    DAYS_PER_YEAR,
    G_PER_KG,
    HOURS_PER_DAY,
    MM3_PER_CM3,
    SECONDS_PER_HOUR,
)

SECONDS_PER_DAY = HOURS_PER_DAY * SECONDS_PER_HOUR
#: Gap between copies on a build plate [mm].
PLATE_SPACING_MM = 5.0
#: Hour of the day at which a printer's daily availability window opens [h].
WINDOW_OPEN_H = 8.0
#: Plates per printer up to which the sequence is found by enumerating all orders.
EXACT_MAX_PLATES = 7
#: Plates per printer up to which the schedule on the printer's calendar (daily
#: window, downtime, shortages) is found exactly (:func:`schedule_exact`).
EXACT_CALENDAR_MAX_PLATES = 6
#: How many plates ahead of the sequence the calendar placement may pull forward.
PLACEMENT_LOOKAHEAD = 16
#: Jobs due within this many days of a plate's earliest due date may share it.
PLATE_WINDOW_DAYS = 7.0
#: Priority weight of each criticality.
CRITICALITY_WEIGHT: dict[Criticality, float] = {
    Criticality.VITAL: 3.0,
    Criticality.ESSENTIAL: 2.0,
    Criticality.DESIRABLE: 1.0,
}
#: Slack after the print time by which an urgent (initial or emergency) job is due.
URGENCY_DAYS: dict[Criticality, float] = {
    Criticality.VITAL: 1.0,
    Criticality.ESSENTIAL: 7.0,
    Criticality.DESIRABLE: 14.0,
}

_PRINT_STOCK = "print_stock"
_PRINT_ON_DEMAND = "print_on_demand"
_HYBRID = "hybrid"
_BUY_STOCK = "buy_stock"
_MODES = (_BUY_STOCK, _PRINT_STOCK, _PRINT_ON_DEMAND, _HYBRID)
# A tolerance on expected counts so that e.g. 2.0000000001 prints stay 2.
_COUNT_EPS = 1e-9


class JobKind(StrEnum):
    """Why a print job exists."""

    INITIAL_BUILD = "initial_build"
    REPLENISHMENT = "replenishment"
    ON_DEMAND = "on_demand"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintJob:
    """Copies of one part on one plate, scheduled on one printer.

    Several jobs may share a plate (same ``plate_id``, ``sequence``, ``start``,
    ``end`` and ``print_time_s``). ``quantity`` is the number of copies of this
    job's part on the plate; ``print_time_s`` [s] is the whole plate's print
    time (``end - start``); ``filament_g`` [g] and ``cost`` are this job's
    copies' (the machine cost scaled by the plate's time saving).
    ``priority`` is dimensionless, higher is more urgent. ``sequence`` counts
    the plates of a printer from 1 in the order they run. All datetimes are
    timezone-naive.
    """

    job_id: str
    printer_id: str
    plate_id: str
    sequence: int
    part_id: str
    quantity: int
    material: str
    stl_file: str
    print_time_s: float
    filament_g: float
    cost: float
    earliest_start: datetime
    due: datetime
    priority: float
    start: datetime
    end: datetime
    kind: JobKind = JobKind.INITIAL_BUILD


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintQueue:
    """The lab's print queue: jobs ordered by printer, then sequence."""

    jobs: tuple[PrintJob, ...]
    start: datetime
    horizon_days: int = 90
    warnings: tuple[str, ...] = ()


def job_priority(
    criticality_weight: np.ndarray | float,
    downtime_cost_per_day: np.ndarray | float,
    stockout_risk: np.ndarray | float,
) -> np.ndarray:
    r"""Priority of print jobs: higher is more urgent.

    .. math:: w = c \, (1 + \log_{10}(1 + b)) \, \rho

    Parameters
    ----------
    criticality_weight
        :math:`c`: 3 for vital, 2 for essential, 1 for desirable parts. [-]
    downtime_cost_per_day
        :math:`b`, cost per unit backordered per day (0 when none). [currency/day]
    stockout_risk
        :math:`\rho \in [1, 2]`: 1 plus the fraction of the base-stock level
        missing when the job is due (2 when nothing is held). [-]

    Returns
    -------
    numpy.ndarray
        The priorities. [-]

    Examples
    --------
    >>> float(job_priority(3.0, 99.0, 2.0))
    18.0
    """
    c = np.asarray(criticality_weight, dtype=float)
    b = np.asarray(downtime_cost_per_day, dtype=float)
    rho = np.asarray(stockout_risk, dtype=float)
    return c * (1.0 + np.log10(1.0 + b)) * rho


def copies_per_plate(
    size_x_mm: np.ndarray | float,
    size_y_mm: np.ndarray | float,
    bed_x_mm: np.ndarray | float,
    bed_y_mm: np.ndarray | float,
    spacing_mm: float = PLATE_SPACING_MM,
) -> tuple[np.ndarray, np.ndarray]:
    r"""How many copies of a footprint fit a build plate on a regular grid.

    A row holds :math:`\lfloor (B + s) / (p + s) \rfloor` footprints of length
    :math:`p` on a bed of length :math:`B` with gap :math:`s`; the footprint may be
    turned 90° about Z, whichever holds more (unturned on a tie).

    Parameters
    ----------
    size_x_mm, size_y_mm
        Footprint of the part. [mm]
    bed_x_mm, bed_y_mm
        Build plate. [mm]
    spacing_mm
        Gap between copies. [mm]

    Returns
    -------
    copies : numpy.ndarray
        Copies per plate (int, 0 when the footprint does not fit either way).
    rotated : numpy.ndarray
        Whether the footprint is turned 90° (bool).

    Examples
    --------
    >>> copies, rotated = copies_per_plate(100.0, 40.0, 250.0, 210.0)
    >>> int(copies), bool(rotated)
    (10, True)
    """
    px, py = np.asarray(size_x_mm, dtype=float), np.asarray(size_y_mm, dtype=float)
    bx, by = np.asarray(bed_x_mm, dtype=float), np.asarray(bed_y_mm, dtype=float)

    def grid(length: np.ndarray, bed: np.ndarray) -> np.ndarray:
        n = np.floor((bed + spacing_mm) / (length + spacing_mm) + _COUNT_EPS)
        return np.where(length <= bed, np.maximum(n, 1.0), 0.0)

    straight = grid(px, bx) * grid(py, by)
    turned = grid(py, bx) * grid(px, by)
    rotated = turned > straight
    return np.where(rotated, turned, straight).astype(np.int64), rotated


def plate_layout(
    size_x_mm: float,
    size_y_mm: float,
    bed_x_mm: float,
    bed_y_mm: float,
    n_copies: int,
    spacing_mm: float = PLATE_SPACING_MM,
) -> tuple[np.ndarray, bool]:
    """Where the copies of one part go on a build plate.

    Copies fill a grid row by row (as :func:`copies_per_plate` counts them); the
    occupied grid is centred on the plate.

    Parameters
    ----------
    size_x_mm, size_y_mm
        Footprint of the part as modelled (before any turn). [mm]
    bed_x_mm, bed_y_mm
        Build plate. [mm]
    n_copies
        Copies to place (>= 1).
    spacing_mm
        Gap between copies. [mm]

    Returns
    -------
    offsets_mm : numpy.ndarray
        (n_copies, 2) positions of each copy's footprint minimum corner. [mm]
    rotated : bool
        Whether the footprint is turned 90° about Z (then its size is
        ``(size_y_mm, size_x_mm)``).

    Raises
    ------
    PlannerError
        When ``n_copies`` copies do not fit the plate.

    Examples
    --------
    >>> offsets, rotated = plate_layout(20.0, 20.0, 100.0, 50.0, 2)
    >>> offsets.tolist(), rotated
    ([[27.5, 15.0], [52.5, 15.0]], False)
    """
    capacity, turned = copies_per_plate(
        size_x_mm, size_y_mm, bed_x_mm, bed_y_mm, spacing_mm
    )
    if not 1 <= n_copies <= int(capacity):
        raise PlannerError(
            f"plate layout: n_copies must be in [1, {int(capacity)}] for a "
            f"{size_x_mm:g} x {size_y_mm:g} mm footprint on a {bed_x_mm:g} x "
            f"{bed_y_mm:g} mm plate, got {n_copies!r}"
        )
    rotated = bool(turned)
    px, py = (size_y_mm, size_x_mm) if rotated else (size_x_mm, size_y_mm)
    per_row = math.floor((bed_x_mm + spacing_mm) / (px + spacing_mm) + _COUNT_EPS)
    per_row = max(1, min(per_row, n_copies))
    n_rows = -(-n_copies // per_row)
    k = np.arange(n_copies)
    width = per_row * px + (per_row - 1) * spacing_mm
    depth = n_rows * py + (n_rows - 1) * spacing_mm
    x0 = (bed_x_mm - width) / 2.0
    y0 = (bed_y_mm - depth) / 2.0
    offsets = np.column_stack(
        (
            x0 + (k % per_row) * (px + spacing_mm),
            y0 + (k // per_row) * (py + spacing_mm),
        )
    )
    return offsets, rotated


def pack_plate(
    sizes_mm: np.ndarray,
    copies: np.ndarray,
    bed_x_mm: float,
    bed_y_mm: float,
    spacing_mm: float = PLATE_SPACING_MM,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Where the copies of several jobs go on one build plate.

    One job: :func:`plate_layout`. Several: each job's copies form a block (a
    grid of ``ceil(sqrt(q))`` columns, ``spacing_mm`` apart) and the blocks are
    packed on the bed with rectpack
    (:func:`planner.plate_estimate.pack_placements`, MaxRects, blocks kept
    ``spacing_mm`` apart, possibly turned 90° about Z, in which case every copy
    of the block is turned).

    Parameters
    ----------
    sizes_mm
        (k, 2) footprint of each job's part as modelled. [mm]
    copies
        (k,) copies of each job (>= 1).
    bed_x_mm, bed_y_mm
        Build plate. [mm]
    spacing_mm
        Gap between copies. [mm]

    Returns
    -------
    offsets_mm : list of numpy.ndarray
        Per job, (q, 2) positions of each copy's footprint minimum corner. [mm]
    turned : numpy.ndarray
        (k,) whether each job's copies are turned 90° about Z (their size is
        then ``(size_y, size_x)``).

    Raises
    ------
    PlannerError
        When the copies do not all fit the plate.

    Examples
    --------
    >>> offsets, turned = pack_plate(np.array([[50.0, 50.0], [20.0, 20.0]]),
    ...                              np.array([1, 1]), 100.0, 60.0)
    >>> [o.tolist() for o in offsets], turned.tolist()
    ([[[0.0, 0.0]], [[55.0, 0.0]]], [False, False])
    """
    size = np.asarray(sizes_mm, dtype=float).reshape(-1, 2)
    q = np.asarray(copies, dtype=np.int64).reshape(-1)
    if size.shape[0] == 1:
        offsets, rotated = plate_layout(
            float(size[0, 0]), float(size[0, 1]), bed_x_mm, bed_y_mm, int(q[0]),
            spacing_mm,
        )  # fmt: skip
        return [offsets], np.array([rotated])
    from planner.errors import GeometryError
    from planner.plate_estimate import pack_placements

    per_row = np.ceil(np.sqrt(q) - _COUNT_EPS).astype(np.int64)
    n_rows = -(-q // per_row)
    block = np.column_stack(
        (
            per_row * size[:, 0] + (per_row - 1) * spacing_mm,
            n_rows * size[:, 1] + (n_rows - 1) * spacing_mm,
        )
    )
    try:
        corners, turned = pack_placements(
            block, (bed_x_mm, bed_y_mm), spacing_mm=spacing_mm
        )
    except GeometryError:
        raise PlannerError(
            f"plate: {int(q.sum())} copies of {q.size} parts must fit the "
            f"{bed_x_mm:g} x {bed_y_mm:g} mm plate with {spacing_mm:g} mm spacing, "
            "got too many"
        ) from None
    offsets_mm = []
    for j in range(q.size):
        k = np.arange(q[j])
        local = np.column_stack(
            (
                (k % per_row[j]) * (size[j, 0] + spacing_mm),
                (k // per_row[j]) * (size[j, 1] + spacing_mm),
            )
        )
        if turned[j]:
            # The block turns: its grid is transposed and each copy turned.
            local = np.column_stack(
                (
                    (k // per_row[j]) * (size[j, 1] + spacing_mm),
                    (k % per_row[j]) * (size[j, 0] + spacing_mm),
                )
            )
        offsets_mm.append(corners[j] + local)
    return offsets_mm, turned.astype(bool)


def layer_overhead_s(estimate: Any, printer: Printer) -> float:
    """Per-layer overhead of one copy that a shared plate pays only once. [s]

    The layer changes (``layers`` × the profile's ``layer_change_time_s``) plus
    the cooling slowdown (the estimate's ``cooling_slowdown`` role time, 0 when
    it has none), at most the copy's print time.
    """
    roles = dict(getattr(estimate, "role_time_s", ()) or ())
    change_s = float(getattr(printer.profile, "layer_change_time_s", 0.0) or 0.0)
    overhead = float(getattr(estimate, "layers", 0) or 0) * change_s + float(
        roles.get("cooling_slowdown", 0.0)
    )
    return min(max(overhead, 0.0), float(estimate.print_time_s))


def plate_print_time_s(
    unit_time_s: np.ndarray, overhead_s: np.ndarray, copies: np.ndarray
) -> float:
    r"""Print time of a plate of several parts. [s]

    .. math:: T = \sum_k q_k (t_k - o_k) + \max_k o_k

    with :math:`q_k` copies of a part printed alone in :math:`t_k`, of which
    :math:`o_k` is per-layer overhead (:func:`layer_overhead_s`) that the plate
    pays once, for its tallest/slowest-cooling part.

    Examples
    --------
    >>> plate_print_time_s(np.array([100.0, 50.0]), np.array([10.0, 5.0]),
    ...                    np.array([2, 1]))
    235.0
    """
    t = np.asarray(unit_time_s, dtype=float)
    o = np.asarray(overhead_s, dtype=float)
    q = np.asarray(copies, dtype=float)
    return float(q @ (t - o) + (o.max() if o.size else 0.0))


@lru_cache(maxsize=EXACT_MAX_PLATES + 1)
def _permutations(n: int) -> np.ndarray:
    """All orders of ``n`` items, lexicographic, as an (n!, n) array."""
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
    perms.setflags(write=False)
    return perms.reshape(-1, n)


def sequence_cost(
    order: np.ndarray, processing_s: np.ndarray, due_s: np.ndarray, weight: np.ndarray
) -> tuple[float, float]:
    r"""Weighted tardiness and weighted completion time of one order.

    The machine runs continuously from time 0 and all jobs are released then.

    Parameters
    ----------
    order
        Job indices in processing order.
    processing_s
        Processing time of each job. [s]
    due_s
        Due time of each job. [s]
    weight
        Weight (priority) of each job. [-]

    Returns
    -------
    tuple of float
        :math:`\sum_j w_j \max(0, C_j - d_j)` [s] and :math:`\sum_j w_j C_j` [s].

    Examples
    --------
    >>> sequence_cost(np.array([1, 0]), np.array([2.0, 1.0]), np.array([2.0, 0.0]),
    ...               np.array([1.0, 1.0]))
    (2.0, 4.0)
    """
    order = np.asarray(order, dtype=np.int64)
    completion = np.cumsum(processing_s[order])
    w = weight[order]
    tardiness = np.maximum(completion - due_s[order], 0.0)
    return float(w @ tardiness), float(w @ completion)


def sequence_plates(
    processing_s: np.ndarray, due_s: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    r"""Order of plates on one printer: least weighted tardiness, then completion.

    Minimises :math:`\sum_j w_j \max(0, C_j - d_j)` on a continuous single machine
    with all plates released at time 0, breaking ties by :math:`\sum_j w_j C_j`
    (which is the weighted lateness :math:`\sum_j w_j (C_j - d_j)` up to a
    constant). Up to :data:`EXACT_MAX_PLATES` plates every order is evaluated, so
    the result is optimal. Above that, the better of EDD (due, then higher weight
    first) and Smith's WSPT rule (:math:`p_j / w_j` ascending) is improved by
    adjacent pairwise interchanges until none helps (a local optimum).

    Parameters
    ----------
    processing_s
        Processing time of each plate. [s]
    due_s
        Due time of each plate, from the schedule start. [s]
    weight
        Priority of each plate (> 0). [-]

    Returns
    -------
    numpy.ndarray
        Plate indices in processing order.

    Examples
    --------
    >>> sequence_plates(np.array([3.0, 1.0]), np.array([3.0, 10.0]),
    ...                 np.array([1.0, 1.0])).tolist()
    [0, 1]
    """
    p = np.asarray(processing_s, dtype=float)
    d = np.asarray(due_s, dtype=float)
    w = np.asarray(weight, dtype=float)
    n = p.shape[0]
    # EDD order first, so that ties resolve towards earlier due dates.
    edd = np.lexsort((np.arange(n), -w, d))
    if n <= 1:
        return edd
    if n <= EXACT_MAX_PLATES:
        perms = edd[_permutations(n)]
        completion = np.cumsum(p[perms], axis=1)
        wp = w[perms]
        tardiness = (wp * np.maximum(completion - d[perms], 0.0)).sum(axis=1)
        weighted_completion = (wp * completion).sum(axis=1)
        scale = max(1.0, float(np.max(np.abs(tardiness))))
        best = np.lexsort((weighted_completion, np.round(tardiness / scale, 9)))[0]
        return perms[best].copy()
    wspt = np.lexsort((d, p / w))
    candidates = [edd, wspt]
    costs = [sequence_cost(c, p, d, w) for c in candidates]
    order = candidates[min(range(2), key=lambda i: costs[i])].copy()
    return _adjacent_interchange(order, p, d, w)


def _adjacent_interchange(
    order: np.ndarray, p: np.ndarray, d: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Best-improvement descent over adjacent swaps (lexicographic cost)."""
    n = order.shape[0]
    tol = 1e-9 * (1.0 + float(np.sum(w * (p.sum() + np.abs(d)))))
    for _ in range(20 * n + 100):
        pa, pb = p[order[:-1]], p[order[1:]]
        wa, wb = w[order[:-1]], w[order[1:]]
        da, db = d[order[:-1]], d[order[1:]]
        t0 = np.concatenate(([0.0], np.cumsum(p[order])[:-2]))
        before = wa * np.maximum(t0 + pa - da, 0) + wb * np.maximum(
            t0 + pa + pb - db, 0
        )
        after = wb * np.maximum(t0 + pb - db, 0) + wa * np.maximum(t0 + pa + pb - da, 0)
        d_tardiness = after - before
        d_completion = wa * pb - wb * pa
        better = (d_tardiness < -tol) | (
            (np.abs(d_tardiness) <= tol) & (d_completion < -tol)
        )
        if not better.any():
            break
        key_t = np.where(better, d_tardiness, np.inf)
        i = int(np.lexsort((np.where(better, d_completion, np.inf), key_t))[0])
        order[i], order[i + 1] = order[i + 1], order[i]
    return order


def _event_field(event: Any, name: str) -> Any:
    return getattr(event, name, None)


def _event_window_days(event: Any, horizon_days: float) -> tuple[float, float]:
    """[start, end) of an event in days; no start = 0, no duration = to horizon."""
    start = _event_field(event, "start_day")
    start_day = 0.0 if start is None else float(start)
    duration = _event_field(event, "duration_days")
    end_day = horizon_days if duration is None else start_day + float(duration)
    return start_day, max(end_day, start_day)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterCalendar:
    """When plates may start on one printer, in seconds from the queue start.

    Availability rule: the printer's weekly hours are spread as one window a day,
    ``hours_available_per_week / 7`` hours long, opening at 08:00 (continuous
    when that is 24 h or more). **A plate may start only inside a window; once
    started it runs to completion**, through the night if need be (prints run
    unattended). A plate never overlaps a ``printer_down`` window
    ``[start_day, start_day + duration_days)`` of its printer, and never starts
    inside a ``material_shortage`` window of its material.

    Attributes
    ----------
    phase_s
        Seconds from midnight of the start date to the queue start. [s]
    window_length_s
        Length of the daily window (``inf`` when continuous). [s]
    down_s
        (k, 2) printer-down windows ``[a, b)``. [s]
    shortage_s
        Material (upper case, ``"*"`` for all) → (k, 2) shortage windows. [s]
    """

    printer_id: str
    phase_s: float
    window_length_s: float
    down_s: np.ndarray
    shortage_s: Mapping[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def for_printer(
        cls, printer: Printer, *, start: datetime, scenario: Any = None
    ) -> PrinterCalendar:
        """Calendar of ``printer`` from ``start`` under ``scenario`` (or none).

        Raises
        ------
        PlannerError
            When the printer has no available hours.
        """
        hours_per_day = printer.hours_available_per_week / 7.0
        if not hours_per_day > 0:
            raise PlannerError(
                f"printer {printer.printer_id}: hours_available_per_week must be > 0 "
                f"to schedule prints, got {printer.hours_available_per_week!r}"
            )
        window = (
            math.inf
            if hours_per_day >= HOURS_PER_DAY
            else hours_per_day * SECONDS_PER_HOUR
        )
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        down: list[tuple[float, float]] = []
        shortage: dict[str, list[tuple[float, float]]] = {}
        events = () if scenario is None else tuple(scenario.events)
        horizon = float(getattr(scenario, "horizon_days", 365) or 365)
        for event in events:
            kind = str(_event_field(event, "type"))
            a, b = _event_window_days(event, horizon)
            span = (a * SECONDS_PER_DAY, b * SECONDS_PER_DAY)
            if kind == "printer_down":
                target = _event_field(event, "printer_id")
                if target is None or str(target) == printer.printer_id:
                    down.append(span)
            elif kind == "material_shortage":
                material = _event_field(event, "material")
                key = "*" if material is None else str(material).upper()
                shortage.setdefault(key, []).append(span)
        return cls(
            printer_id=printer.printer_id,
            phase_s=(start - midnight).total_seconds(),
            window_length_s=window,
            down_s=np.array(down, dtype=float).reshape(-1, 2),
            shortage_s={k: np.array(v, dtype=float) for k, v in shortage.items()},
        )

    def open_at_or_after(self, t_s: float) -> float:
        """Earliest time >= ``t_s`` inside a daily window. [s]"""
        if math.isinf(self.window_length_s):
            return t_s
        open_s = WINDOW_OPEN_H * SECONDS_PER_HOUR
        since_midnight = t_s + self.phase_s
        day = math.floor((since_midnight - open_s) / SECONDS_PER_DAY)
        window_start = day * SECONDS_PER_DAY + open_s
        if since_midnight < window_start + self.window_length_s:
            return t_s
        return (day + 1) * SECONDS_PER_DAY + open_s - self.phase_s

    def earliest_start(self, t_s: float, duration_s: float, material: str) -> float:
        """Earliest allowed start >= ``t_s`` of a plate. [s]

        Raises
        ------
        PlannerError
            When the windows never leave room (cannot happen with finite windows).
        """
        blocks = [self.shortage_s.get(material.upper()), self.shortage_s.get("*")]
        starts_blocked = np.concatenate(
            [b for b in blocks if b is not None] + [np.empty((0, 2))]
        )
        s = t_s
        for _ in range(2 * (len(starts_blocked) + len(self.down_s)) + 4):
            s = self.open_at_or_after(s)
            in_shortage = (starts_blocked[:, 0] <= s) & (s < starts_blocked[:, 1])
            a, b = self.down_s[:, 0], self.down_s[:, 1]
            overlaps_down = ((a < s + duration_s) | (a <= s)) & (s < b)
            pushed = np.concatenate(
                (starts_blocked[in_shortage, 1], self.down_s[overlaps_down, 1])
            )
            if pushed.size == 0:
                return s
            s = float(pushed.max())
        raise PlannerError(
            f"printer {self.printer_id}: no start found for a {duration_s:g} s plate "
            f"of {material} after {t_s:g} s"
        )


def _event_hits(event: Any, part: Part) -> bool:
    """Whether an event's supplier, region, criticality and part filters match."""
    filters = {
        "supplier": part.supplier,
        "supplier_region": part.supplier_region,
        "criticality": str(part.criticality),
        "part_id": part.part_id,
    }
    return all(
        _event_field(event, name) is None
        or str(_event_field(event, name)).casefold() == value.casefold()
        for name, value in filters.items()
    )


def random_outage_fraction(part: Part, scenario: Any) -> float:
    r"""Expected share of the time ``part``'s supplier is down in random outages.

    .. math:: f = \min\Bigl(1, \sum_e \nu_e \bar D_e / 365\Bigr)

    over the scenario's ``random_outages`` events that hit the part, with
    :math:`\nu_e` outages per year (``rate_per_year``) of mean length
    :math:`\bar D_e` days (``duration_days``, the mean of the exponential when
    that is the distribution); overlaps are neglected (rare outages).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> event = NS(type="random_outages", rate_per_year=2.0, duration_days=36.5)
    >>> random_outage_fraction(Part(part_id="A", unit_cost=1.0, annual_demand=1.0,
    ...     lead_time_days=1.0), NS(events=(event,)))
    0.2
    """
    if scenario is None:
        return 0.0
    total = 0.0
    for event in scenario.events:
        if str(_event_field(event, "type")) != "random_outages":
            continue
        if not _event_hits(event, part):
            continue
        rate = float(_event_field(event, "rate_per_year") or 0.0)
        days = float(_event_field(event, "duration_days") or 0.0)
        total += max(rate, 0.0) * max(days, 0.0)
    return min(1.0, total / DAYS_PER_YEAR)


def _outage_windows(part: Part, scenario: Any, horizon_days: float) -> np.ndarray:
    """Merged supplier-outage windows [days] hitting ``part``, as (k, 2)."""
    if scenario is None:
        return np.empty((0, 2))
    scenario_horizon = float(getattr(scenario, "horizon_days", 365) or 365)
    windows = []
    for event in scenario.events:
        if str(_event_field(event, "type")) != "supplier_outage":
            continue
        if _event_hits(event, part):
            a, b = _event_window_days(event, scenario_horizon)
            if a < horizon_days and b > 0:
                windows.append((max(a, 0.0), b))
    if not windows:
        return np.empty((0, 2))
    spans = np.array(sorted(windows))
    merged = [spans[0].tolist()]
    for a, b in spans[1:]:
        if a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return np.array(merged, dtype=float)


@dataclass(frozen=True, slots=True, kw_only=True)
class _PlateRows:
    """Plates before scheduling, as aligned arrays."""

    local: np.ndarray  # index into the printed parts
    copies: np.ndarray
    due_s: np.ndarray
    risk: np.ndarray
    kind: np.ndarray


def _split_into_plates(
    quantity: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split per-row quantities into plates of at most ``capacity`` copies.

    Returns the row of each plate, its copies, and the cumulative copies of its
    row up to and including it.
    """
    n_plates = np.where(quantity > 0, -(-quantity // capacity), 0)
    row = np.repeat(np.arange(quantity.shape[0]), n_plates)
    first = np.cumsum(n_plates) - n_plates
    k = np.arange(row.shape[0]) - np.repeat(first, n_plates)
    copies = np.minimum(capacity[row], quantity[row] - k * capacity[row])
    cumulative = np.minimum((k + 1) * capacity[row], quantity[row])
    return row, copies, cumulative


def _group_plates(
    idx: np.ndarray,
    local: np.ndarray,
    copies: np.ndarray,
    due_s: np.ndarray,
    priority: np.ndarray,
    material: np.ndarray,
    vital: np.ndarray,
    printer: Printer,
    bbox_x: np.ndarray,
    bbox_y: np.ndarray,
) -> list[np.ndarray]:
    """Jobs ``idx`` of one printer grouped into plates, each in due order.

    First fit in (due, -priority) order: a job joins the first open plate of its
    material whose earliest due date is at most :data:`PLATE_WINDOW_DAYS` before
    its own and on which :func:`pack_plate` fits all copies; else it opens a
    plate. A vital job closes the plate it is on.
    """
    order = idx[np.lexsort((-priority[idx], due_s[idx]))]
    window_s = PLATE_WINDOW_DAYS * SECONDS_PER_DAY
    bed_area = printer.build_x_mm * printer.build_y_mm
    area = copies * bbox_x[local] * bbox_y[local]
    plates: list[list[int]] = []
    anchor: list[float] = []
    is_open: list[bool] = []
    for r in order.tolist():
        target = -1
        for k, rows in enumerate(plates):
            if not is_open[k] or material[rows[0]] != material[r]:
                continue
            if due_s[r] - anchor[k] > window_s:
                is_open[k] = False
                continue
            members = np.array([*rows, r], dtype=np.int64)
            if area[members].sum() > bed_area:
                continue
            try:
                pack_plate(
                    np.column_stack((bbox_x[local[members]], bbox_y[local[members]])),
                    copies[members],
                    printer.build_x_mm,
                    printer.build_y_mm,
                )
            except PlannerError:
                continue
            target = k
            break
        if target < 0:
            plates.append([r])
            anchor.append(float(due_s[r]))
            is_open.append(True)
            target = len(plates) - 1
        else:
            plates[target].append(r)
        if vital[r]:
            is_open[target] = False
    return [np.array(rows, dtype=np.int64) for rows in plates]


#: Layer figures of parts already sliced for plates, by STL file, orientation,
#: printer settings and material (``None``: the part cannot be composed).
_FIGURES: dict[tuple[Any, ...], LayerFigures | None] = {}
#: Most entries kept in :data:`_FIGURES` (the oldest go first).
_FIGURES_MAX = 256
#: Most triangles held by the meshes in :data:`_FIGURES` (bounds its memory).
_FIGURES_MAX_TRIANGLES = 2_000_000


def _estimate_material(
    est: Any, printer: Printer, materials: Mapping[str, Material] | None
) -> Material | None:
    """The material an estimate used: from ``materials``, else from its figures.

    Density and price follow exactly from the estimate's filament mass, length
    and material cost; ``None`` when they cannot.
    """
    name = str(est.material)
    if materials is not None and name.upper() in materials:
        return materials[name.upper()]
    grams = float(getattr(est, "filament_g", 0.0) or 0.0)
    length_mm = float(getattr(est, "filament_mm", 0.0) or 0.0)
    price = getattr(est, "material_cost", None)
    if not (grams > 0 and length_mm > 0 and price is not None):
        return None
    area_mm2 = math.pi * printer.profile.filament_diameter_mm**2 / 4.0
    return Material(
        material=name,
        density_g_cm3=grams * MM3_PER_CM3 / (length_mm * area_mm2),
        cost_per_kg=float(price) / grams * G_PER_KG,
    )


def part_layer_figures(
    part: Part,
    est: Any,
    printer: Printer,
    *,
    rotation: np.ndarray | None = None,
    materials: Mapping[str, Material] | None = None,
) -> LayerFigures | None:
    """Layer figures of a part in the orientation its estimate used, or ``None``.

    The STL is turned by ``rotation`` (3 x 3, as
    :func:`planner.orientation.rest_on_bed` takes it) or, without one, by the
    first candidate orientation (:func:`planner.orientation.candidate_rotations`)
    whose bounding box is the estimate's; the figures count only when their
    estimate alone reproduces ``est``'s print time and filament (so the plate is
    composed from the very print the plan costed). ``None`` when the part has
    no readable STL, no candidate reproduces the estimate, or the material is
    unknown. Results are cached by file, orientation, printer and material.
    """
    path = part.stl_path
    material = _estimate_material(est, printer, materials)
    if path is None or material is None or not Path(path).is_file():
        return None
    stat = Path(path).stat()
    key = (
        str(path), stat.st_mtime_ns, stat.st_size,
        None if rotation is None else np.asarray(rotation, float).tobytes(),
        printer.profile, printer.hourly_rate, printer.printer_id,
        material.material, material.density_g_cm3, material.cost_per_kg,
        float(est.print_time_s), float(est.filament_g),
    )  # fmt: skip
    if key in _FIGURES:
        return _FIGURES[key]
    found: LayerFigures | None = None
    target = np.array([est.bbox_x_mm, est.bbox_y_mm, est.bbox_z_mm], dtype=float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlannerWarning)
            mesh = load_stl(path, name=part.stl_file or "")
            if rotation is not None:
                rotations = np.asarray(rotation, float).reshape(1, 3, 3)
            else:
                rotations = candidate_rotations(mesh.vectors)[1]
            for turn in rotations:
                vectors = rest_on_bed(mesh.vectors, turn)
                size = np.ptp(vectors.reshape(-1, 3), axis=0)
                if not np.allclose(size, target, rtol=1e-6, atol=1e-3):
                    continue
                figures = layer_figures(
                    Mesh(vectors=vectors, name=mesh.name),
                    profile=printer.profile,
                    material=material,
                    hourly_rate=printer.hourly_rate,
                    printer_id=printer.printer_id,
                    name=str(est.file),
                )
                alone = figures.estimate
                if math.isclose(
                    alone.print_time_s,
                    float(est.print_time_s),
                    rel_tol=1e-6,
                    abs_tol=1e-6,
                ) and math.isclose(
                    alone.filament_g, float(est.filament_g), rel_tol=1e-6, abs_tol=1e-9
                ):
                    found = figures
                    break
    except GeometryError:
        found = None
    _FIGURES[key] = found

    def held() -> int:
        return sum(f.estimate.triangles for f in _FIGURES.values() if f is not None)

    while len(_FIGURES) > 1 and (
        len(_FIGURES) > _FIGURES_MAX or held() > _FIGURES_MAX_TRIANGLES
    ):
        _FIGURES.pop(next(iter(_FIGURES)))
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class _PlateFigures:
    """Print time of each plate and filament and cost of each job row."""

    time_s: np.ndarray
    filament_g: dict[int, float]
    cost: dict[int, float]
    approximated: int


def _plate_figures(
    groups: Sequence[np.ndarray],
    local: np.ndarray,
    copies: np.ndarray,
    rec_part: Sequence[Part],
    rec_est: Sequence[Any],
    printer: Printer,
    overhead_s: np.ndarray,
    figures_of: Any,
    materials: Mapping[str, Material] | None,
) -> _PlateFigures:
    """Print time [s] of each plate and filament [g] and cost of each of its jobs.

    One copy: the part's estimate. Several: the plate estimate
    (:func:`planner.plate_estimate.estimate_plate`, ``method="compose"``) of the
    copies in their print orientation at the positions :func:`pack_plate` gives
    them, a job's filament and cost being its copies' shares of the plate's.
    When a part's layer figures cannot be had (``figures_of`` returns ``None``)
    the plate falls back to :func:`plate_print_time_s`.
    """
    times: list[float] = []
    filament: dict[int, float] = {}
    cost: dict[int, float] = {}
    approximated = 0
    for rows in groups:
        q = copies[rows]
        ests = [rec_est[j] for j in local[rows].tolist()]
        figs = (
            [figures_of(int(j)) for j in local[rows].tolist()]
            if int(q.sum()) > 1
            else [None]
        )
        material = _estimate_material(ests[0], printer, materials)
        if all(f is not None for f in figs) and material is not None:
            sizes = np.array([[float(e.bbox_x_mm), float(e.bbox_y_mm)] for e in ests])
            offsets, turned = pack_plate(
                sizes, q, printer.build_x_mm, printer.build_y_mm
            )
            items = [f for f, n in zip(figs, q.tolist(), strict=True) for _ in range(n)]
            plate = estimate_plate(
                items,
                np.concatenate(offsets).tolist(),
                turned_90=np.repeat(turned, q).tolist(),
                profile=printer.profile,
                material=material,
                hourly_rate=printer.hourly_rate,
                printer_id=printer.printer_id,
                method=PlateMethod.COMPOSE,
            )
            times.append(math.ceil(plate.print_time_s - _COUNT_EPS))
            bounds = np.concatenate(([0], np.cumsum(q)))
            for k, r in enumerate(rows.tolist()):
                mine = plate.parts[bounds[k] : bounds[k + 1]]
                filament[r] = float(sum(p.share_frac for p in mine)) * plate.filament_g
                cost[r] = float(sum(p.total_cost_share for p in mine))
            continue
        if int(q.sum()) > 1 and any(
            rec_part[j].stl_path is not None for j in local[rows].tolist()
        ):
            approximated += 1
        unit = np.array([float(e.print_time_s) for e in ests])
        plate_s = math.ceil(
            plate_print_time_s(unit, overhead_s[local[rows]], q) - _COUNT_EPS * q.sum()
        )
        times.append(plate_s)
        alone_s = float(q @ unit)
        saving = plate_s / alone_s if alone_s > 0 else 1.0
        for r, e, n in zip(rows.tolist(), ests, q.tolist(), strict=True):
            machine = float(getattr(e, "machine_cost", 0.0) or 0.0)
            filament[r] = n * float(e.filament_g)
            cost[r] = n * (float(e.total_cost) - machine * (1.0 - saving))
    return _PlateFigures(
        time_s=np.array(times, dtype=float),
        filament_g=filament,
        cost=cost,
        approximated=approximated,
    )


def build_queue(
    plan: Any,
    parts: Sequence[Part],
    estimates: Mapping[tuple[str, str], Any],
    printers: Sequence[Printer],
    *,
    start: datetime,
    horizon_days: int = 90,
    demand_per_year: np.ndarray | None = None,
    scenario: Any = None,
    rotations: Mapping[tuple[str, str], np.ndarray] | None = None,
    materials: Mapping[str, Material] | None = None,
) -> PrintQueue:
    r"""Print jobs, plates and schedule for the printed parts of a sourcing plan.

    Jobs (all released at ``start``; :math:`\lambda` demand per year, :math:`r`
    ``am_lifetime_ratio``, :math:`H` ``horizon_days``, :math:`S` base-stock level):

    - ``print_stock``: an initial build of :math:`S - \text{on hand} -
      \text{on order}` units when positive, due at start + its print time + 1 day
      (vital), 7 days (essential) or 14 days (desirable); then
      :math:`n = \lceil \lambda H / (365 r) \rceil` single-unit replenishment
      prints, the k-th due at the expected k-th consumption,
      :math:`\min(365 k r / \lambda, H)` days after start;
    - ``print_on_demand``: the same :math:`n` single-unit prints;
    - ``hybrid``: for each supplier outage of the scenario that hits the part and
      starts within the horizon, an emergency build of the expected prints
      during the outage, :math:`\lceil \lambda D / (365 r) \rceil` for a window of
      :math:`D` days, due at the outage start + its print time + the urgency
      slack; and for the scenario's random outages hitting the part, the
      expected prints while its supplier is down,
      :math:`n = \lfloor \lambda f H / (365 r) + 1/2 \rfloor` with :math:`f`
      :func:`random_outage_fraction`, as :math:`n` single-unit prints due at
      :math:`(k + 1/2) H / n` days, :math:`k = 0 .. n-1`; none without a
      scenario;
    - ``buy_stock``: none.

    A job larger than one plate is split into several (a later plate of an initial
    or emergency build is due after the cumulative print time of the plates
    before it). Priority: :func:`job_priority` with stock-out risk
    :math:`1 + \min(1, (S - \text{on hand})^+ / S)` for an initial build,
    :math:`1 + 1/\max(S, 1)` for a replenishment, and 2 for on-demand and
    emergency prints (nothing is held for them).

    Plates: jobs of one printer and material due within
    :data:`PLATE_WINDOW_DAYS` of a plate's earliest due date share that plate
    when rectpack fits all their copies on the bed (:func:`pack_plate`, 5 mm
    spacing, footprints from the estimates' bounding boxes), first fit in due
    order; a vital part's job closes its plate. A plate of one copy takes the
    part's estimate; a plate of several copies takes its composed plate estimate
    (the copies in their print orientation at their :func:`pack_plate`
    positions, see the module docstring), a job's filament and cost being its
    copies' shares, or :func:`plate_print_time_s` when a part's STL does not
    reproduce its estimate. A plate's due date is the earliest of its jobs' and
    its weight the sum of their priorities; all its jobs share its
    ``plate_id``, ``sequence``, ``start``, ``end`` and ``print_time_s``.

    Schedule: plates are ordered per printer by :func:`schedule_printer` (exact
    on the calendar up to :data:`EXACT_CALENDAR_MAX_PLATES` plates; above, by
    :func:`sequence_plates` with processing times scaled by 24 h / daily window
    hours when the printer is not continuous) and placed back to back in the
    printer's :class:`PrinterCalendar`: **a plate
    may start only inside the printer's daily window (08:00, for
    hours_available_per_week / 7 hours; continuous at 24 h or more) and then runs
    to completion**; plates never overlap each other or a ``printer_down``
    window, and never start inside a ``material_shortage`` window of their
    material. Above the exact size, placement takes the plates in sequence
    order, except that among the next :data:`PLACEMENT_LOOKAHEAD` plates the one that can start earliest goes
    first (so a short plate fills the gap before a downtime and other materials
    print during a shortage). Durations are rounded up to whole seconds.

    Parameters
    ----------
    plan
        Sourcing plan with arrays ``part_id``, ``mode``, ``printer_id`` (``""``
        for none) and ``base_stock_level``.
    parts
        Catalog parts; every planned part must be among them.
    estimates
        Print estimates keyed by ``(part_id, printer_id)``, with ``file``,
        ``print_time_s``, ``filament_g``, ``total_cost``, ``material`` and
        ``bbox_x_mm``/``bbox_y_mm``/``bbox_z_mm``.
    printers
        The lab's printers.
    start
        Queue start, timezone-naive.
    horizon_days
        Days of demand covered by the queue (> 0). [days]
    demand_per_year
        Demand rate per planned part, aligned with ``plan.part_id``; default each
        part's ``annual_demand`` (0 when ``None``). [1/year]
    scenario
        Scenario whose ``printer_down``, ``material_shortage``,
        ``supplier_outage`` and ``random_outages`` events apply, or ``None``.
    rotations
        ``(part_id, printer_id)`` -> 3 x 3 rotation of the print orientation the
        estimate used (as ``EstimateResult.rotation``); a missing one is found
        among the candidate orientations whose box matches the estimate.
    materials
        Materials by upper-case name, for the plate estimates' filament price
        and density; a missing one follows from the estimate.

    Returns
    -------
    PrintQueue
        Jobs ordered by printer (in ``printers`` order) then sequence; warnings
        for late plates and plates ending after the horizon.

    Raises
    ------
    PlannerError
        On a timezone-aware ``start``, a non-positive ``horizon_days``, misaligned
        or negative ``demand_per_year``, an unknown mode, part or printer, a
        printed part without printer or estimate, a part that does not fit its
        printer or a material the printer does not run, or a printer with no
        available hours.
    """
    if start.tzinfo is not None:
        raise PlannerError(
            f"print queue: start must be timezone-naive, got {start.isoformat()}"
        )
    if not (isinstance(horizon_days, int | np.integer) and horizon_days > 0):
        raise PlannerError(
            f"print queue: horizon_days must be an integer > 0, got {horizon_days!r}"
        )
    part_ids = np.asarray(plan.part_id).astype(str)
    modes = np.asarray(plan.mode).astype(str)
    printer_ids = np.asarray(plan.printer_id).astype(str)
    base_stock = np.asarray(plan.base_stock_level, dtype=float)
    n = part_ids.shape[0]
    for name, arr in (("mode", modes), ("printer_id", printer_ids)):
        if arr.shape != (n,):
            raise PlannerError(
                f"sourcing plan: {name} must have {n} entries like part_id, "
                f"got shape {arr.shape}"
            )
    if base_stock.shape != (n,):
        raise PlannerError(
            f"sourcing plan: base_stock_level must have {n} entries like part_id, "
            f"got shape {base_stock.shape}"
        )
    unknown = sorted(set(modes.tolist()) - set(_MODES))
    if unknown:
        raise PlannerError(
            f"sourcing plan: mode must be one of {', '.join(_MODES)}, got {unknown[0]!r}"
        )
    by_id: dict[str, Part] = {p.part_id: p for p in parts}
    printer_by_id = {p.printer_id: p for p in printers}
    missing = [pid for pid in part_ids.tolist() if pid not in by_id]
    if missing:
        raise PlannerError(
            f"sourcing plan: part {missing[0]} is not in the catalog parts given"
        )
    if demand_per_year is None:
        rate = np.array(
            [by_id[pid].annual_demand or 0.0 for pid in part_ids.tolist()], dtype=float
        )
    else:
        rate = np.asarray(demand_per_year, dtype=float)
        if rate.shape != (n,):
            raise PlannerError(
                f"print queue: demand_per_year must have {n} entries aligned with "
                f"plan.part_id, got shape {rate.shape}"
            )
        bad = ~(np.isfinite(rate) & (rate >= 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PlannerError(
                f"part {part_ids[i]}: demand_per_year must be >= 0, got {rate[i]!r}"
            )

    printed = np.flatnonzero(
        np.isin(modes, (_PRINT_STOCK, _PRINT_ON_DEMAND))
        | ((modes == _HYBRID) & (printer_ids != ""))
    )
    hybrid_without_printer = np.flatnonzero((modes == _HYBRID) & (printer_ids == ""))
    if scenario is not None and hybrid_without_printer.size:
        # A hybrid part with no printer cannot get emergency prints; only an
        # outage hitting it makes that a problem.
        for i in hybrid_without_printer.tolist():
            if _outage_windows(by_id[part_ids[i]], scenario, horizon_days).size:
                raise PlannerError(
                    f"part {part_ids[i]}: hybrid mode needs a printer_id for "
                    "emergency prints during the scenario's outage, got ''"
                )

    # Gather the per-part scalars of the printed parts (records -> arrays).
    rec_part: list[Part] = []
    rec_est: list[Any] = []
    rec_printer: list[Printer] = []
    for i in printed.tolist():
        pid, prid = part_ids[i], printer_ids[i]
        part = by_id[pid]
        if prid == "":
            raise PlannerError(
                f"part {pid}: mode {modes[i]} needs a printer_id, got ''"
            )
        if prid not in printer_by_id:
            raise PlannerError(
                f"part {pid}: printer_id must be one of "
                f"{', '.join(printer_by_id) or '(no printers)'}, got {prid!r}"
            )
        printer = printer_by_id[prid]
        est = estimates.get((pid, prid))
        if est is None:
            raise PlannerError(
                f"part {pid}: no print estimate for printer {prid} "
                f"(key ({pid!r}, {prid!r}) missing from estimates)"
            )
        size = (float(est.bbox_x_mm), float(est.bbox_y_mm), float(est.bbox_z_mm))
        if not printer.fits(size):
            raise PlannerError(
                f"part {pid}: bounding box {size[0]:g} x {size[1]:g} x {size[2]:g} mm "
                f"does not fit printer {prid} ({printer.build_x_mm:g} x "
                f"{printer.build_y_mm:g} x {printer.build_z_mm:g} mm)"
            )
        if not printer.runs(str(est.material)):
            raise PlannerError(
                f"part {pid}: material must be one of printer {prid}'s "
                f"{', '.join(printer.materials)}, got {est.material!r}"
            )
        rec_part.append(part)
        rec_est.append(est)
        rec_printer.append(printer)

    m = len(rec_part)
    g_rate = rate[printed]
    g_mode = modes[printed]
    g_s = base_stock[printed]
    life = np.array([p.am_lifetime_ratio for p in rec_part], dtype=float)
    on_hand = np.array([p.on_hand for p in rec_part], dtype=float)
    on_order = np.array([p.on_order for p in rec_part], dtype=float)
    crit = [p.criticality for p in rec_part]
    crit_w = np.array([CRITICALITY_WEIGHT[c] for c in crit], dtype=float)
    slack_s = np.array([URGENCY_DAYS[c] for c in crit], dtype=float) * SECONDS_PER_DAY
    downtime = np.array([p.downtime_cost_per_day or 0.0 for p in rec_part], float)
    unit_time_s = np.array([float(e.print_time_s) for e in rec_est], dtype=float)
    bbox_x = np.array([float(e.bbox_x_mm) for e in rec_est], dtype=float)
    bbox_y = np.array([float(e.bbox_y_mm) for e in rec_est], dtype=float)
    bed_x = np.array([p.build_x_mm for p in rec_printer], dtype=float)
    bed_y = np.array([p.build_y_mm for p in rec_printer], dtype=float)
    capacity, _ = copies_per_plate(bbox_x, bbox_y, bed_x, bed_y)
    print_rate = np.divide(g_rate, life, out=np.zeros(m), where=g_rate > 0)
    horizon_s = horizon_days * SECONDS_PER_DAY
    pieces: list[_PlateRows] = []

    # Initial builds of print_stock parts up to S.
    stock = g_mode == _PRINT_STOCK
    shortfall = np.where(stock, np.ceil(g_s - on_hand - on_order - _COUNT_EPS), 0)
    shortfall = np.maximum(shortfall, 0).astype(np.int64)
    row, copies, cumulative = _split_into_plates(shortfall, capacity)
    risk_initial = 1.0 + np.minimum(
        1.0, np.maximum(g_s - on_hand, 0.0) / np.maximum(g_s, 1.0)
    )
    pieces.append(
        _PlateRows(
            local=row,
            copies=copies,
            due_s=cumulative * unit_time_s[row] + slack_s[row],
            risk=risk_initial[row],
            kind=np.full(row.shape, JobKind.INITIAL_BUILD.value),
        )
    )

    # One single-unit print per expected consumption over the horizon.
    consuming = stock | (g_mode == _PRINT_ON_DEMAND)
    n_prints = np.where(
        consuming, np.ceil(print_rate * horizon_days / DAYS_PER_YEAR - _COUNT_EPS), 0
    )
    n_prints = np.maximum(n_prints, 0).astype(np.int64)
    row = np.repeat(np.arange(m), n_prints)
    k = np.arange(row.shape[0]) - np.repeat(np.cumsum(n_prints) - n_prints, n_prints)
    due_days = np.minimum(
        (k + 1) * DAYS_PER_YEAR / np.where(print_rate[row] > 0, print_rate[row], 1.0),
        horizon_days,
    )
    risk_repeat = np.where(
        g_mode[row] == _PRINT_STOCK, 1.0 + 1.0 / np.maximum(g_s[row], 1.0), 2.0
    )
    pieces.append(
        _PlateRows(
            local=row,
            copies=np.ones(row.shape, dtype=np.int64),
            due_s=due_days * SECONDS_PER_DAY,
            risk=risk_repeat,
            kind=np.where(
                g_mode[row] == _PRINT_STOCK,
                JobKind.REPLENISHMENT.value,
                JobKind.ON_DEMAND.value,
            ),
        )
    )

    # Emergency prints of hybrid parts during the scenario's outages.
    hybrid_local = np.flatnonzero(g_mode == _HYBRID)
    if scenario is not None and hybrid_local.size:
        w_local, w_start, w_len = [], [], []
        for j in hybrid_local.tolist():
            windows = _outage_windows(rec_part[j], scenario, horizon_days)
            w_local.extend([j] * len(windows))
            w_start.extend(windows[:, 0].tolist())
            w_len.extend((windows[:, 1] - windows[:, 0]).tolist())
        w_local_a = np.array(w_local, dtype=np.int64)
        w_start_a = np.array(w_start, dtype=float)
        w_qty = np.ceil(
            print_rate[w_local_a] * np.array(w_len, dtype=float) / DAYS_PER_YEAR
            - _COUNT_EPS
        )
        w_qty = np.maximum(w_qty, 0).astype(np.int64)
        wrow, copies, cumulative = _split_into_plates(w_qty, capacity[w_local_a])
        local = w_local_a[wrow]
        pieces.append(
            _PlateRows(
                local=local,
                copies=copies,
                due_s=w_start_a[wrow] * SECONDS_PER_DAY
                + cumulative * unit_time_s[local]
                + slack_s[local],
                risk=np.full(local.shape, 2.0),
                kind=np.full(local.shape, JobKind.EMERGENCY.value),
            )
        )

    # Emergency prints of hybrid parts for the scenario's random outages: the
    # expected prints while the supplier is down, spread over the horizon.
    if scenario is not None and hybrid_local.size:
        fraction = np.array(
            [random_outage_fraction(rec_part[j], scenario) for j in hybrid_local]
        )
        expected = print_rate[hybrid_local] * fraction * horizon_days / DAYS_PER_YEAR
        n_emergency = np.floor(expected + 0.5 + _COUNT_EPS).astype(np.int64)
        row = np.repeat(hybrid_local, n_emergency)
        k = np.arange(row.shape[0]) - np.repeat(
            np.cumsum(n_emergency) - n_emergency, n_emergency
        )
        spread = np.repeat(horizon_days / np.maximum(n_emergency, 1), n_emergency)
        pieces.append(
            _PlateRows(
                local=row,
                copies=np.ones(row.shape, dtype=np.int64),
                due_s=(k + 0.5) * spread * SECONDS_PER_DAY,
                risk=np.full(row.shape, 2.0),
                kind=np.full(row.shape, JobKind.EMERGENCY.value),
            )
        )

    local = np.concatenate([pc.local for pc in pieces]).astype(np.int64)
    copies = np.concatenate([pc.copies for pc in pieces]).astype(np.int64)
    due_s = np.round(np.concatenate([pc.due_s for pc in pieces]))
    risk = np.concatenate([pc.risk for pc in pieces])
    kinds = np.concatenate([pc.kind for pc in pieces]).astype(str)
    priority = job_priority(crit_w[local], downtime[local], risk)
    overhead_s = np.array(
        [layer_overhead_s(e, pr) for e, pr in zip(rec_est, rec_printer, strict=True)],
        dtype=float,
    )
    row_printer = np.array(
        [rec_printer[j].printer_id for j in local.tolist()], dtype=object
    )
    row_material = np.array([str(rec_est[j].material) for j in local.tolist()])
    vital = np.array([c is Criticality.VITAL for c in crit], dtype=bool)[local]

    figure_cache: dict[int, LayerFigures | None] = {}

    def figures_of(j: int) -> LayerFigures | None:
        if j not in figure_cache:
            key = (rec_part[j].part_id, rec_printer[j].printer_id)
            figure_cache[j] = part_layer_figures(
                rec_part[j],
                rec_est[j],
                rec_printer[j],
                rotation=None if rotations is None else rotations.get(key),
                materials=materials,
            )
        return figure_cache[j]

    jobs: list[PrintJob] = []
    notes: list[str] = []
    approximated: list[str] = []
    for printer in printers:
        idx = np.flatnonzero(row_printer == printer.printer_id)
        if idx.size == 0:
            continue
        groups = _group_plates(
            idx, local, copies, due_s, priority, row_material, vital, printer,
            bbox_x, bbox_y,
        )  # fmt: skip
        figures = _plate_figures(
            groups, local, copies, rec_part, rec_est, printer, overhead_s,
            figures_of, materials,
        )  # fmt: skip
        plate_time_s = figures.time_s
        if figures.approximated:
            approximated.append(printer.printer_id)
        plate_due_s = np.array([due_s[g].min() for g in groups], dtype=float)
        plate_weight = np.array([priority[g].sum() for g in groups], dtype=float)
        plate_material = np.array([row_material[g[0]] for g in groups])
        calendar = PrinterCalendar.for_printer(printer, start=start, scenario=scenario)
        starts, ends, placed = schedule_printer(
            calendar, plate_time_s, plate_due_s, plate_weight, plate_material
        )
        late = ends > plate_due_s[placed]
        if late.any():
            worst = (
                float(np.max(ends[late] - plate_due_s[placed][late])) / SECONDS_PER_DAY
            )
            notes.append(
                f"printer {printer.printer_id}: {int(late.sum())} of {placed.size} "
                f"plates finish after their due date (up to {worst:.1f} days late)"
            )
        beyond = ends > horizon_s
        if beyond.any():
            notes.append(
                f"printer {printer.printer_id}: {int(beyond.sum())} plates end after "
                f"the {horizon_days}-day horizon (last ends on day "
                f"{float(ends.max()) / SECONDS_PER_DAY:.1f})"
            )
        for seq, (plate, s, e) in enumerate(
            zip(placed.tolist(), starts.tolist(), ends.tolist(), strict=True), start=1
        ):
            rows = groups[plate]
            for r in rows.tolist():
                j = int(local[r])
                part, est = rec_part[j], rec_est[j]
                q = int(copies[r])
                jobs.append(
                    PrintJob(
                        job_id="",
                        printer_id=printer.printer_id,
                        plate_id=f"{printer.printer_id}-{seq:04d}",
                        sequence=seq,
                        part_id=part.part_id,
                        quantity=q,
                        material=str(est.material),
                        stl_file=part.stl_file or str(est.file),
                        print_time_s=float(plate_time_s[plate]),
                        filament_g=figures.filament_g[r],
                        cost=figures.cost[r],
                        earliest_start=start,
                        due=start + timedelta(seconds=float(due_s[r])),
                        priority=float(priority[r]),
                        start=start + timedelta(seconds=s),
                        end=start + timedelta(seconds=e),
                        kind=JobKind(str(kinds[r])),
                    )
                )
    if approximated:
        notes.append(
            f"printers {', '.join(approximated)}: some plate times are approximated "
            "(copies' times less the per-layer overhead they share), as a part's STL "
            "in its print orientation did not reproduce its estimate"
        )
    numbered = tuple(
        replace(job, job_id=f"J{i:05d}") for i, job in enumerate(jobs, start=1)
    )
    return PrintQueue(
        jobs=numbered,
        start=start,
        horizon_days=int(horizon_days),
        warnings=tuple(notes),
    )


def place_plates(
    calendar: PrinterCalendar,
    order: np.ndarray,
    duration_s: np.ndarray,
    material: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Place plates back to back in ``order`` on one printer's calendar.

    Among the next :data:`PLACEMENT_LOOKAHEAD` plates the one that can start
    earliest goes next (ties: sequence order).

    Returns start and end times [s] and the plate indices in placement order.
    """
    remaining = order.tolist()
    starts, ends, placed = [], [], []
    t = 0.0
    while remaining:
        window = remaining[:PLACEMENT_LOOKAHEAD]
        options = [
            calendar.earliest_start(t, float(duration_s[p]), str(material[p]))
            for p in window
        ]
        pick = int(np.argmin(options))
        plate = remaining.pop(pick)
        s = options[pick]
        t = s + float(duration_s[plate])
        starts.append(s)
        ends.append(t)
        placed.append(plate)
    return np.array(starts), np.array(ends), np.array(placed, dtype=np.int64)


def schedule_exact(
    calendar: PrinterCalendar,
    duration_s: np.ndarray,
    due_s: np.ndarray,
    weight: np.ndarray,
    material: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Optimal schedule of a few plates on one printer's calendar.

    Minimises the weighted tardiness :math:`\sum_j w_j \max(0, C_j - d_j)`, then
    the weighted completion time :math:`\sum_j w_j C_j`, over every schedule the
    calendar allows. For a given order, starting each plate at its earliest
    allowed start after the previous one ends (:meth:`PrinterCalendar.earliest_start`)
    is best, since both costs only grow with completion times and the earliest
    allowed start only grows with the time asked; so the optimum is found by a
    depth-first search over orders, cut where the plates placed so far plus each
    remaining plate started now already cost more than the best order found.

    Parameters
    ----------
    calendar
        The printer's calendar.
    duration_s
        Print time of each plate. [s]
    due_s
        Due time of each plate from the queue start. [s]
    weight
        Priority of each plate (>= 0). [-]
    material
        Material of each plate.

    Returns
    -------
    tuple of numpy.ndarray
        Start and end times [s] and the plate indices in processing order.

    Examples
    --------
    >>> cal = PrinterCalendar(printer_id="P", phase_s=0.0, window_length_s=math.inf,
    ...                       down_s=np.array([[2.0, 5.0]]))
    >>> schedule_exact(cal, np.array([3.0, 2.0]), np.array([3.0, 2.0]),
    ...                np.array([1.0, 1.0]), np.array(["PLA", "PLA"]))[2].tolist()
    [1, 0]
    """
    p = np.asarray(duration_s, dtype=float)
    d = np.asarray(due_s, dtype=float)
    w = np.asarray(weight, dtype=float)
    n = p.shape[0]
    scale = 1.0 + float(np.sum(w * (p.sum() + np.abs(d))))
    tol = 1e-9 * scale
    best: dict[str, Any] = {"cost": (math.inf, math.inf), "path": None}
    path: list[tuple[int, float, float]] = []

    def better(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return a[0] < b[0] - tol or (a[0] <= b[0] + tol and a[1] < b[1] - tol)

    def search(t: float, left: list[int], tard: float, comp: float) -> None:
        if not left:
            if better((tard, comp), best["cost"]):
                best["cost"] = (tard, comp)
                best["path"] = list(path)
            return
        rest = np.array(left)
        bound = (
            tard + float(w[rest] @ np.maximum(t + p[rest] - d[rest], 0.0)),
            comp + float(w[rest] @ (t + p[rest])),
        )
        if not better(bound, best["cost"]):
            return
        # plates in due order first, so that a good order is found early
        for j in sorted(left, key=lambda k: (d[k], -w[k], k)):
            s = calendar.earliest_start(t, float(p[j]), str(material[j]))
            e = s + float(p[j])
            path.append((j, s, e))
            search(
                e,
                [k for k in left if k != j],
                tard + float(w[j]) * max(e - float(d[j]), 0.0),
                comp + float(w[j]) * e,
            )
            path.pop()

    search(0.0, list(range(n)), 0.0, 0.0)
    chosen = best["path"] or []
    return (
        np.array([s for _, s, _ in chosen], dtype=float),
        np.array([e for _, _, e in chosen], dtype=float),
        np.array([j for j, _, _ in chosen], dtype=np.int64),
    )


def schedule_printer(
    calendar: PrinterCalendar,
    duration_s: np.ndarray,
    due_s: np.ndarray,
    weight: np.ndarray,
    material: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Schedule the plates of one printer: exact for a few, else a heuristic.

    Up to :data:`EXACT_CALENDAR_MAX_PLATES` plates, :func:`schedule_exact`
    (optimal on the calendar). Above, :func:`sequence_plates` on the processing
    times stretched by 24 h over the daily window, then :func:`place_plates`.

    Returns start and end times [s] and the plate indices in processing order.
    """
    if duration_s.shape[0] <= EXACT_CALENDAR_MAX_PLATES:
        return schedule_exact(calendar, duration_s, due_s, weight, material)
    stretch = (
        1.0
        if math.isinf(calendar.window_length_s)
        else SECONDS_PER_DAY / calendar.window_length_s
    )
    order = sequence_plates(duration_s * stretch, due_s, np.maximum(weight, 1e-9))
    return place_plates(calendar, order, duration_s, material)


def resequence_queue(
    queue: PrintQueue,
    printers: Sequence[Printer],
    part_priorities: Mapping[str, float],
    *,
    scenario: Any = None,
) -> PrintQueue:
    """A print queue re-sequenced under edited part priorities.

    The plates are kept (same jobs on each, same copies and due dates); each
    part's jobs get their priority scaled by ``edited / original`` (the part's
    original priority is its highest job priority). Each printer's plates are
    then scheduled by :func:`schedule_printer` on its :class:`PrinterCalendar`
    exactly as :func:`build_queue` schedules them.
    """
    jobs = queue.jobs
    if not jobs:
        return queue
    original: dict[str, float] = {}
    for job in jobs:
        original[job.part_id] = max(original.get(job.part_id, 0.0), job.priority)
    scale = {
        pid: float(part_priorities[pid]) / value if value > 0 else 1.0
        for pid, value in original.items()
        if pid in part_priorities
    }
    start = queue.start
    placed_jobs: list[PrintJob] = []
    notes: list[str] = []
    for printer in printers:
        mine = [j for j in jobs if j.printer_id == printer.printer_id]
        if not mine:
            continue
        plate_rows: dict[str, list[int]] = {}
        for k, job in enumerate(mine):
            plate_rows.setdefault(job.plate_id, []).append(k)
        groups = list(plate_rows.values())
        calendar = PrinterCalendar.for_printer(printer, start=start, scenario=scenario)
        priority = np.array(
            [j.priority * scale.get(j.part_id, 1.0) for j in mine], dtype=float
        )
        due_each = np.array(
            [(j.due - start).total_seconds() for j in mine], dtype=float
        )
        duration_s = np.ceil([mine[g[0]].print_time_s for g in groups])
        due_s = np.array([due_each[g].min() for g in groups], dtype=float)
        weight = np.array([priority[g].sum() for g in groups], dtype=float)
        material = np.array([mine[g[0]].material for g in groups])
        starts, ends, placed = schedule_printer(
            calendar, duration_s, due_s, weight, material
        )
        late = int((ends > due_s[placed]).sum())
        if late:
            notes.append(
                f"printer {printer.printer_id}: {late} of {placed.size} plates "
                f"finish after their due date"
            )
        for seq, (plate, s, e) in enumerate(
            zip(placed.tolist(), starts.tolist(), ends.tolist(), strict=True), start=1
        ):
            for k in groups[plate]:
                placed_jobs.append(
                    replace(
                        mine[k],
                        plate_id=f"{printer.printer_id}-{seq:04d}",
                        sequence=seq,
                        priority=float(priority[k]),
                        start=start + timedelta(seconds=s),
                        end=start + timedelta(seconds=e),
                    )
                )
    numbered = tuple(
        replace(job, job_id=f"J{i:05d}") for i, job in enumerate(placed_jobs, start=1)
    )
    return replace(queue, jobs=numbered, warnings=tuple(notes))
