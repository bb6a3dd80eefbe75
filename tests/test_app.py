"""The Streamlit app, run headless with AppTest: every page renders without an
exception, and the key elements (metrics, error tables, plan results) show up.

The caches in ``planner.ui.cache`` are process-wide, so the plan of the demo catalog
is computed once and shared by the tests below.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from planner.errors import CatalogError
from planner.ui import cache

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGES = (
    "planner/ui/pages/catalog_page.py",
    "planner/ui/pages/policy_page.py",
    "planner/ui/pages/sourcing_page.py",
    "planner/ui/pages/scenarios_page.py",
    "planner/ui/pages/queue_page.py",
)


def _app() -> AppTest:
    """The app after its first run (the Catalog page, the default)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _page(page: str) -> AppTest:
    """The app switched to ``page`` and run."""
    at = _app()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, label: str) -> str:
    """The value of the metric whose label starts with ``label``."""
    for metric in at.metric:
        if metric.label.startswith(label):
            return metric.value
    raise AssertionError(f"no metric {label!r}; have {[m.label for m in at.metric]}")


def _demo_rows(n: int) -> tuple[list[str], list[list[str]]]:
    """Header and the first ``n`` demo rows that carry their own annual_demand."""
    with (ROOT / "catalog" / "parts.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [r for r in reader if r[header.index("annual_demand")].strip()]
    return header, rows[:n]


def _csv_with_bad_row() -> tuple[bytes, int]:
    """Five good demo rows and one with unit_cost 'abc'; the bad row's number."""
    header, rows = _demo_rows(6)
    rows[3][header.index("unit_cost")] = "abc"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(), 3 + 2  # header is row 1


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(page: str) -> None:
    """Each page runs to the end on the demo catalog without an exception."""
    at = _page(page)
    assert at.title[0].value


def test_catalog_page_shows_demo_parts() -> None:
    """The demo catalog loads with at least 60 parts and an editable parts table."""
    at = _app()
    assert int(_metric(at, "Parts")) >= 60
    assert int(_metric(at, "Printable")) >= 20
    assert len(at.get("data_editor")) == 1


def test_catalog_upload_reports_bad_row() -> None:
    """An uploaded CSV with a bad cell lists that row and column; good rows stay."""
    data, bad_row = _csv_with_bad_row()
    at = _app()
    at.file_uploader(key="catalog_upload").upload("parts.csv", data, "text/csv").run()
    assert not at.exception
    assert int(_metric(at, "Parts")) == 5
    errors = at.table[0].value.reset_index()
    assert bad_row in errors["row"].astype(int).tolist()
    assert "unit_cost" in errors["column"].tolist()
    assert any("uploaded parts.csv" in c.value for c in at.caption)


def test_catalog_upload_unreadable_shows_error() -> None:
    """A table without the required columns gives an st.error, not a traceback."""
    at = _app()
    at.file_uploader(key="catalog_upload").upload(
        "junk.csv", b"foo,bar\n1,2\n", "text/csv"
    ).run()
    assert not at.exception
    assert at.error
    assert int(_metric(at, "Parts")) >= 60  # still the demo


def test_policy_page_with_preset_scenario() -> None:
    """The policy table follows the scenario picker and offers CSV/XLSX downloads."""
    at = _page("planner/ui/pages/policy_page.py")
    at.selectbox(key="policy_scenario_choice").select("APAC region out 10 weeks").run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    frame = next(f for f in frames if "just_in_case_units" in f.columns)
    assert {"part_id", "order_up_to", "just_in_case_units"} <= set(frame.columns)
    assert len(frame) >= 60
    assert len(at.get("download_button")) == 4  # policy CSV/XLSX, frontier, allocation


def test_policy_page_budget_frontier_follows_the_budget() -> None:
    """The allocation shown never spends more than the budget typed in."""
    at = _page("planner/ui/pages/policy_page.py")
    at.number_input(key="policy_budget").set_value(15000.0).run()
    assert not at.exception
    invested = float(_metric(at, "Invested").replace(",", ""))
    assert 0 < invested <= 15000.0
    frames = [d.value for d in at.dataframe]
    alloc = next(f for f in frames if "base_stock_level" in f.columns)
    assert alloc["investment"].sum() == pytest.approx(invested, rel=1e-3, abs=1.0)


def test_sourcing_page_shows_objective() -> None:
    """Running the plan shows the objective against the all-buy baseline."""
    at = _page("planner/ui/pages/sourcing_page.py")
    at.button(key="sourcing_run").click().run()
    assert not at.exception
    objective = float(_metric(at, "Objective").replace(",", ""))
    baseline = float(_metric(at, "All-buy baseline").replace(",", ""))
    assert 0 < objective <= baseline + 1e-6
    assert len(at.dataframe[0].value) >= 60
    sweep = next(d.value for d in at.dataframe if "n_printed" in d.value.columns)
    feasible = sweep.dropna(subset=["objective"])
    assert len(feasible) >= 2
    assert feasible["objective"].is_monotonic_decreasing  # more budget never costs more
    options = next(d.value for d in at.dataframe if "chosen" in d.value.columns)
    assert list(options["mode"]) == [
        "buy_stock",
        "print_stock",
        "print_on_demand",
        "hybrid",
    ]
    assert options["chosen"].sum() == 1
    at.selectbox(key="sourcing_part").select("SP-10122").run()  # the star wheel
    assert not at.exception
    estimates = next(d.value for d in at.dataframe if "layers" in d.value.columns)
    assert estimates["part_id"].nunique() >= 20  # every printable demo part
    assert (estimates["layers"] > 0).all()
    assert (estimates["print_time_h"] > 0).all()


def test_sourcing_page_infeasible_budget_is_an_error_message() -> None:
    """A budget too small for the parts that must be stocked shows st.error."""
    at = _page("planner/ui/pages/sourcing_page.py")
    at.number_input(key="sourcing_budget").set_value(1.0)
    at.button(key="sourcing_run").click().run()
    assert not at.exception
    assert at.error
    assert "budget" in at.error[0].value.lower()


def test_scenarios_page_runs_a_preset() -> None:
    """A preset runs for plan and baseline with one seed; the KPI table has CIs."""
    at = _page("planner/ui/pages/scenarios_page.py")
    at.number_input(key="scenarios_paths").set_value(40)
    at.button(key="scenarios_run").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["kpi"]) >= {"fill_rate", "stockout_days", "downtime_cost"}
    assert "difference 95% CI" in table.columns
    assert len(at.get("download_button")) == 4


