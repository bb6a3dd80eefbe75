"""Every export re-imports to the same records (issue 8 item 7, issue 7 item 4).

A real plan of a slice of the demo catalog (three printed parts, five bought) is
written with :func:`planner.export.write_plan_outputs`; each file is read back
with the product's own readers and compared record by record:

* policy: CSV, JSON (:func:`json_text`), XLSX (:func:`to_xlsx`) through
  :func:`read_policy_table`;
* sourcing.csv through :func:`read_sourcing_table`;
* queue: print_queue.json (:func:`queue_from_json`), print_queue.csv
  (:func:`queue_from_csv` + :func:`print_jobs_from_frame`);
* the print package through :func:`read_print_package`: queue, queue.csv, each
  model equal to the STL written, the plates' part numbers, triangle counts and
  volumes;
* the catalog itself: :func:`parts_frame` as CSV/XLSX through :func:`load_catalog`.

Malformed input to each reader raises :class:`PlannerError` naming the file or
ZIP entry, the row and the column.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re
import stat
import struct
import zipfile
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stl import mesh as stl_mesh

from planner.catalog import Catalog, load_catalog, load_demo_catalog
from planner.errors import PlannerError
from planner.export import (
    PART_COLUMNS,
    POLICY_COLUMN_KINDS,
    POLICY_COLUMNS,
    QUEUE_COLUMNS,
    SOURCING_COLUMNS,
    ColumnKind,
    PrintPackage,
    csv_bytes,
    json_text,
    parts_frame,
    plate_3mf_bytes,
    policy_frame,
    print_jobs_from_frame,
    queue_frame,
    queue_from_csv,
    queue_from_json,
    queue_to_json,
    read_plate_3mf,
    read_policy_table,
    read_print_package,
    read_sourcing_table,
    sourcing_frame,
    to_xlsx,
    write_plan_outputs,
)
from planner.plan import run_plan
from planner.print_queue import JobKind, PrintJob, PrintQueue
from planner.printers import Printer, load_demo_materials, load_demo_printers
from planner.sourcing import sourcing_table

START = datetime(2025, 1, 6, 8, 0)


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    """A planned slice of the demo catalog and the folder it was written to."""
    demo = load_demo_catalog()
    printed = [p for p in demo.parts if p.printable and p.stl_path is not None][:3]
    bought = [p for p in demo.parts if not p.printable][:5]
    catalog = dataclasses.replace(demo, parts=(*printed, *bought))
    result = run_plan(
        catalog,
        load_demo_printers(),
        load_demo_materials(),
        queue_start=START,
        queue_horizon_days=60,
    )
    out = tmp_path_factory.mktemp("plan")
    write_plan_outputs(out, result)
    return result, out


@pytest.fixture(scope="module")
def package(plan) -> tuple[bytes, PrintPackage]:
    """The plan's print_package.zip bytes and what read_print_package makes of them."""
    _, out = plan
    data = (out / "print_package.zip").read_bytes()
    return data, read_print_package(data)


def _same(a, b) -> bool:
    """Equal values, NaN/None/'' equal to each other, floats bit for bit."""
    blank_a = a is None or a == "" or (isinstance(a, float) and math.isnan(a))
    blank_b = b is None or b == "" or (isinstance(b, float) and math.isnan(b))
    if blank_a or blank_b:
        return blank_a and blank_b
    if isinstance(a, int | float | np.number) and isinstance(
        b, int | float | np.number
    ):
        # CSV and JSON write the shortest exact repr: no tolerance needed.
        return float(a) == float(b)
    return str(a) == str(b)


def _assert_rows(expected: list[dict], frame: pd.DataFrame) -> None:
    """Every value of every expected row equals the re-read frame's cell."""
    assert len(frame) == len(expected)
    records = frame.to_dict("records")
    for want, got in zip(expected, records, strict=True):
        for key, value in want.items():
            assert _same(value, got[key]), (want["part_id"], key, value, got[key])


