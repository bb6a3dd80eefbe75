"""Tests for planner.slicing: layer slicing, extrusion model, time and filament."""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from planner.errors import GeometryError
from planner.geometry import Mesh, box_mesh, load_stl
from planner.printers import Material, Printer, PrintProfile, load_prusa_ini
from planner.slicing import (
    ROLES,
    estimate_part_on_printers,
    estimate_print,
    layer_planes,
    slice_mesh,
    trapezoid_time_s,
)

DATA = Path(__file__).parent / "data"
CALIBRATION = DATA / "calibration"
#: The full calibration set beside the checkout (R-set STL files live only there).
SHARED = Path(__file__).resolve().parents[2] / "shared" / "calibration"
PLA = Material(material="PLA", density_g_cm3=1.24, cost_per_kg=25.0)


def prism(outer: np.ndarray, height: float, hole: np.ndarray | None = None) -> Mesh:
    """Closed prism over a CCW polygon (optionally with one CW-reversed hole ring of
    the same vertex count), outward normals, z from 0 to height."""
    n = len(outer)
    nxt = np.roll(np.arange(n), -1)

    def lift(xy: np.ndarray, z: float) -> np.ndarray:
        return np.column_stack([xy, np.full(len(xy), z)])

    o0, o1 = lift(outer, 0.0), lift(outer, height)
    tris = [
        np.stack([o0, o0[nxt], o1[nxt]], axis=1),
        np.stack([o0, o1[nxt], o1], axis=1),
    ]
    if hole is None:
        centre0 = np.repeat([[*outer.mean(axis=0), 0.0]], n, axis=0)
        centre1 = np.repeat([[*outer.mean(axis=0), height]], n, axis=0)
        tris += [np.stack([centre0, o0[nxt], o0], axis=1)]
        tris += [np.stack([centre1, o1, o1[nxt]], axis=1)]
    else:
        i0, i1 = lift(hole, 0.0), lift(hole, height)
        tris += [
            np.stack([i0, i1[nxt], i0[nxt]], axis=1),
            np.stack([i0, i1, i1[nxt]], axis=1),
            np.stack([o0, i0[nxt], o0[nxt]], axis=1),
            np.stack([o0, i0, i0[nxt]], axis=1),
            np.stack([o1, o1[nxt], i1[nxt]], axis=1),
            np.stack([o1, i1[nxt], i1], axis=1),
        ]
    return Mesh(vectors=np.concatenate(tris), name="prism")


def circle(radius: float, n: int) -> np.ndarray:
    """n-gon inscribed in a circle, counter-clockwise."""
    angle = 2 * np.pi * np.arange(n) / n
    return radius * np.column_stack([np.cos(angle), np.sin(angle)])


def icosphere(radius: float, level: int) -> Mesh:
    """Icosphere of 20 * 4**level triangles, outward winding, resting on z = 0."""
    t = (1 + 5**0.5) / 2
    v = np.array(
        [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
         [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]],
        dtype=float,
    )  # fmt: skip
    f = np.array(
        [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9],
         [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2],
         [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10],
         [8, 6, 7], [9, 8, 1]]
    )  # fmt: skip
    tri = v[f] / np.linalg.norm(v[f], axis=2, keepdims=True)
    for _ in range(level):
        a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
        ab, bc, ca = ((a + b) / 2, (b + c) / 2, (c + a) / 2)
        ab, bc, ca = (
            m / np.linalg.norm(m, axis=1, keepdims=True) for m in (ab, bc, ca)
        )
        tri = np.concatenate(
            [
                np.stack(x, axis=1)
                for x in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))
            ]
        )
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    flip = np.einsum("ij,ij->i", normal, tri.mean(axis=1)) < 0
    tri[flip] = tri[flip][:, ::-1]
    return Mesh(vectors=tri * radius + [0.0, 0.0, radius], name="icosphere")


# Numpy references of compiled kernels (the product calls the kernels).


