"""Hostile STL uploads: a clear GeometryError or an estimate with a warning (issue 8).

The corpus comes from ``tests/hostile_stl.py``. Every file goes through the three
doors a planner uses: ``load_stl`` + ``estimate_print`` (the core), ``estimate_parts``
(the plan, where a bad STL must only make its part unprintable) and the CLI
``python -m planner estimate`` (exit status 2 and an ``error:`` line).
"""

from __future__ import annotations

import contextlib
import resource
import sys
import tracemalloc
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_stl import (
    CASES,
    HUGE_TRIANGLES,
    Case,
    binary_stl,
    cube_vectors,
    write_huge,
)

from planner import cli
from planner.catalog import Part
from planner.errors import GeometryError, PlannerError, PlannerWarning
from planner.geometry import analyse_mesh, load_stl
from planner.plan import estimate_parts
from planner.printers import load_demo_materials, load_demo_printers
from planner.slicing import estimate_print

#: Cases handed over to another module's owner (none left open).
_HANDED_OVER: dict[str, str] = {}
_CASE_IDS = [case.name for case in CASES]


@pytest.fixture(scope="module")
def lab():
    """Demo printers and materials (P1 and PETG are used for the estimates)."""
    printers = load_demo_printers()
    return printers, load_demo_materials()


def _core_outcome(case: Case, lab) -> tuple[str, str]:
    """('error', message) or ('warn', all warnings) of load_stl + estimate_print."""
    printers, materials = lab
    printer = printers[0]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PlannerWarning)
            mesh = load_stl(case.make(), name=case.name)
            properties = analyse_mesh(mesh).properties
            estimate = estimate_print(
                mesh, profile=printer.profile, material=materials["PETG"]
            )
    except GeometryError as exc:
        return "error", str(exc)
    notes = [
        *properties.warnings,
        *estimate.warnings,
        *(str(w.message) for w in caught),
    ]
    return "warn", " | ".join(notes)


def _mark(case: Case):
    """The case as a pytest param, xfail(strict) where the fix is handed over."""
    reason = _HANDED_OVER.get(case.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_mark(case) for case in CASES])
def test_core_gives_geometry_error_or_warned_estimate(case, lab):
    """load_stl + estimate_print: GeometryError naming the problem, or a warned estimate."""
    kind, text = _core_outcome(case, lab)
    expected = {"error": "error", "warn": "warn", "ok": "warn"}[case.outcome]
    assert kind == expected, text
    for word in case.says:
        assert word.lower() in text.lower(), text
    if case.outcome == "warn":
        assert text, "an estimate of a broken mesh must carry a warning"


def test_binary_header_claiming_solid_is_read_as_binary(lab):
    """A binary STL whose 80-byte header starts with 'solid' is a valid 10 mm cube."""
    mesh = load_stl(binary_stl(cube_vectors(), header=b"solid CAD"), name="c.stl")
    assert analyse_mesh(mesh).properties.volume_mm3 == pytest.approx(1000.0)


def test_five_million_triangles_refused_by_the_cap_in_bounded_memory(tmp_path):
    """5,000,001 triangles: refused naming max_triangles, fast, without parsing them."""
    path = write_huge(tmp_path / "huge.stl")
    tracemalloc.start()
    try:
        with pytest.raises(GeometryError, match="max_triangles=5000000") as info:
            load_stl(path)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"{HUGE_TRIANGLES} triangles" in str(info.value)
    # Today the file is read whole before the header count is compared (250 MB);
    # parsing it would take > 1 GB. Loose bound: < 1.5x the file.
    assert peak_bytes < 1.5 * path.stat().st_size


def test_byte_cap_refuses_before_reading(tmp_path):
    """A file over max_bytes is refused from its size alone, naming the cap."""
    path = write_huge(tmp_path / "big.stl", n_triangles=10_000)
    tracemalloc.start()
    try:
        with pytest.raises(GeometryError, match="max_bytes=1000"):
            load_stl(path, max_bytes=1000)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_bytes < 100_000


def _part(part_id: str, path: Path) -> Part:
    """A printable PETG part whose STL is ``path``."""
    return Part(
        part_id=part_id,
        unit_cost=10.0,
        annual_demand=2.0,
        lead_time_days=30.0,
        stl_file=path.name,
        stl_path=path,
        printable=True,
    )


@pytest.mark.parametrize(
    "case",
    [_mark(case) for case in CASES if case.outcome == "error"],
)
def test_plan_estimate_parts_reports_bad_stl_and_goes_on(case, lab, tmp_path):
    """estimate_parts: a bad STL makes its part unprintable with a note, the rest go on."""
    printers, materials = lab
    bad = tmp_path / case.name
    bad.write_bytes(case.make())
    good = tmp_path / "cube.stl"
    good.write_bytes(binary_stl(cube_vectors()))
    result = estimate_parts(
        [_part("BAD", bad), _part("GOOD", good)], printers, materials
    )
    assert any(key[0] == "GOOD" for key in result.estimates)
    assert not any(key[0] == "BAD" for key in result.estimates)
    assert any(note.startswith("part BAD:") for note in result.warnings)


def test_plan_estimate_parts_five_million_triangles(lab, tmp_path):
    """estimate_parts names the triangle cap for a 5 M triangle part and goes on."""
    printers, materials = lab
    huge = write_huge(tmp_path / "huge.stl")
    result = estimate_parts([_part("HUGE", huge)], printers, materials)
    assert result.estimates == {}
    assert any("max_triangles" in note for note in result.warnings)


@pytest.mark.parametrize(
    "case",
    [_mark(case) for case in CASES if case.outcome == "error"],
)
def test_cli_estimate_exit_status_two_with_message(case, tmp_path, capsys):
    """`python -m planner estimate bad.stl` exits 2 with 'error: <file>: ...' on stderr."""
    path = tmp_path / case.name
    path.write_bytes(case.make())
    status = cli.main(["estimate", str(path)])
    err = capsys.readouterr().err
    assert status == cli.EXIT_INVALID
    assert f"error: {path}" in err


def test_cli_estimate_warned_mesh_exit_zero(tmp_path, capsys):
    """An open mesh is estimated (exit 0) with its warning on stderr."""
    path = tmp_path / "open.stl"
    path.write_bytes(binary_stl(cube_vectors()[:-2]))
    assert cli.main(["estimate", str(path), "--format", "json"]) == cli.EXIT_OK
    captured = capsys.readouterr()
    assert '"triangles": 10' in captured.out
    assert "not watertight" in captured.err


def test_cli_estimate_five_million_triangles(tmp_path, capsys):
    """The CLI refuses the 5 M triangle file with exit 2, naming the cap."""
    path = write_huge(tmp_path / "huge.stl")
    assert cli.main(["estimate", str(path)]) == cli.EXIT_INVALID
    assert "max_triangles=5000000" in capsys.readouterr().err


def test_whole_corpus_written_and_rss_stays_bounded(tmp_path, lab):
    """The corpus script writes every case; loading all of it keeps peak RSS bounded."""
    from hostile_stl import write_corpus

    written = write_corpus(tmp_path)
    assert set(written) == {*_CASE_IDS, "huge_5M.stl"}
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for path in written.values():
        with contextlib.suppress(PlannerError):
            load_stl(path)
    after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is the process peak [kB]; the 250 MB huge file is the largest read.
    assert after_kb - before_kb < 800_000