# ------------------------------------------------------------------ policy


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "csv-file"])
def test_policy_round_trip_every_format(plan, fmt):
    """policy.csv, its JSON and XLSX re-read to the rows, columns and dtypes written."""
    result, out = plan
    rows = result.policy.rows
    written = policy_frame(rows)
    if fmt == "csv-file":
        frame = read_policy_table(out / "policy.csv")
    elif fmt == "csv":
        frame = read_policy_table(csv_bytes(written), name="policy.csv")
    elif fmt == "json":
        # no name: the reader tells JSON from the content
        frame = read_policy_table(json_text(rows).encode())
    else:
        frame = read_policy_table(to_xlsx({"policy": written}), name="policy.xlsx")
    # JSON keeps each row's key order; the other formats policy_frame's order.
    assert list(frame.columns[: len(POLICY_COLUMNS)]) == (
        list(rows[0])[: len(POLICY_COLUMNS)] if fmt == "json" else list(POLICY_COLUMNS)
    )
    # openpyxl writes floats with 16 significant digits (Excel keeps 15), so
    # XLSX is exact to 1e-15 relative; CSV and JSON write the exact repr.
    exact = fmt != "xlsx"
    pd.testing.assert_frame_equal(
        frame[written.columns], written, check_exact=exact, rtol=1e-15
    )
    for column, kind in POLICY_COLUMN_KINDS.items():
        if column in frame:
            want = {"int": "int64", "float": "float64", "text": "str"}[kind.value]
            assert str(frame[column].dtype) == want, column
    if exact:
        _assert_rows(rows, frame)


def test_policy_xlsx_sheet_chosen_by_name(plan):
    """A plan workbook (queue, policy, sourcing sheets) yields its policy sheet."""
    result, _ = plan
    written = policy_frame(result.policy.rows)
    workbook = to_xlsx(
        {"queue": queue_frame(result.queue), "policy": written, "other": written[:1]}
    )
    pd.testing.assert_frame_equal(
        read_policy_table(workbook), written, check_exact=False, rtol=1e-15
    )


def test_policy_empty_cells_come_back_as_written():
    """Blank text stays '', a blank int turns the column nullable Int64, floats NaN."""
    row = dict.fromkeys(POLICY_COLUMNS, 1) | {"part_id": "A", "policy": ""}
    rows = [row, row | {"part_id": "B", "reorder_point": None, "fill_rate": None}]
    frame = read_policy_table(csv_bytes(policy_frame(rows)), name="p.csv")
    assert frame["policy"].tolist() == ["", ""]
    assert str(frame["reorder_point"].dtype) == "Int64"
    assert frame["reorder_point"].iloc[0] == 1
    assert frame["reorder_point"].isna().tolist() == [False, True]
    assert frame["fill_rate"].dtype == np.float64
    assert np.isnan(frame["fill_rate"].iloc[1])