def _junction_g_xy(
    ux: np.ndarray, uy: np.ndarray, vx: np.ndarray, vy: np.ndarray
) -> np.ndarray:
    """Reference: slicing._junction_g of directions given as x and y columns."""

    def change(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.where(u * v >= 0, np.abs(u - v), np.maximum(np.abs(u), np.abs(v)))

    return np.maximum(change(ux, vx), change(uy, vy))


def _facet_normals(
    corner: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference: x, y and z of ``(b - a) x (c - a)`` per facet from its corners' columns."""
    (ax, ay, az), (bx, by, bz), (cx, cy, cz) = corner
    ux, uy, uz = bx - ax, by - ay, bz - az
    vx, vy, vz = cx - ax, cy - ay, cz - az
    return uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx


def _facet_cot(normal: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Reference: cotangent of each facet's slope, ``n_z / |n_xy|`` (+-1e6 when flat)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cot = normal[2] / np.hypot(normal[0], normal[1])
    return np.nan_to_num(cot, posinf=1e6, neginf=-1e6)


def _slope_runs(
    vz: Sequence[np.ndarray],
    zmin: np.ndarray,
    zmax: np.ndarray,
    partner: np.ndarray,
    orientation: int,
    facet_cot: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Reference (numpy) of the facet set-up kernel: per facet, the heights where
    its up- and down-facing slope ends [mm].

    An up-facing facet's slope goes on above it when the facet across its
    highest side is at least half as shallow (a curved or sloped surface), and
    ends at its top vertex when that facet turns steep or down (the crest of a
    thread, a chamfer meeting a wall); likewise downwards for down-facing
    facets. ``vz`` holds the corners' heights, one array per corner. Returns
    ``(top, bottom)``, +inf / -inf where the slope goes on.
    """
    cot = facet_cot * orientation
    mid = [0.5 * (vz[0] + vz[1]), 0.5 * (vz[1] + vz[2]), 0.5 * (vz[2] + vz[0])]
    # the first highest and first lowest side, as argmax / argmin pick them
    high = np.where((mid[0] >= mid[1]) & (mid[0] >= mid[2]), 0,
                    np.where(mid[1] >= mid[2], 1, 2))  # fmt: skip
    low = np.where((mid[0] <= mid[1]) & (mid[0] <= mid[2]), 0,
                   np.where(mid[1] <= mid[2], 1, 2))  # fmt: skip
    flat_side = 3 * np.arange(cot.size)
    sides = partner.reshape(-1)
    upper = sides[flat_side + high]
    lower = sides[flat_side + low]
    # the slope goes on where the next facet is at least half as shallow
    goes_up = (upper >= 0) & (cot[np.maximum(upper, 0) // 3] >= 0.5 * cot)
    goes_down = (lower >= 0) & (cot[np.maximum(lower, 0) // 3] <= 0.5 * cot)
    top = np.where(goes_up, np.inf, zmax)
    bottom = np.where(goes_down, -np.inf, zmin)
    return top, bottom


def test_layer_planes_counts() -> None:
    """Planes sit mid-layer: a 20 mm part at 0.2 mm has 100, a 0.05 mm disk one."""
    z, h = layer_planes(20.0, layer_height_mm=0.2, first_layer_height_mm=0.2)
    assert z.size == 100
    assert z[0] == pytest.approx(0.1)
    assert z[-1] == pytest.approx(19.9)
    z, h = layer_planes(0.05, layer_height_mm=0.2, first_layer_height_mm=0.2)
    assert z.tolist() == [0.025]
    assert h.tolist() == [0.2]


def test_box_slices_exact() -> None:
    """A 10 x 20 box: every layer 200 mm², contour 60 mm, one loop turning 8."""
    stack = slice_mesh(
        box_mesh((10.0, 20.0, 5.0)), layer_height_mm=0.2, first_layer_height_mm=0.2
    )
    assert stack.n_layers == 25
    np.testing.assert_allclose(stack.area_mm2, 200.0, rtol=1e-12)
    np.testing.assert_allclose(stack.contour_length_mm, 60.0, rtol=1e-12)
    # 4 right-angle corners: sum 2 tan(45 deg) = 8 (the inward-offset rate)
    np.testing.assert_allclose(stack.loop_turning, 8.0, rtol=1e-9)
    assert (stack.segment_next >= 0).all()
    # top and bottom faces are flat surfaces of the first and last layer
    assert stack.flat_down_mm2[0] == pytest.approx(200.0)
    assert stack.flat_up_mm2[-1] == pytest.approx(200.0)


@pytest.mark.parametrize("n_facets", [24, 64, 256])
def test_cylinder_area_perimeter_closed_form(n_facets: int) -> None:
    """Cylinder r = 10: per-layer area and perimeter equal the n-gon's exactly
    and the circle's within its faceting error (< 1 % at 64 facets and up)."""
    radius = 10.0
    stack = slice_mesh(
        prism(circle(radius, n_facets), 3.0),
        layer_height_mm=0.2,
        first_layer_height_mm=0.3,
    )
    ngon_area = 0.5 * n_facets * radius**2 * math.sin(2 * math.pi / n_facets)
    ngon_perimeter = 2 * n_facets * radius * math.sin(math.pi / n_facets)
    np.testing.assert_allclose(stack.area_mm2, ngon_area, rtol=1e-10)
    np.testing.assert_allclose(stack.contour_length_mm, ngon_perimeter, rtol=1e-10)
    if n_facets >= 64:
        np.testing.assert_allclose(stack.area_mm2, math.pi * radius**2, rtol=0.01)
        np.testing.assert_allclose(
            stack.contour_length_mm, 2 * math.pi * radius, rtol=0.01
        )
    # the turning sum of a convex loop approaches 2 pi
    assert stack.loop_turning == pytest.approx(
        np.full(stack.n_layers, 2 * n_facets * math.tan(math.pi / n_facets))
    )


def test_tube_has_island_and_hole() -> None:
    """A tube slices to one CCW island and one CW hole; net area R² - r² polygon."""
    outer, inner = circle(11.0, 96), circle(6.0, 96)
    stack = slice_mesh(prism(outer, 2.0, hole=inner), layer_height_mm=0.2,
                       first_layer_height_mm=0.2)  # fmt: skip
    expected = 0.5 * 96 * (11.0**2 - 6.0**2) * math.sin(2 * math.pi / 96)
    np.testing.assert_allclose(stack.area_mm2, expected, rtol=1e-10)
    per_layer = np.bincount(stack.loop_layer)
    assert (per_layer == 2).all()
    assert (stack.loop_area_mm2 > 0).sum() == stack.n_layers


def test_inverted_mesh_slices_positive() -> None:
    """Inverted normals still give positive areas (orientation from the volume)."""
    inverted = Mesh(vectors=box_mesh((10.0, 10.0, 2.0)).vectors[:, ::-1])
    stack = slice_mesh(inverted, layer_height_mm=0.2, first_layer_height_mm=0.2)
    np.testing.assert_allclose(stack.area_mm2, 100.0)


def test_sphere_cross_sections() -> None:
    """Icosphere r = 20: layer area follows pi (r² - (z - r)²) within faceting (1 %)."""
    stack = slice_mesh(
        icosphere(20.0, 4), layer_height_mm=0.2, first_layer_height_mm=0.2
    )
    z = stack.z_mm
    exact = np.pi * (20.0**2 - (z - 20.0) ** 2)
    middle = np.abs(z - 20.0) < 15.0
    np.testing.assert_allclose(stack.area_mm2[middle], exact[middle], rtol=0.01)


def test_trapezoid_closed_forms() -> None:
    """Long move from rest: L/v + v/a; short move: 2 sqrt(L/a); cruise only: L/v."""
    assert float(
        trapezoid_time_s(np.array(100.0), 0.0, 0.0, 50.0, 1000.0)
    ) == pytest.approx(100 / 50 + 50 / 1000)
    assert float(
        trapezoid_time_s(np.array(1.0), 0.0, 0.0, 100.0, 1000.0)
    ) == pytest.approx(2 * math.sqrt(1 / 1000))
    assert float(
        trapezoid_time_s(np.array(10.0), 40.0, 40.0, 40.0, 1000.0)
    ) == pytest.approx(0.25)


def test_cube_estimate_near_prusaslicer() -> None:
    """20 mm cube vs PrusaSlicer 2.5 (A01: 1022 s, 4.16 g): within 5 %."""
    est = estimate_print(
        box_mesh((20.0, 20.0, 20.0)), profile=PrintProfile(), material=PLA
    )
    assert est.layers == 100
    assert est.print_time_s == pytest.approx(1022, rel=0.05)
    assert est.filament_g == pytest.approx(4.16, rel=0.05)
    assert est.volume_mm3 == pytest.approx(8000.0)
    assert [r for r, _ in est.role_time_s] == list(ROLES)
    assert sum(t for _, t in est.role_time_s) == pytest.approx(est.print_time_s)


def test_costs_follow_definitions() -> None:
    """material_cost = g/1000 x price, machine_cost = h x rate, total = sum."""
    est = estimate_print(box_mesh((10.0, 10.0, 10.0)), profile=PrintProfile(),
                         material=PLA, hourly_rate=6.0, printer_id="P9")  # fmt: skip
    assert est.material_cost == pytest.approx(est.filament_g / 1000 * 25.0)
    assert est.machine_cost == pytest.approx(est.print_time_h * 6.0)
    assert est.total_cost == pytest.approx(est.material_cost + est.machine_cost)
    assert est.print_time_h == pytest.approx(est.print_time_s / 3600)
    area = math.pi * 1.75**2 / 4
    assert est.filament_g == pytest.approx(est.filament_mm * area * 1.24 / 1000)
    assert est.printer_id == "P9"


def test_solid_part_filament_close_to_volume() -> None:
    """At 100 % infill the extruded volume is about the part's volume (within 5 %)."""
    profile = dataclasses.replace(PrintProfile(), fill_density_frac=1.0)
    est = estimate_print(box_mesh((30.0, 30.0, 10.0)), profile=profile, material=PLA)
    extruded = est.filament_mm * math.pi * 1.75**2 / 4
    assert extruded == pytest.approx(9000.0, rel=0.05)


def test_physics_monotone() -> None:
    """Lower acceleration or jerk takes longer; filament does not change."""
    mesh = prism(circle(15.0, 64), 10.0)
    base = estimate_print(mesh, profile=PrintProfile(), material=PLA)
    slow = estimate_print(mesh, profile=dataclasses.replace(
        PrintProfile(), max_acceleration_mm_s2=300.0, travel_acceleration_mm_s2=300.0
    ), material=PLA)  # fmt: skip
    soft = estimate_print(
        mesh,
        profile=dataclasses.replace(PrintProfile(), max_jerk_mm_s=2.0),
        material=PLA,
    )
    assert slow.print_time_s > base.print_time_s
    assert soft.print_time_s > base.print_time_s
    assert slow.filament_g == pytest.approx(base.filament_g)


def test_cooling_slowdown_floor() -> None:
    """A tiny part with a 20 s minimum layer time takes at least 20 s per layer
    unless min_print_speed caps the slowdown."""
    mesh = box_mesh((5.0, 5.0, 2.0))
    profile = dataclasses.replace(PrintProfile(), slowdown_below_layer_time_s=20.0,
                                  min_print_speed_mm_s=1.0)  # fmt: skip
    est = estimate_print(mesh, profile=profile, material=PLA)
    assert est.print_time_s >= 20.0 * est.layers - 1e-6
    assert dict(est.role_time_s)["cooling_slowdown"] > 0


def test_support_material_adds_path() -> None:
    """A slab on a pillar needs support under the slab only when enabled."""
    pillar = box_mesh((4.0, 4.0, 10.0)).vectors + np.array([8.0, 8.0, 0.0])
    slab = box_mesh((20.0, 20.0, 2.0)).vectors + np.array([0.0, 0.0, 10.0])
    mesh = Mesh(vectors=np.concatenate([pillar, slab]), name="mushroom")
    off = estimate_print(mesh, profile=PrintProfile(), material=PLA)
    on = estimate_print(mesh, profile=dataclasses.replace(PrintProfile(),
                        support_material=True), material=PLA)  # fmt: skip
    assert dict(off.role_path_mm)["support"] == 0.0
    support_mm = dict(on.role_path_mm)["support"]
    # 400 mm² slab bottom over 50 layers at 15 % and 0.407 mm spacing (hand-worked)
    assert support_mm == pytest.approx(400 * 50 * 0.15 / 0.40708, rel=0.1)
    assert on.print_time_s > off.print_time_s
    assert on.filament_g > off.filament_g


def test_degenerate_mesh_raises() -> None:
    """estimate_print refuses a mesh with no non-degenerate facet."""
    with pytest.raises(GeometryError, match="non-zero area"):
        estimate_print(Mesh(vectors=np.zeros((3, 3, 3))), profile=PrintProfile(),
                       material=PLA)  # fmt: skip


def test_estimate_part_on_printers_filters() -> None:
    """Only printers that run the material and fit the part get an estimate."""

    def printer(pid: str, size: float, materials: tuple[str, ...]) -> Printer:
        return Printer(printer_id=pid, build_x_mm=size, build_y_mm=size, build_z_mm=size,
                       hourly_rate=2.0, hours_available_per_week=40, materials=materials)  # fmt: skip

    printers = [printer("big", 200, ("PLA",)), printer("small", 10, ("PLA",)),
                printer("petg", 200, ("PETG",))]  # fmt: skip
    out = estimate_part_on_printers(
        box_mesh((20.0, 20.0, 5.0)), printers=printers, materials={"PLA": PLA},
        material="pla", name="box.stl",
    )  # fmt: skip
    assert list(out) == ["big"]
    assert out["big"].file == "box.stl"
    assert out["big"].machine_cost == pytest.approx(out["big"].print_time_h * 2.0)
    with pytest.raises(KeyError):
        estimate_part_on_printers(
            box_mesh(), printers=printers, materials={}, material="ABS"
        )


def test_fine_sphere_fast() -> None:
    """A 327,680-triangle sphere (as A15): time and filament near PrusaSlicer's (speed: bench)."""
    mesh = icosphere(25.0, 7)
    assert mesh.n_triangles == 327_680
    est = estimate_print(mesh, profile=PrintProfile(), material=PLA)
    # PrusaSlicer 2.5 on A15 (same sphere): 5337 s, 24.7 g; 15 % / 10 % bounds
    assert est.print_time_s == pytest.approx(5337, rel=0.15)
    assert est.filament_g == pytest.approx(24.7, rel=0.10)


def test_concurrent_estimates_match_sequential() -> None:
    """Two threads estimating different meshes at once get exactly the figures
    each gets alone: the app estimates from several sessions' threads, so no
    work array or result may be shared between them."""
    from concurrent.futures import ThreadPoolExecutor

    meshes = [
        icosphere(12.0, 5),
        prism(circle(15.0, 96), 12.0, hole=circle(8.0, 96)),
        box_mesh((30.0, 20.0, 10.0)),
        icosphere(8.0, 4),
    ]
    profile = PrintProfile()

    def figures(mesh: Mesh) -> tuple:
        est = estimate_print(mesh, profile=profile, material=PLA)
        return (
            est.print_time_s, est.filament_mm, est.layers, est.role_time_s,
            est.role_path_mm, est.warnings,
        )  # fmt: skip

    alone = [figures(m) for m in meshes]
    # each thread runs its own list several times, interleaved with the other
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            pool.submit(lambda ms=ms: [figures(m) for _ in range(3) for m in ms])
            for ms in (meshes[0::2], meshes[1::2])
        ]
        together = [run.result() for run in runs]
    assert together[0] == [alone[0], alone[2]] * 3
    assert together[1] == [alone[1], alone[3]] * 3


def calibration_cases() -> list[tuple[str, Mesh]]:
    """(file, mesh) of every calibration model available here.

    A01-A14 from ``tests/data/calibration``; A15 and R01-R17 from the shared
    set beside the checkout (``../shared/calibration``; the R files carry
    third-party licences and are not copied), A15 rebuilt as the identical
    numpy icosphere when that folder is absent.
    """
    cases = [(p.name, load_stl(p)) for p in sorted(CALIBRATION.glob("A*.stl"))]
    a15 = SHARED / "A15_sphere_fine_d50_327k.stl"
    cases.append((a15.name, load_stl(a15) if a15.exists() else icosphere(25.0, 7)))
    cases += [(p.name, load_stl(p)) for p in sorted(SHARED.glob("R*.stl"))]
    return cases


def error_table(rows: list[tuple[str, float, float, int, int]]) -> str:
    """Per-model table: time and filament error [%] and layers (ours / PrusaSlicer)."""
    lines = [f"{'model':<38}{'time %':>8}{'fil %':>8}{'layers':>12}"]
    lines += [
        f"{name:<38}{100 * t:+8.1f}{100 * f:+8.1f}{ours:>6}/{theirs:<5}"
        for name, t, f, ours, theirs in rows
    ]
    return "\n".join(lines)


def test_calibration_set_against_prusaslicer() -> None:
    """Estimator vs PrusaSlicer 2.5 (anchor_fff_pla.ini) on all 32 calibration models.

    The R-set is read from ../shared/calibration and left out only when that
    folder is absent (then the A-set bounds apply). The per-model table is in
    the failure message.
    """
    profile = load_prusa_ini(DATA / "anchor_fff_pla.ini")
    rows = {r["file"]: r for r in csv.DictReader((CALIBRATION / "results.csv").open())}
    table = []
    for name, mesh in calibration_cases():
        est = estimate_print(mesh, profile=profile, material=PLA, name=name)
        row = rows[name]
        table.append((
            name,
            est.print_time_s / float(row["prusa_time_s"]) - 1.0,
            est.filament_mm / float(row["filament_mm"]) - 1.0,
            est.layers,
            int(row["layers"]),
        ))  # fmt: skip
    report = error_table(table)
    err_time = np.abs([r[1] for r in table])
    err_fil = np.abs([r[2] for r in table])
    # PrusaSlicer counts a layer more or less on the open meshes R16 / R17
    assert all(abs(r[3] - r[4]) <= 1 for r in table), report
    if len(table) == 32:
        # achieved on all 32: median 1.9 %, worst 14.3 % (R09, an M3 screw whose
        # thread flanks our shell model takes for slopes) for time; median 0.9 %,
        # worst 7.7 % (R17, an open assembly mesh) for filament. The issue asks
        # median <= 5 % and worst <= 15 % for time, median <= 3 % for filament;
        # the bounds keep a little margin over the achieved values.
        assert np.median(err_time) <= 0.03, report
        assert err_time.max() <= 0.15, report
        assert np.median(err_fil) <= 0.015, report
        assert err_fil.max() <= 0.09, report
    else:
        # A-set only (no ../shared/calibration): achieved median 0.9 %, worst
        # 4.9 % (A02, a 5 mm pin) time; median 1.3 %, worst 4.3 % (A08
        # impeller) filament
        assert len(table) == 15, report
        assert np.median(err_time) <= 0.02, report
        assert err_time.max() <= 0.06, report
        assert np.median(err_fil) <= 0.02, report
        assert err_fil.max() <= 0.05, report


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/calibration absent")
@pytest.mark.parametrize("name", ["R16_occt_bearing.stl", "R17_occt_motor.stl"])
def test_messy_real_meshes_estimated_with_warning(name: str) -> None:
    """The two open (non-watertight) real meshes still get a finite estimate,
    and it says the mesh is not watertight."""
    est = estimate_print(load_stl(SHARED / name), profile=PrintProfile(), material=PLA)
    assert any("not watertight" in w for w in est.warnings)
    assert math.isfinite(est.print_time_s)
    assert est.print_time_s > 0
    assert math.isfinite(est.filament_g)
    assert est.filament_g > 0


def test_open_mesh_gap_closed() -> None:
    """A box missing one side facet slices to closed loops of the full area:
    each open chain is closed by a straight segment along the missing (planar)
    side, so area and contour stay exact, and the estimate warns."""
    full = box_mesh((10.0, 20.0, 4.0))
    side = np.flatnonzero(np.isclose(full.vectors[:, :, 1], 0.0).all(axis=1))[0]
    holed = Mesh(vectors=np.delete(full.vectors, side, axis=0), name="holed")
    stack = slice_mesh(holed, layer_height_mm=0.2, first_layer_height_mm=0.2)
    np.testing.assert_allclose(stack.area_mm2, 200.0, rtol=1e-12)
    np.testing.assert_allclose(stack.contour_length_mm, 60.0, rtol=1e-12)
    assert (stack.segment_next >= 0).all()
    est = estimate_print(holed, profile=PrintProfile(), material=PLA)
    ref = estimate_print(full, profile=PrintProfile(), material=PLA)
    assert any("not watertight" in w for w in est.warnings)
    assert est.filament_mm == pytest.approx(ref.filament_mm, rel=0.02)


def test_overlapping_shell_unioned() -> None:
    """A box inside another box (two overlapping bodies, as in assembly meshes)
    slices to the outer box only, as a slicer's union does."""
    outer = box_mesh((20.0, 20.0, 2.0)).vectors
    inner = box_mesh((4.0, 4.0, 2.0)).vectors + np.array([5.0, 5.0, 0.0])
    stack = slice_mesh(Mesh(vectors=np.concatenate([outer, inner])),
                       layer_height_mm=0.2, first_layer_height_mm=0.2)  # fmt: skip
    np.testing.assert_allclose(stack.area_mm2, 400.0, rtol=1e-12)
    np.testing.assert_allclose(stack.contour_length_mm, 80.0, rtol=1e-12)
    assert (np.bincount(stack.loop_layer) == 1).all()


def test_holes_grouped_with_their_islands() -> None:
    """Two tubes side by side: each hole belongs to its own island (nesting by
    winding number), and the wall too narrow for infill between the second
    tube's perimeters (1.85 mm: two perimeters take 1.67) becomes gap fill."""
    thick = prism(circle(11.0, 96), 2.0, hole=circle(6.0, 96))
    thin = Mesh(vectors=prism(circle(5.0, 96), 2.0, hole=circle(3.15, 96)).vectors
                + np.array([40.0, 0.0, 0.0]))  # fmt: skip
    mesh = Mesh(vectors=np.concatenate([thick.vectors, thin.vectors]))
    stack = slice_mesh(mesh, layer_height_mm=0.2, first_layer_height_mm=0.2)
    index = np.flatnonzero(stack.loop_layer == 3)
    area = stack.loop_area_mm2[index]
    group = stack.loop_group[index]
    big_island, small_island = index[np.argsort(area)[::-1][:2]]
    big_hole, small_hole = np.argsort(area)[:2]
    assert group[big_hole] == big_island
    assert group[small_hole] == small_island
    assert (stack.loop_group[stack.loop_area_mm2 > 0]
            == np.flatnonzero(stack.loop_area_mm2 > 0)).all()  # fmt: skip
    est = estimate_print(mesh, profile=PrintProfile(), material=PLA)
    alone = estimate_print(thick, profile=PrintProfile(), material=PLA)
    assert dict(est.role_path_mm)["gap_fill"] > 0
    assert dict(alone.role_path_mm)["gap_fill"] == 0


def test_other_fill_pattern_warned() -> None:
    """A gyroid profile is estimated as rectilinear, and the estimate says so."""
    profile = dataclasses.replace(PrintProfile(), fill_pattern="gyroid")
    est = estimate_print(box_mesh((10.0, 10.0, 5.0)), profile=profile, material=PLA)
    assert any("gyroid" in w for w in est.warnings)


def gear_star(teeth: int, outer: float, inner: float, height: float) -> Mesh:
    """Star-shaped prism (a crude gear) with walls at 45 degree multiples, plus
    a chamfered top ring so that the layers fall into several bands."""
    angle = np.pi * np.arange(2 * teeth) / teeth
    radius = np.where(np.arange(2 * teeth) % 2 == 0, outer, inner)
    outline = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    body = prism(outline, height).vectors
    cap = prism(0.5 * outline, 2.0).vectors + np.array([0.0, 0.0, height])
    return Mesh(vectors=np.concatenate([body, cap]), name="gear_star")


@pytest.mark.parametrize(
    "mesh",
    [
        prism(circle(4.0, 48), 30.0),
        prism(circle(11.0, 96), 6.0, hole=circle(6.0, 96)),
        gear_star(8, 20.0, 14.0, 5.0),
    ],
    ids=["rod", "tube", "gear"],
)
def test_copied_layers_equal_cut_layers(mesh: Mesh, monkeypatch) -> None:
    """Layers that repeat the layer below are copied, not cut: every per-layer
    figure and the whole estimate equal those of cutting each layer (to
    rounding), and the segments are the same."""
    import planner.slicing as slicing

    copied = slice_mesh(mesh, layer_height_mm=0.2, first_layer_height_mm=0.3)
    est = estimate_print(mesh, profile=PrintProfile(), material=PLA)
    assert copied.layer_source is not None
    assert (copied.layer_source != np.arange(copied.n_layers)).sum() > 10
    monkeypatch.setattr(slicing, "_COPY_BANDS", False)
    cut = slice_mesh(mesh, layer_height_mm=0.2, first_layer_height_mm=0.3)
    ref = estimate_print(mesh, profile=PrintProfile(), material=PLA)
    assert cut.layer_source is None
    for name in ("area_mm2", "contour_length_mm", "extent_mm", "fill_extent_mm",
                 "bbox_size_mm", "extrema", "flat_up_mm2", "flat_down_mm2",
                 "segment_layer", "segment_next", "segment_length_mm",
                 "segment_junction_g", "segment_slope_cot", "loop_area_mm2",
                 "loop_turning", "loop_group"):  # fmt: skip
        np.testing.assert_allclose(
            getattr(copied, name), getattr(cut, name), rtol=1e-12, atol=1e-12,
            err_msg=name,
        )  # fmt: skip
    assert est.print_time_s == pytest.approx(ref.print_time_s, rel=1e-12)
    assert est.filament_mm == pytest.approx(ref.filament_mm, rel=1e-12)
    assert dict(est.role_time_s) == pytest.approx(dict(ref.role_time_s), rel=1e-12)


def test_collinear_pieces_merge() -> None:
    """Each side of a prism is two triangles, cut into two collinear pieces per
    layer; they join into one segment, and the contour stays exact."""
    n = 24
    stack = slice_mesh(prism(circle(10.0, n), 2.0), layer_height_mm=0.2,
                       first_layer_height_mm=0.2)  # fmt: skip
    assert (np.bincount(stack.segment_layer) == n).all()
    side = 2 * 10.0 * math.sin(math.pi / n)
    np.testing.assert_allclose(stack.segment_length_mm, side, rtol=1e-12)
    np.testing.assert_allclose(stack.contour_length_mm, n * side, rtol=1e-12)
    np.testing.assert_allclose(stack.loop_turning, n * 2 * math.tan(math.pi / n))


def _sweeps_pair(
    nxt: np.ndarray, reach: np.ndarray, limit: np.ndarray, free: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The planner's sweeps over the chains ``nxt`` (-1: chain end), plain numpy
    Jacobi sweeps of every segment (the reference), and the limits used."""
    from planner._kernels import plan_sweeps, predecessor_lists
    from planner.slicing import _PLANNER_SWEEPS

    n = nxt.size
    index = np.arange(n)
    has_next = nxt >= 0
    prev = np.full(n, -1)
    prev[nxt[has_next]] = index[has_next]
    limit = np.where(has_next, limit, free)
    prev_src = np.where(prev >= 0, prev, n + index)
    next_src = np.where(has_next, nxt, n)
    reach_next = reach[np.where(has_next, nxt, index)]
    got = plan_sweeps(
        limit.astype(float), free.astype(float), reach.astype(float),
        reach_next.astype(float), prev_src.astype(np.int64),
        next_src.astype(np.int64), ~has_next,
        *predecessor_lists(next_src.astype(np.int64)), _PLANNER_SWEEPS,
    )  # fmt: skip
    v = limit.copy()
    for _ in range(_PLANNER_SWEEPS):
        start = np.concatenate([v, free])
        forward = np.minimum(start[prev_src] + reach, v)
        after = np.where(
            has_next, forward[np.where(has_next, nxt, 0)] + reach_next, np.inf
        )
        v = np.where(has_next, np.minimum(forward, after), limit)
    return got, v, limit


def test_planner_sweeps_with_shared_successor_match_full_sweeps() -> None:
    """Where two segments lead into one (a messy mesh), the planner's sweeps
    give the numbers of a plain full-sweep numpy implementation on random
    chains."""
    rng = np.random.default_rng(7)
    n = 400
    nxt = np.arange(1, n + 1)
    nxt[rng.choice(n, 40, replace=False)] = -1
    nxt[nxt >= n] = -1
    merge_into = rng.choice(n, 30, replace=False)
    nxt[rng.choice(n, 30, replace=False)] = merge_into
    reach = rng.uniform(0.0, 300.0, n)
    limit = rng.uniform(10.0, 3000.0, n)
    free = rng.uniform(10.0, 200.0, n)
    got, want, _ = _sweeps_pair(nxt, reach, limit, free)
    np.testing.assert_array_equal(got, want)


def random_contour(n: int, seed: int) -> dict[str, np.ndarray]:
    """Random contour segments: chains and loops over 5 layers, some of zero length,
    a few chain ends and two segments leading into one (a messy mesh)."""
    rng = np.random.default_rng(seed)
    nxt = np.arange(1, n + 1)
    nxt[rng.choice(n, n // 10, replace=False)] = -1
    nxt[nxt >= n] = -1
    nxt[rng.choice(n, n // 20, replace=False)] = rng.choice(n, n // 20)
    loop_start = np.sort(rng.choice(n, n // 8, replace=False))
    nxt[loop_start[1:] - 1] = loop_start[:-1]
    p = rng.uniform(-20.0, 20.0, (n, 2)).round(1)
    q = p + rng.choice([0.0, 0.5, -1.0, 3.0], (n, 2))
    return {
        "next": nxt, "p": p, "q": q, "layer": np.sort(rng.integers(0, 5, n)),
        "junction_g": rng.choice([0.0, 0.3, 1.0, 2.0], n),
        "length": rng.uniform(0.0, 5.0, n) * (rng.random(n) > 0.1),
        "seam": rng.random(n) < 0.1,
    }  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_chain_components_match_scipy(seed: int) -> None:
    """The union-find loop labels, probe members and first segments equal
    scipy's weak components and np.minimum.at (the numpy code they replace)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from planner._kernels import chain_components

    c = random_contour(500, seed)
    nxt, n = c["next"], c["next"].size
    member = np.random.default_rng(seed).permutation(n)
    has = nxt >= 0
    graph = coo_matrix((np.ones(has.sum()), (np.flatnonzero(has), nxt[has])), (n, n))
    n_ref, label_ref = connected_components(graph, directed=True, connection="weak")
    probe_ref = np.full(n_ref, np.iinfo(np.int64).max)
    np.minimum.at(probe_ref, label_ref, member)
    first_ref = np.full(n_ref, n)
    np.minimum.at(first_ref, label_ref, np.arange(n))
    n_loops, label, probe, first = chain_components(nxt, member)
    assert n_loops == n_ref
    np.testing.assert_array_equal(label, label_ref)
    np.testing.assert_array_equal(probe, probe_ref)
    np.testing.assert_array_equal(first, first_ref)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_contour_measures_match_numpy(seed: int) -> None:
    """The compiled per-segment measures and per-layer sums equal, bit for bit,
    the numpy expressions slice_mesh used before (zero-length segments included)."""
    from planner.slicing import _contour_measures

    c = random_contour(400, seed)
    p, q, nxt, layer = c["p"], c["q"], c["next"], c["layer"]
    n, n_layers = nxt.size, 6
    loop = np.random.default_rng(seed).integers(0, 50, n)
    shoelace = 0.5 * (p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0])
    measures = _contour_measures(p, q, nxt, layer, loop, shoelace, n_layers, 50)
    got = measures[:11] + measures[12:]  # the extrema: test_contour_extrema_*
    # the numpy reference
    dx, dy = q[:, 0] - p[:, 0], q[:, 1] - p[:, 1]
    length = np.hypot(dx, dy)
    positive = length > 0
    ux = np.divide(dx, length, out=np.zeros(n), where=positive)
    uy = np.divide(dy, length, out=np.zeros(n), where=positive)
    has_next = nxt >= 0
    for _ in range(3):
        zero = ~positive & has_next
        ux[zero], uy[zero] = ux[nxt[zero]], uy[nxt[zero]]
    succ = np.where(has_next, nxt, np.arange(n))
    vx, vy = ux[succ], uy[succ]
    junction_g = np.where(has_next, _junction_g_xy(ux, uy, vx, vy), 2.0)
    dot = np.einsum("ij,ij->i", np.stack([ux, uy], axis=1), np.stack([vx, vy], axis=1))
    across = ((dy - dx) * math.sqrt(0.5), (dy + dx) * math.sqrt(0.5))
    seg_cross = np.abs(np.where(layer % 2 == 0, across[0], across[1]))
    bbox = np.zeros((n_layers, 2))
    for k in np.unique(layer):
        pts = np.concatenate([p[layer == k], q[layer == k]])
        bbox[k] = pts.max(axis=0) - pts.min(axis=0)
    expected = (
        length, junction_g, ux * vy - uy * vx, dot, has_next,
        np.bincount(loop, length, minlength=50),
        np.bincount(layer, shoelace, minlength=n_layers),
        np.bincount(layer, length, minlength=n_layers),
        np.stack([np.bincount(layer, np.abs(a), minlength=n_layers) for a in across],
                 axis=1),
        seg_cross, np.bincount(layer, seg_cross, minlength=n_layers), bbox,
    )  # fmt: skip
    assert (~positive & has_next).any()
    assert (dot == 0).any()
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
        assert (np.signbit(a) == np.signbit(b)).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_contour_times_match_numpy(seed: int) -> None:
    """The compiled contour planner (seam, junction limits, sweeps, trapezoids)
    equals, bit for bit, the numpy formulation with plain full sweeps."""
    from planner._kernels import seam_segments
    from planner.slicing import _PLANNER_SWEEPS, _contour_time_s

    c = random_contour(600, seed)
    rng = np.random.default_rng(seed)
    nxt, length, g, seam = c["next"], c["length"], c["junction_g"], c["seam"]
    n = nxt.size
    speeds = (rng.uniform(15.0, 60.0, n), np.full(n, 25.0))
    acc = rng.choice([500.0, 1000.0], n)
    got = _contour_time_s(nxt, length, g, speeds, acceleration_mm_s2=acc,
                          jerk_mm_s=8.0, seam=seam)  # fmt: skip
    rows = []
    for cut in (np.where(seam, -1, nxt), nxt):
        has_next = cut >= 0
        prev = np.full(n, -1)
        prev[cut[has_next]] = np.flatnonzero(has_next)
        succ = np.where(has_next, cut, np.arange(n))
        reach = 2.0 * acc * length
        with np.errstate(divide="ignore"):
            jerk_limit = 8.0 / g
        for speed in speeds:
            free = np.minimum(8.0, speed)
            limit = np.where(
                has_next, np.minimum(np.minimum(speed, speed[succ]), jerk_limit), free
            )
            v = limit * limit
            for _ in range(_PLANNER_SWEEPS):
                start = np.where(prev >= 0, v[np.maximum(prev, 0)], free * free)
                forward = np.minimum(start + reach, v)
                after = forward[succ] + reach[succ]
                v = np.where(has_next, np.minimum(forward, after), limit * limit)
            end = np.sqrt(v)
            entry = np.where(prev >= 0, end[np.maximum(prev, 0)], free)
            rows.append(trapezoid_time_s(length, entry, end, speed, acc))
    np.testing.assert_array_equal(got, np.stack([rows[0], rows[2], rows[1], rows[3]]))
    # seam: the first segment at each closed loop's largest junction measure
    loop = np.repeat(np.arange(60), 10)
    closed_next = np.where(
        np.arange(600) % 10 == 9, np.arange(600) - 9, np.arange(1, 601)
    )
    closed_next[rng.choice(600, 20)] = -1
    got_seam = seam_segments(loop, closed_next, g, 60)
    for k in range(60):
        members = np.flatnonzero(loop == k)
        want = np.zeros(10, dtype=bool)
        if (closed_next[members] >= 0).all():
            want[np.argmax(g[members])] = True
        np.testing.assert_array_equal(got_seam[members], want)


def _sphere_and_box() -> Mesh:
    """A UV sphere (sloped facets of every steepness) beside a box (flat and
    vertical facets): inputs for the per-facet and per-segment kernels."""
    u = np.linspace(0.0, 2.0 * np.pi, 24, endpoint=False)
    v = np.linspace(0.0, np.pi, 13)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    pts = np.stack(
        [8 * np.sin(vv) * np.cos(uu), 8 * np.sin(vv) * np.sin(uu), 8 - 8 * np.cos(vv)],
        axis=-1,
    )
    i, j = np.meshgrid(np.arange(24), np.arange(12), indexing="ij")
    a, b = pts[i, j], pts[(i + 1) % 24, j]
    c, d = pts[(i + 1) % 24, j + 1], pts[i, j + 1]
    tris = np.concatenate(
        [
            np.stack([a, c, b], -2).reshape(-1, 3, 3),
            np.stack([a, d, c], -2).reshape(-1, 3, 3),
        ]
    )
    tris = tris[
        np.linalg.norm(
            np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]), axis=1
        )
        > 1e-9
    ]
    box = box_mesh((6.0, 5.0, 7.0)).vectors + np.array([20.0, 0.0, 0.0])
    return Mesh(vectors=np.concatenate([tris, box]), name="sphere_box")


def test_facet_setup_kernel_matches_numpy():
    """The compiled start of slice_mesh (heights, planes cut, normals, slopes,
    slope runs) equals the numpy functions it replaced, bit for bit, for both
    normal orientations (flat facets give the +-1e6 cotangent)."""
    from planner.geometry import analyse_mesh
    from planner.slicing import _facet_setup

    topo = analyse_mesh(_sphere_and_box())
    centre = np.array([1.25, -0.5, topo.vectors[:, :, 2].min()])
    xs, ys, zs = (
        (topo.vectors[:, :, k] - centre[k]).reshape(-1) for k in range(3)
    )  # fmt: skip
    z_planes = layer_planes(16.0, layer_height_mm=0.2, first_layer_height_mm=0.3)[0]
    # heights exactly on planes and between the first two, uneven, planes
    assert np.isin(zs, z_planes).any()
    assert ((zs > z_planes[0]) & (zs < z_planes[1])).any()
    corner = [(xs[k::3], ys[k::3], zs[k::3]) for k in range(3)]
    vz = [c[2] for c in corner]
    zmin = np.minimum(np.minimum(vz[0], vz[1]), vz[2])
    zmax = np.maximum(np.maximum(vz[0], vz[1]), vz[2])
    normal = _facet_normals(corner)
    cot = _facet_cot(normal)
    assert (np.abs(cot) == 1e6).any()
    assert (cot == 0).any()
    for orientation in (1, -1):
        got = _facet_setup(
            dataclasses.replace(topo, orientation=orientation), centre, z_planes
        )
        want = (
            zmin, zmax,
            np.searchsorted(z_planes, zmin, side="right"),
            np.searchsorted(z_planes, zmax, side="right"),
            normal[2], cot,
            *_slope_runs(vz, zmin, zmax, topo.side_partner, orientation, cot),
        )  # fmt: skip
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)


