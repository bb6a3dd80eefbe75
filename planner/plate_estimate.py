"""Plates: several parts printed together in one job.

Parts on one plate share a print: the nozzle visits every part on each layer, so
the plate has the tallest part's layer count and pays the per-layer overheads
(layer change, cooling slowdown of small layers) once, while the extrusion adds
up. :func:`estimate_plate` places the parts (given positions, a grid, or a
rectangle packing on a bed), merges them into one mesh and runs
:func:`planner.slicing.estimate_print` on it, then splits the plate's time and
cost between the parts by filament.

Slicing the merged plate costs as much as slicing every copy. With
``method="compose"`` each distinct part is sliced once (:func:`layer_figures`,
which also gives its estimate alone) and the plate's layers are the sums of the
parts' layers (:func:`compose_layers`): extrusion and travel add up, the layer
change is paid once, a travel move joins neighbouring parts, and the cooling
slowdown is worked out on the whole layer. The print queue uses this, reusing
each part's figures on every plate it appears on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from planner.errors import GeometryError
from planner.geometry import Mesh, MeshTopology, analyse_mesh
from planner.printers import Material, PrintProfile
from planner.slicing import (
    ROLES,
    PrintEstimate,
    assemble_estimate,
    cooling_slowdown_s,
    estimate_print,
    layer_role_times,
    retract_move_s,
    sum_layers,
    travel_move_s,
)

#: Default gap between parts on a plate. [mm]
DEFAULT_SPACING_MM = 5.0
#: rectpack works on integers: footprints are rounded up to this grid. [mm]
_PACK_GRID_MM = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatePart:
    """One part on a plate and its share of the plate.

    Attributes
    ----------
    name
        The part's mesh name (or ``part <i>``).
    x_mm, y_mm
        Where the corner of its footprint (bounding-box minimum) sits. [mm]
    turned_90
        Whether the packing turned it 90 degrees about Z.
    size_x_mm, size_y_mm, size_z_mm
        Its bounding box on the plate. [mm]
    share_frac
        Its share of the plate: its filament alone over the sum of all parts'.
    print_time_share_s
        Plate print time times its share. [s]
    filament_g
        Its filament when printed alone. [g]
    total_cost_share
        Plate total cost times its share. [currency]
    alone
        Its estimate when printed alone.
    """

    name: str
    x_mm: float
    y_mm: float
    turned_90: bool
    size_x_mm: float
    size_y_mm: float
    size_z_mm: float
    share_frac: float
    print_time_share_s: float
    filament_g: float
    total_cost_share: float
    alone: PrintEstimate


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PlateEstimate:
    """A plate's estimate, its parts' shares and the saving over single prints.

    Attributes
    ----------
    estimate
        Estimate of the whole plate (the merged mesh).
    parts
        The parts in input order.
    mesh
        The merged plate mesh, resting on ``z = 0``.
    plate_x_mm, plate_y_mm
        Extent of the parts on the plate. [mm]
    alone_print_time_s
        Sum of the parts' print times when printed one by one. [s]
    alone_total_cost
        Sum of their total costs when printed one by one. [currency]
    saving_time_s
        ``alone_print_time_s`` minus the plate's print time. [s]
    saving_cost
        ``alone_total_cost`` minus the plate's total cost. [currency]
    warnings
        Placement warnings, then the plate estimate's own.
    """

    estimate: PrintEstimate
    parts: tuple[PlatePart, ...]
    mesh: Mesh
    plate_x_mm: float
    plate_y_mm: float
    alone_print_time_s: float
    alone_total_cost: float
    saving_time_s: float
    saving_cost: float
    warnings: tuple[str, ...] = ()

    @property
    def n_parts(self) -> int:
        """Number of parts on the plate."""
        return len(self.parts)

    @property
    def print_time_s(self) -> float:
        """Plate print time. [s]"""
        return self.estimate.print_time_s

    @property
    def filament_g(self) -> float:
        """Plate filament. [g]"""
        return self.estimate.filament_g

    @property
    def total_cost(self) -> float:
        """Plate material plus machine cost. [currency]"""
        return self.estimate.total_cost

    def table(self) -> list[dict[str, object]]:
        """One row per part (for the CLI and the app)."""
        return [
            {
                "part": p.name,
                "x_mm": round(p.x_mm, 2),
                "y_mm": round(p.y_mm, 2),
                "turned_90": p.turned_90,
                "size_z_mm": round(p.size_z_mm, 3),
                "share_frac": round(p.share_frac, 4),
                "print_time_share_s": round(p.print_time_share_s, 1),
                "filament_g": round(p.filament_g, 3),
                "total_cost_share": round(p.total_cost_share, 4),
                "alone_print_time_s": round(p.alone.print_time_s, 1),
            }
            for p in self.parts
        ]


def grid_placements(
    footprints_mm: np.ndarray, *, spacing_mm: float = DEFAULT_SPACING_MM
) -> np.ndarray:
    """Corners of footprints on a near-square grid, row by row.

    ``ceil(sqrt(n))`` columns; each column is as wide as its widest part and each
    row as deep as its deepest, with ``spacing_mm`` between them.

    Parameters
    ----------
    footprints_mm
        Footprint sizes, shape ``(n, 2)``. [mm]
    spacing_mm
        Gap between neighbouring cells. [mm]

    Returns
    -------
    numpy.ndarray
        Corners ``(x, y)``, shape ``(n, 2)``. [mm]

    Examples
    --------
    >>> grid_placements(np.array([[10.0, 5.0], [20.0, 5.0], [10.0, 8.0]]),
    ...                 spacing_mm=5.0).tolist()
    [[0.0, 0.0], [15.0, 0.0], [0.0, 10.0]]
    """
    n = footprints_mm.shape[0]
    n_cols = math.ceil(math.sqrt(n))
    index = np.arange(n)
    col, row = index % n_cols, index // n_cols
    width = np.zeros(n_cols)
    depth = np.zeros(row[-1] + 1)
    np.maximum.at(width, col, footprints_mm[:, 0])
    np.maximum.at(depth, row, footprints_mm[:, 1])
    x0 = np.concatenate([[0.0], np.cumsum(width + spacing_mm)[:-1]])
    y0 = np.concatenate([[0.0], np.cumsum(depth + spacing_mm)[:-1]])
    return np.column_stack([x0[col], y0[row]])


def pack_placements(
    footprints_mm: np.ndarray,
    bed_xy_mm: tuple[float, float],
    *,
    spacing_mm: float = DEFAULT_SPACING_MM,
) -> tuple[np.ndarray, np.ndarray]:
    """Pack footprints on a bed with rectpack (MaxRects, best short side fit).

    Each footprint is grown by ``spacing_mm`` on its +X and +Y sides and the bed
    by the same, so parts keep the gap between them but may touch the bed edge;
    parts may be turned 90 degrees.

    Parameters
    ----------
    footprints_mm
        Footprint sizes, shape ``(n, 2)``. [mm]
    bed_xy_mm
        Bed size. [mm]
    spacing_mm
        Gap between parts. [mm]

    Returns
    -------
    tuple of numpy.ndarray
        Corners ``(n, 2)`` [mm] and whether each part was turned, ``(n,)``.

    Raises
    ------
    GeometryError
        When not every part fits on the bed.
    """
    from rectpack import newPacker

    scale = 1.0 / _PACK_GRID_MM
    size = np.ceil((footprints_mm + spacing_mm) * scale - 1e-6).astype(int)
    packer = newPacker(rotation=True)
    for i, (w, h) in enumerate(size.tolist()):
        packer.add_rect(w, h, rid=i)
    bed = np.floor((np.asarray(bed_xy_mm) + spacing_mm) * scale + 1e-6).astype(int)
    packer.add_bin(int(bed[0]), int(bed[1]))
    packer.pack()
    packed = packer.rect_list()
    n = footprints_mm.shape[0]
    if len(packed) < n:
        raise GeometryError(
            f"plate: only {len(packed)} of {n} parts fit on the "
            f"{bed_xy_mm[0]:g} x {bed_xy_mm[1]:g} mm bed with {spacing_mm:g} mm "
            "spacing"
        )
    corners = np.zeros((n, 2))
    turned = np.zeros(n, dtype=bool)
    for _, x, y, w, _h, rid in packed:
        corners[rid] = (x / scale, y / scale)
        turned[rid] = w != size[rid, 0]
    return corners, turned


def _overlaps(corners: np.ndarray, footprints_mm: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of parts whose footprint rectangles overlap by a positive area."""
    lo, hi = corners, corners + footprints_mm
    gap = np.minimum(hi[:, None, :], hi[None, :, :]) - np.maximum(
        lo[:, None, :], lo[None, :, :]
    )
    overlap = np.all(gap > 1e-9, axis=2)
    i, j = np.nonzero(np.triu(overlap, k=1))
    return list(zip(i.tolist(), j.tolist(), strict=True))


