"""Tests of the what-if engine in planner.scenarios: result files, the event
simulation against closed forms and independent simulations, printer capacity,
(r, Q) replenishment, reproducibility and bounded memory."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from planner import scenarios as sc
from planner.errors import PlannerError, ScenarioError
from planner.scenarios import (
    PRESETS,
    Event,
    Scenario,
    SimulationPlan,
    load_scenarios,
    result_from_json,
    result_to_json,
    scenario_to_dict,
    simulate,
)


def small_plan(n: int = 3, **extra) -> SimulationPlan:
    """n bought parts, 10-30 units a year, S = 2, L = 15 days, part 1 printed on P1."""
    kwargs = {
        "part_id": np.array([f"P{i}" for i in range(n)]),
        "demand_per_year": np.linspace(10.0, 30.0, n),
        "base_stock_level": np.full(n, 2),
        "lead_time_days": np.full(n, 15.0),
        "unit_value": np.full(n, 5.0),
        "mode": np.array(["buy_stock", "print_stock", *["buy_stock"] * (n - 2)]),
        "print_lead_time_days": np.full(n, 2.0),
        "print_time_h": np.full(n, 1.5),
        "printer_id": np.array(["", "P1", *[""] * (n - 2)]),
        "supplier_region": np.array(["EU"] * n),
    }
    return SimulationPlan(**(kwargs | extra))


# ------------------------------------------------------------------ result files


def test_result_json_round_trip_is_exact():
    """A saved result reads back field for field, arrays bit for bit (keep and compare later)."""
    scenario = Scenario(name="mix", events=(
        *PRESETS["Random EU supplier outages"].events,
        Event(type="printer_down", printer_id="P1", start_day=10, duration_days=5),
    ))  # fmt: skip
    r = simulate(small_plan(), scenario, n_paths=20, seed=4)
    text = result_to_json(r)
    assert "NaN" not in text  # plain JSON
    back = result_from_json(text.encode())
    assert (back.paths, back.seed, back.horizon_days) == (r.paths, r.seed, 365)
    assert back.scenario_name == "mix"
    assert back.kpis == r.kpis
    assert back.per_part == r.per_part
    assert back.part_id == r.part_id
    assert back.printer_ids == r.printer_ids
    assert back.quantile_part_ids == r.quantile_part_ids
    assert set(back.path_kpis) == set(r.path_kpis)
    for name, values in r.path_kpis.items():
        np.testing.assert_array_equal(back.path_kpis[name], values)
        assert back.path_kpis[name].dtype == values.dtype
    for name in ("on_hand_quantiles", "printer_load_hours", "printer_queue_hours"):
        np.testing.assert_array_equal(getattr(back, name), getattr(r, name))
        assert getattr(back, name).dtype == getattr(r, name).dtype
    assert sc.compare({"a": r, "b": back})[1]["fill_rate_diff"] == 0.0
    assert result_to_json(back) == text


def test_result_json_keeps_non_finite_numbers():
    """nan and inf in arrays and KPIs survive as strings, not as invalid JSON."""
    r = simulate(small_plan(), PRESETS["Baseline"], n_paths=5, seed=1)
    odd = sc.SimulationResult(
        **{f: getattr(r, f) for f in sc.SimulationResult.__slots__ if f != "kpis"},
        kpis={**r.kpis, "fill_rate": sc.KPI(mean=math.nan, ci_low=-math.inf,
                                            ci_high=math.inf)},
    )  # fmt: skip
    back = result_from_json(result_to_json(odd))
    assert math.isnan(back.kpis["fill_rate"].mean)
    assert back.kpis["fill_rate"].ci_low == -math.inf


def _payload() -> dict:
    r = simulate(small_plan(), PRESETS["Baseline"], n_paths=4, seed=1)
    return json.loads(result_to_json(r))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("kpis"), "missing field 'kpis'"),
        (lambda d: d.update(kind="other"), "kind must be"),
        (lambda d: d.update(format_version=99), "format_version must be <= 1"),
        (lambda d: d.update(paths="many"), "paths must be an integer >= 2"),
        (lambda d: d["kpis"].update(fill_rate={"mean": 1}), "kpis.fill_rate must be"),
        (lambda d: d["kpis"]["fill_rate"].update(mean="x"), r"kpis\.fill_rate\.mean"),
        (lambda d: d["path_kpis"]["fill_rate"].update(shape=[3]),
         r"path_kpis\.fill_rate\.data must be a list of 3"),
        (lambda d: d["path_kpis"]["fill_rate"].update(dtype="<U3"),
         r"path_kpis\.fill_rate\.dtype must be numeric"),
        (lambda d: d["on_hand_quantiles"].update(shape="x"),
         r"on_hand_quantiles\.shape must be a list"),
        (lambda d: d.update(part_id=[1, 2]), "part_id must be a list of strings"),
        (lambda d: d["per_part"][0].update(fill_rate=None), r"per_part\[0\]\.fill_rate"),
    ],
)  # fmt: skip
def test_malformed_result_file_names_the_field(change, message):
    """A damaged result file raises ScenarioError naming the bad field."""
    data = _payload()
    change(data)
    with pytest.raises(ScenarioError, match=message):
        result_from_json(json.dumps(data))


def test_result_file_that_is_not_json():
    """Text that is not JSON or not UTF-8 raises ScenarioError with the position."""
    with pytest.raises(ScenarioError, match="invalid JSON at line 1"):
        result_from_json("{nope")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        result_from_json(b"\xff\xfe\x00")


def test_scenarios_round_trip_through_json_and_yaml_files(tmp_path: Path):
    """scenario_to_dict written as .json and .yaml loads back as equal scenarios."""
    scenarios = [
        *PRESETS.values(),
        Scenario(name="every field", horizon_days=200, probability=0.25,
                 description="all kinds", events=(
            Event(type="random_outages", supplier="Acme", rate_per_year=1.5,
                  duration_days=12.5, duration_distribution="exponential"),
            Event(type="material_shortage", material="PA12", start_day=3,
                  duration_days=4),
            Event(type="demand_surge", part_id="X-1", criticality="V", factor=1.25,
                  start_day=0.5, duration_days=30),
        )),
    ]  # fmt: skip
    data = [scenario_to_dict(s) for s in scenarios]
    (tmp_path / "s.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    for name in ("s.json", "s.yaml"):
        assert load_scenarios(tmp_path / name) == scenarios
    one = tmp_path / "one.yml"
    one.write_text(yaml.safe_dump(scenario_to_dict(scenarios[-1])))
    assert load_scenarios(one) == [scenarios[-1]]


# ------------------------------------------------------------ engine correctness


def standard_error(kpi: sc.KPI) -> float:
    """Standard error behind a KPI's 95 % interval."""
    return (kpi.ci_high - kpi.ci_low) / (2 * sc.Z_95)


