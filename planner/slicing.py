r"""FFF print time, filament and cost from a mesh and a slicer profile.

The estimator slices the mesh like a slicer does, then models the extrusion
paths and the printer's motion planner instead of generating G-code:

1. :func:`slice_mesh` cuts every triangle with every layer's mid-height plane in
   one vectorised pass (triangles x layers they straddle, in chunks). Each cut
   is a segment oriented by the facet winding, so contours need no chaining:
   the layer's area is the shoelace sum of cross products and its contour
   length the sum of segment lengths. Segment ends sit on mesh edges, so the
   successor of each segment is found by sorting edge keys; loops (islands and
   holes), corner angles and the per-axis jerk of every corner follow.
2. :func:`plan_extrusion` turns the layers into path lengths per role like
   PrusaSlicer's classic perimeter generator: perimeters are offset loops of
   the contour (inward offset area :math:`A(d) = A - L d + K d^2/2` with
   :math:`K = \sum 2\tan(\theta_i/2)` over corner turning angles; each
   perimeter takes the band of area between two offsets, so thin walls get
   shorter loops); strips too narrow for infill become gap fill; solid shells
   reach ``top_solid_layers`` / ``bottom_solid_layers`` into the part from
   exposed surfaces (horizontal facets and the ``h cot(slope)`` strips of
   sloped ones), widened as PrusaSlicer widens narrow shells; bridges over air
   and over sparse infill; sparse rectilinear infill of ``fill_density`` with
   its boundary connectors.
3. Time: per role, path length over the programmed speed, corrected per segment
   with the trapezoidal acceleration profile and the Marlin/PrusaSlicer jerk
   junction speed (contour segments from the mesh, infill lines from the mean
   chord :math:`2A/E` of the region), plus travel, retraction, layer change and
   the cooling slowdown.

Filament is :math:`\sum` path length x extrusion cross-section / filament
cross-section, with PrusaSlicer's rounded-rectangle cross-section
:math:`(w - h) h + \pi (h/2)^2` and round bridges of the nozzle diameter.

References
----------
.. [1] PrusaSlicer 2.5 source: ``Flow.cpp`` (extrusion cross-section and
   spacing), ``PerimeterGenerator.cpp``, ``GCodeProcessor.cpp`` (time estimate:
   trapezoid blocks, jerk junctions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from planner.errors import GeometryError
from planner.geometry import Mesh, MeshTopology, analyse_mesh
from planner.printers import Material, Printer, PrintProfile
from planner.units import G_PER_KG, MM3_PER_CM3, SECONDS_PER_HOUR

#: PrusaSlicer's extra gap between bridge lines [mm] (BRIDGE_EXTRA_SPACING).
BRIDGE_EXTRA_SPACING_MM = 0.05
#: Loops shorter than this print at small_perimeter_speed [mm] (2 pi x 6.5 mm).
SMALL_PERIMETER_LENGTH_MM = 2.0 * math.pi * 6.5
#: Largest corner turning angle counted in the offset length (miter limit). [rad]
_MAX_TURN_RAD = 2.5
#: Facets thinner than this in z count as horizontal (flat) faces [mm].
_FLAT_TOLERANCE_MM = 1e-4
#: PrusaSlicer drops exposed strips narrower than this fraction of the width
#: (offset2 by -w/10, +w/10 in detect_surfaces_type).
_SLIVER_FRAC = 0.2
#: PrusaSlicer widens solid shells narrower than 2 x this many solid widths by
#: this many widths (discover_horizontal_shells).
_SHELL_MARGIN_WIDTHS = 3.0
#: Travel per island: two moves (to its first perimeter, from the perimeters
#: to the infill) of this fraction of the island's mean bounding-box side.
_ISLAND_TRAVEL_FRAC = 0.75
#: Travel to each hole's perimeters, as a fraction of the island's mean side.
_HOLE_TRAVEL_FRAC = 0.5
#: Contour extrema count only between segments at least this long [mm]
#: (finer wiggles -- knurls, threads, tessellated curves -- stay in the
#: perimeters and do not split the infill).
_EXTREMUM_MIN_RUN_MM = 1.0
#: The infill region is opened by this fraction of the solid infill spacing:
#: strips narrower than that between the perimeters get gap fill instead.
_INFILL_OPENING_FRAC = 1.0
#: Gap fill is printed only where the gap is wider than this fraction of the
#: extrusion width (PrusaSlicer: 0.2 w (1 - INSET_OVERLAP_TOLERANCE)).
_GAP_MIN_FRAC = 0.16
#: Infill patterns whose paths the rectilinear model describes directly.
_RECTILINEAR_LIKE = ("rectilinear", "alignedrectilinear", "monotonic", "line", "grid")
#: Most (triangle, layer) cuts computed at once, to bound memory.
_CHUNK_CUTS = 2_000_000
#: Jacobi sweeps of the speed planner along contour segments.
_PLANNER_SWEEPS = 12
#: Rectilinear line to boundary connector turn: per-axis velocity change of a
#: 45 degree line meeting an axis-parallel boundary, and of the connector
#: turning into the reversed line (Marlin jerk counts a sign reversal as the
#: larger of the two speeds, not their difference).
_INFILL_TURN_G = (math.sqrt(0.5), 1.0)
#: Connector length per line spacing S of rectilinear infill: 45 degree lines
#: meet an axis-parallel boundary S / sin 45 deg apart.
_CONNECTOR_FACTOR = math.sqrt(2.0)
ROLES = (
    "ext_perimeter",
    "perimeter",
    "sparse_infill",
    "solid_infill",
    "top_solid_infill",
    "bridge_infill",
    "gap_fill",
    "support",
    "travel",
    "retract",
    "cooling_slowdown",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintEstimate:
    """Estimated FFF print of one part on one printer.

    Attributes
    ----------
    file
        STL name.
    triangles
        Triangles in the file.
    volume_mm3
        Part volume. [mm³]
    bbox_x_mm, bbox_y_mm, bbox_z_mm
        Bounding box. [mm]
    layers
        Printed layers.
    print_time_s
        Estimated print time (what PrusaSlicer reports as normal mode). [s]
    filament_mm
        Filament length fed. [mm]
    filament_g
        Filament mass. [g]
    material_cost, machine_cost, total_cost
        filament_g / 1000 x cost_per_kg; print hours x hourly_rate; their sum.
    material
        Material name.
    printer_id
        Printer, "" when none.
    warnings
        Mesh and estimate warnings, in words.
    role_time_s
        ``(role, seconds)`` for each role of :data:`ROLES`.
    role_path_mm
        ``(role, path length [mm])`` for each extrusion role and travel.
    """

    file: str
    triangles: int
    volume_mm3: float
    bbox_x_mm: float
    bbox_y_mm: float
    bbox_z_mm: float
    layers: int
    print_time_s: float
    filament_mm: float
    filament_g: float
    material_cost: float
    machine_cost: float
    total_cost: float
    material: str
    printer_id: str
    warnings: tuple[str, ...] = ()
    role_time_s: tuple[tuple[str, float], ...] = ()
    role_path_mm: tuple[tuple[str, float], ...] = ()

    @property
    def print_time_h(self) -> float:
        """Print time [h]."""
        return self.print_time_s / SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerStack:
    """Cross-sections of a mesh, per layer, per loop and per contour segment.

    Arrays over layers have length ``n_layers``; over loops ``n_loops``; over
    segments ``n_segments``. Loops of positive area are outer contours
    (islands), of negative area holes. Loops of open meshes may not close.

    Attributes
    ----------
    z_mm
        Slicing plane (mid-layer) heights above the bed. [mm]
    height_mm
        Layer thickness. [mm]
    area_mm2
        Net cross-section area (islands minus holes). [mm²]
    contour_length_mm
        Total contour length. [mm]
    extent_mm
        Shape ``(n_layers, 2)``: sum over segments of ``|d . n|`` for the two
        rectilinear infill normals (45 and 135 degrees): the boundary length seen
        across the infill lines. [mm]
    bbox_size_mm
        Shape ``(n_layers, 2)``: x and y extents of the layer. [mm]
    loop_layer, loop_area_mm2, loop_length_mm, loop_turning
        Per loop: layer, signed area [mm²], length [mm], and
        :math:`\\sum 2\\tan(\\theta/2)` over its corners (2 pi for a convex loop).
    segment_layer, segment_loop, segment_length_mm, segment_next
        Per segment: layer, loop, length [mm], index of the segment that
        follows it along the contour (-1 at the end of an open chain).
    segment_junction_g
        Per segment: largest per-axis change of the unit direction at its end
        corner, Marlin's jerk measure (0 straight, 2 a reversal along an axis).
    segment_slope_cot
        Per segment: cotangent of its facet's slope, ``n_z / |n_xy|`` of the
        outward normal: > 0 facing up, < 0 facing down, 0 vertical. A layer of
        height ``h`` exposes a strip ``h * |cot|`` wide there.
    flat_up_mm2, flat_down_mm2
        Per layer: projected area of horizontal facets that are the top
        (facing up) or the bottom (facing down) of that layer. [mm²]
    """

    z_mm: np.ndarray
    height_mm: np.ndarray
    area_mm2: np.ndarray
    contour_length_mm: np.ndarray
    extent_mm: np.ndarray
    bbox_size_mm: np.ndarray
    loop_layer: np.ndarray
    loop_area_mm2: np.ndarray
    loop_length_mm: np.ndarray
    loop_turning: np.ndarray
    segment_layer: np.ndarray
    segment_loop: np.ndarray
    segment_length_mm: np.ndarray
    segment_next: np.ndarray
    segment_junction_g: np.ndarray
    segment_slope_cot: np.ndarray
    flat_up_mm2: np.ndarray
    flat_down_mm2: np.ndarray
    extrema: np.ndarray

    @property
    def n_layers(self) -> int:
        """Number of slicing planes."""
        return int(self.z_mm.size)


def layer_planes(
    height_mm: float, *, layer_height_mm: float, first_layer_height_mm: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-layer slicing heights and layer thicknesses for a part of a height.

    Layer 0 spans ``[0, first_layer_height_mm]``, layer ``k >= 1`` spans
    ``first + (k - 1) h .. first + k h``; planes at or above the part top are
    left out (a part lower than half the first layer gets one plane at half its
    height).

    Examples
    --------
    >>> z, h = layer_planes(1.0, layer_height_mm=0.2, first_layer_height_mm=0.3)
    >>> z.round(2).tolist(), h.round(2).tolist()
    ([0.15, 0.4, 0.6, 0.8], [0.3, 0.2, 0.2, 0.2])
    """
    first = first_layer_height_mm
    n_upper = max(0, math.ceil((height_mm - first) / layer_height_mm + 0.5) - 1)
    upper = first + (np.arange(n_upper) + 0.5) * layer_height_mm
    z = np.concatenate([[0.5 * first], upper])
    z = z[z < height_mm]
    if z.size == 0:
        z = np.array([0.5 * height_mm])
    thickness = np.full(z.size, layer_height_mm)
    thickness[0] = first
    return z, thickness


