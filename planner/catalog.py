"""Catalog schema and records: one :class:`Part` per spare part.

The loader (``load_catalog``) reads CSV, XLSX or a ZIP of catalog + STL files, maps
header synonyms, validates each row and returns a :class:`Catalog` of the good rows
plus a :class:`RowError` for every bad cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np

from planner.errors import CatalogError
from planner.units import DEFAULT_OPERATING_HOURS_PER_YEAR


class Criticality(StrEnum):
    """VED criticality of a spare part."""

    VITAL = "V"
    ESSENTIAL = "E"
    DESIRABLE = "D"


#: Default target fill rate by criticality (DESIGN.md).
DEFAULT_FILL_RATE: dict[Criticality, float] = {
    Criticality.VITAL: 0.99,
    Criticality.ESSENTIAL: 0.95,
    Criticality.DESIRABLE: 0.90,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One spare part of the catalog, validated.

    Money is in the catalog's one currency. ``annual_demand`` may be ``None`` when
    the demand comes from a history or the installed base (see ``planner.demand``).
    """

    part_id: str
    description: str = ""
    unit_cost: float
    annual_demand: float | None
    lead_time_days: float
    criticality: Criticality = Criticality.ESSENTIAL
    target_fill_rate: float | None = None
    downtime_cost_per_day: float | None = None
    holding_rate: float = 0.25
    order_cost: float = 0.0
    on_hand: float = 0.0
    on_order: float = 0.0
    supplier: str = ""
    supplier_region: str = ""
    lead_time_std_days: float = 0.0
    stl_file: str = ""
    stl_path: Path | None = None
    printable: bool = False
    am_material: str = "PETG"
    am_lifetime_ratio: float = 1.0
    am_qualification_cost: float = 0.0
    post_process_hours: float = 0.25
    installed_quantity: float | None = None
    mtbf_hours: float | None = None
    operating_hours_per_year: float = DEFAULT_OPERATING_HOURS_PER_YEAR

    def __post_init__(self) -> None:
        checks = (
            ("unit_cost", self.unit_cost, 0.0, False),
            ("lead_time_days", self.lead_time_days, 0.0, True),
            ("holding_rate", self.holding_rate, 0.0, False),
            ("order_cost", self.order_cost, 0.0, False),
            ("on_hand", self.on_hand, 0.0, False),
            ("on_order", self.on_order, 0.0, False),
            ("lead_time_std_days", self.lead_time_std_days, 0.0, False),
            ("post_process_hours", self.post_process_hours, 0.0, False),
            ("am_qualification_cost", self.am_qualification_cost, 0.0, False),
        )
        for name, value, low, strict in checks:
            bad = not math.isfinite(value) or (value <= low if strict else value < low)
            if bad:
                op = ">" if strict else ">="
                raise CatalogError(
                    f"part {self.part_id}: {name} must be {op} {low:g}, got {value!r}"
                )
        if self.annual_demand is not None and not (
            math.isfinite(self.annual_demand) and self.annual_demand >= 0
        ):
            raise CatalogError(
                f"part {self.part_id}: annual_demand must be >= 0, "
                f"got {self.annual_demand!r}"
            )
        if self.target_fill_rate is not None and not 0 < self.target_fill_rate < 1:
            raise CatalogError(
                f"part {self.part_id}: target_fill_rate must be in (0, 1), "
                f"got {self.target_fill_rate!r}"
            )
        if not 0 < self.am_lifetime_ratio <= 1:
            raise CatalogError(
                f"part {self.part_id}: am_lifetime_ratio must be in (0, 1], "
                f"got {self.am_lifetime_ratio!r}"
            )
        if self.downtime_cost_per_day is not None and not (
            math.isfinite(self.downtime_cost_per_day) and self.downtime_cost_per_day >= 0
        ):
            raise CatalogError(
                f"part {self.part_id}: downtime_cost_per_day must be >= 0, "
                f"got {self.downtime_cost_per_day!r}"
            )

    @property
    def fill_rate_target(self) -> float:
        """Target fill rate: the catalog's value, else the criticality default."""
        if self.target_fill_rate is not None:
            return self.target_fill_rate
        return DEFAULT_FILL_RATE[self.criticality]


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad cell (or row) of an imported table.

    ``row`` is the 1-based data row number as a spreadsheet user counts it
    (the header is row 1, so the first data row is row 2).
    """

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandHistory:
    """Demand events in long form: one entry per (part, date) with the quantity used.

    Arrays are aligned; ``date`` is ``datetime64[D]``.
    """

    part_id: np.ndarray
    date: np.ndarray
    quantity: np.ndarray

    def __len__(self) -> int:
        return int(self.part_id.shape[0])


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    """The result of an import: good parts, bad rows, and how headers were mapped."""

    parts: tuple[Part, ...]
    errors: tuple[RowError, ...] = ()
    column_mapping: dict[str, str] = field(default_factory=dict)
    history: DemandHistory | None = None
    stl_dir: Path | None = None
    source: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def part_ids(self) -> list[str]:
        """Part ids in catalog order."""
        return [p.part_id for p in self.parts]
