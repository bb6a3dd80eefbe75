"""Tests of planner.scenarios: scenario files, presets, matching, part disruption,
and the Monte Carlo simulation against closed forms of (S-1, S) inventory theory."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from planner import scenarios as sc
from planner.catalog import Criticality, Part
from planner.errors import PlannerError, ScenarioError
from planner.policy import OutageProcess, base_stock_policy
from planner.printers import Printer
from planner.scenarios import (
    KPI_NAMES,
    PRESETS,
    Event,
    EventType,
    Scenario,
    SimulationPlan,
    compare,
    event_matches,
    load_scenarios,
    parse_scenarios,
    part_disruption,
    scenario_to_dict,
    simulate,
)

DESIGN_EXAMPLE = {
    "name": "APAC outage 10 weeks",
    "horizon_days": 365,
    "events": [
        {
            "type": "supplier_outage",
            "supplier_region": "APAC",
            "start_day": 30,
            "duration_days": 70,
        },
        {"type": "lead_time_multiplier", "supplier": "Acme", "factor": 2.0},
        {
            "type": "demand_surge",
            "criticality": "V",
            "factor": 1.5,
            "start_day": 0,
            "duration_days": 90,
        },
        {
            "type": "printer_down",
            "printer_id": "P2",
            "start_day": 100,
            "duration_days": 30,
        },
        {
            "type": "random_outages",
            "supplier_region": "EU",
            "rate_per_year": 0.5,
            "duration_days": 21,
        },
    ],
}


def one_part_plan(
    level: int,
    *,
    lead_time_days: float = 20.0,
    demand_per_year: float = 36.5,
    mode: str = "buy_stock",
    region: str = "EU",
    printer_id: str = "P1",
    material: str = "PETG",
    print_lead_time_days: float = 3.0,
    initial_on_hand: float = math.nan,
    downtime_cost_per_day: float = 0.0,
) -> SimulationPlan:
    """A plan with a single part A, unit value 10, 2 h print time."""
    return SimulationPlan(
        part_id=np.array(["A"]),
        demand_per_year=np.array([demand_per_year]),
        base_stock_level=np.array([level]),
        lead_time_days=np.array([lead_time_days]),
        unit_value=np.array([10.0]),
        mode=np.array([mode]),
        print_lead_time_days=np.array([print_lead_time_days]),
        print_time_h=np.array([2.0]),
        printer_id=np.array([printer_id]),
        material=np.array([material]),
        supplier_region=np.array([region]),
        initial_on_hand=np.array([initial_on_hand]),
        downtime_cost_per_day=np.array([downtime_cost_per_day]),
    )


def standard_error(kpi: sc.KPI) -> float:
    """Standard error behind a KPI's 95 % interval."""
    return (kpi.ci_high - kpi.ci_low) / (2 * sc.Z_95)


def poisson_ebo(level: int, mean: float) -> float:
    """E[(X - S)+] for X ~ Poisson(mean), by direct summation."""
    k = np.arange(0, int(mean * 10 + 50))
    return float(np.sum(np.maximum(k - level, 0) * stats.poisson.pmf(k, mean)))


# ------------------------------------------------------------------ scenario files


def test_design_example_parses():
    """The scenario file of DESIGN.md parses into typed events with float numbers."""
    (s,) = parse_scenarios(DESIGN_EXAMPLE)
    assert s.name == "APAC outage 10 weeks"
    assert s.horizon_days == 365
    assert [e.type for e in s.events] == [
        EventType.SUPPLIER_OUTAGE,
        EventType.LEAD_TIME_MULTIPLIER,
        EventType.DEMAND_SURGE,
        EventType.PRINTER_DOWN,
        EventType.RANDOM_OUTAGES,
    ]
    assert s.events[0].start_day == 30.0
    assert isinstance(s.events[0].start_day, float)
    assert s.events[0].end_day == 100.0
    assert s.events[1].end_day == math.inf
    assert s.events[4].duration_distribution == "fixed"


def _with_event(event: dict, *, index: int = 1) -> dict:
    """A scenario named S whose events[index] is ``event`` (events before it valid)."""
    valid = {"type": "lead_time_multiplier", "factor": 2}
    events = [valid] * index + [event]
    return {"name": "S", "events": events}


