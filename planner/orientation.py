"""Print orientation: pick how a part sits on the bed.

:func:`choose_orientation` tries the six axis-aligned orientations (each of
``+X``, ``-X``, ``+Y``, ``-Y``, ``+Z``, ``-Z`` of the model pointing up) and the one
that lays the part's largest flat face on the bed. For every candidate it rotates
the mesh (one matrix product), rests it on ``z = 0``, measures the overhangs that
need support, checks the printer's build volume and runs
:func:`planner.slicing.estimate_print`. The choice rule is documented on
:func:`choose_orientation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from planner.errors import GeometryError
from planner.geometry import Mesh, MeshTopology, analyse_mesh, weld_vertices
from planner.printers import Material, Printer, PrintProfile
from planner.slicing import PrintEstimate, estimate_print

#: Support volumes within this fraction of the part volume count as equal.
SUPPORT_TIE_FRAC = 0.01
#: Support volumes within this many mm³ count as equal (for tiny parts). [mm³]
SUPPORT_TIE_MM3 = 1.0
#: Print times within this fraction of the shortest count as equal.
TIME_TIE_FRAC = 0.01
#: Facet normals are grouped on a grid of this spacing (about 0.06 degrees).
_NORMAL_GRID = 1e-3
#: Normal groups examined for the largest flat face on the convex hull.
_N_FACE_GROUPS = 16
#: Vertices compared for equivalent orientations are rounded to extent / 2**20.
_KEY_BITS = 20
#: A flat face smaller than this fraction of the surface is not a candidate.
_MIN_FACE_FRAC = 0.01

#: The six axis-aligned rotations: row ``i`` gives the new axis ``i`` in model
#: coordinates; the model direction that ends up pointing +Z is the last row.
AXIS_ROTATIONS: dict[str, np.ndarray] = {
    "+Z up": np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64),
    "-Z up": np.array([[1, 0, 0], [0, -1, 0], [0, 0, -1]], dtype=np.float64),
    "+X up": np.array([[0, 0, -1], [0, 1, 0], [1, 0, 0]], dtype=np.float64),
    "-X up": np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], dtype=np.float64),
    "+Y up": np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64),
    "-Y up": np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=np.float64),
}
FLAT_FACE_LABEL = "largest flat face down"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class OrientationCandidate:
    """One tried orientation.

    Attributes
    ----------
    label
        ``"+Z up"`` (as modelled), ``"-Z up"``, ..., or ``"largest flat face down"``.
    rotation
        Proper rotation matrix (det +1), shape ``(3, 3)``, applied as
        ``p_new = rotation @ p``; read-only.
    down_direction
        Model-frame unit vector that faces the bed.
    bbox_x_mm, bbox_y_mm, bbox_z_mm
        Bounding box of the rotated part. [mm]
    support_area_mm2
        Horizontal projection of the overhanging facets that need support. [mm²]
    support_volume_mm3
        Projected overhang area times its height above the bed: the column of
        support under it. [mm³]
    fits
        Whether the part fits the printer in this orientation (turning 90 degrees
        about Z allowed); ``None`` when no printer was given.
    estimate
        Print estimate of the rotated part.
    equivalent_labels
        Other orientations that give the very same part on the bed (the same
        vertices up to a turn by a multiple of 90 degrees about Z and a shift),
        so they were not estimated again: a cube's six orientations are one.
    """

    label: str
    rotation: np.ndarray
    down_direction: tuple[float, float, float]
    bbox_x_mm: float
    bbox_y_mm: float
    bbox_z_mm: float
    support_area_mm2: float
    support_volume_mm3: float
    fits: bool | None
    estimate: PrintEstimate
    equivalent_labels: tuple[str, ...] = ()

    def as_row(self) -> dict[str, object]:
        """The candidate as a flat table row (for the CLI and the app)."""
        return {
            "orientation": self.label,
            "same_as": ", ".join(self.equivalent_labels),
            "bbox_x_mm": round(self.bbox_x_mm, 3),
            "bbox_y_mm": round(self.bbox_y_mm, 3),
            "bbox_z_mm": round(self.bbox_z_mm, 3),
            "support_area_mm2": round(self.support_area_mm2, 1),
            "support_volume_mm3": round(self.support_volume_mm3, 1),
            "fits": self.fits,
            "layers": self.estimate.layers,
            "print_time_s": round(self.estimate.print_time_s, 1),
            "filament_g": round(self.estimate.filament_g, 3),
            "total_cost": round(self.estimate.total_cost, 4),
        }


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class OrientationChoice:
    """The chosen orientation of a part and every candidate tried.

    Attributes
    ----------
    label
        Label of the chosen candidate.
    rotation
        Its rotation matrix, shape ``(3, 3)`` (``p_new = rotation @ p``, before the
        translation that rests the part on the bed).
    mesh
        The rotated part, bounding-box corner at the origin, resting on ``z = 0``.
    estimate
        Print estimate of the rotated part.
    support_volume_mm3
        Support column volume in this orientation. [mm³]
    fits
        Whether it fits the printer (``None`` when no printer was given).
    candidates
        Every distinct candidate, in the order tried (``"+Z up"`` first).
    reason
        Why this one was chosen, in words.
    """

    label: str
    rotation: np.ndarray
    mesh: Mesh
    estimate: PrintEstimate
    support_volume_mm3: float
    fits: bool | None
    candidates: tuple[OrientationCandidate, ...]
    reason: str

    def table(self) -> list[dict[str, object]]:
        """All candidates as rows, with a ``chosen`` flag."""
        return [
            {**c.as_row(), "chosen": c.label == self.label} for c in self.candidates
        ]


def rotation_to_down(direction: np.ndarray) -> np.ndarray:
    r"""Proper rotation that turns ``direction`` to face straight down (-Z).

    Rodrigues' formula for the shortest rotation taking unit ``a`` onto
    ``b = (0, 0, -1)``: :math:`R = I + K + K^2 / (1 + a \cdot b)` with ``K`` the
    cross-product matrix of :math:`a \times b`; a 180 degree turn about X when
    ``a`` already points up.

    Parameters
    ----------
    direction
        Model-frame vector, any non-zero length.

    Returns
    -------
    numpy.ndarray
        Shape ``(3, 3)``.

    Raises
    ------
    GeometryError
        When ``direction`` has zero length or is not finite.

    Examples
    --------
    >>> r = rotation_to_down(np.array([1.0, 0.0, 0.0]))
    >>> (r @ np.array([1.0, 0.0, 0.0])).round(12).tolist()
    [0.0, 0.0, -1.0]
    """
    a = np.asarray(direction, dtype=np.float64)
    norm = float(np.linalg.norm(a))
    if not (math.isfinite(norm) and norm > 0):
        raise GeometryError(
            f"orientation: direction must be a finite non-zero vector, got {a.tolist()}"
        )
    a = a / norm
    b = np.array([0.0, 0.0, -1.0])
    c = float(a @ b)
    if c < -1.0 + 1e-12:
        return np.diag([1.0, -1.0, -1.0])
    v = np.cross(a, b)
    k = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + k + (k @ k) / (1.0 + c)


def _unit_normals(tri: np.ndarray, orientation: int) -> tuple[np.ndarray, np.ndarray]:
    """Outward unit normals and areas [mm²] of triangles ``(n, 3, 3)``."""
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]) * orientation
    double_area = np.linalg.norm(cross, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = cross / double_area[:, None]
    return np.nan_to_num(unit), 0.5 * double_area


def largest_flat_face(
    tri: np.ndarray, *, orientation: int = 1
) -> tuple[np.ndarray, float] | None:
    r"""Outward normal and area [mm²] of the largest flat face the part can rest on.

    Facets are grouped by their unit normal (a grid of 1e-3); among the
    16 groups of most area, only facets that lie in the supporting plane of the
    part in that direction (:math:`n \cdot p = \max_v n \cdot v`) count, so
    the face really touches the bed when turned down. Faces under 1% of the
    surface are ignored (a finely tessellated sphere has no flat face).

    Parameters
    ----------
    tri
        Triangle vertices, shape ``(n, 3, 3)``. [mm]
    orientation
        +1 for outward normals, -1 for inverted ones.

    Returns
    -------
    tuple or None
        ``(normal, area_mm2)``, or ``None`` when no face qualifies.
    """
    unit, area = _unit_normals(tri, orientation)
    keep = area > 0
    unit, area, tri = unit[keep], area[keep], tri[keep]
    if area.size == 0:
        return None
    key = np.round(unit / _NORMAL_GRID).astype(np.int64)
    _, group = np.unique(key, axis=0, return_inverse=True)
    group = group.ravel()
    group_area = np.bincount(group, weights=area)
    group_normal = np.stack(
        [np.bincount(group, weights=area * unit[:, i]) for i in range(3)], axis=1
    )
    points = tri.reshape(-1, 3)
    extent = float(np.ptp(points, axis=0).max())
    tol_mm = 1e-5 * extent + 1e-9
    centres = tri.mean(axis=1)
    best: tuple[np.ndarray, float] | None = None
    for g in np.argsort(group_area)[::-1][:_N_FACE_GROUPS]:
        normal = group_normal[g] / np.linalg.norm(group_normal[g])
        level = float((points @ normal).max())
        members = group == g
        on_plane = np.abs(centres[members] @ normal - level) <= tol_mm
        face_area = float(area[members][on_plane].sum())
        if best is None or face_area > best[1]:
            best = (normal, face_area)
    if best is None or best[1] < _MIN_FACE_FRAC * float(area.sum()):
        return None
    return best


def _min_area_yaw(points_xy: np.ndarray) -> float:
    """Angle [rad] to turn about Z so the footprint's bounding rectangle is smallest.

    The smallest rectangle around a convex polygon has a side on a hull edge
    (rotating calipers), so only the hull edge directions are tried.
    """
    try:
        hull = points_xy[ConvexHull(points_xy).vertices]
    except (QhullError, ValueError):
        return 0.0
    edge = np.roll(hull, -1, axis=0) - hull
    theta = np.mod(np.arctan2(edge[:, 1], edge[:, 0]), np.pi / 2)
    theta = np.unique(np.round(theta, 12))
    cos, sin = np.cos(theta), np.sin(theta)
    # coordinates of every hull point in every frame turned by -theta
    x = hull[:, :1] * cos + hull[:, 1:] * sin
    y = -hull[:, :1] * sin + hull[:, 1:] * cos
    rect = np.ptp(x, axis=0) * np.ptp(y, axis=0)
    best = np.flatnonzero(rect <= rect.min() * (1 + 1e-9))
    # among equal rectangles keep the smallest turn
    pick = best[np.argmin(np.minimum(theta[best], np.pi / 2 - theta[best]))]
    return float(theta[pick])


def _yaw(theta: float) -> np.ndarray:
    """Rotation by ``-theta`` about Z (brings an edge at ``theta`` onto +X)."""
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def candidate_rotations(
    tri: np.ndarray, *, orientation: int = 1
) -> tuple[list[str], np.ndarray]:
    """Labels and rotation matrices ``(k, 3, 3)`` of the distinct candidates.

    The six axis-aligned rotations, then the largest flat face turned down and
    turned about Z to the smallest footprint rectangle, unless that face's normal
    is an axis already (then it is the same as an axis candidate and dropped).

    Parameters
    ----------
    tri
        Triangle vertices, shape ``(n, 3, 3)``. [mm]
    orientation
        +1 for outward normals, -1 for inverted ones.
    """
    labels = list(AXIS_ROTATIONS)
    rotations = [AXIS_ROTATIONS[label] for label in labels]
    face = largest_flat_face(tri, orientation=orientation)
    if face is not None:
        normal, _ = face
        downs = -np.stack(rotations)[:, 2, :]
        if not np.any(downs @ normal > 1.0 - 1e-9):
            lay = rotation_to_down(normal)
            xy = (tri.reshape(-1, 3) @ lay.T)[:, :2]
            rotations.append(_yaw(_min_area_yaw(xy)) @ lay)
            labels.append(FLAT_FACE_LABEL)
    return labels, np.stack(rotations)


def support_estimate(
    tri: np.ndarray,
    rotations: np.ndarray,
    *,
    overhang_threshold_deg: float,
    first_layer_height_mm: float,
    orientation: int = 1,
    vertices: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Support area [mm²] and volume [mm³] under a part in each of ``k`` rotations.

    A facet needs support when it faces down and its slope from horizontal is
    below ``overhang_threshold_deg`` (its normal is within that angle of -Z,
    PrusaSlicer's ``support_material_threshold`` and the estimator's rule) and it
    is above the first layer. Its horizontal projection :math:`A |n_z|` is the
    support area; times the height of its centre above the bed, the support
    volume. All rotations are handled in one matrix product.

    Parameters
    ----------
    tri
        Triangle vertices in the model frame, shape ``(n, 3, 3)``. [mm]
    rotations
        Shape ``(k, 3, 3)``.
    overhang_threshold_deg
        Slope from horizontal below which an overhang needs support. [deg]
    first_layer_height_mm
        Facets at or below this height rest on the bed. [mm]
    orientation
        +1 for outward normals, -1 for inverted ones.
    vertices
        The distinct vertices ``(m, 3)``, when known: the lowest point is then
        found from them alone. [mm]

    Returns
    -------
    tuple of numpy.ndarray
        ``(support_area_mm2, support_volume_mm3)``, each shape ``(k,)``.

    Examples
    --------
    A 10 mm cube turned upside down still rests on a face: no support.

    >>> from planner.geometry import box_mesh
    >>> rot = np.stack([AXIS_ROTATIONS["+Z up"], AXIS_ROTATIONS["-Z up"]])
    >>> support_estimate(box_mesh().vectors, rot, overhang_threshold_deg=55.0,
    ...                  first_layer_height_mm=0.2)[1].tolist()
    [0.0, 0.0]
    """
    unit, area = _unit_normals(tri, orientation)
    up_rows = rotations[:, 2, :]  # (k, 3): new z of a model vector is row 2 @ v
    down = -(unit @ up_rows.T)  # (n, k)
    points = tri if vertices is None else vertices
    z_min = (points.reshape(-1, 3) @ up_rows.T).min(axis=0)  # (k,)
    z_centre = tri.mean(axis=1) @ up_rows.T - z_min  # (n, k)
    threshold = math.cos(math.radians(overhang_threshold_deg))
    needs = (down > threshold) & (z_centre > first_layer_height_mm)
    projected = np.where(needs, area[:, None] * down, 0.0)
    return projected.sum(axis=0), (projected * z_centre).sum(axis=0)


