"""Tests of the catalog loader: CSV/XLSX/ZIP import, synonyms, validation, history."""

from __future__ import annotations

import csv
import io
import re
import shutil
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import catalog as catalog_module
from planner.catalog import (
    DEMO_DIR,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_ENTRIES,
    Catalog,
    Criticality,
    DemandHistory,
    RowError,
    load_catalog,
    load_demand_history,
    load_demo_catalog,
)
from planner.errors import CatalogError
from planner.units import DEFAULT_OPERATING_HOURS_PER_YEAR

HEADER = ["part_id", "description", "unit_cost", "annual_demand", "lead_time_days"]


def _csv(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> bytes:
    """CSV bytes of ``rows`` written by the csv module (quoting as needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _errors(catalog: Catalog) -> list[tuple[int, str]]:
    """(row, column) of every error, in report order."""
    return [(error.row, error.column) for error in catalog.errors]


def _zip(entries: dict[str, bytes | str]) -> bytes:
    """ZIP bytes holding ``entries`` (name -> content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


STL_BYTES = b"solid cube\nendsolid cube\n"


@pytest.fixture(autouse=True)
def _private_tempdir(tmp_path_factory, monkeypatch):
    """Extract ZIPs below pytest's temporary folder, so no test litters /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("extract")))


# --------------------------------------------------------------------------- CSV


def test_plain_csv_keeps_values_and_applies_defaults():
    """Good rows come back unchanged, in file order, with DESIGN.md's defaults."""
    data = _csv(
        [
            [*HEADER, "criticality", "supplier"],
            ["000123", "Pump seal", "12.5", "4", "30", "V", "Acme"],
            ["P-2", "Belt", "7", "0", "0.5", "", ""],
        ]
    )
    catalog = load_catalog(data, name="parts.csv")
    assert catalog.errors == ()
    first, second = catalog.parts
    assert first.part_id == "000123"  # leading zeros kept: cells are read as text
    assert (first.description, first.unit_cost, first.annual_demand) == (
        "Pump seal",
        12.5,
        4.0,
    )
    assert (first.lead_time_days, first.criticality, first.supplier) == (
        30.0,
        Criticality.VITAL,
        "Acme",
    )
    assert second.criticality is Criticality.ESSENTIAL
    assert second.annual_demand == 0.0
    assert (second.holding_rate, second.order_cost, second.on_hand) == (0.25, 0.0, 0.0)
    assert second.post_process_hours == 0.25
    assert second.am_material == "PETG"
    assert second.operating_hours_per_year == DEFAULT_OPERATING_HOURS_PER_YEAR
    assert (second.stl_path, second.printable) == (None, False)
    assert catalog.source == "parts.csv"
    assert catalog.column_mapping == {
        name: name for name in [*HEADER, "criticality"]
    } | {"supplier": "supplier"}


def test_am_material_upper_cased_as_python_does():
    """Material names are upper-cased by Python's rule ("ß" becomes "SS"), not
    pandas' string dtype's ("ẞ"), whatever else the column holds."""
    data = _csv(
        [
            [*HEADER, "am_material"],
            ["A", "Seal", "1", "1", "1", "weiß petg"],
            ["B", "Belt", "1", "1", "1", "ẞ"],
            ["C", "Cap", "1", "1", "1", ""],
        ]
    )
    catalog = load_catalog(data, name="parts.csv")
    assert [p.am_material for p in catalog.parts] == ["WEISS PETG", "ẞ", "PETG"]


def test_every_bad_cell_of_a_row_is_reported_and_the_row_left_out():
    """A row with several bad cells yields one RowError each; good rows stay."""
    data = _csv(
        [
            [*HEADER, "criticality", "printable", "target_fill_rate"],
            ["P-1", "ok", "1", "2", "3", "E", "", "0.95"],
            ["P-2", "bad", "abc", "-1", "0", "Q", "maybe", "1.5"],
            ["P-3", "ok", "4", "5", "6", "", "", ""],
        ]
    )
    catalog = load_catalog(data, name="x.csv")
    assert [p.part_id for p in catalog.parts] == ["P-1", "P-3"]
    assert [str(e) for e in catalog.errors] == [
        "row 3, column unit_cost: expected a number >= 0, got 'abc'",
        "row 3, column annual_demand: expected a number >= 0, got '-1'",
        "row 3, column lead_time_days: expected a number > 0, got '0'",
        "row 3, column criticality: expected a criticality V, E or D "
        "(vital/essential/desirable, A/B/C, 1/2/3), got 'Q'",
        "row 3, column printable: expected true/false (yes/no, 1/0, y/n, x), "
        "got 'maybe'",
        "row 3, column target_fill_rate: expected a number in (0, 1), got '1.5'",
    ]
    assert catalog.parts[0].target_fill_rate == 0.95


def test_required_cells_may_not_be_empty():
    """Empty unit_cost, lead_time_days and part_id are errors, not silent zeros."""
    data = _csv([HEADER, ["", "d", "", "1", ""], ["P-2", "d", "1", "1", "1"]])
    catalog = load_catalog(data, name="x.csv")
    assert _errors(catalog) == [
        (2, "part_id"),
        (2, "unit_cost"),
        (2, "lead_time_days"),
    ]
    assert catalog.errors[0].message == "expected a non-empty part_id, got ''"
    assert catalog.part_ids == ["P-2"]


def test_duplicate_part_id_is_reported_on_the_later_row():
    """The first occurrence is kept; each repeat is an error naming the first row."""
    data = _csv(
        [
            HEADER,
            ["P-1", "a", "1", "1", "1"],
            ["P-2", "b", "1", "1", "1"],
            ["P-1", "c", "1", "1", "1"],
            ["P-1", "d", "1", "1", "1"],
        ]
    )
    catalog = load_catalog(data, name="x.csv")
    assert [p.description for p in catalog.parts] == ["a", "b"]
    assert [str(e) for e in catalog.errors] == [
        "row 4, column part_id: duplicate part_id 'P-1' (first on row 2)",
        "row 5, column part_id: duplicate part_id 'P-1' (first on row 2)",
    ]


def test_missing_required_column_names_it_and_lists_the_headers_found():
    """A missing lead_time_days column raises CatalogError with the headers found."""
    data = _csv([["Material", "Text", "Price", "Annual usage"], ["P", "d", "1", "1"]])
    with pytest.raises(CatalogError, match="lead_time_days") as info:
        load_catalog(data, name="x.csv")
    message = str(info.value)
    assert "missing required column(s) description, lead_time_days" in message
    assert "headers found: 'Material', 'Text', 'Price', 'Annual usage'" in message


def test_annual_demand_column_may_be_replaced_by_installed_base():
    """Without annual_demand, installed_quantity + mtbf_hours columns suffice."""
    data = _csv(
        [
            [
                "part_id",
                "description",
                "unit_cost",
                "lead_time_days",
                "Installed base",
                "MTBF (h)",
            ],
            ["P-1", "Pump", "10", "20", "4", "8760"],
            ["P-2", "Valve", "10", "20", "", ""],
        ]
    )
    catalog = load_catalog(data, name="x.csv")
    (part,) = catalog.parts
    assert (part.annual_demand, part.installed_quantity, part.mtbf_hours) == (
        None,
        4.0,
        8760.0,
    )
    assert _errors(catalog) == [(3, "annual_demand")]
    without = _csv([["part_id", "description", "unit_cost", "lead_time_days"]])
    with pytest.raises(CatalogError, match="annual_demand"):
        load_catalog(without, name="x.csv")


def test_demand_presence_rule_per_row():
    """A row needs annual_demand, installed base, or history rows for its part."""
    data = _csv(
        [
            [*HEADER, "installed_quantity", "mtbf_hours"],
            ["A", "typed", "1", "3", "5", "", ""],
            ["B", "installed", "1", "", "5", "2", "1000"],
            ["C", "history", "1", "", "5", "", ""],
            ["D", "nothing", "1", "", "5", "2", ""],
        ]
    )
    history = _csv([["part_id", "date", "quantity"], ["C", "2024-01-02", "1"]])
    catalog = load_catalog(data, name="x.csv", history=history)
    assert catalog.part_ids == ["A", "B", "C"]
    assert [str(e) for e in catalog.errors] == [
        "row 5, column annual_demand: expected a number >= 0 (or installed_quantity "
        "with mtbf_hours, or demand history rows for this part), got ''"
    ]
    assert catalog.history is not None
    assert catalog.history.part_id.tolist() == ["C"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_delimiters_and_line_endings_are_sniffed(delimiter, newline):
    """Comma, semicolon, tab and pipe files with LF or CRLF give the same parts."""
    rows = [
        [*HEADER, "supplier"],
        ["P-1", "Seal, 40 mm", "12.5", "3", "14", "Acme; Inc | EU"],
        ["P-2", 'Belt "XL"', "7", "0", "1", "B"],
    ]
    catalog = load_catalog(_csv(rows, delimiter, newline), name="x.csv")
    assert catalog.errors == ()
    assert [
        (p.part_id, p.description, p.unit_cost, p.supplier) for p in catalog.parts
    ] == [
        ("P-1", "Seal, 40 mm", 12.5, "Acme; Inc | EU"),
        ("P-2", 'Belt "XL"', 7.0, "B"),
    ]


def test_semicolon_decimal_comma_with_bom_and_thousands():
    """German Excel CSV: BOM, ';', decimal commas and '.' thousands separators."""
    text = (
        "\ufeffMaterial;Materialkurztext;Preis;Planlieferzeit;Jahresverbrauch\r\n"
        "4711;Dichtung;1.234,50;14;1,5\r\n"
        "4712;Lager;0,75;7,5;12\r\n"
        "4713;Riemen;45;3;1.000\r\n"
    )
    catalog = load_catalog(text.encode("utf-8"), name="sap.csv")
    assert catalog.errors == ()
    assert [
        (p.part_id, p.unit_cost, p.lead_time_days, p.annual_demand)
        for p in catalog.parts
    ] == [
        ("4711", 1234.5, 14.0, 1.5),
        ("4712", 0.75, 7.5, 12.0),
        ("4713", 45.0, 3.0, 1000.0),
    ]
    assert catalog.column_mapping["Material"] == "part_id"  # BOM stripped from header


def test_semicolon_file_without_decimal_commas_keeps_decimal_points():
    """A ';' file whose numbers use points is not read as decimal-comma."""
    data = _csv([HEADER, ["P-1", "d", "0.125", "1.5", "2"]], delimiter=";")
    (part,) = load_catalog(data, name="x.csv").parts
    assert (part.unit_cost, part.annual_demand) == (0.125, 1.5)


def test_point_mode_thousands_separator_and_currency():
    """'1,234.50', '€ 45', '45 EUR', '$1,200.00' and '1 234' are read as money."""
    rows = [
        [*HEADER, "downtime_cost_per_day"],
        ["P-1", "a", "1,234.50", "1", "1", "€ 45"],
        ["P-2", "b", "45 EUR", "1", "1", "$1,200.00"],
        ["P-3", "c", "1 234", "1", "1", "12 chf"],
        ["P-4", "d", "45 EUR", "1,5", "1", ""],
    ]
    catalog = load_catalog(_csv(rows), name="x.csv")
    assert [(p.unit_cost, p.downtime_cost_per_day) for p in catalog.parts] == [
        (1234.5, 45.0),
        (45.0, 1200.0),
        (1234.0, 12.0),
    ]
    # a comma decimal in a comma-delimited file is ambiguous: reported, not guessed
    assert [str(e) for e in catalog.errors] == [
        "row 5, column annual_demand: expected a number >= 0, got '1,5'"
    ]


def test_currency_only_accepted_in_money_columns_and_percent_in_fractions():
    """'€ 3' is a bad lead time; '95%' is a fill rate of 0.95; '5%' on_hand is bad."""
    rows = [
        [*HEADER, "target_fill_rate", "on_hand"],
        ["P-1", "a", "1", "1", "€ 3", "", ""],
        ["P-2", "b", "1", "1", "3", "95%", ""],
        ["P-3", "c", "1", "1", "3", "", "5%"],
    ]
    catalog = load_catalog(_csv(rows), name="x.csv")
    assert catalog.part_ids == ["P-2"]
    assert catalog.parts[0].target_fill_rate == pytest.approx(0.95, abs=1e-15)
    assert _errors(catalog) == [(2, "lead_time_days"), (4, "on_hand")]


def test_cp1252_fallback():
    """A Windows-1252 file (not UTF-8) is decoded, with a warning."""
    text = (
        "part_id;description;unit_cost;annual_demand;lead_time_days\nP;Stößel µ;1;1;1\n"
    )
    catalog = load_catalog(text.encode("cp1252"), name="x.csv")
    assert catalog.parts[0].description == "Stößel µ"
    assert "x.csv: not UTF-8; read as Windows-1252 (cp1252)" in catalog.warnings


def test_utf16_excel_unicode_text_export():
    """Excel's 'Unicode text' export (UTF-16 with BOM, tab-separated) is read."""
    text = "part_id\tdescription\tunit_cost\tannual_demand\tlead_time_days\nP\tÄ\t1\t1\t1\n"
    catalog = load_catalog(text.encode("utf-16"), name="x.txt")
    assert catalog.parts[0].description == "Ä"


def test_title_rows_above_the_header_are_skipped_and_rows_numbered_as_in_the_file():
    """Title and blank rows before the header are skipped; row numbers stay true."""
    text = (
        "Spare parts export\n"
        "Plant 1000, 2024-06-01\n"
        "\n"
        "part_id,description,unit_cost,annual_demand,lead_time_days\n"
        "P-1,a,1,1,1\n"
        "\n"
        "P-2,b,x,1,1\n"
    )
    catalog = load_catalog(text.encode(), name="x.csv")
    assert catalog.part_ids == ["P-1"]
    assert _errors(catalog) == [(7, "unit_cost")]


def test_row_with_extra_fields_is_reported():
    """A row wider than the header (unquoted delimiter) is reported and left out."""
    text = (
        "part_id,description,unit_cost,annual_demand,lead_time_days\n"
        "P-1,Seal, 40 mm,1,1,1\n"
        "P-2,Belt,1,1,1\n"
        "P-3,Short,1\n"
    )
    catalog = load_catalog(text.encode(), name="x.csv")
    assert catalog.part_ids == ["P-2"]
    assert str(catalog.errors[0]) == (
        "row 2, column (row): expected 5 fields as in the header, got 6 "
        "(a delimiter inside an unquoted cell?)"
    )
    assert (catalog.errors[-1].row, catalog.errors[-1].column) == (4, "lead_time_days")


def test_blank_rows_and_trailing_delimiters_are_ignored():
    """Blank rows and a trailing delimiter column give no errors."""
    text = "part_id;description;unit_cost;annual_demand;lead_time_days;\nP;d;1;1;1;\n;;;;;\n"
    catalog = load_catalog(text.encode(), name="x.csv")
    assert (catalog.part_ids, catalog.errors, catalog.warnings) == (["P"], (), ())


# ------------------------------------------------------------------ header synonyms


def test_sap_synonyms_are_mapped_and_reported():
    """SAP MM field names map to canonical columns; the mapping is reported."""
    rows = [
        [
            "MATNR",
            "MAKTX",
            "STPRS",
            "PEINH",
            "PLIFZ",
            "LIFNR",
            "LABST",
            "MAABC",
            "Annual usage",
        ],
        ["100234", "Bearing 6204", "250", "100", "21", "V-77", "8", "A", "12"],
    ]
    catalog = load_catalog(_csv(rows, ";"), name="sap.csv")
    assert catalog.column_mapping == {
        "MATNR": "part_id",
        "MAKTX": "description",
        "STPRS": "unit_cost",
        "PEINH": "price_unit",
        "PLIFZ": "lead_time_days",
        "LIFNR": "supplier",
        "LABST": "on_hand",
        "MAABC": "criticality",
        "Annual usage": "annual_demand",
    }
    (part,) = catalog.parts
    assert part.unit_cost == 2.5  # STPRS is per price unit PEINH = 100
    assert (part.supplier, part.on_hand, part.criticality) == (
        "V-77",
        8.0,
        Criticality.VITAL,
    )


def test_maximo_synonyms_case_spaces_punctuation_and_units():
    """Maximo names and spelled-out headers map whatever their case or punctuation."""
    rows = [
        [
            "itemnum",
            "Item Description",
            "AVG-COST",
            "Lead time (days)",
            "YTD usage",
            "curbal",
            "Vendor",
            "Part #",
            "Fill rate (%)",
            "Post-processing hours",
        ],
        ["X-1", "Gasket", "3.5", "10", "7", "1", "Acme", "ignored", "98", "0.5"],
    ]
    catalog = load_catalog(_csv(rows), name="maximo.csv")
    mapping = catalog.column_mapping
    assert mapping["itemnum"] == "part_id"
    assert mapping["Item Description"] == "description"
    assert mapping["AVG-COST"] == "unit_cost"
    assert mapping["Lead time (days)"] == "lead_time_days"
    assert mapping["YTD usage"] == "annual_demand"
    assert mapping["curbal"] == "on_hand"
    assert mapping["Fill rate (%)"] == "target_fill_rate"
    assert mapping["Post-processing hours"] == "post_process_hours"
    assert "Part #" not in mapping  # second part_id column: first one wins
    assert any("'Part #' also maps to part_id" in w for w in catalog.warnings)
    (part,) = catalog.parts
    assert part.target_fill_rate == pytest.approx(0.98, abs=1e-15)
    assert (part.unit_cost, part.post_process_hours) == (3.5, 0.5)


def test_time_units_in_headers_are_converted():
    """'Lead time (weeks)' is multiplied by 7; 'MTBF (days)' by 24 into hours."""
    rows = [
        [
            "part_id",
            "description",
            "unit_cost",
            "Lead time (weeks)",
            "Installed qty",
            "MTBF (days)",
        ],
        ["P", "d", "1", "2", "1", "100"],
    ]
    catalog = load_catalog(_csv(rows), name="x.csv")
    (part,) = catalog.parts
    assert (part.lead_time_days, part.mtbf_hours) == (14.0, 2400.0)
    assert "x.csv: column 'Lead time (weeks)' converted from weeks to days (x 7)" in (
        catalog.warnings
    )


def test_unknown_columns_are_listed_in_warnings():
    """Columns that match nothing are ignored and named in one warning."""
    rows = [[*HEADER, "Storage bin", "Foo"], ["P", "d", "1", "1", "1", "A-01", "x"]]
    catalog = load_catalog(_csv(rows), name="x.csv")
    assert "x.csv: columns not recognised, ignored: 'Storage bin', 'Foo'" in (
        catalog.warnings
    )
    assert "Foo" not in catalog.column_mapping


def test_synonym_table_has_no_collisions():
    """Every synonym normalises to a key that points back at its own column."""
    for table, lookup in (
        (catalog_module._COLUMNS, catalog_module._CATALOG_LOOKUP),
        (catalog_module._HISTORY_COLUMNS, catalog_module._HISTORY_LOOKUP),
    ):
        for column in table:
            for synonym in (column.name, *column.synonyms):
                key = catalog_module._normalise_header(synonym)[0]
                assert lookup[key] == column.name, (synonym, lookup[key])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("V", Criticality.VITAL),
        ("vital", Criticality.VITAL),
        ("A", Criticality.VITAL),
        ("Essential", Criticality.ESSENTIAL),
        ("b", Criticality.ESSENTIAL),
        ("D", Criticality.DESIRABLE),
        ("desirable", Criticality.DESIRABLE),
        ("C", Criticality.DESIRABLE),
        ("", Criticality.ESSENTIAL),
    ],
)
def test_criticality_words(text, expected):
    """V/E/D, vital/essential/desirable and A/B/C map to VED; empty means E."""
    rows = [[*HEADER, "criticality"], ["P", "d", "1", "1", "1", text]]
    (part,) = load_catalog(_csv(rows), name="x.csv").parts
    assert part.criticality is expected


# ---------------------------------------------------------------------------- STL


def _stl_folder(root: Path) -> Path:
    """A folder with a top-level STL and one in a subfolder."""
    folder = root / "stl"
    (folder / "sub").mkdir(parents=True)
    (folder / "bracket.stl").write_bytes(STL_BYTES)
    (folder / "sub" / "Clip.STL").write_bytes(STL_BYTES)
    (root / "outside.stl").write_bytes(STL_BYTES)
    return folder


def test_stl_files_are_resolved_relative_and_by_basename(tmp_path):
    """stl_file is found relative to stl_dir, or by base name anywhere below it."""
    folder = _stl_folder(tmp_path)
    rows = [
        [*HEADER, "stl_file", "printable"],
        ["P-1", "a", "1", "1", "1", "bracket.stl", ""],
        ["P-2", "b", "1", "1", "1", "models/clip.stl", ""],
        ["P-3", "c", "1", "1", "1", "sub\\Clip.STL", "no"],
        ["P-4", "d", "1", "1", "1", "gone.stl", "yes"],
        ["P-5", "e", "1", "1", "1", "../outside.stl", ""],
        ["P-6", "f", "1", "1", "1", "", "yes"],
    ]
    catalog = load_catalog(_csv(rows), name="x.csv", stl_dir=folder)
    parts = {p.part_id: p for p in catalog.parts}
    assert len(parts) == 6
    assert catalog.errors == ()
    assert parts["P-1"].stl_path == (folder / "bracket.stl").resolve()
    assert parts["P-1"].printable is True
    assert parts["P-2"].stl_path == (folder / "sub" / "Clip.STL").resolve()
    assert parts["P-3"].stl_path == (folder / "sub" / "Clip.STL").resolve()
    assert parts["P-3"].printable is False  # explicit "no" wins
    for part_id in ("P-4", "P-6"):
        assert (parts[part_id].stl_path, parts[part_id].printable) == (None, False)
    # "../outside.stl" is looked up by base name inside the folder only
    assert parts["P-5"].stl_path is None
    assert parts["P-4"].stl_file == "gone.stl"  # the cell is kept as written
    resolved = folder.resolve()
    assert catalog.warnings == (
        f"row 5: stl_file 'gone.stl' not found in {resolved}",
        f"row 6: stl_file '../outside.stl' not found in {resolved}",
        "row 7: printable is true but no stl_file is given; printable set to false",
    )
    assert catalog.stl_dir == resolved


def test_stl_dir_defaults_to_the_catalog_folder(tmp_path):
    """A catalog read from a path looks for STLs in its own folder."""
    _stl_folder(tmp_path)
    path = tmp_path / "parts.csv"
    path.write_bytes(
        _csv([[*HEADER, "stl_file"], ["P", "d", "1", "1", "1", "stl/bracket.stl"]])
    )
    catalog = load_catalog(path)
    assert catalog.parts[0].stl_path == (tmp_path / "stl" / "bracket.stl").resolve()
    assert catalog.source == str(path)


def test_stl_without_folder_is_a_warning_for_uploads():
    """Bytes without stl_dir cannot resolve STL files: warn, keep the row."""
    rows = [[*HEADER, "stl_file"], ["P", "d", "1", "1", "1", "a.stl"]]
    catalog = load_catalog(_csv(rows), name="x.csv")
    assert catalog.parts[0].printable is False
    assert catalog.warnings == (
        "row 2: stl_file 'a.stl' not found (no STL folder given)",
    )


# --------------------------------------------------------------------------- XLSX


def _workbook_bytes() -> bytes:
    """A workbook: a notes sheet first, then a parts sheet with a title row."""
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes["A1"] = "Exported from SAP on 2024-06-01"
    notes["A2"] = "Columns: see the second sheet"
    sheet = workbook.create_sheet("Parts")
    sheet["A1"] = "Spare parts master data"
    sheet.append([])
    sheet.append(
        [
            "Material",
            "Material description",
            "Standard price",
            "Planned delivery time (days)",
            "Annual usage",
            "Unrestricted stock",
            "Criticality",
        ]
    )
    sheet.append([100234, "Bearing", 12.5, 14, 3, 2, "V"])
    sheet.append(["P-2", "Seal", "abc", 14, 3, None, "E"])
    sheet.append([])
    sheet.append(["P-3", "Belt", 7, 0.5, 0, 1.0, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_second_sheet_with_title_row(tmp_path):
    """The sheet holding the header is chosen; title rows skipped; sheet row numbers."""
    path = tmp_path / "export.xlsx"
    path.write_bytes(_workbook_bytes())
    catalog = load_catalog(path)
    assert catalog.part_ids == ["100234", "P-3"]  # integral numbers without ".0"
    assert catalog.parts[0].unit_cost == 12.5
    assert (catalog.parts[1].lead_time_days, catalog.parts[1].on_hand) == (0.5, 1.0)
    assert [str(e) for e in catalog.errors] == [
        "row 5, column unit_cost: expected a number >= 0, got 'abc'"
    ]
    assert catalog.column_mapping["Planned delivery time (days)"] == "lead_time_days"
    assert f"{path}: read sheet 'Parts' with its header on row 3" in catalog.warnings


def test_xlsx_from_bytes_and_broken_workbook():
    """Uploaded workbook bytes load; a corrupt workbook raises CatalogError."""
    data = _workbook_bytes()
    assert load_catalog(data, name="upload.xlsx").part_ids == ["100234", "P-3"]
    broken = _zip({"[Content_Types].xml": "<x", "xl/workbook.xml": "not xml"})
    with pytest.raises(CatalogError, match="cannot read as XLSX"):
        load_catalog(broken, name="broken.xlsx")
    with pytest.raises(CatalogError, match="not a valid XLSX"):
        load_catalog(b"plain text", name="fake.xlsx")


def test_old_binary_xls_is_refused():
    """An OLE2 .xls file raises CatalogError asking for .xlsx or CSV."""
    with pytest.raises(CatalogError, match=r"\.xls\) is not supported"):
        load_catalog(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), name="old.xls")


# ---------------------------------------------------------------------------- ZIP


def test_zip_with_catalog_stls_and_history(tmp_path):
    """A ZIP's catalog, STLs (any folder) and demand history are all used."""
    data = _zip(
        {
            "parts.csv": _csv(
                [
                    [*HEADER, "stl_file"],
                    ["P-1", "a", "1", "", "3", "bracket.stl"],
                    ["P-2", "b", "1", "2", "3", "missing.stl"],
                ]
            ),
            "models/sub/bracket.stl": STL_BYTES,
            "demand_history.csv": "part_id,date,quantity\nP-1,2024-01-05,2\n",
            "README.md": "notes",
            "__MACOSX/._parts.csv": "junk",
        }
    )
    catalog = load_catalog(data, name="cat.zip")
    assert catalog.errors == ()
    folder = catalog.stl_dir
    assert folder is not None
    assert folder.name.startswith("sparecast_catalog_")
    first, second = catalog.parts
    assert first.stl_path == folder / "models" / "sub" / "bracket.stl"
    assert first.stl_path.read_bytes() == STL_BYTES
    assert (first.printable, second.printable) == (True, False)
    assert first.annual_demand is None  # its demand comes from the history
    assert catalog.history is not None
    assert catalog.history.part_id.tolist() == ["P-1"]
    assert f"row 3: stl_file 'missing.stl' not found in {folder}" in catalog.warnings
    assert catalog.source == "cat.zip:parts.csv"
    assert not (folder / "__MACOSX").exists()
    archive_path = tmp_path / "cat.zip"
    archive_path.write_bytes(data)
    from_path = load_catalog(archive_path)
    assert from_path.part_ids == ["P-1", "P-2"]
    assert from_path.stl_dir != folder  # every import extracts into a fresh folder
    for extracted in (folder, from_path.stl_dir):
        shutil.rmtree(extracted)


def test_zip_catalog_as_xlsx_in_a_root_folder():
    """The catalog may be an XLSX inside one top folder, beside printers.csv."""
    data = _zip(
        {
            "export/catalog.xlsx": _workbook_bytes(),
            "export/printers.csv": "printer_id\nP1\n",
        }
    )
    assert load_catalog(data, name="c.zip").part_ids == ["100234", "P-3"]


def test_zip_without_or_with_ambiguous_catalog():
    """No table, two unnamed top tables, or a bad table raise, leaving nothing."""
    with pytest.raises(CatalogError, match="no catalog"):
        load_catalog(_zip({"a.stl": STL_BYTES}), name="c.zip")
    with pytest.raises(CatalogError, match="several possible catalogs"):
        load_catalog(_zip({"a.csv": "x", "b.csv": "y"}), name="c.zip")
    with pytest.raises(CatalogError, match="missing required column"):
        load_catalog(_zip({"parts.csv": "a,b\n1,2\n"}), name="c.zip")
    # a failed import removes the folder it extracted into
    assert list(Path(tempfile.gettempdir()).iterdir()) == []


@pytest.fixture
def extraction_spy(monkeypatch):
    """Records calls of tempfile.mkdtemp, to prove nothing is extracted early."""
    calls: list[object] = []
    real = tempfile.mkdtemp

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    return calls


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("../evil.csv", "zip slip"),
        ("stl/../../evil.stl", "zip slip"),
        ("..\\evil.stl", "zip slip"),
        ("/etc/evil.csv", "absolute path"),
        ("\\windows\\evil.csv", "absolute path"),
        ("C:/evil.csv", "drive letter"),
        ("inner.zip", "nested archive"),
        ("data.tar.gz", "nested archive"),
        ("run.exe", "unexpected file type .exe"),
        ("Makefile", "unexpected file type (no suffix)"),
    ],
)
def test_zip_refuses_dangerous_entries_before_extracting(entry, reason, extraction_spy):
    """Each refused entry is named with its reason, and nothing is extracted."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("parts.csv", _csv([HEADER, ["P", "d", "1", "1", "1"]]))
        archive.writestr(zipfile.ZipInfo(entry), b"payload")
    with pytest.raises(CatalogError, match=re.escape(reason)) as info:
        load_catalog(buffer.getvalue(), name="evil.zip")
    assert f"entry {entry!r} refused" in str(info.value)
    assert extraction_spy == []


def test_zip_refuses_symlinks(extraction_spy):
    """An entry whose Unix mode marks a symbolic link is refused."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("parts.csv", "x")
        link = zipfile.ZipInfo("stl/link.stl")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(
        CatalogError, match=re.escape("'stl/link.stl' refused: symbolic link")
    ):
        load_catalog(buffer.getvalue(), name="link.zip")
    assert extraction_spy == []