def _cut_chunk(
    tri: np.ndarray,
    side_edge: np.ndarray,
    layer: np.ndarray,
    z: np.ndarray,
    n_edges: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Oriented cut segments of triangles ``tri`` with planes ``z`` (one each).

    A vertex on the plane counts as above it, so every cut triangle has exactly
    one "odd" corner alone on its side; the cut joins its two sides touching that
    corner. With counter-clockwise winding seen from outside, the contour runs
    from side ``odd`` to side ``odd + 2`` when the odd corner is above the
    plane and the other way when it is below: outer contours come out
    counter-clockwise, holes clockwise.
    """
    vz = tri[:, :, 2]
    above = vz >= z[:, None]
    n_above = above.sum(axis=1)
    odd = np.where(n_above == 1, np.argmax(above, axis=1), np.argmin(above, axis=1))
    rows = np.arange(tri.shape[0])
    side_a = np.where(n_above == 1, odd, (odd + 2) % 3)
    side_b = np.where(n_above == 1, (odd + 2) % 3, odd)

    def cut_point(side: np.ndarray) -> np.ndarray:
        start = tri[rows, side]
        end = tri[rows, (side + 1) % 3]
        t = (z - start[:, 2]) / (end[:, 2] - start[:, 2])
        return start[:, :2] + t[:, None] * (end[:, :2] - start[:, :2])

    p = cut_point(side_a)
    q = cut_point(side_b)
    base = layer.astype(np.int64) * n_edges
    node_a = base + side_edge[rows, side_a]
    node_b = base + side_edge[rows, side_b]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        cot = normal[:, 2] / np.hypot(normal[:, 0], normal[:, 1])
    return p, q, node_a, node_b, np.nan_to_num(cot, posinf=1e6, neginf=-1e6)


def _junction_g(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Marlin classic-jerk measure of a corner between unit directions u -> v.

    Per axis, the velocity change is ``|u - v|`` when the axis keeps its sign and
    ``max(|u|, |v|)`` when it reverses (PrusaSlicer GCodeProcessor); the
    junction speed at cruise speed ``c`` is ``min(c, jerk / g)``.
    """
    same = (u * v) >= 0
    change = np.where(same, np.abs(u - v), np.maximum(np.abs(u), np.abs(v)))
    return change.max(axis=1)


def slice_mesh(
    mesh: Mesh | MeshTopology,
    *,
    layer_height_mm: float,
    first_layer_height_mm: float,
) -> LayerStack:
    """Slice a mesh at every layer's mid-height, vectorised.

    Parameters
    ----------
    mesh
        The part, or its :func:`planner.geometry.analyse_mesh` result (to reuse
        the welded vertices). It is dropped onto the bed (lowest point at z = 0).
    layer_height_mm
        Layer height above the first layer. [mm]
    first_layer_height_mm
        First layer height. [mm]

    Returns
    -------
    LayerStack

    Examples
    --------
    >>> from planner.geometry import box_mesh
    >>> stack = slice_mesh(box_mesh((10.0, 20.0, 1.0)), layer_height_mm=0.2,
    ...                    first_layer_height_mm=0.2)
    >>> stack.n_layers, stack.area_mm2.round(6).tolist()[:2]
    (5, [200.0, 200.0])
    >>> stack.contour_length_mm.round(6).tolist()[0], float(stack.loop_turning[0].round(6))
    (60.0, 8.0)
    """
    topo = mesh if isinstance(mesh, MeshTopology) else analyse_mesh(mesh)
    tri = topo.vectors.copy()
    tri[:, :, 2] -= topo.properties.bbox_min_mm[2]
    height = topo.properties.size_mm[2]
    z_planes, thickness = layer_planes(
        height,
        layer_height_mm=layer_height_mm,
        first_layer_height_mm=first_layer_height_mm,
    )
    n_layers = z_planes.size
    lo_xyz, hi_xyz = topo.properties.bbox_min_mm, topo.properties.bbox_max_mm
    tri[:, :, 0] -= 0.5 * (lo_xyz[0] + hi_xyz[0])
    tri[:, :, 1] -= 0.5 * (lo_xyz[1] + hi_xyz[1])

    vz = tri[:, :, 2]
    zmin = np.minimum(np.minimum(vz[:, 0], vz[:, 1]), vz[:, 2])
    zmax = np.maximum(np.maximum(vz[:, 0], vz[:, 1]), vz[:, 2])
    lo = np.searchsorted(z_planes, zmin, side="right")
    hi = np.searchsorted(z_planes, zmax, side="right")
    count = np.maximum(hi - lo, 0)
    # flat (horizontal) facets lie between planes: the top of the layer below
    # them (facing up) or the bottom of the layer above (facing down)
    normal_z = (
        0.5
        * topo.orientation
        * np.cross(tri[:, 1, :2] - tri[:, 0, :2], tri[:, 2, :2] - tri[:, 0, :2])
    )
    flat = (count == 0) & (zmax - zmin <= _FLAT_TOLERANCE_MM)
    up = flat & (normal_z > 0)
    down = flat & (normal_z < 0)
    up_layer = np.clip(
        np.searchsorted(z_planes, zmax[up], side="right") - 1, 0, n_layers - 1
    )
    down_layer = np.clip(np.searchsorted(z_planes, zmin[down]), 0, n_layers - 1)
    flat_up = np.bincount(up_layer, normal_z[up], minlength=n_layers)
    flat_down = np.bincount(down_layer, -normal_z[down], minlength=n_layers)
    cut_tris = np.flatnonzero(count)
    cum = np.cumsum(count[cut_tris])
    bounds = np.searchsorted(
        cum, np.arange(_CHUNK_CUTS, cum[-1] if cum.size else 0, _CHUNK_CUTS)
    )
    pieces = []
    for chunk in np.split(cut_tris, bounds):
        if chunk.size == 0:
            continue
        reps = count[chunk]
        tri_idx = np.repeat(chunk, reps)
        offsets = np.repeat(np.cumsum(reps) - reps, reps)
        layer = lo[tri_idx] + (np.arange(tri_idx.size) - offsets)
        cut = _cut_chunk(
            tri[tri_idx], topo.side_edge[tri_idx], layer, z_planes[layer], topo.n_edges
        )
        pieces.append((layer, *cut))
    if not pieces:
        raise GeometryError(f"mesh {getattr(mesh, 'name', '')!r}: no layer to slice")
    seg_layer = np.concatenate([x[0] for x in pieces])
    p = np.concatenate([x[1] for x in pieces])
    q = np.concatenate([x[2] for x in pieces])
    node_a = np.concatenate([x[3] for x in pieces])
    node_b = np.concatenate([x[4] for x in pieces])
    slope_cot = np.concatenate([x[5] for x in pieces]) * topo.orientation
    if topo.orientation < 0:
        p, q, node_a, node_b = q, p, node_b, node_a
    n_seg = seg_layer.size

    # successor along the contour: the segment starting on the node this one ends on
    order = np.argsort(node_a, kind="stable")
    sorted_a = node_a[order]
    pos = np.minimum(np.searchsorted(sorted_a, node_b), n_seg - 1)
    segment_next = np.where(sorted_a[pos] == node_b, order[pos], -1)

    d = q - p
    length = np.hypot(d[:, 0], d[:, 1])
    unit = np.divide(
        d, length[:, None], out=np.zeros_like(d), where=length[:, None] > 0
    )
    # zero-length cuts (a vertex on the plane) take their successor's direction
    has_next = segment_next >= 0
    for _ in range(3):
        zero = (length <= 0) & has_next
        if not zero.any():
            break
        unit[zero] = unit[segment_next[zero]]
    nxt = np.where(has_next, segment_next, np.arange(n_seg))
    u_next = unit[nxt]
    junction_g = np.where(has_next, _junction_g(unit, u_next), 2.0)
    cross = unit[:, 0] * u_next[:, 1] - unit[:, 1] * u_next[:, 0]
    dot = np.einsum("ij,ij->i", unit, u_next)
    turn = np.where(has_next, np.arctan2(cross, dot), 0.0)
    turn_weight = 2.0 * np.tan(0.5 * np.clip(turn, -_MAX_TURN_RAD, _MAX_TURN_RAD))

    graph = coo_matrix(
        (
            np.ones(int(has_next.sum())),
            (np.flatnonzero(has_next), segment_next[has_next]),
        ),
        shape=(n_seg, n_seg),
    )
    n_loops, seg_loop = connected_components(graph, directed=True, connection="weak")
    shoelace = 0.5 * (p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0])
    loop_area = np.bincount(seg_loop, shoelace, minlength=n_loops)
    loop_length = np.bincount(seg_loop, length, minlength=n_loops)
    loop_turning = np.bincount(seg_loop, turn_weight, minlength=n_loops)
    loop_layer = np.zeros(n_loops, dtype=np.int64)
    loop_layer[seg_loop] = seg_layer

    area = np.bincount(seg_layer, shoelace, minlength=n_layers)
    contour = np.bincount(seg_layer, length, minlength=n_layers)
    normals = np.array(
        [[-math.sqrt(0.5), math.sqrt(0.5)], [math.sqrt(0.5), math.sqrt(0.5)]]
    )
    proj = np.abs(d @ normals.T)
    extent = np.stack(
        [np.bincount(seg_layer, proj[:, k], minlength=n_layers) for k in range(2)],
        axis=1,
    )
    # local extrema of the contour across the infill lines: each pair beyond
    # the first of a region starts another infill piece
    side = np.sign(d @ normals.T)
    run = np.minimum(length, length[nxt]) >= _EXTREMUM_MIN_RUN_MM
    flips = (side * side[nxt] < 0) & (has_next & run)[:, None]
    extrema = np.bincount(seg_layer, flips.sum(axis=1), minlength=n_layers) / 2.0
    by_layer = np.argsort(seg_layer, kind="stable")
    starts = np.searchsorted(seg_layer[by_layer], np.arange(n_layers))
    present = np.bincount(seg_layer, minlength=n_layers) > 0
    bbox = np.zeros((n_layers, 2))
    for axis in range(2):
        coord = np.minimum(p[by_layer, axis], q[by_layer, axis])
        coord_hi = np.maximum(p[by_layer, axis], q[by_layer, axis])
        lo_ax = np.minimum.reduceat(coord, starts[present])
        hi_ax = np.maximum.reduceat(coord_hi, starts[present])
        bbox[present, axis] = hi_ax - lo_ax

    return LayerStack(
        z_mm=z_planes,
        height_mm=thickness,
        area_mm2=area,
        contour_length_mm=contour,
        extent_mm=extent,
        bbox_size_mm=bbox,
        loop_layer=loop_layer,
        loop_area_mm2=loop_area,
        loop_length_mm=loop_length,
        loop_turning=loop_turning,
        segment_layer=seg_layer,
        segment_loop=seg_loop,
        segment_length_mm=length,
        segment_next=segment_next,
        segment_junction_g=junction_g,
        segment_slope_cot=slope_cot,
        flat_up_mm2=flat_up,
        flat_down_mm2=flat_down,
        extrema=extrema,
    )