def test_policy_extra_columns_are_inferred():
    """Columns beyond the known ones come back as int, float, bool or text."""
    base = dict.fromkeys(POLICY_COLUMNS, 0) | {"part_id": "007"}
    rows = [
        base | {"n": 3, "x": 1.5, "flag": True, "note": "a", "empty": None},
        base | {"n": -4, "x": 2.0, "flag": False, "note": "12", "empty": None},
    ]
    for data, name in (
        (csv_bytes(policy_frame(rows)), "p.csv"),
        (json_text(rows).encode(), "p.json"),
    ):
        frame = read_policy_table(data, name=name)
        assert frame["part_id"].tolist() == ["007", "007"]  # ids stay text
        assert frame["n"].dtype == np.int64
        assert frame["n"].tolist() == [3, -4]
        assert frame["x"].tolist() == [1.5, 2.0]
        assert frame["flag"].tolist() == [True, False]
        assert frame["note"].tolist() == ["a", "12"]
        assert frame["empty"].isna().all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.text(
                alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12
            ),
            st.integers(min_value=-(2**53), max_value=2**53),
            # Excel holds numbers up to 9.99e307; 16 digits of 1.79e308 round to inf
            st.floats(min_value=-1e300, max_value=1e300),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["csv", "json", "xlsx"]),
)
def test_property_policy_values_survive_every_format(values, fmt):
    """Random ids, ints and floats round-trip bit for bit (text stripped, as read)."""
    rows = [
        dict.fromkeys(POLICY_COLUMNS, 0)
        | {"part_id": f"P{i}", "description": text, "reorder_point": n, "fill_rate": x}
        for i, (text, n, x) in enumerate(values)
    ]
    written = policy_frame(rows)
    if fmt == "csv":
        frame = read_policy_table(csv_bytes(written), name="p.csv")
    elif fmt == "json":
        frame = read_policy_table(json_text(rows).encode(), name="p.json")
    else:
        # openpyxl refuses some control characters in cells; keep printable text
        written["description"] = written["description"].str.replace(
            r"[^\w ]", "", regex=True
        )
        frame = read_policy_table(to_xlsx({"policy": written}), name="p.xlsx")
    assert frame["reorder_point"].tolist() == [n for _, n, _ in values]
    if fmt == "xlsx":  # 16 significant digits, see test_policy_round_trip_every_format
        np.testing.assert_allclose(
            frame["fill_rate"], [x for _, _, x in values], rtol=1e-15, atol=0
        )
    else:
        assert frame["fill_rate"].tolist() == [x for _, _, x in values]
    assert frame["description"].tolist() == [
        d.strip() for d in written["description"].tolist()
    ]


def _policy_csv(**cells: str) -> bytes:
    """A one-row policy CSV with ``cells`` replacing the default values."""
    row = dict.fromkeys(POLICY_COLUMNS, "1") | {"part_id": "A"} | cells
    header = ",".join(row)
    return f"{header}\nB,{','.join(['1'] * (len(row) - 1))}\n{','.join(row.values())}\n".encode()


@pytest.mark.parametrize(
    ("data", "name", "match"),
    [
        (
            _policy_csv(reorder_point="abc"),
            "policy.csv",
            "policy.csv row 3, column reorder_point: expected an integer, got 'abc'",
        ),
        (
            _policy_csv(order_up_to="2.5"),
            "policy.csv",
            "row 3, column order_up_to: expected an integer, got '2.5'",
        ),
        (
            _policy_csv(fill_rate="high"),
            "policy.csv",
            "row 3, column fill_rate: expected a number, got 'high'",
        ),
        (
            b'[{"part_id": "A", "reorder_point": true}]',
            "policy.json",
            "",
        ),
        (
            json.dumps(
                [
                    dict.fromkeys(POLICY_COLUMNS, 1),
                    dict.fromkeys(POLICY_COLUMNS, 1) | {"expected_backorders": "x"},
                ]
            ).encode(),
            "policy.json",
            "policy.json record 2, field expected_backorders: expected a number",
        ),
        (
            json.dumps(
                [dict.fromkeys(POLICY_COLUMNS, 1) | {"reorder_point": True}]
            ).encode(),
            "policy.json",
            "record 1, field reorder_point: expected a int value, got True",
        ),
        (b'{"part_id": "A"}', "policy.json", "must be a JSON list of records"),
        (b"[1, 2]", "policy.json", "record 1: must be a JSON object"),
        (b"[{", "policy.json", "policy.json: not valid JSON"),
        (b"part_id,policy\nA,x\n", "policy.csv", "column reorder_point is required"),
        (
            _policy_csv().replace(b"policy,", b"part_id,", 1),
            "policy.csv",
            "names must be unique, got part_id twice",
        ),
        (b"", "policy.csv", "must hold a header row"),
        (b"\xff\xfe\x00a", "policy.csv", "must be UTF-8"),
        (b'part_id,"x\n', "policy.csv", "not a readable CSV"),
        (b"PK\x03\x04 truncated", "policy.xlsx", "policy.xlsx: not a readable ZIP"),
    ],
)
def test_policy_reader_errors_name_file_row_and_column(data, name, match):
    """Malformed policy files raise PlannerError naming the file, row and column."""
    if not match:  # JSON without the required columns: the first one missing
        match = "policy.json: field policy is required"
    with pytest.raises(PlannerError, match=re.escape(match)):
        read_policy_table(data, name=name)