BAD_EVENTS = [
    ({"type": "meteor"}, r"unknown event type 'meteor'"),
    ({"factor": 2}, r"missing required field 'type'"),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": 1, "duration_days": 2,
         "colour": "red"},
        r"unknown field 'colour'",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": 1, "duration_days": 2,
         "factor": 2},
        r"field 'factor' does not apply to supplier_outage",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": "30",
         "duration_days": 2},
        r"start_day must be a finite number, got '30'",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": 3,
         "duration_days": True},
        r"duration_days must be a finite number, got True",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": 3, "duration_days": -5},
        r"duration_days must be in \(0, 36500\], got -5",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": 3, "duration_days": 0},
        r"duration_days must be in \(0, 36500\], got 0",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": 3, "duration_days": 1e9},
        r"duration_days must be in \(0, 36500\]",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": -1, "duration_days": 5},
        r"start_day must be in \[0, 36500\], got -1",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": 3},
        r"\(supplier_outage\): missing required field 'duration_days'",
    ),
    (
        {"type": "supplier_outage", "duration_days": 5},
        r"\(supplier_outage\): missing required field 'start_day'",
    ),
    (
        {"type": "supplier_outage", "start_day": 3, "duration_days": 5},
        r"needs at least one of supplier, supplier_region, criticality, part_id",
    ),
    (
        {"type": "supplier_outage", "supplier": "", "start_day": 3, "duration_days": 5},
        r"supplier must be a non-empty string, got ''",
    ),
    (
        {"type": "supplier_outage", "supplier": 7, "start_day": 3, "duration_days": 5},
        r"supplier must be a non-empty string, got 7",
    ),
    (
        {"type": "random_outages", "duration_days": 5},
        r"\(random_outages\): missing required field 'rate_per_year'",
    ),
    (
        {"type": "random_outages", "rate_per_year": 1},
        r"\(random_outages\): missing required field 'duration_days'",
    ),
    (
        {"type": "random_outages", "rate_per_year": -1, "duration_days": 5},
        r"rate_per_year must be in \[0, 52\], got -1",
    ),
    (
        {"type": "random_outages", "rate_per_year": 1000, "duration_days": 5},
        r"rate_per_year must be in \[0, 52\], got 1000",
    ),
    (
        {"type": "random_outages", "rate_per_year": 1, "duration_days": 5,
         "duration_distribution": "weibull"},
        r"duration_distribution must be 'fixed' or 'exponential', got 'weibull'",
    ),
    (
        {"type": "supplier_outage", "supplier": "A", "start_day": 3, "duration_days": 5,
         "duration_distribution": "exponential"},
        r"field 'duration_distribution' does not apply to supplier_outage",
    ),
    (
        {"type": "lead_time_multiplier"},
        r"\(lead_time_multiplier\): missing required field 'factor'",
    ),
    (
        {"type": "lead_time_multiplier", "factor": 0},
        r"factor must be in \(0, 100\], got 0",
    ),
    (
        {"type": "lead_time_multiplier", "factor": -2},
        r"factor must be in \(0, 100\], got -2",
    ),
    (
        {"type": "lead_time_multiplier", "factor": float("nan")},
        r"factor must be a finite number, got nan",
    ),
    ({"type": "demand_surge"}, r"\(demand_surge\): missing required field 'factor'"),
    (
        {"type": "demand_surge", "factor": 2, "criticality": "X"},
        r"criticality must be one of V, E, D, got 'X'",
    ),
    (
        {"type": "printer_down", "start_day": 1, "duration_days": 5},
        r"\(printer_down\): missing required field 'printer_id'",
    ),
    (
        {"type": "printer_down", "printer_id": "P2", "duration_days": 5},
        r"\(printer_down\): missing required field 'start_day'",
    ),
    (
        {"type": "printer_down", "printer_id": "P2", "start_day": 1, "duration_days": 5,
         "supplier": "A"},
        r"field 'supplier' does not apply to printer_down",
    ),
    (
        {"type": "material_shortage", "start_day": 1, "duration_days": 5},
        r"\(material_shortage\): missing required field 'material'",
    ),
    (
        {"type": "material_shortage", "material": "PETG", "start_day": 1},
        r"\(material_shortage\): missing required field 'duration_days'",
    ),
    ("not a mapping", r"an event must be a mapping"),
]  # fmt: skip


@pytest.mark.parametrize(("event", "message"), BAD_EVENTS)
def test_bad_event_is_named(event, message):
    """Each bad event field raises ScenarioError naming scenario, event index and field."""
    with pytest.raises(ScenarioError, match=message) as info:
        parse_scenarios(_with_event(event))
    assert str(info.value).startswith("scenario 'S', events[1]")


BAD_SCENARIOS = [
    (
        {"name": "S", "probability": 1.5},
        r"scenario 'S': probability must be in \[0, 1\]",
    ),
    ({"name": "S", "probability": -0.1}, r"probability must be in \[0, 1\], got -0.1"),
    ({"name": "S", "probability": "high"}, r"probability must be in \[0, 1\]"),
    ({"name": "S", "horizon_days": 0}, r"horizon_days must be in \[1, 3650\], got 0"),
    ({"name": "S", "horizon_days": 100000}, r"horizon_days must be in \[1, 3650\]"),
    ({"name": "S", "horizon_days": 36.5}, r"horizon_days must be an integer, got 36.5"),
    ({"name": "S", "horizon": 30}, r"scenario 'S': unknown field 'horizon'"),
    ({"name": "S", "events": {"type": "x"}}, r"scenario 'S': events must be a list"),
    ({"name": 5}, r"name must be a non-empty string, got 5"),
    ({"name": "S", "description": 3}, r"description must be a string"),
    ([{"name": "S"}, {"name": "S"}], r"scenario 'S': name given twice"),
    ([], r"the list holds no scenario"),
    (5, r"expected a scenario mapping or a list of them, got int"),
    ([5], r"a scenario must be a mapping"),
]


@pytest.mark.parametrize(("data", "message"), BAD_SCENARIOS)
def test_bad_scenario_is_named(data, message):
    """Scenario-level errors (range, type, unknown field, duplicates) raise ScenarioError."""
    with pytest.raises(ScenarioError, match=message):
        parse_scenarios(data)


def test_event_and_scenario_constructors_validate():
    """Records built in code are checked as strictly as parsed ones."""
    with pytest.raises(ScenarioError, match="unknown event type 'meteor'"):
        Event(type="meteor")
    with pytest.raises(ScenarioError, match="supplier_outage event: missing required"):
        Event(type=EventType.SUPPLIER_OUTAGE, supplier="A", start_day=1)
    with pytest.raises(ScenarioError, match="factor must be in"):
        Event(type=EventType.DEMAND_SURGE, factor=0.0)
    with pytest.raises(ScenarioError, match="scenario name must be a non-empty"):
        Scenario(name=" ")
    with pytest.raises(ScenarioError, match=r"events\[0\]: expected an Event"):
        Scenario(name="S", events=({"type": "x"},))
    with pytest.raises(ScenarioError, match="horizon_days must be an integer"):
        Scenario(name="S", horizon_days=True)
    event = Event(type="demand_surge", factor=2, duration_distribution=None)
    assert event.type is EventType.DEMAND_SURGE
    assert event.factor == 2.0
    assert event.duration_distribution == "fixed"


