"""What-if tables (planner.whatif) on hand-built results and plans.

Simulation results are built by hand with known per-path values, so every mean,
difference and interval is checked against numpy arithmetic done here; plans are
hand-built :class:`SourcingPlan` records whose differences are known by eye.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from planner import whatif
from planner.errors import PlannerError, ScenarioError
from planner.scenarios import (
    KPI,
    KPI_NAMES,
    PRESETS,
    SimulationPlan,
    SimulationResult,
    load_scenarios,
    simulate,
)
from planner.sourcing import SourcingPlan

Z_95 = 1.959963984540054


def _result(
    path_values: dict[str, np.ndarray],
    *,
    seed: int = 0,
    name: str = "s",
    per_part: list[dict] | None = None,
    quantiles: np.ndarray | None = None,
    part_id: tuple[str, ...] = ("A", "B"),
    load: np.ndarray | None = None,
    printer_ids: tuple[str, ...] = (),
) -> SimulationResult:
    """A result whose KPIs are the plain means of the given per-path values."""
    n = len(next(iter(path_values.values())))
    path_kpis = {k: np.asarray(v, dtype=float) for k, v in path_values.items()}
    path_kpis.setdefault("fill_rate", np.ones(n))
    path_kpis.setdefault("units_served", path_kpis["fill_rate"] * 10.0)
    path_kpis.setdefault("units_demanded", np.full(n, 10.0))
    for kpi_name in KPI_NAMES:
        path_kpis.setdefault(kpi_name, np.zeros(n))
    kpis = {}
    for kpi_name in KPI_NAMES:
        v = path_kpis[kpi_name]
        half = Z_95 * np.std(v, ddof=1) / math.sqrt(n)
        kpis[kpi_name] = KPI(
            mean=v.mean(), ci_low=v.mean() - half, ci_high=v.mean() + half
        )
    if quantiles is None:
        quantiles = np.zeros((0, len(part_id), 5), dtype=np.float32)
    return SimulationResult(
        paths=n,
        seed=seed,
        horizon_days=30,
        scenario_name=name,
        kpis=kpis,
        per_part=per_part or [],
        path_kpis=path_kpis,
        part_id=part_id,
        on_hand_quantiles=quantiles,
        printer_ids=printer_ids,
        printer_load_hours=np.zeros((0, 0)) if load is None else load,
    )


def test_comparison_table_paired_differences_match_hand_arithmetic() -> None:
    """Same seed: diff = mean difference, CI = diff ± z·sd(paired diffs)/√n."""
    a = np.array([1.0, 4.0, 2.0, 5.0, 3.0])
    b = a + np.array([2.0, 2.5, 1.5, 2.0, 2.0])
    runs = {"x": _result({"stockout_days": a}), "y": _result({"stockout_days": b})}
    table = whatif.comparison_table(runs, reference="x")
    assert list(table.columns) == list(whatif.COMPARISON_COLUMNS)
    assert len(table) == 2 * len(KPI_NAMES)
    row = table[(table["kpi"] == "stockout_days") & (table["run"] == "y")].iloc[0]
    d = b - a
    half = Z_95 * np.std(d, ddof=1) / math.sqrt(len(d))
    assert row["mean"] == pytest.approx(b.mean())
    assert row["diff"] == pytest.approx(d.mean())
    assert row["diff_ci_low"] == pytest.approx(d.mean() - half)
    assert row["diff_ci_high"] == pytest.approx(d.mean() + half)
    assert row["paired"]
    assert row["significant"]
    ref = table[(table["kpi"] == "stockout_days") & (table["run"] == "x")].iloc[0]
    assert (ref["diff"], ref["diff_ci_low"], ref["significant"]) == (0.0, 0.0, False)


def test_comparison_table_other_seed_uses_independent_interval() -> None:
    """Different seeds: the two standard errors combine as independent."""
    a = np.array([1.0, 4.0, 2.0, 5.0, 3.0])
    b = np.array([3.0, 3.0, 6.0, 4.0, 5.0])
    runs = {
        "x": _result({"backorder_days": a}),
        "y": _result({"backorder_days": b}, seed=9),
    }
    table = whatif.comparison_table(runs)
    row = table[(table["kpi"] == "backorder_days") & (table["run"] == "y")].iloc[0]
    se = math.hypot(np.std(a, ddof=1), np.std(b, ddof=1)) / math.sqrt(5)
    assert not row["paired"]
    assert row["diff_ci_high"] - row["diff"] == pytest.approx(Z_95 * se)


def test_comparison_table_keeps_run_order_with_a_later_reference() -> None:
    """The reference may be any run; rows keep the given run order, KPI-major."""
    runs = {
        k: _result({"print_hours": np.arange(4.0) + i}) for i, k in enumerate("pqr")
    }
    table = whatif.comparison_table(runs, reference="r")
    assert list(table["run"][:3]) == ["p", "q", "r"]
    assert list(dict.fromkeys(table["kpi"])) == list(KPI_NAMES)
    hours = table[table["kpi"] == "print_hours"].set_index("run")["diff"]
    assert hours.to_dict() == pytest.approx({"p": -2.0, "q": -1.0, "r": 0.0})
    # the reference itself is never marked significant
    assert not table[table["kpi"] == "print_hours"]["significant"].iloc[2]


def test_comparison_table_raises_on_no_runs_or_unknown_reference() -> None:
    """Documented Raises: empty input, a reference that is not a run label."""
    with pytest.raises(PlannerError, match="no simulation runs"):
        whatif.comparison_table({})
    runs = {"x": _result({"fill_rate": np.ones(3)})}
    with pytest.raises(PlannerError, match="reference must be one of 'x', got 'z'"):
        whatif.comparison_table(runs, reference="z")


def test_comparison_display_and_means_table() -> None:
    """Display text: intervals bracketed, reference's difference cells empty."""
    runs = {
        "x": _result({"downtime_cost": np.array([1000.0, 3000.0])}),
        "y": _result({"downtime_cost": np.array([2000.0, 6000.0])}),
    }
    table = whatif.comparison_table(runs)
    shown = whatif.comparison_display(table, reference="x")
    cost = shown[shown["kpi"] == "downtime_cost"].set_index("run")
    assert cost.loc["y", "mean"] == "4,000"
    assert cost.loc["y", "difference vs x"] == "2,000"
    assert cost.loc["x", "difference vs x"] == ""
    assert cost.loc["x", "95% CI"].startswith("[")
    means = whatif.means_table(table)
    assert list(means.columns) == ["kpi", "x", "y"]
    assert list(means["kpi"]) == list(KPI_NAMES)
    assert means.set_index("kpi").loc["downtime_cost", "y"] == 4000.0


