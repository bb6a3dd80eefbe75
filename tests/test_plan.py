"""The planner end to end: policy under several scenarios, the plan, its simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from planner.catalog import Catalog, Criticality, Part
from planner.cli import stdout_to_stderr
from planner.plan import compute_policy, run_plan, simulation_plan
from planner.printers import load_demo_materials, load_demo_printers
from planner.scenarios import Event, EventType, Scenario, simulate
from planner.sourcing import Mode, SourcingParams


def make_catalog() -> Catalog:
    """Six Poisson parts from two regions, no STL files (so every part is bought)."""
    parts = tuple(
        Part(
            part_id=f"T-{i}",
            description=f"test part {i}",
            unit_cost=20.0 + 10 * i,
            annual_demand=[0.5, 2.0, 6.0, 12.0, 1.0, 4.0][i],
            lead_time_days=[30.0, 60.0, 14.0, 21.0, 90.0, 45.0][i],
            criticality=[Criticality.VITAL, Criticality.ESSENTIAL][i % 2],
            downtime_cost_per_day=[500.0, None][i % 2],
            supplier_region=["EU", "APAC"][i // 3],
        )
        for i in range(6)
    )
    return Catalog(parts=parts)


OUTAGES = Scenario(
    name="APAC outages",
    events=(
        Event(
            type=EventType.RANDOM_OUTAGES,
            supplier_region="APAC",
            rate_per_year=2.0,
            duration_days=30.0,
        ),
    ),
)
WINDOW = Scenario(
    name="EU window",
    events=(
        Event(
            type=EventType.SUPPLIER_OUTAGE,
            supplier_region="EU",
            start_day=10.0,
            duration_days=60.0,
        ),
    ),
)


def test_policy_matches_the_poisson_closed_form() -> None:
    """With no scenario, S is the smallest level with Poisson cdf(S-1) >= target."""
    catalog = make_catalog()
    rows = compute_policy(catalog).rows
    for part, row in zip(catalog.parts, rows, strict=True):
        mean = part.annual_demand * part.lead_time_days / 365
        s = row["order_up_to"]
        fill = stats.poisson.cdf(s - 1, mean)
        assert row["fill_rate"] == pytest.approx(fill, rel=1e-12)
        assert fill >= part.fill_rate_target  # the target is a floor ...
        if row["binding"] == "fill_rate":  # ... and S is the smallest meeting it
            assert stats.poisson.cdf(s - 2, mean) < part.fill_rate_target
        assert row["just_in_case_units"] == 0
        assert row["sized_for"] == "baseline"


def test_policy_sizes_for_the_most_demanding_scenario() -> None:
    """With two scenarios, each part holds the larger S and names the scenario."""
    catalog = make_catalog()
    alone = {
        sc.name: {r["part_id"]: r for r in compute_policy(catalog, sc).rows}
        for sc in (OUTAGES, WINDOW)
    }
    both = compute_policy(catalog, [OUTAGES, WINDOW]).rows
    for row in both:
        levels = {name: alone[name][row["part_id"]]["order_up_to"] for name in alone}
        assert row["order_up_to"] == max(levels.values())
        assert levels[row["sized_for"]] == row["order_up_to"]
        source = alone[row["sized_for"]][row["part_id"]]
        assert row["fill_rate"] == source["fill_rate"]
    apac = [r for r in both if r["part_id"] in {"T-3", "T-4", "T-5"}]
    eu = [r for r in both if r["part_id"] in {"T-0", "T-1", "T-2"}]
    assert all(r["sized_for"] == "APAC outages" for r in apac)
    assert all(r["sized_for"] == "EU window" for r in eu)
    assert all(r["just_in_case_units"] > 0 for r in eu)  # a 60-day window is long
    assert all(r["just_in_case_units"] >= 0 for r in apac)


@pytest.fixture(scope="module")
def demo_result():
    """The plan of the demo catalog with the demo lab."""
    from planner.catalog import load_demo_catalog

    with stdout_to_stderr():
        return run_plan(
            load_demo_catalog(), load_demo_printers(), load_demo_materials()
        )


def test_demo_plan_structure(demo_result) -> None:
    """Printing only where a part is printable; the objective never exceeds all-buy."""
    sourcing = demo_result.sourcing
    printable = {p.part_id for p in demo_result.catalog.parts if p.printable}
    for pid, mode, printer in zip(
        sourcing.part_id, sourcing.mode, sourcing.printer_id, strict=True
    ):
        if mode != Mode.BUY_STOCK:
            assert pid in printable
            assert printer
        else:
            assert not printer
    assert sourcing.objective <= sourcing.baseline_cost
    assert np.any(np.asarray(sourcing.mode) == Mode.PRINT_STOCK)
    # the literature's finding: printers in a good plan are lightly loaded
    for row in sourcing.printer_usage:
        assert row["used_hours"] <= row["capacity_hours"]


def test_budget_changes_the_plan_without_re_estimating(demo_result) -> None:
    """Passing earlier estimates gives the same plan; a tight budget is explained."""
    from planner.errors import InfeasibleError

    again = run_plan(
        demo_result.catalog,
        demo_result.printers,
        load_demo_materials(),
        estimates=demo_result.estimates,
    )
    assert list(again.sourcing.mode) == list(demo_result.sourcing.mode)
    with pytest.raises(InfeasibleError, match="budget"):
        run_plan(
            demo_result.catalog,
            demo_result.printers,
            load_demo_materials(),
            estimates=demo_result.estimates,
            params=SourcingParams(budget=1000.0),
        )


def test_simulated_plan_agrees_with_the_policy() -> None:
    """No events: each bought Poisson part's simulated fill rate matches P(X <= S-1).

    4 standard errors of the per-part estimate (binomial on the units demanded).
    """
    catalog = make_catalog()
    with stdout_to_stderr():
        result = run_plan(catalog, load_demo_printers(), load_demo_materials())
    plan = simulation_plan(result)
    assert set(plan.mode) == {Mode.BUY_STOCK.value}
    sim = simulate(plan, Scenario(name="none"), n_paths=400, seed=11)
    expected = {r["part_id"]: r["fill_rate"] for r in result.policy.rows}
    for row, part in zip(sim.per_part, catalog.parts, strict=True):
        n_units = part.annual_demand * 400
        se = np.sqrt(
            expected[row["part_id"]] * (1 - expected[row["part_id"]]) / n_units
        )
        assert abs(row["fill_rate"] - expected[row["part_id"]]) <= 4 * se + 2e-3


def test_baseline_simulation_plan_buys_everything(demo_result) -> None:
    """baseline=True is the all-buy plant at the just-in-case levels."""
    plan = simulation_plan(demo_result, baseline=True)
    assert set(plan.mode) == {Mode.BUY_STOCK.value}
    assert set(plan.printer_id) == {""}
    assert np.all(plan.print_time_h == 0)


def test_todays_stock_is_compared_with_the_target() -> None:
    """current_fill_rate is the Poisson fill rate of today's level; ROP wins over stock."""
    import dataclasses

    catalog = make_catalog()
    parts = list(catalog.parts)
    parts[0] = dataclasses.replace(parts[0], on_hand=1.0, on_order=1.0)
    parts[1] = dataclasses.replace(parts[1], on_hand=9.0, current_reorder_point=0.0)
    rows = compute_policy(Catalog(parts=tuple(parts))).rows
    for part, row in zip(parts, rows, strict=True):
        mean = part.annual_demand * part.lead_time_days / 365
        level = (
            part.current_reorder_point + 1
            if part.current_reorder_point is not None
            else part.on_hand + part.on_order
        )
        assert row["current_level"] == level
        assert row["current_fill_rate"] == pytest.approx(
            stats.poisson.cdf(level - 1, mean), abs=1e-12
        )
        gap = max(part.fill_rate_target - row["current_fill_rate"], 0.0)
        assert row["fill_rate_gap"] == pytest.approx(gap)
    assert rows[1]["current_level_source"] == "reorder_point"
    assert rows[0]["current_level_source"] == "stock_position"
    assert rows[2]["current_fill_rate"] == 0.0  # nothing held, nothing served


