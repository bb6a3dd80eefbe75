"""Tests for planner.plate_estimate: placing parts, merging, shares and savings."""

from __future__ import annotations

import numpy as np
import pytest

from planner.errors import GeometryError
from planner.geometry import Mesh, box_mesh, mesh_properties
from planner.plate_estimate import estimate_plate, grid_placements, pack_placements
from planner.printers import Material, PrintProfile
from planner.slicing import estimate_print

PLA = Material(material="PLA", density_g_cm3=1.24, cost_per_kg=25.0)
#: Real PLA profiles slow small layers down (PrusaSlicer ``slowdown_below_layer_time``,
#: 15 s in the demo MK4 profile): the per-layer cost a plate shares.
COOLED = PrintProfile(slowdown_below_layer_time_s=10.0)
#: Role times that are extrusion proper (not moves, retractions or waiting).
EXTRUSION_ROLES = {
    "ext_perimeter",
    "perimeter",
    "sparse_infill",
    "solid_infill",
    "top_solid_infill",
    "bridge_infill",
    "gap_fill",
    "support",
}


def extrusion_time_s(est) -> float:
    """Time spent extruding, from an estimate's role split."""
    return sum(t for role, t in est.role_time_s if role in EXTRUSION_ROLES)


@pytest.mark.parametrize("n_copies", [2, 4, 6])
def test_plate_of_copies_shares_overheads_but_not_extrusion(n_copies):
    """N small cubes on one plate: the cooling wait of their short layers is paid
    once, so the plate takes less than N single prints, yet at least the N cubes'
    extrusion; filament is N times one cube's (1%: only travel differs)."""
    cube = box_mesh((8.0, 8.0, 6.0), name="cube")
    single = estimate_print(cube, profile=COOLED, material=PLA)
    plate = estimate_plate([cube] * n_copies, profile=COOLED, material=PLA)
    assert plate.print_time_s < n_copies * single.print_time_s
    assert plate.print_time_s >= n_copies * extrusion_time_s(single)
    assert plate.filament_g == pytest.approx(n_copies * single.filament_g, rel=0.01)
    assert plate.estimate.layers == single.layers
    assert plate.saving_time_s == pytest.approx(
        n_copies * single.print_time_s - plate.print_time_s
    )
    assert plate.alone_total_cost == pytest.approx(n_copies * single.total_cost)


def test_plate_layers_are_the_tallest_parts():
    """Parts of 2, 5 and 9 mm: the plate has the 9 mm part's 45 layers, and its
    filament is the sum of the three alone (within 1%)."""
    parts = [box_mesh((10.0, 10.0, h), name=f"h{h:g}") for h in (2.0, 5.0, 9.0)]
    plate = estimate_plate(parts, profile=PrintProfile(), material=PLA)
    assert plate.estimate.layers == 45 == max(p.alone.layers for p in plate.parts)
    assert plate.filament_g == pytest.approx(
        sum(p.alone.filament_g for p in plate.parts), rel=0.01
    )


def test_shares_split_the_plate_by_filament():
    """Shares follow each part's filament alone, sum to one, and split the plate's
    time and cost exactly."""
    parts = [box_mesh((10.0, 10.0, 5.0)), box_mesh((20.0, 10.0, 5.0))]
    plate = estimate_plate(parts, profile=PrintProfile(), material=PLA, hourly_rate=2.0)
    share = np.array([p.share_frac for p in plate.parts])
    filament = np.array([p.alone.filament_g for p in plate.parts])
    assert share == pytest.approx(filament / filament.sum())
    assert share.sum() == pytest.approx(1.0)
    assert sum(p.print_time_share_s for p in plate.parts) == pytest.approx(
        plate.print_time_s
    )
    assert sum(p.total_cost_share for p in plate.parts) == pytest.approx(
        plate.total_cost
    )
    assert plate.estimate.machine_cost == pytest.approx(plate.print_time_s / 1800.0)


def test_given_placements_move_each_part_there():
    """Each part's footprint corner lands on its placement, on z = 0, wherever the
    part was modelled."""
    offset = np.array([100.0, -50.0, 7.0])
    a = Mesh(vectors=box_mesh((10.0, 5.0, 4.0)).vectors + offset)
    b = box_mesh((6.0, 6.0, 3.0))
    plate = estimate_plate(
        [a, b], [(0.0, 0.0), (30.0, 12.0)], profile=PrintProfile(), material=PLA
    )
    v = plate.mesh.vectors
    first, second = v[:12].reshape(-1, 3), v[12:].reshape(-1, 3)
    assert first.min(axis=0).tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert second.min(axis=0).tolist() == pytest.approx([30.0, 12.0, 0.0])
    assert (plate.plate_x_mm, plate.plate_y_mm) == pytest.approx((36.0, 18.0))
    assert plate.warnings == ()