class PlateMethod(StrEnum):
    """How :func:`estimate_plate` gets the plate's print.

    ``slice`` merges the parts into one mesh and slices it; ``compose`` slices
    each distinct part once and adds up their layers (:func:`compose_layers`),
    which is as fast as the parts alone and reuses :class:`LayerFigures`.
    """

    SLICE = "slice"
    COMPOSE = "compose"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LayerFigures:
    """One part's print layer by layer: what a composed plate adds up.

    Arrays have one entry per layer of the part, from the bed up.

    Attributes
    ----------
    topology
        The part as analysed (mesh, size, winding).
    estimate
        Its estimate when printed alone (equal to
        :func:`planner.slicing.estimate_print` on the same mesh).
    extruding_s
        Extrusion time of every role, before any cooling slowdown. [s]
    moving_s
        Travel and retraction time, less the layer change. [s]
    layer_change_s
        Z move plus the profile's layer change time: what a plate pays once. [s]
    path_mm
        Extruded path length. [mm]
    extruded_mm3
        Extruded volume. [mm³]
    printed
        Layers with anything to print.
    """

    topology: MeshTopology
    estimate: PrintEstimate
    extruding_s: np.ndarray
    moving_s: np.ndarray
    layer_change_s: np.ndarray
    path_mm: np.ndarray
    extruded_mm3: np.ndarray
    printed: np.ndarray

    @property
    def n_layers(self) -> int:
        """Layers of the part (printed or not)."""
        return int(self.printed.size)