def _strips_reference(stack, h, d_fill, growth_top, growth_bottom, n_top, n_bottom,
                      sliver, margin, narrow, vertical_top=-1.0, vertical_bottom=-1.0,
                      min_spacing=None):  # fmt: skip
    """The numpy strips of plan_extrusion before they were compiled, and the
    vertical-shell bands (PrusaSlicer's discover_vertical_shells) as they are
    described: in place of the shell strips, ``layers x s x growth`` wide where
    that is wider than the minimum spacing, grown by 0.3 of it."""
    n = stack.n_layers
    step = np.clip(stack.segment_slope_cot * h[stack.segment_layer], -1e3, 1e3)
    sloped = np.flatnonzero(step != 0.0)
    layer = stack.segment_layer[sloped]
    length, cross = stack.segment_length_mm[sloped], stack.segment_cross_mm[sloped]
    step, fill = step[sloped], d_fill[layer]
    run_layers = stack.segment_slope_run_mm[sloped] / h[layer] + 1.0

    def strips(reach, exposed, vertical=None):
        band = np.where(exposed & (reach > 0), reach, 0.0)
        if vertical is not None:
            m = min_spacing[layer]
            band = np.where(vertical > m, vertical + 0.3 * m, 0.0)
        return [
            np.bincount(layer, length * band, minlength=n),
            np.bincount(layer, 2.0 * cross * (band > 0), minlength=n),
            np.bincount(layer, 2.0 * length * (band > 0), minlength=n),
        ]

    def shell(n_layers, s, growth, n_vertical):
        reach = (np.minimum(n_layers, run_layers) * s * growth[layer] - fill
                 + margin * (s > fill))  # fmt: skip
        reach = np.where((reach > 0) & (reach < 2.0 * narrow), reach + narrow, reach)
        vertical = None
        if n_vertical >= 0:
            vertical = np.minimum(n_vertical, run_layers) * s * growth[layer]
        return strips(reach, s > sliver, vertical)

    def own(s):
        return strips((s - fill + margin) * (s > fill), s > sliver)

    up, down = np.maximum(step, 0.0), np.maximum(-step, 0.0)
    return np.array([own(up), shell(n_top, up, growth_top, vertical_top), own(down),
                     shell(n_bottom, down, growth_bottom, vertical_bottom)])  # fmt: skip


