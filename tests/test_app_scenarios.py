"""The Scenarios page (issue 6), run headless with AppTest on the demo catalog.

The caches in ``planner.ui.cache`` are process-wide, so the demo plan is computed
once (by the fixture below, as a visit to the Print vs stock page would) and the
simulations are shared between the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import whatif
from planner.ui import cache

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "planner/ui/pages/scenarios_page.py"
TWO_PRESETS = ["APAC region out 10 weeks", "Lead times double"]
N_PATHS = 40


@pytest.fixture(scope="module", autouse=True)
def demo_plan() -> None:
    """Plan the demo once, as the Print vs stock page would before a what-if."""
    cache.get_plan(cache.default_request(cache.demo_source()))


def _page() -> AppTest:
    """The app switched to the Scenarios page and run."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _run_presets(at: AppTest, names: list[str]) -> None:
    """Pick presets and run them against plan and baseline (timing: benchmarks/)."""
    at.multiselect(key="scenarios_presets").set_value(names).run()
    at.number_input(key="scenarios_paths").set_value(N_PATHS).run()
    at.button(key="scenarios_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _frame_with(at: AppTest, column: str):
    """The first dataframe on the page that has ``column``."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no dataframe with column {column!r}")


def test_page_renders_on_the_demo_without_upload() -> None:
    """With nothing run yet the page shows its widgets and asks for a run."""
    at = _page()
    assert at.multiselect(key="scenarios_presets").value == [TWO_PRESETS[0]]
    assert any("run them" in i.value for i in at.info)
    assert len(at.get("download_button")) == 2  # the chosen scenario as JSON, YAML


def test_two_presets_show_side_by_side_with_differences_in_time() -> None:
    """Two presets x {plan, baseline}: KPI rows for all four runs, diffs vs ref."""
    at = _page()
    _run_presets(at, TWO_PRESETS)
    table = at.dataframe[0].value
    runs = {
        whatif.run_label(s, p)
        for s in TWO_PRESETS
        for p in (whatif.PLAN_LABEL, whatif.BASELINE_LABEL)
    }
    assert set(table["run"]) == runs
    reference = whatif.run_label(TWO_PRESETS[0], whatif.PLAN_LABEL)
    column = f"difference vs {reference}"
    other = table[(table["kpi"] == "stockout_days") & (table["run"] != reference)]
    assert (other[column] != "").all()
    assert (other["difference 95% CI"].str.startswith("[")).all()
    assert len(at.get("download_button")) == 4
    at.selectbox(key="scenarios_reference").select(
        whatif.run_label(TWO_PRESETS[1], whatif.BASELINE_LABEL)
    ).run()
    assert not at.exception
    assert any(c.startswith("difference vs Lead times") for c in at.dataframe[0].value)


def test_replan_shows_what_changes() -> None:
    """Re-planning under a scenario shows the figure deltas and the parts diff."""
    at = _page()
    _run_presets(at, TWO_PRESETS[:1])
    at.button(key="scenarios_replan").click().run()
    assert not at.exception, at.exception
    delta = _frame_with(at, "figure")
    assert {"objective", "total_investment"} <= set(delta["figure"])
    diff = _frame_with(at, "stock_change")
    assert list(diff.columns) == list(whatif.PLAN_DIFF_COLUMNS)
    assert (diff["change"] != "").all()
    labels = set(at.dataframe[0].value["run"])
    assert whatif.run_label(TWO_PRESETS[0], whatif.REPLAN_LABEL) in labels


def test_bad_uploaded_scenario_shows_the_cores_error() -> None:
    """An unknown field in an uploaded file is reported with its name, no crash."""
    at = _page()
    bad = {
        "name": "bad",
        "events": [
            {
                "type": "supplier_outage",
                "supplier_region": "APAC",
                "start_day": 1,
                "duration_days": 5,
                "colour": "red",
            }
        ],
    }
    at.file_uploader(key="scenarios_upload").upload(
        "bad.json", json.dumps(bad).encode(), "application/json"
    ).run()
    assert not at.exception
    messages = [e.value for e in at.error]
    assert any("events[0]" in m and "unknown field 'colour'" in m for m in messages)


def test_uploaded_yaml_scenario_joins_the_choice() -> None:
    """A good YAML upload is offered for download beside the preset."""
    at = _page()
    text = "name: Yard flood\nevents:\n  - {type: lead_time_multiplier, factor: 4}\n"
    at.file_uploader(key="scenarios_upload").upload(
        "flood.yaml", text.encode(), "application/yaml"
    ).run()
    assert not at.exception
    options = at.selectbox(key="scenarios_download_choice").options
    assert options == [TWO_PRESETS[0], "Yard flood"]


def test_builder_adds_a_scenario_from_widgets() -> None:
    """Without events the core's message shows; one event makes a scenario."""
    at = _page()
    assert any("add at least one event" in i.value for i in at.info)
    at.text_input(key="scenarios_builder_name").input("Built outage").run()
    at.button(key="scenarios_builder_add").click().run()
    at.button(key="scenarios_builder_keep").click().run()
    assert not at.exception
    options = at.selectbox(key="scenarios_download_choice").options
    assert "Built outage" in options


def test_saved_results_round_trip_and_compare_with_a_new_run() -> None:
    """Results saved from a run, uploaded again, equal a fresh run of the same inputs.

    The saved runs share seed and paths with the new runs, so their paired
    differences against them are exactly zero.
    """
    request = cache.default_request(cache.demo_source())
    texts = [cache.scenario_json(cache.preset(TWO_PRESETS[0]))]
    runs = cache.whatif_runs(
        request,
        texts,
        n_paths=N_PATHS,
        seed=0,
        plans=[whatif.PLAN_LABEL, whatif.BASELINE_LABEL],
    )
    saved = whatif.results_to_json(runs).encode()
    at = _page()
    at.file_uploader(key="scenarios_saved_upload").upload(
        "whatif_results.json", saved, "application/json"
    ).run()
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["run"]) == {f"saved: {k}" for k in runs}
    _run_presets(at, TWO_PRESETS[:1])
    reference = whatif.run_label(TWO_PRESETS[0], whatif.PLAN_LABEL)
    at.selectbox(key="scenarios_reference").select(reference).run()
    table = at.dataframe[0].value
    saved_row = table[
        (table["kpi"] == "stockout_days") & (table["run"] == f"saved: {reference}")
    ]
    assert saved_row[f"difference vs {reference}"].tolist() == ["0"]


def test_bad_saved_results_upload_shows_the_error() -> None:
    """A file that is not a saved result is reported, the page goes on."""
    at = _page()
    at.file_uploader(key="scenarios_saved_upload").upload(
        "junk.json", b'{"format": "nope"}', "application/json"
    ).run()
    assert not at.exception
    assert any("format must be" in e.value for e in at.error)