def one_part(level: int, **extra) -> SimulationPlan:
    """One bought part A, 36.5 units a year, L = 20 days, unit value 10."""
    kwargs = {
        "part_id": np.array(["A"]),
        "demand_per_year": np.array([36.5]),
        "base_stock_level": np.array([level]),
        "lead_time_days": np.array([20.0]),
        "unit_value": np.array([10.0]),
        "supplier_region": np.array(["EU"]),
    }
    return SimulationPlan(**(kwargs | extra))


@pytest.mark.parametrize("vtm", [1.0, 2.5])
def test_base_stock_matches_policy_analytics(vtm):
    """No events: fill rate and EBO = backorder_days / horizon equal policy's values.

    Poisson and negative binomial lead-time demand (the simulation's compound
    Poisson process gives NB counts with the same variance-to-mean); 4 standard
    errors.
    """
    from planner.policy import base_stock_policy

    pol = base_stock_policy(
        demand_per_year=np.array([36.5]), lead_time_days=np.array([20.0]),
        unit_cost=np.array([10.0]), holding_rate=np.array([0.25]),
        target_fill_rate=np.array([0.9]), downtime_cost_per_day=np.array([np.nan]),
        variance_to_mean=np.array([vtm]),
    )  # fmt: skip
    level = int(pol.base_stock_level[0])
    r = simulate(one_part(level, variance_to_mean=np.array([vtm])),
                 PRESETS["Baseline"], n_paths=1500, seed=5)  # fmt: skip
    fill, bo = r.kpis["fill_rate"], r.kpis["backorder_days"]
    assert abs(fill.mean - pol.fill_rate[0]) < 4 * standard_error(fill)
    ebo = float(pol.expected_backorders[0])
    assert abs(bo.mean / 365 - ebo) < 4 * standard_error(bo) / 365 + 1e-3
    on_hand = r.kpis["inventory_value"].mean / 10
    assert on_hand == pytest.approx(float(pol.expected_on_hand[0]), abs=0.05)


