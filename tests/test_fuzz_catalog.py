"""Property-based fuzzing of the catalog doors (CSV and XLSX), issue 8 item 1.

Hypothesis builds catalogs cell by cell, each cell valid or invalid on purpose:
numbers in many spellings (thousands separators, decimal commas, currency, percent,
exponents, Swiss apostrophes), unicode text with delimiters and quotes, VED words,
booleans, blank and duplicated ids, unknown extra columns, optional columns left
out, header synonyms in any case, title rows, BOM, CRLF, ragged rows, and XLSX
files with merged title/group rows, a notes sheet first, native numbers and
Excel dates in number columns. An independent oracle says which cells are bad
and what every good row must hold. Properties:

* every valid row is kept, in order, with every value unchanged;
* every invalid row is reported with its spreadsheet row and the column at fault
  (and nothing else is reported);
* nothing but :class:`CatalogError` ever escapes.

Bounded profiles run in CI; the long profile runs with
``.venv/bin/pytest tests/test_fuzz_catalog.py --run-slow -m slow``.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import time
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from planner import catalog as catalog_module
from planner.catalog import Catalog, Criticality, load_catalog
from planner.errors import CatalogError
from planner.units import DEFAULT_OPERATING_HOURS_PER_YEAR

_ROW = "(row)"
_CSV_EXAMPLES = 150
_XLSX_EXAMPLES = 60
_RAW_EXAMPLES = 200
_SLOW_FACTOR = 25
_FAST = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True, slots=True)
class _Spec:
    """What the oracle knows of a column (written from DESIGN.md, not the loader)."""

    name: str
    kind: str  # id, text, number, criticality, bool
    low: float = 0.0
    high: float = math.inf
    low_open: bool = False
    high_open: bool = True
    default: object = None
    money: bool = False
    frac: bool = False
    required_cell: bool = False

    def holds(self, value: float) -> bool:
        """Whether a finite number is inside the column's range."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return math.isfinite(value) and above and below


_SPECS = {
    spec.name: spec
    for spec in (
        _Spec("part_id", "id"),
        _Spec("description", "text", default=""),
        _Spec("unit_cost", "number", money=True, required_cell=True),
        _Spec("annual_demand", "number"),
        _Spec("lead_time_days", "number", low_open=True, required_cell=True),
        _Spec("criticality", "criticality", default=Criticality.ESSENTIAL),
        _Spec("target_fill_rate", "number", 0.0, 1.0, True, True, frac=True),
        _Spec("downtime_cost_per_day", "number", money=True),
        _Spec("holding_rate", "number", 0.0, 1.0, False, False, 0.25, frac=True),
        _Spec("order_cost", "number", default=0.0, money=True),
        _Spec("on_hand", "number", default=0.0),
        _Spec("on_order", "number", default=0.0),
        _Spec("supplier", "text", default=""),
        _Spec("supplier_region", "text", default=""),
        _Spec("lead_time_std_days", "number", default=0.0),
        _Spec("printable", "bool"),
        _Spec("am_material", "text", default="PETG"),
        _Spec("am_lifetime_ratio", "number", 0.0, 1.0, True, False, 1.0, frac=True),
        _Spec("am_qualification_cost", "number", default=0.0, money=True),
        _Spec("post_process_hours", "number", default=0.25),
        _Spec("installed_quantity", "number"),
        _Spec("mtbf_hours", "number", low_open=True),
        _Spec(
            "operating_hours_per_year",
            "number",
            0.0,
            8784.0,
            True,
            False,
            DEFAULT_OPERATING_HOURS_PER_YEAR,
        ),
        _Spec("current_reorder_point", "number"),
        _Spec("lot_size", "number", low=1.0),
        _Spec("price_unit", "number", low_open=True, default=1.0),
    )
}
_REQUIRED = ("part_id", "description", "unit_cost", "lead_time_days", "annual_demand")
_OPTIONAL = tuple(name for name in _SPECS if name not in _REQUIRED)
_UNKNOWN_HEADERS = ("Notes", "Bin location", "Remarks", "Ünknöwn field", "x_extra")
_CRITICALITY = {
    "V": Criticality.VITAL,
    "vital": Criticality.VITAL,
    "A": Criticality.VITAL,
    "1": Criticality.VITAL,
    "High": Criticality.VITAL,
    "E": Criticality.ESSENTIAL,
    "Essential": Criticality.ESSENTIAL,
    "b": Criticality.ESSENTIAL,
    "2": Criticality.ESSENTIAL,
    "medium": Criticality.ESSENTIAL,
    "D": Criticality.DESIRABLE,
    "DESIRABLE": Criticality.DESIRABLE,
    "c": Criticality.DESIRABLE,
    "3": Criticality.DESIRABLE,
    "low": Criticality.DESIRABLE,
}
_BOOLS = ("true", "False", "YES", "no", "1", "0", "y", "N", "x", "t", "f")
_BAD_NUMBERS = (
    "abc",
    "n/a",
    "2024-03-01",
    "01.03.2024",
    "12:30",
    "1e400",
    "nan",
    "inf",
    "-inf",
    "١٢",
    "１２",
    "1..2",
    "--1",
    "½",
    "TRUE",
    "$",
    "%",
    "1.2.3",
    "12\u200b",
)
_BAD_CRITICALITY = ("Z", "maybe", "4", "critical", "VV")
_BAD_BOOLS = ("maybe", "2", "oui", "truee")


