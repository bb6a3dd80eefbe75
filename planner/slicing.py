r"""FFF print time, filament and cost from a mesh and a slicer profile.

The estimator slices the mesh like a slicer does, then models the extrusion
paths and the printer's motion planner instead of generating G-code:

1. :func:`slice_mesh` cuts every triangle with every layer's mid-height plane in
   one compiled pass (:mod:`planner._kernels`, triangles x layers they
   straddle, layer by layer). Each cut is a segment oriented by the facet
   winding, so contours need no chaining: the layer's area is the shoelace sum
   of cross products and its contour length the sum of segment lengths.
   Segment ends sit on mesh edges, so the successor of each segment is the cut
   of the facet across its exit edge; the open chains of a non-watertight mesh are closed to their nearest start; loops are nested
   by winding number (holes to their islands; bodies inside another body, as
   in overlapping assembly meshes, dropped as a union would); corner angles
   and the per-axis jerk of every corner follow.
2. :func:`plan_extrusion` turns the layers into path lengths per role like
   PrusaSlicer's classic perimeter generator: perimeters are offset loops of
   the contour (inward offset area :math:`A(d) = A - L d + K d^2/2` with
   :math:`K = \sum 2\tan(\theta_i/2)` over corner turning angles, summed per
   island with its holes; each perimeter takes the band of area between two
   offsets, so thin walls get shorter loops); islands pinched off by the
   infill opening become gap fill; solid shells reach the infill region from
   exposed surfaces (horizontal facets, the first and last layer, and the
   ``h cot(slope)`` strips of sloped facets over as many layers as the slope
   goes on and as fast as the section actually recedes), with PrusaSlicer's
   3 mm growth of a layer's own top and bottom and its widening of narrow
   shells; bridges over air and over sparse infill; each fill region is
   described by its area, its boundary projected across the lines and its
   boundary length, which give the line count, line length (half a spacing
   inside the boundary) and the zigzag connectors along the boundary.
3. Time: per role, path length over the programmed speed, corrected per segment
   with the trapezoidal acceleration profile and the Marlin/PrusaSlicer jerk
   junction speed: contour segments from the mesh, with a start and stop at
   each loop's seam; infill lines and connectors from the region's mean chord
   :math:`2A/E`; plus travel, retraction, layer change and the cooling
   slowdown.

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

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from planner import _kernels, _parallel
from planner.errors import GeometryError
from planner.geometry import Mesh, MeshProperties, MeshTopology, analyse_mesh
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
#: PrusaSlicer's min_perimeter_infill_spacing over the solid infill spacing
#: (discover_vertical_shells).
_VERTICAL_SHELL_SPACING_FRAC = 1.05
#: Travel per island: two moves (to its first perimeter, from the perimeters
#: to the infill) of this fraction of the island's mean bounding-box side.
_ISLAND_TRAVEL_FRAC = 0.75
#: Travel to each hole's perimeters, as a fraction of the island's mean side.
_HOLE_TRAVEL_FRAC = 0.5
#: A contour's extremum across the infill lines counts when the contour comes
#: back this far from it [mm], about the sparse infill's line spacing: finer
#: wiggles -- knurls, threads, tessellated curves -- stay in the perimeters and
#: do not split the infill (a gear's teeth do).
_EXTREMUM_PROMINENCE_MM = 2.0
#: The infill region is opened by this fraction of the solid infill spacing:
#: strips narrower than that between the perimeters get gap fill instead.
_INFILL_OPENING_FRAC = 1.0
#: Gap fill is printed only where the gap is wider than this fraction of the
#: extrusion width (PrusaSlicer: 0.2 w (1 - INSET_OVERLAP_TOLERANCE)).
_GAP_MIN_FRAC = 0.16
#: Infill patterns whose paths the rectilinear model describes directly.
_RECTILINEAR_LIKE = ("rectilinear", "alignedrectilinear", "monotonic", "line", "grid")
#: PrusaSlicer grows a layer's own top and bottom surfaces this far into its
#: infill region (EXTERNAL_INFILL_MARGIN) [mm].
EXTERNAL_INFILL_MARGIN_MM = 3.0
#: Bounds of the factor by which the surface recedes over the solid-shell
#: layers faster (curving) than its slope at the layer says.
_GROWTH_RANGE = (0.5, 4.0)
#: Infill lines are joined along the boundary where their ends lie at most
#: twice the anchor length apart (PrusaSlicer infill_anchor = 600 % of the
#: extrusion width); farther ends are left apart.
_INFILL_ANCHOR_WIDTHS = 6.0
#: Most (point, loop) and (point, segment) pairs tested when nesting loops;
#: beyond them every loop counts as its own island or hole.
_MAX_NEST_PAIRS = 5_000_000
_MAX_NEST_SEGMENTS = 20_000_000
#: Largest angle between contour pieces that still join into one segment [rad].
_COLLINEAR_RAD = 1e-10
#: Copy the contours of layers that repeat the layer below (False: cut each).
_COPY_BANDS = True
#: Jacobi sweeps of the speed planner along contour segments.
_PLANNER_SWEEPS = 12
#: Rectilinear line to boundary connector turn: per-axis velocity change of a
#: 45 degree line meeting an axis-parallel boundary, and of the connector
#: turning into the reversed line (Marlin jerk counts a sign reversal as the
#: larger of the two speeds, not their difference).
_INFILL_TURN_G = (math.sqrt(0.5), 1.0)
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
    layer_change_s
        Per layer, the Z move and layer change time within its travel
        (:func:`layer_change_s`). [s]
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
    (islands), of negative area holes. Loops of open meshes may not close. A
    segment is a straight run of the contour: collinear cuts of coplanar
    facets are joined into one.

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
    fill_extent_mm
        The same for the layer's own infill direction (45 degree lines on even
        layers, 135 degree on odd ones). [mm]
    bbox_size_mm
        Shape ``(n_layers, 2)``: x and y extents of the layer. [mm]
    loop_layer, loop_area_mm2, loop_length_mm, loop_turning
        Per loop: layer, signed area [mm²], length [mm], and
        :math:`\\sum 2\\tan(\\theta/2)` over its corners (2 pi for a convex loop).
    loop_group
        Per loop: the island it belongs to (its own index for an island, the
        innermost island around it for a hole).
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
    segment_cross_mm
        Per segment: ``|d . n|``, its length across the layer's infill lines. [mm]
    segment_slope_run_mm
        Per segment: height over which its slope goes on above the plane (up-
        facing) or below it (down-facing): to the end of its facet when the
        facet beyond turns the other way (a thread's crest), else unbounded
        (1e6). [mm]
    flat_up_mm2, flat_down_mm2
        Per layer: projected area of horizontal facets that are the top
        (facing up) or the bottom (facing down) of that layer. [mm²]
    extrema
        Per layer: the loops' local extrema across the infill lines, at least
        ``_EXTREMUM_PROMINENCE_MM`` deep (mean of the two directions; a convex
        loop has 2); each pair beyond an island's own splits its infill once
        more.
    layer_source
        Per layer: the layer whose contours it repeats exactly (its own index
        when it does not), or None. Segments, loops and their order are the
        same in both, so per-layer contour figures can be computed once.
    """

    z_mm: np.ndarray
    height_mm: np.ndarray
    area_mm2: np.ndarray
    contour_length_mm: np.ndarray
    extent_mm: np.ndarray
    fill_extent_mm: np.ndarray
    bbox_size_mm: np.ndarray
    loop_layer: np.ndarray
    loop_area_mm2: np.ndarray
    loop_length_mm: np.ndarray
    loop_turning: np.ndarray
    loop_group: np.ndarray
    segment_layer: np.ndarray
    segment_loop: np.ndarray
    segment_length_mm: np.ndarray
    segment_next: np.ndarray
    segment_junction_g: np.ndarray
    segment_slope_cot: np.ndarray
    segment_cross_mm: np.ndarray
    segment_slope_run_mm: np.ndarray
    flat_up_mm2: np.ndarray
    flat_down_mm2: np.ndarray
    extrema: np.ndarray
    layer_source: np.ndarray | None = None

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