def trapezoid_time_s(
    length_mm: np.ndarray,
    entry_mm_s: np.ndarray,
    exit_mm_s: np.ndarray,
    cruise_mm_s: np.ndarray,
    acceleration_mm_s2: np.ndarray | float,
) -> np.ndarray:
    r"""Time of moves with a trapezoidal speed profile [s].

    Accelerate from the entry speed, cruise, decelerate to the exit speed; a
    move too short to reach cruise speed peaks at
    :math:`v_p = \sqrt{a L + (v_0^2 + v_1^2)/2}`.

    Examples
    --------
    >>> float(trapezoid_time_s(np.array(100.0), 0.0, 0.0, 50.0, 1000.0))
    2.05
    >>> float(trapezoid_time_s(np.array(1.0), 0.0, 0.0, 100.0, 1000.0))  # 2 sqrt(L/a)
    0.06324555320336758
    """
    length = np.asarray(length_mm, dtype=np.float64)
    cruise = np.asarray(cruise_mm_s, dtype=np.float64)
    a = np.asarray(acceleration_mm_s2, dtype=np.float64)
    v0 = np.minimum(entry_mm_s, cruise)
    v1 = np.minimum(exit_mm_s, cruise)
    peak = np.minimum(cruise, np.sqrt(a * length + 0.5 * (v0 * v0 + v1 * v1)))
    peak = np.maximum(peak, np.maximum(v0, v1))
    d_acc = (peak * peak - v0 * v0) / (2.0 * a)
    d_dec = (peak * peak - v1 * v1) / (2.0 * a)
    d_cruise = np.maximum(length - d_acc - d_dec, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_cruise = np.where(peak > 0, d_cruise / peak, 0.0)
    return (peak - v0) / a + (peak - v1) / a + t_cruise


def _contour_time_s(
    stack: LayerStack,
    speed_mm_s: np.ndarray,
    *,
    acceleration_mm_s2: float,
    jerk_mm_s: float,
) -> np.ndarray:
    """Time to print each contour segment at per-segment cruise speeds [s].

    Junction speeds come from the jerk limit; a few vectorised Jacobi sweeps of
    ``v_k <= sqrt(v_{k-1}^2 + 2 a L)`` forwards and backwards stand in for the
    firmware planner's passes. Chain ends start and stop at the jerk speed.
    """
    nxt = stack.segment_next
    n = nxt.size
    has_next = nxt >= 0
    prev = np.full(n, -1)
    prev[nxt[has_next]] = np.flatnonzero(has_next)
    has_prev = prev >= 0
    length = stack.segment_length_mm
    a = acceleration_mm_s2
    nxt_i = np.where(has_next, nxt, np.arange(n))
    prev_i = np.where(has_prev, prev, np.arange(n))
    with np.errstate(divide="ignore"):
        limit = np.minimum(
            np.minimum(speed_mm_s, speed_mm_s[nxt_i]),
            jerk_mm_s / stack.segment_junction_g,
        )
    limit = np.where(has_next, limit, np.minimum(jerk_mm_s, speed_mm_s))
    # end-of-segment speed v[i]; start speed of i is v[prev[i]]
    v = limit.copy()
    start_free = np.minimum(jerk_mm_s, speed_mm_s)
    for _ in range(_PLANNER_SWEEPS):
        start = np.where(has_prev, v[prev_i], start_free)
        v = np.minimum(v, np.sqrt(start * start + 2.0 * a * length))
        v_after = np.where(has_next, v[nxt_i], 0.0)
        v = np.minimum(v, np.sqrt(v_after * v_after + 2.0 * a * length[nxt_i]))
        v = np.where(has_next, v, limit)
    start = np.where(has_prev, v[prev_i], start_free)
    return trapezoid_time_s(length, start, v, speed_mm_s, a)


def _loop_offset_area(
    area: np.ndarray, length: np.ndarray, turning: np.ndarray, d: float | np.ndarray
) -> np.ndarray:
    r"""Area of each loop offset inwards by d: :math:`A - L d + K d^2 / 2`.

    Outer loops (A > 0) shrink and vanish at their first root or at
    :math:`d = L/K`; holes (A < 0) grow.
    """
    outer = area > 0
    k = np.where(outer, np.maximum(turning, 0.0), np.minimum(turning, 0.0))
    value = area - length * d + 0.5 * k * d * d
    with np.errstate(divide="ignore", invalid="ignore"):
        gone = outer & ((value <= 0) | ((k > 0) & (d >= length / k)))
    return np.where(gone, 0.0, value)


def _loop_offset_length(
    area: np.ndarray, length: np.ndarray, turning: np.ndarray, d: float | np.ndarray
) -> np.ndarray:
    """Length of each loop offset inwards by d (0 once an outer loop vanishes)."""
    outer = area > 0
    k = np.where(outer, np.maximum(turning, 0.0), np.minimum(turning, 0.0))
    alive = _loop_offset_area(area, length, turning, d) != 0
    return np.where(alive, np.maximum(length - k * d, 0.0), 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtrusionPlan:
    """Per-layer path lengths [mm] and areas [mm²] of each extrusion role.

    ``*_mm`` arrays are path lengths per layer, ``*_mm2`` region areas per layer.
    ``printed`` marks layers with anything to print.
    """

    printed: np.ndarray
    ext_perimeter_mm: np.ndarray
    perimeter_mm: np.ndarray
    infill_area_mm2: np.ndarray
    sparse_mm2: np.ndarray
    solid_mm2: np.ndarray
    top_mm2: np.ndarray
    bridge_mm2: np.ndarray
    sparse_mm: np.ndarray
    solid_mm: np.ndarray
    top_mm: np.ndarray
    bridge_mm: np.ndarray
    support_mm: np.ndarray
    gap_fill_mm: np.ndarray
    gap_fill_mm2: np.ndarray
    infill_extent_mm: np.ndarray
    cross_section_mm2: np.ndarray
    bridge_cross_section_mm2: float


def plan_extrusion(
    stack: LayerStack,
    profile: PrintProfile,
    *,
    support_area_mm2: np.ndarray | None = None,
) -> ExtrusionPlan:
    """Path lengths per layer and role (PrusaSlicer-like classic perimeters).

    Parameters
    ----------
    stack
        The sliced part.
    profile
        Slicer settings (widths, perimeters, solid layers, infill).
    support_area_mm2
        Per-layer area needing support material, or None.

    Returns
    -------
    ExtrusionPlan
    """
    n = stack.n_layers
    h = stack.height_mm
    w = profile.extrusion_width_mm
    spacing = w - h * (1.0 - math.pi / 4.0)
    cross_section = (w - h) * h + math.pi * (h / 2.0) ** 2
    loops = (stack.loop_area_mm2, stack.loop_length_mm, stack.loop_turning)
    layer_of = stack.loop_layer

    def layer_area(d: np.ndarray) -> np.ndarray:
        per_loop = _loop_offset_area(*loops, d[layer_of])
        return np.maximum(np.bincount(layer_of, per_loop, minlength=n), 0.0)

    def layer_length(d: np.ndarray) -> np.ndarray:
        per_loop = _loop_offset_length(*loops, d[layer_of])
        return np.bincount(layer_of, per_loop, minlength=n)

    full = layer_area(np.zeros(n))
    printed = layer_area(np.full(n, 0.5 * w)) > 1e-9
    full = np.where(printed, full, 0.0)

    # perimeters: band k between offsets edges[k] and edges[k+1]
    n_perimeters = profile.perimeters
    edges = [np.zeros(n)] + [0.5 * w + (k + 0.5) * spacing for k in range(n_perimeters)]
    band_areas = [layer_area(edges[0])]
    for edge in edges[1:]:
        band_areas.append(layer_area(edge))
    lengths = [
        (band_areas[k] - band_areas[k + 1]) / (edges[k + 1] - edges[k])
        for k in range(n_perimeters)
    ]
    ext = lengths[0] if n_perimeters else np.zeros(n)
    inner = np.sum(lengths[1:], axis=0) if n_perimeters > 1 else np.zeros(n)
    # infill region: inside the last perimeter, opened by the minimum infill
    # spacing (narrower strips become gap fill), then overlapping the perimeters
    d_infill = np.full(n, 0.0)
    if n_perimeters:
        d_infill = 0.5 * w + (n_perimeters - 0.5) * spacing
    half_opening = 0.5 * _INFILL_OPENING_FRAC * spacing
    inner_area = np.where(printed, layer_area(d_infill), 0.0)
    inner_length = np.where(inner_area > 0, layer_length(d_infill), 0.0)
    opened = layer_area(d_infill + half_opening)
    opened = np.where(
        opened > 0, opened + half_opening * layer_length(d_infill + half_opening), 0.0
    )
    opened = np.minimum(np.where(printed, opened, 0.0), inner_area)
    gap = inner_area - opened
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_width = np.where(inner_length > 0, 2.0 * gap / inner_length, 0.0)
    gap = np.where(gap_width > _GAP_MIN_FRAC * w, gap, 0.0)
    gap_mm = np.where(gap > 0, 0.5 * inner_length, 0.0)
    infill_length = np.where(opened > 0, inner_length, 0.0)
    infill = opened + profile.infill_overlap_frac * spacing * infill_length
    # boundary length across the infill lines, scaled from the contour's
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(
            stack.contour_length_mm > 0, infill_length / stack.contour_length_mm, 0.0
        )
    infill_extent = stack.extent_mm.mean(axis=1) * scale

    # solid shells (PrusaSlicer detect_surfaces_type + discover_horizontal_shells):
    # a layer is solid where a surface exposed within top_solid_layers above it
    # (bottom_solid_layers below) reaches its infill region. Exposed surfaces
    # are horizontal facets, and strips h * cot wide along sloped facets.
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.where(full > 0, infill / full, 0.0)
    seg_layer = stack.segment_layer
    seg_len = stack.segment_length_mm
    cot = stack.segment_slope_cot
    strip = np.minimum(np.abs(cot) * h[seg_layer], 1e3)
    exposed = strip > _SLIVER_FRAC * w
    facing_up = exposed & (cot > 0)
    facing_down = exposed & (cot < 0)
    seg_inset = d_infill[seg_layer]
    margin = _SHELL_MARGIN_WIDTHS * w

    def shell_band(n_layers_shell: int, facing: np.ndarray) -> np.ndarray:
        reach = np.maximum(n_layers_shell * strip - seg_inset, 0.0)
        reach = np.where((reach > 0) & (reach < 2.0 * margin), reach + margin, reach)
        return np.bincount(seg_layer, seg_len * reach * facing, minlength=n)

    def window_sum(values: np.ndarray, window: int, *, above: bool) -> np.ndarray:
        if window <= 0:
            return np.zeros(n)
        c = np.concatenate([[0.0], np.cumsum(values)])
        idx = np.arange(n)
        if above:
            return c[np.minimum(idx + window, n)] - c[idx]
        return c[idx + 1] - c[np.maximum(idx + 1 - window, 0)]

    n_top, n_bottom = profile.top_solid_layers, profile.bottom_solid_layers
    solid_top = np.zeros(n)
    solid_bottom = np.zeros(n)
    if n_top:
        solid_top = shell_band(n_top, facing_up) + inside * window_sum(
            stack.flat_up_mm2, n_top, above=True
        )
    if n_bottom:
        solid_bottom = shell_band(n_bottom, facing_down) + inside * window_sum(
            stack.flat_down_mm2, n_bottom, above=False
        )
    solid_top = np.minimum(solid_top, infill)
    solid_bottom = np.minimum(solid_bottom, infill)
    solid = np.minimum(infill, solid_top + solid_bottom)
    solid[0] = infill[0]
    top = np.minimum(infill, shell_band(1, facing_up) + inside * stack.flat_up_mm2)
    if not n_top:
        top = np.zeros(n)
    bridge_air = np.minimum(
        infill, shell_band(1, facing_down) + inside * stack.flat_down_mm2
    )
    bridge_air[0] = 0.0
    sparse_prev = np.concatenate([[0.0], np.maximum(infill - solid, 0.0)[:-1]])
    solid_prev = np.concatenate([[0.0], solid[:-1]])
    bridge_internal = np.clip(solid_top - solid_prev, 0.0, sparse_prev)
    bridge = np.minimum(bridge_air + bridge_internal, solid)
    if profile.fill_density_frac >= 1.0:
        solid = infill.copy()
    top = np.minimum(top, np.maximum(solid - bridge, 0.0))
    rest_solid = np.maximum(solid - bridge - top, 0.0)
    sparse = np.maximum(infill - solid, 0.0)

    islands = np.bincount(layer_of, stack.loop_area_mm2 > 0, minlength=n)
    regions = np.maximum(islands, 0.5 * stack.extrema)

    def lines(area: np.ndarray, line_spacing: np.ndarray | float) -> np.ndarray:
        """Line length plus one connector (S / sin 45 deg) per line after the
        first of each region (lines of E / (2 S) count, Cauchy-Crofton)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(infill > 0, area / infill, 0.0)
        n_lines = infill_extent * np.sqrt(share) / (2.0 * line_spacing)
        connectors = (
            np.maximum(n_lines - regions, 0.0) * line_spacing * _CONNECTOR_FACTOR
        )
        return area / line_spacing + connectors * (area > 0)

    density = profile.fill_density_frac
    sparse_mm = lines(sparse, spacing / density) if density > 0 else np.zeros(n)
    solid_mm = lines(rest_solid, spacing)
    top_mm = lines(top, spacing)
    bridge_spacing = profile.nozzle_diameter_mm + BRIDGE_EXTRA_SPACING_MM
    bridge_mm = bridge / bridge_spacing
    support_mm = np.zeros(n)
    if support_area_mm2 is not None:
        support_mm = support_area_mm2 * profile.support_density_frac / spacing
    return ExtrusionPlan(
        printed=printed,
        ext_perimeter_mm=np.where(printed, ext, 0.0),
        perimeter_mm=np.where(printed, inner, 0.0),
        infill_area_mm2=infill,
        sparse_mm2=sparse,
        solid_mm2=rest_solid,
        top_mm2=top,
        bridge_mm2=bridge,
        sparse_mm=sparse_mm,
        solid_mm=solid_mm,
        top_mm=top_mm,
        bridge_mm=bridge_mm,
        support_mm=support_mm,
        gap_fill_mm=gap_mm,
        gap_fill_mm2=gap,
        infill_extent_mm=infill_extent,
        cross_section_mm2=cross_section,
        bridge_cross_section_mm2=math.pi * profile.nozzle_diameter_mm**2 / 4.0,
    )


def _support_area(
    topo: MeshTopology, stack: LayerStack, profile: PrintProfile
) -> np.ndarray:
    """Per-layer area under overhangs flatter than the support threshold [mm²].

    Every downward-facing facet whose slope from horizontal is below
    ``support_overhang_threshold_deg`` and that is not on the bed needs support
    from the bed up to it: its horizontal projection is added to every layer
    below its centre.
    """
    tri = topo.vectors
    z0 = tri[:, :, 2].min()
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]) * topo.orientation
    norm = np.linalg.norm(normal, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        down = -normal[:, 2] / norm
    threshold = math.cos(math.radians(profile.support_overhang_threshold_deg))
    z_centre = tri[:, :, 2].mean(axis=1) - z0
    needs = (down > threshold) & (z_centre > stack.height_mm[0])
    projected = 0.5 * np.abs(normal[:, 2])
    top_layer = np.searchsorted(stack.z_mm, z_centre[needs])
    per_top = np.bincount(top_layer, projected[needs], minlength=stack.n_layers + 1)
    # support stands on every layer below the facet
    return np.cumsum(per_top[::-1])[::-1][1 : stack.n_layers + 1]


def _infill_time_s(
    path_mm: np.ndarray,
    area_mm2: np.ndarray,
    line_spacing_mm: float | np.ndarray,
    extent_mm: np.ndarray,
    speed_mm_s: np.ndarray,
    acceleration_mm_s2: float,
    jerk_mm_s: float,
) -> np.ndarray:
    r"""Time of rectilinear infill per layer [s].

    The region is crossed by :math:`n = E / (2 S)` lines of mean length
    :math:`2 A / E` (Cauchy-Crofton: ``E`` is the boundary length projected on
    the line normal, ``S`` the line spacing), each joined to the next by a
    connector along the boundary; the rest of the path is the connectors.
    Junctions: line to connector and connector to reversed line at the jerk
    speeds of a 45 degree line turning onto an axis-parallel boundary.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        n_lines = np.maximum(extent_mm / (2.0 * line_spacing_mm), 1.0)
        line_mm = np.where(area_mm2 > 0, area_mm2 / line_spacing_mm / n_lines, 0.0)
        line_mm = np.minimum(line_mm, path_mm / n_lines)
        connector_mm = np.maximum(path_mm / n_lines - line_mm, 0.0)
    v = speed_mm_s
    a = acceleration_mm_s2
    v_out = np.minimum(v, jerk_mm_s / _INFILL_TURN_G[0])
    v_in = np.minimum(v, jerk_mm_s / _INFILL_TURN_G[1])
    v_out = np.minimum(v_out, np.sqrt(v_in * v_in + 2.0 * a * connector_mm))
    v_in = np.minimum(v_in, np.sqrt(v_out * v_out + 2.0 * a * line_mm))
    t_line = trapezoid_time_s(line_mm, v_in, v_out, v, a)
    t_conn = trapezoid_time_s(connector_mm, v_out, v_in, v, a)
    return np.where(path_mm > 0, n_lines * (t_line + t_conn), 0.0)


def _layer_speed(
    profile: PrintProfile,
    role_speed_mm_s: float,
    n_layers: int,
    cross_section: np.ndarray,
) -> np.ndarray:
    """Per-layer cruise speed of a role: first-layer rule and volumetric cap."""
    speed = np.full(n_layers, role_speed_mm_s)
    if profile.first_layer_speed_frac > 0:
        speed[0] = role_speed_mm_s * profile.first_layer_speed_frac
    else:
        speed[0] = min(role_speed_mm_s, profile.first_layer_speed_mm_s)
    if profile.max_volumetric_speed_mm3_s > 0:
        speed = np.minimum(speed, profile.max_volumetric_speed_mm3_s / cross_section)
    return np.minimum(speed, profile.max_feedrate_mm_s)


def _role_acceleration(profile: PrintProfile, role_value: float) -> float:
    """Acceleration of a role: its own setting capped by the machine limit."""
    machine = profile.max_acceleration_mm_s2
    return min(role_value, machine) if role_value > 0 else machine


def estimate_layers(
    stack: LayerStack,
    profile: PrintProfile,
    *,
    support_area_mm2: np.ndarray | None = None,
) -> tuple[ExtrusionPlan, dict[str, np.ndarray]]:
    """Extrusion plan and per-layer time of each role [s] of a sliced part."""
    plan = plan_extrusion(stack, profile, support_area_mm2=support_area_mm2)
    n = stack.n_layers
    cs = plan.cross_section_mm2
    jerk = profile.max_jerk_mm_s
    acc_perimeter = _role_acceleration(profile, profile.perimeter_acceleration_mm_s2)
    acc_infill = _role_acceleration(profile, profile.infill_acceleration_mm_s2)
    acc_first = _role_acceleration(profile, profile.first_layer_acceleration_mm_s2)

    def speed(value: float) -> np.ndarray:
        return _layer_speed(profile, value, n, cs)

    def acc(value: float) -> np.ndarray:
        out = np.full(n, value)
        out[0] = min(value, acc_first)
        return out

    # perimeters: time per contour length at the loop's speed, scaled to paths
    small_loop = stack.loop_length_mm < SMALL_PERIMETER_LENGTH_MM
    seg_small = small_loop[stack.segment_loop]
    seg_layer = stack.segment_layer
    v_ext = np.where(
        seg_small,
        speed(profile.small_perimeter_speed_mm_s)[seg_layer],
        speed(profile.external_perimeter_speed_mm_s)[seg_layer],
    )
    v_inner = np.where(
        seg_small,
        speed(profile.small_perimeter_speed_mm_s)[seg_layer],
        speed(profile.perimeter_speed_mm_s)[seg_layer],
    )
    times = {}
    contour = np.maximum(stack.contour_length_mm, 1e-12)
    for role, v_seg, path in (
        ("ext_perimeter", v_ext, plan.ext_perimeter_mm),
        ("perimeter", v_inner, plan.perimeter_mm),
    ):
        t_seg = _contour_time_s(
            stack, v_seg, acceleration_mm_s2=acc_perimeter, jerk_mm_s=jerk
        )
        first = seg_layer == 0
        if acc_first != acc_perimeter and first.any():
            t_first = _contour_time_s(
                stack, v_seg, acceleration_mm_s2=acc_first, jerk_mm_s=jerk
            )
            t_seg = np.where(first, t_first, t_seg)
        per_length = np.bincount(seg_layer, t_seg, minlength=n) / contour
        times[role] = path * per_length
        if role == "perimeter":
            # gap fill follows the perimeters' shape: same slowdown over nominal
            with np.errstate(divide="ignore", invalid="ignore"):
                nominal = np.bincount(
                    seg_layer, stack.segment_length_mm / v_seg, minlength=n
                )
                overhead = np.where(nominal > 0, per_length * contour / nominal, 1.0)
            times["gap_fill"] = (
                plan.gap_fill_mm / speed(profile.gap_fill_speed_mm_s) * overhead
            )

    spacing = plan.cross_section_mm2 / stack.height_mm
    extent = plan.infill_extent_mm
    density = max(profile.fill_density_frac, 1e-9)
    for role, path, area, line_spacing, v in (
        ("sparse_infill", plan.sparse_mm, plan.sparse_mm2, spacing / density,
         profile.infill_speed_mm_s),
        ("solid_infill", plan.solid_mm, plan.solid_mm2, spacing,
         profile.solid_infill_speed_mm_s),
        ("top_solid_infill", plan.top_mm, plan.top_mm2, spacing,
         profile.top_solid_infill_speed_mm_s),
        ("bridge_infill", plan.bridge_mm, plan.bridge_mm2,
         profile.nozzle_diameter_mm + BRIDGE_EXTRA_SPACING_MM, profile.bridge_speed_mm_s),
        ("support", plan.support_mm, plan.support_mm * spacing, spacing
         / max(profile.support_density_frac, 1e-9), profile.support_material_speed_mm_s),
    ):  # fmt: skip
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(plan.infill_area_mm2 > 0, area / plan.infill_area_mm2, 0.0)
        times[role] = _infill_time_s(
            path, area, line_spacing, extent * np.sqrt(np.minimum(share, 1.0)),
            speed(v), acc(acc_infill), jerk,
        )  # fmt: skip

    travel_s, retract_s, travel_mm = _travel_time_s(stack, plan, profile)
    times["travel"] = travel_s
    times["retract"] = retract_s
    times["_travel_mm"] = travel_mm
    return plan, times


def _travel_time_s(
    stack: LayerStack, plan: ExtrusionPlan, profile: PrintProfile
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Travel, retraction and layer-change time per layer [s], and travel [mm].

    Per layer: a Z move; per island a long move (half the layer's size) to its
    first perimeter; per loop one short move between its perimeters and one
    inward move after the external perimeter; per infill region (islands and
    the pieces holes cut it into) one move of half the region's mean line.
    Move lengths are taken as exponentially spread about these means; the
    share at least ``retract_before_travel_mm`` long retracts and unretracts.
    """
    n = stack.n_layers
    printed = plan.printed
    loop_alive = printed[stack.loop_layer] & (np.abs(stack.loop_area_mm2) > 1e-9)
    islands = np.bincount(
        stack.loop_layer, loop_alive & (stack.loop_area_mm2 > 0), minlength=n
    ).astype(float)
    holes = np.bincount(
        stack.loop_layer, loop_alive & (stack.loop_area_mm2 < 0), minlength=n
    ).astype(float)
    loops = islands + holes
    size_mm = 0.5 * stack.bbox_size_mm.sum(axis=1) / np.sqrt(np.maximum(islands, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        chord = np.where(
            plan.infill_extent_mm > 0,
            2.0 * plan.infill_area_mm2 / plan.infill_extent_mm,
            0.0,
        )
    n_perimeters = max(profile.perimeters, 1)
    has_infill = (
        plan.sparse_mm + plan.solid_mm + plan.top_mm + plan.bridge_mm + plan.gap_fill_mm
    ) > 0
    pieces = np.where(has_infill, np.maximum(stack.extrema / 2.0 - islands, 0.0), 0.0)
    moves = (
        (2.0 * islands, _ISLAND_TRAVEL_FRAC * size_mm),
        (holes, _HOLE_TRAVEL_FRAC * size_mm),
        (loops * n_perimeters, np.full(n, profile.extrusion_width_mm)),
        (pieces, 0.5 * chord),
    )
    v = min(profile.travel_speed_mm_s, profile.max_feedrate_mm_s)
    a = profile.travel_acceleration_mm_s2
    v_end = min(v, profile.max_jerk_mm_s / math.sqrt(0.5))
    travel_s = np.zeros(n)
    travel_mm = np.zeros(n)
    n_retract = np.zeros(n)
    for count, length in moves:
        travel_s += count * trapezoid_time_s(length, v_end, v_end, v, a)
        travel_mm += count * length
        # move lengths spread about their mean: exponential share above the
        # retraction threshold
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(
                length > 0, np.exp(-profile.retract_before_travel_mm / length), 0.0
            )
        n_retract += count * share
    v_z = min(profile.travel_speed_mm_s, profile.max_feedrate_z_mm_s)
    z_move = trapezoid_time_s(
        stack.height_mm, profile.max_jerk_z_mm_s, profile.max_jerk_z_mm_s, v_z,
        profile.max_acceleration_z_mm_s2,
    )  # fmt: skip
    travel_s += np.where(printed, z_move + profile.layer_change_time_s, 0.0)
    retract_move = 0.0
    if profile.retract_length_mm > 0:
        v_e = profile.max_jerk_e_mm_s
        retract_move = 2.0 * float(
            trapezoid_time_s(
                np.array(profile.retract_length_mm), v_e, v_e,
                profile.retract_speed_mm_s, profile.retract_acceleration_mm_s2,
            )
        )  # fmt: skip
    retract_s = np.where(printed, n_retract * retract_move, 0.0)
    return (
        np.where(printed, travel_s, 0.0),
        retract_s,
        np.where(printed, travel_mm, 0.0),
    )


def estimate_print(
    mesh: Mesh | MeshTopology,
    *,
    profile: PrintProfile,
    material: Material,
    hourly_rate: float = 0.0,
    printer_id: str = "",
    name: str = "",
) -> PrintEstimate:
    """Estimate print time, filament and cost of one part.

    Parameters
    ----------
    mesh
        The part in its print orientation (Z up), or its
        :func:`planner.geometry.analyse_mesh` result.
    profile
        Slicer and machine settings.
    material
        Filament density and price.
    hourly_rate
        Machine cost per print hour. [currency/h]
    printer_id
        Printer, for the record.
    name
        File name for the record; defaults to the mesh's name.

    Returns
    -------
    PrintEstimate

    Raises
    ------
    GeometryError
        When the mesh has no facet with a non-zero area.

    Examples
    --------
    >>> from planner.geometry import box_mesh
    >>> est = estimate_print(box_mesh((20.0, 20.0, 20.0)), profile=PrintProfile(),
    ...                      material=Material(material="PLA", density_g_cm3=1.24,
    ...                                        cost_per_kg=25.0))
    >>> est.layers, 900 < est.print_time_s < 1150, 3.7 < est.filament_g < 4.6
    (100, True, True)
    """
    topo = mesh if isinstance(mesh, MeshTopology) else analyse_mesh(mesh)
    label = name or (mesh.name if isinstance(mesh, Mesh) else "")
    props = topo.properties
    stack = slice_mesh(
        topo,
        layer_height_mm=profile.layer_height_mm,
        first_layer_height_mm=profile.first_layer_height_mm,
    )
    support = _support_area(topo, stack, profile) if profile.support_material else None
    plan, times = estimate_layers(stack, profile, support_area_mm2=support)
    travel_mm = times.pop("_travel_mm")
    layer_time = np.sum([times[r] for r in times], axis=0)
    times["cooling_slowdown"] = _cooling_slowdown_s(plan, times, profile)
    layer_time = layer_time + times["cooling_slowdown"]
    print_time = float(layer_time.sum())

    normal_path = (
        plan.ext_perimeter_mm + plan.perimeter_mm + plan.sparse_mm + plan.solid_mm
        + plan.top_mm + plan.support_mm
    )  # fmt: skip
    extruded_mm3 = float(
        (normal_path * plan.cross_section_mm2).sum()
        + plan.bridge_mm.sum() * plan.bridge_cross_section_mm2
        + (plan.gap_fill_mm2 * stack.height_mm).sum()
    )
    filament_area = math.pi * profile.filament_diameter_mm**2 / 4.0
    filament_mm = extruded_mm3 / filament_area
    filament_g = extruded_mm3 / MM3_PER_CM3 * material.density_g_cm3
    material_cost = filament_g / G_PER_KG * material.cost_per_kg
    machine_cost = print_time / SECONDS_PER_HOUR * hourly_rate
    paths = {
        "ext_perimeter": plan.ext_perimeter_mm,
        "perimeter": plan.perimeter_mm,
        "sparse_infill": plan.sparse_mm,
        "solid_infill": plan.solid_mm,
        "top_solid_infill": plan.top_mm,
        "bridge_infill": plan.bridge_mm,
        "gap_fill": plan.gap_fill_mm,
        "support": plan.support_mm,
        "travel": travel_mm,
    }
    warnings = list(props.warnings)
    if profile.fill_pattern.lower() not in _RECTILINEAR_LIKE:
        warnings.append(
            f"fill_pattern {profile.fill_pattern!r} estimated as rectilinear "
            "(same extruded volume, line lengths approximate)"
        )
    return PrintEstimate(
        file=label,
        triangles=props.n_triangles,
        volume_mm3=props.volume_mm3,
        bbox_x_mm=props.size_mm[0],
        bbox_y_mm=props.size_mm[1],
        bbox_z_mm=props.size_mm[2],
        layers=int(plan.printed.sum()),
        print_time_s=print_time,
        filament_mm=filament_mm,
        filament_g=filament_g,
        material_cost=material_cost,
        machine_cost=machine_cost,
        total_cost=material_cost + machine_cost,
        material=material.material,
        printer_id=printer_id,
        warnings=tuple(warnings),
        role_time_s=tuple((r, float(times[r].sum())) for r in ROLES),
        role_path_mm=tuple((r, float(p.sum())) for r, p in paths.items()),
    )


def _cooling_slowdown_s(
    plan: ExtrusionPlan, times: Mapping[str, np.ndarray], profile: PrintProfile
) -> np.ndarray:
    """Extra time per layer from the cooling slowdown [s].

    A layer printed faster than ``slowdown_below_layer_time_s`` has its
    extrusions slowed so that it takes that long, but not below
    ``min_print_speed_mm_s`` (PrusaSlicer CoolingBuffer).
    """
    n = plan.printed.size
    if profile.slowdown_below_layer_time_s <= 0:
        return np.zeros(n)
    moving = times["travel"] + times["retract"]
    extruding = np.sum(
        [t for r, t in times.items() if r not in ("travel", "retract")], axis=0
    )
    path = (
        plan.ext_perimeter_mm + plan.perimeter_mm + plan.sparse_mm + plan.solid_mm
        + plan.top_mm + plan.bridge_mm + plan.support_mm + plan.gap_fill_mm
    )  # fmt: skip
    slowest = path / max(profile.min_print_speed_mm_s, 1e-9)
    wanted = np.maximum(profile.slowdown_below_layer_time_s - moving, extruding)
    extra = np.minimum(wanted, np.maximum(slowest, extruding)) - extruding
    return np.where(plan.printed, np.maximum(extra, 0.0), 0.0)


def estimate_part_on_printers(
    mesh: Mesh | MeshTopology,
    *,
    printers: Sequence[Printer],
    materials: Mapping[str, Material],
    material: str,
    name: str = "",
) -> dict[str, PrintEstimate]:
    """Estimate one part on every printer that runs the material and fits it.

    Parameters
    ----------
    mesh
        The part, Z up.
    printers
        Candidate printers (their profile and hourly rate are used).
    materials
        Materials by upper-case name.
    material
        The part's material (case-insensitive).
    name
        File name for the records.

    Returns
    -------
    dict
        ``printer_id -> PrintEstimate``; printers that do not run the material
        or whose build volume the part does not fit are left out.

    Raises
    ------
    GeometryError
        When the mesh has no facet with a non-zero area.
    KeyError
        When ``material`` is not in ``materials``.
    """
    topo = mesh if isinstance(mesh, MeshTopology) else analyse_mesh(mesh)
    mat = materials[material.upper()]
    out: dict[str, PrintEstimate] = {}
    for printer in printers:
        if not printer.runs(material) or not printer.fits(topo.properties.size_mm):
            continue
        out[printer.printer_id] = estimate_print(
            topo,
            profile=printer.profile,
            material=mat,
            hourly_rate=printer.hourly_rate,
            printer_id=printer.printer_id,
            name=name or (mesh.name if isinstance(mesh, Mesh) else ""),
        )
    return out
