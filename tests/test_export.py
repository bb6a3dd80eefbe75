"""Tests for planner.export: frames, atomic writes, queue JSON, the print package."""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import lib3mf
import numpy as np
import pandas as pd
import pytest
from stl import mesh as stl_mesh

from planner.catalog import Criticality, Part
from planner.errors import GeometryError, PlannerError
from planner.export import (
    PART_COLUMNS,
    POLICY_COLUMNS,
    QUEUE_COLUMNS,
    SOURCING_COLUMNS,
    atomic_write_bytes,
    atomic_write_text,
    indexed_mesh,
    parts_frame,
    plate_3mf_bytes,
    policy_frame,
    print_package_bytes,
    queue_frame,
    queue_from_json,
    queue_to_json,
    read_stl_vectors,
    rows_to_csv,
    safe_stem,
    sourcing_frame,
    summary_dict,
    to_jsonable,
    to_xlsx,
    write_plan_dir,
    write_plan_outputs,
    write_print_package,
)
from planner.print_queue import PrintQueue, build_queue, copies_per_plate
from planner.printers import Printer

START = datetime(2025, 3, 3, 9, 15, 30)

# A unit cube as 12 triangles (two per face), corners in {0, 1}^3.
_CUBE_FACES = np.array(
    [
        [[0, 0, 0], [1, 1, 0], [1, 0, 0]],
        [[0, 0, 0], [0, 1, 0], [1, 1, 0]],
        [[0, 0, 1], [1, 0, 1], [1, 1, 1]],
        [[0, 0, 1], [1, 1, 1], [0, 1, 1]],
        [[0, 0, 0], [1, 0, 0], [1, 0, 1]],
        [[0, 0, 0], [1, 0, 1], [0, 0, 1]],
        [[0, 1, 0], [1, 1, 1], [1, 1, 0]],
        [[0, 1, 0], [0, 1, 1], [1, 1, 1]],
        [[0, 0, 0], [0, 0, 1], [0, 1, 1]],
        [[0, 0, 0], [0, 1, 1], [0, 1, 0]],
        [[1, 0, 0], [1, 1, 0], [1, 1, 1]],
        [[1, 0, 0], [1, 1, 1], [1, 0, 1]],
    ],
    dtype=float,
)


# Stand-ins for SourcingPlan and PrintEstimate (same field names as the contract).
@dataclass(frozen=True, slots=True, kw_only=True)
class PlanStub:
    part_id: np.ndarray
    mode: np.ndarray
    printer_id: np.ndarray
    base_stock_level: np.ndarray
    objective: float = 1234.5
    baseline_cost: float = 2000.0
    total_investment: float = 800.0
    budget: float | None = None
    printer_usage: tuple = ()
    status: str = "Optimal"
    solve_time_s: float = 0.1


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
    layers: int


def box_vectors(size, offset=(0.0, 0.0, 0.0)) -> np.ndarray:
    """A box of ``size`` [mm] at ``offset`` as 12 STL triangles."""
    return _CUBE_FACES * np.asarray(size, float) + np.asarray(offset, float)


def write_stl(path: Path, vectors: np.ndarray) -> Path:
    """Write a binary STL of ``vectors``."""
    m = stl_mesh.Mesh(np.zeros(len(vectors), dtype=stl_mesh.Mesh.dtype))
    m.vectors[:] = vectors
    m.save(str(path))
    return path