def test_null_fields_are_absent():
    """A JSON null for an optional field means the field is not given."""
    (s,) = parse_scenarios(
        {"name": "S", "events": [{"type": "lead_time_multiplier", "factor": 2,
                                  "start_day": None, "supplier": None}]}
    )  # fmt: skip
    assert s.events[0].start_day is None
    assert s.events[0].supplier is None


def test_presets_round_trip_json_and_yaml(tmp_path: Path):
    """Every preset survives scenario_to_dict -> JSON / YAML -> load_scenarios unchanged."""
    presets = list(PRESETS.values())
    data = [scenario_to_dict(s) for s in presets]
    as_json = json.dumps(data).encode()
    assert load_scenarios(as_json, name="presets.json") == presets
    as_yaml = yaml.safe_dump(data, allow_unicode=True).encode()
    assert load_scenarios(as_yaml, name="presets.yaml") == presets
    path = tmp_path / "presets.yml"
    path.write_bytes(as_yaml)
    assert load_scenarios(path) == presets
    assert load_scenarios(str(path)) == presets
    # No known suffix: JSON is tried, then YAML.
    assert load_scenarios(as_yaml, name="upload") == presets
    assert load_scenarios(as_json) == presets


def test_round_trip_keeps_every_field():
    """probability, description, windows and exponential durations round-trip."""
    s = Scenario(
        name="all",
        horizon_days=200,
        probability=0.25,
        description="d",
        events=(
            Event(type="random_outages", part_id="X", rate_per_year=1.5,
                  duration_days=10.5, duration_distribution="exponential"),
            Event(type="lead_time_multiplier", supplier="Acme", factor=1.25,
                  start_day=3.5),
            Event(type="material_shortage", material="PETG", start_day=0,
                  duration_days=3),
        ),
    )  # fmt: skip
    d = scenario_to_dict(s)
    assert d["events"][2] == {
        "type": "material_shortage",
        "material": "PETG",
        "start_day": 0,
        "duration_days": 3,
    }
    assert parse_scenarios(json.loads(json.dumps(d))) == [s]


def test_single_scenario_file_and_default_names(tmp_path: Path):
    """A file may hold one scenario; a missing name defaults to the file stem."""
    path = tmp_path / "port.json"
    path.write_text(json.dumps({"events": []}), encoding="utf-8")
    (s,) = load_scenarios(path)
    assert s.name == "port"
    assert s.horizon_days == 365
    assert s.events == ()
    two = load_scenarios(b"- {}\n- {}\n", name="drill.yaml")
    assert [x.name for x in two] == ["drill 1", "drill 2"]


def test_load_errors(tmp_path: Path, monkeypatch):
    """Missing, oversized, non-UTF-8, malformed and unsafe files raise ScenarioError."""
    with pytest.raises(ScenarioError, match="not found"):
        load_scenarios(tmp_path / "nope.json")
    with pytest.raises(ScenarioError, match=r"invalid JSON at line 2, column"):
        load_scenarios(b'{"name": "x",\n "events": [}', name="bad.json")
    with pytest.raises(ScenarioError, match=r"invalid YAML at line 3, column 1"):
        load_scenarios(b"name: x\nevents: [a, b\n", name="bad.yaml")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenarios(b"\xff\xfe\x00garbage", name="x.json")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenarios(b"!!python/object/apply:os.system ['true']", name="evil.yaml")
    with pytest.raises(ScenarioError, match="expected a scenario mapping"):
        load_scenarios(b"", name="empty.yaml")
    monkeypatch.setattr(sc, "MAX_SCENARIO_FILE_BYTES", 10)
    with pytest.raises(ScenarioError, match="larger than 10 bytes"):
        load_scenarios(b'{"name": "abcdefghijk"}', name="big.json")
    path = tmp_path / "big.json"
    path.write_text('{"name": "abcdefghijk"}', encoding="utf-8")
    with pytest.raises(ScenarioError, match="larger than 10 bytes"):
        load_scenarios(path)


def test_presets_are_the_named_drills():
    """PRESETS holds the baseline and the seven named disruptions, keyed by name."""
    assert list(PRESETS) == [
        "Baseline",
        "APAC region out 10 weeks",
        "Port closure: APAC+NA lead times ×3 for 60 days",
        "Lead times double",
        "Demand surge on vital parts",
        "Printer P2 down 30 days",
        "PETG shortage 45 days",
        "Random EU supplier outages",
    ]
    assert all(name == s.name for name, s in PRESETS.items())
    assert PRESETS["Baseline"].events == ()
    apac = PRESETS["APAC region out 10 weeks"].events[0]
    assert (apac.start_day, apac.duration_days) == (30.0, 70.0)
    port = PRESETS["Port closure: APAC+NA lead times ×3 for 60 days"].events
    assert {e.supplier_region for e in port} == {"APAC", "NA"}
    assert all(e.factor == 3.0 and e.duration_days == 60.0 for e in port)


# ------------------------------------------------------------------------ matching

KEYS = {
    "part_id": ["A", "B", "C", "D"],
    "supplier": ["Acme", "acme ", "Bolt", ""],
    "supplier_region": ["APAC", "EU", "apac", ""],
    "criticality": ["V", "E", "V", "D"],
}


def test_matching_every_given_matcher_case_insensitive():
    """An event matches when all its matchers equal the part's values, ignoring case."""
    by_supplier = Event(type="lead_time_multiplier", supplier="ACME", factor=2)
    assert event_matches(by_supplier, **KEYS).tolist() == [True, True, False, False]
    both = Event(type="lead_time_multiplier", supplier="acme", supplier_region="eu",
                 factor=2)  # fmt: skip
    assert event_matches(both, **KEYS).tolist() == [False, True, False, False]
    vital_apac = Event(type="demand_surge", criticality="v", supplier_region="APAC",
                       factor=2)  # fmt: skip
    assert event_matches(vital_apac, **KEYS).tolist() == [True, False, True, False]
    one = Event(type="supplier_outage", part_id="d", start_day=0, duration_days=1)
    assert event_matches(one, **KEYS).tolist() == [False, False, False, True]