def test_grid_placements_by_hand():
    """Five footprints on a 3-column grid: columns as wide as their widest part and
    rows as deep as their deepest, 5 mm apart (worked by hand)."""
    footprints = np.array(
        [[10.0, 4.0], [20.0, 6.0], [5.0, 5.0], [12.0, 9.0], [8.0, 3.0]]
    )
    corners = grid_placements(footprints, spacing_mm=5.0)
    # columns: widths max(10, 12) = 12, max(20, 8) = 20, 5 -> x = 0, 17, 42
    # rows: depths max(4, 6, 5) = 6, max(9, 3) = 9 -> y = 0, 11
    assert corners.tolist() == [[0, 0], [17, 0], [42, 0], [0, 11], [17, 11]]


def test_default_grid_keeps_parts_apart():
    """Default placement leaves the 5 mm gap: no footprint overlaps, no warning."""
    parts = [box_mesh((15.0, 7.0, 3.0))] * 5
    plate = estimate_plate(parts, profile=PrintProfile(), material=PLA)
    assert plate.warnings == ()
    xs = sorted({round(p.x_mm, 6) for p in plate.parts})
    assert np.diff(xs).min() == pytest.approx(20.0)


def test_packing_turns_a_part_to_fit_the_bed():
    """On a 130 x 90 mm bed a bar modelled 20 x 120 mm fits beside a 100 x 60 mm plate
    only turned (120 > 90): it is turned 90 degrees and the plate stays on the bed."""
    parts = [
        box_mesh((100.0, 60.0, 4.0), name="plate"),
        box_mesh((20.0, 120.0, 4.0), name="bar"),
    ]
    plate = estimate_plate(
        parts, profile=PrintProfile(), material=PLA, bed_xy_mm=(130.0, 90.0)
    )
    bar = plate.parts[1]
    assert bar.turned_90
    assert (bar.size_x_mm, bar.size_y_mm) == (120.0, 20.0)
    size = np.ptp(plate.mesh.vectors.reshape(-1, 3), axis=0)
    assert size[0] <= 130.0 + 1e-9
    assert size[1] <= 90.0 + 1e-9
    assert (plate.plate_x_mm, plate.plate_y_mm) == pytest.approx(tuple(size[:2]))
    bar_vertices = plate.mesh.vectors[12:].reshape(-1, 3)
    assert np.ptp(bar_vertices, axis=0).tolist() == pytest.approx([120.0, 20.0, 4.0])
    assert bar_vertices.min(axis=0)[:2].tolist() == pytest.approx([bar.x_mm, bar.y_mm])
    assert mesh_properties(plate.mesh).volume_mm3 == pytest.approx(
        100 * 60 * 4 + 120 * 20 * 4
    )
    assert plate.warnings == ()


def test_pack_placements_refuses_what_does_not_fit():
    """Three 80 mm squares cannot share a 150 x 100 mm bed: GeometryError says so."""
    with pytest.raises(GeometryError, match="only 1 of 3 parts fit"):
        pack_placements(np.full((3, 2), 80.0), (150.0, 100.0))


def test_placements_wider_than_the_bed_are_refused():
    """Given placements that reach past the bed raise GeometryError naming the span."""
    with pytest.raises(GeometryError, match="more than the 50 x 50 mm bed"):
        estimate_plate(
            [box_mesh((20.0, 20.0, 2.0))] * 2,
            [(0.0, 0.0), (40.0, 0.0)],
            profile=PrintProfile(),
            material=PLA,
            bed_xy_mm=(50.0, 50.0),
        )


def test_overlapping_placements_warn():
    """Two footprints placed on top of each other get a warning naming both."""
    plate = estimate_plate(
        [box_mesh((10.0, 10.0, 2.0), name="a"), box_mesh((10.0, 10.0, 2.0), name="b")],
        [(0.0, 0.0), (5.0, 5.0)],
        profile=PrintProfile(),
        material=PLA,
    )
    assert any("a (#0) and b (#1) overlap" in w for w in plate.warnings)