@pytest.fixture
def lab(tmp_path):
    """Two printers, three printed parts with STL files, one bought part, a queue."""
    sizes = {
        "BR-1": (60.0, 20.0, 10.0),
        "CL/2": (30.0, 30.0, 15.0),
        "GE 3": (20, 10, 8),
    }
    parts, estimates = [], {}
    printers = (
        Printer(
            printer_id="P1",
            build_x_mm=250.0,
            build_y_mm=210.0,
            build_z_mm=220.0,
            hourly_rate=1.5,
            hours_available_per_week=60.0,
            materials=("PLA", "PETG"),
        ),
        Printer(
            printer_id="P2",
            build_x_mm=180.0,
            build_y_mm=180.0,
            build_z_mm=180.0,
            hourly_rate=2.0,
            hours_available_per_week=168.0,
            materials=("PETG", "ASA"),
            nozzle_mm=0.6,
        ),
    )
    assign = {"BR-1": "P1", "CL/2": "P2", "GE 3": "P1"}
    for i, (pid, size) in enumerate(sizes.items()):
        stl = write_stl(tmp_path / f"part{i}.stl", box_vectors(size, (5.0, -3.0, 2.0)))
        parts.append(
            Part(
                part_id=pid,
                unit_cost=30.0,
                annual_demand=12.0 + 6 * i,
                lead_time_days=40.0,
                criticality=[Criticality.VITAL, Criticality.ESSENTIAL][i % 2],
                stl_file=stl.name,
                stl_path=stl,
                printable=True,
            )
        )
        printer = assign[pid]
        estimates[(pid, printer)] = EstimateStub(
            file=stl.name,
            print_time_s=3600.0 * (1.5 + i),
            filament_g=12.0 + i,
            total_cost=2.0 + i,
            material="PETG",
            printer_id=printer,
            bbox_x_mm=size[0],
            bbox_y_mm=size[1],
            bbox_z_mm=size[2],
            layers=int(size[2] / 0.2),
        )
    parts.append(
        Part(part_id="BUY-9", unit_cost=5.0, annual_demand=3.0, lead_time_days=10.0)
    )
    plan = PlanStub(
        part_id=np.array(["BR-1", "CL/2", "GE 3", "BUY-9"]),
        mode=np.array(["print_stock", "print_on_demand", "print_stock", "buy_stock"]),
        printer_id=np.array(["P1", "P2", "P1", ""]),
        base_stock_level=np.array([4, 0, 30, 2]),
        printer_usage=(
            {"printer_id": "P1", "capacity_hours": 2000.0, "used_hours": 120.5},
        ),
    )
    queue = build_queue(plan, parts, estimates, printers, start=START, horizon_days=60)
    return plan, parts, estimates, printers, queue


def policy_rows():
    """Two policy rows with the DESIGN columns and one extra column."""
    row = dict.fromkeys(POLICY_COLUMNS, 1.0)
    return [
        row | {"part_id": "BR-1", "policy": "base_stock", "binding": "fill_rate"},
        row | {"part_id": "BUY-9", "policy": "base_stock", "binding": "cost"},
    ]


def sourcing_rows():
    """Sourcing rows with infeasible options left out or NaN."""
    return [
        {
            "part_id": "BR-1",
            "mode": "print_stock",
            "printer_id": "P1",
            "reason": "cheapest",
            "cost_buy_stock": 100.0,
            "printer_hours_buy_stock": 0.0,
            "investment_buy_stock": 60.0,
            "cost_print_stock": 40.0,
            "printer_hours_print_stock": 12.0,
            "investment_print_stock": 8.0,
        },
        {
            "part_id": "BUY-9",
            "mode": "buy_stock",
            "printer_id": "",
            "reason": "not printable",
            "cost_buy_stock": 10.0,
            "cost_print_stock": float("nan"),
        },
    ]


def test_queue_json_round_trip(lab):
    """queue.json read back (through JSON text) gives the identical queue."""
    _, _, estimates, printers, queue = lab
    assert len(queue.jobs) > 5
    document = queue_to_json(queue, printers, estimates)
    text = json.dumps(document)
    assert queue_from_json(json.loads(text)) == queue
    assert queue_from_json(text) == queue
    with_micro = replace(queue, start=queue.start.replace(microsecond=123456))
    assert queue_from_json(queue_to_json(with_micro, printers, estimates)) == with_micro


