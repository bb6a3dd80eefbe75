"""Tests for planner.printers loaders: printers.csv, materials.csv, PrusaSlicer .ini."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from planner.errors import ProfileError
from planner.printers import (
    DEMO_DIR,
    PrintProfile,
    load_demo_materials,
    load_demo_printers,
    load_materials,
    load_printers,
    load_prusa_ini,
)

DATA = Path(__file__).parent / "data"
PRINTERS_HEADER = (
    "printer_id,model,process,build_x_mm,build_y_mm,build_z_mm,nozzle_mm,hourly_rate,"
    "hours_available_per_week,materials,profile\n"
)
demo_present = pytest.mark.skipif(
    not (DEMO_DIR / "printers.csv").exists()
    or not (DEMO_DIR / "materials.csv").exists(),
    reason="demo catalog not written yet",
)


def test_anchor_ini_matches_readme() -> None:
    """The calibration .ini loads to the values its README states, key by key."""
    p = load_prusa_ini(DATA / "anchor_fff_pla.ini")
    assert p.name == "anchor_fff_pla"
    assert (p.nozzle_diameter_mm, p.filament_diameter_mm) == (0.4, 1.75)
    assert (p.layer_height_mm, p.first_layer_height_mm, p.extrusion_width_mm) == (
        0.2,
        0.2,
        0.45,
    )
    assert (p.perimeters, p.top_solid_layers, p.bottom_solid_layers) == (2, 5, 4)
    assert p.fill_density_frac == pytest.approx(0.20)
    assert p.fill_pattern == "rectilinear"
    speeds = (p.perimeter_speed_mm_s, p.external_perimeter_speed_mm_s,
              p.small_perimeter_speed_mm_s, p.infill_speed_mm_s, p.solid_infill_speed_mm_s,
              p.top_solid_infill_speed_mm_s, p.gap_fill_speed_mm_s, p.bridge_speed_mm_s,
              p.travel_speed_mm_s, p.first_layer_speed_mm_s)  # fmt: skip
    assert speeds == (45, 35, 45, 80, 60, 40, 40, 40, 150, 25)
    assert (p.max_acceleration_mm_s2, p.travel_acceleration_mm_s2) == (1000, 1000)
    assert (p.max_jerk_mm_s, p.max_feedrate_mm_s, p.max_jerk_e_mm_s) == (8, 200, 5)
    assert (p.max_feedrate_z_mm_s, p.max_acceleration_z_mm_s2, p.max_jerk_z_mm_s) == (
        12,
        200,
        0.4,
    )
    assert (p.retract_length_mm, p.retract_speed_mm_s, p.retract_before_travel_mm) == (
        0.8,
        35,
        2,
    )
    assert p.infill_overlap_frac == pytest.approx(0.25)
    assert not p.support_material
    assert p.slowdown_below_layer_time_s == 0
    # and those are the estimator defaults (the anchor is the default profile)
    assert dataclasses.replace(p, name=PrintProfile().name) == PrintProfile()


def test_ini_percentages_use_their_base() -> None:
    """Percent speeds/heights are taken over PrusaSlicer's base option."""
    text = b"""# comment line
layer_height = 0.25
first_layer_height = 120%
perimeter_speed = 60
external_perimeter_speed = 50%
small_perimeter_speed = 25%
infill_speed = 100
solid_infill_speed = 80%
top_solid_infill_speed = 50%
first_layer_speed = 40%
nozzle_diameter = 0.6,0.4
extrusion_width = 112.5%
fill_density = 15%
machine_max_acceleration_extruding = 1500,1250
machine_max_acceleration_x = 1200,1000
machine_max_jerk_x = 10,8
machine_max_jerk_y = 9,8
some_unknown_key = whatever
"""
    p = load_prusa_ini(text, name="pct")
    assert p.name == "pct"
    assert p.first_layer_height_mm == pytest.approx(0.3)
    assert p.external_perimeter_speed_mm_s == pytest.approx(30.0)
    assert p.small_perimeter_speed_mm_s == pytest.approx(15.0)
    assert p.solid_infill_speed_mm_s == pytest.approx(80.0)
    assert p.top_solid_infill_speed_mm_s == pytest.approx(40.0)
    assert p.first_layer_speed_frac == pytest.approx(0.4)
    assert p.nozzle_diameter_mm == 0.6
    assert p.extrusion_width_mm == pytest.approx(0.675)
    assert p.fill_density_frac == pytest.approx(0.15)
    assert p.max_acceleration_mm_s2 == 1200.0  # smallest of extruding, X (first items)
    assert p.max_jerk_mm_s == 9.0


