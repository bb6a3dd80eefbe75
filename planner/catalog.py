"""Catalog schema and records: one :class:`Part` per spare part.

The loader (``load_catalog``) reads CSV, XLSX or a ZIP of catalog + STL files, maps
header synonyms, validates each row and returns a :class:`Catalog` of the good rows
plus a :class:`RowError` for every bad cell.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime
import io
import itertools
import math
import os
import re
import shutil
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath

import numpy as np
import openpyxl
import pandas as pd

from planner.errors import CatalogError
from planner.units import DEFAULT_OPERATING_HOURS_PER_YEAR
from planner.zipsafety import is_clutter, unsafe_entry_reason


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
    current_reorder_point: float | None = None
    lot_size: float | None = None

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
        if self.lot_size is not None and not (
            math.isfinite(self.lot_size) and self.lot_size >= 1
        ):
            raise CatalogError(
                f"part {self.part_id}: lot_size must be >= 1, got {self.lot_size!r}"
            )
        if self.current_reorder_point is not None and not (
            math.isfinite(self.current_reorder_point)
            and self.current_reorder_point >= -1
        ):
            raise CatalogError(
                f"part {self.part_id}: current_reorder_point must be >= -1, "
                f"got {self.current_reorder_point!r}"
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
            math.isfinite(self.downtime_cost_per_day)
            and self.downtime_cost_per_day >= 0
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
    history_errors: tuple[RowError, ...] = ()
    #: True when ``stl_dir`` is the temporary folder a ZIP was extracted into,
    #: which :meth:`cleanup` removes; never set for a folder the caller gave.
    owns_stl_dir: bool = False

    @property
    def part_ids(self) -> list[str]:
        """Part ids in catalog order."""
        return [p.part_id for p in self.parts]

    def cleanup(self) -> None:
        """Remove the temporary folder a ZIP catalog was extracted into.

        Does nothing for catalogs read from CSV/XLSX (their ``stl_dir`` belongs to
        the caller), and nothing the second time. Afterwards the parts'
        ``stl_path`` files are gone: call it when the catalog is replaced or the
        session ends. ``with load_catalog(...) as catalog:`` calls it on exit.
        """
        if self.owns_stl_dir and self.stl_dir is not None:
            shutil.rmtree(self.stl_dir, ignore_errors=True)

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


# ---------------------------------------------------------------------------
# Loader: CSV / XLSX / ZIP -> validated Part records
# ---------------------------------------------------------------------------

#: Folder of the demo catalog shipped with the repository.
DEMO_DIR = Path(__file__).resolve().parents[1] / "catalog"

#: Most entries a catalog ZIP may hold.
MAX_ZIP_ENTRIES = 2000
#: Most bytes a catalog ZIP may declare (and deliver) uncompressed, in total. [bytes]
MAX_UNCOMPRESSED_BYTES = 200_000_000
#: Largest catalog, history or ZIP file read. [bytes]
MAX_SOURCE_BYTES = 200_000_000
#: File types a catalog ZIP may contain.
ZIP_ALLOWED_SUFFIXES = frozenset(
    {".csv", ".xlsx", ".stl", ".txt", ".md", ".json", ".yaml", ".yml", ".ini"}
)
_ARCHIVE_SUFFIXES = frozenset(
    {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar", ".zst"}
    | {".lz", ".lzma", ".cab", ".iso", ".xlsm", ".docx", ".3mf"}
)
_HEADER_SCAN_ROWS = 30
_SNIFF_ROWS = 50
_SNIFF_CHARS = 65_536
_DELIMITERS = (",", ";", "\t", "|")
_STL_SCAN_LIMIT = 20_000
_XLSX_MAX_ENTRIES = 10_000
_ROW = "(row)"
#: What :mod:`zipfile` raises on damaged archives (it has no single base class).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    KeyError,
    IndexError,
    RuntimeError,
    zlib.error,
    struct.error,
)


class _Kind(StrEnum):
    """How the cells of a catalog column are parsed."""

    ID = "id"
    TEXT = "text"
    NUMBER = "number"
    CRITICALITY = "criticality"
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class _Range:
    """Allowed interval of a numeric column."""

    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = True

    def text(self) -> str:
        """The interval in words, e.g. ``>= 0`` or ``in (0, 1]``."""
        if math.isinf(self.high):
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"in {left}{self.low:g}, {self.high:g}{right}"

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask of the finite values inside the interval."""
        with np.errstate(invalid="ignore"):
            above = values > self.low if self.low_open else values >= self.low
            below = values < self.high if self.high_open else values <= self.high
        return np.isfinite(values) & above & below