def test_queue_json_moonraker_metadata(lab):
    """Each job carries Moonraker's metadata names in Moonraker's units."""
    _, _, estimates, printers, queue = lab
    document = queue_to_json(queue, printers, estimates)
    printer_by_id = {p.printer_id: p for p in printers}
    for job, record in zip(queue.jobs, document["jobs"], strict=True):
        est = estimates[(job.part_id, job.printer_id)]
        assert record["estimated_time"] == job.print_time_s  # seconds
        assert record["filament_weight_total"] == job.filament_g  # grams
        assert record["filament_type"] == job.material
        assert record["nozzle_diameter"] == printer_by_id[job.printer_id].nozzle_mm
        assert record["layer_height"] == 0.2
        assert record["object_height"] == est.bbox_z_mm
        assert record["layer_count"] == est.layers
        assert record["start"] == job.start.isoformat()
        assert record["plate_file"] == f"plates/{safe_stem(job.plate_id)}.3mf"


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d.pop("start"), "field start is required"),
        (lambda d: d.update(version=99), "format/version must be"),
        (lambda d: d["jobs"][0].pop("due"), r"job 0 \(J00001\): field due is required"),
        (lambda d: d["jobs"][0].update(due="soon"), "must be an ISO 8601 datetime"),
        (lambda d: d["jobs"][0].update(quantity=1.5), "field quantity must be int"),
        (lambda d: d["jobs"][0].update(kind="maybe"), "field kind must be one of"),
        (lambda d: d.update(jobs="none"), "field jobs must be a list"),
        (lambda d: d["jobs"].append(3), "job .*: must be an object"),
    ],
)
def test_queue_from_json_errors(lab, mutate, match):
    """A damaged queue.json raises PlannerError naming the job and field."""
    _, _, estimates, printers, queue = lab
    document = queue_to_json(queue, printers, estimates)
    mutate(document)
    with pytest.raises(PlannerError, match=match):
        queue_from_json(document)


def test_queue_from_json_not_json():
    """Text that is not JSON, or not an object, is a PlannerError."""
    with pytest.raises(PlannerError, match="not valid JSON"):
        queue_from_json("{nope")
    with pytest.raises(PlannerError, match="must be a JSON object"):
        queue_from_json("[1, 2]")


def test_queue_to_json_missing_printer_or_estimate(lab):
    """Jobs whose printer or estimate is unknown cannot be described."""
    _, _, estimates, printers, queue = lab
    with pytest.raises(PlannerError, match="printer_id must be one of"):
        queue_to_json(queue, printers[:1], estimates)
    with pytest.raises(PlannerError, match="no print estimate"):
        queue_to_json(queue, printers, {})


def test_queue_frame_columns_and_iso(lab):
    """queue_frame has exactly the DESIGN columns and ISO 8601 datetimes."""
    _, _, _, _, queue = lab
    frame = queue_frame(queue)
    assert list(frame.columns) == list(QUEUE_COLUMNS)
    assert len(frame) == len(queue.jobs)
    assert frame["start"].tolist() == [j.start.isoformat() for j in queue.jobs]
    assert datetime.fromisoformat(frame["due"].iloc[0]) == queue.jobs[0].due
    empty = queue_frame(PrintQueue(jobs=(), start=START))
    assert list(empty.columns) == list(QUEUE_COLUMNS)
    assert len(empty) == 0