def test_event_without_matcher_matches_all():
    """An event with no matcher applies to every part."""
    everyone = Event(type="lead_time_multiplier", factor=2)
    assert event_matches(everyone, **KEYS).all()


# ----------------------------------------------------------------- part disruption


def _parts() -> list[Part]:
    """Three parts: A (APAC, vital), B (EU, essential), C (NA, desirable, Acme)."""
    common = {"unit_cost": 1.0, "annual_demand": 1.0, "lead_time_days": 10.0}
    return [
        Part(part_id="A", supplier_region="APAC", criticality=Criticality.VITAL, **common),
        Part(part_id="B", supplier_region="EU", **common),
        Part(part_id="C", supplier="Acme", supplier_region="NA",
             criticality=Criticality.DESIRABLE, **common),
    ]  # fmt: skip


def test_part_disruption_by_hand():
    """Time-averaged factors, summed outage rates and ride-through match hand sums."""
    scenario = parse_scenarios({"name": "hand", "horizon_days": 100, "events": [
        {"type": "lead_time_multiplier", "supplier": "Acme", "factor": 2},
        {"type": "lead_time_multiplier", "supplier_region": "APAC", "factor": 3,
         "start_day": 10, "duration_days": 20},
        {"type": "lead_time_multiplier", "factor": 1.5, "start_day": 90,
         "duration_days": 50},
        {"type": "demand_surge", "criticality": "V", "factor": 2, "start_day": 0,
         "duration_days": 50},
        {"type": "demand_surge", "factor": 1.5, "start_day": 25, "duration_days": 50},
        {"type": "random_outages", "supplier_region": "EU", "rate_per_year": 0.5,
         "duration_days": 20, "duration_distribution": "exponential"},
        {"type": "random_outages", "rate_per_year": 1.5, "duration_days": 10},
        {"type": "supplier_outage", "supplier_region": "APAC", "start_day": 80,
         "duration_days": 40},
        {"type": "supplier_outage", "part_id": "B", "start_day": 0, "duration_days": 30},
        {"type": "supplier_outage", "supplier": "acme", "start_day": 5,
         "duration_days": 10},
        {"type": "supplier_outage", "supplier": "Acme", "start_day": 50,
         "duration_days": 15},
    ]})[0]  # fmt: skip
    d = part_disruption(_parts(), scenario)
    # A: x3 on days 10-29, x1.5 on days 90-99 (window clipped), x1 otherwise.
    # B: x1.5 on 10 days. C: max(2, 1.5) = 2 all along.
    np.testing.assert_allclose(d.lead_time_factor, [
        (20 * 3 + 10 * 1.5 + 70) / 100, (10 * 1.5 + 90) / 100, 2.0])  # fmt: skip
    # A: x2 days 0-24, x3 days 25-49, x1.5 days 50-74, x1 after; B, C: x1.5 days 25-74.
    np.testing.assert_allclose(d.demand_factor, [
        (25 * 2 + 25 * 3 + 25 * 1.5 + 25) / 100, 1.25, 1.25])  # fmt: skip
    np.testing.assert_allclose(d.outage.rate_per_year, [1.5, 2.0, 1.5])
    np.testing.assert_allclose(d.outage.duration_days, [10.0, 12.5, 10.0])
    assert d.outage.exponential.tolist() == [False, True, False]
    np.testing.assert_allclose(d.ride_through_days, [20.0, 30.0, 15.0])


def test_part_disruption_none_and_baseline():
    """No scenario (or the baseline) leaves every part undisturbed."""
    for scenario in (None, PRESETS["Baseline"]):
        d = part_disruption(_parts(), scenario)
        np.testing.assert_array_equal(d.lead_time_factor, 1.0)
        np.testing.assert_array_equal(d.demand_factor, 1.0)
        np.testing.assert_array_equal(d.outage.rate_per_year, 0.0)
        np.testing.assert_array_equal(d.ride_through_days, 0.0)


# ---------------------------------------------------------------------- simulation


def test_same_seed_same_result_bit_for_bit():
    """The same seed reproduces to_dict and every array exactly; another seed differs."""
    plan = one_part_plan(3, mode="hybrid")
    scenario = Scenario(name="mix", events=(
        *PRESETS["APAC region out 10 weeks"].events,
        *PRESETS["Random EU supplier outages"].events,
        Event(type="lead_time_multiplier", factor=1.3, start_day=10, duration_days=9),
    ))  # fmt: skip
    a = simulate(plan, scenario, n_paths=50, seed=11)
    b = simulate(plan, scenario, n_paths=50, seed=11)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    for name in a.path_kpis:
        np.testing.assert_array_equal(a.path_kpis[name], b.path_kpis[name])
    np.testing.assert_array_equal(a.on_hand_quantiles, b.on_hand_quantiles)
    c = simulate(plan, scenario, n_paths=50, seed=12)
    assert c.to_dict() != a.to_dict()


def test_to_dict_is_the_design_json():
    """to_dict has paths, seed, horizon_days, KPIs {mean, ci_low, ci_high}, per_part."""
    r = simulate(one_part_plan(2), PRESETS["Baseline"], n_paths=20, seed=3)
    d = json.loads(json.dumps(r.to_dict()))
    assert (d["paths"], d["seed"], d["horizon_days"]) == (20, 3, 365)
    assert d["scenario"] == "Baseline"
    assert [k for k in d if k in KPI_NAMES] == list(KPI_NAMES)  # top level, per DESIGN
    for kpi in (d[name] for name in KPI_NAMES):
        assert set(kpi) == {"mean", "ci_low", "ci_high"}
        assert kpi["ci_low"] <= kpi["mean"] <= kpi["ci_high"]
    assert set(d["per_part"][0]) == {
        "part_id", "fill_rate", "stockout_days", "backorder_days", "downtime_cost",
        "print_hours", "mean_on_hand",
    }  # fmt: skip
    assert all(type(v) is float for v in d["per_part"][0].values() if v != "A")