def test_shell_strip_kernels_match_numpy():
    """slope_steps, shell_strips and connectable_lengths equal the bincount code
    they replaced, bit for bit, on a sliced sphere and box."""
    from planner import _kernels

    stack = slice_mesh(
        _sphere_and_box(), layer_height_mm=0.2, first_layer_height_mm=0.3
    )
    n, h = stack.n_layers, stack.height_mm
    rng = np.random.default_rng(4)
    d_fill = rng.uniform(0.0, 0.8, n)
    growth_top, growth_bottom = rng.uniform(0.5, 4.0, n), rng.uniform(0.5, 4.0, n)
    min_spacing = rng.uniform(0.3, 0.5, n)
    # without and with the vertical shells (4 layers above, 3 below; none)
    for vertical in ((-1.0, -1.0), (4.0, 3.0), (0.0, 0.0)):
        args = (3.0, 4.0, 0.09, 3.0, 1.35, *vertical)
        got = _kernels.shell_strips(
            stack.segment_layer, stack.segment_slope_cot, stack.segment_length_mm,
            stack.segment_cross_mm, stack.segment_slope_run_mm, h, d_fill,
            growth_top, growth_bottom, *args, min_spacing,
        )  # fmt: skip
        want = _strips_reference(stack, h, d_fill, growth_top, growth_bottom, *args,
                                 min_spacing)  # fmt: skip
        assert want[:, 0].sum() > 0
        assert np.array_equal(got, want)
    assert (got[[1, 3]] == 0).all()  # no layers: no vertical shell strips
    assert not np.array_equal(got, _strips_reference(
        stack, h, d_fill, growth_top, growth_bottom, 3.0, 4.0, 0.09, 3.0, 1.35
    ))  # fmt: skip

    sloped = np.flatnonzero(stack.segment_slope_cot != 0.0)
    layer = stack.segment_layer[sloped]
    step = np.clip(stack.segment_slope_cot[sloped] * h[layer], -1e3, 1e3)
    step = step * stack.segment_length_mm[sloped]
    d_up, d_down = _kernels.slope_steps(
        stack.segment_layer, stack.segment_slope_cot, stack.segment_length_mm, h, n
    )
    assert np.array_equal(d_up, np.bincount(layer, np.maximum(step, 0.0), minlength=n))
    assert np.array_equal(
        d_down, np.bincount(layer, np.maximum(-step, 0.0), minlength=n)
    )

    length, cross = stack.segment_length_mm, stack.segment_cross_mm
    sin = np.divide(cross, length, out=np.zeros_like(length), where=length > 0)
    limit = np.stack([np.full(n, 0.3), rng.uniform(0.0, 1.0, n)])
    got = _kernels.connectable_lengths(stack.segment_layer, length, cross, limit)
    for row in range(2):
        want = np.bincount(
            stack.segment_layer, length * (sin >= limit[row][stack.segment_layer]),
            minlength=n,
        )  # fmt: skip
        assert np.array_equal(got[row], want)