def test_r_q_fill_rate_matches_lotsizing():
    """A part with reorder point r and lot Q: simulated fill = lotsizing's exact value."""
    from planner.lotsizing import rq_policy

    pol = rq_policy(
        demand_per_year=np.array([36.5]), lead_time_days=np.array([20.0]),
        unit_cost=np.array([10.0]), holding_rate=np.array([0.25]),
        order_cost=np.array([50.0]), target_fill_rate=np.array([0.9]),
        downtime_cost_per_day=np.array([np.nan]), lot_size=np.array([5.0]),
    )  # fmt: skip
    r_, q = int(pol.reorder_point[0]), int(pol.order_quantity[0])
    assert q == 5
    plan = one_part(r_ + q, reorder_point=np.array([r_]), lot_size=np.array([q]))
    res = simulate(plan, PRESETS["Baseline"], n_paths=1500, seed=2)
    fill = res.kpis["fill_rate"]
    assert abs(fill.mean - pol.fill_rate[0]) < 4 * standard_error(fill)
    on_hand = res.kpis["inventory_value"].mean / 10
    assert on_hand == pytest.approx(float(pol.expected_on_hand[0]), abs=0.08)


def test_bad_lot_size_raises():
    """A lot size below 1 or a fractional reorder point is refused, naming the part."""
    with pytest.raises(PlannerError, match="part A: lot_size must be a whole number"):
        one_part(3, lot_size=np.array([0.5]))
    with pytest.raises(PlannerError, match="part A: reorder_point must be a whole"):
        one_part(3, lot_size=np.array([2.0]), reorder_point=np.array([1.5]))
    with pytest.raises(PlannerError, match="printer P1: printer_hours_per_day"):
        one_part(3, printer_hours_per_day={"P1": 30.0})


def outage_event_simulation(level, lam, lead, rate, duration, n_runs, rng):
    """Independent simulation of one (S-1, S) part under random fixed outages.

    Event by event in plain Python: Poisson demands, outage windows from a Poisson
    start process, an order placed in an outage ending at e arriving at e + L.
    Returns the fill rate over ``n_runs`` runs of 2,000 days after a 400-day
    warm-up.
    """
    served = demanded = 0
    for _ in range(n_runs):
        span = 2400.0
        starts = np.cumsum(rng.exponential(365.0 / rate, 40))
        starts = starts[starts < span]
        windows = [(s, s + duration) for s in starts]
        t, arrivals = 0.0, []
        while True:
            t += rng.exponential(1.0 / lam)
            if t > span:
                break
            arrivals = [a for a in arrivals if a > t]
            if t > 400.0:
                demanded += 1
                served += len(arrivals) <= level - 1
            end = max((e for s, e in windows if s <= t < e), default=None)
            arrivals.append((t if end is None else end) + lead)
    return served / demanded


def test_random_outages_agree_with_an_independent_event_simulation():
    """Random outages: the engine's fill rate agrees with a plain event simulation."""
    rng = np.random.default_rng(0)
    rate, duration = 3.0, 25.0
    expected = outage_event_simulation(4, 0.1, 20.0, rate, duration, 60, rng)
    event = Event(type="random_outages", rate_per_year=rate, duration_days=duration)
    r = simulate(one_part(4), Scenario(name="r", events=(event,)), n_paths=1200, seed=1)
    fill = r.kpis["fill_rate"]
    # The reference has its own noise (about 12,000 demands): add 3 of its SEs.
    ref_se = math.sqrt(expected * (1 - expected) / 12_000) * 2
    assert abs(fill.mean - expected) < 4 * standard_error(fill) + 3 * ref_se