def test_parts_with_an_order_cost_get_an_exact_r_q_policy() -> None:
    """order_cost > 0 or a lot size switches a part to (r, Q) with rq_policy's figures."""
    import dataclasses

    from planner.lotsizing import rq_policy

    catalog = make_catalog()
    parts = list(catalog.parts)
    parts[2] = dataclasses.replace(parts[2], order_cost=40.0)
    parts[3] = dataclasses.replace(parts[3], lot_size=5.0)
    rows = compute_policy(Catalog(parts=tuple(parts))).rows
    assert [r["policy"] for r in rows] == ["base_stock"] * 2 + ["r_q"] * 2 + [
        "base_stock"
    ] * 2
    assert rows[3]["order_quantity"] == 5
    for i in (2, 3):
        p = parts[i]
        ref = rq_policy(
            demand_per_year=np.array([p.annual_demand]),
            lead_time_days=np.array([p.lead_time_days]),
            unit_cost=np.array([p.unit_cost]),
            holding_rate=np.array([p.holding_rate]),
            order_cost=np.array([p.order_cost]),
            target_fill_rate=np.array([p.fill_rate_target]),
            downtime_cost_per_day=np.array([p.downtime_cost_per_day or np.nan]),
            lot_size=np.array([p.lot_size or np.nan]),
        )
        assert rows[i]["reorder_point"] == ref.reorder_point[0]
        assert rows[i]["order_up_to"] == ref.order_up_to[0]
        assert rows[i]["fill_rate"] == pytest.approx(ref.fill_rate[0])
        assert rows[i]["annual_cost"] == pytest.approx(ref.annual_cost[0])
    assert all(r["order_quantity"] == 1 for r in rows if r["policy"] == "base_stock")


