"""Plates: several parts printed together in one job.

Parts on one plate share a print: the nozzle visits every part on each layer, so
the plate has the tallest part's layer count and pays the per-layer overheads
(layer change, cooling slowdown of small layers) once, while the extrusion adds
up. :func:`estimate_plate` places the parts (given positions, a grid, or a
rectangle packing on a bed), merges them into one mesh and runs
:func:`planner.slicing.estimate_print` on it, then splits the plate's time and
cost between the parts by filament.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.errors import GeometryError
from planner.geometry import Mesh, MeshTopology, analyse_mesh
from planner.printers import Material, PrintProfile
from planner.slicing import PrintEstimate, estimate_print

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


def estimate_plate(
    meshes: Sequence[Mesh],
    placements: Sequence[tuple[float, float]] | None = None,
    *,
    profile: PrintProfile,
    material: Material,
    hourly_rate: float = 0.0,
    printer_id: str = "",
    spacing_mm: float = DEFAULT_SPACING_MM,
    bed_xy_mm: tuple[float, float] | None = None,
    name: str = "plate",
) -> PlateEstimate:
    """Estimate several parts printed together on one plate.

    Parameters
    ----------
    meshes
        The parts, each in its print orientation (Z up). The same
        :class:`~planner.geometry.Mesh` object may appear several times (copies);
        it is then analysed and estimated alone only once.
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

    Returns
    -------
    PlateEstimate

    Raises
    ------
    GeometryError
        When ``meshes`` is empty, ``placements`` does not give one finite
        ``(x, y)`` per part, ``spacing_mm`` is negative or not finite, the parts
        do not fit on ``bed_xy_mm``, or a mesh has no facet with a non-zero area.

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
    topo_by_id: dict[int, MeshTopology] = {}
    alone_by_id: dict[int, PrintEstimate] = {}
    for mesh in meshes:
        key = id(mesh)
        if key not in topo_by_id:
            topo_by_id[key] = analyse_mesh(mesh)
            alone_by_id[key] = estimate_print(
                topo_by_id[key],
                profile=profile,
                material=material,
                hourly_rate=hourly_rate,
                printer_id=printer_id,
                name=mesh.name,
            )
    topos = [topo_by_id[id(m)] for m in meshes]
    alone = [alone_by_id[id(m)] for m in meshes]
    size = np.array([t.properties.size_mm for t in topos])
    lows = np.array([t.properties.bbox_min_mm for t in topos])
    turned = np.zeros(n, dtype=bool)
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
    for i, mesh in enumerate(meshes):
        v = np.asarray(mesh.vectors, dtype=np.float64) - lows[i]
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
    labels = [m.name or f"part {i}" for i, m in enumerate(meshes)]
    for i, j in _overlaps(corners, footprint):
        warnings.append(
            f"plate {name}: footprints of {labels[i]} (#{i}) and {labels[j]} (#{j}) "
            "overlap"
        )
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