def test_inverted_part_is_turned_outward_on_the_plate():
    """A part with reversed facets is flipped before merging, so the plate's
    filament is the same as with the part the right way out."""
    good = box_mesh((12.0, 12.0, 4.0))
    inverted = Mesh(vectors=good.vectors[:, ::-1], name="inverted")
    a = estimate_plate([good, good], profile=PrintProfile(), material=PLA)
    b = estimate_plate([good, inverted], profile=PrintProfile(), material=PLA)
    assert b.filament_g == pytest.approx(a.filament_g, rel=1e-9)
    assert mesh_properties(b.mesh).volume_mm3 == pytest.approx(2 * 12 * 12 * 4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"meshes": []}, "at least one part"),
        ({"placements": [(0.0, 0.0)]}, "one finite"),
        ({"placements": [(0.0, 0.0), (np.nan, 1.0)]}, "one finite"),
        ({"spacing_mm": -1.0}, "spacing_mm"),
    ],
)
def test_bad_arguments_raise_geometry_error(kwargs, match):
    """Empty plates, wrong or non-finite placements and negative spacing are
    refused with a GeometryError that names the argument."""
    args = {"meshes": [box_mesh(), box_mesh()], "placements": None} | kwargs
    with pytest.raises(GeometryError, match=match):
        estimate_plate(
            args.pop("meshes"),
            args.pop("placements"),
            profile=PrintProfile(),
            material=PLA,
            **args,
        )


def test_degenerate_part_raises_geometry_error():
    """A part with only zero-area facets stops the plate with GeometryError."""
    with pytest.raises(GeometryError, match="non-zero area"):
        estimate_plate(
            [box_mesh(), Mesh(vectors=np.zeros((2, 3, 3)), name="flat")],
            profile=PrintProfile(),
            material=PLA,
        )


def test_table_has_a_row_per_part():
    """The table lists every part in input order with its share, for the CLI."""
    plate = estimate_plate(
        [box_mesh(name="a"), box_mesh(name="b")], profile=PrintProfile(), material=PLA
    )
    rows = plate.table()
    assert [r["part"] for r in rows] == ["a", "b"]
    assert sum(r["share_frac"] for r in rows) == pytest.approx(1.0, abs=1e-3)


# --- composed plates: per-part layer figures added up instead of re-slicing ---

from planner.plate_estimate import (  # noqa: E402
    PlateMethod,
    compose_layers,
    layer_figures,
    neighbour_hop_mm,
)


@pytest.mark.parametrize(
    "profile",
    [PrintProfile(), COOLED, PrintProfile(support_material=True)],
    ids=["plain", "cooled", "support"],
)
def test_layer_figures_estimate_is_estimate_print(profile):
    """The estimate layer_figures assembles from its per-layer sums equals
    estimate_print on the same mesh (same slicing, same formulas), so a composed
    plate of one part is exactly the part alone."""
    mesh = Mesh(
        vectors=np.concatenate(
            [box_mesh((20.0, 14.0, 3.0)).vectors, box_mesh((6.0, 6.0, 9.0)).vectors]
        ),
        name="step",
    )
    figures = layer_figures(mesh, profile=profile, material=PLA, hourly_rate=2.0)
    direct = estimate_print(mesh, profile=profile, material=PLA, hourly_rate=2.0)
    for field in ("print_time_s", "filament_g", "filament_mm", "total_cost", "layers"):
        assert getattr(figures.estimate, field) == pytest.approx(
            getattr(direct, field), rel=1e-12
        )
    assert dict(figures.estimate.role_time_s) == pytest.approx(dict(direct.role_time_s))
    per_layer = figures.extruding_s + figures.moving_s + figures.layer_change_s
    assert per_layer.sum() <= direct.print_time_s + 1e-9
    one = compose_layers([figures], hop_mm=0.0, profile=profile, material=PLA)
    assert one.print_time_s == direct.print_time_s


def test_composed_copies_closed_form_without_cooling():
    """With no cooling slowdown and no travel between parts, n copies take n times
    one copy less the n - 1 layer changes they share (worked from the figures)."""
    cube = box_mesh((10.0, 10.0, 4.0))
    figures = layer_figures(cube, profile=PrintProfile(), material=PLA)
    for n in (2, 3, 5):
        plate = compose_layers([figures] * n, hop_mm=0.0, profile=PrintProfile(),
                               material=PLA)  # fmt: skip
        expected = n * figures.estimate.print_time_s - (n - 1) * float(
            figures.layer_change_s.sum()
        )
        assert plate.print_time_s == pytest.approx(expected, rel=1e-12)
        assert plate.filament_g == pytest.approx(n * figures.estimate.filament_g)
        assert plate.layers == figures.estimate.layers