def test_fan_frame_takes_each_runs_band_of_the_part() -> None:
    """The fan rows are the part's (days, 5) slice, runs without it left out."""
    q = np.arange(3 * 2 * 5, dtype=np.float32).reshape(3, 2, 5)
    runs = {
        "with": _result({"fill_rate": np.ones(2)}, quantiles=q),
        "without": _result({"fill_rate": np.ones(2)}),
    }
    fan = whatif.fan_frame(runs, "B")
    assert list(fan.columns) == ["run", "day", *whatif.FAN_COLUMNS]
    assert set(fan["run"]) == {"with"}
    np.testing.assert_array_equal(fan[list(whatif.FAN_COLUMNS)].to_numpy(), q[:, 1, :])
    assert whatif.fan_frame(runs, "nope").empty
    assert whatif.part_ids(runs) == ["A", "B"]


def test_stockout_frame_ranks_parts_by_worst_run() -> None:
    """Top N by the largest mean over runs; parts never out are dropped."""
    rows_x = [
        {"part_id": "A", "stockout_days": 1.0},
        {"part_id": "B", "stockout_days": 5.0},
        {"part_id": "C", "stockout_days": 0.0},
    ]
    rows_y = [
        {"part_id": "A", "stockout_days": 7.0},
        {"part_id": "B", "stockout_days": 2.0},
        {"part_id": "C", "stockout_days": 0.0},
    ]
    ones = {"fill_rate": np.ones(2)}
    runs = {"x": _result(ones, per_part=rows_x), "y": _result(ones, per_part=rows_y)}
    frame = whatif.stockout_frame(runs, top_n=5)
    assert list(frame["part_id"]) == ["A", "A", "B", "B"]
    assert list(frame["run"]) == ["x", "y", "x", "y"]
    assert list(frame["rank"]) == [1, 1, 2, 2]
    assert list(whatif.stockout_frame(runs, top_n=1)["part_id"]) == ["A", "A"]
    with pytest.raises(PlannerError, match="top_n must be >= 1, got 0"):
        whatif.stockout_frame(runs, top_n=0)