_NON_NEGATIVE = _Range(0.0)
_POSITIVE = _Range(0.0, low_open=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Column:
    """One canonical catalog column: parsing rule, default and header synonyms."""

    name: str
    kind: _Kind
    synonyms: tuple[str, ...] = ()
    bounds: _Range = _NON_NEGATIVE
    default: object = None
    required_cell: bool = False
    money: bool = False
    unit: str = ""


_COLUMNS: tuple[_Column, ...] = (
    _Column(
        name="part_id",
        kind=_Kind.ID,
        synonyms=(
            "Material",
            "Material number",
            "Material no",
            "MATNR",
            "ITEMNUM",
            "Item",
            "Item number",
            "Item no",
            "Item id",
            "Part number",
            "Part no",
            "Part",
            "Part #",
            "PN",
            "SKU",
            "Article",
            "Article number",
            "Spare part",
            "Spare part id",
            "Stock code",
            "Materialnummer",
        ),
    ),
    _Column(
        name="description",
        kind=_Kind.TEXT,
        default="",
        synonyms=(
            "Description",
            "Material description",
            "MAKTX",
            "Desc",
            "Item description",
            "Part description",
            "Short text",
            "Material short text",
            "Part name",
            "Name",
            "Materialkurztext",
            "Bezeichnung",
        ),
    ),
    _Column(
        name="unit_cost",
        kind=_Kind.NUMBER,
        required_cell=True,
        money=True,
        synonyms=(
            "Price",
            "Unit price",
            "Standard price",
            "STPRS",
            "AVGCOST",
            "Average cost",
            "Moving average price",
            "VERPR",
            "Unit cost",
            "Cost",
            "Std cost",
            "Standard cost",
            "Last cost",
            "LASTCOST",
            "STDCOST",
            "Purchase price",
            "Net price",
            "Unit value",
            "Preis",
            "Standardpreis",
        ),
    ),
    _Column(
        name="annual_demand",
        kind=_Kind.NUMBER,
        synonyms=(
            "Annual usage",
            "Annual demand",
            "Yearly demand",
            "Yearly usage",
            "Demand per year",
            "Usage per year",
            "YTD usage",
            "ISSUEYTD",
            "ISSUE1YRAGO",
            "Annual consumption",
            "Consumption per year",
            "Annual issues",
            "Demand",
            "Jahresverbrauch",
        ),
    ),
    _Column(
        name="lead_time_days",
        kind=_Kind.NUMBER,
        bounds=_POSITIVE,
        required_cell=True,
        unit="days",
        synonyms=(
            "Lead time",
            "Lead time (days)",
            "Planned delivery time",
            "Planned delivery time (days)",
            "PLIFZ",
            "LEADTIME",
            "Delivery time",
            "Delivery time (days)",
            "Replenishment lead time",
            "Supplier lead time",
            "Replenishment time",
            "WBZ",
            "Planlieferzeit",
            "Lieferzeit",
            "Wiederbeschaffungszeit",
        ),
    ),
    _Column(
        name="criticality",
        kind=_Kind.CRITICALITY,
        default=Criticality.ESSENTIAL,
        synonyms=(
            "Criticality",
            "ABC/VED",
            "VED",
            "Critical",
            "Criticality code",
            "ABC",
            "ABC indicator",
            "ABC class",
            "MAABC",
            "Kritikalitaet",
        ),
    ),
    _Column(
        name="target_fill_rate",
        kind=_Kind.NUMBER,
        bounds=_Range(0.0, 1.0, low_open=True, high_open=True),
        unit="frac",
        synonyms=(
            "Fill rate",
            "Target fill rate",
            "Fill rate target",
            "Service level",
            "Target service level",
        ),
    ),
    _Column(
        name="downtime_cost_per_day",
        kind=_Kind.NUMBER,
        money=True,
        synonyms=(
            "Downtime cost",
            "Downtime cost per day",
            "Cost of downtime",
            "Stockout cost",
            "Stockout cost per day",
            "Backorder cost",
            "Shortage cost",
        ),
    ),
    _Column(
        name="holding_rate",
        kind=_Kind.NUMBER,
        bounds=_Range(0.0, 1.0, high_open=False),
        default=0.25,
        unit="frac",
        synonyms=(
            "Holding rate",
            "Carrying rate",
            "Holding cost rate",
            "Carrying cost rate",
            "Inventory carrying rate",
        ),
    ),
    _Column(
        name="order_cost",
        kind=_Kind.NUMBER,
        money=True,
        default=0.0,
        synonyms=("Ordering cost", "Cost per order", "Order cost", "Setup cost"),
    ),
    _Column(
        name="on_hand",
        kind=_Kind.NUMBER,
        default=0.0,
        synonyms=(
            "Stock",
            "Unrestricted stock",
            "Unrestricted",
            "LABST",
            "CURBAL",
            "Current balance",
            "Qty on hand",
            "Quantity on hand",
            "Stock on hand",
            "SOH",
            "On hand qty",
            "Bestand",
        ),
    ),
    _Column(
        name="on_order",
        kind=_Kind.NUMBER,
        default=0.0,
        synonyms=(
            "Qty on order",
            "Quantity on order",
            "Open orders",
            "Open PO qty",
            "On order qty",
        ),
    ),
    _Column(
        name="supplier",
        kind=_Kind.TEXT,
        default="",
        synonyms=(
            "Vendor",
            "Vendor name",
            "LIFNR",
            "Supplier name",
            "Vendor number",
            "Vendor id",
            "Supplier id",
            "Lieferant",
        ),
    ),
    _Column(
        name="supplier_region",
        kind=_Kind.TEXT,
        default="",
        synonyms=("Region", "Vendor region", "Sourcing region"),
    ),
    _Column(
        name="lead_time_std_days",
        kind=_Kind.NUMBER,
        default=0.0,
        unit="days",
        synonyms=(
            "Lead time std",
            "Lead time std dev",
            "Lead time sd",
            "Lead time standard deviation",
        ),
    ),
    _Column(
        name="stl_file",
        kind=_Kind.TEXT,
        default="",
        synonyms=("STL", "STL path", "Model file", "CAD file", "3D model"),
    ),
    _Column(
        name="printable",
        kind=_Kind.BOOL,
        synonyms=("Is printable", "AM candidate", "Print candidate", "Can print"),
    ),
    _Column(
        name="am_material",
        kind=_Kind.TEXT,
        default="PETG",
        synonyms=("Print material", "Filament", "AM material", "Filament material"),
    ),
    _Column(
        name="am_lifetime_ratio",
        kind=_Kind.NUMBER,
        bounds=_Range(0.0, 1.0, low_open=True, high_open=False),
        default=1.0,
        unit="frac",
        synonyms=("Lifetime ratio", "Printed lifetime ratio", "AM life ratio"),
    ),
    _Column(
        name="am_qualification_cost",
        kind=_Kind.NUMBER,
        money=True,
        default=0.0,
        synonyms=("Qualification cost",),
    ),
    _Column(
        name="post_process_hours",
        kind=_Kind.NUMBER,
        default=0.25,
        unit="hours",
        synonyms=("Post processing", "Post-processing hours", "Post process time"),
    ),
    _Column(
        name="installed_quantity",
        kind=_Kind.NUMBER,
        synonyms=(
            "Installed base",
            "Installed qty",
            "Quantity installed",
            "Qty installed",
            "Units installed",
            "Fitted quantity",
        ),
    ),
    _Column(
        name="mtbf_hours",
        kind=_Kind.NUMBER,
        bounds=_POSITIVE,
        unit="hours",
        synonyms=("MTBF", "Mean time between failures"),
    ),
    _Column(
        name="operating_hours_per_year",
        kind=_Kind.NUMBER,
        bounds=_Range(0.0, 8784.0, low_open=True, high_open=False),
        default=DEFAULT_OPERATING_HOURS_PER_YEAR,
        synonyms=("Operating hours", "Annual operating hours", "Run hours per year"),
    ),
    _Column(
        name="current_reorder_point",
        kind=_Kind.NUMBER,
        synonyms=(
            "Reorder point",
            "Re-order point",
            "ROP",
            "MINBE",
            "ORDERPOINT",
            "Order point",
            "Min level",
            "Minimum stock level",
        ),
    ),
    _Column(
        name="lot_size",
        kind=_Kind.NUMBER,
        bounds=_Range(1.0),
        synonyms=(
            "Lot size",
            "Fixed lot size",
            "BSTFE",
            "Order quantity",
            "ORDERQTY",
            "EOQ",
            "Economic order quantity",
        ),
    ),
    _Column(
        name="price_unit",
        kind=_Kind.NUMBER,
        bounds=_POSITIVE,
        default=1.0,
        synonyms=("PEINH", "Price unit", "Price per"),
    ),
)
_COLUMN_BY_NAME = {column.name: column for column in _COLUMNS}
_REQUIRED_COLUMNS = ("part_id", "description", "unit_cost", "lead_time_days")
_HISTORY_COLUMNS: tuple[_Column, ...] = (
    _COLUMN_BY_NAME["part_id"],
    _Column(
        name="date",
        kind=_Kind.TEXT,
        synonyms=(
            "Posting date",
            "BUDAT",
            "Document date",
            "BLDAT",
            "TRANSDATE",
            "Transaction date",
            "Issue date",
            "Usage date",
            "Consumption date",
            "Actual date",
            "ACTUALDATE",
            "Period",
            "Month",
            "Day",
            "Datum",
            "Buchungsdatum",
        ),
    ),
    _Column(
        name="quantity",
        kind=_Kind.NUMBER,
        required_cell=True,
        synonyms=(
            "Qty",
            "Usage",
            "Issued",
            "Issued quantity",
            "Issue qty",
            "Quantity issued",
            "Qty issued",
            "MENGE",
            "Consumption",
            "Demand",
            "Used",
            "Quantity used",
            "Menge",
            "Verbrauch",
        ),
    ),
)

_PAREN_RE = re.compile(r"[(\[{]([^)\]}]*)[)\]}]")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]")
_UNIT_DAYS: dict[str, float] = {
    **dict.fromkeys(("d", "day", "days", "tag", "tage"), 1.0),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks", "woche", "wochen"), 7.0),
    **dict.fromkeys(("mo", "mon", "month", "months", "monat", "monate"), 365.0 / 12),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "std"), 1.0 / 24),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years", "jahr", "jahre"), 365.0),
}
_PERCENT_UNITS = frozenset({"%", "percent", "pct"})
_CURRENCY = r"(?:[€$£¥₹]|eur|usd|gbp|chf|jpy|sek|nok|dkk|pln|czk|cny|inr|cad|aud)"
_CURRENCY_RE = re.compile(rf"^{_CURRENCY}\.?\s*|\s*{_CURRENCY}\.?$", re.IGNORECASE)
_GROUPED_POINT_RE = r"[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?"
_GROUPED_COMMA_RE = r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d*)?"
_CRITICALITY_WORDS: dict[str, Criticality] = {
    **dict.fromkeys(
        ("v", "vital", "a", "1", "high", "yes", "y", "true", "x"), Criticality.VITAL
    ),
    **dict.fromkeys(
        ("e", "essential", "b", "2", "medium", "no", "n", "false", "0"),
        Criticality.ESSENTIAL,
    ),
    **dict.fromkeys(("d", "desirable", "c", "3", "low"), Criticality.DESIRABLE),
}
_CRITICALITY_LEVELS = np.array(list(Criticality), dtype=object)
_CRITICALITY_CODES = {
    word: list(Criticality).index(level) for word, level in _CRITICALITY_WORDS.items()
}
_BOOL_WORDS: dict[str, bool] = {
    **dict.fromkeys(("true", "yes", "1", "y", "x", "t"), True),
    **dict.fromkeys(("false", "no", "0", "n", "f"), False),
}
_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "jän", "januar"),
            ("feb", "february", "februar"),
            ("mar", "march", "mär", "märz", "maerz"),
            ("apr", "april"),
            ("may", "mai"),
            ("jun", "june", "juni"),
            ("jul", "july", "juli"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt", "oktober"),
            ("nov", "november"),
            ("dec", "december", "dez", "dezember"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_ISO_RE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:\b|$)")
_MONTH_US_RE = re.compile(r"^\s*(\d{1,2})[-/.](\d{4})(?:\b|$)")
_MONTH_NAME_RE = re.compile(r"^\s*([a-zä]{3,9})[\s\-/.']*(\d{4}|\d{2})(?:\b|$)")


def _normalise_header(text: str) -> tuple[str, tuple[str, ...]]:
    """Lookup key of a header and the units given in parentheses.

    Case, accents, spaces and punctuation are dropped; ``#`` reads as ``no``;
    ``(days)``, ``[%]`` and a bare ``%`` are returned as units.

    >>> _normalise_header("Lead time (weeks)")
    ('leadtime', ('weeks',))
    >>> _normalise_header("Part #")
    ('partno', ())
    """
    lowered = text.replace("\ufeff", "").strip().lower()
    units = [unit.strip() for unit in _PAREN_RE.findall(lowered)]
    bare = _PAREN_RE.sub(" ", lowered)
    if "%" in bare:
        units.append("%")
        bare = bare.replace("%", " ")
    bare = bare.replace("#", " no ")
    ascii_text = (
        unicodedata.normalize("NFKD", bare).encode("ascii", "ignore").decode("ascii")
    )
    return _NON_ALNUM_RE.sub("", ascii_text), tuple(units)


def _build_lookup(columns: tuple[_Column, ...]) -> dict[str, str]:
    """Map every normalised synonym (and canonical name) to its canonical name."""
    lookup: dict[str, str] = {}
    for column in columns:
        for synonym in (column.name, *column.synonyms):
            lookup.setdefault(_normalise_header(synonym)[0], column.name)
    return lookup


_CATALOG_LOOKUP = _build_lookup(_COLUMNS)
_HISTORY_LOOKUP = _build_lookup(_HISTORY_COLUMNS)


def _header_factor(column: _Column, units: tuple[str, ...]) -> tuple[float, str]:
    """Factor that converts a column given in the header's unit to the canonical one."""
    for unit in units:
        word = unit.strip().lower().rstrip(".")
        if column.unit in ("days", "hours") and word in _UNIT_DAYS:
            base_days = 1.0 if column.unit == "days" else 1.0 / 24
            return _UNIT_DAYS[word] / base_days, word
        if column.unit == "frac" and word in _PERCENT_UNITS:
            return 0.01, "%"
    return 1.0, ""


def _month_of(header: str) -> np.datetime64 | None:
    """First day of the month a wide-form history header names, else ``None``.

    >>> _month_of("2024-03 usage")
    np.datetime64('2024-03-01')
    >>> _month_of("Mar 2024"), _month_of("part_id")
    (np.datetime64('2024-03-01'), None)
    """
    year = month = 0
    if match := _MONTH_ISO_RE.match(header):
        year, month = int(match[1]), int(match[2])
    elif match := _MONTH_US_RE.match(header):
        year, month = int(match[2]), int(match[1])
    elif (match := _MONTH_NAME_RE.match(header.lower())) and match[1] in _MONTH_NAMES:
        year, month = int(match[2]), _MONTH_NAMES[match[1]]
        year += 2000 if year < 100 else 0
    if 1900 <= year <= 2200 and 1 <= month <= 12:
        return np.datetime64(f"{year:04d}-{month:02d}-01", "D")
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Table:
    """Raw cells of an imported sheet from its header row on, all text."""

    cells: pd.DataFrame
    row_numbers: np.ndarray
    label: str
    delimiter: str = ""
    errors: tuple[RowError, ...] = ()
    warnings: tuple[str, ...] = ()


def _read_source(
    source: str | Path | bytes, name: str | None
) -> tuple[bytes, str, Path | None]:
    """Bytes, display label and path (if any) of a catalog or history source."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > MAX_SOURCE_BYTES:
            raise CatalogError(
                f"{name or 'upload'}: file is {len(data)} bytes, more than the "
                f"{MAX_SOURCE_BYTES} allowed"
            )
        return data, name or "upload", None
    if not isinstance(source, str | Path):
        raise CatalogError(
            f"catalog source must be a path or bytes, got {type(source).__name__}"
        )
    path = Path(source)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise CatalogError(f"{path}: not a file")
        if size > MAX_SOURCE_BYTES:
            raise CatalogError(
                f"{path}: file is {size} bytes, more than the {MAX_SOURCE_BYTES} allowed"
            )
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: file not found") from exc
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read ({exc})") from exc
    return data, name or str(path), path


def _detect_kind(data: bytes, label: str) -> str:
    """``"csv"``, ``"xlsx"`` or ``"zip"`` from the content (and the name's suffix)."""
    suffix = Path(label).suffix.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise CatalogError(
            f"{label}: old binary Excel (.xls) is not supported; save it as .xlsx or CSV"
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except _ARCHIVE_ERRORS as exc:
            raise CatalogError(f"{label}: not a readable ZIP/XLSX ({exc})") from exc
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    if suffix in (".xlsx", ".zip"):
        raise CatalogError(f"{label}: not a valid {suffix[1:].upper()} file")
    return "csv"


def _decode(data: bytes, label: str) -> tuple[str, list[str]]:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    warnings: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CatalogError(f"{label}: broken UTF-16 text ({exc})") from exc
    else:
        body = data.removeprefix(codecs.BOM_UTF8)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = body.decode("cp1252")
            except UnicodeDecodeError:
                text = body.decode("latin-1")
            warnings.append(f"{label}: not UTF-8; read as Windows-1252 (cp1252)")
    if "\x00" in text:
        raise CatalogError(
            f"{label}: contains NUL bytes, so it is not a text CSV; export the sheet "
            "as CSV (UTF-8) or XLSX"
        )
    return text, warnings


def _header_score(
    row: list[str], lookup: dict[str, str], count_months: bool
) -> tuple[int, bool]:
    """Number of recognised header cells and whether part_id is among them."""
    names = {lookup.get(_normalise_header(cell)[0]) for cell in row if cell.strip()}
    names.discard(None)
    score = len(names)
    if count_months:
        score += sum(_month_of(cell) is not None for cell in row)
    return score, "part_id" in names


def _find_header(
    rows: list[list[str]], lookup: dict[str, str], count_months: bool
) -> tuple[int, int]:
    """Index of the header row among the first rows, and its score.

    The header is the row with most recognised names that holds a part_id
    synonym and at least one more; without one, the first non-blank row (score 0).
    """
    best_index, best_score = -1, 0
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        score, has_id = _header_score(row, lookup, count_months)
        if has_id and score >= 2 and score > best_score:
            best_index, best_score = index, score
    if best_index >= 0:
        return best_index, best_score
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if any(cell.strip() for cell in row):
            return index, 0
    return 0, 0


def _sniff(text: str, lookup: dict[str, str], count_months: bool) -> tuple[str, int]:
    """Delimiter among ``, ; tab |`` and header record index of a CSV text.

    The delimiter whose split gives the best recognisable header wins; ties go to
    the one whose rows most often have the header's width, then the widest.
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best: tuple[tuple[int, int, int], str, int] | None = None
    for delimiter in _DELIMITERS:
        try:
            rows = list(
                itertools.islice(
                    csv.reader(io.StringIO(sample), delimiter=delimiter), _SNIFF_ROWS
                )
            )
        except csv.Error:
            continue
        if not rows:
            continue
        header_index, score = _find_header(rows, lookup, count_months)
        width = len(rows[header_index]) if header_index < len(rows) else 0
        consistent = sum(len(row) == width for row in rows[header_index + 1 :])
        key = (score, consistent, width)
        if best is None or key > best[0]:
            best = (key, delimiter, header_index)
    if best is None:
        raise CatalogError("cannot split the text into columns: no CSV rows found")
    return best[1], best[2]


def _read_csv_table(
    data: bytes, label: str, lookup: dict[str, str], count_months: bool
) -> _Table:
    """Cells of a CSV file from the header row on (pandas C parser, csv fallback)."""
    text, warnings = _decode(data, label)
    if not text.strip():
        raise CatalogError(f"{label}: the file is empty")
    try:
        delimiter, header_index = _sniff(text, lookup, count_months)
    except CatalogError as exc:
        raise CatalogError(f"{label}: {exc}") from exc
    errors: list[RowError] = []
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            skiprows=header_index,
            engine="c",
        )
    except pd.errors.ParserError:
        frame, errors = _read_ragged_csv(text, delimiter, header_index, label)
    except (ValueError, csv.Error, pd.errors.EmptyDataError) as exc:
        raise CatalogError(f"{label}: cannot parse as CSV ({exc})") from exc
    frame = frame.fillna("").astype(str)
    frame.columns = range(frame.shape[1])
    row_numbers = np.arange(frame.shape[0], dtype=np.int64) + header_index + 1
    return _Table(
        cells=frame,
        row_numbers=row_numbers,
        label=label,
        delimiter=delimiter,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


def _read_ragged_csv(
    text: str, delimiter: str, header_index: int, label: str
) -> tuple[pd.DataFrame, list[RowError]]:
    """Cells of a CSV whose rows differ in width; over-long rows become errors."""
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise CatalogError(f"{label}: cannot parse as CSV ({exc})") from exc
    records = records[header_index:]
    width = len(records[0]) if records else 0
    errors: list[RowError] = []
    rows: list[list[str]] = []
    for position, record in enumerate(records):
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            row_number = header_index + 1 + position
            message = (
                f"expected {width} fields as in the header, got {len(record)} "
                "(a delimiter inside an unquoted cell?)"
            )
            errors.append(RowError(row_number, _ROW, message))
        rows.append((record + [""] * width)[:width])
    return pd.DataFrame(rows, dtype=str), errors


def _cell_text(value: object) -> str:
    """Text of one XLSX cell value (integral floats without ``.0``, dates in ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _check_zip_budget(
    archive: zipfile.ZipFile, label: str, max_entries: int
) -> list[zipfile.ZipInfo]:
    """Entries of an archive, refused if too many or too large uncompressed."""
    infos = archive.infolist()
    if len(infos) > max_entries:
        raise CatalogError(
            f"{label}: archive has {len(infos)} entries, more than the "
            f"{max_entries} allowed"
        )
    declared = sum(info.file_size for info in infos)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise CatalogError(
            f"{label}: archive declares {declared} bytes uncompressed, more than the "
            f"{MAX_UNCOMPRESSED_BYTES} allowed"
        )
    return infos


def _read_xlsx_table(
    data: bytes, label: str, lookup: dict[str, str], count_months: bool
) -> _Table:
    """Cells of the first sheet of a workbook that holds a recognisable header."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_zip_budget(archive, label, _XLSX_MAX_ENTRIES)
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True
        )
    except CatalogError:
        raise
    except Exception as exc:  # openpyxl raises many types on broken files
        raise CatalogError(f"{label}: cannot read as XLSX ({exc})") from exc
    warnings: list[str] = []
    try:
        sheets = list(workbook.worksheets)
        if not sheets:
            raise CatalogError(f"{label}: the workbook has no worksheet")
        chosen, header_index = sheets[0], -1
        for sheet in sheets:
            sheet.reset_dimensions()
            head = [
                [_cell_text(value) for value in row]
                for row in sheet.iter_rows(
                    min_row=1, max_row=_HEADER_SCAN_ROWS, values_only=True
                )
            ]
            index, score = _find_header(head, lookup, count_months)
            if score > 0:
                chosen, header_index = sheet, index
                break
        if header_index < 0:
            chosen.reset_dimensions()
            head = [
                [_cell_text(value) for value in row]
                for row in chosen.iter_rows(
                    min_row=1, max_row=_HEADER_SCAN_ROWS, values_only=True
                )
            ]
            header_index = _find_header(head, lookup, count_months)[0]
        rows = [
            [_cell_text(value) for value in row]
            for row in chosen.iter_rows(min_row=header_index + 1, values_only=True)
        ]
    except CatalogError:
        raise
    except Exception as exc:  # openpyxl raises many types on broken files
        raise CatalogError(f"{label}: cannot read as XLSX ({exc})") from exc
    finally:
        workbook.close()
    if chosen is not sheets[0] or header_index > 0:
        warnings.append(
            f"{label}: read sheet {chosen.title!r} with its header on row "
            f"{header_index + 1}"
        )
    width = max((len(row) for row in rows), default=0)
    frame = pd.DataFrame(
        [row + [""] * (width - len(row)) for row in rows],
        columns=range(width),
        dtype=str,
    )
    row_numbers = np.arange(frame.shape[0], dtype=np.int64) + header_index + 1
    return _Table(
        cells=frame, row_numbers=row_numbers, label=label, warnings=tuple(warnings)
    )


def _read_table(
    data: bytes, kind: str, label: str, lookup: dict[str, str], count_months: bool
) -> _Table:
    """Cells of a CSV or XLSX table from its header row on."""
    if kind == "xlsx":
        return _read_xlsx_table(data, label, lookup, count_months)
    return _read_csv_table(data, label, lookup, count_months)


def _parse_numbers(
    cells: pd.Series,
    *,
    money: bool,
    decimal_comma: bool,
    percent: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of stripped text cells: values (nan where unparsable) and empty mask.

    Plain numbers go through :func:`pandas.to_numeric` at once; only the rest
    get the slow path: currency symbols or codes (money columns), a trailing
    ``%`` (``percent`` columns, divided by 100), spaces or apostrophes and
    thousands separators (``1,234.50``; with ``decimal_comma``, ``1.234,50``).
    """
    empty = (cells == "").to_numpy()
    values = pd.to_numeric(cells, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan, copy=True
    )
    slow = np.isnan(values) & ~empty
    if decimal_comma:
        slow |= cells.str.contains(".", regex=False).to_numpy()
    if not slow.any():
        return values, empty
    text = cells[slow]
    if money:
        text = text.str.replace(_CURRENCY_RE, "", regex=True).str.strip()
    has_percent = text.str.endswith("%").to_numpy()
    text = text.str.replace(r"\s*%$", "", regex=True)
    text = text.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    if decimal_comma:
        grouped = text.str.fullmatch(_GROUPED_COMMA_RE)
        text = text.mask(grouped, text.str.replace(".", "", regex=False))
        text = text.str.replace(",", ".", regex=False)
    else:
        grouped = text.str.fullmatch(_GROUPED_POINT_RE)
        text = text.mask(grouped, text.str.replace(",", "", regex=False))
    parsed = pd.to_numeric(text, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan, copy=True
    )
    parsed[has_percent] = parsed[has_percent] / 100.0 if percent else np.nan
    values[slow] = parsed
    return values, empty


@dataclass(slots=True)
class _Problems:
    """Bad cells found while validating a table, in row positions."""

    row_numbers: np.ndarray
    bad: np.ndarray
    found: list[tuple[int, int, RowError]] = field(default_factory=list)

    def add(
        self,
        mask: np.ndarray,
        column: str,
        order: int,
        message: str,
        cells: pd.Series | None = None,
    ) -> None:
        """Report ``message`` (plus ``, got <cell>`` when ``cells`` is given).

        Every masked position is marked bad.
        """
        positions = np.flatnonzero(mask)
        if positions.size == 0:
            return
        self.bad[positions] = True
        rows = self.row_numbers[positions].tolist()
        if cells is None:
            texts = [message] * positions.size
        else:
            got = cells.to_numpy()[positions].tolist()
            texts = [f"{message}, got {g!r}" for g in got]
        self.found.extend(
            (position, order, RowError(row, column, text))
            for position, row, text in zip(positions.tolist(), rows, texts, strict=True)
        )

    def add_each(
        self, positions: np.ndarray, column: str, order: int, messages: list[str]
    ) -> None:
        """Report one message per position (``messages`` aligned with it)."""
        if positions.size == 0:
            return
        self.bad[positions] = True
        rows = self.row_numbers[positions].tolist()
        self.found.extend(
            (position, order, RowError(row, column, text))
            for position, row, text in zip(
                positions.tolist(), rows, messages, strict=True
            )
        )

    def errors(self) -> tuple[RowError, ...]:
        """Errors ordered by row, then by column position in the file."""
        return tuple(error for *_, error in sorted(self.found, key=lambda f: f[:2]))


def _blank_free(table: _Table, used: list[int]) -> tuple[pd.DataFrame, np.ndarray]:
    """Stripped used cells of the data rows and their row numbers, blank rows out."""
    body = table.cells.iloc[1:, used]
    stripped = body.apply(lambda column: column.str.strip())
    keep = (stripped != "").any(axis=1).to_numpy() if used else np.zeros(0, bool)
    return stripped[keep], table.row_numbers[1:][keep]


def _map_headers(
    table: _Table, columns: tuple[_Column, ...], lookup: dict[str, str]
) -> tuple[dict[str, int], dict[str, str], dict[str, float], list[str], list[str]]:
    """Which file column holds each canonical column, and the report of it.

    Returns the canonical -> file column index map, the ``column_mapping``
    report {original header: canonical}, unit factors, the header texts and
    warnings (unknown headers, duplicates, unit conversions).
    """
    by_name = {column.name: column for column in columns}
    headers = (
        [str(cell) for cell in table.cells.iloc[0].tolist()] if len(table.cells) else []
    )
    positions: dict[str, int] = {}
    mapping: dict[str, str] = {}
    factors: dict[str, float] = {}
    warnings: list[str] = []
    unknown: list[str] = []
    for index, header in enumerate(headers):
        key, units = _normalise_header(header)
        if not key:
            if header.strip() == "" and (table.cells.iloc[1:, index] != "").any():
                warnings.append(
                    f"{table.label}: column {index + 1} has no header; ignored"
                )
            continue
        name = lookup.get(key)
        if name is None:
            unknown.append(header)
            continue
        if name in positions:
            warnings.append(
                f"{table.label}: column {header!r} also maps to {name} (already "
                f"read from {headers[positions[name]]!r}); ignored"
            )
            continue
        positions[name] = index
        mapping[header] = name
        factor, unit = _header_factor(by_name[name], units)
        if factor != 1.0:
            factors[name] = factor
            warnings.append(
                f"{table.label}: column {header!r} converted from {unit} to "
                f"{by_name[name].unit} (x {factor:g})"
            )
    if unknown:
        listed = ", ".join(repr(header) for header in unknown)
        warnings.append(f"{table.label}: columns not recognised, ignored: {listed}")
    return positions, mapping, factors, headers, warnings


def _missing_columns_error(label: str, missing: list[str], headers: list[str]) -> str:
    """Message naming missing required columns, the headers found and synonyms."""
    found = ", ".join(repr(header[:40]) for header in headers[:40] if header.strip())
    hints = "; ".join(
        f"{name} may be called {', '.join(_COLUMN_BY_NAME[name].synonyms[:5])}"
        for name in missing
        if name in _COLUMN_BY_NAME and _COLUMN_BY_NAME[name].synonyms
    )
    if "annual_demand" in missing:
        hints += (
            "; instead of annual_demand, give installed_quantity with mtbf_hours, "
            "or a demand history"
        )
    return (
        f"{label}: missing required column(s) {', '.join(missing)}; headers found: "
        f"{found or '(none)'}" + (f" ({hints})" if hints else "")
    )


def _parse_columns(
    cells: pd.DataFrame,
    positions: dict[str, int],
    factors: dict[str, float],
    columns: tuple[_Column, ...],
    problems: _Problems,
    decimal_comma: bool,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Parse every mapped column; returns name -> (values, empty mask).

    Numeric values are float arrays (nan where empty); criticality and bool
    columns are object arrays (``None`` where empty); text is an object array.
    """
    order = {index: rank for rank, index in enumerate(sorted(positions.values()))}
    parsed: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for column in columns:
        if column.name not in positions:
            continue
        rank = order[positions[column.name]]
        text = cells[positions[column.name]]
        empty = (text == "").to_numpy()
        if column.kind is _Kind.NUMBER:
            values, empty = _parse_numbers(
                text,
                money=column.money,
                decimal_comma=decimal_comma,
                percent=column.unit == "frac",
            )
            values = values * factors.get(column.name, 1.0)
            bad = ~empty & ~column.bounds.contains(values)
            if column.required_cell:
                bad |= empty
            message = f"expected a number {column.bounds.text()}"
            problems.add(bad, column.name, rank, message, text)
            parsed[column.name] = (values, empty)
        elif column.kind is _Kind.CRITICALITY:
            codes = (
                text.str.lower()
                .map(_CRITICALITY_CODES)
                .to_numpy(dtype=np.float64, na_value=np.nan)
            )
            known = ~np.isnan(codes)
            values = np.full(codes.size, None, dtype=object)
            values[known] = _CRITICALITY_LEVELS[codes[known].astype(np.int64)]
            bad = ~empty & ~known
            message = (
                "expected a criticality V, E or D (vital/essential/desirable, "
                "A/B/C, 1/2/3)"
            )
            problems.add(bad, column.name, rank, message, text)
            parsed[column.name] = (values, empty)
        elif column.kind is _Kind.BOOL:
            values = text.str.lower().map(_BOOL_WORDS).to_numpy(dtype=object)
            bad = ~empty & pd.isna(values)
            message = "expected true/false (yes/no, 1/0, y/n, x)"
            problems.add(bad, column.name, rank, message, text)
            parsed[column.name] = (values, empty)
        else:
            if column.kind is _Kind.ID:
                message = f"expected a non-empty {column.name}"
                problems.add(empty, column.name, rank, message, text)
            parsed[column.name] = (text.to_numpy(dtype=object), empty)
    return parsed


def _report_duplicates(ids: np.ndarray, problems: _Problems, rank: int) -> None:
    """RowError on every later row that repeats an earlier part_id."""
    series = pd.Series(ids)
    duplicated = (series.duplicated(keep="first") & (series != "")).to_numpy()
    if not duplicated.any():
        return
    first_row = (
        pd.Series(problems.row_numbers)
        .groupby(series.to_numpy())
        .transform("first")
        .to_numpy()
    )
    positions = np.flatnonzero(duplicated)
    messages = [
        f"duplicate part_id {part_id!r} (first on row {row})"
        for part_id, row in zip(
            ids[positions].tolist(), first_row[positions].tolist(), strict=True
        )
    ]
    problems.add_each(positions, "part_id", rank, messages)


def _add_table_errors(
    table: _Table, row_numbers: np.ndarray, problems: _Problems
) -> None:
    """Carry the reader's row errors (over-long rows) into ``problems``."""
    if not table.errors:
        return
    wanted = np.array([error.row for error in table.errors], dtype=np.int64)
    positions = np.searchsorted(row_numbers, wanted)
    found = positions < row_numbers.size
    found[found] = row_numbers[positions[found]] == wanted[found]
    problems.add_each(
        positions[found],
        _ROW,
        -1,
        [error.message for error, hit in zip(table.errors, found, strict=True) if hit],
    )


def _stl_index(stl_dir: Path) -> tuple[dict[str, Path], bool]:
    """STL files under ``stl_dir`` by lower-case relative path and by basename."""
    index: dict[str, Path] = {}
    seen = 0
    for folder, subfolders, files in os.walk(stl_dir, followlinks=False):
        subfolders.sort()
        for file_name in sorted(files):
            seen += 1
            if seen > _STL_SCAN_LIMIT:
                return index, True
            if not file_name.lower().endswith(".stl"):
                continue
            path = Path(folder, file_name)
            if path.is_symlink():
                continue
            relative = path.relative_to(stl_dir).as_posix().lower()
            index.setdefault(relative, path.resolve())
            index.setdefault(file_name.lower(), path.resolve())
    return index, False


def _resolve_stl(stl_file: str, index: dict[str, Path]) -> Path | None:
    """Path of ``stl_file`` relative to the STL folder, else found by basename."""
    relative = re.sub(r"^(?:\./)+", "", stl_file.replace("\\", "/").strip()).lower()
    found = index.get(relative)
    if found is None:
        found = index.get(relative.rsplit("/", 1)[-1])
    return found


def _part_fields() -> tuple[str, ...]:
    """Names of the :class:`Part` fields."""
    return tuple(f.name for f in dataclasses.fields(Part))


def _catalog_from_table(
    table: _Table,
    *,
    stl_dir: Path | None,
    history: DemandHistory | None,
    history_errors: tuple[RowError, ...],
    extra_warnings: list[str],
    source: str,
) -> Catalog:
    """Validate the cells of a catalog table and build the :class:`Catalog`."""
    positions, mapping, factors, headers, warnings = _map_headers(
        table, _COLUMNS, _CATALOG_LOOKUP
    )
    missing = [name for name in _REQUIRED_COLUMNS if name not in positions]
    has_installed_base = {"installed_quantity", "mtbf_hours"} <= positions.keys()
    if "annual_demand" not in positions and not has_installed_base and history is None:
        missing.append("annual_demand")
    if missing:
        raise CatalogError(_missing_columns_error(table.label, missing, headers))

    used = sorted(positions.values())
    cells, row_numbers = _blank_free(table, used)
    n_rows = len(row_numbers)
    problems = _Problems(row_numbers=row_numbers, bad=np.zeros(n_rows, dtype=bool))
    _add_table_errors(table, row_numbers, problems)

    decimal_comma = table.delimiter == ";" and any(
        cells[positions[c.name]].str.contains(r"\d,\d", regex=True).any()
        for c in _COLUMNS
        if c.kind is _Kind.NUMBER and c.name in positions
    )
    parsed = _parse_columns(
        cells, positions, factors, _COLUMNS, problems, decimal_comma
    )
    rank = {index: r for r, index in enumerate(used)}

    ids = parsed["part_id"][0]
    _report_duplicates(ids, problems, rank[positions["part_id"]])

    demand_empty = (
        parsed["annual_demand"][1]
        if "annual_demand" in parsed
        else np.ones(n_rows, dtype=bool)
    )
    has_base = np.zeros(n_rows, dtype=bool)
    if has_installed_base:
        has_base = ~parsed["installed_quantity"][1] & ~parsed["mtbf_hours"][1]
    in_history = (
        np.isin(ids.astype(str), history.part_id.astype(str))
        if history is not None and len(history)
        else np.zeros(n_rows, dtype=bool)
    )
    no_demand = demand_empty & ~has_base & ~in_history
    demand_cells = (
        cells[positions["annual_demand"]]
        if "annual_demand" in positions
        else pd.Series([""] * n_rows, dtype=str)
    )
    demand_rank = (
        rank[positions["annual_demand"]] if "annual_demand" in positions else 0
    )
    problems.add(
        no_demand,
        "annual_demand",
        demand_rank,
        "expected a number >= 0 (or installed_quantity with mtbf_hours, or demand "
        "history rows for this part)",
        demand_cells,
    )

    good = np.flatnonzero(~problems.bad)
    parts, build_errors, stl_warnings = _build_parts(parsed, good, row_numbers, stl_dir)
    all_errors = problems.errors() + tuple(build_errors)
    if build_errors:
        all_errors = tuple(sorted(all_errors, key=lambda e: e.row))
    if history is not None and len(history):
        outside = np.setdiff1d(np.unique(history.part_id.astype(str)), ids.astype(str))
        if outside.size:
            shown = ", ".join(outside[:10].tolist())
            more = f" and {outside.size - 10} more" if outside.size > 10 else ""
            warnings.append(
                f"demand history: {outside.size} part_id(s) not in the catalog: "
                f"{shown}{more}"
            )
    warnings.extend(
        f"demand history row {e.row}, column {e.column}: {e.message}"
        for e in history_errors
    )
    return Catalog(
        parts=tuple(parts),
        errors=all_errors,
        column_mapping=mapping,
        history=history,
        stl_dir=stl_dir,
        source=source,
        warnings=(*extra_warnings, *table.warnings, *warnings, *stl_warnings),
        history_errors=history_errors,
    )


def _build_parts(
    parsed: dict[str, tuple[np.ndarray, np.ndarray]],
    good: np.ndarray,
    row_numbers: np.ndarray,
    stl_dir: Path | None,
) -> tuple[list[Part], list[RowError], list[str]]:
    """Part records of the good rows, with STL files resolved."""
    fields = set(_part_fields())
    columns: dict[str, list[object]] = {}
    for name, (values, empty) in parsed.items():
        if name not in fields:
            continue
        spec = _COLUMN_BY_NAME[name]
        chosen_values = values[good]
        chosen_empty = empty[good]
        if spec.kind is _Kind.NUMBER:
            if name == "unit_cost" and "price_unit" in parsed:
                price_unit, price_unit_empty = parsed["price_unit"]
                divisor = np.where(price_unit_empty[good], 1.0, price_unit[good])
                chosen_values = chosen_values / divisor
            objects = chosen_values.astype(object)
            objects[chosen_empty] = spec.default
            columns[name] = objects.tolist()
        elif spec.kind in (_Kind.ID, _Kind.TEXT, _Kind.CRITICALITY):
            objects = chosen_values.copy()
            if name == "am_material":
                # Python's upper case (object dtype): pandas' string dtype
                # maps "ß" to "ẞ" where Python (and DESIGN.md's rule) gives "SS"
                objects = (
                    pd.Series(objects, dtype=object).str.upper().to_numpy(object).copy()
                )
            if spec.default is not None:
                objects[chosen_empty] = spec.default
            columns[name] = objects.tolist()
    columns.setdefault("annual_demand", [None] * good.size)
    printable_given = (
        parsed["printable"][0][good].tolist() if "printable" in parsed else None
    )
    stl_files = columns.get("stl_file", [""] * good.size)
    stl_paths: list[Path | None] = [None] * good.size
    printable = [False] * good.size
    warnings: list[str] = []
    index: dict[str, Path] = {}
    if stl_dir is not None and any(stl_files):
        index, capped = _stl_index(stl_dir)
        if capped:
            warnings.append(
                f"STL folder {stl_dir}: more than {_STL_SCAN_LIMIT} files; only the "
                "first were searched"
            )
    where = "in " + str(stl_dir) if stl_dir is not None else "(no STL folder given)"
    for i, stl_file in enumerate(stl_files):
        given = printable_given[i] if printable_given is not None else None
        row = int(row_numbers[good[i]])
        if stl_file:
            path = _resolve_stl(str(stl_file), index)
            if path is None:
                warnings.append(f"row {row}: stl_file {stl_file!r} not found {where}")
                continue
            stl_paths[i] = path
            printable[i] = True if given is None else bool(given)
        elif given:
            warnings.append(
                f"row {row}: printable is true but no stl_file is given; "
                "printable set to false"
            )
    columns["stl_path"] = stl_paths
    columns["printable"] = printable
    names = list(columns)
    parts: list[Part] = []
    errors: list[RowError] = []
    for i, values in enumerate(zip(*columns.values(), strict=True)):
        try:
            parts.append(Part(**dict(zip(names, values, strict=True))))
        except CatalogError as exc:
            errors.append(RowError(int(row_numbers[good[i]]), _ROW, str(exc)))
    return parts, errors, warnings


def _zip_entry_problem(info: zipfile.ZipInfo) -> str:
    """Why a ZIP entry is refused (``""`` when it is acceptable)."""
    reason = unsafe_entry_reason(info)
    if reason:
        return reason
    suffix = PurePosixPath(info.filename.replace("\\", "/")).suffix.lower()
    if info.is_dir():
        return ""
    if suffix in _ARCHIVE_SUFFIXES:
        return f"nested archive ({suffix})"
    if suffix not in ZIP_ALLOWED_SUFFIXES:
        allowed = " ".join(sorted(ZIP_ALLOWED_SUFFIXES))
        return f"unexpected file type {suffix or '(no suffix)'}; allowed: {allowed}"
    return ""


def _zip_ignored(name: str) -> bool:
    """Operating-system clutter that is skipped rather than refused."""
    return is_clutter(name)


def _extract_zip(
    data: bytes, label: str, extract_dir: Path | None = None
) -> tuple[Path, list[str], list[str]]:
    """Validate every entry of a catalog ZIP, then extract it into a fresh folder.

    The folder is a new ``tempfile.mkdtemp`` below ``extract_dir`` (default: the
    system temporary folder). Returns the folder, the relative paths of the
    extracted files and warnings. Nothing is written unless every entry passes.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ARCHIVE_ERRORS as exc:
        raise CatalogError(f"{label}: not a readable ZIP ({exc})") from exc
    with archive:
        infos = _check_zip_budget(archive, label, MAX_ZIP_ENTRIES)
        accepted: list[tuple[zipfile.ZipInfo, str]] = []
        seen: set[str] = set()
        ignored: list[str] = []
        for info in infos:
            if _zip_ignored(info.filename):
                ignored.append(info.filename)
                continue
            reason = _zip_entry_problem(info)
            if reason:
                raise CatalogError(
                    f"{label}: entry {info.filename!r} refused: {reason}"
                )
            if info.is_dir():
                continue
            relative = "/".join(
                part
                for part in re.split(r"[/\\]+", info.filename)
                if part not in ("", ".")
            )
            if relative.lower() in seen:
                raise CatalogError(
                    f"{label}: entry {info.filename!r} refused: duplicate name"
                )
            seen.add(relative.lower())
            accepted.append((info, relative))
        try:
            folder = Path(
                tempfile.mkdtemp(prefix="sparecast_catalog_", dir=extract_dir)
            ).resolve()
        except OSError as exc:
            raise CatalogError(
                f"{label}: cannot create a folder to extract into ({exc})"
            ) from exc
        try:
            for info, relative in accepted:
                _extract_entry(archive, info, folder, relative, label)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    warnings = (
        [f"{label}: skipped {len(ignored)} system file(s) such as {ignored[0]!r}"]
        if ignored
        else []
    )
    return folder, [relative for _, relative in accepted], warnings


def _extract_entry(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    folder: Path,
    relative: str,
    label: str,
) -> None:
    """Copy one validated entry below ``folder``, never more than it declares."""
    target = folder.joinpath(*relative.split("/"))
    if not target.resolve().is_relative_to(folder):
        raise CatalogError(
            f"{label}: entry {info.filename!r} refused: leaves the folder"
        )
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, target.open("xb") as sink:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:
                    raise CatalogError(
                        f"{label}: entry {info.filename!r} refused: holds more than "
                        f"the {info.file_size} bytes it declares"
                    )
                sink.write(chunk)
    except CatalogError:
        raise
    except _ARCHIVE_ERRORS as exc:
        raise CatalogError(
            f"{label}: entry {info.filename!r} cannot be read ({exc})"
        ) from exc


def _pick_zip_tables(files: list[str], label: str) -> tuple[str, str | None]:
    """The catalog table and the optional demand history among a ZIP's files."""
    tables = [f for f in files if PurePosixPath(f).suffix.lower() in (".csv", ".xlsx")]

    def stem(path: str) -> str:
        return PurePosixPath(path).name.lower().replace("-", "_")

    histories = [f for f in tables if stem(f).startswith(("demand_history", "history"))]
    others = ("printers", "materials", "scenario", "profile")
    candidates = [
        f for f in tables if f not in histories and not stem(f).startswith(others)
    ]
    if not candidates:
        shown = ", ".join(files[:20]) or "(none)"
        raise CatalogError(
            f"{label}: no catalog .csv or .xlsx in the archive; files: {shown}"
        )
    top_depth = min(f.count("/") for f in candidates)
    top = [f for f in candidates if f.count("/") == top_depth]
    named = [f for f in top if stem(f).startswith(("catalog", "parts", "spare"))]
    if len(named) == 1:
        chosen = named[0]
    elif len(top) == 1:
        chosen = top[0]
    else:
        raise CatalogError(
            f"{label}: several possible catalogs ({', '.join(sorted(top))}); keep "
            "one, or name it catalog*.csv or parts*.csv"
        )
    history = min(histories, key=lambda f: (f.count("/"), f)) if histories else None
    return chosen, history


def load_catalog(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    stl_dir: str | Path | None = None,
    history: str | Path | bytes | DemandHistory | None = None,
    extract_dir: str | Path | None = None,
) -> Catalog:
    """Import a spare-parts catalog from CSV, XLSX or a ZIP of catalog + STL files.

    Parameters
    ----------
    source
        Path to a ``.csv``, ``.xlsx`` or ``.zip`` file, or the raw bytes of an
        upload (the format is told by content, then by ``name``).
    name
        File name shown in messages (and for bytes, used for the format).
    stl_dir
        Folder that ``stl_file`` cells are relative to; by default the folder of
        a catalog path. STLs are also found by base name anywhere below it. For a
        ZIP it is the folder the archive was extracted into.
    history
        Demand history (long ``part_id, date, quantity`` or wide monthly form,
        see :func:`load_demand_history`), as a path, bytes or a loaded
        :class:`DemandHistory`. A ZIP may carry its own ``demand_history*.csv``.
    extract_dir
        Folder below which a ZIP is extracted (into a fresh ``sparecast_catalog_*``
        subfolder); default the system temporary folder. A caller that owns a
        per-session folder passes it here, so removing that folder removes every
        extraction of the session.

    Returns
    -------
    Catalog
        Good rows as :class:`Part` records (file order), a :class:`RowError` per
        bad cell (rows with a bad cell are left out), ``column_mapping``
        {original header: canonical name}, the history and its bad rows, and
        warnings (unknown columns, unit conversions, missing STL files, ...).
        For a ZIP, ``stl_dir`` is the extraction folder and ``owns_stl_dir`` is
        true: :meth:`Catalog.cleanup` (or ``with load_catalog(...) as c:``)
        removes it.

    Raises
    ------
    CatalogError
        When the file cannot be read as a table (missing file, NUL bytes, broken
        XLSX), lacks a required column (the message names it and lists the
        headers found), or is a ZIP with a refused entry (zip-slip path, symbolic
        link, nested archive, unexpected file type, encrypted), more than
        :data:`MAX_ZIP_ENTRIES` entries or more than
        :data:`MAX_UNCOMPRESSED_BYTES` uncompressed.

    Notes
    -----
    CSV: delimiter sniffed among ``, ; tab |`` (the split that yields a
    recognisable header wins); UTF-8 with or without BOM, UTF-16 with BOM, else
    cp1252. With ``;`` and cells like ``1,5`` numbers use a decimal comma
    (``1.234,50``); otherwise ``1,234.50`` is read with a thousands separator.
    Money columns accept ``€ 45`` or ``45 EUR``; fraction columns ``95%``.
    Headers are matched ignoring case, accents, spaces and punctuation; a
    time unit in parentheses (``Lead time (weeks)``) is converted. Title rows
    above the header are skipped; row numbers in errors are the spreadsheet's.
    ``unit_cost`` is divided by a ``price_unit`` (SAP ``PEINH``) column when one
    is given, and ``am_material`` is upper-cased.

    Examples
    --------
    >>> text = "MATNR;MAKTX;STPRS;PLIFZ;Annual usage\\nP-1;Seal;12,50;30;4\\n"
    >>> catalog = load_catalog(text.encode(), name="sap.csv")
    >>> catalog.parts[0].unit_cost, catalog.column_mapping["PLIFZ"]
    (12.5, 'lead_time_days')
    >>> bad = load_catalog(b"part_id,description,unit_cost,lead_time_days,annual_demand"
    ...                    b"\\nP-1,Seal,abc,30,4\\n", name="x.csv")
    >>> str(bad.errors[0])
    "row 2, column unit_cost: expected a number >= 0, got 'abc'"
    """
    data, label, path = _read_source(source, name)
    kind = _detect_kind(data, label)
    warnings: list[str] = []
    if kind == "zip":
        folder, files, zip_warnings = _extract_zip(
            data, label, None if extract_dir is None else Path(extract_dir)
        )
        try:
            catalog = _load_extracted(
                folder, files, label, warnings + zip_warnings, stl_dir, history
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return dataclasses.replace(catalog, owns_stl_dir=True)
    if stl_dir is not None:
        stl_root = Path(stl_dir).resolve()
    else:
        stl_root = path.parent.resolve() if path is not None else None
    if stl_root is not None and not stl_root.is_dir():
        warnings.append(f"STL folder {stl_root} does not exist")
        stl_root = None
    return _load_table(
        data, kind, label, stl_root=stl_root, history=history, warnings=warnings
    )


def _load_extracted(
    folder: Path,
    files: list[str],
    label: str,
    warnings: list[str],
    stl_dir: str | Path | None,
    history: str | Path | bytes | DemandHistory | None,
) -> Catalog:
    """Load the catalog (and history) of a ZIP extracted into ``folder``."""
    table_name, history_name = _pick_zip_tables(files, label)
    if stl_dir is not None:
        warnings.append(
            f"{label}: stl_dir {str(stl_dir)!r} ignored; STL files are taken "
            "from the archive"
        )
    if history is None and history_name is not None:
        history = folder / history_name
    table_data = (folder / table_name).read_bytes()
    table_label = f"{label}:{table_name}"
    kind = _detect_kind(table_data, table_name)
    if kind == "zip":
        raise CatalogError(f"{table_label}: nested archive, not a catalog table")
    return _load_table(
        table_data,
        kind,
        table_label,
        stl_root=folder,
        history=history,
        warnings=warnings,
    )


def _load_table(
    table_data: bytes,
    kind: str,
    table_label: str,
    *,
    stl_root: Path | None,
    history: str | Path | bytes | DemandHistory | None,
    warnings: list[str],
) -> Catalog:
    """Read a CSV/XLSX catalog table, load the history, validate, build."""
    loaded_history: DemandHistory | None = None
    history_errors: tuple[RowError, ...] = ()
    if isinstance(history, DemandHistory):
        loaded_history = history
    elif history is not None:
        loaded_history, errors = load_demand_history(history)
        history_errors = tuple(errors)
    table = _read_table(table_data, kind, table_label, _CATALOG_LOOKUP, False)
    return _catalog_from_table(
        table,
        stl_dir=stl_root,
        history=loaded_history,
        history_errors=history_errors,
        extra_warnings=warnings,
        source=table_label,
    )


_DATE_PATTERNS = (
    ("ymd", r"^(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?:[T ].*)?$"),
    ("ymd", r"^(\d{4})(\d{2})(\d{2})$"),
    ("dmy", r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?:[T ].*)?$"),
    ("slash", r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:[T ].*)?$"),
)


def _parse_dates(cells: pd.Series) -> np.ndarray:
    """Dates of stripped text cells as ``datetime64[D]`` (NaT where unreadable).

    Accepts ``YYYY-MM-DD`` (also with ``/`` or ``.``, a time, or no day: the
    1st), ``YYYYMMDD``, ``DD.MM.YYYY`` and ``MM/DD/YYYY``; slashed dates are
    read day-first when any of them has a first field above 12.
    """
    n = len(cells)
    year = np.full(n, np.nan)
    month = np.full(n, np.nan)
    day = np.full(n, np.nan)
    for order, pattern in _DATE_PATTERNS:
        todo = np.isnan(year)
        if not todo.any():
            break
        groups = cells[todo].str.extract(pattern).apply(pd.to_numeric, errors="coerce")
        first, second, third = (groups[i].to_numpy(dtype=float) for i in range(3))
        if order == "ymd":
            values = (first, second, np.where(np.isnan(third), 1.0, third))
        elif order == "dmy":
            values = (third, second, first)
        else:
            day_first = bool(np.nanmax(first, initial=0) > 12)
            values = (third, second, first) if day_first else (third, first, second)
        hit = ~np.isnan(values[0])
        targets = np.flatnonzero(todo)[hit]
        year[targets], month[targets], day[targets] = (v[hit] for v in values)
    year = np.where(year < 100, year + 2000, year)
    valid = (year >= 1900) & (year <= 2200) & (month >= 1) & (month <= 12) & (day >= 1)
    dates = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if valid.any():
        months = (
            ((year[valid] - 1970) * 12 + month[valid] - 1)
            .astype(np.int64)
            .astype("datetime64[M]")
        )
        starts = months.astype("datetime64[D]")
        lengths = ((months + 1).astype("datetime64[D]") - starts).astype(np.int64)
        offsets = day[valid].astype(np.int64) - 1
        ok = offsets < lengths
        chosen = np.flatnonzero(valid)[ok]
        dates[chosen] = starts[ok] + offsets[ok]
    return dates


def load_demand_history(
    source: str | Path | bytes, *, name: str | None = None
) -> tuple[DemandHistory, list[RowError]]:
    """Import a demand (usage) history from CSV or XLSX.

    Parameters
    ----------
    source
        Path or raw bytes of the table, in long form (``part_id, date,
        quantity``; synonyms such as ``MATNR``, ``Posting date``/``BUDAT``,
        ``Qty``/``MENGE`` allowed) or Maximo-style wide form (``part_id`` plus
        one column per month headed ``YYYY-MM``, ``YYYY-MM usage``, ``MM/YYYY``
        or ``Mar 2024``).
    name
        File name shown in messages (and for bytes, used for the format).

    Returns
    -------
    tuple[DemandHistory, list[RowError]]
        The records sorted by part and date (wide form: one per month dated the
        1st, empty cells as 0 units) and a :class:`RowError` per bad cell; rows
        with a bad cell are left out.

    Raises
    ------
    CatalogError
        When the table cannot be read, is a ZIP, or lacks a part_id column or
        both the date/quantity columns and month columns.

    Examples
    --------
    >>> history, errors = load_demand_history(
    ...     b"ITEMNUM,2024-01,2024-02\\nP-1,2,\\n", name="usage.csv")
    >>> history.date.tolist(), history.quantity.tolist(), errors
    ([datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)], [2.0, 0.0], [])
    """
    data, label, _ = _read_source(source, name)
    kind = _detect_kind(data, label)
    if kind == "zip":
        raise CatalogError(
            f"{label}: a demand history must be a .csv or .xlsx file, not a ZIP"
        )
    table = _read_table(data, kind, label, _HISTORY_LOOKUP, True)
    return _history_from_table(table)


def _history_from_table(table: _Table) -> tuple[DemandHistory, list[RowError]]:
    """Validate a long or wide history table."""
    positions, _, _, headers, _ = _map_headers(table, _HISTORY_COLUMNS, _HISTORY_LOOKUP)
    months = {
        index: month
        for index, header in enumerate(headers)
        if index not in positions.values() and (month := _month_of(header)) is not None
    }
    long_form = {"date", "quantity"} <= positions.keys()
    if "part_id" not in positions or not (long_form or months):
        missing = [n for n in ("part_id", "date", "quantity") if n not in positions]
        raise CatalogError(
            _missing_columns_error(table.label, missing, headers)
            + " (or, in wide form, one column per month headed YYYY-MM)"
        )
    used = sorted(
        {positions["part_id"]}
        | ({positions["date"], positions["quantity"]} if long_form else set(months))
    )
    cells, row_numbers = _blank_free(table, used)
    rank = {index: r for r, index in enumerate(used)}
    problems = _Problems(
        row_numbers=row_numbers, bad=np.zeros(len(row_numbers), dtype=bool)
    )
    _add_table_errors(table, row_numbers, problems)
    id_cells = cells[positions["part_id"]]
    ids = id_cells.to_numpy(dtype=object)
    problems.add(
        (id_cells == "").to_numpy(),
        "part_id",
        rank[positions["part_id"]],
        "expected a non-empty part_id",
        id_cells,
    )
    decimal_comma = table.delimiter == ";" and any(
        cells[j].str.contains(r"\d,\d", regex=True).any()
        for j in used
        if j != positions["part_id"]
    )
    if long_form:
        date_cells = cells[positions["date"]]
        dates = _parse_dates(date_cells)
        problems.add(
            np.isnat(dates),
            "date",
            rank[positions["date"]],
            "expected a date (YYYY-MM-DD, DD.MM.YYYY, MM/DD/YYYY or YYYYMMDD)",
            date_cells,
        )
        quantity_cells = cells[positions["quantity"]]
        quantity, empty = _parse_numbers(
            quantity_cells, money=False, decimal_comma=decimal_comma, percent=False
        )
        problems.add(
            empty | ~_NON_NEGATIVE.contains(quantity),
            "quantity",
            rank[positions["quantity"]],
            "expected a number >= 0",
            quantity_cells,
        )
        good = ~problems.bad
        part_ids, record_dates, quantities = ids[good], dates[good], quantity[good]
    else:
        _report_duplicates(
            id_cells.to_numpy(dtype=object), problems, rank[positions["part_id"]]
        )
        columns = sorted(months)
        grid = np.zeros((len(row_numbers), len(columns)))
        for k, index in enumerate(columns):
            values, empty = _parse_numbers(
                cells[index], money=False, decimal_comma=decimal_comma, percent=False
            )
            problems.add(
                ~empty & ~_NON_NEGATIVE.contains(values),
                headers[index],
                rank[index],
                "expected a number >= 0",
                cells[index],
            )
            grid[:, k] = np.where(empty, 0.0, values)
        good = ~problems.bad
        n_months = len(columns)
        part_ids = np.repeat(ids[good], n_months)
        record_dates = np.tile(
            np.array([months[index] for index in columns], dtype="datetime64[D]"),
            int(good.sum()),
        )
        quantities = grid[good].ravel()
    part_ids = part_ids.astype(str)
    order = np.lexsort((record_dates, part_ids))
    history = DemandHistory(
        part_id=part_ids[order],
        date=record_dates[order].astype("datetime64[D]"),
        quantity=quantities[order].astype(np.float64),
    )
    return history, list(problems.errors())


def load_demo_catalog() -> Catalog:
    """The demo catalog: ``catalog/parts.csv`` with its STL folder and history.

    Returns
    -------
    Catalog
        Loaded by :func:`load_catalog` with ``stl_dir=catalog/stl`` and
        ``history=catalog/demand_history.csv`` (when that file exists).

    Raises
    ------
    CatalogError
        When ``catalog/parts.csv`` is missing or unreadable.
    """
    history_path = DEMO_DIR / "demand_history.csv"
    return load_catalog(
        DEMO_DIR / "parts.csv",
        stl_dir=DEMO_DIR / "stl",
        history=history_path if history_path.is_file() else None,
    )