def test_zip_refuses_too_many_entries(extraction_spy):
    """More than MAX_ZIP_ENTRIES entries are refused before anything is written."""
    entries = {f"stl/p{i}.stl": b"" for i in range(MAX_ZIP_ENTRIES + 1)}
    entries["parts.csv"] = b"x"
    with pytest.raises(CatalogError, match=f"{MAX_ZIP_ENTRIES + 2} entries, more"):
        load_catalog(_zip(entries), name="many.zip")
    assert extraction_spy == []


def _patch_uncompressed_size(data: bytes, size: int, *, local_too: bool) -> bytes:
    """Rewrite the declared uncompressed size of every entry of a ZIP."""
    patched = bytearray(data)
    start = 0
    while (start := patched.find(b"PK\x01\x02", start)) >= 0:
        struct.pack_into("<I", patched, start + 24, size)
        start += 4
    start = 0
    while local_too and (start := patched.find(b"PK\x03\x04", start)) >= 0:
        struct.pack_into("<I", patched, start + 22, size)
        start += 4
    return bytes(patched)


def test_zip_bomb_declared_size_is_refused(extraction_spy):
    """A ZIP declaring more than 200 MB uncompressed is refused unread."""
    data = _patch_uncompressed_size(
        _zip({"parts.csv": "x" * 1000}), MAX_UNCOMPRESSED_BYTES + 1, local_too=False
    )
    with pytest.raises(CatalogError, match="more than the 200000000 allowed"):
        load_catalog(data, name="bomb.zip")
    assert extraction_spy == []