def test_printer_load_frame_sums_days_into_bins() -> None:
    """Weekly bins hold the sum of their days; a short remainder joins the last bin."""
    load = np.arange(11 * 2, dtype=float).reshape(11, 2)
    runs = {
        "x": _result({"fill_rate": np.ones(2)}, load=load, printer_ids=("P1", "P2"))
    }
    frame = whatif.printer_load_frame(runs, bin_days=7)
    p2 = frame[frame["printer_id"] == "P2"]
    assert list(p2["day"]) == [0, 7]
    assert list(p2["hours"]) == [load[:7, 1].sum(), load[7:, 1].sum()]
    assert frame["hours"].sum() == load.sum()
    # the 4-day last bin is scaled to a week, so it is comparable with the others
    assert list(p2["days"]) == [7, 4]
    np.testing.assert_allclose(
        p2["rate"], [load[:7, 1].sum(), load[7:, 1].sum() * 7 / 4], rtol=1e-15
    )
    # 365 days: 52 weeks, the 365th day joins the last week (no 1-day spike)
    year = {"y": _result({"fill_rate": np.ones(2)}, load=np.ones((365, 1)),
                         printer_ids=("P1",))}  # fmt: skip
    weekly = whatif.printer_load_frame(year, bin_days=7)
    assert list(weekly["days"]) == [7] * 51 + [8]
    np.testing.assert_allclose(weekly["rate"], 7.0, rtol=1e-15)
    empty = {"x": _result({"fill_rate": np.ones(2)})}
    assert whatif.printer_load_frame(empty).empty
    with pytest.raises(PlannerError, match="bin_days must be >= 1, got 0"):
        whatif.printer_load_frame(runs, bin_days=0)


def _plan(
    rows: list[tuple[str, str, str, int, float, float]], **totals
) -> SourcingPlan:
    """A sourcing plan from (part, mode, printer, stock, cost, investment) rows."""
    cols = list(zip(*rows, strict=True))
    n = len(rows)
    return SourcingPlan(
        part_id=np.array(cols[0]),
        mode=np.array(cols[1]),
        printer_id=np.array(cols[2]),
        base_stock_level=np.array(cols[3]),
        cost=np.array(cols[4], dtype=float),
        investment=np.array(cols[5], dtype=float),
        printer_hours=np.zeros(n),
        fill_rate=np.ones(n),
        print_lead_time_days=np.zeros(n),
        reason=np.full(n, ""),
        objective=totals.get("objective", float(sum(cols[4]))),
        baseline_cost=totals.get("baseline_cost", 100.0),
        total_investment=float(sum(cols[5])),
        budget=None,
        printer_usage=totals.get("printer_usage", []),
        status="Optimal",
        solve_time_s=0.0,
    )