def test_ini_auto_width() -> None:
    """extrusion_width = 0 means automatic: 1.125 x nozzle."""
    p = load_prusa_ini(b"nozzle_diameter = 0.6\nextrusion_width = 0\n")
    assert p.extrusion_width_mm == pytest.approx(0.675)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (b"perimeter_speed = fast\n", "perimeter_speed"),
        (b"perimeters = 2.5\n", "perimeters"),
        (b"fill_density = lots\n", "fill_density"),
        (b"external_perimeter_speed = x%\n", "external_perimeter_speed"),
        (b"support_material = maybe\n", "support_material"),
        (b"retract_length = -1\n", "retract_length"),
        (b"machine_max_acceleration_x = abc,1000\n", "machine_max_acceleration_x"),
    ],
)
def test_ini_bad_value_names_key(text: bytes, key: str) -> None:
    """A value of the wrong type is a ProfileError naming the key."""
    with pytest.raises(ProfileError, match=f"key {key} expects"):
        load_prusa_ini(text, name="bad")


def test_ini_out_of_range_setting() -> None:
    """A setting the profile record refuses (density > 100 %) is a ProfileError."""
    with pytest.raises(ProfileError, match="fill_density_frac"):
        load_prusa_ini(b"fill_density = 150%\n", name="bad")


def test_ini_solid_infill_settings() -> None:
    """solid_infill_below_area and ensure_vertical_shell_thickness are read
    (off when absent, as in PrusaSlicer's anchor config); a negative area or a
    non-boolean flag is refused, naming the field or key."""
    profile = load_prusa_ini(
        b"solid_infill_below_area = 70\nensure_vertical_shell_thickness = 1\n"
    )
    assert profile.solid_infill_below_area_mm2 == 70.0
    assert profile.ensure_vertical_shell_thickness is True
    default = load_prusa_ini(b"perimeters = 2\n")
    assert default.solid_infill_below_area_mm2 == 0.0
    assert default.ensure_vertical_shell_thickness is False
    with pytest.raises(ProfileError, match="key solid_infill_below_area expects"):
        load_prusa_ini(b"solid_infill_below_area = -5\n", name="bad")
    with pytest.raises(ProfileError, match="key ensure_vertical_shell_thickness"):
        load_prusa_ini(b"ensure_vertical_shell_thickness = often\n", name="bad")


def test_ini_missing_file() -> None:
    """A missing .ini is a ProfileError, not an OSError."""
    with pytest.raises(ProfileError, match="cannot read file"):
        load_prusa_ini(DATA / "no_such.ini")


def test_load_materials_upper_case_keys() -> None:
    """Materials are keyed upper-case with density and price parsed."""
    mats = load_materials(
        b"material,density_g_cm3,cost_per_kg\npetg,1.27,28\nPLA,1.24,25\n"
    )
    assert set(mats) == {"PETG", "PLA"}
    assert mats["PETG"].cost_per_kg == 28.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b"material,density_g_cm3\nPLA,1.2\n", "missing column.*cost_per_kg"),
        (
            b"material,density_g_cm3,cost_per_kg\nPLA,heavy,25\n",
            "row 2, column density_g_cm3",
        ),
        (b"material,density_g_cm3,cost_per_kg\nPLA,0,25\n", "expected a number > 0"),
        (b"material,density_g_cm3,cost_per_kg\nPLA,1.2,-1\n", "column cost_per_kg"),
        (
            b"material,density_g_cm3,cost_per_kg\nPLA,1.2,1\npla,1.3,2\n",
            "row 3.*duplicate",
        ),
        (b"material,density_g_cm3,cost_per_kg\n,1.2,1\n", "column material"),
        (b"", "empty file"),
    ],
)
def test_load_materials_errors(text: bytes, match: str) -> None:
    """Bad material tables raise ProfileError naming row and column."""
    with pytest.raises(ProfileError, match=match):
        load_materials(text, name="materials.csv")