def test_print_package_contents(lab, tmp_path):
    """The zip holds exactly the DESIGN entries, with exact CSV columns and copies."""
    _, parts, estimates, printers, queue = lab
    path = write_print_package(queue, parts, printers, estimates, tmp_path / "pkg.zip")
    plate_names = [f"plates/{safe_stem(j.plate_id)}.3mf" for j in queue.jobs]
    queued_parts = list(dict.fromkeys(j.part_id for j in queue.jobs))
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        expected = {
            "queue.json",
            "queue.csv",
            "moonraker_job_queue.json",
            "moonraker_job_queue/P1.json",
            "moonraker_job_queue/P2.json",
            "octoprint_continuousprint/P1.json",
            "octoprint_continuousprint/P2.json",
            *(f"models/{safe_stem(pid)}.stl" for pid in queued_parts),
            *plate_names,
        }
        assert sorted(names) == sorted(expected)
        assert len(names) == len(set(names))
        assert "models/CL_2.stl" in names
        assert "models/GE_3.stl" in names
        frame = pd.read_csv(io.BytesIO(archive.read("queue.csv")))
        assert list(frame.columns) == list(QUEUE_COLUMNS)
        assert frame["job_id"].tolist() == [j.job_id for j in queue.jobs]
        assert queue_from_json(archive.read("queue.json")) == queue
        by_id = {p.part_id: p for p in parts}
        for pid in queued_parts:
            model = archive.read(f"models/{safe_stem(pid)}.stl")
            assert model == by_id[pid].stl_path.read_bytes()
        moonraker = json.loads(archive.read("moonraker_job_queue.json"))
        firsts = list({j.plate_id: j for j in reversed(queue.jobs)}.values())[::-1]
        assert moonraker == {
            "filenames": [f"{safe_stem(j.plate_id)}.gcode" for j in firsts]
        }
        p2 = json.loads(archive.read("moonraker_job_queue/P2.json"))
        assert p2["filenames"] == [
            f"{safe_stem(j.plate_id)}.gcode" for j in firsts if j.printer_id == "P2"
        ]
        manifest = json.loads(archive.read("octoprint_continuousprint/P1.json"))
        p1_jobs = [j for j in firsts if j.printer_id == "P1"]
        assert manifest["count"] == 1
        assert manifest["name"]
        assert [s["path"] for s in manifest["sets"]] == [
            f"{safe_stem(j.plate_id)}.gcode" for j in p1_jobs
        ]
        assert all(s["count"] == 1 for s in manifest["sets"])
        assert [s["materials"] for s in manifest["sets"]] == [
            [j.material] for j in p1_jobs
        ]
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["pkg.zip", *[f"part{i}.stl" for i in range(3)]]
    )


def _read_3mf(data: bytes, tmp_path: Path):
    """Build items of a 3MF: (item part number, object part number, triangles,
    transform rows, vertices)."""
    path = tmp_path / "plate_read.3mf"
    path.write_bytes(data)
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    model.QueryReader("3mf").ReadFromFile(str(path))
    items = []
    iterator = model.GetBuildItems()
    while iterator.MoveNext():
        item = iterator.GetCurrent()
        resource = item.GetObjectResource()
        mesh_object = model.GetMeshObjectByID(resource.GetResourceID())
        vertices = np.array([list(v.Coordinates) for v in mesh_object.GetVertices()])
        transform = np.array([list(r) for r in item.GetObjectTransform().Fields])
        items.append(
            (
                item.GetPartNumber(),
                resource.GetPartNumber(),
                mesh_object.GetTriangleCount(),
                transform,
                vertices,
            )
        )
    return items