BEFORE = [
    ("A", "buy_stock", "", 2, 10.0, 20.0),
    ("B", "buy_stock", "", 3, 30.0, 60.0),
    ("C", "print_stock", "P1", 1, 5.0, 2.0),
    ("D", "print_stock", "P1", 1, 4.0, 2.0),
    ("E", "buy_stock", "", 1, 1.0, 1.0),
]
AFTER = [
    ("A", "buy_stock", "", 2, 10.0, 20.0),  # unchanged
    ("B", "hybrid", "P2", 2, 25.0, 40.0),  # mode, printer and stock
    ("C", "print_stock", "P2", 1, 6.0, 2.0),  # printer only
    ("D", "print_stock", "P1", 3, 7.0, 6.0),  # stock only
    ("F", "buy_stock", "", 1, 2.0, 1.0),  # added (E removed)
]


def test_plan_diff_lists_what_changed_per_part() -> None:
    """Mode/printer/stock changes, added and removed parts, sorted by |cost change|."""
    diff = whatif.plan_diff(_plan(BEFORE), _plan(AFTER))
    assert list(diff.columns) == list(whatif.PLAN_DIFF_COLUMNS)
    by_part = diff.set_index("part_id")
    assert "A" not in by_part.index
    assert by_part.loc["B", "change"] == "mode, printer, stock"
    assert by_part.loc["C", "change"] == "printer"
    assert by_part.loc["D", "change"] == "stock"
    assert by_part.loc["E", "change"] == "removed"
    assert by_part.loc["F", "change"] == "added"
    assert by_part.loc["B", "stock_change"] == -1
    assert by_part.loc["B", "cost_change"] == -5.0
    assert by_part.loc["D", "investment_change"] == 4.0
    assert by_part.loc["F", "mode_before"] == ""
    assert math.isnan(by_part.loc["F", "cost_change"])
    # added/removed first (unknown change), then |cost change| 5, 3, 1
    assert list(diff["part_id"]) == ["E", "F", "B", "D", "C"]


def test_plan_diff_of_a_plan_with_itself_is_empty() -> None:
    """Nothing changes against itself; changed_only=False lists every part."""
    plan = _plan(BEFORE)
    assert whatif.plan_diff(plan, plan).empty
    full = whatif.plan_diff(plan, plan, changed_only=False)
    assert sorted(full["part_id"]) == ["A", "B", "C", "D", "E"]
    assert set(full["change"]) == {""}
    assert (full["cost_change"] == 0).all()


def test_plan_delta_gives_headline_changes() -> None:
    """Objective, investment, mode counts and printer hours: after minus before."""
    usage_a = [{"printer_id": "P1", "capacity_hours": 100.0, "used_hours": 10.0}]
    usage_b = [
        {"printer_id": "P1", "capacity_hours": 100.0, "used_hours": 4.0},
        {"printer_id": "P2", "capacity_hours": 50.0, "used_hours": 6.0},
    ]
    before = _plan(BEFORE, objective=50.0, printer_usage=usage_a)
    after = _plan(AFTER, objective=45.0, printer_usage=usage_b)
    delta = whatif.plan_delta(before, after).set_index("figure")
    assert delta.loc["objective", "change"] == -5.0
    assert delta.loc["savings", "change"] == 5.0  # same baseline_cost
    assert delta.loc["total_investment", "change"] == 69.0 - 85.0
    assert delta.loc["n_hybrid", "change"] == 1.0
    assert delta.loc["n_buy_stock", "change"] == -1.0
    assert delta.loc["used_hours P1", "change"] == -6.0
    assert math.isnan(delta.loc["used_hours P2", "before"])


def test_scenario_text_round_trips_json_and_yaml() -> None:
    """Both formats read back to the same scenario; another format is an error."""
    scenario = PRESETS["APAC region out 10 weeks"]
    for fmt in ("json", "yaml"):
        text = whatif.scenario_text(scenario, fmt)
        assert load_scenarios(text.encode(), name=f"s.{fmt}") == [scenario]
    assert json.loads(whatif.scenario_text(scenario))["name"] == scenario.name
    with pytest.raises(
        ScenarioError, match="format must be 'json' or 'yaml', got 'xml'"
    ):
        whatif.scenario_text(scenario, "xml")