def test_policy_xlsx_bad_cell_names_the_sheet_row():
    """A text cell in a number column of an XLSX names its spreadsheet row."""
    frame = policy_frame([dict.fromkeys(POLICY_COLUMNS, 1)] * 3).astype(
        {"safety_stock": object}
    )
    frame.loc[2, "safety_stock"] = "lots"
    with pytest.raises(PlannerError, match=r"p\.xlsx row 4, column safety_stock"):
        read_policy_table(to_xlsx({"policy": frame}), name="p.xlsx")


def test_policy_reader_missing_file_and_size_cap(tmp_path, monkeypatch):
    """A missing path and a file past MAX_READ_BYTES raise PlannerError naming it."""
    import planner.export as export

    with pytest.raises(PlannerError, match=r"nothere\.csv: cannot read"):
        read_policy_table(tmp_path / "nothere.csv")
    monkeypatch.setattr(export, "MAX_READ_BYTES", 10)
    (tmp_path / "big.csv").write_bytes(_policy_csv())
    with pytest.raises(PlannerError, match=r"big\.csv: file size must be <= 10"):
        read_policy_table(tmp_path / "big.csv")
    with pytest.raises(PlannerError, match=r"up\.csv: size must be <= 10"):
        read_policy_table(_policy_csv(), name="up.csv")


# ----------------------------------------------------------------- sourcing


def test_sourcing_csv_round_trip(plan):
    """sourcing.csv re-reads to sourcing_table(plan, options), NaN where infeasible."""
    result, out = plan
    rows = sourcing_table(result.sourcing, result.options)
    frame = read_sourcing_table(out / "sourcing.csv")
    assert list(frame.columns[: len(SOURCING_COLUMNS)]) == list(SOURCING_COLUMNS)
    for column in SOURCING_COLUMNS[4:]:
        assert frame[column].dtype == np.float64, column
        infeasible = [row.get(column) is None for row in rows]
        assert frame[column].isna().tolist() == infeasible, column
    assert frame["cost_print_stock"].isna().any(), "bought parts cannot be printed"
    assert (frame["printer_id"] == "").any()  # bought parts have no printer
    _assert_rows(rows, frame)
    written = sourcing_frame(rows).astype(dict.fromkeys(SOURCING_COLUMNS[4:], float))
    pd.testing.assert_frame_equal(frame, written)
    again = read_sourcing_table(
        to_xlsx({"sourcing": sourcing_frame(rows)}), name="plan.xlsx"
    )
    pd.testing.assert_frame_equal(again, written, check_exact=False, rtol=1e-15)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (("mode", "print_later"), "row 2, column mode: expected one of buy_stock"),
        (("cost_hybrid", "n/a"), "row 2, column cost_hybrid: expected a number"),
    ],
)
def test_sourcing_reader_errors_name_row_and_column(plan, edit, match):
    """A bad mode or a text figure in sourcing.csv names the row and column."""
    _, out = plan
    frame = pd.read_csv(out / "sourcing.csv", dtype=str, keep_default_na=False)
    frame.loc[0, edit[0]] = edit[1]
    with pytest.raises(PlannerError, match=re.escape(f"sourcing.csv {match}")):
        read_sourcing_table(csv_bytes(frame), name="sourcing.csv")
    with pytest.raises(PlannerError, match="column investment_hybrid is required"):
        read_sourcing_table(csv_bytes(frame.drop(columns="investment_hybrid")))


# -------------------------------------------------------------------- queue