def test_queue_page_plans_on_request() -> None:
    """The queue page plans on a click and shows jobs, a Gantt chart and downloads."""
    at = _page("planner/ui/pages/queue_page.py")
    at.button(key="queue_run").click().run()
    assert not at.exception
    n_jobs = int(_metric(at, "Print jobs"))
    assert len(at.dataframe[0].value) == n_jobs
    assert len(at.get("download_button")) == 4


def test_queue_page_offers_each_package_file() -> None:
    """The package's single files are listed, and a chosen 3MF plate gets its button."""
    at = _page("planner/ui/pages/queue_page.py")
    at.button(key="queue_run").click().run()
    at.toggle(key="queue_package_files").set_value(True).run()
    assert not at.exception
    names = at.selectbox(key="queue_package_file").options
    assert "queue.json" in names
    assert "queue.csv" in names
    plates = [n for n in names if n.endswith(".3mf")]
    assert plates
    assert any(n.endswith(".stl") for n in names)
    at.selectbox(key="queue_package_file").set_value(plates[0]).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 5
    assert any(plates[0].rsplit("/", 1)[-1] in str(b.proto) for b in buttons)


def test_upload_source_rejects_ambiguous_uploads(tmp_path: Path) -> None:
    """Two catalog tables, or a file of another type, raise CatalogError."""
    with pytest.raises(CatalogError, match="exactly one catalog table"):
        cache.upload_source([("a.csv", b"x"), ("b.csv", b"y")], workdir=tmp_path)
    with pytest.raises(CatalogError, match=r"expected a \.csv"):
        cache.upload_source([("a.csv", b"x"), ("evil.exe", b"y")], workdir=tmp_path)