def test_planner_sweeps_on_linked_chains_match_full_sweeps() -> None:
    """On consistent chains and loops (every segment one successor, one
    predecessor, as a watertight mesh gives) the planner's sweeps equal plain
    full Jacobi sweeps in numpy, including runs cut off by the sweep limit
    (long chains of big speed steps)."""
    rng = np.random.default_rng(11)
    n = 3000
    index = np.arange(n)
    # chains and closed loops of random lengths, in a shuffled order
    bounds = np.sort(rng.choice(np.arange(1, n), 150, replace=False))
    nxt = index + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [n]]) - 1
    closed = rng.random(starts.size) < 0.5
    nxt[ends] = np.where(closed, starts, -1)
    perm = rng.permutation(n)
    inv = np.argsort(perm)
    nxt = np.where(nxt[perm] >= 0, inv[np.maximum(nxt[perm], 0)], -1)
    reach = rng.choice([0.0, 5.0, 300.0], n) * rng.random(n)
    limit = rng.uniform(10.0, 3000.0, n) ** 2
    free = rng.uniform(10.0, 200.0, n)
    got, want, limit = _sweeps_pair(nxt, reach, limit, free)
    assert not np.array_equal(want, limit)
    np.testing.assert_array_equal(got, want)


def test_segment_slopes_kernel_matches_numpy() -> None:
    """The compiled per-segment slope and slope run equal the numpy
    expressions slice_mesh used (gather, orient, pick the run above or below),
    bit for bit, for both orientations and with zero and negative slopes."""
    from planner import _kernels

    rng = np.random.default_rng(5)
    n_facets, m = 50, 400
    facet_cot = rng.choice([-2.0, -0.0, 0.0, 0.5, 1e6], n_facets) * rng.random(n_facets)
    run_top = rng.uniform(0.0, 10.0, n_facets)
    run_bottom = rng.uniform(-10.0, 0.0, n_facets)
    z_planes = np.arange(0.1, 5.0, 0.2)
    facet = rng.integers(0, n_facets, m)
    layer = rng.integers(0, z_planes.size, m)
    for orientation in (1, -1):
        cot, run = _kernels.segment_slopes(
            facet, layer, facet_cot, orientation, run_top, run_bottom, z_planes
        )
        want_cot = facet_cot[facet] * orientation
        seg_z = z_planes[layer]
        want_run = np.where(
            want_cot >= 0, run_top[facet] - seg_z, seg_z - run_bottom[facet]
        )
        np.testing.assert_array_equal(cot, want_cot)
        assert np.array_equal(np.signbit(cot), np.signbit(want_cot))
        np.testing.assert_array_equal(run, want_run)