def test_same_seed_bit_for_bit_other_seed_differs():
    """Same seed: identical JSON, arrays and printer load; another seed differs."""
    scenario = Scenario(name="mix", events=(
        *PRESETS["Random EU supplier outages"].events,
        Event(type="supplier_outage", supplier_region="EU", start_day=20,
              duration_days=30),
    ))  # fmt: skip
    plan = small_plan(4, mode=np.array(["buy_stock", "print_stock", "hybrid",
                                        "buy_stock"]),
                      printer_id=np.array(["", "P1", "P1", ""]),
                      variance_to_mean=np.array([1.0, 1.0, 3.0, 2.0]))  # fmt: skip
    kw = {"n_paths": 70, "printer_hours_per_day": {"P1": 2.0}}
    a = result_to_json(simulate(plan, scenario, seed=3, **kw))
    b = result_to_json(simulate(plan, scenario, seed=3, **kw))
    c = result_to_json(simulate(plan, scenario, seed=4, **kw))
    assert a == b
    assert a != c


def test_paths_run_in_blocks_independent_of_the_path_count():
    """Path i's figures do not depend on how many paths run (bounded-memory blocks)."""
    plan = small_plan(5, variance_to_mean=np.array([1.0, 1.0, 2.0, 1.0, 1.0]))
    scenario = PRESETS["Random EU supplier outages"]
    kw = {"seed": 9, "printer_hours_per_day": {"P1": 3.0}}
    few = simulate(plan, scenario, n_paths=sc.PATH_BLOCK, **kw)
    many = simulate(plan, scenario, n_paths=2 * sc.PATH_BLOCK + 7, **kw)
    for name, values in few.path_kpis.items():
        np.testing.assert_array_equal(many.path_kpis[name][: sc.PATH_BLOCK], values)


def test_memory_limit_refuses_with_the_figures():
    """A run above max_memory_bytes raises PlannerError giving needed and allowed bytes."""
    with pytest.raises(PlannerError, match=r"need about [\d,]+ bytes, allowed 1,000"):
        simulate(small_plan(), PRESETS["Baseline"], n_paths=100, max_memory_bytes=1000)
    lean = simulate(small_plan(), PRESETS["Baseline"], n_paths=100,
                    track_parts=(), max_memory_bytes=5_000_000)  # fmt: skip
    assert lean.on_hand_quantiles.shape == (365, 0, 5)


def test_track_parts_keeps_only_the_named_parts():
    """track_parts keeps daily quantiles of those parts only, same as a full run."""
    plan = small_plan(4)
    full = simulate(plan, PRESETS["Baseline"], n_paths=40, seed=2)
    some = simulate(plan, PRESETS["Baseline"], n_paths=40, seed=2,
                    track_parts=["P2", "P0"])  # fmt: skip
    assert some.tracked_part_ids == ("P0", "P2")
    np.testing.assert_array_equal(some.on_hand_band("P2"), full.on_hand_band("P2"))
    assert some.to_dict() == full.to_dict()
    with pytest.raises(PlannerError, match="part 'P1' has no daily stock"):
        some.on_hand_band("P1")
    with pytest.raises(PlannerError, match="unknown part 'Z'"):
        simulate(plan, PRESETS["Baseline"], n_paths=4, track_parts=["Z"])


def test_ci_coverage_over_repeated_runs():
    """95 % intervals of fill rate and backorder-days cover the truth in 95 % of 200 runs.

    Binomial(200, 0.95): 5th-95th... we accept 178-200 (about 3 standard deviations).
    """
    from scipy import stats

    mean = 2.0
    fill_truth = stats.poisson.cdf(2, mean)
    k = np.arange(60)
    ebo = float(np.sum(np.maximum(k - 3, 0) * stats.poisson.pmf(k, mean)))
    covered_fill = covered_bo = 0
    scenario = Scenario(name="c", horizon_days=180)
    for seed in range(200):
        r = simulate(one_part(3), scenario, n_paths=30, seed=seed,
                     keep_quantiles=False)  # fmt: skip
        f, b = r.kpis["fill_rate"], r.kpis["backorder_days"]
        covered_fill += f.ci_low <= fill_truth <= f.ci_high
        covered_bo += b.ci_low <= ebo * 180 <= b.ci_high
    assert 178 <= covered_fill <= 200
    assert 178 <= covered_bo <= 200