@pytest.mark.parametrize(
    ("demand_per_year", "lead_time_days", "level"),
    [(36.5, 20.0, 3), (73.0, 7.3, 2), (5.0, 45.0, 1), (200.0, 12.0, 9)],
)
def test_no_events_matches_poisson_closed_forms(demand_per_year, lead_time_days, level):
    """Fill rate, backorders and on hand equal the (S-1, S) Poisson closed forms.

    Palm's theorem: X ~ Poisson(lambda L); fill = P(X <= S-1), EBO = E[(X-S)+],
    on hand = S - E[X] + EBO. Tolerance 4 standard errors of the simulation.
    """
    mean = demand_per_year * lead_time_days / 365.0
    plan = one_part_plan(
        level, lead_time_days=lead_time_days, demand_per_year=demand_per_year
    )
    r = simulate(plan, PRESETS["Baseline"], n_paths=1500, seed=5)
    fill = r.kpis["fill_rate"]
    assert abs(fill.mean - stats.poisson.cdf(level - 1, mean)) < 4 * standard_error(
        fill
    )
    ebo = poisson_ebo(level, mean)
    backorders = r.kpis["backorder_days"]
    assert abs(backorders.mean / 365 - ebo) < 4 * standard_error(backorders) / 365
    value = r.kpis["inventory_value"]  # unit value 10
    on_hand = level - mean + ebo
    assert abs(value.mean / 10 - on_hand) < 4 * standard_error(value) / 10


def test_short_horizon_starts_in_steady_state():
    """A 20-day run already shows the long-run fill rate: the start is stationary."""
    plan = one_part_plan(3, lead_time_days=30.0)
    r = simulate(plan, Scenario(name="short", horizon_days=20), n_paths=4000, seed=9)
    fill = r.kpis["fill_rate"]
    assert abs(fill.mean - stats.poisson.cdf(2, 3.0)) < 4 * standard_error(fill)


def time_averaged_fill(level: int, outstanding_mean, horizon_days: int) -> float:
    """Fill rate over a horizon when the number outstanding at time t is Poisson.

    With Poisson demand at a constant rate and deterministic (time-dependent)
    lead times the outstanding orders at time t are Poisson with mean
    ``outstanding_mean(t)``; by PASTA a unit demanded at t is served iff that
    count is <= S - 1, so the fill rate is the time average of the Poisson cdf.
    """
    t = (np.arange(horizon_days * 200) + 0.5) / 200
    return float(np.mean(stats.poisson.cdf(level - 1, outstanding_mean(t))))


def test_lead_time_multiplier_and_surge_follow_the_transient_closed_form():
    """Lead times x2 or demand x2 from day 0: fill = time average of P(X_t <= S-1).

    Orders in transit keep their lead time, so with lambda = 0.1/day and L = 20
    the mean outstanding is 0.1 (20 - t)+ + 0.1 min(t, 40) for lead times x2 and
    0.1 (20 - t)+ + 0.2 min(t, 20) for demand x2. Tolerance 4 standard errors.
    """
    plan = one_part_plan(4)
    cases = (
        (
            Event(type="lead_time_multiplier", supplier_region="eu", factor=2),
            lambda t: 0.1 * np.maximum(20 - t, 0) + 0.1 * np.minimum(t, 40),
        ),
        (
            Event(type="demand_surge", factor=2),
            lambda t: 0.1 * np.maximum(20 - t, 0) + 0.2 * np.minimum(t, 20),
        ),
    )
    for event, outstanding in cases:
        r = simulate(plan, Scenario(name="x2", events=(event,)), n_paths=1500, seed=4)
        fill = r.kpis["fill_rate"]
        expected = time_averaged_fill(4, outstanding, 365)
        assert abs(fill.mean - expected) < 4 * standard_error(fill)


def test_demand_surge_doubles_units_on_the_same_paths():
    """A surge raises demand cell by cell: the same uniforms are inverted (common numbers)."""
    plan = one_part_plan(4)
    base = simulate(plan, PRESETS["Baseline"], n_paths=300, seed=2)
    surge = simulate(plan, Scenario(name="s", events=(
        Event(type="demand_surge", factor=2.0),)), n_paths=300, seed=2)  # fmt: skip
    assert np.all(surge.path_kpis["units_demanded"] >= base.path_kpis["units_demanded"])
    ratio = (
        surge.path_kpis["units_demanded"].sum() / base.path_kpis["units_demanded"].sum()
    )
    assert ratio == pytest.approx(2.0, rel=0.05)


def test_plans_share_demand_draws():
    """Two plans under the same seed see the same demand path by path."""
    a = simulate(one_part_plan(1), PRESETS["Baseline"], n_paths=100, seed=8)
    b = simulate(one_part_plan(6, lead_time_days=50.0), PRESETS["Baseline"],
                 n_paths=100, seed=8)  # fmt: skip
    np.testing.assert_array_equal(
        a.path_kpis["units_demanded"], b.path_kpis["units_demanded"]
    )


def test_negative_binomial_demand_moments():
    """Overdispersed demand keeps its mean and has variance ratio x mean per span."""
    rng = np.random.default_rng(1)
    mean = np.array([0.05, 0.5, 2.0, 40.0])
    ratio = np.array([3.0, 3.0, 1.0, 2.0])
    n = 100_000
    _, seg, units = sc._draw_units(rng, np.repeat(mean, n), np.repeat(ratio, n))
    counts = units.reshape(4, n)
    assert np.all(np.diff(seg) >= 0)
    np.testing.assert_allclose(counts.mean(axis=1), mean, rtol=0.03)
    np.testing.assert_allclose(counts.var(axis=1), mean * ratio, rtol=0.06)