def _junction_g(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Marlin classic-jerk measure of a corner between unit directions u -> v.

    Per axis, the velocity change is ``|u - v|`` when the axis keeps its sign and
    ``max(|u|, |v|)`` when it reverses (PrusaSlicer GCodeProcessor); the
    junction speed at cruise speed ``c`` is ``min(c, jerk / g)``.
    """
    same = (u * v) >= 0
    change = np.where(same, np.abs(u - v), np.maximum(np.abs(u), np.abs(v)))
    return change.max(axis=1)


def _close_open_chains(
    seg_layer: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    slope_cot: np.ndarray,
    slope_run: np.ndarray,
    segment_next: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Join the open contour chains of a non-watertight mesh into loops.

    Each chain end is joined by a new straight (vertical-wall) segment to the
    nearest chain start on its layer (its own start when that is nearest), as
    a slicer closes the gaps of a holed mesh. Watertight meshes have no open
    chain and come back unchanged.
    """
    n_seg = seg_layer.size
    ends = np.flatnonzero(segment_next < 0)
    if ends.size == 0:
        return seg_layer, start, end, slope_cot, slope_run, segment_next
    has_prev = np.zeros(n_seg, dtype=bool)
    has_prev[segment_next[segment_next >= 0]] = True
    starts = np.flatnonzero(~has_prev)
    starts = starts[np.argsort(seg_layer[starts], kind="stable")]
    start_layer = seg_layer[starts]
    lo = np.searchsorted(start_layer, seg_layer[ends], side="left")
    count = np.searchsorted(start_layer, seg_layer[ends], side="right") - lo
    if int(count.sum()) > _MAX_NEST_PAIRS or not count.any():
        return seg_layer, start, end, slope_cot, slope_run, segment_next
    end_i = np.repeat(np.arange(ends.size), count)
    start_i = starts[
        np.repeat(lo, count)
        + np.arange(end_i.size)
        - np.repeat(np.cumsum(count) - count, count)
    ]
    gap = start[start_i] - end[ends[end_i]]
    dist = np.hypot(gap[:, 0], gap[:, 1])
    best = np.lexsort((dist, end_i))
    first = np.append(True, end_i[best][1:] != end_i[best][:-1])
    pick_end = ends[end_i[best][first]]
    pick_start = start_i[best][first]
    new = n_seg + np.arange(pick_end.size)
    segment_next = np.concatenate([segment_next, pick_start])
    segment_next[pick_end] = new
    return (
        np.concatenate([seg_layer, seg_layer[pick_end]]),
        np.concatenate([start, end[pick_end]]),
        np.concatenate([end, start[pick_start]]),
        np.concatenate([slope_cot, np.zeros(pick_end.size)]),
        np.concatenate([slope_run, np.zeros(pick_end.size)]),
        segment_next,
    )


def _facet_setup(
    topo: MeshTopology, centre: np.ndarray, z_planes: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Per facet: height range, planes cut, normal, slope and slope runs.

    The start of :func:`slice_mesh`, in pieces on idle cores
    (:func:`planner._kernels.facet_heights`, then
    :func:`planner._kernels.facet_runs`, which reads the slopes across each
    side). Returns ``(zmin, zmax, lo, hi, nz, cot, run_top, run_bottom)``:
    height range [mm] about ``centre``, the planes ``lo .. hi - 1`` it is
    cut by, the z of its normal, its slope cotangent and slope runs [mm].
    """
    n = topo.vectors.shape[0]
    vectors = np.ascontiguousarray(topo.vectors, dtype=np.float64)
    partner = np.ascontiguousarray(topo.side_partner, dtype=np.int64)
    planes = np.ascontiguousarray(z_planes, dtype=np.float64)
    zmin, zmax, nz, cot, run_top, run_bottom = (np.empty(n) for _ in range(6))
    lo, hi = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    ranges = _parallel.pieces(n)
    _parallel.run_pieces([
        partial(_kernels.facet_heights, vectors, centre, planes, start, stop, zmin,
                zmax, lo, hi, nz, cot)
        for start, stop in ranges
    ])  # fmt: skip
    # the runs read the cotangents across each side: all heights come first
    _parallel.run_pieces([
        partial(_kernels.facet_runs, vectors, centre, partner, int(topo.orientation),
                zmin, zmax, cot, start, stop, run_top, run_bottom)
        for start, stop in ranges
    ])  # fmt: skip
    return zmin, zmax, lo, hi, nz, cot, run_top, run_bottom


def _cut_facets(
    topo: MeshTopology,
    offset: np.ndarray,
    cut_tris: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    todo: np.ndarray,
    z_planes: np.ndarray,
    first_cut: np.ndarray,
    position_of: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Cut segments of facets ``cut_tris`` at the layers marked in ``todo``.

    Cuts come out layer by layer, in facet order within a layer (a stable
    counting sort); :func:`planner._kernels.cut_fill` says what each holds.
    In pieces of facets on idle cores: each piece counts its cuts per layer,
    then writes them from where the pieces before it end in each layer, so
    the cuts land where one pass over all facets puts them.

    Returns ``(layer, facet, p, q, node_a, node_b, side_a, side_b)``.
    """
    n_layers = z_planes.size
    ranges = _parallel.pieces(cut_tris.size)
    counts = np.zeros((len(ranges), n_layers), dtype=np.int64)
    _parallel.run_pieces([
        partial(_kernels.cut_counts, cut_tris, lo, hi, todo, start, stop, counts[i])
        for i, (start, stop) in enumerate(ranges)
    ])  # fmt: skip
    per_layer = counts.sum(axis=0)
    layer_start = np.cumsum(per_layer) - per_layer
    fill = layer_start + np.cumsum(counts, axis=0) - counts
    m = int(per_layer.sum())
    out = (
        np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64), np.empty((m, 2)),
        np.empty((m, 2)), np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64),
        np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64),
    )  # fmt: skip
    vectors = np.ascontiguousarray(topo.vectors, dtype=np.float64)
    _parallel.run_pieces([
        partial(_kernels.cut_fill, vectors, offset, cut_tris, lo, hi, todo,
                z_planes, topo.side_edge, topo.n_edges, first_cut, position_of,
                start, stop, fill[i], *out)
        for i, (start, stop) in enumerate(ranges)
    ])  # fmt: skip
    return out