def _hop_time_s(length_mm: float, profile: PrintProfile) -> float:
    """One travel move between parts [s], plus a retraction when long."""
    if length_mm <= 0:
        return 0.0
    retract = (
        retract_move_s(profile)
        if length_mm >= profile.retract_before_travel_mm
        else 0.0
    )
    return float(travel_move_s(length_mm, profile)) + retract


def layer_figures(
    mesh: Mesh | MeshTopology,
    *,
    profile: PrintProfile,
    material: Material,
    hourly_rate: float = 0.0,
    printer_id: str = "",
    name: str = "",
) -> LayerFigures:
    """Slice one part and keep its per-layer figures (and its estimate alone).

    Runs the same steps as :func:`planner.slicing.estimate_print` (slice, support,
    extrusion plan, per-layer role times, cooling slowdown) and keeps the
    per-layer sums a plate composes; the part's estimate is assembled from them,
    so slicing once serves both.

    Parameters
    ----------
    mesh
        The part in its print orientation (Z up), or its analysis.
    profile, material, hourly_rate, printer_id, name
        As for :func:`planner.slicing.estimate_print`.

    Returns
    -------
    LayerFigures

    Raises
    ------
    GeometryError
        When the mesh has no facet with a non-zero area.

    Examples
    --------
    >>> from planner.geometry import box_mesh
    >>> pla = Material(material="PLA", density_g_cm3=1.24, cost_per_kg=25.0)
    >>> fig = layer_figures(box_mesh((20.0, 20.0, 20.0)), profile=PrintProfile(),
    ...                     material=pla)
    >>> fig.n_layers, fig.estimate.layers
    (100, 100)
    """
    topo = mesh if isinstance(mesh, MeshTopology) else analyse_mesh(mesh)
    label = name or (mesh.name if isinstance(mesh, Mesh) else "")
    sums = sum_layers(
        layer_role_times(topo, profile), material, hourly_rate, printer_id, label
    )
    return LayerFigures(
        topology=topo,
        estimate=sums.estimate,
        extruding_s=sums.extruding_s,
        moving_s=sums.moving_s,
        layer_change_s=sums.layer_change_s,
        path_mm=sums.path_mm,
        extruded_mm3=sums.extruded_mm3,
        printed=sums.printed,
    )