def _simulated() -> dict[str, SimulationResult]:
    """Two small real runs (so result_to_json sees every field)."""
    plan = SimulationPlan(
        part_id=np.array(["A", "B"]),
        demand_per_year=np.array([20.0, 3.0]),
        base_stock_level=np.array([2, 1]),
        lead_time_days=np.array([15.0, 40.0]),
        unit_value=np.array([10.0, 50.0]),
        supplier_region=np.array(["APAC", "EU"]),
    )
    return {
        label: simulate(plan, PRESETS[name], n_paths=20, seed=3)
        for label, name in (
            ("base", "Baseline"),
            ("apac", "APAC region out 10 weeks"),
        )
    }


def test_results_round_trip_through_json() -> None:
    """Saved runs come back with the same labels, KPIs, per-path values and bands."""
    runs = _simulated()
    text = whatif.results_to_json(runs, scenarios=[PRESETS["Baseline"]])
    back = whatif.results_from_json(text.encode())
    assert list(back) == ["base", "apac"]
    for label, result in runs.items():
        assert back[label].kpis == result.kpis
        np.testing.assert_array_equal(
            back[label].path_kpis["stockout_days"], result.path_kpis["stockout_days"]
        )
        np.testing.assert_array_equal(
            back[label].on_hand_quantiles, result.on_hand_quantiles
        )
    table = whatif.comparison_table(back, reference="base")
    pd.testing.assert_frame_equal(
        table, whatif.comparison_table(runs, reference="base")
    )
    assert whatif.saved_scenarios(text) == [PRESETS["Baseline"]]


def test_results_from_json_reads_one_bare_result() -> None:
    """A single result_to_json file is one run labelled by scenario, seed, paths."""
    from planner.scenarios import result_to_json

    result = _simulated()["apac"]
    back = whatif.results_from_json(result_to_json(result))
    assert list(back) == ["APAC region out 10 weeks (seed 3, 20 paths)"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b"\xff\xfe", "not UTF-8"),
        ("{nope", "invalid JSON at line 1"),
        ("[1]", "expected a JSON object, got list"),
        ('{"format": "other"}', "format must be 'sparecast-whatif-results'"),
        ('{"format": "sparecast-whatif-results", "version": 9}', "version must be"),
        (
            '{"format": "sparecast-whatif-results", "version": 1, "runs": []}',
            "runs must",
        ),
        (
            '{"format": "sparecast-whatif-results", "version": 1, "runs": [{"x": 1}]}',
            r"runs\[0\]: expected an object with label and result",
        ),
        (
            '{"format": "sparecast-whatif-results", "version": 1,'
            ' "runs": [{"label": "a", "result": {"kind": "x"}}]}',
            r"runs\[0\]: result file: kind",
        ),
        ('{"paths": 3}', "result file: kind"),
    ],
)
def test_results_from_json_names_what_is_wrong(text: str | bytes, match: str) -> None:
    """Every malformed results file raises ScenarioError naming the field or run."""
    with pytest.raises(ScenarioError, match=match):
        whatif.results_from_json(text, name="r.json")


def test_results_from_json_rejects_repeated_labels_and_empty_saves() -> None:
    """A label twice is an error; saving no runs is an error."""
    text = whatif.results_to_json({"a": _simulated()["base"]})
    data = json.loads(text)
    data["runs"].append(data["runs"][0])
    with pytest.raises(ScenarioError, match=r"runs\[1\]: label 'a' given twice"):
        whatif.results_from_json(json.dumps(data))
    data["runs"][1]["label"] = " "
    with pytest.raises(ScenarioError, match="label must be a non-empty string"):
        whatif.results_from_json(json.dumps(data))
    with pytest.raises(PlannerError, match="no simulation runs"):
        whatif.results_to_json({})
    with pytest.raises(ScenarioError, match="invalid JSON"):
        whatif.saved_scenarios("{")


def test_run_label_joins_scenario_and_plan() -> None:
    """Labels read 'scenario · plan'."""
    assert whatif.run_label("X", whatif.PLAN_LABEL) == "X · plan"