@pytest.mark.parametrize("n_copies", [2, 4, 6])
def test_composed_plate_close_to_sliced_plate(n_copies):
    """Composing n cooled cubes agrees with slicing the merged plate within 5%,
    costs less time than n single prints, and keeps the filament of n cubes."""
    cube = box_mesh((8.0, 8.0, 6.0), name="cube")
    single = estimate_print(cube, profile=COOLED, material=PLA)
    sliced = estimate_plate([cube] * n_copies, profile=COOLED, material=PLA)
    composed = estimate_plate(
        [cube] * n_copies, profile=COOLED, material=PLA, method="compose"
    )
    assert composed.print_time_s == pytest.approx(sliced.print_time_s, rel=0.05)
    assert composed.print_time_s < n_copies * single.print_time_s
    assert composed.filament_g == pytest.approx(n_copies * single.filament_g)
    assert composed.estimate.layers == sliced.estimate.layers
    assert [p.x_mm for p in composed.parts] == [p.x_mm for p in sliced.parts]


def test_compose_accepts_figures_and_travel_between_parts_costs_time():
    """Layer figures passed in are not sliced again (same result as meshes), and
    parts set further apart cost more travel time."""
    cube = box_mesh((8.0, 8.0, 2.0), name="cube")
    figures = layer_figures(cube, profile=COOLED, material=PLA)
    near = [(0.0, 0.0), (13.0, 0.0)]
    far = [(0.0, 0.0), (150.0, 0.0)]
    by_mesh = estimate_plate([cube] * 2, near, profile=COOLED, material=PLA,
                             method=PlateMethod.COMPOSE)  # fmt: skip
    by_figures = estimate_plate([figures] * 2, near, profile=COOLED, material=PLA,
                                method=PlateMethod.COMPOSE)  # fmt: skip
    apart = estimate_plate([figures] * 2, far, profile=COOLED, material=PLA,
                           method=PlateMethod.COMPOSE)  # fmt: skip
    assert by_figures.print_time_s == by_mesh.print_time_s
    assert apart.print_time_s > by_figures.print_time_s
    assert by_figures.parts[0].name == "cube"


def test_neighbour_hop_by_hand():
    """Centres 15 and 25 mm apart: nearest neighbours 15, 15 and 25 mm."""
    corners = np.array([[0.0, 0.0], [15.0, 0.0], [0.0, 25.0]])
    assert neighbour_hop_mm(corners, np.full((3, 2), 10.0)) == pytest.approx(55 / 3)
    assert neighbour_hop_mm(corners[:1], np.full((1, 2), 10.0)) == 0.0


def test_turned_flags_turn_the_parts():
    """turned_90 with placements turns each flagged part about Z on the plate."""
    bar = box_mesh((30.0, 10.0, 2.0), name="bar")
    plate = estimate_plate(
        [bar, bar], [(0.0, 0.0), (40.0, 0.0)], turned_90=[False, True],
        profile=PrintProfile(), material=PLA, method="compose",
    )  # fmt: skip
    second = plate.mesh.vectors[12:].reshape(-1, 3)
    assert np.ptp(second, axis=0).tolist() == pytest.approx([10.0, 30.0, 2.0])
    assert (plate.parts[1].size_x_mm, plate.parts[1].size_y_mm) == (10.0, 30.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda f: compose_layers([], hop_mm=0.0, profile=PrintProfile(),
                                  material=PLA), "at least one part"),
        (lambda f: compose_layers([f], hop_mm=-1.0, profile=PrintProfile(),
                                  material=PLA), "hop_mm"),
        (lambda f: estimate_plate([f], profile=PrintProfile(), material=PLA,
                                  method="guess"), "method must be one of"),
        (lambda f: estimate_plate([f], profile=PrintProfile(), material=PLA,
                                  turned_90=[True]), "turned_90"),
        (lambda f: estimate_plate([f], [(0.0, 0.0)], profile=PrintProfile(),
                                  material=PLA, turned_90=[True, False]), "turned_90"),
    ],
)  # fmt: skip
def test_compose_arguments_raise_geometry_error(call, match):
    """Empty figures, a negative hop, an unknown method and turned_90 flags that
    do not match the placements raise GeometryError naming the argument."""
    figures = layer_figures(box_mesh(), profile=PrintProfile(), material=PLA)
    with pytest.raises(GeometryError, match=match):
        call(figures)