def neighbour_hop_mm(corners_mm: np.ndarray, footprints_mm: np.ndarray) -> float:
    """Mean distance from each part's footprint centre to its nearest neighbour's. [mm]

    0 for a single part.

    Examples
    --------
    >>> neighbour_hop_mm(np.array([[0.0, 0.0], [15.0, 0.0], [0.0, 25.0]]),
    ...                  np.full((3, 2), 10.0))
    18.333333333333332
    """
    centres = np.asarray(corners_mm, float) + 0.5 * np.asarray(footprints_mm, float)
    n = centres.shape[0]
    if n < 2:
        return 0.0
    distance = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=2)
    np.fill_diagonal(distance, np.inf)
    return float(distance.min(axis=1).mean())


def compose_layers(
    figures: Sequence[LayerFigures],
    *,
    hop_mm: float,
    profile: PrintProfile,
    material: Material,
    hourly_rate: float = 0.0,
    printer_id: str = "",
    name: str = "plate",
    plate_xy_mm: tuple[float, float] | None = None,
) -> PrintEstimate:
    r"""A plate's estimate from its parts' layers, without slicing the plate.

    Layer :math:`k` of the plate holds layer :math:`k` of every part at least
    that tall (all parts share the layer planes). Its time is

    .. math:: T_k = E_k + M_k + C_k + (m_k - 1) h + S_k

    with :math:`E_k` and :math:`M_k` the parts' extrusion and travel times
    summed, :math:`C_k` the layer change paid once (the tallest part's),
    :math:`m_k` parts printing on it, :math:`h` one travel move of ``hop_mm``
    (with a retraction when it is longer than ``retract_before_travel_mm``)
    from one part to the next, and :math:`S_k` the cooling slowdown of the whole
    layer (a plate of many small parts is slowed less than each alone). Filament
    is the parts' extruded volume summed. One part gives exactly its estimate
    alone.

    Parameters
    ----------
    figures
        One entry per part on the plate; repeat an entry for copies.
    hop_mm
        Travel between neighbouring parts on a layer
        (:func:`neighbour_hop_mm`). [mm]
    profile, material, hourly_rate, printer_id
        As for :func:`planner.slicing.estimate_print`.
    name
        The plate's name in the estimate.
    plate_xy_mm
        Extent of the parts on the plate, the estimate's bounding box in X and
        Y [mm]; ``None``: the largest part footprint.

    Returns
    -------
    PrintEstimate

    Raises
    ------
    GeometryError
        When ``figures`` is empty or ``hop_mm`` is negative or not finite.
    """
    if len(figures) == 0:
        raise GeometryError(f"plate {name}: figures must hold at least one part, got 0")
    if not (math.isfinite(hop_mm) and hop_mm >= 0):
        raise GeometryError(
            f"plate {name}: hop_mm must be a finite number >= 0, got {hop_mm!r}"
        )
    if len(figures) == 1:
        return figures[0].estimate
    n_layers = max(f.n_layers for f in figures)

    def total(attr: str) -> np.ndarray:
        out = np.zeros(n_layers)
        for f in figures:
            out[: f.n_layers] += getattr(f, attr)
        return out

    extruding = total("extruding_s")
    moving = total("moving_s")
    path = total("path_mm")
    active = total("printed")
    change = np.zeros(n_layers)
    for f in figures:
        change[: f.n_layers] = np.maximum(change[: f.n_layers], f.layer_change_s)
    printed = active > 0
    moving = (
        moving + change + np.maximum(active - 1.0, 0.0) * _hop_time_s(hop_mm, profile)
    )
    cooling = cooling_slowdown_s(extruding, moving, path, printed, profile)
    print_time = float((extruding + moving + cooling).sum())
    roles: dict[str, float] = {}
    paths: dict[str, float] = {}
    for f in figures:
        for role, value in f.estimate.role_time_s:
            roles[role] = roles.get(role, 0.0) + value
        for role, value in f.estimate.role_path_mm:
            paths[role] = paths.get(role, 0.0) + value
    roles["cooling_slowdown"] = float(cooling.sum())
    # the layer changes and hops the parts no longer pay alone come off travel
    roles["travel"] = roles.get("travel", 0.0) + float(
        (change - total("layer_change_s")).sum()
        + (np.maximum(active - 1.0, 0.0)).sum() * _hop_time_s(hop_mm, profile)
    )
    size = np.array([f.topology.properties.size_mm for f in figures])
    plate_xy = (
        (float(size[:, 0].max()), float(size[:, 1].max()))
        if plate_xy_mm is None
        else plate_xy_mm
    )
    return assemble_estimate(
        print_time_s=print_time,
        extruded_mm3=float(total("extruded_mm3").sum()),
        profile=profile,
        material=material,
        hourly_rate=hourly_rate,
        file=name,
        triangles=int(sum(f.estimate.triangles for f in figures)),
        volume_mm3=float(sum(f.estimate.volume_mm3 for f in figures)),
        size_mm=(plate_xy[0], plate_xy[1], float(size[:, 2].max())),
        layers=int(printed.sum()),
        printer_id=printer_id,
        warnings=tuple(dict.fromkeys(w for f in figures for w in f.estimate.warnings)),
        role_time_s=tuple((r, roles.get(r, 0.0)) for r in ROLES),
        role_path_mm=tuple(paths.items()),
    )