def _contour_measures(
    p: np.ndarray,
    q: np.ndarray,
    segment_next: np.ndarray,
    seg_layer: np.ndarray,
    seg_loop: np.ndarray,
    shoelace: np.ndarray,
    n_layers: int,
    n_loops: int,
) -> tuple[np.ndarray, ...]:
    """Per-segment measures and per-layer sums (:func:`planner._kernels.contour_measures_range`).

    Segments in layer order split at layer starts into pieces for idle cores
    (a contour stays in its layer, so each piece has its successors and its
    own layers' and loops' sums); closing segments appended out of layer
    order keep the whole in one piece. The loops' extrema across the infill
    lines (:func:`planner._kernels.contour_extrema`, at least
    ``_EXTREMUM_PROMINENCE_MM`` deep) are counted beside them.

    Returns
    -------
    tuple
        ``(length, junction_g, cross, dot, has_next, loop_length, area,
        contour, extent, seg_cross, fill_extent, extrema, bbox)``.
    """
    m = seg_layer.size
    p = np.ascontiguousarray(p)
    segment_next = np.ascontiguousarray(segment_next, dtype=np.int64)
    seg_layer = np.ascontiguousarray(seg_layer, dtype=np.int64)
    seg_loop = np.ascontiguousarray(seg_loop, dtype=np.int64)
    args = (
        p, np.ascontiguousarray(q), segment_next, seg_layer, seg_loop,
        np.ascontiguousarray(shoelace),
    )  # fmt: skip
    out = (
        np.empty(m), np.empty(m), np.empty(m), np.empty(m),
        np.empty(m, dtype=np.bool_), np.zeros(n_loops), np.zeros(n_layers),
        np.zeros(n_layers), np.zeros((n_layers, 2)), np.empty(m),
        np.zeros(n_layers), np.zeros((n_layers, 2)),
    )  # fmt: skip
    ranges = _parallel.pieces(m)
    if len(ranges) > 1:
        if bool((np.diff(seg_layer) >= 0).all()):
            # each cut moved back to the start of its layer
            cuts = np.unique(np.searchsorted(
                seg_layer, seg_layer[[start for start, _ in ranges]], side="left"
            ))  # fmt: skip
            bounds = np.append(cuts, m)
            ranges = [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        else:
            ranges = [(0, m)]
    extrema = _parallel.run_pieces(
        [
            partial(_kernels.contour_extrema, p, segment_next, seg_layer, seg_loop,
                    n_loops, n_layers, _EXTREMUM_PROMINENCE_MM),
            *(partial(_kernels.contour_measures_range, *args, start, stop, *out)
              for start, stop in ranges),
        ],
        items=m,
    )[0]  # fmt: skip
    return (*out[:11], extrema, out[11])


def _successors(
    topo: MeshTopology,
    edge_facets: np.ndarray,
    seg_layer: np.ndarray,
    node_a: np.ndarray,
    node_b: np.ndarray,
    exit_side: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    first_cut: np.ndarray,
    position_of: np.ndarray,
) -> np.ndarray:
    """Successor of each cut along the contour (-1 where the contour stops).

    The successor is the cut that starts on the (layer, edge) node this one
    ends on. Across an edge of two facets it can only be the other facet's cut
    at the same layer, found through the facet across the exit side; only
    cuts leaving through an edge of three or more facets (``edge_facets``, a
    non-manifold mesh) are matched by sorting the nodes, which takes the first
    cut in index order starting there.
    """
    n_seg = seg_layer.size
    segment_next = np.empty(n_seg, dtype=np.int64)
    leaves_many = np.empty(n_seg, dtype=np.bool_)
    _parallel.run_pieces([
        partial(
            _kernels.successors_range, seg_layer, node_a, node_b, exit_side,
            topo.side_partner, topo.side_edge, edge_facets, lo, hi, first_cut,
            position_of, start, stop, segment_next, leaves_many,
        )
        for start, stop in _parallel.pieces(n_seg)
    ])  # fmt: skip
    many = np.flatnonzero(leaves_many)
    if many.size:
        order = np.argsort(node_a, kind="stable")
        sorted_a = node_a[order]
        pos = np.minimum(np.searchsorted(sorted_a, node_b[many]), n_seg - 1)
        segment_next[many] = np.where(sorted_a[pos] == node_b[many], order[pos], -1)
    return segment_next


def _merge_collinear(
    seg_layer: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    slope_cot: np.ndarray,
    slope_run: np.ndarray,
    segment_next: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Join runs of collinear contour segments cut from coplanar facets.

    A flat face split into triangles (every quad of a prism or a cylinder) is
    cut into two or more collinear pieces per layer; one segment from the
    first piece's start to the last one's end prints the same and halves the
    work downstream. Pieces join where the next one continues in the same
    direction (to 1e-10 rad) with the same facet slope (and slope run, unless
    vertical) and is the only one leading on. Returns the merged ``(seg_layer,
    start, end, slope_cot, slope_run, segment_next)`` and, per merged segment,
    the smallest index of its pieces (loops keep their nesting probe point),
    its first piece and its last piece.
    """
    return _kernels.merge_collinear(
        np.ascontiguousarray(seg_layer, dtype=np.int64),
        np.ascontiguousarray(start, dtype=np.float64),
        np.ascontiguousarray(end, dtype=np.float64),
        np.ascontiguousarray(slope_cot, dtype=np.float64),
        np.ascontiguousarray(slope_run, dtype=np.float64),
        np.ascontiguousarray(segment_next, dtype=np.int64),
        _COLLINEAR_RAD,
    )


def _nest_loops(
    start: np.ndarray,
    end: np.ndarray,
    seg_loop: np.ndarray,
    loop_layer: np.ndarray,
    loop_area: np.ndarray,
    point: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Which loops to keep, and the island each loop belongs to.

    The winding number of each loop's probe ``point`` (a point on it, shape
    ``(n_loops, 2)``) with respect to the other
    loops of its layer (a ray cast to +x against their oriented segments,
    vectorised over the candidate pairs whose bounding box holds the point)
    nests the loops: an island (counter-clockwise) is kept where the others
    wind 0 times around it, a hole where they wind once; anything else lies
    inside another shell (overlapping bodies of a messy mesh, unioned as a
    slicer does) or outside every island. A hole belongs to the smallest island
    around it. Layers with too many candidate pairs keep every loop, each its
    own group.
    """
    n_loops = loop_area.size
    keep = np.ones(n_loops, dtype=bool)
    group = np.arange(n_loops)
    if n_loops < 2:
        return keep, group
    order = np.argsort(seg_loop, kind="stable")
    loop_sorted = seg_loop[order]
    first = np.searchsorted(loop_sorted, np.arange(n_loops))
    count = np.bincount(seg_loop, minlength=n_loops)
    # per-loop bounds, one coordinate column at a time (faster than (n, 2))
    sx, sy = start[:, 0][order], start[:, 1][order]
    ex, ey = end[:, 0][order], end[:, 1][order]
    y_lo = np.minimum.reduceat(np.minimum(sy, ey), first)
    x_hi = np.maximum.reduceat(np.maximum(sx, ex), first)
    y_hi = np.maximum.reduceat(np.maximum(sy, ey), first)
    # candidate (point loop a, other loop b) pairs of the same layer
    by_layer = np.argsort(loop_layer, kind="stable")
    per_layer = np.bincount(loop_layer)
    layer_start = np.concatenate([[0], np.cumsum(per_layer)])
    n_pairs = per_layer[loop_layer]
    if int((n_pairs.astype(np.int64)).sum()) > _MAX_NEST_PAIRS:
        return keep, group
    a = np.repeat(np.arange(n_loops), n_pairs)
    offset = np.arange(a.size) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    b = by_layer[layer_start[loop_layer[a]] + offset]
    px, py = point[a, 0], point[a, 1]
    near = (a != b) & (py >= y_lo[b]) & (py < y_hi[b]) & (px < x_hi[b])
    a, b = a[near], b[near]
    n_seg_pairs = count[b]
    if a.size == 0 or int(n_seg_pairs.sum()) > _MAX_NEST_SEGMENTS:
        return keep, group
    pair = np.repeat(np.arange(a.size), n_seg_pairs)
    seg = order[
        np.repeat(first[b], n_seg_pairs)
        + np.arange(pair.size)
        - np.repeat(np.cumsum(n_seg_pairs) - n_seg_pairs, n_seg_pairs)
    ]
    x0, y0 = start[:, 0][seg], start[:, 1][seg]
    x1, y1 = end[:, 0][seg], end[:, 1][seg]
    point_a = a[pair]
    qy = point[:, 1][point_a]
    up = (y0 <= qy) & (qy < y1)
    down = (y1 <= qy) & (qy < y0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = x0 + (qy - y0) * (x1 - x0) / (y1 - y0)
    right = x_cross > point[:, 0][point_a]
    sign = (up & right).astype(np.int64) - (down & right).astype(np.int64)
    winding_pair = np.bincount(pair, sign, minlength=a.size)
    winding = np.bincount(a, winding_pair, minlength=n_loops)
    island = loop_area > 0
    keep = np.where(island, winding == 0, winding == 1)
    # a hole's island: the smallest kept island winding around its point
    around = (winding_pair > 0) & island[b] & keep[b] & ~island[a]
    ha, hb = a[around], b[around]
    pick = np.lexsort((loop_area[hb], ha))
    ha, hb = ha[pick], hb[pick]
    first_pick = np.append(True, ha[1:] != ha[:-1])[: ha.size]
    group[ha[first_pick]] = hb[first_pick]
    return keep, group


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

    Notes
    -----
    Collinear pieces cut from coplanar facets (the two triangles of a flat
    quad) join into one segment (:func:`_merge_collinear`). Layers that cut
    the same facets as the layer below, where every segment runs between
    vertical edges (a prism's walls), have the same contours: they are copied
    from the band's first layer rather than cut, and
    :attr:`LayerStack.layer_source` records it.

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
    height = topo.properties.size_mm[2]
    z_planes, thickness = layer_planes(
        height,
        layer_height_mm=layer_height_mm,
        first_layer_height_mm=first_layer_height_mm,
    )
    n_layers = z_planes.size
    lo_xyz, hi_xyz = topo.properties.bbox_min_mm, topo.properties.bbox_max_mm
    # centred and dropped onto the bed (x, y about the box centre, z from its
    # floor); heights, planes cut, normals, slopes and slope runs of every
    # facet in one compiled pass (_facet_normals, _facet_cot, _slope_runs)
    centre = (0.5 * (lo_xyz[0] + hi_xyz[0]), 0.5 * (lo_xyz[1] + hi_xyz[1]), lo_xyz[2])
    zmin, zmax, lo, hi, normal_z_raw, facet_cot, run_top, run_bottom = _facet_setup(
        topo, np.array(centre, dtype=np.float64), z_planes
    )
    flat_xyz = topo.vectors.reshape(-1, 3)

    def corner(axis: int, flat: np.ndarray) -> np.ndarray:
        """Coordinate ``axis`` of corners ``flat`` (``3 t + k``), centred."""
        return flat_xyz[flat, axis] - centre[axis]

    count = np.maximum(hi - lo, 0)
    # flat (horizontal) facets lie between planes: the top of the layer below
    # them (facing up) or the bottom of the layer above (facing down)
    normal_z = 0.5 * topo.orientation * normal_z_raw
    flat = (count == 0) & (zmax - zmin <= _FLAT_TOLERANCE_MM)
    up = flat & (normal_z > 0)
    down = flat & (normal_z < 0)
    up_layer = np.clip(
        np.searchsorted(z_planes, zmax[up], side="right") - 1, 0, n_layers - 1
    )
    down_layer = np.clip(np.searchsorted(z_planes, zmin[down]), 0, n_layers - 1)
    del zmin, zmax  # (a facet's height range is not needed further)
    flat_up = np.bincount(up_layer, normal_z[up], minlength=n_layers)
    flat_down = np.bincount(down_layer, -normal_z[down], minlength=n_layers)
    cut_tris = np.flatnonzero(count)
    if cut_tris.size == 0:
        raise GeometryError(f"mesh {getattr(mesh, 'name', '')!r}: no layer to slice")
    cum = np.cumsum(count[cut_tris])
    # index of the cut of triangle t at layer k in triangle-major order:
    # first_cut[t] + k - lo[t]; position_of maps it to the cut's index
    first_cut = np.zeros(count.size, dtype=np.int64)
    first_cut[cut_tris] = cum - count[cut_tris]
    position_of = np.empty(int(cum[-1]), dtype=np.int64)
    offset = np.array(centre)
    edge_facets = np.bincount(topo.side_edge.reshape(-1), minlength=topo.n_edges)

    def flat_next(flat: np.ndarray) -> np.ndarray:
        """Flat index of the corner after each of ``flat`` (``3 t + k``)."""
        return flat + np.where(flat % 3 == 2, -2, 1)

    def cut_layers(todo: np.ndarray) -> dict[str, np.ndarray]:
        """Merged contour segments of the layers marked in ``todo``."""
        seg_layer, tri_idx, p, q, node_a, node_b, side_a, side_b = _cut_facets(
            topo, offset, cut_tris, lo, hi, todo, z_planes, first_cut, position_of
        )
        slope_cot, slope_run = _kernels.segment_slopes(
            tri_idx, seg_layer, facet_cot, int(topo.orientation), run_top,
            run_bottom, z_planes,
        )  # fmt: skip
        if topo.orientation < 0:
            p, q, node_a, node_b = q, p, node_b, node_a
            side_a, side_b = side_b, side_a
        segment_next = _successors(
            topo, edge_facets, seg_layer, node_a, node_b, side_b, lo, hi,
            first_cut, position_of,
        )  # fmt: skip
        merged = _merge_collinear(seg_layer, p, q, slope_cot, slope_run, segment_next)
        heads, tails = merged[-2:]
        out = {
            "layer": merged[0], "p": merged[1], "q": merged[2], "cot": merged[3],
            "run": merged[4], "next": merged[5], "member": merged[6],
            "piece_start": p,
        }  # fmt: skip
        if not todo.all():
            # a segment repeats unchanged in the layers above while both its
            # ends lie on vertical edges
            entry, leave = side_a[heads], side_b[tails]
            still = (
                (corner(0, entry) == corner(0, flat_next(entry)))
                & (corner(1, entry) == corner(1, flat_next(entry)))
                & (corner(0, leave) == corner(0, flat_next(leave)))
                & (corner(1, leave) == corner(1, flat_next(leave)))
            )
            # what copying these layers' segments to the layers above needs
            # (a pass over every layer copies nothing)
            out |= {"tri": tri_idx[heads], "still": still}
        return out

    # bands of layers that cut the same facets: where every segment of the
    # band's first layer runs between vertical edges, the other layers of the
    # band are the same contours and are copied instead of cut
    first_of_band = np.zeros(n_layers + 1, dtype=bool)
    first_of_band[lo[cut_tris]] = True
    first_of_band[hi[cut_tris]] = True
    first_of_band[0] = True
    if 2 * int(first_of_band.sum()) > n_layers or not _COPY_BANDS:
        # short bands: hardly anything to copy
        first_of_band[:] = True
    else:
        # a plane through a vertex cuts it to a point: that layer and the one
        # above stand alone
        for height in (topo.vectors[:, k, 2] - centre[2] for k in range(3)):
            k = np.searchsorted(z_planes, height, side="right") - 1
            hit = k[(k >= 0) & (z_planes[np.maximum(k, 0)] == height)]
            first_of_band[hit] = True
            first_of_band[hit + 1] = True
        # a facet that is not vertical has no vertical edge, so its cuts move
        # from layer to layer: every layer of a band that cuts one stands alone
        band = np.cumsum(first_of_band[:n_layers]) - 1
        slanted = cut_tris[normal_z_raw[cut_tris] != 0.0]
        cover = np.zeros(band[-1] + 2, dtype=np.int64)
        np.add.at(cover, band[lo[slanted]], 1)
        np.add.at(cover, band[hi[slanted] - 1] + 1, -1)
        first_of_band[:n_layers] |= (np.cumsum(cover)[:-1] > 0)[band]
    first_of_band = first_of_band[:n_layers]
    band = np.cumsum(first_of_band) - 1
    band_first = np.flatnonzero(first_of_band)
    parts = [cut_layers(first_of_band)]
    if first_of_band.all():
        copied = np.zeros(n_layers, dtype=bool)
    else:
        moving = (
            np.bincount(
                band[parts[0]["layer"]], ~parts[0]["still"], minlength=band_first.size
            )
            > 0
        )
        copied = ~first_of_band & ~moving[band]
    if first_of_band.all():
        whole = parts[0]
        seg_layer, p, q = whole["layer"], whole["p"], whole["q"]
        slope_cot, slope_run = whole["cot"], whole["run"]
        segment_next = whole["next"]
        first_member, piece_start = whole["member"], whole["piece_start"]
        copied[:] = False
        layer_source = None
    else:
        source = np.full(n_layers, -1)
        source[first_of_band] = 0
        recut = moving[band] & ~first_of_band
        if recut.any():
            parts.append(cut_layers(recut))
            source[recut] = 1
        copied = source < 0
        source[copied] = 0
        layer_from = np.where(copied, band_first[band], np.arange(n_layers))
        layer_source = layer_from
        # concatenate the parts, then pick each layer's segments from its source
        offset, piece_offset, starts = 0, 0, []
        for part in parts:
            part["next"] = np.where(part["next"] >= 0, part["next"] + offset, -1)
            part["member"] = part["member"] + piece_offset
            per_layer = np.bincount(part["layer"], minlength=n_layers)
            starts.append((offset + np.cumsum(per_layer) - per_layer, per_layer))
            offset += part["layer"].size
            piece_offset += part["piece_start"].shape[0]
        both = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
        start_of = np.choose(source, [st[0] for st in starts])[layer_from]
        n_of = np.choose(source, [st[1] for st in starts])[layer_from]
        out_start = np.cumsum(n_of) - n_of
        src = np.repeat(start_of - out_start, n_of) + np.arange(int(n_of.sum()))
        seg_layer = np.repeat(np.arange(n_layers), n_of)
        shift = np.arange(src.size) - src
        segment_next = both["next"][src]
        segment_next = np.where(segment_next >= 0, segment_next + shift, -1)
        p, q = both["p"][src], both["q"][src]
        slope_cot = both["cot"][src]
        tri_head = both["tri"][src]
        seg_z = z_planes[seg_layer]
        slope_run = np.where(
            slope_cot >= 0, run_top[tri_head] - seg_z, seg_z - run_bottom[tri_head]
        )
        first_member = both["member"][src]
        piece_start = both["piece_start"]
    n_pieces = piece_start.shape[0]
    n_merged = seg_layer.size
    seg_layer, p, q, slope_cot, slope_run, segment_next = _close_open_chains(
        seg_layer, p, q, slope_cot, slope_run, segment_next
    )
    n_seg = seg_layer.size
    if n_seg > n_merged:
        layer_source = None
        first_member = np.concatenate(
            [first_member, n_pieces + np.arange(n_seg - n_merged)]
        )
        piece_start = np.concatenate([piece_start, p[n_merged:]])
    n_loops, seg_loop, probe, first_seg = _kernels.chain_components(
        np.ascontiguousarray(segment_next, dtype=np.int64),
        np.ascontiguousarray(first_member, dtype=np.int64),
    )
    shoelace = 0.5 * (p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0])
    loop_area = np.bincount(seg_loop, shoelace, minlength=n_loops)
    loop_layer = np.zeros(n_loops, dtype=np.int64)
    loop_layer[seg_loop] = seg_layer
    # each loop's probe point: the start of its first piece before merging
    probe_point = piece_start[probe]
    if copied.any() and n_seg == n_merged and bool((np.diff(first_seg) > 0).all()):
        # loops numbered in segment order: a copied layer's loops are its
        # source layer's, in the same order, and nest the same way
        per_layer = np.bincount(loop_layer, minlength=n_layers)
        loop_start = np.cumsum(per_layer) - per_layer
        own = ~copied[loop_layer]
        own_ids = np.flatnonzero(own)
        seg_own = ~copied[seg_layer]
        compact = np.cumsum(own) - 1
        keep_own, group_own = _nest_loops(
            p[seg_own], q[seg_own], compact[seg_loop[seg_own]], loop_layer[own],
            loop_area[own], probe_point[own],
        )  # fmt: skip
        keep = np.empty(n_loops, dtype=bool)
        loop_group = np.empty(n_loops, dtype=np.int64)
        keep[own_ids] = keep_own
        loop_group[own_ids] = own_ids[group_own]
        others = np.flatnonzero(~own)
        shift = (
            loop_start[layer_from[loop_layer[others]]] - loop_start[loop_layer[others]]
        )
        keep[others] = keep[others + shift]
        loop_group[others] = loop_group[others + shift] - shift
    else:
        keep, loop_group = _nest_loops(
            p, q, seg_loop, loop_layer, loop_area, probe_point
        )
    if not keep.all():
        # loops inside another island (overlapping shells of a messy mesh) or
        # holes outside every island: the union of the shells drops them
        seg_keep = keep[seg_loop]
        new_index = np.cumsum(seg_keep) - 1
        segment_next = np.where(
            segment_next >= 0, new_index[np.maximum(segment_next, 0)], -1
        )[seg_keep]
        seg_layer, p, q = seg_layer[seg_keep], p[seg_keep], q[seg_keep]
        slope_cot, shoelace = slope_cot[seg_keep], shoelace[seg_keep]
        slope_run = slope_run[seg_keep]
        loop_index = np.cumsum(keep) - 1
        seg_loop = loop_index[seg_loop[seg_keep]]
        loop_group = loop_index[loop_group[keep]]
        loop_area, loop_layer = loop_area[keep], loop_layer[keep]
        n_loops, n_seg = int(keep.sum()), int(seg_keep.sum())
    if n_seg == 0:
        raise GeometryError(f"mesh {getattr(mesh, 'name', '')!r}: no layer to slice")

    (
        length, junction_g, cross, dot, has_next, loop_length, area, contour,
        extent, cross_infill, fill_extent, extrema, bbox,
    ) = _contour_measures(
        p, q, segment_next, seg_layer, seg_loop, shoelace, n_layers, n_loops,
    )  # fmt: skip
    turn = np.where(has_next, np.arctan2(cross, dot), 0.0)
    turn_weight = 2.0 * np.tan(0.5 * np.clip(turn, -_MAX_TURN_RAD, _MAX_TURN_RAD))
    loop_turning = np.bincount(seg_loop, turn_weight, minlength=n_loops)

    return LayerStack(
        z_mm=z_planes,
        height_mm=thickness,
        area_mm2=area,
        contour_length_mm=contour,
        extent_mm=extent,
        fill_extent_mm=fill_extent,
        bbox_size_mm=bbox,
        loop_layer=loop_layer,
        loop_area_mm2=loop_area,
        loop_length_mm=loop_length,
        loop_turning=loop_turning,
        loop_group=loop_group,
        segment_layer=seg_layer,
        segment_loop=seg_loop,
        segment_length_mm=length,
        segment_next=segment_next,
        segment_junction_g=junction_g,
        segment_slope_cot=slope_cot,
        segment_cross_mm=cross_infill,
        segment_slope_run_mm=np.minimum(slope_run, 1e6),
        flat_up_mm2=flat_up,
        flat_down_mm2=flat_down,
        extrema=extrema,
        layer_source=layer_source,
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


def _seam_segments(stack: LayerStack) -> np.ndarray:
    """Mask of the segment ending at each closed loop's seam.

    PrusaSlicer's aligned seam sits in the sharpest corner: the segment ending
    at the largest jerk measure of each loop (the first one of a smooth loop).
    """
    return _kernels.seam_segments(
        np.ascontiguousarray(stack.segment_loop, dtype=np.int64),
        np.ascontiguousarray(stack.segment_next, dtype=np.int64),
        np.ascontiguousarray(stack.segment_junction_g, dtype=np.float64),
        stack.loop_layer.size,
    )


def _contour_time_s(
    segment_next: np.ndarray,
    length_mm: np.ndarray,
    junction_g: np.ndarray,
    speeds_mm_s: Sequence[np.ndarray],
    *,
    acceleration_mm_s2: float | np.ndarray,
    jerk_mm_s: float,
    seam: np.ndarray,
) -> np.ndarray:
    """Time to print each contour segment at per-segment cruise speeds [s].

    The contour is given per segment: successor (-1 at a chain end), length
    [mm] and junction measure (:attr:`LayerStack.segment_junction_g`).
    Junction speeds come from the jerk limit; a few Jacobi sweeps of
    ``v_k <= sqrt(v_{k-1}^2 + 2 a L)`` forwards and backwards
    (:func:`planner._kernels.plan_sweeps`) stand in for the firmware planner's passes (until
    nothing changes); each segment then takes :func:`trapezoid_time_s` from
    its predecessor's end speed to its own. Chain ends start and stop at the
    jerk speed. Each speed array is planned twice: with closed loops cut at
    ``seam`` (a mask of the segment ending at each loop's seam,
    :func:`_seam_segments`; a perimeter starts after a travel move and ends
    with one), and uncut. Compiled: :func:`planner._kernels.contour_plans`.

    Returns
    -------
    np.ndarray
        Shape ``(2 k, n_segments)`` for ``k`` speed arrays: rows ``2 i`` (cut
        at the seam) and ``2 i + 1`` (uncut) for speed array ``i``. [s]
    """
    n = segment_next.size
    speeds = np.ascontiguousarray(np.stack(speeds_mm_s), dtype=np.float64).reshape(
        -1, n
    )
    args = (
        np.ascontiguousarray(segment_next, dtype=np.int64),
        np.ascontiguousarray(length_mm, dtype=np.float64),
        np.ascontiguousarray(junction_g, dtype=np.float64),
        speeds,
        np.ascontiguousarray(
            np.broadcast_to(acceleration_mm_s2, (n,)), dtype=np.float64
        ),
        float(jerk_mm_s),
        np.ascontiguousarray(seam, dtype=np.bool_),
        _PLANNER_SWEEPS,
    )
    out = np.empty((2 * speeds.shape[0], n))
    # the cut rows and the uncut rows (each set shares its chain set-up)
    row_sets = (
        [np.arange(out.shape[0])]
        if len(_parallel.pieces(n)) == 1
        else [np.arange(0, out.shape[0], 2), np.arange(1, out.shape[0], 2)]
    )
    _parallel.run_pieces(
        [partial(_kernels.contour_plans, *args, rows, out) for rows in row_sets]
    )
    return out


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


@dataclass(frozen=True, slots=True)
class Region:
    """Per-layer area [mm²], projected boundary [mm] and boundary length [mm].

    ``extent`` is the boundary length projected on the normal of the layer's
    infill lines (twice the number of lines per unit spacing); ``boundary``
    the length along which the lines' connectors run.
    """

    area: np.ndarray
    extent: np.ndarray
    boundary: np.ndarray

    def __add__(self, other: Region) -> Region:
        return Region(
            area=self.area + other.area,
            extent=self.extent + other.extent,
            boundary=self.boundary + other.boundary,
        )

    def scaled_to(self, area: np.ndarray) -> Region:
        """The same kind of region with less area (fewer, not shorter, lines)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(self.area > 0, area / self.area, 0.0)
        return Region(area=area, extent=self.extent * ratio,
                      boundary=self.boundary * ratio)  # fmt: skip

    def cap(self, limit: np.ndarray, whole: Region) -> Region:
        """Clip the area to ``limit`` inside ``whole``: lines no longer than its."""
        out = self.scaled_to(np.minimum(self.area, limit))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(whole.area > 0, out.area / whole.area, 0.0)
        return Region(
            area=out.area,
            extent=np.maximum(out.extent, whole.extent * share),
            boundary=np.maximum(out.boundary, whole.boundary * share),
        )

    def where(self, condition: np.ndarray, other: Region) -> Region:
        """``other`` on the layers where ``condition`` holds."""
        return Region(
            area=np.where(condition, other.area, self.area),
            extent=np.where(condition, other.extent, self.extent),
            boundary=np.where(condition, other.boundary, self.boundary),
        )


def _shell_growth(
    stack: LayerStack,
    n_shell: int,
    *,
    above: bool,
    steps: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    r"""How much faster than its slope the surface recedes over ``n_shell`` layers.

    To first order the part's section shrinks by :math:`D_\uparrow = \sum l s`
    per layer over its up-facing segments (``s = h \cot``) and grows by
    :math:`D_\downarrow` over its down-facing ones. On a curved surface the
    sections ``n`` layers away differ by more (the top of a sphere or a torus):
    the factor is :math:`(A_j - A_{j+n} + n D_\downarrow) / (n D_\uparrow)` (the
    mirror image for bottoms), clipped to a sane range; 1 where undefined.
    ``steps`` is :math:`(D_\uparrow, D_\downarrow)` when already summed
    (:func:`planner._kernels.slope_steps`).
    """
    n = stack.n_layers
    if n_shell <= 0:
        return np.ones(n)
    if steps is None:
        steps = _kernels.slope_steps(
            np.ascontiguousarray(stack.segment_layer, dtype=np.int64),
            np.ascontiguousarray(stack.segment_slope_cot, dtype=np.float64),
            np.ascontiguousarray(stack.segment_length_mm, dtype=np.float64),
            np.ascontiguousarray(stack.height_mm, dtype=np.float64),
            n,
        )
    d_up, d_down = steps
    if not above:
        d_up, d_down = d_down, d_up
    area = np.concatenate([stack.area_mm2, np.zeros(n_shell)])
    idx = np.arange(n)
    far = area[idx + n_shell] if above else area[np.maximum(idx - n_shell, -1)]
    if not above:
        far = np.where(idx - n_shell < 0, 0.0, far)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (stack.area_mm2 - far + n_shell * d_down) / (n_shell * d_up)
    factor = np.where(d_up > 1e-9, factor, 1.0)
    return np.clip(np.nan_to_num(factor, nan=1.0), *_GROWTH_RANGE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtrusionPlan:
    """Per-layer path lengths [mm] and areas [mm²] of each extrusion role.

    ``*_mm`` arrays are path lengths per layer, ``*_mm2`` region areas per layer,
    ``*_lines`` the number of fill lines per layer and ``*_connector_mm`` the
    part of the fill path that joins them along the region's boundary.
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
    sparse_lines: np.ndarray
    solid_lines: np.ndarray
    top_lines: np.ndarray
    bridge_lines: np.ndarray
    sparse_connector_mm: np.ndarray
    solid_connector_mm: np.ndarray
    top_connector_mm: np.ndarray
    bridge_connector_mm: np.ndarray


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

    group = stack.loop_group
    n_loops = group.size

    def island_area(d: np.ndarray) -> np.ndarray:
        """Per island (indexed by its loop): offset area less its holes', >= 0."""
        per_loop = _loop_offset_area(*loops, d[layer_of])
        return np.maximum(np.bincount(group, per_loop, minlength=n_loops), 0.0)

    def layer_area(d: np.ndarray) -> np.ndarray:
        return np.bincount(layer_of, island_area(d), minlength=n)

    def layer_length(d: np.ndarray) -> np.ndarray:
        alive = island_area(d) > 0
        per_loop = _loop_offset_length(*loops, d[layer_of]) * alive[group]
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
    # opening (shrink, then grow back) by half the minimum infill spacing: an
    # island that survives the shrink grows back to its area exactly
    # (A(d) = A(d + o) + o L(d + o) + K o^2 / 2); an island pinched off by the
    # shrink (a narrow wall, a thin ring between a hole and the rim) leaves a
    # gap, filled when it is wide enough
    island_printed = printed[layer_of]
    inner_island = island_area(d_infill) * island_printed
    inner_loop_length = _loop_offset_length(*loops, d_infill[layer_of])
    island_length = np.bincount(group, inner_loop_length, minlength=n_loops) * (
        inner_island > 0
    )
    survives = island_area(d_infill + half_opening) > 0
    pinched = np.where(survives, 0.0, inner_island)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_width = np.where(island_length > 0, 2.0 * pinched / island_length, 0.0)
    filled = gap_width > _GAP_MIN_FRAC * w
    gap = np.bincount(layer_of, pinched * filled, minlength=n)
    gap_mm = np.bincount(layer_of, 0.5 * island_length * filled, minlength=n)
    opened = np.bincount(layer_of, inner_island * survives, minlength=n)
    infill_length = np.bincount(layer_of, island_length * survives, minlength=n)
    infill = opened + profile.infill_overlap_frac * spacing * infill_length
    # boundary length across the infill lines (this layer's fill direction),
    # scaled from the contour's
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(
            stack.contour_length_mm > 0, infill_length / stack.contour_length_mm, 0.0
        )
    infill_extent = stack.fill_extent_mm * scale
    # solid shells (PrusaSlicer detect_surfaces_type, process_external_surfaces,
    # discover_horizontal_shells): a layer is solid where it is not covered by
    # all of the top_solid_layers layers above it (bottom_solid_layers below).
    # Exposed surfaces are horizontal facets and strips along sloped facets;
    # a layer's own exposed surface that reaches its infill region grows by
    # EXTERNAL_INFILL_MARGIN into it and is propagated with the shell.
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.where(full > 0, infill / full, 0.0)
    seg_layer = np.ascontiguousarray(stack.segment_layer, dtype=np.int64)
    seg_len = np.ascontiguousarray(stack.segment_length_mm, dtype=np.float64)
    seg_cross = np.ascontiguousarray(stack.segment_cross_mm, dtype=np.float64)
    seg_cot = np.ascontiguousarray(stack.segment_slope_cot, dtype=np.float64)
    h = np.ascontiguousarray(h, dtype=np.float64)
    sliver = _SLIVER_FRAC * w
    d_fill = d_infill - profile.infill_overlap_frac * spacing
    n_top, n_bottom = profile.top_solid_layers, profile.bottom_solid_layers
    steps = _kernels.slope_steps(seg_layer, seg_cot, seg_len, h, n)
    # the vertical shells reach the layers within the shell (one fewer)
    vertical = int(profile.ensure_vertical_shell_thickness)
    growth_top = _shell_growth(stack, n_top - vertical, above=True, steps=steps)
    growth_bottom = _shell_growth(stack, n_bottom - vertical, above=False, steps=steps)

    def compact(area: np.ndarray) -> Region:
        """A region shaped like the infill region, of the given area."""
        area = np.minimum(np.maximum(area, 0.0), infill)
        with np.errstate(divide="ignore", invalid="ignore"):
            root = np.sqrt(np.where(infill > 0, area / infill, 0.0))
        return Region(area=area, extent=infill_extent * root,
                      boundary=infill_length * root)  # fmt: skip

    def window_sum(values: np.ndarray, window: int, *, above: bool) -> np.ndarray:
        if window <= 0:
            return np.zeros(n)
        c = np.concatenate([[0.0], np.cumsum(values)])
        idx = np.arange(n)
        if above:
            return c[np.minimum(idx + window, n)] - c[idx]
        return c[idx + 1] - c[np.maximum(idx + 1 - window, 0)]

    # strips along the sloped segments (s = h cot, clipped; vertical ones add
    # nothing): a layer's own exposed surface (s > sliver) reaches into the
    # infill region by s - d_fill and grows by EXTERNAL_INFILL_MARGIN into
    # it; the shell's reach is the surface's recession over the shell's
    # layers, only as far as its slope goes on (not past a thread's crest),
    # and discover_horizontal_shells widens shells narrower than 2 x 3 solid
    # infill widths by 3 widths. Compiled: planner._kernels.shell_strips.
    strip = _kernels.shell_strips(
        seg_layer, seg_cot, seg_len, seg_cross,
        np.ascontiguousarray(stack.segment_slope_run_mm, dtype=np.float64), h,
        np.ascontiguousarray(np.broadcast_to(d_fill, (n,)), dtype=np.float64),
        np.ascontiguousarray(growth_top, dtype=np.float64),
        np.ascontiguousarray(growth_bottom, dtype=np.float64),
        float(max(n_top - 1, 1)), float(n_bottom), sliver,
        EXTERNAL_INFILL_MARGIN_MM, _SHELL_MARGIN_WIDTHS * w,
        float(max(n_top - 1, 0) if profile.ensure_vertical_shell_thickness else -1),
        float(max(n_bottom - 1, 0) if profile.ensure_vertical_shell_thickness else -1),
        np.ascontiguousarray(
            np.broadcast_to(_VERTICAL_SHELL_SPACING_FRAC * spacing, (n,)),
            dtype=np.float64,
        ),
    )  # fmt: skip

    def strips(row: int) -> Region:
        return Region(area=strip[row, 0], extent=strip[row, 1], boundary=strip[row, 2])

    # nothing lies below the first layer or above the last one: all of them is
    # a bottom and a top surface, facets or not (an open mesh may lack them)
    flat_up = stack.flat_up_mm2.copy()
    flat_down = stack.flat_down_mm2.copy()
    last = int(np.flatnonzero(printed)[-1]) if printed.any() else n - 1
    flat_up[last] = max(flat_up[last], full[last])
    flat_down[0] = max(flat_down[0], full[0])
    empty = Region(area=np.zeros(n), extent=np.zeros(n), boundary=np.zeros(n))
    top_own = empty
    top_shell = empty
    if n_top:
        top_own = strips(0) + compact(inside * flat_up)
        top_shell = strips(1) + compact(inside * window_sum(flat_up, n_top, above=True))
    bottom_own = empty
    bottom_shell = empty
    if n_bottom:
        bottom_own = strips(2) + compact(inside * flat_down)
        bottom_shell = strips(3) + compact(
            inside * window_sum(flat_down, n_bottom, above=False)
        )
    whole = compact(infill)
    solid_shell = (top_shell + bottom_shell).cap(infill, whole)
    solid_shell = solid_shell.where(np.arange(n) == 0, whole)
    if profile.fill_density_frac >= 1.0:
        solid_shell = whole
    # bridges: over air (own bottom surfaces above the first layer) and over
    # the sparse infill of the layer below
    bridge_air = bottom_own.cap(infill, whole)
    bridge_air = bridge_air.where(np.arange(n) == 0, empty)
    solid_prev = np.concatenate([[0.0], solid_shell.area[:-1]])
    sparse_prev = np.concatenate(
        [[0.0], np.maximum(infill - solid_shell.area, 0.0)[:-1]]
    )
    top_shell_capped = top_shell.cap(infill, whole)
    bridge_internal = compact(
        np.clip(top_shell_capped.area - solid_prev, 0.0, sparse_prev)
    )
    bridge = (bridge_air + bridge_internal).cap(solid_shell.area, solid_shell)
    # the layer's own top surface; bottom surfaces take priority over it
    top = top_own.cap(infill, whole) if n_top else empty
    top = top.scaled_to(
        np.minimum(top.area, np.maximum(solid_shell.area - bridge.area
                                        - bottom_own.area * (np.arange(n) == 0), 0.0))
    )  # fmt: skip
    rest_solid = solid_shell.scaled_to(
        np.maximum(solid_shell.area - bridge.area - top.area, 0.0)
    )
    sparse = whole.scaled_to(np.maximum(infill - solid_shell.area, 0.0))
    sparse = compact(sparse.area)
    below = profile.solid_infill_below_area_mm2
    if below > 0 and 0 < profile.fill_density_frac < 1:
        # solid_infill_below_area: an island whose sparse region is smaller
        # than that is filled solid (LayerRegion::prepare_fill_surfaces)
        # (its sparse region: its share of the layer's sparse area, by the
        # island's infill region inside the perimeters)
        island_infill = inner_island * survives
        with np.errstate(divide="ignore", invalid="ignore"):
            sparse_share = np.where(infill > 0, sparse.area / infill, 0.0)
            island_share = np.where(
                opened[layer_of] > 0, island_infill / opened[layer_of], 0.0
            )
        island_sparse = island_infill * sparse_share[layer_of]
        small = (island_sparse > 0) & (island_sparse <= below)
        moved = np.minimum(
            np.bincount(layer_of, island_share * small, minlength=n) * sparse.area,
            sparse.area,
        )
        rest_solid = rest_solid + compact(moved)
        sparse = compact(sparse.area - moved)

    islands = np.bincount(layer_of, stack.loop_area_mm2 > 0, minlength=n)
    regions = np.maximum(islands, 0.5 * stack.extrema)

    longest_connector = 2.0 * _INFILL_ANCHOR_WIDTHS * w
    density = profile.fill_density_frac
    sparse_spacing = spacing / density if density > 0 else np.inf
    bridge_spacing = profile.nozzle_diameter_mm + BRIDGE_EXTRA_SPACING_MM
    # share of the boundary where the gap between line ends, S / sin, is short
    # enough to be joined by a connector, for each fill's line spacing S
    line_spacings = (sparse_spacing, spacing, bridge_spacing)
    joined = _kernels.connectable_lengths(
        seg_layer, seg_len, seg_cross,
        np.stack([np.broadcast_to(np.asarray(s / longest_connector, dtype=np.float64),
                                  (n,)) for s in line_spacings]),
    )  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        connect_share = np.where(
            stack.contour_length_mm > 0, joined / stack.contour_length_mm, 0.0
        )

    def lines(
        region: Region,
        line_spacing: float | np.ndarray,
        flow_spacing: float | np.ndarray,
        connect: np.ndarray,
    ) -> tuple:
        """Line length, line count and connector length of a fill of a region.

        Lines and connectors run half a flow spacing inside the region's
        boundary (FillRectilinear). A region crossed by lines ``S`` apart has
        ``E / (2 S)`` of them of total length ``A / S`` (Cauchy-Crofton; ``E``
        its boundary length projected on the line normal); the zigzag joins
        each to the next along half of the boundary.
        """
        area = np.maximum(region.area - 0.5 * flow_spacing * region.boundary, 0.0)
        n_lines = region.extent / (2.0 * line_spacing)
        connector = np.where(
            n_lines > regions,
            0.5
            * region.boundary
            * connect
            * (1.0 - regions / np.maximum(n_lines, 1e-9)),
            0.0,
        )
        return area / line_spacing, n_lines, connector * (area > 0)

    sparse_lines = (
        lines(sparse, sparse_spacing, spacing, connect_share[0])
        if density > 0
        else (np.zeros(n),) * 3
    )
    solid_lines = lines(rest_solid, spacing, spacing, connect_share[1])
    top_lines = lines(top, spacing, spacing, connect_share[1])
    bridge_lines = lines(bridge, bridge_spacing, bridge_spacing, connect_share[2])
    support_mm = np.zeros(n)
    if support_area_mm2 is not None:
        support_mm = support_area_mm2 * profile.support_density_frac / spacing
    return ExtrusionPlan(
        printed=printed,
        ext_perimeter_mm=np.where(printed, ext, 0.0),
        perimeter_mm=np.where(printed, inner, 0.0),
        infill_area_mm2=infill,
        sparse_mm2=sparse.area,
        solid_mm2=rest_solid.area,
        top_mm2=top.area,
        bridge_mm2=bridge.area,
        sparse_mm=sparse_lines[0] + sparse_lines[2],
        solid_mm=solid_lines[0] + solid_lines[2],
        top_mm=top_lines[0] + top_lines[2],
        bridge_mm=bridge_lines[0] + bridge_lines[2],
        support_mm=support_mm,
        gap_fill_mm=gap_mm,
        gap_fill_mm2=gap,
        infill_extent_mm=infill_extent,
        cross_section_mm2=cross_section,
        bridge_cross_section_mm2=math.pi * profile.nozzle_diameter_mm**2 / 4.0,
        sparse_lines=sparse_lines[1],
        solid_lines=solid_lines[1],
        top_lines=top_lines[1],
        bridge_lines=bridge_lines[1],
        sparse_connector_mm=sparse_lines[2],
        solid_connector_mm=solid_lines[2],
        top_connector_mm=top_lines[2],
        bridge_connector_mm=bridge_lines[2],
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
    n_lines: np.ndarray,
    connector_mm: np.ndarray,
    speed_mm_s: np.ndarray,
    acceleration_mm_s2: float | np.ndarray,
    jerk_mm_s: float,
) -> np.ndarray:
    r"""Time of a zigzag (rectilinear) fill per layer [s].

    ``n_lines`` lines share the path less the connectors, each followed by one
    connector of the mean connector length; the junctions (line to connector,
    connector to the reversed line) run at the jerk speeds of a 45 degree line
    turning onto an axis-parallel boundary.
    """
    n = np.maximum(n_lines, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        line_mm = np.maximum(path_mm - connector_mm, 0.0) / n
        conn_mm = connector_mm / n
    v = speed_mm_s
    a = acceleration_mm_s2
    v_out = np.minimum(v, jerk_mm_s / _INFILL_TURN_G[0])
    v_in = np.minimum(v, jerk_mm_s / _INFILL_TURN_G[1])
    v_out = np.minimum(v_out, np.sqrt(v_in * v_in + 2.0 * a * conn_mm))
    v_in = np.minimum(v_in, np.sqrt(v_out * v_out + 2.0 * a * line_mm))
    t_line = trapezoid_time_s(line_mm, v_in, v_out, v, a)
    t_conn = trapezoid_time_s(conn_mm, v_out, v_in, v, a)
    return np.where(path_mm > 0, n * (t_line + t_conn), 0.0)


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


def _contour_kinds(source: np.ndarray | None, key: np.ndarray) -> np.ndarray:
    """Per layer, the first layer printing the same contours the same way.

    ``source`` is :attr:`LayerStack.layer_source` (None: no repeats); ``key``
    has one row per per-layer setting that shapes the contour time (speeds,
    acceleration). A repeat takes its source when their settings match, else
    the first repeat of that source with the same settings (the first layer's
    own speeds set it apart from the layers that repeat it).

    Examples
    --------
    >>> _contour_kinds(np.array([0, 0, 0, 3]), np.array([[1.0, 2.0, 2.0, 2.0]]))
    array([0, 1, 1, 3])
    """
    n = key.shape[1]
    index = np.arange(n)
    if source is None:
        return index
    same = (key == key[:, source]).all(axis=0)
    kind = np.where(same, source, index)
    odd = np.flatnonzero(~same)
    if odd.size:
        first = np.full(n, n)
        np.minimum.at(first, source[odd], odd)
        alt = first[source[odd]]
        match = (key[:, odd] == key[:, alt]).all(axis=0)
        kind[odd] = np.where(match, alt, odd)
    return kind


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
    seam = _seam_segments(stack)
    # loops printed per layer: the contour's, and the perimeters' that survive
    # their offset (a small island has room for fewer perimeters)
    loops = (stack.loop_area_mm2, stack.loop_length_mm, stack.loop_turning)
    contour_loops = np.bincount(stack.loop_layer, minlength=n).astype(float)
    w = profile.extrusion_width_mm
    spacing_mm = float(np.mean(cs / stack.height_mm))
    offsets = 0.5 * w + np.arange(max(profile.perimeters, 1)) * spacing_mm
    alive = [
        np.bincount(
            stack.loop_layer,
            (_loop_offset_area(*loops, np.full(stack.loop_layer.size, d)) != 0),
            minlength=n,
        )
        for d in offsets
    ]
    role_loops = {
        "ext_perimeter": np.where(plan.printed, alive[0], 0.0),
        "perimeter": np.where(
            plan.printed, np.sum(alive[1 : profile.perimeters], axis=0), 0.0
        ),
    }
    layer_acc = np.where(np.arange(n) == 0, acc_first, acc_perimeter)
    # a layer that repeats another's contours at the same speeds takes the
    # same time: plan only one layer of each kind
    kind = _contour_kinds(
        stack.layer_source,
        np.stack([
            speed(profile.small_perimeter_speed_mm_s),
            speed(profile.external_perimeter_speed_mm_s),
            speed(profile.perimeter_speed_mm_s),
            layer_acc,
        ]),
    )  # fmt: skip
    own = kind == np.arange(n)
    plan_seg = np.flatnonzero(own[seg_layer])
    if plan_seg.size == seg_layer.size:
        plan_seg = slice(None)
        sub_next = stack.segment_next
    else:
        compact = np.cumsum(own[seg_layer]) - 1
        sub_next = stack.segment_next[plan_seg]
        sub_next = np.where(sub_next >= 0, compact[np.maximum(sub_next, 0)], -1)
    sub_layer = seg_layer[plan_seg]
    seg_times = _contour_time_s(
        sub_next, stack.segment_length_mm[plan_seg],
        stack.segment_junction_g[plan_seg],
        (v_ext[plan_seg], v_inner[plan_seg]),
        acceleration_mm_s2=layer_acc[sub_layer], jerk_mm_s=jerk, seam=seam[plan_seg],
    )  # fmt: skip
    layer_times = np.zeros((seg_times.shape[0], n))
    _parallel.run_pieces(
        [
            partial(_kernels.bin_sums_rows, np.ascontiguousarray(sub_layer,
                    dtype=np.int64), seg_times, rows, layer_times)
            for rows in np.array_split(np.arange(seg_times.shape[0]), 2)
        ],
        items=sub_layer.size,
    )  # fmt: skip
    layer_times = layer_times[:, kind]
    for k, (role, v_seg, path) in enumerate((
        ("ext_perimeter", v_ext, plan.ext_perimeter_mm),
        ("perimeter", v_inner, plan.perimeter_mm),
    )):  # fmt: skip
        # a loop's time: its length at the speeds the contour's corners allow,
        # plus one start and stop at its seam per printed loop
        t_seam, t_free = layer_times[2 * k], layer_times[2 * k + 1]
        per_length = t_free / contour
        with np.errstate(divide="ignore", invalid="ignore"):
            per_loop = np.where(
                contour_loops > 0, (t_seam - t_free) / contour_loops, 0.0
            )
        times[role] = path * per_length + per_loop * role_loops[role]
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
    for role, path, n_lines, connector, v in (
        ("sparse_infill", plan.sparse_mm, plan.sparse_lines, plan.sparse_connector_mm,
         profile.infill_speed_mm_s),
        ("solid_infill", plan.solid_mm, plan.solid_lines, plan.solid_connector_mm,
         profile.solid_infill_speed_mm_s),
        ("top_solid_infill", plan.top_mm, plan.top_lines, plan.top_connector_mm,
         profile.top_solid_infill_speed_mm_s),
        ("bridge_infill", plan.bridge_mm, plan.bridge_lines, plan.bridge_connector_mm,
         profile.bridge_speed_mm_s),
    ):  # fmt: skip
        times[role] = _infill_time_s(
            path, n_lines, connector, speed(v), acc(acc_infill), jerk
        )
    support_spacing = spacing / max(profile.support_density_frac, 1e-9)
    support_lines = (
        plan.support_mm
        * spacing
        / support_spacing
        / np.maximum(2.0 * np.sqrt(np.maximum(plan.support_mm * spacing, 0.0)), 1e-9)
    )
    times["support"] = _infill_time_s(
        plan.support_mm, support_lines, np.zeros(n),
        speed(profile.support_material_speed_mm_s), acc(acc_infill), jerk,
    )  # fmt: skip

    travel_s, retract_s, travel_mm, change_s = _travel_time_s(stack, plan, profile)
    times["travel"] = travel_s
    times["retract"] = retract_s
    times["_travel_mm"] = travel_mm
    times["_layer_change_s"] = change_s
    return plan, times


def _travel_time_s(
    stack: LayerStack, plan: ExtrusionPlan, profile: PrintProfile
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per layer: travel with the layer change, and retraction time [s]; travel
    [mm]; and the layer change alone (:func:`layer_change_s`) [s].

    Per layer: a Z move; per island two long moves (from where the last
    island ended to its seam, and from its perimeters to the infill) spanning
    the perimeter band and three quarters of the infill region's size; per
    hole one move of half the island's size; per loop one short move between
    its perimeters; per infill piece that holes cut off one move of half the
    region's mean line. Move lengths are taken as exponentially spread about
    these means, no longer than the island's diagonal; the share at least
    ``retract_before_travel_mm`` long retracts and unretracts.
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
    # the long moves join the seam on the rim to the ends of the infill: a
    # perimeter band's depth plus a share of the infill region's size
    w = profile.extrusion_width_mm
    depth_mm = 0.5 * w + (n_perimeters - 0.5) * np.mean(
        plan.cross_section_mm2 / stack.height_mm
    )
    long_mm = np.minimum(
        depth_mm + _ISLAND_TRAVEL_FRAC * np.maximum(size_mm - 2.0 * depth_mm, 0.0),
        _ISLAND_TRAVEL_FRAC * size_mm,
    )
    moves = (
        (2.0 * islands, long_mm),
        (holes, _HOLE_TRAVEL_FRAC * size_mm),
        (loops * n_perimeters, np.full(n, profile.extrusion_width_mm)),
        (pieces, 0.5 * chord),
    )
    travel_s = np.zeros(n)
    travel_mm = np.zeros(n)
    n_retract = np.zeros(n)
    longest = math.sqrt(2.0) * size_mm
    for count, length in moves:
        travel_s += count * travel_move_s(length, profile)
        travel_mm += count * length
        # move lengths spread about their mean, exponentially but no longer
        # than the island's diagonal: the share above the retraction threshold
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            tail = np.exp(-longest / length)
            share = np.where(
                (length > 0) & (longest > profile.retract_before_travel_mm),
                (np.exp(-profile.retract_before_travel_mm / length) - tail)
                / (1.0 - tail),
                0.0,
            )
        n_retract += count * np.nan_to_num(share)
    change_s = layer_change_s(stack.height_mm, printed, profile)
    travel_s += change_s
    retract_move = retract_move_s(profile)
    retract_s = np.where(printed, n_retract * retract_move, 0.0)
    return (
        np.where(printed, travel_s, 0.0),
        retract_s,
        np.where(printed, travel_mm, 0.0),
        change_s,
    )


def travel_move_s(length_mm: float | np.ndarray, profile: PrintProfile) -> np.ndarray:
    """Time of travel moves ``length_mm`` long [s].

    A trapezoid at the travel speed (no faster than the machine's feed rate),
    from and to the speed the jerk limit allows at a right-angle corner.
    """
    v = min(profile.travel_speed_mm_s, profile.max_feedrate_mm_s)
    v_end = min(v, profile.max_jerk_mm_s / math.sqrt(0.5))
    return trapezoid_time_s(
        np.asarray(length_mm, dtype=float), v_end, v_end, v,
        profile.travel_acceleration_mm_s2,
    )  # fmt: skip


def retract_move_s(profile: PrintProfile) -> float:
    """Time of one retraction and unretraction [s] (0 without retraction)."""
    if profile.retract_length_mm <= 0:
        return 0.0
    v_e = profile.max_jerk_e_mm_s
    return 2.0 * float(
        trapezoid_time_s(
            np.array(profile.retract_length_mm), v_e, v_e,
            profile.retract_speed_mm_s, profile.retract_acceleration_mm_s2,
        )
    )  # fmt: skip


def layer_change_s(
    height_mm: np.ndarray, printed: np.ndarray, profile: PrintProfile
) -> np.ndarray:
    """Per layer: the Z move up by its height plus the profile's layer change time [s].

    0 on layers with nothing to print.
    """
    v_z = min(profile.travel_speed_mm_s, profile.max_feedrate_z_mm_s)
    z_move = trapezoid_time_s(
        height_mm, profile.max_jerk_z_mm_s, profile.max_jerk_z_mm_s, v_z,
        profile.max_acceleration_z_mm_s2,
    )  # fmt: skip
    return np.where(printed, z_move + profile.layer_change_time_s, 0.0)


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
    return sum_layers(
        layer_role_times(topo, profile), material, hourly_rate, printer_id, label
    ).estimate


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerRoleTimes:
    """A part sliced and planned: per-layer times of each role, before cooling.

    Attributes
    ----------
    stack
        The part's cross-sections (:func:`slice_mesh`).
    plan
        Its extrusion paths per layer (:func:`estimate_layers`).
    time_s
        Per role, its time on each layer [s]: every role of :data:`ROLES`
        but ``cooling_slowdown``, which depends on how the layers are combined.
    layer_change_s
        Per layer, the Z move and layer change time within its travel
        (:func:`layer_change_s`). [s]
    role_path_mm
        ``(role, path length [mm])`` for each extrusion role and travel.
    warnings
        The mesh's warnings and the estimate's own (a fill pattern timed as
        rectilinear).
    properties
        The part's mass properties.
    profile
        The settings it was planned with.
    """

    stack: LayerStack
    plan: ExtrusionPlan
    time_s: Mapping[str, np.ndarray]
    layer_change_s: np.ndarray
    role_path_mm: tuple[tuple[str, float], ...]
    warnings: tuple[str, ...]
    properties: MeshProperties
    profile: PrintProfile

    def estimate(
        self,
        time_s: Mapping[str, np.ndarray],
        print_time_s: float,
        extruded_mm3: float,
        material: Material,
        hourly_rate: float,
        printer_id: str,
        file: str,
    ) -> PrintEstimate:
        """The part's :class:`PrintEstimate` once its layers are summed.

        Parameters
        ----------
        time_s
            Per role of :data:`ROLES`, its time on each layer [s], cooling
            slowdown included.
        print_time_s
            The print time [s], as the caller sums the layers.
        extruded_mm3
            Extruded volume. [mm³]
        material, hourly_rate, printer_id
            As for :func:`estimate_print`.
        file
            Name for the record.

        Returns
        -------
        PrintEstimate
            Through :func:`assemble_estimate`, with this part's size, layer
            count, path lengths and warnings.
        """
        props = self.properties
        return assemble_estimate(
            print_time_s=print_time_s,
            extruded_mm3=extruded_mm3,
            profile=self.profile,
            material=material,
            hourly_rate=hourly_rate,
            file=file,
            triangles=props.n_triangles,
            volume_mm3=props.volume_mm3,
            size_mm=props.size_mm,
            layers=int(self.plan.printed.sum()),
            printer_id=printer_id,
            warnings=self.warnings,
            role_time_s=tuple((r, float(time_s[r].sum())) for r in ROLES),
            role_path_mm=self.role_path_mm,
        )


def layer_role_times(topo: MeshTopology, profile: PrintProfile) -> LayerRoleTimes:
    """Slice a part, add its support and time each role on each layer.

    The steps :func:`estimate_print` and a plate's
    :func:`planner.plate_estimate.layer_figures` share before they sum the
    layers their own way.

    Parameters
    ----------
    topo
        The part in its print orientation (:func:`planner.geometry.analyse_mesh`).
    profile
        Slicer and machine settings.

    Returns
    -------
    LayerRoleTimes

    Raises
    ------
    GeometryError
        When the mesh has no layer to slice.

    Examples
    --------
    >>> from planner.geometry import analyse_mesh, box_mesh
    >>> layered = layer_role_times(analyse_mesh(box_mesh((20.0, 20.0, 20.0))),
    ...                            PrintProfile())
    >>> layered.stack.n_layers, "cooling_slowdown" in layered.time_s
    (100, False)
    """
    props = topo.properties
    stack = slice_mesh(
        topo,
        layer_height_mm=profile.layer_height_mm,
        first_layer_height_mm=profile.first_layer_height_mm,
    )
    support = _support_area(topo, stack, profile) if profile.support_material else None
    plan, times = estimate_layers(stack, profile, support_area_mm2=support)
    travel_mm = times.pop("_travel_mm")
    change_s = times.pop("_layer_change_s")
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
    return LayerRoleTimes(
        stack=stack,
        plan=plan,
        time_s=times,
        layer_change_s=change_s,
        role_path_mm=tuple((r, float(p.sum())) for r, p in paths.items()),
        warnings=tuple(warnings),
        properties=props,
        profile=profile,
    )


def assemble_estimate(
    *,
    print_time_s: float,
    extruded_mm3: float,
    profile: PrintProfile,
    material: Material,
    hourly_rate: float,
    file: str,
    triangles: int,
    volume_mm3: float,
    size_mm: Sequence[float],
    layers: int,
    printer_id: str,
    warnings: tuple[str, ...],
    role_time_s: tuple[tuple[str, float], ...],
    role_path_mm: tuple[tuple[str, float], ...],
) -> PrintEstimate:
    """A :class:`PrintEstimate` from print time and extruded volume.

    Filament length and mass follow from the volume, the filament diameter and
    the material's density; material cost from the mass, machine cost from the
    time and ``hourly_rate``. The other arguments are stored as given (see
    :class:`PrintEstimate`; ``size_mm`` is the bounding box x, y, z [mm]).

    Returns
    -------
    PrintEstimate

    Examples
    --------
    >>> est = assemble_estimate(
    ...     print_time_s=3600.0, extruded_mm3=1000.0, profile=PrintProfile(),
    ...     material=Material(material="PLA", density_g_cm3=1.25, cost_per_kg=20.0),
    ...     hourly_rate=2.0, file="a.stl", triangles=12, volume_mm3=1000.0,
    ...     size_mm=(10.0, 10.0, 10.0), layers=50, printer_id="", warnings=(),
    ...     role_time_s=(), role_path_mm=())
    >>> est.filament_g, est.material_cost, est.machine_cost
    (1.25, 0.025, 2.0)
    """
    filament_area = math.pi * profile.filament_diameter_mm**2 / 4.0
    filament_g = extruded_mm3 / MM3_PER_CM3 * material.density_g_cm3
    material_cost = filament_g / G_PER_KG * material.cost_per_kg
    machine_cost = print_time_s / SECONDS_PER_HOUR * hourly_rate
    return PrintEstimate(
        file=file,
        triangles=triangles,
        volume_mm3=volume_mm3,
        bbox_x_mm=float(size_mm[0]),
        bbox_y_mm=float(size_mm[1]),
        bbox_z_mm=float(size_mm[2]),
        layers=layers,
        print_time_s=print_time_s,
        filament_mm=extruded_mm3 / filament_area,
        filament_g=filament_g,
        material_cost=material_cost,
        machine_cost=machine_cost,
        total_cost=material_cost + machine_cost,
        material=material.material,
        printer_id=printer_id,
        warnings=warnings,
        role_time_s=role_time_s,
        role_path_mm=role_path_mm,
    )


def cooling_slowdown_s(
    extruding_s: np.ndarray,
    moving_s: np.ndarray,
    path_mm: np.ndarray,
    printed: np.ndarray,
    profile: PrintProfile,
) -> np.ndarray:
    """Extra time per layer from the cooling slowdown [s].

    A layer printed faster than ``slowdown_below_layer_time_s`` has its
    extrusions (``extruding_s``, ``path_mm`` long) slowed so that with its
    moves (``moving_s``) it takes that long, but not below
    ``min_print_speed_mm_s`` (PrusaSlicer CoolingBuffer).
    """
    if profile.slowdown_below_layer_time_s <= 0:
        return np.zeros(printed.size)
    slowest = path_mm / max(profile.min_print_speed_mm_s, 1e-9)
    wanted = np.maximum(profile.slowdown_below_layer_time_s - moving_s, extruding_s)
    extra = np.minimum(wanted, np.maximum(slowest, extruding_s)) - extruding_s
    return np.where(printed, np.maximum(extra, 0.0), 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerSums:
    """A part's layers summed: its estimate and the per-layer totals a plate adds up.

    Attributes
    ----------
    estimate
        The part printed alone.
    extruding_s
        Extrusion time of every role, before any cooling slowdown. [s]
    moving_s
        Travel and retraction time, less the layer change. [s]
    layer_change_s
        Z move plus the profile's layer change time. [s]
    path_mm
        Extruded path length. [mm]
    extruded_mm3
        Extruded volume. [mm³]
    printed
        Layers with anything to print.
    """

    estimate: PrintEstimate
    extruding_s: np.ndarray
    moving_s: np.ndarray
    layer_change_s: np.ndarray
    path_mm: np.ndarray
    extruded_mm3: np.ndarray
    printed: np.ndarray


def sum_layers(
    layered: LayerRoleTimes,
    material: Material,
    hourly_rate: float = 0.0,
    printer_id: str = "",
    file: str = "",
) -> LayerSums:
    """Sum a planned part's layers into its estimate, keeping the per-layer totals.

    Adds the cooling slowdown (:func:`cooling_slowdown_s`) to the role times,
    sums every role over the layers and the extruded volume of every layer;
    ``material``, ``hourly_rate``, ``printer_id`` and ``file`` as for
    :func:`estimate_print`, which returns this estimate.
    """
    plan, stack = layered.plan, layered.stack
    times = dict(layered.time_s)
    moving = times["travel"] + times["retract"]
    extruding = np.sum(
        [t for r, t in times.items() if r not in ("travel", "retract")], axis=0
    )
    path = (
        plan.ext_perimeter_mm + plan.perimeter_mm + plan.sparse_mm + plan.solid_mm
        + plan.top_mm + plan.bridge_mm + plan.support_mm + plan.gap_fill_mm
    )  # fmt: skip
    times["cooling_slowdown"] = cooling_slowdown_s(
        extruding, moving, path, plan.printed, layered.profile
    )
    print_time = float(np.sum([times[r] for r in ROLES], axis=0).sum())
    normal_path = (
        plan.ext_perimeter_mm + plan.perimeter_mm + plan.sparse_mm + plan.solid_mm
        + plan.top_mm + plan.support_mm
    )  # fmt: skip
    extruded = (
        normal_path * plan.cross_section_mm2
        + plan.bridge_mm * plan.bridge_cross_section_mm2
        + plan.gap_fill_mm2 * stack.height_mm
    )
    estimate = layered.estimate(
        times, print_time, float(extruded.sum()), material, hourly_rate, printer_id,
        file,
    )  # fmt: skip
    return LayerSums(
        estimate=estimate,
        extruding_s=extruding,
        moving_s=moving - layered.layer_change_s,
        layer_change_s=layered.layer_change_s,
        path_mm=path,
        extruded_mm3=extruded,
        printed=plan.printed.astype(bool),
    )


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


def warm_up_kernels() -> float:
    """Compile (or load from the disk cache) the estimator's kernels; seconds taken.

    The first estimate on a machine compiles :mod:`planner._kernels` (about 10 s
    once; later processes load the cache in well under a second). The app calls
    this in a background thread at start-up so a user's first plan does not wait
    for it. Estimates a 20 mm cube with a hole, which runs every kernel.

    Examples
    --------
    >>> warm_up_kernels() >= 0.0
    True
    """
    import time

    from planner.geometry import box_mesh

    start = time.perf_counter()
    outer = box_mesh((20.0, 20.0, 10.0)).vectors
    hole = box_mesh((6.0, 6.0, 10.0)).vectors[:, ::-1] + np.array([7.0, 7.0, 0.0])
    material = Material(material="PLA", density_g_cm3=1.24, cost_per_kg=25.0)
    estimate_print(
        Mesh(vectors=np.concatenate([outer, hole]), name="warm-up"),
        profile=PrintProfile(),
        material=material,
    )
    return time.perf_counter() - start