def _synonyms(name: str) -> list[str]:
    """Header spellings of a column: canonical, synonyms without units, odd cases."""
    column = catalog_module._COLUMN_BY_NAME[name]
    plain = [s for s in column.synonyms if "(" not in s and "%" not in s]
    names = [name, name.upper(), name.replace("_", " ").title(), *plain]
    return names + [s.upper() for s in plain[:2]] + [f"  {s} " for s in plain[:1]]


_TEXT_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="\r\x85"
)
_TEXT = st.text(
    alphabet=st.one_of(_TEXT_CHARS, st.sampled_from(list(",;|\t\"\n' "))), max_size=14
)
_NA_WORDS = st.sampled_from(["NA", "N/A", "NULL", "None", "nan", "#N/A", "-", "0"])


# ------------------------------------------------------------------ the oracle


@dataclass(slots=True)
class _Cell:
    """One generated cell: its text (CSV), its XLSX value, and what it must parse to."""

    text: str
    xlsx: object = None
    valid: bool = True
    value: object = None  # parsed value when valid and not blank
    blank: bool = False


@dataclass(slots=True)
class _Table:
    """A generated catalog: headers per column, rows of cells, extras per row."""

    columns: list[str]
    headers: list[str]
    rows: list[dict[str, _Cell]]
    extra_field: list[bool] = field(default_factory=list)


def _decimal_text(draw, spec: _Spec) -> str:
    """A canonical decimal string inside the column's range."""
    if spec.frac:
        return f"0.{draw(st.integers(1, 999)):03d}"
    if spec.name == "operating_hours_per_year":
        return str(draw(st.integers(1, 8784)))
    if spec.name == "lot_size":
        return str(draw(st.integers(1, 10_000)))
    digits = draw(st.integers(0, 3))
    mantissa = draw(st.integers(1 if spec.low_open else 0, 10**7))
    text = str(Decimal(mantissa).scaleb(-digits))
    value = float(text)
    return text if spec.holds(value) and "E" not in text else "1"


def _grouped(integer: str, separator: str) -> str:
    """``1234567`` -> ``1,234,567`` with ``separator``."""
    head = len(integer) % 3 or 3
    groups = [integer[:head]] + [
        integer[i : i + 3] for i in range(head, len(integer), 3)
    ]
    return separator.join(groups)