def test_upload_source_writes_stls_only_into_workdir(tmp_path: Path) -> None:
    """STL names are reduced to base names, so '../' cannot escape the workdir."""
    work = tmp_path / "work"
    source = cache.upload_source(
        [("parts.csv", b"x"), ("../../escape.stl", b"solid")], workdir=work
    )
    written = list(work.rglob("*.stl"))
    assert [p.name for p in written] == ["escape.stl"]
    assert Path(source.stl_dir) == written[0].parent
    assert not (tmp_path / "escape.stl").exists()


def test_edited_table_is_revalidated_by_the_core() -> None:
    """An edit that breaks a cell is reported as that row's error after re-import."""
    demo = cache.demo_source()
    catalog = cache.get_catalog(demo)
    frame = cache.parts_frame(catalog)
    frame.loc[2, "lead_time_days"] = -5.0
    edited = cache.edited_source(frame, base=demo, catalog=catalog)
    again = cache.get_catalog(edited)
    assert len(again.parts) == len(catalog.parts) - 1
    assert [(e.row, e.column) for e in again.errors] == [(4, "lead_time_days")]
    unchanged = cache.get_catalog(
        cache.edited_source(cache.parts_frame(catalog), base=demo, catalog=catalog)
    )
    assert unchanged.part_ids == catalog.part_ids
    assert cache.catalog_metrics(unchanged) == cache.catalog_metrics(catalog)


def test_requeue_follows_edited_priorities() -> None:
    """Raising one part's priority never delays its first plate; plates never overlap."""
    request = cache.default_request(cache.demo_source())
    result = cache.get_plan(request)
    jobs = result.queue.jobs
    if len({j.part_id for j in jobs}) < 2:
        pytest.skip("the demo plan prints fewer than two parts")
    frame = cache.priority_frame(result)
    last = frame["part_id"].iloc[-1]
    frame.loc[frame.index[-1], "priority"] = 1e6
    text = cache.priorities_json(frame)
    again = cache.get_queue_plan(request, text).queue
    assert sorted((j.part_id, j.quantity) for j in again.jobs) == sorted(
        (j.part_id, j.quantity) for j in jobs
    )
    first_before = min(j.start for j in jobs if j.part_id == last)
    first_after = min(j.start for j in again.jobs if j.part_id == last)
    assert first_after <= first_before
    for printer_id in {j.printer_id for j in again.jobs}:
        mine = sorted(
            (j for j in again.jobs if j.printer_id == printer_id),
            key=lambda j: j.sequence,
        )
        plates = list({j.plate_id: j for j in reversed(mine)}.values())[::-1]
        for job in mine:  # jobs packed on one plate print together
            plate = next(p for p in plates if p.plate_id == job.plate_id)
            assert (job.start, job.end) == (plate.start, plate.end)
        starts = np.array([j.start.timestamp() for j in plates])
        ends = np.array([j.end.timestamp() for j in plates])
        assert np.all(starts[1:] >= ends[:-1] - 1e-6)
        assert all(
            j.end - j.start >= timedelta(seconds=round(j.print_time_s) - 1)
            for j in mine
        )


def test_catalog_apply_edits_feeds_other_pages() -> None:
    """Applying the editor re-imports the table; other pages then use the edit."""
    at = _app()
    at.button(key="catalog_apply").click().run()
    assert not at.exception
    assert any("demo catalog, edited" in c.value for c in at.caption)
    at.switch_page("planner/ui/pages/policy_page.py").run()
    assert not at.exception
    assert any("demo catalog, edited" in c.value for c in at.caption)


def test_queue_page_reruns_with_priorities() -> None:
    """Re-running the queue from the priority editor keeps every job and no error."""
    at = _page("planner/ui/pages/queue_page.py")
    at.button(key="queue_run").click().run()
    n_jobs = int(_metric(at, "Print jobs"))
    at.button(key="queue_rerun").click().run()
    assert not at.exception
    assert int(_metric(at, "Print jobs")) == n_jobs
    assert at.button(key="queue_reset")