def test_bin_sums_kernel_matches_bincount() -> None:
    """The compiled per-layer sums of the contour times equal np.bincount of
    each row bit for bit (each bin summed from zero in index order), with
    empty bins and unsorted indices."""
    from planner import _kernels

    rng = np.random.default_rng(4)
    bins = rng.integers(0, 30, 2000)
    weights = rng.normal(size=(4, 2000)) * 10.0 ** rng.integers(-8, 8, (4, 2000))
    # unsorted, then in runs of equal bins (a sliced part's layers) broken by
    # revisits of earlier bins
    for b in (bins, np.concatenate([np.sort(bins[:1500]), bins[1500:]])):
        got = np.zeros((4, 40))
        _kernels.bin_sums_rows(b, weights, np.arange(4), got)
        want = np.stack([np.bincount(b, row, minlength=40) for row in weights])
        assert got.shape == (4, 40)
        np.testing.assert_array_equal(got, want)


def _loop_segments(loops: list[np.ndarray], layer: int = 0) -> tuple:
    """Segments of closed loops (vertex rings), as slice_mesh keeps them."""
    p = np.concatenate(loops)
    sizes = [len(loop) for loop in loops]
    starts = np.cumsum([0, *sizes[:-1]])
    nxt = np.concatenate([
        s + (np.arange(n) + 1) % n for s, n in zip(starts, sizes, strict=True)
    ])  # fmt: skip
    seg_loop = np.repeat(np.arange(len(loops)), sizes)
    return p, nxt, np.full(p.shape[0], layer), seg_loop