def _render_number(draw, text: str, spec: _Spec, mode: str) -> tuple[str, float]:
    """A spelling of the decimal ``text`` and the value the loader must read.

    ``mode`` is ``point`` (1,234.5) or ``comma`` (1.234,5: ';' files only).
    """
    integer, _, fraction = text.partition(".")
    point, group = (",", ".") if mode == "comma" else (".", ",")
    styles = ["plain", "plain", "space", "apostrophe", "padded"]
    if len(integer) > 3:
        styles.append("thousands")
    if spec.money:
        styles += ["currency_prefix", "currency_suffix"]
    if spec.frac:
        styles.append("percent")
    if mode == "point":
        styles.append("exponent")
    style = draw(st.sampled_from(styles))
    plain = integer + (point + fraction if fraction else "")
    value = float(text)
    if style == "thousands":
        rendered = _grouped(integer, group) + (point + fraction if fraction else "")
    elif style == "space":
        rendered = _grouped(integer, " ") + (point + fraction if fraction else "")
    elif style == "apostrophe":
        rendered = _grouped(integer, "'") + (point + fraction if fraction else "")
    elif style == "padded":
        rendered = f"  {plain} "
    elif style == "currency_prefix":
        rendered = f"{draw(st.sampled_from(['€', '$', 'EUR', '£']))} {plain}"
    elif style == "currency_suffix":
        rendered = f"{plain} {draw(st.sampled_from(['EUR', 'USD', '€', 'chf']))}"
    elif style == "percent":
        percent = str(Decimal(text).scaleb(2).normalize())
        percent = format(Decimal(percent), "f")
        rendered = percent.replace(".", point) + "%"
        value = float(percent) / 100.0
    elif style == "exponent":
        rendered = f"{value:e}"
        value = float(rendered)
    else:
        rendered = plain
    return rendered, value


def _number_cell(draw, spec: _Spec, mode: str, xlsx: bool) -> _Cell:
    """A valid, out-of-range, unparsable or blank number cell."""
    roll = draw(st.integers(0, 99))
    if roll < 8:
        blank = draw(st.sampled_from(["", "  "]))
        return _Cell(blank, None, valid=not spec.required_cell, blank=True)
    if roll < 16:
        bad = draw(st.sampled_from(_BAD_NUMBERS))
        return _Cell(bad, bad, valid=False)
    if roll < 22:
        if spec.frac:
            wrong = "1.5"
        elif spec.name == "operating_hours_per_year":
            wrong = "9000"
        elif spec.name == "lot_size":
            wrong = "0.5"
        elif spec.low_open:
            wrong = draw(st.sampled_from(["0", "-2"]))
        else:
            wrong = draw(st.sampled_from(["-1", "-0.5", "-1234.5"]))
        text = wrong.replace(".", ",") if mode == "comma" else wrong
        return _Cell(text, float(wrong), valid=False)
    if xlsx and roll < 26:
        when = datetime.datetime(2024, 3, draw(st.integers(1, 28)))
        return _Cell(when.date().isoformat(), when, valid=False)
    text = _decimal_text(draw, spec)
    if xlsx and draw(st.booleans()):
        value = float(text)
        return _Cell(text, value, value=value)
    rendered, value = _render_number(draw, text, spec, mode)
    return _Cell(rendered, rendered, value=value)


def _text_cell(draw, spec: _Spec, xlsx: bool) -> _Cell:
    """A text cell (unicode, delimiters, quotes, NA-like words); never invalid."""
    text = draw(st.one_of(_TEXT, _NA_WORDS))
    if xlsx:
        text = text.lstrip("=")
    stripped = text.strip()
    value = stripped.upper() if spec.name == "am_material" else stripped
    return _Cell(text, text, value=value, blank=stripped == "")


def _cell(draw, spec: _Spec, mode: str, xlsx: bool) -> _Cell:
    """A cell of column ``spec`` (part_id cells are made by the caller)."""
    if spec.kind == "number":
        return _number_cell(draw, spec, mode, xlsx)
    if spec.kind == "text":
        return _text_cell(draw, spec, xlsx)
    words, bad_words = (
        (list(_CRITICALITY), _BAD_CRITICALITY)
        if spec.kind == "criticality"
        else (list(_BOOLS), _BAD_BOOLS)
    )
    roll = draw(st.integers(0, 9))
    if roll == 0:
        return _Cell("", None, blank=True)
    if roll == 1:
        bad = draw(st.sampled_from(bad_words))
        return _Cell(bad, bad, valid=False)
    word = draw(st.sampled_from(words))
    value = _CRITICALITY.get(word) if spec.kind == "criticality" else None
    return _Cell(f" {word}" if roll == 2 else word, word, value=value)