def test_poisson_inversion_matches_pmf():
    """Inverted Poisson counts follow the Poisson pmf (frequencies within 5 SE)."""
    rng = np.random.default_rng(7)
    n = 200_000
    for mean in (1.7, 55.0):
        counts = sc._poisson_inverse(rng.random(n), np.full(n, mean))
        k = np.arange(max(int(mean) - 3, 0), int(mean) + 5)
        freq = np.array([(counts == i).mean() for i in k])
        pmf = stats.poisson.pmf(k, mean)
        assert np.all(np.abs(freq - pmf) < 5 * np.sqrt(pmf * (1 - pmf) / n))


def test_sorted_positions_are_uniform_order_statistics():
    """Event positions are sorted within each segment and uniform on (0, 1)."""
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 6, size=20_000)
    pos, seg = sc._sorted_positions(rng, counts)
    assert pos.size == counts.sum()
    same = seg[1:] == seg[:-1]
    assert np.all(pos[1:][same] > pos[:-1][same])
    assert pos.min() > 0
    assert pos.max() < 1
    assert stats.kstest(pos, "uniform").pvalue > 1e-3


def test_supplier_outage_drops_fill_rate():
    """A 60-day outage lowers fill to its closed form: orders in the window wait for its end.

    Window [100, 160), lambda = 0.1/day, L = 20: at time t the normal orders of
    (t - L, t] outside the window are outstanding, and the window's orders until
    160 + L, so the count is Poisson with that mean. Tolerance 4 standard errors.
    """
    plan = one_part_plan(4, region="APAC")
    out = Scenario(name="out", events=(
        Event(type="supplier_outage", supplier_region="apac", start_day=100,
              duration_days=60),))  # fmt: skip
    base = simulate(plan, PRESETS["Baseline"], n_paths=1000, seed=1)
    hit = simulate(plan, out, n_paths=1000, seed=1)

    def outstanding(t):
        begin, end, lead = 100.0, 160.0, 20.0
        overlap = np.clip(np.minimum(t, end) - np.maximum(t - lead, begin), 0, None)
        waiting = np.where(
            t < end + lead, np.clip(np.minimum(t, end) - begin, 0, None), 0
        )
        return 0.1 * (lead - overlap + waiting)

    fill = hit.kpis["fill_rate"]
    expected = time_averaged_fill(4, outstanding, 365)
    assert abs(fill.mean - expected) < 4 * standard_error(fill)
    rows = compare({"baseline": base, "outage": hit})
    assert rows[1]["fill_rate_diff_ci_high"] < 0
    assert rows[1]["backorder_days_diff_ci_low"] > 0
    # While the supplier is out nothing arrives: the median stock falls to 0.
    assert hit.on_hand_quantiles[150, 0, 2] == 0
    assert base.on_hand_quantiles[150, 0, 2] > 0


def test_hybrid_beats_buy_stock_under_outage():
    """Hybrid prints what it orders during the outage, so it serves more than buy_stock."""
    out = PRESETS["APAC region out 10 weeks"]
    buy = simulate(one_part_plan(4, region="APAC"), out, n_paths=300, seed=6)
    hybrid = simulate(one_part_plan(4, region="APAC", mode="hybrid"), out,
                      n_paths=300, seed=6)  # fmt: skip
    rows = compare({"buy": buy, "hybrid": hybrid})
    assert rows[1]["fill_rate_diff_ci_low"] > 0
    assert hybrid.kpis["print_hours"].mean > 0 == buy.kpis["print_hours"].mean


def test_random_outages_match_policy_mixture():
    """Random outages give the fill rate of policy's Poisson mixture (4 SE + 0.002)."""
    from planner.policy import mixture_cdf, mixture_means

    for dist, rate, duration in (("fixed", 2.0, 30.0), ("exponential", 4.0, 10.0)):
        event = Event(type="random_outages", supplier_region="EU", rate_per_year=rate,
                      duration_days=duration, duration_distribution=dist)  # fmt: skip
        r = simulate(one_part_plan(6), Scenario(name="r", events=(event,)),
                     n_paths=1500, seed=2)  # fmt: skip
        outage = OutageProcess(rate_per_year=np.array([rate]),
                               duration_days=np.array([duration]),
                               exponential=np.array([dist == "exponential"]))  # fmt: skip
        means, weights = mixture_means(np.array([0.1]), np.array([20.0]), outage)
        expected = float(mixture_cdf(np.array([5]), means, weights)[0])
        fill = r.kpis["fill_rate"]
        assert abs(fill.mean - expected) < 4 * standard_error(fill) + 0.002


def test_just_in_case_policy_meets_target_when_simulated():
    """The policy's S under random outages meets its fill-rate target in simulation."""
    outage = OutageProcess(rate_per_year=np.array([2.0]), duration_days=np.array([45.0]),
                           exponential=np.array([False]))  # fmt: skip
    pol = base_stock_policy(
        demand_per_year=np.array([36.5]), lead_time_days=np.array([20.0]),
        unit_cost=np.array([10.0]), holding_rate=np.array([0.25]),
        target_fill_rate=np.array([0.95]), downtime_cost_per_day=np.array([np.nan]),
        outage=outage,
    )  # fmt: skip
    level = int(pol.base_stock_level[0])
    assert level > int(pol.base_stock_level_normal[0])
    event = Event(type="random_outages", rate_per_year=2.0, duration_days=45.0)
    r = simulate(one_part_plan(level), Scenario(name="r", events=(event,)),
                 n_paths=1000, seed=3)  # fmt: skip
    fill = r.kpis["fill_rate"]
    assert fill.mean > 0.95 - 4 * standard_error(fill)