def _comb(
    n_teeth: int, depth: float, base: float = 5.0, pitch: float = 10.0
) -> np.ndarray:
    """A comb (CCW ring): a bar ``base`` high with ``n_teeth`` teeth ``depth``
    long, half a ``pitch`` wide, built along u = (y - x) / sqrt 2 (across the
    45-degree infill lines) and v = (y + x) / sqrt 2 (across the others)."""
    length = n_teeth * pitch
    top = []
    for k in reversed(range(n_teeth)):
        v0, v1 = k * pitch + 0.25 * pitch, k * pitch + 0.75 * pitch
        top += [(base, v1), (base + depth, v1), (base + depth, v0), (base, v0)]
    uv = np.array([(0.0, 0.0), (0.0, length), (base, length), *top, (base, 0.0)])
    u, v = uv[:, 0], uv[:, 1]
    return np.column_stack([(v - u) / math.sqrt(2), (u + v) / math.sqrt(2)])[::-1]


def test_contour_extrema_closed_forms() -> None:
    """Extrema across the infill lines, the mean of the two directions: a
    convex loop has 2; a comb of k teeth 4 mm long has 2k across one direction
    (each tooth a maximum, each gap and the bar's back a minimum) and 2 across
    the other, k + 1 in all; 0.5 mm teeth (knurls, under the 2 mm prominence)
    leave 2; loops of a layer add up, per layer; where a loop starts does not
    matter."""
    from planner._kernels import contour_extrema
    from planner.slicing import _EXTREMUM_PROMINENCE_MM

    def extrema(loops: list[np.ndarray], layers: list[int] | None = None) -> list:
        p, nxt, _, loop = _loop_segments(loops)
        layer = np.repeat(layers or [0] * len(loops), [len(x) for x in loops])
        return contour_extrema(
            p, nxt, layer, loop, len(loops), max(layer) + 1, _EXTREMUM_PROMINENCE_MM
        ).tolist()

    convex = circle(10.0, 64)
    comb = _comb(6, 4.0)
    assert extrema([convex]) == [2.0]
    assert extrema([comb]) == [7.0]
    assert extrema([_comb(6, 0.5)]) == [2.0]
    assert extrema([convex, comb]) == [9.0]
    assert extrema([convex, comb], layers=[0, 2]) == [2.0, 0.0, 7.0]
    assert extrema([np.roll(comb, 9, axis=0)]) == [7.0]