@st.composite
def _tables(draw, *, xlsx: bool):
    """A generated catalog table and its rendering mode."""
    delimiter = "" if xlsx else draw(st.sampled_from([",", ";", "\t", "|"]))
    mode = "comma" if delimiter == ";" and draw(st.booleans()) else "point"
    optional = draw(st.lists(st.sampled_from(_OPTIONAL), unique=True, max_size=8))
    unknown = draw(st.lists(st.sampled_from(_UNKNOWN_HEADERS), unique=True, max_size=2))
    columns = draw(st.permutations([*_REQUIRED, *optional, *unknown]))
    headers = []
    for column in columns:
        if column in _SPECS:
            headers.append(draw(st.sampled_from(_synonyms(column))))
        else:
            headers.append(column)
    n_rows = draw(st.integers(1, 10))
    prefix = draw(_TEXT.map(lambda t: t.strip().lstrip("=")))
    rows: list[dict[str, _Cell]] = []
    for index in range(n_rows):
        row: dict[str, _Cell] = {}
        for column in columns:
            if column in _SPECS and column != "part_id":
                row[column] = _cell(draw, _SPECS[column], mode, xlsx)
            elif column not in _SPECS:
                text = draw(_TEXT)
                row[column] = _Cell(text, text.lstrip("="), value=None)
        roll = draw(st.integers(0, 19))
        if roll == 0:
            row["part_id"] = _Cell(" ", " ", valid=False, blank=True)
        elif roll == 1 and rows:
            earlier = draw(st.sampled_from(rows))["part_id"].text.strip()
            row["part_id"] = _Cell(
                f" {earlier} ", f" {earlier} ", valid=bool(earlier), value=earlier
            )
            row["part_id"].blank = not earlier
        else:
            part_id = f"{prefix}-{index}"
            row["part_id"] = _Cell(part_id, part_id, value=part_id.strip())
        rows.append(row)
    extra = [(not xlsx) and draw(st.integers(0, 14)) == 0 for _ in rows]
    return _Table(columns, headers, rows, extra), delimiter, mode


def _effective_mode(table: _Table, delimiter: str) -> str:
    """Decimal comma iff ';' and some number cell holds digit-comma-digit (loader rule)."""
    if delimiter != ";":
        return "point"
    for row in table.rows:
        for column, cell in row.items():
            spec = _SPECS.get(column)
            if (
                spec is not None
                and spec.kind == "number"
                and _has_digit_comma(cell.text)
            ):
                return "comma"
    return "point"


def _has_digit_comma(text: str) -> bool:
    return any(
        a.isdigit() and b == "," and c.isdigit()
        for a, b, c in zip(text, text[1:], text[2:], strict=False)
        if a.isascii() and c.isascii()
    )


def _expected(table: _Table, first_row: int):
    """(errors {(row, column)}, expected part tuples) by the oracle."""
    mapped = [c for c in table.columns if c in _SPECS]
    has_base = {"installed_quantity", "mtbf_hours"} <= set(mapped)
    errors: set[tuple[int, str]] = set()
    parts = []
    seen_ids: set[str] = set()
    for index, row in enumerate(table.rows):
        number = first_row + index
        if all(row[c].text.strip() == "" for c in mapped):
            continue
        bad: set[str] = {c for c in mapped if not row[c].valid}
        part_id = row["part_id"].text.strip()
        if part_id and part_id in seen_ids:
            bad.add("part_id")
        if part_id:
            seen_ids.add(part_id)
        demand_blank = row["annual_demand"].blank
        base_given = has_base and not (
            row["installed_quantity"].blank or row["mtbf_hours"].blank
        )
        if demand_blank and not base_given:
            bad.add("annual_demand")
        if table.extra_field[index]:
            bad.add(_ROW)
        errors |= {(number, column) for column in bad}
        if not bad:
            parts.append(_expected_part(row, mapped))
    return errors, parts