def test_random_outages_shared_by_region_and_stationary():
    """Parts of one region share outage draws; the out fraction is 1 - exp(-r d / 365)."""
    event = Event(type="random_outages", supplier_region="EU", rate_per_year=3.0,
                  duration_days=20.0)  # fmt: skip
    scenario = Scenario(name="r", horizon_days=200, events=(event,))
    keys = {
        "part_id": np.array(["a", "b", "c"]),
        "supplier": np.array(["", "", ""]),
        "supplier_region": np.array(["EU", "eu", "NA"]),
        "criticality": np.array(["E", "E", "E"]),
    }
    n_paths = 4000
    index = sc._outage_index(scenario, keys, n_paths, 0, 0)
    group = index.group_of_part
    assert group[0] == group[1] >= 0 > group[2]
    days = np.arange(200) + 0.5
    path = np.repeat(np.arange(n_paths), 200)
    t = np.tile(days, n_paths)
    end = sc._outage_end(index, np.full(t.size, group[0]), path, t)
    out = ~np.isnan(end).reshape(n_paths, 200)
    expected = 1 - math.exp(-3.0 * 20.0 / 365)
    assert out.mean() == pytest.approx(expected, abs=0.01)
    assert out[:, 0].mean() == pytest.approx(expected, abs=0.02)  # day 0: stationary
    assert np.all(end[~np.isnan(end)] > t[~np.isnan(end)])


def test_print_on_demand_and_printer_load():
    """Print-on-demand holds nothing: fill 0, print hours = units x 2 h, load adds up."""
    plan = one_part_plan(0, mode="print_on_demand", printer_id="P2")
    printers = [Printer(printer_id="P1", build_x_mm=200, build_y_mm=200, build_z_mm=200,
                        hourly_rate=1, hours_available_per_week=40, materials=("PLA",))]  # fmt: skip
    r = simulate(plan, PRESETS["Baseline"], n_paths=200, seed=1, printers=printers)
    assert r.kpis["fill_rate"].mean == 0.0
    assert r.kpis["stockout_days"].mean == 0.0  # nothing is meant to be held
    assert r.printer_ids == ("P1", "P2")
    units = r.path_kpis["units_demanded"].mean()
    assert r.kpis["print_hours"].mean == pytest.approx(2.0 * units)
    assert r.printer_load_hours[:, 1].sum() == pytest.approx(r.kpis["print_hours"].mean)
    assert r.printer_load_hours[:, 0].sum() == 0.0


@pytest.mark.parametrize(
    "event",
    [
        Event(type="printer_down", printer_id="p2", start_day=100, duration_days=30),
        Event(type="material_shortage", material="petg", start_day=100,
              duration_days=30),
    ],
)  # fmt: skip
def test_print_route_down_delays_prints(event):
    """Print orders placed while the printer is down or the material short wait."""
    plan = one_part_plan(3, mode="print_stock", printer_id="P2", material="PETG")
    base = simulate(plan, PRESETS["Baseline"], n_paths=300, seed=4)
    down = simulate(plan, Scenario(name="d", events=(event,)), n_paths=300, seed=4)
    assert np.all(down.printer_load_hours[100:130] == 0)
    assert down.printer_load_hours[130, 0] > base.printer_load_hours[130, 0]
    rows = compare({"base": base, "down": down})
    assert rows[1]["fill_rate_diff_ci_high"] < 0


def test_initial_on_hand_and_pipeline():
    """A given stock starts the run; what is missing up to S arrives within L days."""
    plan = one_part_plan(5, demand_per_year=0.0, initial_on_hand=2.0)
    r = simulate(plan, Scenario(name="s", horizon_days=40), n_paths=10, seed=0)
    assert r.on_hand_quantiles[0, 0, 0] >= 2.0
    assert r.on_hand_quantiles[0, 0, 4] < 5.0
    np.testing.assert_array_equal(r.on_hand_quantiles[25:, 0, :], 5.0)
    assert r.kpis["stockout_days"].mean == 0.0


def test_quantiles_are_ordered_and_bounded():
    """On-hand quantiles are (days, parts, 5), increasing, within [0, S]; optional."""
    plan = one_part_plan(4)
    r = simulate(plan, PRESETS["Baseline"], n_paths=101, seed=1)
    q = r.on_hand_quantiles
    assert q.shape == (365, 1, 5)
    assert q.dtype == np.float32
    assert np.all(np.diff(q, axis=2) >= 0)
    assert q.min() >= 0
    assert q.max() <= 4
    lean = simulate(
        plan, PRESETS["Baseline"], n_paths=101, seed=1, keep_quantiles=False
    )
    assert lean.on_hand_quantiles.shape == (0, 0, 5)
    assert lean.tracked_part_ids == ()
    assert lean.to_dict() == r.to_dict()


def test_row_quantiles_match_numpy():
    """The sort-based daily quantiles equal np.quantile (its default linear method)."""
    rng = np.random.default_rng(3)
    for n_paths in (2, 7, 100, 1001):
        values = rng.integers(0, 12, size=(5, n_paths))
        ours = sc._row_quantiles(values, sc._quantile_positions(n_paths))
        expected = np.quantile(values, sc.ON_HAND_QUANTILES, axis=1).T
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)


def test_downtime_cost_is_backorder_days_times_rate():
    """Downtime cost per path is backorder-days x downtime_cost_per_day."""
    r = simulate(one_part_plan(1, downtime_cost_per_day=50.0), PRESETS["Baseline"],
                 n_paths=30, seed=2)  # fmt: skip
    np.testing.assert_allclose(
        r.path_kpis["downtime_cost"], 50.0 * r.path_kpis["backorder_days"]
    )
    assert r.per_part[0]["downtime_cost"] == pytest.approx(
        50.0 * r.per_part[0]["backorder_days"]
    )


def test_ci_coverage_of_fill_rate():
    """About 95 % of 40 small runs' intervals cover the known fill rate (80-100 %)."""
    plan = one_part_plan(3)
    truth = stats.poisson.cdf(2, 2.0)
    covered = 0
    for seed in range(40):
        r = simulate(plan, Scenario(name="c", horizon_days=180), n_paths=40, seed=seed)
        fill = r.kpis["fill_rate"]
        covered += fill.ci_low <= truth <= fill.ci_high
    assert 32 <= covered <= 40