def printed_plan(print_time_h: float) -> SimulationPlan:
    """Three parts printed on P1 (stocked, S = 2), 20 units a year each."""
    n = 3
    return SimulationPlan(
        part_id=np.array(["A", "B", "C"]),
        demand_per_year=np.full(n, 20.0),
        base_stock_level=np.full(n, 2),
        lead_time_days=np.full(n, 30.0),
        unit_value=np.ones(n),
        mode=np.full(n, "print_stock"),
        print_lead_time_days=np.full(n, 1.0),
        print_time_h=np.full(n, print_time_h),
        printer_id=np.full(n, "P1"),
        material=np.full(n, "PETG"),
    )


def test_printer_capacity_limits_printed_parts():
    """Too few printer hours a day: the queue grows, prints are late, fill drops.

    60 units a year x 10 h = 1.6 h/day of work: 8 h/day copes, 1.5 h/day does not
    (utilisation above 1), so the backlog grows through the year.
    """
    plan = printed_plan(10.0)
    ample = simulate(plan, PRESETS["Baseline"], n_paths=100, seed=1,
                     printer_hours_per_day={"P1": 8.0})  # fmt: skip
    tight = simulate(plan, PRESETS["Baseline"], n_paths=100, seed=1,
                     printer_hours_per_day={"P1": 1.5})  # fmt: skip
    assert tight.kpis["fill_rate"].mean < ample.kpis["fill_rate"].mean - 0.2
    queue = tight.printer_queue_hours[:, 0]
    assert queue[-30:].mean() > queue[:30].mean() + 20
    assert ample.printer_queue_hours[:, 0].max() < tight.printer_queue_hours[:, 0].max()
    assert np.all(tight.printer_load_hours <= 1.5 + 1e-9)
    assert np.all(ample.printer_load_hours <= 8.0 + 1e-9)
    # Every hour ordered is printed eventually when capacity is ample.
    ordered = ample.kpis["print_hours"].mean
    assert ample.printer_load_hours.sum() == pytest.approx(ordered, rel=0.02)
    # Same demand draws: the tight printer has the same work but prints less.
    np.testing.assert_array_equal(
        tight.path_kpis["units_demanded"], ample.path_kpis["units_demanded"]
    )


@pytest.mark.parametrize(
    "event",
    [
        Event(type="printer_down", printer_id="P1", start_day=100, duration_days=30),
        Event(type="material_shortage", material="petg", start_day=100,
              duration_days=30),
    ],
)  # fmt: skip
def test_printer_down_prints_nothing_those_days(event):
    """A down printer (or its material short) prints 0 h on those days, then catches up."""
    plan = printed_plan(3.0)
    kw = {"n_paths": 100, "seed": 2, "printer_hours_per_day": {"P1": 4.0}}
    base = simulate(plan, PRESETS["Baseline"], **kw)
    down = simulate(plan, Scenario(name="d", events=(event,)), **kw)
    assert np.all(down.printer_load_hours[100:130, 0] == 0)
    assert down.printer_queue_hours[129, 0] > base.printer_queue_hours[129, 0] + 5
    assert down.printer_load_hours[130, 0] > base.printer_load_hours[130, 0]
    assert down.kpis["fill_rate"].mean < base.kpis["fill_rate"].mean


def test_hybrid_prints_in_outages_on_the_printer():
    """Hybrid parts print what they order during a supplier outage (emergency prints)."""
    plan = small_plan(3, mode=np.array(["hybrid"] * 3),
                      printer_id=np.array(["P1"] * 3))  # fmt: skip
    out = Scenario(name="o", events=(Event(type="supplier_outage", supplier_region="EU",
                                           start_day=50, duration_days=40),))  # fmt: skip
    r = simulate(plan, out, n_paths=50, seed=1, printer_hours_per_day={"P1": 6.0})
    load = r.printer_load_hours[:, 0]
    assert load[:50].sum() == 0
    assert load[100:].sum() == 0
    assert load[50:95].sum() == pytest.approx(r.kpis["print_hours"].mean, rel=1e-9)