_COMPARED = (
    "part_id",
    "description",
    "unit_cost",
    "annual_demand",
    "lead_time_days",
    "criticality",
    "target_fill_rate",
    "downtime_cost_per_day",
    "holding_rate",
    "order_cost",
    "on_hand",
    "on_order",
    "supplier",
    "supplier_region",
    "am_material",
    "am_lifetime_ratio",
    "am_qualification_cost",
    "post_process_hours",
    "installed_quantity",
    "mtbf_hours",
    "operating_hours_per_year",
    "current_reorder_point",
    "lot_size",
)


def _expected_part(row: dict[str, _Cell], mapped: list[str]) -> tuple:
    """The field values the loader must give a good row."""
    values = {}
    for name in (*_COMPARED, "price_unit"):
        spec = _SPECS[name]
        cell = row.get(name) if name in mapped else None
        if cell is None or cell.blank:
            values[name] = spec.default
        else:
            values[name] = cell.value
    if values["unit_cost"] is not None:
        values["unit_cost"] = values["unit_cost"] / values["price_unit"]
    return tuple(values[name] for name in _COMPARED)


def _actual(catalog: Catalog) -> list[tuple]:
    return [tuple(getattr(p, name) for name in _COMPARED) for p in catalog.parts]


# ----------------------------------------------------------------- renderers


