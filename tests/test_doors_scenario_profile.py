"""Scenario (JSON/YAML) and PrusaSlicer .ini doors: hostile files give a clear error.

Unknown keys, wrong types, huge numbers, negative durations, YAML tags and deep
nesting must end in a :class:`ScenarioError` / :class:`ProfileError` that names the
field, never in another exception (issue 8, item 4). YAML is read with
``yaml.safe_load``, so ``!!python/object`` tags are refused, never constructed.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import ProfileError, ScenarioError
from planner.printers import (
    MAX_PROFILE_FILE_BYTES,
    PrintProfile,
    load_materials,
    load_printers,
    load_prusa_ini,
)
from planner.scenarios import load_scenarios, parse_scenarios

_EXAMPLES = 120
_SETTINGS = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_SLOW_SETTINGS = settings(
    max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck)
)

_OUTAGE = {
    "type": "supplier_outage",
    "supplier_region": "APAC",
    "start_day": 30,
    "duration_days": 70,
}


def _scenario(**changes) -> bytes:
    """JSON bytes of a valid one-event scenario with ``changes`` applied."""
    document = {"name": "s", "horizon_days": 365, "events": [dict(_OUTAGE)]}
    document["events"][0].update(changes.pop("event", {}))
    document.update(changes)
    return json.dumps(document).encode()


# ------------------------------------------------------------------- scenarios


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_scenario(colour="red"), "unknown field 'colour'"),
        (_scenario(event={"severity": 3}), "unknown field 'severity'"),
        (_scenario(horizon_days="a year"), "horizon_days"),
        (_scenario(horizon_days=1e308), "horizon_days"),
        (_scenario(horizon_days=-5), "horizon_days"),
        (_scenario(horizon_days=True), "horizon_days"),
        (_scenario(probability=1e308), "probability"),
        (_scenario(probability="high"), "probability"),
        (_scenario(events={"a": 1}), "events must be a list"),
        (_scenario(events=[5]), "events[0]"),
        (_scenario(event={"duration_days": -10}), "duration_days"),
        (_scenario(event={"duration_days": 1e308}), "duration_days"),
        (_scenario(event={"start_day": -1}), "start_day"),
        (_scenario(event={"start_day": "soon"}), "start_day"),
        (_scenario(event={"start_day": [1, 2]}), "start_day"),
        (_scenario(event={"supplier_region": 7}), "supplier_region"),
        (_scenario(event={"type": "meteor"}), "unknown event type 'meteor'"),
        (_scenario(event={"type": ["x"]}), "unknown event type"),
        (_scenario(name=""), "name"),
        (_scenario(name=["a"]), "name"),
        (b'{"name": "s", "horizon_days": Infinity}', "horizon_days"),
        (b'{"name": "s", "horizon_days": NaN}', "horizon_days"),
        (b'{"name": "s", "probability": -Infinity}', "probability"),
        (
            b'{"name": "s", "events": [{"type": "demand_surge", "factor": Infinity}]}',
            "factor",
        ),
        (
            b'{"name": "s", "events": [{"type": "demand_surge", "factor": 1e999}]}',
            "factor",
        ),
    ],
)
def test_scenario_json_errors_name_the_field(data, field):
    """Each bad scenario document raises ScenarioError naming the field at fault."""
    with pytest.raises(ScenarioError) as info:
        load_scenarios(data, name="bad.json")
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("name: s\nhorizon_days: .inf\n", "horizon_days"),
        ("name: s\nhorizon_days: .nan\n", "horizon_days"),
        ("name: s\nevents:\n  - type: demand_surge\n    factor: 1e308\n", "factor"),
        (
            "name: s\nevents:\n  - {type: supplier_outage, supplier: X, "
            "start_day: 2024-01-01, duration_days: 5}\n",
            "start_day",
        ),
        (
            "name: s\nevents:\n  - {type: supplier_outage, supplier: X, "
            "start_day: 0, duration_days: -5}\n",
            "duration_days",
        ),
        ("name: s\nunknown_key: 1\n", "unknown field 'unknown_key'"),
        ("name: s\n1: 2\n", "unknown field 1"),
        ("name: 2024-01-01\n", "name"),
        ("? [1, 2]\n: 3\n", "unhashable"),
        ("name: [unclosed\n", "invalid YAML"),
    ],
)
def test_scenario_yaml_errors_name_the_field(text, field):
    """YAML scenarios with bad values raise ScenarioError naming the field."""
    with pytest.raises(ScenarioError) as info:
        load_scenarios(text.encode(), name="bad.yaml")
    assert field in str(info.value)


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch /tmp/sparecast_pwned']",
        "!!python/object:planner.scenarios.Scenario {name: x}",
        "!!python/name:os.system",
        "name: !!python/object/new:builtins.list [[1]]",
    ],
)
def test_yaml_python_tags_are_refused_not_constructed(tag, tmp_path):
    """YAML python/* tags are refused (safe_load): nothing is built or executed."""
    with pytest.raises(ScenarioError, match="constructor"):
        load_scenarios(tag.encode(), name="evil.yaml")
    with pytest.raises(ScenarioError, match="constructor"):
        load_scenarios(tag.encode(), name="evil")  # no suffix: JSON, then YAML


def test_yaml_alias_bomb_is_cheap():
    """A billion-laughs YAML (aliases) is refused by the schema, not expanded."""
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    with pytest.raises(ScenarioError, match="unknown field 'a'"):
        load_scenarios("\n".join(lines).encode(), name="laughs.yaml")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        pytest.param(b"[" * 100_000, "deep.json", id="json-array"),
        pytest.param(
            b'{"name": "s", "events": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
            "deep.json",
            id="json-events",
        ),
        pytest.param(b"[" * 100_000, "deep.yaml", id="yaml-flow"),
        pytest.param(b"- " * 5_000 + b"x", "deep.yaml", id="yaml-block"),
        pytest.param(b"[" * 100_000, "deep", id="no-suffix"),
        pytest.param(
            b'{"name": "s", "horizon_days": ' + b"9" * 5000 + b"}",
            "long_int.json",
            id="json-5000-digit-int",
        ),
    ],
)
def test_deep_nesting_and_long_numbers_raise_scenario_error(data, name):
    """Deep nesting and 5000-digit numbers give ScenarioError, not RecursionError."""
    with pytest.raises(ScenarioError, match=r"deep|nest|digit|JSON|YAML"):
        load_scenarios(data, name=name)


def test_scenario_file_size_and_encoding_limits(tmp_path):
    """Over 5 MB, binary or non-UTF-8 scenario files raise ScenarioError."""
    with pytest.raises(ScenarioError, match="larger than"):
        load_scenarios(b" " * 5_000_001, name="big.json")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenarios(bytes(range(256)), name="bin.yaml")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenarios(b"\x00\x01\x02", name="nul")
    with pytest.raises(ScenarioError, match="not found"):
        load_scenarios(tmp_path / "missing.json")


_JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["supplier_outage", "demand_surge", "random_outages", "fixed", "V", "APAC"]
    ),
)
_JSON_VALUE = st.recursive(
    _JSON_LEAF,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_KEYS = st.sampled_from(
    [
        "name",
        "horizon_days",
        "events",
        "probability",
        "description",
        "type",
        "factor",
        "start_day",
        "duration_days",
        "supplier",
        "rate_per_year",
        "duration_distribution",
        "criticality",
        "part_id",
        "printer_id",
        "junk",
    ]
)
_EVENT = st.dictionaries(_KEYS, _JSON_VALUE, max_size=6)
_DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "name": _JSON_VALUE | st.text(min_size=1, max_size=8),
        "horizon_days": _JSON_VALUE | st.integers(-10, 5000),
        "events": st.lists(_EVENT | _JSON_VALUE, max_size=4) | _JSON_VALUE,
        "probability": _JSON_VALUE | st.floats(-1, 2),
        "description": _JSON_VALUE,
        "junk": _JSON_VALUE,
    },
)


def _only_scenario_error(document, name: str) -> None:
    """Load ``document`` through JSON and YAML; ScenarioError is the only failure."""
    for suffix, text in (
        (".json", json.dumps(document)),
        (".yaml", json.dumps(document)),  # JSON is a subset of YAML 1.2
    ):
        try:
            scenarios = load_scenarios(text.encode(), name=name + suffix)
        except ScenarioError:
            continue
        for scenario in scenarios:
            assert 1 <= scenario.horizon_days <= 3650
            assert 0.0 <= scenario.probability <= 1.0
            for event in scenario.events:
                for value in (event.start_day, event.duration_days, event.factor):
                    assert value is None or math.isfinite(value)


@_SETTINGS
@given(document=_DOCUMENT | st.lists(_DOCUMENT, max_size=3) | _JSON_VALUE)
def test_property_random_scenario_documents_only_raise_scenario_error(document):
    """Random JSON/YAML documents either load to in-range scenarios or raise ScenarioError."""
    _only_scenario_error(document, "fuzz")


@pytest.mark.slow
@_SLOW_SETTINGS
@given(document=_DOCUMENT | st.lists(_DOCUMENT, max_size=3) | _JSON_VALUE)
def test_property_random_scenario_documents_long_profile(document):
    """Long profile of the scenario fuzz (3000 examples; run with --run-slow)."""
    _only_scenario_error(document, "fuzz")


@_SETTINGS
@given(text=st.text(max_size=300))
def test_property_random_scenario_text_only_raises_scenario_error(text):
    """Random text as YAML/JSON: loads or raises ScenarioError, nothing else."""
    for name in ("t.yaml", "t.json", "t"):
        try:
            parse = load_scenarios(text.encode("utf-8", "surrogatepass"), name=name)
        except ScenarioError:
            continue
        assert all(s.name for s in parse)


def test_parse_scenarios_refuses_non_documents():
    """parse_scenarios refuses a string, a number and an empty list."""
    for data in ("text", 5, []):
        with pytest.raises(ScenarioError):
            parse_scenarios(data)  # type: ignore[arg-type]


# ------------------------------------------------------------- PrusaSlicer .ini


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("layer_height = 1e308\n", "layer_height_mm must be <= 5"),
        ("layer_height = inf\n", "key layer_height"),
        ("layer_height = nan\n", "key layer_height"),
        ("layer_height = -0.2\n", "key layer_height"),
        ("layer_height = 0\n", "layer_height_mm must be > 0"),
        ("layer_height = thin\n", "key layer_height expects a number"),
        ("nozzle_diameter = 0.4\nlayer_height = 0.8\n", "layer_height_mm must be <="),
        ("first_layer_height = 1e308%\n", "first_layer_height_mm"),
        ("perimeters = 1e300\n", "perimeters must be <= 1000"),
        ("perimeters = 2.5\n", "key perimeters expects a whole number"),
        ("top_solid_layers = many\n", "key top_solid_layers"),
        ("fill_density = 500%\n", "fill_density_frac"),
        ("fill_density = lots\n", "key fill_density"),
        ("perimeter_speed = 1e308\n", "perimeter_speed_mm_s must be <= 5000"),
        ("external_perimeter_speed = fast%\n", "key external_perimeter_speed"),
        ("machine_max_acceleration_x = 1e300\n", "max_acceleration_mm_s2"),
        ("support_material = maybe\n", "key support_material expects 0 or 1"),
        ("retract_length = 1e12\n", "retract_length_mm"),
        ("slowdown_below_layer_time = 1e300\n", "slowdown_below_layer_time_s"),
        ("filament_diameter = 0\n", "filament_diameter_mm must be > 0"),
    ],
)
def test_ini_errors_name_the_key_or_field(text, field):
    """Each bad .ini value raises ProfileError naming the key or the profile field."""
    with pytest.raises(ProfileError) as info:
        load_prusa_ini(text.encode(), name="bad")
    assert field in str(info.value)
    assert "profile bad" in str(info.value)


def test_ini_unknown_keys_and_sections_are_ignored():
    """Unknown keys (PrusaSlicer has hundreds) and [sections] keep the defaults."""
    text = b"[print:My]\nfrobnicate = 7\nwipe_tower = 1\n# comment\n; other\n"
    assert load_prusa_ini(text, name="default 0.2 mm") == PrintProfile()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (bytes(range(256)) * 8, "NUL bytes"),
        (b"layer_height = 0.2\x00\n", "NUL bytes"),
        (b"", "no 'key = value'"),
        (b"\xff\xd8\xff\xe0 JPEG picture without equals sign", "no 'key = value'"),
        (b"just some words\nand more\n", "no 'key = value'"),
    ],
)
def test_ini_binary_or_empty_files_are_refused(data, match):
    """Binary garbage, empty files and text without settings raise ProfileError."""
    with pytest.raises(ProfileError, match=match):
        load_prusa_ini(data, name="garbage")


def test_ini_encodings_sources_and_size(tmp_path):
    """UTF-16 (BOM), memoryview and paths load; a directory or huge file is refused."""
    text = "layer_height = 0.15\n"
    assert load_prusa_ini(text.encode("utf-16"), name="u").layer_height_mm == 0.15
    assert load_prusa_ini(memoryview(text.encode()), name="m").layer_height_mm == 0.15
    with pytest.raises(ProfileError, match="cannot read"):
        load_prusa_ini(tmp_path)
    big = tmp_path / "big.ini"
    big.write_bytes(b"#" * (MAX_PROFILE_FILE_BYTES + 1))
    with pytest.raises(ProfileError, match="more than the"):
        load_prusa_ini(big)
    with pytest.raises(ProfileError, match="path or bytes"):
        load_prusa_ini(12345)  # type: ignore[arg-type]


_INI_KEYS = st.sampled_from(
    [
        "layer_height",
        "first_layer_height",
        "nozzle_diameter",
        "perimeters",
        "fill_density",
        "perimeter_speed",
        "external_perimeter_speed",
        "infill_speed",
        "first_layer_speed",
        "machine_max_acceleration_x",
        "machine_max_jerk_x",
        "support_material",
        "retract_length",
        "extrusion_width",
        "max_volumetric_speed",
        "unknown_key",
    ]
)
_INI_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(-1e6, 1e6).map(lambda v: f"{v}%"),
    st.text(max_size=10),
    st.sampled_from(["", "0", "1", "50%", "0.2,0.3", "1e308", "-0", "nan%", "%"]),
)


def _check_ini(text: str) -> None:
    """Load ``text``; on success every numeric setting is finite and in range."""
    try:
        profile = load_prusa_ini(text.encode("utf-8", "surrogatepass"), name="fuzz")
    except ProfileError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert "fuzz" in message
        return
    for name in PrintProfile.__dataclass_fields__:
        value = getattr(profile, name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert math.isfinite(value), name
            assert value >= 0, name
    assert profile.layer_height_mm <= profile.nozzle_diameter_mm


_INI_TEXT = st.lists(
    st.tuples(_INI_KEYS, _INI_VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"), max_size=8
).map("\n".join)


@_SETTINGS
@given(text=_INI_TEXT | st.text(max_size=200))
def test_property_random_ini_only_raises_profile_error(text):
    """Random .ini settings load to a finite, in-range profile or raise ProfileError."""
    _check_ini(text)


@pytest.mark.slow
@_SLOW_SETTINGS
@given(text=_INI_TEXT | st.text(max_size=200))
def test_property_random_ini_long_profile(text):
    """Long profile of the .ini fuzz (3000 examples; run with --run-slow)."""
    _check_ini(text)


# -------------------------------------------------- printers.csv, materials.csv


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("material,density_g_cm3,cost_per_kg\nPLA,heavy,25\n", "column density_g_cm3"),
        ("material,density_g_cm3,cost_per_kg\nPLA,inf,25\n", "column density_g_cm3"),
        ("material,density_g_cm3,cost_per_kg\nPLA,1.2,-3\n", "column cost_per_kg"),
        ("material,density_g_cm3,cost_per_kg\nPLA,1.2,3\npla,1,2\n", "duplicate"),
        ("colour,size\nred,3\n", "missing column"),
        ("", "empty file"),
    ],
)
def test_materials_csv_errors_name_row_and_column(text, match):
    """materials.csv: bad numbers, duplicates and missing columns raise ProfileError."""
    with pytest.raises(ProfileError, match=match):
        load_materials(text.encode(), name="materials.csv")


def test_printers_csv_bad_cells_and_binary():
    """printers.csv: a bad build size names row and column; binary data is refused."""
    header = (
        "printer_id,build_x_mm,build_y_mm,build_z_mm,hourly_rate,"
        "hours_available_per_week,materials\n"
    )
    with pytest.raises(ProfileError, match="row 2, column build_x_mm"):
        load_printers((header + "P1,wide,200,200,1,40,PLA\n").encode())
    with pytest.raises(ProfileError, match="row 2, column materials"):
        load_printers((header + "P1,200,200,200,1,40,\n").encode())
    with pytest.raises(ProfileError, match="NUL bytes"):
        load_printers(b"\x00" * 100)