def test_3mf_part_numbers_triangles_and_layout(lab, tmp_path):
    """Every plate re-read with lib3mf: part numbers, 12 triangles, copies on the bed."""
    _, parts, estimates, printers, queue = lab
    path = write_print_package(queue, parts, printers, estimates, tmp_path / "pkg.zip")
    printer_by_id = {p.printer_id: p for p in printers}
    saw_several = False
    with zipfile.ZipFile(path) as archive:
        for plate_id in dict.fromkeys(j.plate_id for j in queue.jobs):
            jobs = [j for j in queue.jobs if j.plate_id == plate_id]
            job = jobs[0]
            data = archive.read(f"plates/{safe_stem(plate_id)}.3mf")
            items = _read_3mf(data, tmp_path)
            assert sorted(i[0] for i in items) == sorted(
                j.part_id for j in jobs for _ in range(j.quantity)
            )
            saw_several |= len(items) > 1
            boxes = []
            for item_pn, object_pn, n_triangles, transform, vertices in items:
                assert item_pn == object_pn
                assert n_triangles == 12
                np.testing.assert_allclose(transform[:3], np.eye(3))
                placed = vertices + transform[3]
                lo, hi = placed.min(axis=0), placed.max(axis=0)
                printer = printer_by_id[job.printer_id]
                assert lo[2] == pytest.approx(0.0, abs=1e-5)  # on the bed
                assert (lo >= -1e-4).all()
                assert hi[0] <= printer.build_x_mm + 1e-4
                assert hi[1] <= printer.build_y_mm + 1e-4
                assert hi[2] <= printer.build_z_mm + 1e-4
                boxes.append((lo, hi))
            for i in range(len(boxes)):
                for k in range(i + 1, len(boxes)):
                    (alo, ahi), (blo, bhi) = boxes[i], boxes[k]
                    apart = (ahi[:2] + 5.0 - 1e-4 <= blo[:2]) | (
                        bhi[:2] + 5.0 - 1e-4 <= alo[:2]
                    )
                    assert apart.any()
    assert saw_several, "the fixture should put several copies on one plate"


def test_3mf_rotated_footprint(tmp_path):
    """A long part turned 90 degrees keeps its triangles and fits more copies."""
    printer = Printer(
        printer_id="P1",
        build_x_mm=100.0,
        build_y_mm=250.0,
        build_z_mm=100.0,
        hourly_rate=1.0,
        hours_available_per_week=100.0,
        materials=("PLA",),
    )
    cap, rotated = copies_per_plate(200.0, 20.0, 100.0, 250.0)
    assert int(cap) == 4
    assert bool(rotated)
    data = plate_3mf_bytes(
        box_vectors((200.0, 20.0, 5.0)), part_id="LONG", n_copies=4, printer=printer
    )
    items = _read_3mf(data, tmp_path)
    assert len(items) == 4
    for *_, n_triangles, transform, vertices in items:
        assert n_triangles == 12
        size = np.ptp(vertices, axis=0)
        np.testing.assert_allclose(size, [20.0, 200.0, 5.0], atol=1e-4)
        assert (vertices + transform[3]).max(axis=0)[0] <= 100.0 + 1e-4


def test_indexed_mesh_dedupes_and_drops_degenerate():
    """Vertices are shared by np.unique and collapsed triangles are dropped."""
    cube = box_vectors((10, 10, 10))
    degenerate = np.array([[[0, 0, 0], [0, 0, 0], [10, 0, 0]]], dtype=float)
    positions, triangles = indexed_mesh(np.concatenate((cube, degenerate)))
    assert positions.shape == (8, 3)
    assert triangles.shape == (12, 3)
    np.testing.assert_array_equal(positions[triangles], cube.astype(np.float32))


def test_read_stl_vectors_rejects_garbage():
    """Bytes that are not an STL raise GeometryError naming the file."""
    with pytest.raises(GeometryError, match=r"STL junk\.stl"):
        read_stl_vectors(b"this is not an stl", name="junk.stl")


def test_print_package_missing_stl_raises(lab, tmp_path):
    """A queued part without its STL file cannot be packaged; nothing is written."""
    _, parts, estimates, printers, queue = lab
    broken = [replace(p, stl_path=tmp_path / "gone.stl") for p in parts]
    target = tmp_path / "out" / "pkg.zip"
    with pytest.raises(PlannerError, match="stl_path must be an existing STL"):
        write_print_package(queue, broken, printers, estimates, target)
    assert not target.exists()
    with pytest.raises(PlannerError, match="is not in the parts given"):
        write_print_package(queue, parts[:1], printers, estimates, target)