def test_compare_rows():
    """compare gives one row per result, zero difference for the first, paired CIs."""
    plan = one_part_plan(3)
    base = simulate(plan, PRESETS["Baseline"], n_paths=200, seed=1)
    same = simulate(plan, PRESETS["Baseline"], n_paths=200, seed=1)
    other = simulate(plan, PRESETS["Baseline"], n_paths=150, seed=2)
    rows = compare({"base": base, "again": same, "other": other})
    assert [r["label"] for r in rows] == ["base", "again", "other"]
    for name in KPI_NAMES:
        assert rows[0][f"{name}_diff"] == 0.0
        assert rows[1][f"{name}_diff_ci_low"] == rows[1][f"{name}_diff_ci_high"] == 0.0
        assert rows[0][name] == base.kpis[name].mean
    # Unpaired: the interval combines both standard errors and is not empty.
    assert rows[2]["fill_rate_diff_ci_low"] < rows[2]["fill_rate_diff_ci_high"]
    with pytest.raises(PlannerError, match="no results"):
        compare({})


def test_many_parts_in_small_blocks_match_the_closed_form(monkeypatch):
    """Splitting parts into small blocks changes draws but not the closed-form answer."""
    n = 7
    plan = SimulationPlan(
        part_id=np.array([f"P{i}" for i in range(n)]),
        demand_per_year=np.full(n, 36.5),
        base_stock_level=np.full(n, 3),
        lead_time_days=np.full(n, 20.0),
        unit_value=np.ones(n),
    )
    monkeypatch.setattr(sc, "PART_BLOCK", 2)
    monkeypatch.setattr(sc, "PATH_BLOCK", 50)
    r = simulate(plan, PRESETS["Baseline"], n_paths=600, seed=3)
    fill = r.kpis["fill_rate"]
    assert abs(fill.mean - stats.poisson.cdf(2, 2.0)) < 4 * standard_error(fill)
    assert len(r.per_part) == n
    assert r.on_hand_quantiles.shape == (365, n, 5)


def test_plan_from_parts_and_scenario_matching():
    """from_parts copies suppliers and regions, so region events hit the right part."""
    parts = _parts()
    plan = SimulationPlan.from_parts(parts, demand_per_year=np.full(3, 36.5),
                                     base_stock_level=np.full(3, 3))  # fmt: skip
    assert plan.mode.tolist() == ["buy_stock"] * 3
    r = simulate(plan, PRESETS["APAC region out 10 weeks"], n_paths=200, seed=0)
    fills = [row["fill_rate"] for row in r.per_part]
    assert fills[0] < fills[1] - 0.1
    assert fills[0] < fills[2] - 0.1


BAD_PLANS = [
    ({"part_id": np.array(["A", "B"])}, r"demand_per_year must have shape \(2,\)"),
    ({"mode": np.array(["teleport"])}, r"part A: mode must be one of"),
    ({"demand_per_year": np.array([-1.0])}, r"part A: demand_per_year must be finite"),
    ({"base_stock_level": np.array([2.5])}, r"base_stock_level must be a whole number"),
    ({"lead_time_days": np.array([0.0])}, r"lead_time_days must be finite and > 0"),
    (
        {"mode": np.array(["print_stock"]), "print_lead_time_days": np.array([np.nan])},
        r"print_lead_time_days must be finite and >= 0",
    ),
    ({"initial_on_hand": np.array([-3.0])}, r"initial_on_hand must be finite and >= 0"),
    ({"unit_value": np.array([np.inf])}, r"unit_value must be finite and >= 0"),
    ({"variance_to_mean": np.array([-1.0])}, r"variance_to_mean must be finite and >="),
]


@pytest.mark.parametrize(("change", "message"), BAD_PLANS)
def test_bad_plan_raises(change, message):
    """A plan with mismatched, negative or unknown entries raises PlannerError."""
    kwargs = {
        "part_id": np.array(["A"]),
        "demand_per_year": np.array([1.0]),
        "base_stock_level": np.array([1]),
        "lead_time_days": np.array([5.0]),
        "unit_value": np.array([1.0]),
    } | change
    with pytest.raises(PlannerError, match=message):
        SimulationPlan(**kwargs)


def test_print_modes_need_no_supplier_lead_time():
    """A printed part may leave lead_time_days nan; a nan variance ratio means Poisson."""
    plan = SimulationPlan(part_id=np.array(["A"]), demand_per_year=np.array([10.0]),
                          base_stock_level=np.array([1]), lead_time_days=np.array([np.nan]),
                          unit_value=np.array([1.0]), mode=np.array(["print_stock"]),
                          print_lead_time_days=np.array([2.0]))  # fmt: skip
    assert plan.lead_time_days[0] == 0.0
    unknown = SimulationPlan(part_id=np.array(["A"]), demand_per_year=np.array([1.0]),
                             base_stock_level=np.array([1]), lead_time_days=np.array([5.0]),
                             unit_value=np.array([1.0]),
                             variance_to_mean=np.array([np.nan]))  # fmt: skip
    assert unknown.variance_to_mean[0] == 1.0


def test_simulate_rejects_bad_paths_and_seed():
    """n_paths below 2, negative seeds and oversized calendars raise PlannerError."""
    plan = one_part_plan(1)
    with pytest.raises(PlannerError, match=r"need about [\d,]+ bytes, allowed"):
        simulate(plan, Scenario(name="long", horizon_days=3650), n_paths=100_000)
    with pytest.raises(PlannerError, match="n_paths must be an integer in"):
        simulate(plan, PRESETS["Baseline"], n_paths=1)
    with pytest.raises(PlannerError, match="seed must be an integer >= 0"):
        simulate(plan, PRESETS["Baseline"], seed=-1)