def test_queue_json_and_csv_round_trip(plan):
    """print_queue.json and print_queue.csv re-read to the very same PrintQueue jobs."""
    result, out = plan
    queue = result.queue
    assert queue.jobs, "the slice must queue print jobs for the test to mean anything"
    assert queue_from_json((out / "print_queue.json").read_text()) == queue
    frame = queue_from_csv(out / "print_queue.csv")
    assert list(frame.columns) == list(QUEUE_COLUMNS)
    assert frame["quantity"].dtype == np.int64
    assert str(frame["start"].dtype) == "datetime64[us]"
    # independent parse of the written text: ISO 8601 with datetime.fromisoformat
    text = pd.read_csv(out / "print_queue.csv", dtype=str, keep_default_na=False)
    assert [datetime.fromisoformat(s) for s in text["due"]] == [
        ts.to_pydatetime() for ts in frame["due"]
    ]
    jobs = print_jobs_from_frame(frame, kinds=[job.kind for job in queue.jobs])
    assert jobs == queue.jobs


def test_queue_json_round_trip_of_a_synthetic_queue_with_odd_values():
    """Unicode ids, micro-seconds, 1e300 and every kind survive JSON and CSV."""
    printer = Printer(
        printer_id="P/1 ü",
        build_x_mm=200.0,
        build_y_mm=200.0,
        build_z_mm=200.0,
        hourly_rate=1.0,
        hours_available_per_week=40.0,
        materials=("PETG",),
    )

    @dataclasses.dataclass(frozen=True)
    class _Estimate:
        bbox_z_mm: float = 10.0
        layers: int = 50

    jobs = tuple(
        PrintJob(
            job_id=f"J{i}",
            printer_id=printer.printer_id,
            plate_id=f"plate ü/{i}",
            sequence=i,
            part_id=f'ÄÖ-{i}, "x"',
            quantity=i + 1,
            material="PETG",
            stl_file=f"p{i}.stl" if i else "",
            print_time_s=3600.5 + i,
            filament_g=1e-3 * (i + 1),
            cost=0.1 + 0.2,
            earliest_start=datetime(2025, 1, 6, 8, 0, 0, 123456),
            due=datetime(2025, 2, 1),
            priority=1e300,
            start=datetime(2025, 1, 6, 8, 0, 0, 123456),
            end=datetime(2025, 1, 6, 9, 0, 0, 623456),
            kind=kind,
        )
        for i, kind in enumerate(JobKind)
    )
    queue = PrintQueue(jobs=jobs, start=START, horizon_days=30, warnings=("ü",))
    estimates = {(j.part_id, j.printer_id): _Estimate() for j in jobs}
    document = json_text(queue_to_json(queue, [printer], estimates))
    assert queue_from_json(document) == queue
    frame = queue_from_csv(csv_bytes(queue_frame(queue)))
    assert print_jobs_from_frame(frame, kinds=[j.kind for j in jobs]) == jobs
    # without kinds every job is an initial build: the CSV does not carry them
    assert {j.kind for j in print_jobs_from_frame(frame)} == {JobKind.INITIAL_BUILD}


def _queue_csv_with(plan, column: str, value: str, row: int = 1) -> bytes:
    """print_queue.csv of the plan with one cell replaced."""
    _, out = plan
    frame = pd.read_csv(out / "print_queue.csv", dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    return csv_bytes(frame)


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("quantity", "two", "q.csv row 3, column quantity: expected an integer"),
        ("sequence", "1.5", "q.csv row 3, column sequence: expected an integer"),
        ("cost", "€3", "q.csv row 3, column cost: expected a number, got '€3'"),
        ("due", "next week", "row 3, column due: expected an ISO 8601 datetime"),
        (
            "start",
            "2025-01-06T08:00:00+01:00",
            "row 3, column start: expected a timezone-naive ISO 8601 datetime",
        ),
        ("printer_id", "", "row 3, column printer_id: expected a value"),
        ("end", " ", "row 3, column end: expected a value"),
    ],
)
def test_queue_csv_errors_name_row_and_column(plan, column, value, match):
    """A bad cell in queue.csv raises PlannerError naming its row and column."""
    with pytest.raises(PlannerError, match=re.escape(match)):
        queue_from_csv(_queue_csv_with(plan, column, value), name="q.csv")