def test_atomic_write_leaves_no_temp_files(tmp_path):
    """Atomic writes replace the file whole and leave no temporary files behind."""
    target = tmp_path / "a" / "file.txt"
    atomic_write_text(target, "first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["file.txt"]
    assert target.stat().st_mode & 0o777 == 0o644  # not the temp file's 0o600
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["file.txt"]


def test_write_plan_dir(lab, tmp_path):
    """The plan folder holds the six files, exact CSV columns, no temp files."""
    plan, parts, estimates, printers, queue = lab
    out = tmp_path / "plan"
    summary = summary_dict(plan, scenario="baseline")
    written = write_plan_dir(
        out,
        policy_rows=policy_rows(),
        sourcing_rows=sourcing_rows(),
        summary=summary,
        queue=queue,
        parts=parts,
        printers=printers,
        estimates=estimates,
    )
    names = [
        "policy.csv",
        "sourcing.csv",
        "summary.json",
        "print_queue.csv",
        "print_queue.json",
        "print_package.zip",
    ]
    assert sorted(written) == sorted(names)
    assert sorted(os.listdir(out)) == sorted(names)
    policy = pd.read_csv(out / "policy.csv")
    assert list(policy.columns) == [*POLICY_COLUMNS, "binding"]
    sourcing = pd.read_csv(out / "sourcing.csv", keep_default_na=False)
    assert list(sourcing.columns) == list(SOURCING_COLUMNS)
    assert sourcing.loc[1, "cost_print_stock"] == ""  # infeasible -> empty
    assert sourcing.loc[1, "investment_hybrid"] == ""
    assert float(sourcing.loc[0, "cost_print_stock"]) == 40.0
    assert list(pd.read_csv(out / "print_queue.csv").columns) == list(QUEUE_COLUMNS)
    loaded = json.loads((out / "summary.json").read_text())
    for key in ("objective", "budget", "total_investment", "baseline_cost", "printers"):
        assert key in loaded
    assert loaded["printers"] == [
        {"printer_id": "P1", "capacity_hours": 2000.0, "used_hours": 120.5}
    ]
    assert loaded["n_parts_by_mode"] == {
        "buy_stock": 1,
        "print_stock": 2,
        "print_on_demand": 1,
        "hybrid": 0,
    }
    assert loaded["scenario"] == "baseline"
    assert queue_from_json((out / "print_queue.json").read_text()) == queue


def test_write_plan_dir_bad_summary_writes_nothing(lab, tmp_path):
    """A summary without the DESIGN keys raises before any file is written."""
    _, parts, estimates, printers, queue = lab
    with pytest.raises(PlannerError, match="key baseline_cost is required"):
        write_plan_dir(
            tmp_path / "plan",
            policy_rows=policy_rows(),
            sourcing_rows=sourcing_rows(),
            summary={"objective": 1, "budget": None, "total_investment": 0},
            queue=queue,
            parts=parts,
            printers=printers,
            estimates=estimates,
        )
    assert not (tmp_path / "plan").exists()


def test_frames_require_design_columns():
    """policy and sourcing rows missing a DESIGN column raise, naming it."""
    row = policy_rows()[0]
    del row["fill_rate"]
    with pytest.raises(PlannerError, match=r"policy row 0 .*column fill_rate"):
        policy_frame([row])
    with pytest.raises(PlannerError, match=r"sourcing row 0 .*column reason"):
        sourcing_frame([{"part_id": "X", "mode": "buy_stock", "printer_id": ""}])
    assert list(policy_frame([]).columns) == list(POLICY_COLUMNS)


def test_parts_frame_columns(lab):
    """parts_frame has the DESIGN catalog columns and V/E/D criticality."""
    _, parts, _, _, _ = lab
    frame = parts_frame(parts)
    assert list(frame.columns) == list(PART_COLUMNS)
    assert frame["criticality"].tolist() == ["V", "E", "V", "E"]
    assert frame["part_id"].tolist() == [p.part_id for p in parts]


def test_to_xlsx_round_trip():
    """Sheets written with openpyxl read back with the same values."""
    frames = {
        "policy": pd.DataFrame({"part_id": ["A", "B"], "order_up_to": [3, 4]}),
        "queue": pd.DataFrame({"job_id": ["J1"], "cost": [2.5]}),
    }
    data = to_xlsx(frames)
    back = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
    assert list(back) == ["policy", "queue"]
    pd.testing.assert_frame_equal(back["policy"], frames["policy"], check_dtype=False)
    pd.testing.assert_frame_equal(back["queue"], frames["queue"], check_dtype=False)


@pytest.mark.parametrize(
    ("sheets", "match"),
    [
        ({}, "at least one"),
        ({"a/b": pd.DataFrame()}, "sheet name must be"),
        ({"x" * 32: pd.DataFrame()}, "sheet name must be"),
        ({"Queue": pd.DataFrame(), "queue": pd.DataFrame()}, "unique"),
    ],
)
def test_to_xlsx_bad_sheet_names(sheets, match):
    """Excel's sheet-name rules are checked up front with a clear error."""
    with pytest.raises(PlannerError, match=match):
        to_xlsx(sheets)


def test_to_jsonable_and_safe_stem():
    """numpy, NaN, datetimes and paths become JSON; ids become safe file stems."""
    value = {"a": np.int64(3), "b": np.array([1.5, np.nan]), "c": START, "d": Path("x")}
    assert to_jsonable(value) == {
        "a": 3,
        "b": [1.5, None],
        "c": START.isoformat(),
        "d": "x",
    }
    assert safe_stem("../etc/passwd") == "_etc_passwd"
    assert safe_stem("P-17.b_2") == "P-17.b_2"


def test_write_plan_outputs_adapter(lab, tmp_path, monkeypatch):
    """write_plan_outputs writes a PlanResult-like object through write_plan_dir."""
    from types import SimpleNamespace

    import planner.sourcing

    plan, parts, estimates, printers, queue = lab
    monkeypatch.setattr(
        planner.sourcing, "sourcing_table", lambda sourcing, options: sourcing_rows()
    )
    monkeypatch.setattr(
        planner.sourcing, "summary_dict", lambda sourcing: summary_dict(sourcing)
    )
    import planner.plan

    monkeypatch.setattr(
        planner.plan,
        "estimate_rows",
        lambda est: [{"part_id": pid, "printer_id": prn} for pid, prn in est.estimates],
    )
    result = SimpleNamespace(
        policy=SimpleNamespace(rows=policy_rows()),
        sourcing=plan,
        options=None,
        queue=queue,
        catalog=SimpleNamespace(parts=tuple(parts)),
        printers=printers,
        estimates=SimpleNamespace(estimates=estimates),
        scenarios=(SimpleNamespace(name="APAC out"),),
    )
    written = write_plan_outputs(tmp_path / "out", result)
    assert [p.name for p in written] == [
        "policy.csv",
        "sourcing.csv",
        "summary.json",
        "print_queue.csv",
        "print_queue.json",
        "print_package.zip",
        "estimates.csv",
    ]
    estimates_csv = (tmp_path / "out" / "estimates.csv").read_text().splitlines()
    assert estimates_csv[0] == "part_id,printer_id"
    assert len(estimates_csv) == 1 + len(estimates)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenarios"] == ["APAC out"]
    assert summary["n_print_jobs"] == len(queue.jobs)


def test_rows_to_csv_first_seen_columns():
    """rows_to_csv keeps columns in first-seen order and leaves gaps empty."""
    text = rows_to_csv([{"b": 1.5, "a": "x"}, {"a": "y", "c": None}])
    assert text == "b,a,c\n1.5,x,\n,y,\n"
    assert rows_to_csv([]) == ""


def test_mixed_plate_3mf_lists_every_part_number(lab, tmp_path):
    """Jobs of two parts packed on one plate: its 3MF has both part numbers, copies
    inside the bed and 5 mm apart, and Moonraker lists the plate once."""
    _, parts, estimates, printers, _ = lab
    parts = [
        replace(p, criticality=Criticality.ESSENTIAL, annual_demand=0.0) for p in parts
    ]
    plan = PlanStub(
        part_id=np.array(["BR-1", "GE 3"]),
        mode=np.array(["print_stock", "print_stock"]),
        printer_id=np.array(["P1", "P1"]),
        base_stock_level=np.array([2, 3]),
        printer_usage=(),
    )
    queue = build_queue(plan, parts, estimates, printers, start=START, horizon_days=5)
    assert len(queue.jobs) == 2
    assert len({j.plate_id for j in queue.jobs}) == 1
    assert queue.jobs[0].start == queue.jobs[1].start
    assert queue.jobs[0].end == queue.jobs[1].end
    data = print_package_bytes(queue, parts, printers, estimates)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        items = _read_3mf(
            archive.read(f"plates/{safe_stem(queue.jobs[0].plate_id)}.3mf"), tmp_path
        )
        moonraker = json.loads(archive.read("moonraker_job_queue.json"))
    assert moonraker["filenames"] == [f"{safe_stem(queue.jobs[0].plate_id)}.gcode"]
    assert sorted(i[0] for i in items) == ["BR-1"] * 2 + ["GE 3"] * 3
    assert all(i[0] == i[1] for i in items)
    boxes = (
        [(v + t[3]).min(axis=0) for *_, t, v in items],
        [(v + t[3]).max(axis=0) for *_, t, v in items],
    )
    lo, hi = np.array(boxes[0]), np.array(boxes[1])
    assert (lo >= -1e-4).all()
    assert (hi[:, :2] <= np.array([250.0, 210.0]) + 1e-4).all()
    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            gap = np.maximum(lo[a, :2] - hi[b, :2], lo[b, :2] - hi[a, :2])
            assert gap.max() >= 5.0 - 0.02


def test_3mf_places_parts_in_their_print_orientation(lab, tmp_path):
    """With rotations, each plate's parts lie in the orientation the estimate used:
    a quarter turn about X swaps a part's Y and Z extents; models/ keeps the STL."""
    _, parts, estimates, printers, queue = lab
    quarter_x = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])
    rotations = {(j.part_id, j.printer_id): quarter_x for j in queue.jobs}
    plain = write_print_package(queue, parts, printers, estimates, tmp_path / "a.zip")
    turned = write_print_package(
        queue, parts, printers, estimates, tmp_path / "b.zip", rotations
    )
    plate_id = queue.jobs[0].plate_id
    name = f"plates/{safe_stem(plate_id)}.3mf"
    with zipfile.ZipFile(plain) as a, zipfile.ZipFile(turned) as b:
        before = _read_3mf(a.read(name), tmp_path)[0][4]
        after = _read_3mf(b.read(name), tmp_path)[0][4]
        models = [n for n in a.namelist() if n.startswith("models/")]
        assert all(a.read(n) == b.read(n) for n in models)
    part = next(p for p in parts if p.part_id == queue.jobs[0].part_id)
    modelled = np.ptp(read_stl_vectors(part.stl_path.read_bytes()).reshape(-1, 3), 0)
    ext_before = np.ptp(before, axis=0)
    ext_after = np.ptp(after, axis=0)
    # the packer may turn a footprint about Z; the height is what the rotation sets
    assert ext_before[2] == pytest.approx(modelled[2])
    assert ext_after[2] == pytest.approx(modelled[1])  # new height = old Y extent
    np.testing.assert_allclose(sorted(ext_after), sorted(modelled), atol=1e-4)
    assert after[:, 2].min() == pytest.approx(0.0, abs=1e-5)  # resting on the bed