def test_load_printers_without_profile() -> None:
    """A printer without a profile gets the default one at its nozzle size."""
    text = PRINTERS_HEADER + "P1,MK4,FFF,250,210,220,0.6,3.5,100,pla; PETG ,\n"
    (printer,) = load_printers(text.encode())
    assert printer.printer_id == "P1"
    assert printer.materials == ("PLA", "PETG")
    assert printer.runs("petg")
    assert printer.profile.nozzle_diameter_mm == 0.6
    assert printer.profile.extrusion_width_mm == pytest.approx(0.675)
    assert printer.hours_available_per_year == pytest.approx(100 * 365 / 7)


def test_load_printers_with_profile_dir(tmp_path: Path) -> None:
    """The profile column names an .ini in profile_dir (or beside the CSV)."""
    (tmp_path / "fast.ini").write_text("perimeter_speed = 120\nlayer_height = 0.3\n")
    text = PRINTERS_HEADER + "P2,CoreXY,FFF,256,256,256,0.4,5,120,ASA,fast.ini\n"
    (printer,) = load_printers(text.encode(), profile_dir=tmp_path)
    assert printer.profile.name == "fast"
    assert printer.profile.perimeter_speed_mm_s == 120.0
    csv_path = tmp_path / "printers.csv"
    csv_path.write_text(text)
    (again,) = load_printers(csv_path)
    assert again.profile == printer.profile


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("P1,M,FFF,abc,210,220,0.4,3.5,100,PLA,", "row 2, column build_x_mm"),
        ("P1,M,FFF,250,210,220,0.4,3.5,200,PLA,", "row 2.*hours_available_per_week"),
        ("P1,M,FFF,250,210,220,0.4,-1,100,PLA,", "column hourly_rate"),
        ("P1,M,FFF,250,210,220,0.4,3.5,100,,", "column materials"),
        (",M,FFF,250,210,220,0.4,3.5,100,PLA,", "column printer_id"),
        ("P1,M,FFF,250,210,220,0.4,3.5,100,PLA,missing.ini", "missing.ini' not found"),
    ],
)
def test_load_printers_errors(row: str, match: str) -> None:
    """Bad printer rows raise ProfileError naming row and column."""
    with pytest.raises(ProfileError, match=match):
        load_printers((PRINTERS_HEADER + row + "\n").encode(), name="printers.csv")


def test_load_printers_duplicate_and_missing_column() -> None:
    """Duplicate ids and missing columns are ProfileErrors."""
    row = "P1,M,FFF,250,210,220,0.4,3.5,100,PLA,\n"
    with pytest.raises(ProfileError, match=r"row 3.*duplicate printer_id"):
        load_printers((PRINTERS_HEADER + row + row).encode())
    with pytest.raises(ProfileError, match=r"missing column.*hourly_rate"):
        load_printers(b"printer_id,build_x_mm,build_y_mm,build_z_mm\nP1,1,1,1\n")


@demo_present
def test_demo_printers_and_materials() -> None:
    """The demo catalog's printers load with their profiles, materials by name."""
    printers = load_demo_printers()
    materials = load_demo_materials()
    assert len(printers) >= 3
    assert len({p.printer_id for p in printers}) == len(printers)
    for printer in printers:
        assert printer.profile.nozzle_diameter_mm > 0
        assert all(m in materials for m in printer.materials)