def test_print_jobs_from_frame_checks_kinds(plan):
    """kinds of the wrong length or with an unknown kind raise PlannerError."""
    _, out = plan
    frame = queue_from_csv(out / "print_queue.csv")
    with pytest.raises(PlannerError, match="one entry per row"):
        print_jobs_from_frame(frame, kinds=[JobKind.EMERGENCY])
    with pytest.raises(PlannerError, match="got 'rush'"):
        print_jobs_from_frame(frame, kinds=["rush"] * len(frame))


# ------------------------------------------------------------ print package


def _stl_volume_mm3(vectors: np.ndarray) -> float:
    """Signed volume of a closed triangle mesh (divergence theorem). [mm^3]"""
    a, b, c = vectors[:, 0], vectors[:, 1], vectors[:, 2]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def test_print_package_round_trip(plan, package):
    """The package re-reads to the queue, the STLs written and the plates' parts."""
    result, out = plan
    _, read = package
    queue = result.queue
    assert read.queue == queue
    pd.testing.assert_frame_equal(
        read.queue_table, queue_from_csv(out / "print_queue.csv")
    )
    parts = {p.part_id: p for p in result.catalog.parts}
    assert set(read.models) == {j.part_id for j in queue.jobs}
    for part_id, vectors in read.models.items():
        # independent read of the catalog STL with numpy-stl
        original = stl_mesh.Mesh.from_file(str(parts[part_id].stl_path)).vectors
        assert np.array_equal(vectors, original.astype(np.float64))
    assert set(read.plates) == {j.plate_id for j in queue.jobs}
    printers = {p.printer_id: p for p in result.printers}
    for plate_id, items in read.plates.items():
        jobs = [j for j in queue.jobs if j.plate_id == plate_id]
        assert sorted(pid for pid, _ in items) == sorted(
            j.part_id for j in jobs for _ in range(j.quantity)
        )
        printer = printers[jobs[0].printer_id]
        for part_id, vectors in items:
            model = read.models[part_id]
            # the demo STLs hold no degenerate triangle, so none is dropped
            assert vectors.shape == model.shape
            # turning and moving keep the volume; 3MF stores float32 corners
            assert _stl_volume_mm3(vectors) == pytest.approx(
                _stl_volume_mm3(model), rel=1e-5
            )
            lo, hi = vectors.reshape(-1, 3).min(0), vectors.reshape(-1, 3).max(0)
            assert lo[2] == pytest.approx(0.0, abs=1e-4)  # resting on the bed
            assert (lo >= -1e-4).all()
            assert (
                hi <= [printer.build_x_mm, printer.build_y_mm, printer.build_z_mm]
            ).all()
    n_plates = len(read.plates)
    assert len(read.manifests["moonraker_job_queue.json"]["filenames"]) == n_plates
    assert set(read.manifests) >= {
        "moonraker_job_queue.json",
        *(
            f"octoprint_continuousprint/{p}.json"
            for p in {j.printer_id for j in queue.jobs}
        ),
    }