def test_retraction_count_against_prusaslicer() -> None:
    """The retractions we time (retract time over one retract and unretract) are
    near PrusaSlicer's count on the calibration models (median ratio 0.7-1.3),
    the gear's teeth included (PrusaSlicer 693: travels between the infill
    pieces in the teeth)."""
    profile = load_prusa_ini(DATA / "anchor_fff_pla.ini")
    rows = {r["file"]: r for r in csv.DictReader((CALIBRATION / "results.csv").open())}
    one = 2.0 * float(trapezoid_time_s(
        np.array(profile.retract_length_mm), profile.max_jerk_e_mm_s,
        profile.max_jerk_e_mm_s, profile.retract_speed_mm_s,
        profile.retract_acceleration_mm_s2,
    ))  # fmt: skip
    ratio = {}
    for name, mesh in calibration_cases():
        est = estimate_print(mesh, profile=profile, material=PLA)
        ratio[name] = (
            dict(est.role_time_s)["retract"] / one / int(rows[name]["retractions"])
        )
    # measured: median 0.85 (0.45 on R15 .. 1.67 on R09); gear 0.74
    assert 0.7 <= np.median(list(ratio.values())) <= 1.3, ratio
    assert 0.5 <= ratio["A06_gear_m2_z24_t8.stl"] <= 1.5, ratio