def test_zip_entry_larger_than_declared_stops_reading():
    """An entry holding more bytes than it declares is refused while reading."""
    data = _patch_uncompressed_size(
        _zip({"parts.csv": "x" * 10_000}), 100, local_too=True
    )
    with pytest.raises(CatalogError, match=re.escape("'parts.csv'")):
        load_catalog(data, name="liar.zip")


def test_zip_real_bomb_is_refused_cheaply(extraction_spy):
    """201 MB of zeros (a few hundred kB compressed) is refused by its header."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("parts.csv", "x")
        with archive.open("stl/big.stl", "w", force_zip64=True) as sink:
            chunk = bytes(1 << 22)
            for _ in range(MAX_UNCOMPRESSED_BYTES // len(chunk) + 1):
                sink.write(chunk)
    assert len(buffer.getvalue()) < 2_000_000
    with pytest.raises(CatalogError, match="declares 2"):
        load_catalog(buffer.getvalue(), name="bomb.zip")
    assert extraction_spy == []


def test_broken_zip_raises_catalog_error():
    """A truncated ZIP raises CatalogError, never zipfile.BadZipFile."""
    data = _zip({"parts.csv": "x" * 100})
    with pytest.raises(CatalogError):
        load_catalog(data[:40], name="cut.zip")


# ------------------------------------------------------------------------ history


def test_long_history_with_synonyms_and_date_formats():
    """MATNR/BUDAT/MENGE headers; ISO, dotted, compact and month dates; sorted."""
    text = (
        "MATNR;BUDAT;MENGE\n"
        "B;15.03.2024;1,5\n"
        "A;20240110;2\n"
        "A;2024-02;1\n"
        "A;2024-02-30;1\n"
        "C;2024-01-01;-1\n"
    )
    history, errors = load_demand_history(text.encode(), name="h.csv")
    assert history.part_id.tolist() == ["A", "A", "B"]
    assert history.date.tolist() == [
        np.datetime64("2024-01-10"),
        np.datetime64("2024-02-01"),
        np.datetime64("2024-03-15"),
    ]
    assert history.quantity.tolist() == [2.0, 1.0, 1.5]
    assert history.date.dtype == np.dtype("datetime64[D]")
    assert [(e.row, e.column) for e in errors] == [(5, "date"), (6, "quantity")]
    assert errors[0].message.endswith("got '2024-02-30'")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["03/15/2024", "01/02/2024"], ["2024-01-02", "2024-03-15"]),  # month first
        (["15/03/2024", "01/02/2024"], ["2024-02-01", "2024-03-15"]),  # day first
    ],
)
def test_slashed_dates_are_read_day_first_only_when_needed(cells, expected):
    """MM/DD/YYYY unless some first field is above 12 (then DD/MM/YYYY)."""
    rows = [["part_id", "date", "quantity"]] + [["A", cell, "1"] for cell in cells]
    history, errors = load_demand_history(_csv(rows), name="h.csv")
    assert errors == []
    assert history.date.astype(str).tolist() == expected


def test_wide_maximo_history():
    """ITEMNUM + 'YYYY-MM usage' columns: one record per month, blanks are 0."""
    text = (
        "ITEMNUM,2024-01 usage,2024-02 usage,2024-03 usage\n"
        "X-2,1,,3\n"
        "X-1,0,2,\n"
        "X-3,1,two,1\n"
    )
    history, errors = load_demand_history(text.encode(), name="usage.csv")
    assert history.part_id.tolist() == ["X-1"] * 3 + ["X-2"] * 3
    assert (
        history.date.astype(str).tolist()
        == ["2024-01-01", "2024-02-01", "2024-03-01"] * 2
    )
    assert history.quantity.tolist() == [0.0, 2.0, 0.0, 1.0, 0.0, 3.0]
    assert [str(e) for e in errors] == [
        "row 4, column 2024-02 usage: expected a number >= 0, got 'two'"
    ]


def test_history_without_needed_columns_or_as_zip_raises():
    """A history lacking date/quantity (and months), or given as ZIP, raises."""
    with pytest.raises(CatalogError, match="date, quantity"):
        load_demand_history(b"part_id,foo\nA,1\n", name="h.csv")
    with pytest.raises(CatalogError, match="not a ZIP"):
        load_demand_history(_zip({"h.csv": "x"}), name="h.zip")


def test_history_errors_are_reported_in_the_catalog(tmp_path):
    """Bad history rows land in Catalog.history_errors and in warnings."""
    history = tmp_path / "h.csv"
    history.write_text("part_id,date,quantity\nP,2024-01-01,1\nP,soon,1\n")
    rows = [HEADER, ["P", "d", "1", "", "1"]]
    catalog = load_catalog(_csv(rows), name="x.csv", history=history)
    assert catalog.history_errors == (
        RowError(
            3,
            "date",
            "expected a date (YYYY-MM-DD, DD.MM.YYYY, MM/DD/YYYY or "
            "YYYYMMDD), got 'soon'",
        ),
    )
    assert any(
        w.startswith("demand history row 3, column date") for w in catalog.warnings
    )
    assert catalog.part_ids == ["P"]


def test_loaded_history_object_is_accepted():
    """A DemandHistory already in memory can be passed as ``history``."""
    history = DemandHistory(
        part_id=np.array(["P"]),
        date=np.array(["2024-01-01"], dtype="datetime64[D]"),
        quantity=np.array([1.0]),
    )
    catalog = load_catalog(
        _csv([HEADER, ["P", "d", "1", "", "1"]]), name="x.csv", history=history
    )
    assert catalog.history is history
    assert catalog.part_ids == ["P"]


# ---------------------------------------------------------------- files and demo


def test_unreadable_sources_raise_catalog_error(tmp_path):
    """Missing file, a folder, NUL bytes, empty text and wrong types raise CatalogError."""
    with pytest.raises(CatalogError, match="file not found"):
        load_catalog(tmp_path / "nope.csv")
    with pytest.raises(CatalogError, match="not a file"):
        load_catalog(tmp_path)
    with pytest.raises(CatalogError, match="NUL bytes"):
        load_catalog(b"part_id\x00,x\n", name="x.csv")
    with pytest.raises(CatalogError, match="empty"):
        load_catalog(b"  \n", name="x.csv")
    with pytest.raises(CatalogError, match="path or bytes"):
        load_catalog(42)  # type: ignore[arg-type]


def test_demo_catalog_loads_cleanly():
    """The shipped demo catalog imports without errors, with STLs and history."""
    if not (DEMO_DIR / "parts.csv").is_file():
        pytest.skip("catalog/parts.csv not generated yet")
    catalog = load_demo_catalog()
    assert catalog.errors == ()
    assert len(catalog.parts) >= 60
    printable = [p for p in catalog.parts if p.printable]
    assert len(printable) >= 20
    assert all(p.stl_path is not None and p.stl_path.is_file() for p in printable)
    if (DEMO_DIR / "demand_history.csv").is_file():
        assert catalog.history is not None
        assert len(catalog.history) > 0


def test_demo_catalog_missing_raises(tmp_path, monkeypatch):
    """load_demo_catalog raises CatalogError when catalog/parts.csv is absent."""
    monkeypatch.setattr(catalog_module, "DEMO_DIR", tmp_path)
    with pytest.raises(CatalogError, match=r"parts\.csv: file not found"):
        load_demo_catalog()


def test_twenty_thousand_rows_are_vectorised_correctly():
    """A 20,000-row file round-trips every value (the vectorised path at scale)."""
    n = 20_000
    ids = np.char.add("P-", np.arange(n).astype(str))
    cost = np.round(np.linspace(0.0, 999.99, n), 2)
    lead = np.arange(n) % 90 + 1
    lines = ["part_id,description,unit_cost,annual_demand,lead_time_days"]
    lines += [
        f"{i},d,{c!r},{k % 7},{t}"
        for k, (i, c, t) in enumerate(
            zip(ids.tolist(), cost.tolist(), lead.tolist(), strict=True)
        )
    ]
    catalog = load_catalog(("\n".join(lines) + "\n").encode(), name="big.csv")
    assert catalog.errors == ()
    assert catalog.part_ids == ids.tolist()
    assert [p.unit_cost for p in catalog.parts] == cost.tolist()
    assert [p.lead_time_days for p in catalog.parts] == lead.astype(float).tolist()


# ------------------------------------------------------------------------ property

_BAD_CELLS = {
    "part_id": [""],
    "unit_cost": ["abc", "-3", "", "inf"],
    "annual_demand": ["-2", "n/a", "nan"],
    "lead_time_days": ["0", "-1", "x", ""],
    "criticality": ["Z", "maybe"],
}
_TEXT = st.text(alphabet="abcXYZ 019,;|\"'é-", max_size=12).map(str.strip)
_NUMBER = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def _catalog_rows(draw):
    """Rows of a catalog, each valid or with a drawn set of bad cells."""
    n_rows = draw(st.integers(1, 12))
    rows, expected_bad = [], []
    for index in range(n_rows):
        row = {
            "part_id": f"P-{index}{draw(st.sampled_from(['', 'a', '/x', ' y']))}",
            "description": draw(_TEXT),
            "unit_cost": draw(_NUMBER),
            "annual_demand": draw(_NUMBER),
            "lead_time_days": draw(st.floats(0.001, 1e4, allow_nan=False)),
            "criticality": draw(st.sampled_from(["V", "E", "D", ""])),
        }
        bad = draw(st.sets(st.sampled_from(sorted(_BAD_CELLS)), max_size=3))
        for column in bad:
            row[column] = draw(st.sampled_from(_BAD_CELLS[column]))
        rows.append(row)
        expected_bad.append(bad)
    return rows, expected_bad


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=_catalog_rows(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    n_title_rows=st.integers(0, 2),
    bom=st.booleans(),
)
def test_property_valid_rows_kept_unchanged_invalid_rows_reported(
    data, delimiter, newline, n_title_rows, bom
):
    """Valid rows come back exactly; every bad cell is reported at its row."""
    rows, expected_bad = data
    columns = [*HEADER, "criticality"]
    table = [["Export of spare parts"]] * n_title_rows + [columns]
    table += [
        [
            str(row[c]) if not isinstance(row[c], float) else repr(row[c])
            for c in columns
        ]
        for row in rows
    ]
    content = _csv(table, delimiter, newline)
    catalog = load_catalog((b"\xef\xbb\xbf" if bom else b"") + content, name="p.csv")
    first_row = n_title_rows + 2
    expected_errors = {
        (first_row + index, column)
        for index, bad in enumerate(expected_bad)
        for column in bad
    }
    assert set(_errors(catalog)) == expected_errors
    good = [row for row, bad in zip(rows, expected_bad, strict=True) if not bad]
    assert [
        (
            p.part_id,
            p.description,
            p.unit_cost,
            p.annual_demand,
            p.lead_time_days,
            p.criticality,
        )
        for p in catalog.parts
    ] == [
        (
            r["part_id"].strip(),
            r["description"],
            r["unit_cost"],
            r["annual_demand"],
            r["lead_time_days"],
            Criticality(r["criticality"] or "E"),
        )
        for r in good
    ]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(alphabet='part_idescrn,;\t|"\r\n0123456789.-€ ', max_size=300).map(
            str.encode
        ),
    ),
    name=st.sampled_from(["f.csv", "f.xlsx", "f.zip", "f"]),
)
def test_property_only_catalog_error_escapes(data, name):
    """Arbitrary bytes either load or raise CatalogError, never anything else."""
    try:
        result = load_catalog(data, name=name)
    except CatalogError:
        return
    assert isinstance(result, Catalog)


def test_reorder_point_and_lot_size_columns_map_from_erp_names():
    """SAP/Maximo reorder point and lot size map to their columns; a 0 lot is an error."""
    data = _csv(
        [
            [*HEADER, "MINBE", "Lot size"],
            ["A-1", "Seal", "12", "4", "30", "3", "10"],
            ["A-2", "Belt", "7", "1", "10", "", ""],
            ["A-3", "Gear", "7", "1", "10", "1", "0"],
        ]
    )
    catalog = load_catalog(data, name="parts.csv")
    assert catalog.column_mapping["MINBE"] == "current_reorder_point"
    assert catalog.column_mapping["Lot size"] == "lot_size"
    first, second = catalog.parts
    assert (first.current_reorder_point, first.lot_size) == (3.0, 10.0)
    assert (second.current_reorder_point, second.lot_size) == (None, None)
    assert [(e.row, e.column) for e in catalog.errors] == [(4, "lot_size")]