def test_plate_3mf_of_two_cubes_hand_worked():
    """Two copies of a 10 mm cube: two items, 12 triangles each, 1000 mm^3, apart."""
    corners = (
        np.array(
            [
                [0, 0, 0],
                [1, 0, 0],
                [1, 1, 0],
                [0, 1, 0],
                [0, 0, 1],
                [1, 0, 1],
                [1, 1, 1],
                [0, 1, 1],
            ],
            dtype=float,
        )
        * 10.0
    )
    faces = [
        (0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4),
        (1, 2, 6), (1, 6, 5), (2, 3, 7), (2, 7, 6), (3, 0, 4), (3, 4, 7),
    ]  # fmt: skip
    cube = corners[np.array(faces)]
    printer = Printer(
        printer_id="P1",
        build_x_mm=100.0,
        build_y_mm=100.0,
        build_z_mm=100.0,
        hourly_rate=1.0,
        hours_available_per_week=40.0,
        materials=("PETG",),
    )
    data = plate_3mf_bytes(cube, part_id="C-1", n_copies=2, printer=printer, name="x")
    items = read_plate_3mf(data)
    assert [pid for pid, _ in items] == ["C-1", "C-1"]
    assert all(v.shape == (12, 3, 3) for _, v in items)
    assert all(_stl_volume_mm3(v) == pytest.approx(1000.0) for _, v in items)
    (_, a), (_, b) = items
    assert np.ptp(a.reshape(-1, 3), axis=0).tolist() == [10.0, 10.0, 10.0]
    assert not np.array_equal(a.min(axis=(0, 1)), b.min(axis=(0, 1)))


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(entries: dict[str, bytes], *, links: tuple[str, ...] = ()) -> bytes:
    """A ZIP of ``entries``; names in ``links`` are stored as symbolic links."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def test_print_package_zipped_again_from_its_folder(package):
    """A package re-zipped with a top folder and macOS clutter reads the same."""
    data, read = package
    entries = {f"print_package/{k}": v for k, v in _entries(data).items()}
    entries |= {
        "__MACOSX/print_package/._queue.json": b"x",
        "print_package/.DS_Store": b"",
    }
    again = read_print_package(_zip(entries))
    assert again.queue == read.queue
    assert set(again.plates) == set(read.plates)


def _set_cell(data: bytes, column: str, value: str) -> bytes:
    """A queue CSV with the first row's ``column`` set to ``value``."""
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    frame.loc[0, column] = value
    return csv_bytes(frame)


def _first(package, prefix: str) -> str:
    data, _ = package
    return next(n for n in _entries(data) if n.startswith(prefix))


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda e, p: {k: v for k, v in e.items() if k != "queue.json"},
         "entry queue.json is required"),
        (lambda e, p: {k: v for k, v in e.items() if k != "queue.csv"},
         "entry queue.csv is required"),
        (lambda e, p: e | {"queue.json": b'{"format": "other"}'},
         "entry queue.json: queue.json: format/version must be"),
        (lambda e, p: e | {"queue.json": e["queue.json"].replace(b'"quantity": ', b'"quantity": "x', 1)},
         "entry queue.json: queue.json: not valid JSON"),
        (lambda e, p: e | {"queue.json": e["queue.json"].replace(b'"sequence": 1,', b'"sequence": "one",', 1)},
         "entry queue.json: queue.json job 0 (J00001): field sequence must be int"),
        (lambda e, p: e | {"queue.csv": _set_cell(e["queue.csv"], "sequence", "x")},
         "entry queue.csv row 2, column sequence: expected an integer, got 'x'"),
        (lambda e, p: {k: v for k, v in e.items() if k != _first(p, "models/")},
         "entry models/"),
        (lambda e, p: {k: v for k, v in e.items() if k != _first(p, "plates/")},
         "entry plates/"),
        (lambda e, p: e | {_first(p, "models/"): b"solid x\nfacet garbage"},
         "entry models/"),
        (lambda e, p: e | {_first(p, "plates/"): b"not a 3mf"},
         "entry plates/"),
        (lambda e, p: e | {"models/stranger.stl": e[_first(p, "models/")]},
         "entry models/stranger.stl refused: no job in queue.json names it"),
        (lambda e, p: e | {"moonraker_job_queue.json": b"{"},
         "entry moonraker_job_queue.json: not valid JSON"),
        (lambda e, p: e | {"../evil.json": b"{}"},
         "entry '../evil.json' refused: '..' in the path (zip slip)"),
        (lambda e, p: e | {"/etc/evil.json": b"{}"},
         "entry '/etc/evil.json' refused: absolute path"),
        (lambda e, p: e | {"C:/evil.json": b"{}"},
         "entry 'C:/evil.json' refused: drive letter"),
        (lambda e, p: e | {"run.sh": b"rm -rf /"},
         "entry 'run.sh' refused: unexpected file type .sh"),
        (lambda e, p: e | {"models/inner.zip": b"PK"},
         "entry 'models/inner.zip' refused: unexpected file type .zip"),
        (lambda e, p: e | {"notes.json": b"{}"},
         "entry 'notes.json' refused: not part of a print package"),
        (lambda e, p: e | {"models/x.3mf": b""},
         "entry 'models/x.3mf' refused: not part of a print package"),
    ],
)  # fmt: skip
def test_print_package_malformed_entries_are_named(package, mutate, match):
    """Each broken, missing, stray or hostile entry raises PlannerError naming it."""
    data, _ = package
    bad = _zip(mutate(_entries(data), package))
    with pytest.raises(PlannerError, match=re.escape(match)):
        read_print_package(bad, name="pkg.zip")


