"""The command line, exactly per DESIGN.md: commands, files, columns, exit codes."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from planner.cli import EXIT_INVALID, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "catalog"

SOURCING_MODES = ("buy_stock", "print_stock", "print_on_demand", "hybrid")
SOURCING_COLUMNS = ["part_id", "mode", "printer_id", "reason"] + [
    f"{fig}_{m}"
    for m in SOURCING_MODES
    for fig in ("cost", "printer_hours", "investment")
]
QUEUE_COLUMNS = [
    "job_id", "printer_id", "plate_id", "sequence", "part_id", "quantity", "material",
    "stl_file", "print_time_s", "filament_g", "cost", "earliest_start", "due",
    "priority", "start", "end",
]  # fmt: skip
POLICY_COLUMNS = [
    "part_id", "policy", "reorder_point", "order_up_to", "safety_stock", "fill_rate",
    "expected_backorders", "expected_on_hand", "annual_cost", "demand_per_year",
    "demand_source", "demand_method",
]  # fmt: skip
ESTIMATE_COLUMNS = [
    "file", "triangles", "volume_mm3", "bbox_x_mm", "bbox_y_mm", "bbox_z_mm", "layers",
    "print_time_s", "filament_mm", "filament_g", "material_cost", "machine_cost",
    "total_cost",
]  # fmt: skip


@pytest.fixture(scope="module")
def bad_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten demo rows plus two bad ones (rows 12 and 13 of the file)."""
    folder = tmp_path_factory.mktemp("bad")
    with (DEMO / "parts.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:11]
    bad_cost = list(body[0])
    bad_cost[0], bad_cost[header.index("unit_cost")] = "BAD-COST", "abc"
    bad_lead = list(body[1])
    bad_lead[0], bad_lead[header.index("lead_time_days")] = "BAD-LEAD", "-4"
    path = folder / "parts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body, bad_cost, bad_lead])
    return path


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`plan --out DIR` on the demo catalog, run once for the module."""
    out = tmp_path_factory.mktemp("plan") / "out"
    assert main(["plan", "--out", str(out)]) == EXIT_OK
    return out


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_validate_demo_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo catalog validates with no bad rows and exit status 0."""
    assert main(["validate"]) == EXIT_OK
    assert "0 rows with errors" in capsys.readouterr().out


def test_validate_names_each_bad_row(
    bad_catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate exits 2 and names the row and column of each bad cell."""
    assert main(["validate", str(bad_catalog)]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "row 12, column unit_cost" in err
    assert "row 13, column lead_time_days" in err


def test_plan_with_bad_rows_plans_the_rest(
    bad_catalog: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """plan reports the bad rows on stderr and plans the ten good ones."""
    out = tmp_path / "out"
    assert main(["plan", str(bad_catalog), "--out", str(out)]) == EXIT_OK
    captured = capfd.readouterr()
    assert "row 12, column unit_cost" in captured.err
    _, rows = read_csv(out / "sourcing.csv")
    ids = {r["part_id"] for r in rows}
    assert len(ids) == 10
    assert not ids & {"BAD-COST", "BAD-LEAD"}


def test_plan_writes_every_design_file(demo_plan: Path) -> None:
    """plan --out writes every file DESIGN.md names, with its columns."""
    for name in (
        "policy.csv",
        "sourcing.csv",
        "summary.json",
        "print_queue.csv",
        "print_package.zip",
    ):
        assert (demo_plan / name).is_file(), name
    cols, sourcing = read_csv(demo_plan / "sourcing.csv")
    assert cols[: len(SOURCING_COLUMNS)] == SOURCING_COLUMNS
    assert len(sourcing) == 94
    assert {r["mode"] for r in sourcing} <= set(SOURCING_MODES)
    assert any(r["mode"] == "print_stock" for r in sourcing)
    cols, _ = read_csv(demo_plan / "policy.csv")
    assert set(POLICY_COLUMNS) <= set(cols)
    cols, queue = read_csv(demo_plan / "print_queue.csv")
    assert cols == QUEUE_COLUMNS
    assert queue, "the demo plan prints something"
    printed = {r["part_id"] for r in sourcing if r["printer_id"]}
    assert {r["part_id"] for r in queue} <= printed


def test_summary_json_fields(demo_plan: Path) -> None:
    """summary.json carries DESIGN's fields, and the plan never costs more than all-buy."""
    summary = json.loads((demo_plan / "summary.json").read_text(encoding="utf-8"))
    for key in ("objective", "budget", "total_investment", "baseline_cost", "printers"):
        assert key in summary
    assert summary["objective"] <= summary["baseline_cost"] + 1e-6
    for row in summary["printers"]:
        assert set(row) >= {"printer_id", "capacity_hours", "used_hours"}
        assert 0 <= row["used_hours"] <= row["capacity_hours"] + 1e-6


def test_sourcing_figures_add_up_to_the_objective(demo_plan: Path) -> None:
    """The chosen options' costs in sourcing.csv sum to summary.json's objective."""
    _, rows = read_csv(demo_plan / "sourcing.csv")
    summary = json.loads((demo_plan / "summary.json").read_text(encoding="utf-8"))
    total = sum(float(r[f"cost_{r['mode']}"]) for r in rows)
    assert total == pytest.approx(summary["objective"], rel=1e-9)
    baseline = sum(float(r["cost_buy_stock"]) for r in rows)
    assert baseline == pytest.approx(summary["baseline_cost"], rel=1e-9)


def test_print_package_contents(demo_plan: Path) -> None:
    """print_package.zip holds queue.json/csv, models, 3MF plates and lab manifests."""
    with zipfile.ZipFile(demo_plan / "print_package.zip") as zf:
        names = zf.namelist()
        queue = json.loads(zf.read("queue.json"))
    assert {"queue.json", "queue.csv", "moonraker_job_queue.json"} <= set(names)
    assert any(n.startswith("models/") and n.endswith(".stl") for n in names)
    assert any(n.endswith(".3mf") for n in names)
    assert any(n.startswith("octoprint_continuousprint/") for n in names)
    assert queue["jobs"]


def test_policy_json_is_clean_on_stdout() -> None:
    """`python -m planner policy --format json` prints only JSON on stdout."""
    out = subprocess.run(
        [sys.executable, "-m", "planner", "policy", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        encoding="utf-8",
        check=True,
    )
    rows = json.loads(out.stdout)
    assert len(rows) == 94
    assert set(POLICY_COLUMNS) <= set(rows[0])
    assert {r["demand_source"] for r in rows} == {
        "catalog",
        "history",
        "installed_base",
    }


def test_policy_scenario_adds_just_in_case_stock(tmp_path: Path) -> None:
    """Random EU/NA outages raise S above normal for exposed parts, never lower it."""
    base = tmp_path / "base.json"
    jic = tmp_path / "jic.json"
    scenario = DEMO / "scenarios" / "eu_random_outages.json"
    assert main(["policy", "--format", "json", "--out", str(base)]) == EXIT_OK
    assert (
        main(
            [
                "policy",
                "--scenario",
                str(scenario),
                "--format",
                "json",
                "--out",
                str(jic),
            ]
        )
        == EXIT_OK
    )
    before = {r["part_id"]: r for r in json.loads(base.read_text(encoding="utf-8"))}
    after = json.loads(jic.read_text(encoding="utf-8"))
    raised = [
        r for r in after if r["order_up_to"] > before[r["part_id"]]["order_up_to"]
    ]
    assert raised
    assert all(r["order_up_to"] >= before[r["part_id"]]["order_up_to"] for r in after)
    assert all(r["just_in_case_units"] >= 0 for r in after)
    # only parts of the named regions are exposed
    assert {r["part_id"] for r in raised} <= {
        r["part_id"] for r in after if r["part_id"] in before
    }


def test_estimate_cube(cube_10mm_stl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """estimate prints DESIGN's record per file; a 10 mm cube is 1000 mm^3."""
    assert main(["estimate", str(cube_10mm_stl), "--format", "json"]) == EXIT_OK
    (row,) = json.loads(capsys.readouterr().out)
    assert list(row) == ESTIMATE_COLUMNS
    assert row["volume_mm3"] == pytest.approx(1000.0)
    assert row["layers"] == 50
    assert row["print_time_s"] > 0
    assert row["total_cost"] == pytest.approx(
        row["material_cost"] + row["machine_cost"], abs=1e-3
    )


def test_estimate_with_prusaslicer_config(
    cube_10mm_stl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--config takes a PrusaSlicer .ini: a 0.3 mm profile gives fewer layers."""
    ini = DEMO / "profiles" / "largeformat_petg_0.3.ini"
    assert main(["estimate", str(cube_10mm_stl), "--config", str(ini)]) == EXIT_OK
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert int(rows[0]["layers"]) < 50


def test_estimate_corrupt_stl_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A corrupt STL is an error on stderr with exit status 2, not a traceback."""
    bad = tmp_path / "bad.stl"
    bad.write_bytes(b"not an stl at all")
    assert main(["estimate", str(bad)]) == EXIT_INVALID
    assert "bad.stl" in capsys.readouterr().err


def test_missing_catalog_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A catalog path that does not exist gives exit status 2 and a message."""
    assert main(["validate", "/nonexistent/parts.csv"]) == EXIT_INVALID
    assert "error:" in capsys.readouterr().err


def test_simulate_is_reproducible(capfd: pytest.CaptureFixture[str]) -> None:
    """simulate prints DESIGN's JSON; the same seed gives the same output, bit for bit."""
    scenario = str(DEMO / "scenarios" / "apac_outage_10_weeks.json")
    args = ["simulate", "--scenario", scenario, "--paths", "40", "--seed", "7"]
    assert main(args) == EXIT_OK
    first = capfd.readouterr().out
    assert main(args) == EXIT_OK
    second = capfd.readouterr().out
    assert first == second
    data = json.loads(first)
    assert data["paths"] == 40
    assert data["seed"] == 7
    assert data["horizon_days"] == 365
    for kpi in (
        "fill_rate",
        "stockout_days",
        "backorder_days",
        "downtime_cost",
        "print_hours",
        "inventory_value",
    ):
        block = data[kpi]
        assert block["ci_low"] <= block["mean"] <= block["ci_high"]
    assert len(data["per_part"]) == 94


def test_simulate_reads_a_saved_plan(
    demo_plan: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """--plan DIR simulates the saved choices; an impossible saved choice exits 2."""
    scenario = str(DEMO / "scenarios" / "apac_outage_10_weeks.json")
    args = ["simulate", "--scenario", scenario, "--paths", "30", "--seed", "3"]
    assert main([*args, "--plan", str(demo_plan)]) == EXIT_OK
    saved = json.loads(capfd.readouterr().out)
    assert main(args) == EXIT_OK
    fresh = json.loads(capfd.readouterr().out)
    assert saved == fresh  # the saved plan is the plan the demo gives

    cols, rows = read_csv(demo_plan / "sourcing.csv")
    printed = [r for r in rows if r["mode"] == "print_stock"]
    for r in printed:  # everything back to buying: no print hours remain
        r["mode"], r["printer_id"] = "buy_stock", ""
    edited = tmp_path / "edited"
    edited.mkdir()
    with (edited / "sourcing.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        writer.writerows(rows)
    assert main([*args, "--plan", str(edited)]) == EXIT_OK
    all_buy = json.loads(capfd.readouterr().out)
    assert fresh["print_hours"]["mean"] > 0
    assert all_buy["print_hours"]["mean"] == 0

    rows[0]["mode"], rows[0]["printer_id"] = "print_stock", "NOPE"
    with (edited / "sourcing.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        writer.writerows(rows)
    assert main([*args, "--plan", str(edited)]) == EXIT_INVALID
    assert "not a feasible option" in capfd.readouterr().err


def test_simulate_with_baseline_reports_paired_differences(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """--baseline adds the all-buy run and plan-minus-baseline differences."""
    scenario = str(DEMO / "scenarios" / "eu_random_outages.json")
    args = ["simulate", "--scenario", scenario, "--paths", "30", "--seed", "5"]
    assert main([*args, "--baseline"]) == EXIT_OK
    data = json.loads(capfd.readouterr().out)
    base, plan = data["comparison"]
    assert (base["label"], plan["label"]) == ("baseline", "plan")
    assert data["baseline"]["print_hours"]["mean"] == 0.0
    for kpi in ("fill_rate", "downtime_cost", "inventory_value"):
        assert plan[kpi] == pytest.approx(data[kpi]["mean"])
        assert base[kpi] == pytest.approx(data["baseline"][kpi]["mean"])
        assert plan[f"{kpi}_diff"] == pytest.approx(plan[kpi] - base[kpi])
        assert plan[f"{kpi}_diff_ci_low"] <= plan[f"{kpi}_diff"]


def test_zip_catalog_leaves_no_temporary_folder(tmp_path: Path) -> None:
    """A ZIP catalog is extracted under a temporary folder that is gone afterwards."""
    archive = tmp_path / "catalog.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(DEMO / "parts.csv", "parts.csv")
        for stl in sorted((DEMO / "stl").glob("*.stl"))[:3]:
            zf.write(stl, stl.name)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    out = subprocess.run(
        [sys.executable, "-m", "planner", "validate", str(archive)],
        cwd=ROOT,
        capture_output=True,
        encoding="utf-8",
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert out.returncode == EXIT_OK, out.stderr
    assert "94 valid parts" in out.stdout
    assert list(scratch.iterdir()) == []


def test_policy_budget_and_frontier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """policy --budget prints the allocation within budget; --frontier writes the curve."""
    curve_path = tmp_path / "frontier.csv"
    args = ["policy", "--budget", "20000", "--frontier", str(curve_path)]
    assert main([*args, "--format", "json"]) == EXIT_OK
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert len(rows) == 94
    assert sum(r["investment"] for r in rows) <= 20000
    assert "budget 20,000" in captured.err
    _, curve = read_csv(curve_path)
    assert float(curve[0]["investment"]) == 0.0
    assert float(curve[-1]["total_expected_backorders"]) < 1e-3


def test_estimate_orient_reports_the_orientation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--orient adds the chosen orientation and explains the choice on stderr."""
    stl = DEMO / "stl" / "bracket_photoeye.stl"
    assert main(["estimate", str(stl), "--orient", "--format", "json"]) == EXIT_OK
    captured = capsys.readouterr()
    (row,) = json.loads(captured.out)
    assert list(row)[:-1] == ESTIMATE_COLUMNS
    assert row["orientation"]
    assert "support volume" in captured.err


def test_estimate_engine_prusaslicer_needs_a_config(
    cube_10mm_stl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--engine prusaslicer without --config is a clear error (exit 2)."""
    assert main(["estimate", str(cube_10mm_stl), "--engine", "prusaslicer"]) == 2
    assert "--config" in capsys.readouterr().err


def test_estimate_engine_prusaslicer_matches_its_own_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With prusa-slicer on PATH, the engine reproduces results.csv for the cube."""
    import shutil

    calibration = ROOT.parent / "shared" / "calibration"
    if shutil.which("prusa-slicer") is None or not calibration.is_dir():
        pytest.skip("prusa-slicer or ../shared/calibration not available")
    args = [
        "estimate",
        str(calibration / "A01_cube_20.stl"),
        "--config",
        str(calibration / "anchor_fff_pla.ini"),
        "--engine",
        "prusaslicer",
        "--format",
        "json",
    ]
    assert main(args) == EXIT_OK
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["print_time_s"], row["filament_mm"], row["layers"]) == (
        1022.0,
        1394.06,
        100,
    )


def test_plan_writes_the_print_estimates(demo_plan: Path) -> None:
    """estimates.csv lists each printable part on each printer that can make it."""
    cols, rows = read_csv(demo_plan / "estimates.csv")
    assert {"part_id", "printer_id", "layers", "print_time_h", "warnings"} <= set(cols)
    assert len({r["part_id"] for r in rows}) >= 20
    assert all(r["file"].endswith(".stl") for r in rows)
    sourcing = {r["part_id"]: r for r in read_csv(demo_plan / "sourcing.csv")[1]}
    for r in rows:  # every estimate belongs to a printable part of the plan
        assert r["part_id"] in sourcing


def test_plan_sweep_and_fill_floor(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """--sweep writes the budget frontier; a bad --min-fill-rate is a clear error."""
    out = tmp_path / "out"
    args = ["plan", "--sweep", "4", "--min-fill-rate", "V=0.99", "--out", str(out)]
    assert main(args) == EXIT_OK
    _, rows = read_csv(out / "budget_sweep.csv")
    assert len(rows) == 5  # four budgets and no budget
    costs = [float(r["objective"]) for r in rows if r["status"] == "Optimal"]
    assert costs == sorted(costs, reverse=True)  # more budget never costs more
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert costs[-1] == pytest.approx(summary["objective"])
    capfd.readouterr()
    assert main(["plan", "--min-fill-rate", "X=2", "--out", str(out)]) == EXIT_INVALID
    assert "--min-fill-rate" in capfd.readouterr().err


# ------------------------------------------------------------- solver faults


@pytest.fixture(scope="module")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three printable and three stock-only demo rows: a plan in a second or two."""
    with (DEMO / "parts.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    demand = [r for r in body if r[col["annual_demand"]]]
    printable = [r for r in demand if r[col["stl_file"]]][:3]
    plain = [r for r in demand if not r[col["stl_file"]]][:3]
    path = tmp_path_factory.mktemp("small") / "parts_small.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *printable, *plain])
    return path


def test_plan_infeasible_budget_exits_2_with_the_binding_limit(
    small_catalog: Path, tmp_path: Path
) -> None:
    """`plan --budget 1` cannot be met: exit 2, one error line naming the
    investment budget and its shortfall, no traceback, and the output folder
    (with a file of the user's in it) gets nothing."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "planner", "plan", str(small_catalog)),
            *("--stl-dir", str(DEMO / "stl"), "--budget", "1", "--out", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == EXIT_INVALID
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "error: no sourcing plan: investment budget 1 is" in errors[0]
    assert "short of the cheapest feasible plan" in errors[0]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_plan_time_limit_writes_the_best_plan_with_its_status(
    small_catalog: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A solver stopped by --time-limit with a plan: exit 0, a one-line warning
    naming the time limit, summary.json status 'Feasible' with the detail."""
    import pulp

    from planner import sourcing

    real_run = sourcing._run

    def stopped(model, params):
        status, _, seconds = real_run(model, params)
        return status, pulp.LpSolutionIntegerFeasible, seconds

    monkeypatch.setattr(sourcing, "_run", stopped)
    out = tmp_path / "out"
    args = ["plan", str(small_catalog), "--stl-dir", str(DEMO / "stl")]
    assert main([*args, "--time-limit", "0.5", "--out", str(out)]) == EXIT_OK
    err = capfd.readouterr().err
    assert "warning: the sourcing solver hit its time limit (0.5 s)" in err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "Feasible"
    assert "time limit (0.5 s)" in summary["status_detail"]


def test_plan_time_limit_without_a_plan_exits_2(
    small_catalog: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A solver stopped before it found any plan: exit 2, an error naming the
    time limit and how to allow more, no files written; a --time-limit that is
    not a positive number is refused by the parser (exit 2)."""
    import pulp

    from planner import sourcing

    monkeypatch.setattr(
        sourcing,
        "_run",
        lambda model, params: ("Not Solved", pulp.LpSolutionNoSolutionFound, 0.01),
    )
    out = tmp_path / "out"
    args = ["plan", str(small_catalog), "--stl-dir", str(DEMO / "stl")]
    assert main([*args, "--time-limit", "0.01", "--out", str(out)]) == EXIT_INVALID
    err = capfd.readouterr().err
    assert "error: no sourcing plan: the solver stopped with status 'Not Solved'" in err
    assert "--time-limit" in err
    assert not out.exists()
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--time-limit", "-1", "--out", str(out)])
    assert exit_info.value.code == EXIT_INVALID
    assert "expected seconds > 0" in capfd.readouterr().err


# -- simulate: several scenarios, saved runs, fan bands, re-plan ------------------

TWO_PRESETS = ("Lead times double", "APAC region out 10 weeks")
TRACKED_PART = "SP-10017"
KPIS = (
    "fill_rate",
    "stockout_days",
    "backorder_days",
    "downtime_cost",
    "print_hours",
    "inventory_value",
)


def run_cli(args: list[str]) -> tuple[int, str]:
    """``main(args)`` in-process with stdout captured as text."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(args)
    return status, buffer.getvalue()


@pytest.fixture(scope="module")
def two_preset_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """Two presets on one seed, one part tracked, the runs saved: (JSON, file)."""
    saved = tmp_path_factory.mktemp("whatif") / "runs.json"
    args = ["simulate", "--paths", "24", "--seed", "11", "--track", TRACKED_PART]
    for name in TWO_PRESETS:
        args += ["--preset", name]
    status, out = run_cli([*args, "--save", str(saved)])
    assert status == EXIT_OK
    return json.loads(out), saved


def test_simulate_two_presets_compares_runs_with_paired_differences(
    two_preset_runs: tuple[dict, Path],
) -> None:
    """Two presets give two runs and a comparison whose differences are the
    paired ones: the difference of the means with 1.96 x the standard error of
    the per-path differences (recomputed from the saved per-path KPIs)."""
    from planner.whatif import COMPARISON_COLUMNS, results_from_json

    data, saved = two_preset_runs
    labels = [f"{name} · plan" for name in TWO_PRESETS]
    assert [run["label"] for run in data["runs"]] == labels
    assert data["reference"] == labels[0]
    assert all(run["paths"] == 24 and run["seed"] == 11 for run in data["runs"])
    table = data["comparison"]
    assert len(table) == len(KPIS) * 2
    assert all(list(row) == list(COMPARISON_COLUMNS) for row in table)
    runs = results_from_json(saved.read_bytes())
    ref, other = runs[labels[0]], runs[labels[1]]
    z = stats.norm.ppf(0.975)
    for kpi in KPIS:
        first, second = (r for r in table if r["kpi"] == kpi)
        assert first["run"] == labels[0]
        assert first["diff"] == 0.0
        assert second["paired"] is True
        means = {run["label"]: run[kpi]["mean"] for run in data["runs"]}
        assert second["mean"] == means[labels[1]]
        assert second["diff"] == pytest.approx(means[labels[1]] - means[labels[0]])
        if kpi == "fill_rate":  # ratio estimator: delta-method terms per path
            terms = [
                r.path_kpis["units_served"]
                - r.kpis["fill_rate"].mean * r.path_kpis["units_demanded"]
                for r in (other, ref)
            ]
            scale = [np.mean(r.path_kpis["units_demanded"]) for r in (other, ref)]
            per_path = terms[0] / scale[0] - terms[1] / scale[1]
        else:
            per_path = other.path_kpis[kpi] - ref.path_kpis[kpi]
        half = z * np.std(per_path, ddof=1) / np.sqrt(24)
        assert second["diff_ci_low"] == pytest.approx(second["diff"] - half, rel=1e-9)
        assert second["diff_ci_high"] == pytest.approx(second["diff"] + half, rel=1e-9)
        assert second["significant"] == (
            second["diff_ci_low"] > 0 or second["diff_ci_high"] < 0
        )


def test_simulate_save_then_load_reproduces_the_numbers(
    two_preset_runs: tuple[dict, Path],
) -> None:
    """--load of a --save file gives back every run and comparison figure exactly,
    labelled 'saved: LABEL', without planning again."""
    data, saved = two_preset_runs
    status, out = run_cli(["simulate", "--load", str(saved)])
    assert status == EXIT_OK
    back = json.loads(out)
    assert [r["label"] for r in back["runs"]] == [
        f"saved: {r['label']}" for r in data["runs"]
    ]
    for old, new in zip(data["runs"], back["runs"], strict=True):
        assert {**new, "label": old["label"]} == old
    for old, new in zip(data["comparison"], back["comparison"], strict=True):
        assert {**new, "run": old["run"]} == old
    status, out = run_cli(["simulate", "--load", str(saved), "--load", str(saved)])
    assert status == EXIT_OK
    labels = [r["label"] for r in json.loads(out)["runs"]]
    assert len(labels) == 4
    assert len(set(labels)) == 4


def test_simulate_csv_comparison_against_a_chosen_reference(
    two_preset_runs: tuple[dict, Path],
) -> None:
    """--format csv prints the comparison table; --reference moves the zero row."""
    from planner.whatif import COMPARISON_COLUMNS

    data, saved = two_preset_runs
    reference = f"saved: {data['runs'][1]['label']}"
    args = ["simulate", "--load", str(saved), "--format", "csv"]
    status, out = run_cli([*args, "--reference", reference])
    assert status == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(COMPARISON_COLUMNS)
    assert len(rows) == len(KPIS) * 2
    json_diff = {r["kpi"]: r["diff"] for r in data["comparison"][1::2]}
    for row in rows:  # the other way round: the same differences, negated
        expected = 0.0 if row["run"] == reference else -json_diff[row["kpi"]]
        assert float(row["diff"]) == pytest.approx(expected, abs=1e-12)


def test_simulate_track_gives_daily_quantile_bands(
    two_preset_runs: tuple[dict, Path],
) -> None:
    """--track gives, per run, 365 days x 5 on-hand quantiles that never decrease
    from the 5 % to the 95 % quantile, are never negative, and equal the saved
    run's own band."""
    from planner.whatif import results_from_json

    data, saved = two_preset_runs
    assert data["on_hand_quantiles"] == [0.05, 0.25, 0.5, 0.75, 0.95]
    bands = data["on_hand_bands"][TRACKED_PART]
    runs = results_from_json(saved.read_bytes())
    assert list(bands) == list(runs)
    for label, rows in bands.items():
        band = np.asarray(rows)
        assert band.shape == (365, 5)
        assert np.all(np.diff(band, axis=1) >= 0)
        assert np.all(band >= 0)
        np.testing.assert_array_equal(band, runs[label].on_hand_band(TRACKED_PART))


def test_simulate_replan_reports_deltas_and_changed_parts(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """--replan keeps the one-scenario record and adds the headline deltas
    (change = after - before, parts per mode summing to the catalog) and the
    parts whose decision changed, with the re-planned run simulated too."""
    args = ["simulate", "--preset", "lead times double", "--paths", "10", "--replan"]
    status, out = run_cli(args)
    assert status == EXIT_OK
    data = json.loads(out)
    assert data["scenario"] == "Lead times double"
    assert set(KPIS) <= set(data)
    assert len(data["per_part"]) == 94
    replan = data["replan"]
    assert set(replan) == {"scenario", "run", "delta", "changed_parts", "simulation"}
    assert replan["run"] == "Lead times double · re-plan"
    assert replan["simulation"]["paths"] == 10
    figures = {row["figure"]: row for row in replan["delta"]}
    for name in ("objective", "total_investment", "expected_fill_rate", "n_printed"):
        row = figures[name]
        assert row["change"] == pytest.approx(row["after"] - row["before"])
    for side in ("before", "after"):
        modes = ("buy_stock", "print_stock", "print_on_demand", "hybrid")
        assert sum(figures[f"n_{m}"][side] for m in modes) == 94
    assert replan["changed_parts"]  # doubled lead times move some stock levels
    for part in replan["changed_parts"]:
        assert part["change"]
        moved = (
            part["mode_before"] != part["mode_after"],
            part["printer_before"] != part["printer_after"],
            part["stock_before"] != part["stock_after"],
        )
        assert any(moved)


def test_simulate_unknown_preset_exits_2_listing_the_presets(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """An unknown --preset exits 2 with one line naming every valid preset."""
    from planner.scenarios import PRESETS

    assert main(["simulate", "--preset", "Martian invasion"]) == EXIT_INVALID
    err = capfd.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert "'Martian invasion'" in err
    assert all(repr(name) in err for name in PRESETS)


def test_simulate_bad_files_and_missing_scenario_exit_2(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A bad results file, a bad scenario file, no scenario at all and --replan
    with only saved runs each exit 2 with the core's one-line message."""
    not_results = tmp_path / "results.json"
    not_results.write_text('{"format": "something else", "runs": []}')
    bad_scenario = tmp_path / "scenario.json"
    bad_scenario.write_text('{"name": "x", "events": [{"type": "meteor"}]}')
    cases = [
        (["--load", str(not_results)], "format must be 'sparecast-whatif-results'"),
        (["--scenario", str(bad_scenario)], "meteor"),
        ([], "give at least one --scenario FILE or --preset NAME"),
        (["--load", str(not_results), "--replan"], "format must be"),
    ]
    for extra, message in cases:
        assert main(["simulate", *extra]) == EXIT_INVALID
        err = capfd.readouterr().err
        assert err.startswith("error: ")
        assert message in err
        assert err.count("\n") == 1
        assert "Traceback" not in err