def estimate_plate(
    meshes: Sequence[Mesh | LayerFigures],
    placements: Sequence[tuple[float, float]] | None = None,
    *,
    profile: PrintProfile,
    material: Material,
    hourly_rate: float = 0.0,
    printer_id: str = "",
    spacing_mm: float = DEFAULT_SPACING_MM,
    bed_xy_mm: tuple[float, float] | None = None,
    name: str = "plate",
    turned_90: Sequence[bool] | None = None,
    method: PlateMethod | str = PlateMethod.SLICE,
) -> PlateEstimate:
    """Estimate several parts printed together on one plate.

    Parameters
    ----------
    meshes
        The parts, each in its print orientation (Z up), as meshes or as their
        :func:`layer_figures` (already sliced: then neither analysed nor
        estimated alone again). The same object may appear several times
        (copies); it is then analysed and estimated alone only once.
    placements
        Corner ``(x, y)`` of each part's footprint (its bounding-box minimum) on
        the plate [mm]. ``None``: packed on ``bed_xy_mm`` with rectpack when a bed
        is given, else a near-square grid with ``spacing_mm`` gaps.
    profile
        Slicer settings.
    material
        Filament density and price.
    hourly_rate
        Machine cost per print hour. [currency/h]
    printer_id
        Printer, for the record.
    spacing_mm
        Gap between parts when they are placed here. [mm]
    bed_xy_mm
        Bed size [mm]: parts are packed on it, and a plate wider than it is
        refused.
    name
        Name of the plate in its estimate.
    turned_90
        With ``placements``: whether each part is turned 90 degrees about Z
        (its footprint corner still at its placement); default none.
    method
        ``"slice"`` slices the merged plate mesh; ``"compose"`` adds up the
        parts' layers (:func:`compose_layers`, travel between neighbouring
        parts from :func:`neighbour_hop_mm`), as fast as the parts alone.

    Returns
    -------
    PlateEstimate

    Raises
    ------
    GeometryError
        When ``meshes`` is empty, ``placements`` does not give one finite
        ``(x, y)`` per part, ``turned_90`` is given without placements or not
        one flag per part, ``method`` is unknown, ``spacing_mm`` is negative or
        not finite, the parts do not fit on ``bed_xy_mm``, or a mesh has no facet
        with a non-zero area.

    Notes
    -----
    Shares are by filament: a part's share of the plate's time and cost is its
    filament printed alone over the sum for all parts. Parts whose footprints
    overlap get a warning, not an error (interlocking parts may be meant).

    Examples
    --------
    >>> from planner.geometry import box_mesh
    >>> pla = Material(material="PLA", density_g_cm3=1.24, cost_per_kg=25.0)
    >>> cube = box_mesh((20.0, 20.0, 20.0))
    >>> plate = estimate_plate([cube] * 4, profile=PrintProfile(), material=pla)
    >>> plate.estimate.layers, plate.saving_time_s > 0
    (100, True)
    >>> round(plate.filament_g / plate.parts[0].alone.filament_g, 2)
    4.0
    """
    n = len(meshes)
    if n == 0:
        raise GeometryError(f"plate {name}: meshes must hold at least one part, got 0")
    if not (math.isfinite(spacing_mm) and spacing_mm >= 0):
        raise GeometryError(
            f"plate {name}: spacing_mm must be a finite number >= 0, got {spacing_mm!r}"
        )
    try:
        how = PlateMethod(method)
    except ValueError:
        raise GeometryError(
            f"plate {name}: method must be one of "
            f"{', '.join(m.value for m in PlateMethod)}, got {method!r}"
        ) from None
    figures_by_id: dict[int, LayerFigures] = {}
    topo_by_id: dict[int, MeshTopology] = {}
    alone_by_id: dict[int, PrintEstimate] = {}
    for item in meshes:
        key = id(item)
        if key in topo_by_id:
            continue
        if isinstance(item, LayerFigures):
            figures_by_id[key] = item
        elif how is PlateMethod.COMPOSE:
            figures_by_id[key] = layer_figures(
                item,
                profile=profile,
                material=material,
                hourly_rate=hourly_rate,
                printer_id=printer_id,
                name=item.name,
            )
        if key in figures_by_id:
            topo_by_id[key] = figures_by_id[key].topology
            alone_by_id[key] = figures_by_id[key].estimate
        else:
            topo_by_id[key] = analyse_mesh(item)
            alone_by_id[key] = estimate_print(
                topo_by_id[key],
                profile=profile,
                material=material,
                hourly_rate=hourly_rate,
                printer_id=printer_id,
                name=item.name,
            )
    topos = [topo_by_id[id(m)] for m in meshes]
    alone = [alone_by_id[id(m)] for m in meshes]
    size = np.array([t.properties.size_mm for t in topos])
    lows = np.array([t.properties.bbox_min_mm for t in topos])
    turned = np.zeros(n, dtype=bool)
    if turned_90 is not None:
        turned = np.asarray(turned_90, dtype=bool).reshape(-1)
        if placements is None or turned.shape != (n,):
            raise GeometryError(
                f"plate {name}: turned_90 must come with placements and give one "
                f"flag per part ({n} parts), got {len(turned)} flags"
                + ("" if placements is not None else " without placements")
            )
    if placements is not None:
        corners = np.asarray(placements, dtype=np.float64)
        if corners.shape != (n, 2) or not np.all(np.isfinite(corners)):
            raise GeometryError(
                f"plate {name}: placements must be one finite (x, y) per part "
                f"({n} parts), got shape {corners.shape}"
            )
    elif bed_xy_mm is not None:
        corners, turned = pack_placements(size[:, :2], bed_xy_mm, spacing_mm=spacing_mm)
    else:
        corners = grid_placements(size[:, :2], spacing_mm=spacing_mm)
    footprint = np.where(turned[:, None], size[:, 1::-1], size[:, :2])

    pieces = []
    for i, item in enumerate(meshes):
        vectors = (
            item.topology.vectors if isinstance(item, LayerFigures) else item.vectors
        )
        v = np.asarray(vectors, dtype=np.float64) - lows[i]
        if topos[i].orientation < 0:
            v = v[:, ::-1]  # reverse the winding so every part faces outwards
        if turned[i]:
            v = np.stack([size[i, 1] - v[..., 1], v[..., 0], v[..., 2]], axis=-1)
        pieces.append(v + np.array([corners[i, 0], corners[i, 1], 0.0]))
    plate_mesh = Mesh(vectors=np.concatenate(pieces), name=name)

    warnings: list[str] = []
    extent = (corners + footprint).max(axis=0) - corners.min(axis=0)
    if bed_xy_mm is not None and not (
        extent[0] <= bed_xy_mm[0] + 1e-9 and extent[1] <= bed_xy_mm[1] + 1e-9
    ):
        raise GeometryError(
            f"plate {name}: parts span {extent[0]:.1f} x {extent[1]:.1f} mm, more "
            f"than the {bed_xy_mm[0]:g} x {bed_xy_mm[1]:g} mm bed"
        )
    labels = [
        (m.estimate.file if isinstance(m, LayerFigures) else m.name) or f"part {i}"
        for i, m in enumerate(meshes)
    ]
    for i, j in _overlaps(corners, footprint):
        warnings.append(
            f"plate {name}: footprints of {labels[i]} (#{i}) and {labels[j]} (#{j}) "
            "overlap"
        )
    if how is PlateMethod.COMPOSE:
        estimate = compose_layers(
            [figures_by_id[id(m)] for m in meshes],
            hop_mm=neighbour_hop_mm(corners, footprint),
            profile=profile,
            material=material,
            hourly_rate=hourly_rate,
            printer_id=printer_id,
            name=name,
            plate_xy_mm=(float(extent[0]), float(extent[1])),
        )
    else:
        estimate = estimate_print(
            plate_mesh,
            profile=profile,
            material=material,
            hourly_rate=hourly_rate,
            printer_id=printer_id,
            name=name,
        )
    filament = np.array([a.filament_g for a in alone])
    share = filament / filament.sum() if filament.sum() > 0 else np.full(n, 1.0 / n)
    parts = tuple(
        PlatePart(
            name=labels[i],
            x_mm=float(corners[i, 0]),
            y_mm=float(corners[i, 1]),
            turned_90=bool(turned[i]),
            size_x_mm=float(footprint[i, 0]),
            size_y_mm=float(footprint[i, 1]),
            size_z_mm=float(size[i, 2]),
            share_frac=float(share[i]),
            print_time_share_s=float(share[i] * estimate.print_time_s),
            filament_g=float(filament[i]),
            total_cost_share=float(share[i] * estimate.total_cost),
            alone=alone[i],
        )
        for i in range(n)
    )
    alone_time = float(sum(a.print_time_s for a in alone))
    alone_cost = float(sum(a.total_cost for a in alone))
    return PlateEstimate(
        estimate=estimate,
        parts=parts,
        mesh=plate_mesh,
        plate_x_mm=float(extent[0]),
        plate_y_mm=float(extent[1]),
        alone_print_time_s=alone_time,
        alone_total_cost=alone_cost,
        saving_time_s=alone_time - estimate.print_time_s,
        saving_cost=alone_cost - estimate.total_cost,
        warnings=tuple(warnings) + estimate.warnings,
    )