def test_print_package_truncated_and_not_a_zip(package):
    """A truncated download or some other file is refused as not a readable ZIP."""
    data, _ = package
    for cut in (len(data) // 2, 3, 0):
        with pytest.raises(PlannerError, match=r"pkg\.zip: not a readable ZIP"):
            read_print_package(data[:cut], name="pkg.zip")
    # Cut inside the central directory: zipfile may then find the end record
    # of a plate 3MF (stored as is); the entries not starting at 0 give it away.
    for cut in (len(data) - 10, len(data) - 100, len(data) - 5000):
        with pytest.raises(PlannerError, match=r"pkg\.zip: not a readable ZIP"):
            read_print_package(data[:cut], name="pkg.zip")


def test_print_package_symlink_and_caps(package):
    """Symbolic links, too many entries or too many bytes are refused unread."""
    data, _ = package
    entries = _entries(data)
    linked = _zip(
        entries | {"models/link.stl": b"/etc/passwd"}, links=("models/link.stl",)
    )
    with pytest.raises(
        PlannerError, match=r"'models/link\.stl' refused: symbolic link"
    ):
        read_print_package(linked)
    with pytest.raises(
        PlannerError, match=f"must hold <= 3 entries, got {len(entries)}"
    ):
        read_print_package(data, max_entries=3)
    with pytest.raises(PlannerError, match="must declare <= 1000 bytes uncompressed"):
        read_print_package(data, max_bytes=1000)


def test_print_package_lying_entry_size_stops_while_reading(package):
    """An entry declaring 100 bytes that inflates to 20 MB is refused by name."""
    data, _ = package
    entries = _entries(data)
    stray = _first(package, "models/")
    raw = bytearray(_zip({stray: bytes(20_000_000)} | entries))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        central = archive.start_dir  # the outer central directory (3MFs hold their own)
    # the first entry in both headers: declared uncompressed size -> 100
    struct.pack_into("<I", raw, central + 24, 100)
    struct.pack_into("<I", raw, 22, 100)
    with pytest.raises(PlannerError, match=re.escape(f"entry '{stray}'")):
        read_print_package(bytes(raw))


# ------------------------------------------------------------------ catalog


def _catalog_round_trip(catalog: Catalog, data: bytes, name: str) -> Catalog:
    """Re-import ``data`` with the same STL folder and history."""
    return load_catalog(
        data, name=name, stl_dir=catalog.stl_dir, history=catalog.history
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_catalog_export_reimports_to_the_same_parts(kind):
    """parts_frame of the demo catalog as CSV/XLSX re-imports to identical Parts."""
    catalog = load_demo_catalog()
    frame = parts_frame(catalog.parts)
    assert list(frame.columns) == list(PART_COLUMNS)
    if kind == "csv":
        data, name = csv_bytes(frame), "parts_export.csv"
    else:
        data, name = to_xlsx({"parts": frame}), "parts_export.xlsx"
    again = _catalog_round_trip(catalog, data, name)
    assert again.errors == ()
    assert again.parts == catalog.parts


def test_column_kinds_cover_the_design_columns():
    """Every DESIGN policy column has a declared kind, so it never depends on inference."""
    assert all(c in POLICY_COLUMN_KINDS for c in POLICY_COLUMNS)
    assert POLICY_COLUMN_KINDS["reorder_point"] is ColumnKind.INT