#: The four turns about Z by multiples of 90 degrees (exact entries).
_QUARTER_TURNS = tuple(
    np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=np.float64)
    for c, s in ((1, 0), (0, 1), (-1, 0), (0, -1))
)


def _rotated_bounds(
    points: np.ndarray, rotations: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bounding-box corners ``(k, 3)`` of points ``(..., 3)`` in ``k`` rotations."""
    flat = points.reshape(-1, 3) @ rotations.reshape(-1, 3).T  # (m, 3k)
    k = rotations.shape[0]
    return flat.min(axis=0).reshape(k, 3), flat.max(axis=0).reshape(k, 3)


def yaw_invariants(
    tri: np.ndarray,
    rotations: np.ndarray,
    *,
    orientation: int = 1,
    vertices: np.ndarray | None = None,
) -> np.ndarray:
    r"""Figures of each rotated part that a turn about Z does not change.

    Height, the two footprint sides in increasing order, and four surface
    moments: :math:`\sum A z`, :math:`\sum A z^2`, :math:`\sum A n_z^2` and
    :math:`\sum A z n_z` (``z`` of facet centres above the lowest point, ``n_z``
    of unit outward normals). They do not depend on how faces are cut into
    triangles, so two orientations that show the same solid have equal rows.

    Parameters
    ----------
    tri
        Triangle vertices, shape ``(n, 3, 3)``. [mm]
    rotations
        Shape ``(k, 3, 3)``.
    orientation
        +1 for outward normals, -1 for inverted ones.
    vertices
        The distinct vertices ``(m, 3)``, when known: the bounding boxes are
        then found from them alone. [mm]

    Returns
    -------
    numpy.ndarray
        Shape ``(k, 7)``.
    """
    unit, area = _unit_normals(tri, orientation)
    low, high = _rotated_bounds(tri if vertices is None else vertices, rotations)
    size = high - low
    up_rows = rotations[:, 2, :]
    z = tri.mean(axis=1) @ up_rows.T - low[:, 2]  # (n, k)
    nz = unit @ up_rows.T
    return np.column_stack(
        [
            size[:, 2],
            np.sort(size[:, :2], axis=1),
            area @ z,
            area @ z**2,
            area @ nz**2,
            area @ (z * nz),
        ]
    )


def _mix(codes: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads int64 codes over all 64 bits."""
    x = codes.view(np.uint64).copy()
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _vertex_set_hashes(
    vertices: np.ndarray, rotation: np.ndarray, step_mm: float
) -> list[int]:
    """Order-free hash of a part's distinct vertices on the bed, in each of the
    four quarter turns about Z.

    Positions are rounded to ``step_mm``, packed 21 bits an axis and mixed; the
    sum of the mixed codes does not depend on vertex order, so equal vertex sets
    give equal hashes.
    """
    out = []
    for turn in _QUARTER_TURNS:
        placed = vertices @ (turn @ rotation).T
        q = np.rint((placed - placed.min(axis=0)) / step_mm).astype(np.int64)
        codes = (q[:, 0] << 42) | (q[:, 1] << 21) | q[:, 2]
        out.append(int(_mix(codes).sum(dtype=np.uint64)))
    return out


def _equivalent_groups(
    vertices: np.ndarray, rotations: np.ndarray, invariants: np.ndarray
) -> list[list[int]]:
    """Group rotations that put the same part on the bed, up to a turn by a
    multiple of 90 degrees about Z; first member first.

    Two rotations are the same when the turn-invariant figures (bounding box,
    support, surface moments) agree to 1e-7 and the distinct vertices
    coincide (rounded to extent / 2**20) after one of the four turns.
    """
    extent = float(np.ptp(vertices, axis=0).max())
    step_mm = max(extent, 1e-9) / 2**_KEY_BITS
    scale = np.abs(invariants).max(axis=0)
    hashes: dict[int, list[int]] = {}
    groups: list[list[int]] = []
    for i in range(len(rotations)):
        for group in groups:
            j = group[0]
            if not np.all(np.abs(invariants[i] - invariants[j]) <= 1e-7 * scale):
                continue
            for k in (i, j):
                if k not in hashes:
                    hashes[k] = _vertex_set_hashes(vertices, rotations[k], step_mm)
            if hashes[i][0] in hashes[j]:
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def rest_on_bed(vectors: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """Rotate triangle vertices and move the bounding-box corner to the origin.

    Examples
    --------
    >>> from planner.geometry import box_mesh
    >>> v = rest_on_bed(box_mesh((1.0, 2.0, 3.0)).vectors, AXIS_ROTATIONS["+X up"])
    >>> np.ptp(v.reshape(-1, 3), axis=0).tolist(), float(v[..., 2].min())
    ([3.0, 2.0, 1.0], 0.0)
    """
    rotated = vectors @ rotation.T
    return rotated - rotated.reshape(-1, 3).min(axis=0)


def choose_orientation(
    mesh: Mesh,
    *,
    profile: PrintProfile,
    material: Material,
    printer: Printer | None = None,
    hourly_rate: float = 0.0,
    topology: MeshTopology | None = None,
) -> OrientationChoice:
    """Pick the print orientation of a part.

    Parameters
    ----------
    mesh
        The part as modelled.
    profile
        Slicer settings: the overhang threshold and first layer height set the
        support estimate; with ``support_material`` on, the print estimate
        includes the support.
    material
        Filament density and price.
    printer
        When given, each orientation is checked against its build volume (the
        footprint may turn 90 degrees about Z) and its ``printer_id`` is recorded.
    hourly_rate
        Machine cost per print hour; the printer's own rate is not used
        unless passed here. [currency/h]
    topology
        ``analyse_mesh(mesh)`` when the caller already has it, so that the
        mesh is not welded again; computed here when None.

    Returns
    -------
    OrientationChoice

    Raises
    ------
    GeometryError
        When the mesh has no facet with a non-zero area.

    Notes
    -----
    The rule, in order:

    1. Only orientations that fit the printer; all of them when none fits (the
       reason then says so) or when no printer is given.
    2. Least support volume; volumes within 1% of the part volume (or 1 mm³)
       of the least count as equal.
    3. Shortest print time; times within 1% of the shortest count as equal.
    4. The first in the order tried: as modelled (``+Z up``) first, so a part
       drawn in its print orientation keeps it when nothing is gained.

    Orientations that put the same solid on the bed (a cube's six, a cylinder's
    two ends) are estimated once; the others are listed in the candidate's
    ``equivalent_labels``. Same means equal turn-invariant figures (bounding box,
    support, surface moments) and the same vertices after a turn by a multiple of
    90 degrees about Z.

    Examples
    --------
    >>> from planner.geometry import box_mesh
    >>> pla = Material(material="PLA", density_g_cm3=1.24, cost_per_kg=25.0)
    >>> plate = box_mesh((60.0, 3.0, 40.0), name="plate on edge")
    >>> choice = choose_orientation(plate, profile=PrintProfile(), material=pla)
    >>> choice.label, choice.estimate.layers
    ('+Y up', 15)
    """
    topo = analyse_mesh(mesh) if topology is None else topology
    tri = topo.vectors
    _, distinct = weld_vertices(tri)
    labels, rotations = candidate_rotations(tri, orientation=topo.orientation)
    support_area, support_volume = support_estimate(
        tri,
        rotations,
        overhang_threshold_deg=profile.support_overhang_threshold_deg,
        first_layer_height_mm=profile.first_layer_height_mm,
        orientation=topo.orientation,
        vertices=distinct,
    )
    vectors = np.asarray(mesh.vectors, dtype=np.float64)
    printer_id = printer.printer_id if printer is not None else ""
    invariants = np.column_stack(
        [
            support_area,
            support_volume,
            yaw_invariants(
                tri, rotations, orientation=topo.orientation, vertices=distinct
            ),
        ]
    )
    groups = _equivalent_groups(distinct, rotations, invariants)
    candidates: list[OrientationCandidate] = []
    meshes: list[Mesh] = []
    for members in groups:
        i = members[0]
        rotation = rotations[i].copy()
        rotation.setflags(write=False)
        part = Mesh(vectors=rest_on_bed(vectors, rotation), name=mesh.name)
        size = np.ptp(part.vectors.reshape(-1, 3), axis=0)
        bbox = (float(size[0]), float(size[1]), float(size[2]))
        estimate = estimate_print(
            part,
            profile=profile,
            material=material,
            hourly_rate=hourly_rate,
            printer_id=printer_id,
            name=mesh.name,
        )
        candidates.append(
            OrientationCandidate(
                label=labels[i],
                rotation=rotation,
                down_direction=tuple(float(d) for d in -rotation[2]),
                bbox_x_mm=bbox[0],
                bbox_y_mm=bbox[1],
                bbox_z_mm=bbox[2],
                support_area_mm2=float(support_area[i]),
                support_volume_mm3=float(support_volume[i]),
                fits=printer.fits(bbox) if printer is not None else None,
                estimate=estimate,
                equivalent_labels=tuple(labels[j] for j in members[1:]),
            )
        )
        meshes.append(part)
    pick, reason = _pick(candidates, topo.properties.volume_mm3, printer)
    chosen = candidates[pick]
    return OrientationChoice(
        label=chosen.label,
        rotation=chosen.rotation,
        mesh=meshes[pick],
        estimate=chosen.estimate,
        support_volume_mm3=chosen.support_volume_mm3,
        fits=chosen.fits,
        candidates=tuple(candidates),
        reason=reason,
    )


def _pick(
    candidates: list[OrientationCandidate],
    volume_mm3: float,
    printer: Printer | None,
) -> tuple[int, str]:
    """Index of the chosen candidate and the reason, by the rule of
    :func:`choose_orientation`."""
    n = len(candidates)
    fits = np.array([c.fits is not False for c in candidates])
    support = np.array([c.support_volume_mm3 for c in candidates])
    time_s = np.array([c.estimate.print_time_s for c in candidates])
    notes: list[str] = []
    if printer is not None and not fits.any():
        notes.append(
            f"fits printer {printer.printer_id} in none of the {n} orientations "
            f"(build volume {printer.build_x_mm:g} x {printer.build_y_mm:g} x "
            f"{printer.build_z_mm:g} mm)"
        )
        fits[:] = True
    elif printer is not None:
        notes.append(
            f"fits printer {printer.printer_id} in {int(fits.sum())} of {n} "
            "orientations"
        )
    tie_mm3 = max(SUPPORT_TIE_FRAC * volume_mm3, SUPPORT_TIE_MM3)
    least = support[fits].min()
    pool = fits & (support <= least + tie_mm3)
    fastest = time_s[pool].min()
    pool &= time_s <= fastest * (1.0 + TIME_TIE_FRAC)
    pick = int(np.flatnonzero(pool)[0])
    chosen = candidates[pick]
    n_least = int((fits & (support <= least + tie_mm3)).sum())
    notes.append(
        f"least support volume {chosen.support_volume_mm3:.0f} mm³"
        + (
            f" ({n_least} orientations within {tie_mm3:.0f} mm³ of the least)"
            if n_least > 1
            else ""
        )
    )
    ties = int(pool.sum())
    notes.append(
        f"print time {chosen.estimate.print_time_s / 3600.0:.2f} h"
        + (
            f" ({ties} orientations within {TIME_TIE_FRAC:.0%} of the shortest; "
            "the first tried is kept)"
            if ties > 1
            else " (the shortest of those)"
        )
    )
    return pick, f"{chosen.label}: " + "; ".join(notes)