def _csv_bytes(
    table: _Table, delimiter: str, newline: str, n_title: int, bom: bool, encoding: str
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    for _ in range(n_title):
        writer.writerow(["Spare parts export, plant 7"])
    writer.writerow(table.headers)
    for row, extra in zip(table.rows, table.extra_field, strict=True):
        cells = [row[c].text for c in table.columns]
        writer.writerow([*cells, "overflow"] if extra else cells)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def _xlsx_bytes(
    table: _Table, n_title: int, notes_sheet: bool, group_row: bool
) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if notes_sheet:
        sheet.title = "Read me"
        sheet.append(["This workbook lists the spare parts of plant 7."])
        sheet.append(["Prices in EUR"])
        sheet = workbook.create_sheet("Parts")
    width = len(table.columns)
    for line in range(1, n_title + 1):
        sheet.cell(row=line, column=1, value=f"Spare parts export {line}")
        if width > 1:
            sheet.merge_cells(
                start_row=line, start_column=1, end_row=line, end_column=width
            )
    if group_row:
        line = n_title + 1
        sheet.cell(row=line, column=1, value="Stock")
        if width > 2:
            sheet.cell(row=line, column=3, value="Cost")
            sheet.merge_cells(
                start_row=line, start_column=1, end_row=line, end_column=2
            )
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append(
            [row[c].xlsx if row[c].xlsx != "" else None for c in table.columns]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _check(catalog: Catalog, table: _Table, first_row: int) -> None:
    """The loaded catalog matches the oracle exactly."""
    errors, parts = _expected(table, first_row)
    found = {(e.row, e.column) for e in catalog.errors}
    assert found == errors, [str(e) for e in catalog.errors]
    actual = _actual(catalog)
    assert len(actual) == len(parts)
    for got, want in zip(actual, parts, strict=True):
        diff = {
            name: (g, w)
            for name, g, w in zip(_COMPARED, got, want, strict=True)
            if g != w
        }
        assert not diff, diff


# -------------------------------------------------------------------- tests


def _run_csv(data) -> None:
    table, delimiter, mode = data["table"]
    effective = _effective_mode(table, delimiter)
    assume(effective == mode)
    content = _csv_bytes(
        table,
        delimiter,
        data["newline"],
        data["n_title"],
        data["bom"],
        data["encoding"],
    )
    catalog = load_catalog(content, name="fuzz.csv")
    _check(catalog, table, data["n_title"] + 2)


_CSV_DATA = st.fixed_dictionaries(
    {
        "table": _tables(xlsx=False),
        "newline": st.sampled_from(["\n", "\r\n"]),
        "n_title": st.integers(0, 2),
        "bom": st.booleans(),
        "encoding": st.just("utf-8"),
    }
)


@settings(_FAST, max_examples=_CSV_EXAMPLES)
@given(data=_CSV_DATA)
def test_property_csv_valid_rows_kept_invalid_rows_reported(data):
    """CSV: good rows come back unchanged, every bad cell is reported at row and column."""
    _run_csv(data)


@pytest.mark.slow
@settings(_FAST, max_examples=_CSV_EXAMPLES * _SLOW_FACTOR)
@given(data=_CSV_DATA)
def test_property_csv_long_profile(data):
    """Long CSV profile (run with --run-slow)."""
    _run_csv(data)


def _run_xlsx(data) -> None:
    table, _, _ = data["table"]
    content = _xlsx_bytes(table, data["n_title"], data["notes"], data["group"])
    catalog = load_catalog(content, name="fuzz.xlsx")
    _check(catalog, table, data["n_title"] + int(data["group"]) + 2)


_XLSX_DATA = st.fixed_dictionaries(
    {
        "table": _tables(xlsx=True),
        "n_title": st.integers(0, 2),
        "notes": st.booleans(),
        "group": st.booleans(),
    }
)


@settings(_FAST, max_examples=_XLSX_EXAMPLES)
@given(data=_XLSX_DATA)
def test_property_xlsx_valid_rows_kept_invalid_rows_reported(data):
    """XLSX (merged title/group rows, a notes sheet first, native numbers, dates)."""
    _run_xlsx(data)


@pytest.mark.slow
@settings(_FAST, max_examples=_XLSX_EXAMPLES * _SLOW_FACTOR)
@given(data=_XLSX_DATA)
def test_property_xlsx_long_profile(data):
    """Long XLSX profile (run with --run-slow)."""
    _run_xlsx(data)


@settings(_FAST, max_examples=40)
@given(table_data=_tables(xlsx=False), missing=st.sampled_from(_REQUIRED))
def test_property_missing_required_column_names_it(table_data, missing):
    """Dropping a required column raises CatalogError naming it and the headers found."""
    table, delimiter, _ = table_data
    keep = [i for i, c in enumerate(table.columns) if c != missing]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow([table.headers[i] for i in keep])
    for row in table.rows:
        writer.writerow([row[table.columns[i]].text for i in keep])
    content = buffer.getvalue().encode()
    if missing == "part_id":
        # without an id column the header row cannot be recognised at all
        with pytest.raises(CatalogError, match="part_id"):
            load_catalog(content, name="cut.csv")
        return
    if missing == "annual_demand" and {"installed_quantity", "mtbf_hours"} <= set(
        table.columns
    ):
        # DESIGN: the installed base stands in for annual_demand, so no column error
        message = ""
        try:
            load_catalog(content, name="cut.csv")
        except CatalogError as exc:
            message = str(exc)
        assert "missing required column" not in message
        return
    with pytest.raises(CatalogError, match=f"missing required column.*{missing}"):
        load_catalog(content, name="cut.csv")


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for position, action, value in edits:
        if not out:
            break
        where = position % len(out)
        if action == 0:
            out[where] = value
        elif action == 1:
            del out[where]
        elif action == 2:
            out.insert(where, value)
        else:
            del out[where:]
    return bytes(out)


_EDITS = st.lists(
    st.tuples(st.integers(0, 1 << 20), st.integers(0, 3), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)
_SEED_TABLE = (
    "MATNR;MAKTX;STPRS;PLIFZ;Annual usage;ABC/VED;Fill rate\n"
    "P-1;Seal;12,50;30;4;V;95%\nP-2;Pump;1.234,5;14;;E;\n"
)


def _seed(kind: str) -> bytes:
    if kind == "csv":
        return _SEED_TABLE.encode("utf-8")
    if kind == "utf16":
        return _SEED_TABLE.encode("utf-16")
    workbook = openpyxl.Workbook()
    for line in _SEED_TABLE.splitlines():
        workbook.active.append(line.split(";"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_SEEDS = {kind: _seed(kind) for kind in ("csv", "utf16", "xlsx")}


def _only_catalog_error(kind: str, edits, name: str) -> None:
    data = _mutate(_SEEDS[kind], edits)
    try:
        catalog = load_catalog(data, name=name)
    except CatalogError:
        return
    assert isinstance(catalog, Catalog)
    for part in catalog.parts:
        assert math.isfinite(part.unit_cost)
        assert part.lead_time_days > 0


@settings(_FAST, max_examples=_RAW_EXAMPLES)
@given(
    kind=st.sampled_from(sorted(_SEEDS)),
    edits=_EDITS,
    name=st.sampled_from(["f.csv", "f.xlsx", "f.zip", "f.txt", "f"]),
)
def test_property_mutated_files_only_raise_catalog_error(kind, edits, name):
    """Byte-mutated CSV/UTF-16/XLSX files load or raise CatalogError, nothing else."""
    _only_catalog_error(kind, edits, name)


@pytest.mark.slow
@settings(_FAST, max_examples=_RAW_EXAMPLES * _SLOW_FACTOR)
@given(
    kind=st.sampled_from(sorted(_SEEDS)),
    edits=_EDITS,
    name=st.sampled_from(["f.csv", "f.xlsx", "f.zip", "f.txt", "f"]),
)
def test_property_mutated_files_long_profile(kind, edits, name):
    """Long mutation profile (run with --run-slow)."""
    _only_catalog_error(kind, edits, name)


def test_excel_dates_in_number_columns_are_reported():
    """An XLSX date in lead_time_days/unit_cost is a bad cell, never a serial number."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["part_id", "description", "unit_cost", "lead_time_days", "annual_demand"]
    )
    sheet.append(["P-1", "ok", 3.5, 30, 2])
    sheet.append(["P-2", "date cost", datetime.datetime(2024, 3, 1), 30, 2])
    sheet.append(["P-3", "date lead", 1, datetime.date(2024, 3, 1), 2])
    sheet["D4"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    catalog = load_catalog(buffer.getvalue(), name="dates.xlsx")
    assert catalog.part_ids == ["P-1"]
    assert {(e.row, e.column) for e in catalog.errors} == {
        (3, "unit_cost"),
        (4, "lead_time_days"),
    }
    assert "2024-03-01" in str(catalog.errors[0])


def _big_catalog(n_rows: int) -> tuple[bytes, np.ndarray]:
    """A ';'-delimited, decimal-comma catalog with every 1000th row bad."""
    index = np.arange(n_rows)
    cost = (index % 997) + 0.25
    lead = (index % 90) + 1
    cost_text = np.char.replace(cost.astype(str), ".", ",")
    cost_text = np.where(index % 1000 == 999, "abc", cost_text)
    lines = np.char.add(np.char.add("P-", index.astype(str)), ";Part;")
    lines = np.char.add(np.char.add(lines, cost_text), ";")
    lines = np.char.add(np.char.add(lines, lead.astype(str)), ";3;V;PETG")
    header = "Material;Description;Price;Lead time;Annual usage;VED;Filament"
    text = header + "\r\n" + "\r\n".join(lines.tolist()) + "\r\n"
    return b"\xef\xbb\xbf" + text.encode(), cost


def test_hundred_thousand_rows_import_correctly():
    """100,000 rows (BOM, CRLF, ';', decimal comma): every value right, 100 bad rows."""
    n_rows = 100_000
    data, cost = _big_catalog(n_rows)
    started = time.perf_counter()
    catalog = load_catalog(data, name="big.csv")
    elapsed_s = time.perf_counter() - started
    bad = np.arange(n_rows) % 1000 == 999
    assert len(catalog.parts) == n_rows - bad.sum()
    assert [e.row for e in catalog.errors] == (np.flatnonzero(bad) + 2).tolist()
    assert {e.column for e in catalog.errors} == {"unit_cost"}
    assert np.array_equal([p.unit_cost for p in catalog.parts], cost[~bad])
    assert catalog.parts[-1].criticality is Criticality.VITAL
    # Not a timed assertion (the machine is shared); the figure goes to the report.
    print(f"100,000-row catalog imported in {elapsed_s:.2f} s")