def test_budget_allocation_is_within_budget_and_priced_by_the_policy_model() -> None:
    """The allocation spends at most the budget; its EBO and fill rate per part are
    those evaluate_levels gives for the allocated levels."""
    from planner.plan import budget_allocation
    from planner.policy import evaluate_levels

    catalog = make_catalog()
    result = budget_allocation(catalog, 300.0)
    alloc = result.allocation
    assert alloc.investment <= 300.0
    parts = catalog.parts
    fill, ebo = evaluate_levels(
        alloc.base_stock_level,
        demand_per_year=np.array([p.annual_demand for p in parts]),
        lead_time_days=np.array([p.lead_time_days for p in parts]),
    )
    np.testing.assert_allclose(alloc.expected_backorders, ebo, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(alloc.fill_rate_by_part, fill, rtol=1e-9, atol=1e-12)
    assert alloc.total_ebo == pytest.approx(ebo.sum())
    curve = result.frontier_rows()
    invest = [r["investment"] for r in curve]
    ebos = [r["total_expected_backorders"] for r in curve]
    assert invest == sorted(invest)
    assert ebos == sorted(ebos, reverse=True)
    # more budget never hurts
    richer = budget_allocation(catalog, 600.0).allocation
    assert richer.total_ebo <= alloc.total_ebo


def test_estimates_use_the_best_orientation(tmp_path) -> None:
    """A thin plate modelled on its edge is printed lying flat: fewer layers, faster,
    and the orientation is reported per printer."""
    from stl import mesh as stl_mesh

    from planner.geometry import box_mesh
    from planner.plan import estimate_parts, estimate_rows

    plate = box_mesh((120.0, 3.0, 80.0))  # 80 mm tall as modelled, 3 mm thick
    out = stl_mesh.Mesh(np.zeros(len(plate.vectors), dtype=stl_mesh.Mesh.dtype))
    out.vectors[:] = plate.vectors
    path = tmp_path / "plate.stl"
    out.save(str(path))
    part = Part(
        part_id="PL-1",
        unit_cost=30.0,
        annual_demand=2.0,
        lead_time_days=30.0,
        stl_file="plate.stl",
        stl_path=path,
        printable=True,
        am_material="PETG",
    )
    printers, materials = load_demo_printers(), load_demo_materials()
    result = estimate_parts([part], printers, materials)
    rows = estimate_rows(result)
    assert rows
    for row in rows:
        assert row["orientation"] != "+Z up"
        assert row["bbox_z_mm"] == pytest.approx(3.0)
        profile = next(p for p in printers if p.printer_id == row["printer_id"]).profile
        assert row["layers"] == pytest.approx(3.0 / profile.layer_height_mm, abs=1)


def test_queue_totals_count_a_shared_plate_once(demo_result) -> None:
    """Printer hours sum the plates' run times (end - start), not every job on them;
    filament and cost sum the jobs."""
    from planner.plan import queue_totals

    jobs = demo_result.queue.jobs
    totals = queue_totals(demo_result.queue)
    runs = {j.plate_id: (j.end - j.start).total_seconds() for j in jobs}
    assert totals["print_hours"] == pytest.approx(sum(runs.values()) / 3600, rel=1e-4)
    assert totals["plates"] == len(runs)
    assert totals["jobs"] == len(jobs)
    assert totals["filament_kg"] == pytest.approx(sum(j.filament_g for j in jobs) / 1e3)
    if totals["plates"] < totals["jobs"]:  # shared plates: per-job sums overcount
        assert sum(j.print_time_s for j in jobs) / 3600 > totals["print_hours"]


def test_policy_totals_are_the_column_sums() -> None:
    """Headline totals equal sums and counts over the policy rows."""
    from planner.plan import policy_totals

    result = compute_policy(make_catalog(), [OUTAGES, WINDOW])
    rows = result.rows
    totals = policy_totals(result.columns)
    assert totals["investment"] == pytest.approx(sum(r["investment"] for r in rows))
    assert totals["annual_cost"] == pytest.approx(sum(r["annual_cost"] for r in rows))
    assert totals["n_just_in_case"] == sum(r["just_in_case_units"] > 0 for r in rows)
    assert totals["n_below_target"] == sum(r["fill_rate_gap"] > 0 for r in rows)
