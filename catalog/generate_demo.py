"""Regenerate the Sparecast demo catalog: a food & beverage packaging line.

Run from the repository root::

    .venv/bin/python catalog/generate_demo.py          # (re)write every demo file
    .venv/bin/python catalog/generate_demo.py --check  # verify files, meshes, determinism

Everything is deterministic (one seeded ``np.random.default_rng`` per output, fixed
STL headers, fixed number formats), so a rerun rewrites every file byte for byte.
Only numpy and numpy-stl (for the self-check) are used. Money is in EUR.

The STL parts are built with the small mesh toolkit below. Each part is one
closed solid made from a 2D outline with holes (extruded, extruded in steps, or
extruded with cross-drilled holes) or from a revolved profile, so every mesh is
watertight and consistently oriented by construction; ``--check`` proves it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CATALOG_DIR = Path(__file__).resolve().parent
SEED = 20231101
STL_HEADER = b"Sparecast demo part (binary STL, mm, Z up)"
EPS = 1e-9

# ---------------------------------------------------------------------------
# 2D helpers
# ---------------------------------------------------------------------------


def signed_area(points: np.ndarray) -> float:
    """Signed area of a closed 2D loop [mm^2]; positive when counter-clockwise."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def ccw(points: np.ndarray) -> np.ndarray:
    """The loop ordered counter-clockwise."""
    return points if signed_area(points) > 0 else points[::-1].copy()


def cw(points: np.ndarray) -> np.ndarray:
    """The loop ordered clockwise."""
    return points[::-1].copy() if signed_area(points) > 0 else points


def arc(
    cx: float, cy: float, r: float, a0: float, a1: float, n: int, *, end: bool = True
) -> np.ndarray:
    """Points on a circular arc from angle ``a0`` to ``a1`` [rad], ``n`` segments."""
    k = np.arange(n + 1 if end else n)
    a = a0 + (a1 - a0) * k / n
    return np.column_stack([cx + r * np.cos(a), cy + r * np.sin(a)])


def circle(cx: float, cy: float, r: float, n: int, phase: float = 0.0) -> np.ndarray:
    """A closed circle of ``n`` points, counter-clockwise."""
    return arc(cx, cy, r, phase, phase + 2 * np.pi, n, end=False)


def rounded_rect(
    x0: float, y0: float, x1: float, y1: float, r: float, n: int = 6
) -> np.ndarray:
    """Rectangle with corner radius ``r``, counter-clockwise."""
    h = np.pi / 2
    return np.vstack(
        [
            arc(x1 - r, y0 + r, r, -h, 0.0, n),
            arc(x1 - r, y1 - r, r, 0.0, h, n),
            arc(x0 + r, y1 - r, r, h, 2 * h, n),
            arc(x0 + r, y0 + r, r, 2 * h, 3 * h, n),
        ]
    )


def slot(
    x0: float, y0: float, x1: float, y1: float, r: float, n: int = 8
) -> np.ndarray:
    """Obround slot from centre (x0, y0) to centre (x1, y1), radius ``r``, CCW."""
    a = math.atan2(y1 - y0, x1 - x0)
    h = np.pi / 2
    return np.vstack(
        [arc(x1, y1, r, a - h, a + h, n), arc(x0, y0, r, a + h, a + 3 * h, n)]
    )


def point_in_polygon(pt: np.ndarray, poly: np.ndarray) -> bool:
    """Even-odd ray test of one point against a closed loop."""
    x, y = pt
    a, b = poly, np.roll(poly, -1, axis=0)
    crosses = (a[:, 1] > y) != (b[:, 1] > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    return bool(np.count_nonzero(crosses & (xi > x)) % 2)


def _cross2(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a[..., 0] - o[..., 0]) * (b[..., 1] - o[..., 1]) - (
        a[..., 1] - o[..., 1]
    ) * (b[..., 0] - o[..., 0])


def _in_wedge(d: np.ndarray, to_next: np.ndarray, to_prev: np.ndarray) -> bool:
    """Whether direction ``d`` lies in the interior wedge of a CCW polygon corner."""
    a_prev = (
        math.atan2(to_prev[1], to_prev[0]) - math.atan2(to_next[1], to_next[0])
    ) % (2 * np.pi)
    a_d = (math.atan2(d[1], d[0]) - math.atan2(to_next[1], to_next[0])) % (2 * np.pi)
    return 0 < a_d < a_prev


def _bridge(pts: np.ndarray, poly: list[int], hole: np.ndarray) -> list[int]:
    """Join one CW hole (local indices) to the CCW polygon by a bridge (Eberly)."""
    m = int(hole[np.argmax(pts[hole, 0])])
    mx, my = pts[m]
    ring = np.asarray(poly)
    a, b = pts[ring], pts[np.roll(ring, -1)]
    dy = b[:, 1] - a[:, 1]
    straddle = ((a[:, 1] - my) * (b[:, 1] - my) <= 0) & (dy != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = a[:, 0] + (my - a[:, 1]) * (b[:, 0] - a[:, 0]) / dy
    xi = np.where(straddle & (xi >= mx), xi, np.inf)
    k = int(np.argmin(xi))
    if not np.isfinite(xi[k]):
        raise ValueError("hole is not inside the outline")
    ia, ib = int(ring[k]), int(ring[(k + 1) % len(ring)])
    cand = ia if pts[ia, 0] >= pts[ib, 0] else ib
    inter = np.array([xi[k], my])
    # reflex vertices inside triangle (M, I, P) may block the view of P
    tri = np.array([[mx, my], inter, pts[cand]])
    if signed_area(tri) < 0:
        tri = tri[::-1]
    others = np.array([v for v in set(poly) if v != cand])
    if len(others):
        q = pts[others]
        inside = (
            (_cross2(tri[0], tri[1], q) > EPS)
            & (_cross2(tri[1], tri[2], q) > EPS)
            & (_cross2(tri[2], tri[0], q) > EPS)
        )
        if inside.any():
            blk = others[inside]
            ang = np.abs(np.arctan2(pts[blk, 1] - my, pts[blk, 0] - mx))
            dist = np.hypot(pts[blk, 0] - mx, pts[blk, 1] - my)
            cand = int(blk[np.lexsort((dist, ang))[0]])
    occ = [i for i, v in enumerate(poly) if v == cand]
    pos = occ[0]
    if len(occ) > 1:
        for i in occ:
            p, n = poly[i - 1], poly[(i + 1) % len(poly)]
            if _in_wedge(pts[m] - pts[cand], pts[n] - pts[cand], pts[p] - pts[cand]):
                pos = i
                break
    start = int(np.nonzero(hole == m)[0][0])
    cycle = [int(v) for v in np.roll(hole, -start)] + [m, cand]
    return poly[: pos + 1] + cycle + poly[pos + 1 :]


def triangulate(outer: np.ndarray, holes: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Ear-clip a polygon with holes.

    Parameters
    ----------
    outer
        (n, 2) outline [mm]; any orientation.
    holes
        (m_i, 2) hole loops strictly inside the outline [mm].

    Returns
    -------
    np.ndarray
        (t, 3) int indices into ``vstack([outer, *holes])``, counter-clockwise.
    """
    loops = [ccw(outer)] + [cw(h) for h in holes]
    flips = [signed_area(outer) <= 0] + [signed_area(h) > 0 for h in holes]
    sizes = [len(lp) for lp in loops]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    pts = np.vstack(loops)
    poly = list(range(sizes[0]))
    order = sorted(range(1, len(loops)), key=lambda i: -float(loops[i][:, 0].max()))
    for i in order:
        poly = _bridge(pts, poly, np.arange(offsets[i], offsets[i + 1]))
    tris = _ear_clip(pts, np.asarray(poly))
    # map back to the caller's vertex order
    back = np.empty(len(pts), dtype=np.int64)
    for i in range(len(loops)):
        idx = np.arange(offsets[i], offsets[i + 1])
        back[idx] = idx[::-1] if flips[i] else idx
    return back[tris]


def _ear_clip(pts: np.ndarray, poly: np.ndarray) -> np.ndarray:
    n = len(poly)
    coords = pts[poly]
    nxt = np.roll(np.arange(n), -1)
    prv = np.roll(np.arange(n), 1)
    alive = np.ones(n, dtype=bool)
    out: list[tuple[int, int, int]] = []
    count, i, misses = n, 0, 0
    scale = float(np.ptp(coords, axis=0).max()) ** 2
    while count > 3:
        p, q = prv[i], nxt[i]
        a, b, c = coords[p], coords[i], coords[q]
        ear = _cross2(a, b, c) > 1e-12 * scale
        if ear:
            cand = np.nonzero(alive)[0]
            r = coords[cand]
            same = (
                np.all(r == a, axis=1) | np.all(r == b, axis=1) | np.all(r == c, axis=1)
            )
            r = r[~same]
            tol = -1e-12 * scale
            inside = (
                (_cross2(a, b, r) >= tol)
                & (_cross2(b, c, r) >= tol)
                & (_cross2(c, a, r) >= tol)
            )
            ear = not inside.any()
        if ear:
            out.append((int(poly[p]), int(poly[i]), int(poly[q])))
            alive[i] = False
            nxt[p], prv[q] = q, p
            count -= 1
            i, misses = p, 0
            continue
        i = nxt[i]
        misses += 1
        if misses > 2 * count:
            raise ValueError(f"ear clipping stuck with {count} vertices left")
    i = int(np.nonzero(alive)[0][0])
    out.append((int(poly[prv[i]]), int(poly[i]), int(poly[nxt[i]])))
    return np.asarray(out, dtype=np.int64)


# ---------------------------------------------------------------------------
# 3D mesh builder
# ---------------------------------------------------------------------------


@dataclass
class MeshBuilder:
    """Indexed triangle mesh assembled from loops, planar faces and strips."""

    vertices: list[np.ndarray] = field(default_factory=list)
    faces: list[np.ndarray] = field(default_factory=list)
    n_vertices: int = 0

    def add(self, points: np.ndarray) -> np.ndarray:
        """Add (n, 3) points [mm]; return their indices."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        idx = np.arange(self.n_vertices, self.n_vertices + len(pts))
        self.vertices.append(pts)
        self.n_vertices += len(pts)
        return idx

    def xyz(self, idx: np.ndarray) -> np.ndarray:
        """Coordinates of vertex indices [mm]."""
        return np.vstack(self.vertices)[idx]

    def face(
        self, outer: np.ndarray, holes: Sequence[np.ndarray], normal: Sequence[float]
    ) -> None:
        """Triangulate a planar face (vertex-index loops) with outward ``normal``."""
        n = np.asarray(normal, dtype=np.float64)
        n = n / np.linalg.norm(n)
        axis = np.eye(3)[int(np.argmin(np.abs(n)))]
        u = np.cross(axis, n)
        u /= np.linalg.norm(u)
        v = np.cross(n, u)
        allv = np.vstack(self.vertices)
        loops = [np.asarray(outer)] + [np.asarray(h) for h in holes]
        flat = [np.column_stack([allv[lp] @ u, allv[lp] @ v]) for lp in loops]
        tris = triangulate(flat[0], flat[1:])
        self.faces.append(np.concatenate(loops)[tris])

    def strip(self, a: np.ndarray, b: np.ndarray, *, closed: bool = True) -> np.ndarray:
        """Quads between two loops of equal length; returns the new triangles."""
        a, b = np.asarray(a), np.asarray(b)
        a1 = np.roll(a, -1) if closed else a[1:]
        b1 = np.roll(b, -1) if closed else b[1:]
        a0, b0 = (a, b) if closed else (a[:-1], b[:-1])
        tris = np.vstack([np.column_stack([a0, a1, b1]), np.column_stack([a0, b1, b0])])
        self.faces.append(tris)
        return tris

    def triangles(self, tris: np.ndarray) -> None:
        """Add raw index triangles."""
        self.faces.append(np.asarray(tris, dtype=np.int64).reshape(-1, 3))

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """Vertices (n, 3) and faces (t, 3), degenerate faces dropped, outward."""
        v = np.vstack(self.vertices)
        f = np.vstack(self.faces).astype(np.int64)
        keep = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
        f = f[keep]
        if signed_volume(v[f]) < 0:
            f = f[:, ::-1]
        return v, f


def signed_volume(tri: np.ndarray) -> float:
    """Signed volume of a closed triangle soup (t, 3, 3) [mm^3] (divergence theorem)."""
    return float(np.linalg.det(tri).sum() / 6.0)


def _orient_strip(
    b: MeshBuilder, tris: np.ndarray, axis_point: np.ndarray, axis_dir: np.ndarray
) -> None:
    """Flip a freshly added hole strip so its normals point at the hole axis."""
    p = b.xyz(tris[0])
    nrm = np.cross(p[1] - p[0], p[2] - p[0])
    q = p.mean(axis=0)
    foot = axis_point + np.dot(q - axis_point, axis_dir) * axis_dir
    if np.dot(nrm, foot - q) < 0:
        b.faces[-1] = tris[:, ::-1]


# ---------------------------------------------------------------------------
# Solid constructors: each returns (vertices, faces) of one closed solid
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """A straight hole between two parallel side faces of a prism.

    ``entry`` is a point (x, y) on a straight edge of the outline, ``direction``
    points into the material (perpendicular to that edge), ``z`` is the hole
    centre height and ``section`` the hole's outline in (along-edge, z) offsets.
    """

    entry: tuple[float, float]
    direction: tuple[float, float]
    z: float
    section: np.ndarray


def round_drill(
    entry: tuple[float, float], direction: tuple[float, float], z: float, d: float
) -> Drill:
    """A round drilled hole of diameter ``d`` [mm]."""
    n = 24 if d < 12 else 40
    return Drill(entry=entry, direction=direction, z=z, section=circle(0, 0, d / 2, n))


def prism(
    outer: np.ndarray,
    holes: Sequence[np.ndarray] = (),
    height: float = 10.0,
    drills: Sequence[Drill] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Extrude an outline with holes along +Z, optionally cross-drilled."""
    loops = [ccw(np.asarray(outer, float))] + [cw(np.asarray(h, float)) for h in holes]
    b = MeshBuilder()
    bottom = [b.add(np.column_stack([lp, np.zeros(len(lp))])) for lp in loops]
    top = [b.add(np.column_stack([lp, np.full(len(lp), height)])) for lp in loops]
    b.face(bottom[0], bottom[1:], (0, 0, -1))
    b.face(top[0], top[1:], (0, 0, 1))
    edge_holes: dict[tuple[int, int], list[np.ndarray]] = {}
    for d in drills:
        _add_drill(b, loops, height, d, edge_holes)
    for li, lp in enumerate(loops):
        n = len(lp)
        plain = np.array([(li, i) not in edge_holes for i in range(n)])
        i0 = np.arange(n)[plain]
        i1 = (i0 + 1) % n
        bo, to = bottom[li], top[li]
        b.triangles(
            np.vstack(
                [
                    np.column_stack([bo[i0], bo[i1], to[i1]]),
                    np.column_stack([bo[i0], to[i1], to[i0]]),
                ]
            )
        )
        for i in np.arange(n)[~plain]:
            j = (i + 1) % n
            t = lp[j] - lp[i]
            quad = np.array([bo[i], bo[j], to[j], to[i]])
            b.face(quad, edge_holes[(li, i)], (t[1], -t[0], 0.0))
    return b.mesh()


def _add_drill(
    b: MeshBuilder,
    loops: list[np.ndarray],
    height: float,
    drill: Drill,
    edge_holes: dict[tuple[int, int], list[np.ndarray]],
) -> None:
    entry = np.asarray(drill.entry, float)
    dvec = np.asarray(drill.direction, float)
    dvec = dvec / np.linalg.norm(dvec)
    hits = []
    for li, lp in enumerate(loops):
        a, c = lp, np.roll(lp, -1, axis=0)
        e = c - a
        length = np.linalg.norm(e, axis=1)
        # distance of the entry point to each edge
        t = np.clip(np.einsum("ij,ij->i", entry - a, e) / length**2, 0, 1)
        dist = np.linalg.norm(a + t[:, None] * e - entry, axis=1)
        # ray intersections
        den = e[:, 0] * dvec[1] - e[:, 1] * dvec[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = a - entry
            s = (dvec[0] * w[:, 1] - dvec[1] * w[:, 0]) / den
            ray = (e[:, 0] * w[:, 1] - e[:, 1] * w[:, 0]) / den
        for i in range(len(lp)):
            if dist[i] < 1e-7:
                hits.append((0.0, li, i, length[i]))
            elif den[i] != 0 and 0 <= s[i] <= 1 and ray[i] > 1e-7:
                hits.append((float(ray[i]), li, i, length[i]))
    hits.sort()
    (_, la, ea, _), (depth, lb, eb, _) = hits[0], hits[1]
    if hits[0][0] != 0.0:
        raise ValueError(f"drill entry {drill.entry} is not on the outline")
    for li, ei in ((la, ea), (lb, eb)):
        lp = loops[li]
        e = lp[(ei + 1) % len(lp)] - lp[ei]
        if abs(np.dot(e, dvec)) > 1e-9 * np.linalg.norm(e):
            raise ValueError(f"drill {drill.entry} meets a face at an angle")
    along = np.array([-dvec[1], dvec[0], 0.0])
    sec = drill.section
    p0 = (
        np.array([entry[0], entry[1], drill.z])
        + sec[:, :1] * along
        + sec[:, 1:2] * np.array([0.0, 0.0, 1.0])
    )
    step = np.array([dvec[0], dvec[1], 0.0]) * depth
    ia = b.add(p0)
    ib = b.add(p0 + step)
    edge_holes.setdefault((la, ea), []).append(ia)
    edge_holes.setdefault((lb, eb), []).append(ib)
    tris = b.strip(ia, ib)
    _orient_strip(b, tris, np.array([entry[0], entry[1], drill.z]), step / depth)


@dataclass(frozen=True)
class Layer:
    """One Z slab of a stepped extrusion; loops are named so layers can share them."""

    z0: float
    z1: float
    outer: tuple[str, np.ndarray]
    holes: tuple[tuple[str, np.ndarray], ...] = ()


def stepped(layers: Sequence[Layer]) -> tuple[np.ndarray, np.ndarray]:
    """Stack of extruded slabs; a loop name shared by neighbours is one wall.

    Between two slabs one outline must lie strictly inside the other; holes of
    one slab that the other does not share end in a flat floor or ceiling.
    """
    b = MeshBuilder()
    cache: dict[tuple[float, str], np.ndarray] = {}

    def loop(z: float, name: str, pts: np.ndarray) -> np.ndarray:
        key = (z, name)
        if key not in cache:
            cache[key] = b.add(np.column_stack([pts, np.full(len(pts), z)]))
        return cache[key]

    norm = [
        Layer(
            z0=L.z0,
            z1=L.z1,
            outer=(L.outer[0], ccw(np.asarray(L.outer[1], float))),
            holes=tuple((k, cw(np.asarray(h, float))) for k, h in L.holes),
        )
        for L in layers
    ]
    for L in norm:
        for name, pts in (L.outer, *L.holes):
            b.strip(loop(L.z0, name, pts), loop(L.z1, name, pts))
    first, last = norm[0], norm[-1]
    b.face(
        loop(first.z0, *first.outer),
        [loop(first.z0, k, h) for k, h in first.holes],
        (0, 0, -1),
    )
    b.face(
        loop(last.z1, *last.outer),
        [loop(last.z1, k, h) for k, h in last.holes],
        (0, 0, 1),
    )
    for lo, hi in itertools.pairwise(norm):
        z = lo.z1
        lo_h, hi_h = dict(lo.holes), dict(hi.holes)
        if lo.outer[0] != hi.outer[0]:
            narrow_up = point_in_polygon(hi.outer[1][0], lo.outer[1])
            big, small = (lo, hi) if narrow_up else (hi, lo)
            big_only = [k for k in dict(big.holes) if k not in dict(small.holes)]
            ring = [loop(z, *small.outer)] + [
                loop(z, k, dict(big.holes)[k])
                for k in big_only
                if not point_in_polygon(dict(big.holes)[k][0], small.outer[1])
            ]
            b.face(loop(z, *big.outer), ring, (0, 0, 1 if narrow_up else -1))
        for k, h in lo_h.items():
            if k not in hi_h and point_in_polygon(h[0], hi.outer[1]):
                b.face(loop(z, k, h), [], (0, 0, -1))
        for k, h in hi_h.items():
            if k not in lo_h and point_in_polygon(h[0], lo.outer[1]):
                b.face(loop(z, k, h), [], (0, 0, 1))
    return b.mesh()


def zipper_ring(
    b: MeshBuilder,
    outer: np.ndarray,
    inner: np.ndarray,
    pts_o: np.ndarray,
    pts_i: np.ndarray,
    up: bool,
) -> None:
    """Triangulate the ring between two star-shaped CCW loops around the origin."""
    ao = np.unwrap(np.arctan2(pts_o[:, 1], pts_o[:, 0]))
    ai = np.arctan2(pts_i[:, 1], pts_i[:, 0])
    rel = (ai - ao[0]) % (2 * np.pi)
    start = int(np.argmax(rel))  # inner vertex just before the outer start
    inner = np.roll(inner, -start)
    ai = np.unwrap(np.roll(ai, -start))
    ai = ai - 2 * np.pi * np.floor((ai[0] - ao[0]) / (2 * np.pi)) - 2 * np.pi
    if ai[0] + 2 * np.pi <= ao[0]:
        ai = ai + 2 * np.pi
    no, ni = len(outer), len(inner)
    ao = np.append(ao, ao[0] + 2 * np.pi)
    ai = np.append(ai, ai[0] + 2 * np.pi)
    tris = []
    i = j = 0
    while i < no or j < ni:
        if j == ni or (i < no and ao[i + 1] <= ai[j + 1]):
            tris.append((outer[i % no], outer[(i + 1) % no], inner[j % ni]))
            i += 1
        else:
            tris.append((outer[i % no], inner[(j + 1) % ni], inner[j % ni]))
            j += 1
    t = np.asarray(tris, dtype=np.int64)
    b.triangles(t if up else t[:, ::-1])


def ring_prism(
    outer: np.ndarray, inner: np.ndarray, height: float
) -> tuple[np.ndarray, np.ndarray]:
    """Extrude the ring between two star-shaped loops about the origin (gears)."""
    outer, inner = ccw(np.asarray(outer, float)), ccw(np.asarray(inner, float))
    b = MeshBuilder()
    ob = b.add(np.column_stack([outer, np.zeros(len(outer))]))
    ot = b.add(np.column_stack([outer, np.full(len(outer), height)]))
    ib = b.add(np.column_stack([inner, np.zeros(len(inner))]))
    it = b.add(np.column_stack([inner, np.full(len(inner), height)]))
    b.strip(ob, ot)
    b.strip(it, ib)
    zipper_ring(b, ob, ib, outer, inner, up=False)
    zipper_ring(b, ot, it, outer, inner, up=True)
    return b.mesh()


def revolve(
    profile: np.ndarray, n: int, modulation: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Revolve a closed (r, z) profile about Z with ``n`` segments.

    Profile points with r = 0 lie on the axis and become one vertex each;
    ``modulation`` (len(profile), n) scales each point's radius per angle
    (knurling, flats).
    """
    prof = np.asarray(profile, float)
    k = len(prof)
    ang = 2 * np.pi * np.arange(n) / n
    fac = np.ones((k, n)) if modulation is None else modulation
    b = MeshBuilder()
    grid = np.empty((k, n), dtype=np.int64)
    for j, (r, z) in enumerate(prof):
        if r == 0:
            grid[j] = b.add(np.array([[0.0, 0.0, z]]))[0]
        else:
            rr = r * fac[j]
            grid[j] = b.add(
                np.column_stack([rr * np.cos(ang), rr * np.sin(ang), np.full(n, z)])
            )
    a0 = grid
    a1 = np.roll(grid, -1, axis=0)
    b0 = np.roll(grid, -1, axis=1)
    b1 = np.roll(a1, -1, axis=1)
    b.triangles(
        np.vstack(
            [
                np.column_stack([a0.ravel(), b0.ravel(), b1.ravel()]),
                np.column_stack([a0.ravel(), b1.ravel(), a1.ravel()]),
            ]
        )
    )
    return b.mesh()


def rotate_x90(v: np.ndarray) -> np.ndarray:
    """Rotate +90 degrees about X: the XY profile of a prism stands in XZ."""
    return np.column_stack([v[:, 0], -v[:, 2], v[:, 1]])


def place(v: np.ndarray) -> np.ndarray:
    """Centre the part on the XY origin and rest it on z = 0."""
    lo, hi = v.min(axis=0), v.max(axis=0)
    shift = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    out = v + shift
    return out + 0.0  # no negative zeros


# ---------------------------------------------------------------------------
# STL writing and checking
# ---------------------------------------------------------------------------


def stl_bytes(vertices: np.ndarray, faces: np.ndarray) -> bytes:
    """Binary STL with a fixed header and float32 normals from the vertices."""
    tri = vertices[faces]
    nrm = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    ln = np.linalg.norm(nrm, axis=1)
    nrm = nrm / np.where(ln == 0, 1.0, ln)[:, None]
    rec = np.zeros(
        len(faces), dtype=[("n", "<f4", (3,)), ("v", "<f4", (3, 3)), ("a", "<u2")]
    )
    rec["n"] = nrm
    rec["v"] = tri
    return STL_HEADER.ljust(80, b" ") + np.uint32(len(faces)).tobytes() + rec.tobytes()


def closed_and_oriented(tri: np.ndarray) -> tuple[bool, str]:
    """Every edge used by exactly two triangles, once in each direction."""
    flat = tri.reshape(-1, 3)
    uniq, inv = np.unique(flat, axis=0, return_inverse=True)
    f = inv.reshape(-1, 3)
    if np.any((f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 0] == f[:, 2])):
        return False, "degenerate triangle (repeated vertex)"
    e = np.vstack([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]).astype(np.int64)
    key = e[:, 0] * len(uniq) + e[:, 1]
    rkey = e[:, 1] * len(uniq) + e[:, 0]
    if len(np.unique(key)) != len(key):
        return False, "a directed edge is used twice (flipped or non-manifold)"
    if not np.all(np.isin(rkey, key)):
        return False, "open edge (no opposite half-edge)"
    return True, "closed, consistently oriented"


# ---------------------------------------------------------------------------
# Part geometry (mm). Each function returns (vertices, faces) resting on z = 0.
# ---------------------------------------------------------------------------

Solid = tuple[np.ndarray, np.ndarray]


def _standing(solid: Solid) -> Solid:
    v, f = solid
    return place(rotate_x90(v)), f


def _flat(solid: Solid) -> Solid:
    v, f = solid
    return place(v), f


def gear_outline(module_mm: float, teeth: int, n_flank: int = 8) -> np.ndarray:
    """Involute spur-gear outline (20 deg pressure angle), CCW, star-shaped."""
    alpha = np.radians(20.0)
    r = module_mm * teeth / 2
    rb = r * math.cos(alpha)
    ra = r + module_mm
    rf = r - 1.25 * module_mm
    inv_p = math.tan(alpha) - alpha
    psi = np.pi / (2 * teeth)
    rho = np.linspace(max(rb, rf), ra, n_flank)
    a_rho = np.arccos(np.clip(rb / rho, -1, 1))
    half = psi + inv_p - (np.tan(a_rho) - a_rho)
    pts = []
    for k in range(teeth):
        c = 2 * np.pi * k / teeth
        up, down = c - half, (c + half)[::-1]
        seg = [
            np.column_stack([rho * np.cos(up), rho * np.sin(up)]),
            arc(0, 0, ra, c - half[-1], c + half[-1], 3)[1:-1],
            np.column_stack([rho[::-1] * np.cos(down), rho[::-1] * np.sin(down)]),
        ]
        if rf < rb:  # radial flank below the base circle
            seg.insert(0, np.array([[rf * math.cos(up[0]), rf * math.sin(up[0])]]))
            seg.append(np.array([[rf * math.cos(down[-1]), rf * math.sin(down[-1])]]))
        nxt = 2 * np.pi * (k + 1) / teeth - half[0]
        seg.append(arc(0, 0, rf, c + half[0], nxt, 3)[1:-1])
        pts.extend(seg)
    return np.vstack(pts)


def keyed_bore(d: float, key_w: float, key_depth: float, n: int = 48) -> np.ndarray:
    """Shaft bore with a keyway at +Y (DIN 6885 style), CCW, star-shaped."""
    r = d / 2
    half = math.asin(key_w / 2 / r)
    a0, a1 = np.pi / 2 + half, np.pi / 2 - half + 2 * np.pi
    body = arc(0, 0, r, a0, a1, n)
    top = r + key_depth
    key = np.array([[key_w / 2, top], [-key_w / 2, top]])
    return np.vstack([body, key])


def spur_gear(module_mm: float, teeth: int, face_mm: float, bore_mm: float) -> Solid:
    """Spur gear with keyed bore."""
    outer = gear_outline(module_mm, teeth)
    bore = keyed_bore(bore_mm, max(2.0, bore_mm / 4), bore_mm / 8)
    return _flat(ring_prism(outer, bore, face_mm))


def l_bracket(
    *,
    leg_a: float,
    leg_b: float,
    width: float,
    t: float,
    fillet: float,
    base_holes: Sequence[Drill] = (),
    wall_holes: Sequence[Drill] = (),
) -> Solid:
    """L-bracket: base leg along +X, upright along +Y (profile), width along Z.

    The inside corner carries a fillet; holes are drilled through the legs.
    """
    h = np.pi / 2
    outline = np.vstack(
        [
            [[0.0, 0.0], [leg_a, 0.0], [leg_a, t]],
            arc(t + fillet, t + fillet, fillet, -h, -np.pi, 8),
            [[t, leg_b], [0.0, leg_b]],
        ]
    )
    return _standing(prism(outline, [], width, [*base_holes, *wall_holes]))


def bracket_motor_mount() -> Solid:
    """Filler drive motor mount: 6 mm L-bracket, 4 holes + 2 slots."""
    w = 50.0
    base = [
        round_drill((x, 0.0), (0, 1), z, 8.5)
        for x in (32.0, 58.0)
        for z in (13.0, 37.0)
    ]
    wall = [
        Drill(entry=(0.0, y), direction=(1, 0), z=w / 2, section=slot(-6, 0, 6, 0, 3.3))
        for y in (30.0, 52.0)
    ]
    return l_bracket(
        leg_a=70, leg_b=64, width=w, t=6, fillet=6, base_holes=base, wall_holes=wall
    )


def bracket_photoeye() -> Solid:
    """Photo-eye bracket: light 3 mm angle with an adjustment slot."""
    base = [round_drill((22.0, 0.0), (0, 1), 12.5, 5.5)]
    wall = [
        Drill(
            entry=(0.0, 24.0), direction=(1, 0), z=12.5, section=slot(-4, 0, 8, 0, 2.2)
        )
    ]
    return l_bracket(
        leg_a=32, leg_b=40, width=25, t=3, fillet=3, base_holes=base, wall_holes=wall
    )


def sensor_mount_m18() -> Solid:
    """Capper infeed sensor mount for an M18 proximity sensor."""
    base = [
        Drill(entry=(x, 0.0), direction=(0, 1), z=17.5, section=slot(-5, 0, 5, 0, 3.3))
        for x in (20.0, 40.0)
    ]
    wall = [round_drill((0.0, 38.0), (1, 0), 17.5, 18.5)]
    return l_bracket(
        leg_a=52, leg_b=58, width=35, t=5, fillet=5, base_holes=base, wall_holes=wall
    )


def knob_knurled(d: float, h: float, bore: float) -> Solid:
    """Knurled clamping knob (revolved, 30 knurls), blind-free through bore."""
    r = d / 2
    prof = np.array(
        [
            [bore / 2, 0.0],
            [r - 1.5, 0.0],
            [r, 1.5],
            [r, h * 0.7],
            [r - 2.0, h * 0.85],
            [r * 0.55, h],
            [bore / 2 + 1.0, h],
            [bore / 2, h - 1.0],
        ]
    )
    n = 180
    ang = 2 * np.pi * np.arange(n) / n
    wave = 2 * np.abs(((ang * 30 / (2 * np.pi)) % 1.0) - 0.5)  # triangle 0..1
    mod = np.ones((len(prof), n))
    mod[2:4] = 1.0 - 0.06 * (1 - wave)
    return _flat(revolve(prof, n, mod))


def bushing_flanged() -> Solid:
    """Flanged sleeve bushing 12/18 x 25, flange 26 x 3, chamfered bore."""
    prof = np.array(
        [
            [6.6, 0.0],
            [13.0, 0.0],
            [13.0, 3.0],
            [9.0, 3.0],
            [9.0, 24.5],
            [8.5, 25.0],
            [6.6, 25.0],
            [6.0, 24.4],
            [6.0, 0.6],
        ]
    )
    return _flat(revolve(prof, 64))


def spacer_tube() -> Solid:
    """Spacer tube 16/8.4 x 30 with chamfers."""
    prof = np.array(
        [[4.2, 0.0], [7.5, 0.0], [8.0, 0.5], [8.0, 29.5], [7.5, 30.0], [4.2, 30.0]]
    )
    return _flat(revolve(prof, 64))


def u_cover(
    *,
    length: float,
    width: float,
    height: float,
    wall: float,
    vents: int,
    vent_len: float,
    side_holes: Sequence[float],
) -> Solid:
    """Thick-walled U guard (open bottom and ends) with vent slots and screw holes."""
    r, ri = 4.0, 2.0
    top_in = height - wall
    outline = np.vstack(
        [
            [[0.0, 0.0], [wall, 0.0]],
            arc(wall + ri, top_in - ri, ri, np.pi, np.pi / 2, 4),
            arc(width - wall - ri, top_in - ri, ri, np.pi / 2, 0.0, 4),
            [[width - wall, 0.0], [width, 0.0]],
            arc(width - r, height - r, r, 0.0, np.pi / 2, 6),
            arc(r, height - r, r, np.pi / 2, np.pi, 6),
        ]
    )
    pitch = length / vents
    drills = [
        Drill(
            entry=(width / 2, height),
            direction=(0, -1),
            z=pitch * (k + 0.5),
            section=slot(-vent_len / 2, 0, vent_len / 2, 0, 2.5),
        )
        for k in range(vents)
    ]
    for z in side_holes:
        drills.append(round_drill((0.0, 8.0), (1, 0), z, 5.5))
        drills.append(round_drill((width, 8.0), (-1, 0), z, 5.5))
    return _standing(prism(outline, [], length, drills))


def pipe_clamp(pipe_od: float) -> Solid:
    """Saddle clamp for a sanitary tube: half ring with two bolted feet."""
    ri = pipe_od / 2 + 0.3
    wall, foot, tf, w = 5.0, 20.0, 6.0, 25.0
    ro = ri + wall
    a_top = math.asin(tf / ro)
    outline = np.vstack(
        [
            [[-ro - foot, 0.0], [-ri, 0.0]],
            arc(0, 0, ri, np.pi, 0, 48)[1:-1],
            [[ri, 0.0], [ro + foot, 0.0], [ro + foot, tf]],
            arc(0, 0, ro, a_top, np.pi - a_top, 48),
            [[-ro - foot, tf]],
        ]
    )
    drills = [
        round_drill((s * (ro + foot / 2), 0.0), (0, 1), w / 2, 6.6) for s in (-1, 1)
    ]
    return _standing(prism(outline, [], w, drills))


def impeller() -> Solid:
    """Open impeller d70: back shroud, hub and six back-swept blades, D bore."""
    rb, rh, rt, tb = 35.0, 10.0, 33.0, 3.2
    n_bl, sweep = 6, 0.7
    bore = np.vstack([arc(0, 0, 4.0, -1.3, np.pi + 1.3, 24)])  # D-flat
    pts = []
    rr = np.linspace(rh, rt, 12)
    for k in range(n_bl):
        c = 2 * np.pi * k / n_bl
        cl = c + sweep * (rr - rh) / (rt - rh)
        w = (tb / 2) / rr
        side1 = np.column_stack([rr * np.cos(cl - w), rr * np.sin(cl - w)])
        side2 = np.column_stack([rr * np.cos(cl + w), rr * np.sin(cl + w)])[::-1]
        nxt = 2 * np.pi * (k + 1) / n_bl - (tb / 2) / rh
        hub = arc(0, 0, rh, c + (tb / 2) / rh, nxt, 6)[1:-1]
        pts += [side1, side2, hub]
    blades = np.vstack(pts)
    layers = [
        Layer(
            z0=0, z1=3, outer=("shroud", circle(0, 0, rb, 96)), holes=(("bore", bore),)
        ),
        Layer(z0=3, z1=16, outer=("blades", blades), holes=(("bore", bore),)),
        Layer(
            z0=16, z1=20, outer=("hub", circle(0, 0, 7.5, 48)), holes=(("bore", bore),)
        ),
    ]
    return _flat(stepped(layers))


def star_wheel(d: float, pockets: int, pocket_r: float, thick: float) -> Solid:
    """Bottle star wheel: plate with semicircular pockets, keyed bore, bolt holes."""
    rr = d / 2
    delta = 2 * math.asin(pocket_r / (2 * rr))  # rim angle from pocket centre to edge
    pitch = 2 * np.pi / pockets
    pts = []
    for k in range(pockets):
        c = pitch * (k + 0.5)  # rim, not a pocket, on the X and Y axes
        px, py = rr * math.cos(c), rr * math.sin(c)
        phi_in = c - np.pi / 2 - delta / 2
        pts.append(arc(px, py, pocket_r, phi_in, phi_in - np.pi + delta, 24))
        pts.append(arc(0, 0, rr, c + delta, c + pitch - delta, 6)[1:-1])
    outer = np.vstack(pts)
    holes = [keyed_bore(40.0, 12.0, 3.3)]
    holes += [
        circle(60 * math.cos(a), 60 * math.sin(a), 4.5, 24)
        for a in np.pi / 4 + np.pi / 2 * np.arange(4)
    ]
    holes += [
        slot(
            80 * math.cos(a - 0.18),
            80 * math.sin(a - 0.18),
            80 * math.cos(a + 0.18),
            80 * math.sin(a + 0.18),
            9.0,
            10,
        )
        for a in np.pi / 2 * np.arange(4)
    ]
    return _flat(prism(outer, holes, thick))


def guide_segment() -> Solid:
    """Infeed bottle guide: 75 deg arc plate with three bottle pockets, two slots."""
    r_in, r_out, pr = 70.0, 118.0, 16.0
    a0, a1 = 0.0, np.radians(75.0)
    da = 2 * math.asin(pr / (2 * r_out))
    pts = [arc(0, 0, r_in, a1, a0, 30)]
    cur = a0
    for c in np.radians([15.0, 37.5, 60.0]):
        pts.append(arc(0, 0, r_out, cur, c - da, 6))
        phi_in = c - np.pi / 2 - da / 2
        pc = (r_out * math.cos(c), r_out * math.sin(c))
        pts.append(arc(pc[0], pc[1], pr, phi_in, phi_in - np.pi + da, 18)[1:-1])
        cur = c + da
    pts.append(arc(0, 0, r_out, cur, a1, 6))
    outer = np.vstack(pts)
    holes = [
        slot(
            82 * math.cos(c - 0.05),
            82 * math.sin(c - 0.05),
            82 * math.cos(c + 0.05),
            82 * math.sin(c + 0.05),
            3.3,
        )
        for c in np.radians([26.0, 49.0])
    ]
    return _flat(prism(outer, holes, 10.0))


def chain_guide_rail() -> Solid:
    """Slat-chain wear strip / guide rail, 200 mm, T-profile, three screw holes."""
    prof = np.array(
        [
            [0.0, 0.0],
            [40.0, 0.0],
            [40.0, 6.0],
            [30.0, 6.0],
            [29.0, 7.0],
            [29.0, 16.0],
            [27.5, 17.5],
            [12.5, 17.5],
            [11.0, 16.0],
            [11.0, 7.0],
            [10.0, 6.0],
            [0.0, 6.0],
        ]
    )
    drills = [
        round_drill((x, 0.0), (0, 1), z, 5.5)
        for z in (20.0, 100.0, 180.0)
        for x in (5.0, 35.0)
    ]
    return _standing(prism(prof, [], 200.0, drills))


def conveyor_end_cap() -> Solid:
    """Roller end cap for a 50 mm conveyor tube with 6202 bearing seat."""
    prof = np.array(
        [
            [5.2, 0.0],
            [26.0, 0.0],
            [26.0, 3.0],
            [22.6, 3.0],
            [22.6, 16.0],
            [21.6, 17.0],
            [17.5, 17.0],
            [17.5, 5.0],
            [11.0, 5.0],
            [11.0, 14.5],
            [7.5, 14.5],
            [7.5, 5.5],
            [5.2, 4.0],
        ]
    )
    return _flat(revolve(prof, 96))


def cable_chain_link() -> Solid:
    """Cable-carrier link: open frame with pin bores through both side walls."""
    outer = np.array([[0.0, 0.0], [38.0, 0.0], [38.0, 30.0], [0.0, 30.0]])
    inner = np.array([[4.0, 6.0], [34.0, 6.0], [34.0, 24.0], [4.0, 24.0]])
    drills = [round_drill((0.0, y), (1, 0), 9.0, 5.0) for y in (10.0, 20.0)]
    drills += [round_drill((38.0, y), (-1, 0), 9.0, 5.0) for y in (10.0, 20.0)]
    return _flat(prism(outer, [inner], 18.0, drills))


def suction_cup_holder() -> Solid:
    """Case-erector suction cup holder: flange, hex boss, G1/4 bore."""
    bore = circle(0, 0, 5.6, 36)
    flange = rounded_rect(-22, -22, 22, 22, 5, 6)
    bolts = tuple(
        (f"b{i}", circle(x, y, 2.75, 20))
        for i, (x, y) in enumerate([(-15, -15), (15, -15), (15, 15), (-15, 15)])
    )
    hexa = circle(0, 0, 12.7, 6, np.pi / 6)
    layers = [
        Layer(z0=0, z1=5, outer=("flange", flange), holes=(("bore", bore), *bolts)),
        Layer(z0=5, z1=28, outer=("hex", hexa), holes=(("bore", bore),)),
    ]
    return _flat(stepped(layers))


def kidney(r_in: float, r_out: float, a0: float, a1: float, n: int = 12) -> np.ndarray:
    """Kidney-shaped (annular sector with round ends) pocket outline, CCW."""
    rm, rc = (r_in + r_out) / 2, (r_out - r_in) / 2
    end1 = arc(rm * math.cos(a1), rm * math.sin(a1), rc, a1, a1 + np.pi, 8)[1:-1]
    end0 = arc(rm * math.cos(a0), rm * math.sin(a0), rc, a0 + np.pi, a0 + 2 * np.pi, 8)
    return np.vstack(
        [arc(0, 0, r_out, a0, a1, n), end1, arc(0, 0, r_in, a1, a0, n), end0[1:-1]]
    )


def label_core_adaptor() -> Solid:
    """Label reel core adaptor 76 mm: flange, ribbed core with six blind pockets."""
    bore = circle(0, 0, 20.0, 64)
    flange = circle(0, 0, 62.0, 128)
    light = tuple(
        (f"l{i}", circle(50 * math.cos(a), 50 * math.sin(a), 6.0, 24))
        for i, a in enumerate(np.pi / 6 + 2 * np.pi / 3 * np.arange(3))
    )
    pockets = tuple(
        (f"p{i}", kidney(24.5, 33.0, a + 0.25, a + np.pi / 3 - 0.25))
        for i, a in enumerate(np.pi / 3 * np.arange(6))
    )
    n = 180
    ang = 2 * np.pi * np.arange(n) / n
    rib = (np.abs(((ang * 3 / (2 * np.pi)) % 1.0) - 0.5) < 0.03).astype(float)
    core_r = 37.4 + 0.8 * rib
    core = np.column_stack([core_r * np.cos(ang), core_r * np.sin(ang)])
    layers = [
        Layer(z0=0, z1=5, outer=("flange", flange), holes=(("bore", bore), *light)),
        Layer(z0=5, z1=62, outer=("core", core), holes=(("bore", bore), *pockets)),
    ]
    return _flat(stepped(layers))


def hinge_leaf() -> Solid:
    """Guard-door hinge leaf with knuckle and pin bore, two screw holes."""
    L, t, rk, length = 42.0, 3.5, 5.5, 50.0
    a_top = math.atan2(t - rk, math.sqrt(rk**2 - (t - rk) ** 2))
    outline = np.vstack(
        [
            [[0.0, 0.0], [L, 0.0], [L, t]],
            arc(0, rk, rk, a_top, -np.pi / 2 + 2 * np.pi, 40)[:-1],
        ]
    )
    pin = circle(0, rk, 2.6, 24)
    drills = [
        round_drill((x, 0.0), (0, 1), z, 4.5)
        for x in (20.0, 34.0)
        for z in (12.0, 38.0)
    ]
    return _standing(prism(outline, [pin], length, drills))


def handle_bow() -> Solid:
    """Guard-door pull handle: elliptic bow grip on two flat feet, M5 holes."""
    span, h, t, w, foot, hf = 160.0, 42.0, 12.0, 22.0, 20.0, 8.0
    inner = arc(span / 2, 0, span / 2 - foot - 10, np.pi, 0.0, 40)
    inner[:, 1] *= (h - t) / (span / 2 - foot - 10)
    outer = arc(span / 2, 0, span / 2 - foot, 0.0, np.pi, 40)
    outer[:, 1] = hf + outer[:, 1] * (h - hf) / (span / 2 - foot)
    outline = np.vstack(
        [[[0.0, 0.0]], inner, [[span, 0.0], [span, hf]], outer, [[0.0, hf]]]
    )
    drills = [
        round_drill((x, 0.0), (0, 1), w / 2, 5.5) for x in (foot / 2, span - foot / 2)
    ]
    return _standing(prism(outline, [], w, drills))


def rinser_nozzle() -> Solid:
    """Rinser spray nozzle: G1/4 spigot, hex collar, cone, 1.5 mm orifice."""
    prof = np.array(
        [
            [2.5, 0.0],
            [6.5, 0.0],
            [6.5, 10.0],
            [9.5, 10.0],
            [9.5, 16.0],
            [8.0, 17.0],
            [3.5, 30.0],
            [0.75, 30.0],
            [0.75, 27.5],
            [2.5, 22.0],
        ]
    )
    n = 72
    ang = 2 * np.pi * np.arange(n) / n
    sector = (ang + np.pi / 6) % (np.pi / 3) - np.pi / 6
    mod = np.ones((len(prof), n))
    mod[3:5] = math.cos(np.pi / 6) / np.cos(sector)  # hexagon, 16.5 mm across flats
    return _flat(revolve(prof, n, mod))


def wiper_blade() -> Solid:
    """TPU glue-scraper / wiper blade, 160 mm: round bead and a tapered lip."""
    bead = arc(6.0, 6.0, 6.0, np.pi / 2 + 0.45, np.pi / 2 + 2 * np.pi - 0.45, 60)
    lip = np.array(
        [[7.9, 24.0], [7.6, 38.0], [6.6, 40.0], [5.4, 40.0], [4.4, 38.0], [4.1, 24.0]]
    )
    return _standing(prism(np.vstack([bead, lip]), [], 160.0))


def vent_grille() -> Solid:
    """Control-cabinet vent grille 150 x 100 x 3: eight slots, four screw holes."""
    outer = rounded_rect(0, 0, 150, 100, 6, 6)
    holes = [slot(25, 18 + 9.2 * k, 125, 18 + 9.2 * k, 2.8, 8) for k in range(8)]
    holes += [circle(x, y, 2.2, 16) for x in (7.5, 142.5) for y in (7.5, 92.5)]
    return _flat(prism(outer, holes, 3.0))


#: STL file name -> builder. Sizes are those of the real parts they stand for.
STL_PARTS = {
    "bracket_motor_mount.stl": bracket_motor_mount,
    "bracket_photoeye.stl": bracket_photoeye,
    "sensor_mount_m18.stl": sensor_mount_m18,
    "knob_knurled_d40.stl": lambda: knob_knurled(40.0, 24.0, 6.2),
    "knob_knurled_d25.stl": lambda: knob_knurled(25.0, 16.0, 4.2),
    "gear_m2_z24.stl": lambda: spur_gear(2.0, 24, 12.0, 14.0),
    "gear_m1p5_z40.stl": lambda: spur_gear(1.5, 40, 10.0, 12.0),
    "gear_m3_z12.stl": lambda: spur_gear(3.0, 12, 20.0, 12.0),
    "bushing_flanged_d12.stl": bushing_flanged,
    "spacer_d16_l30.stl": spacer_tube,
    "cover_belt_guard.stl": lambda: u_cover(
        length=140,
        width=90,
        height=55,
        wall=3,
        vents=6,
        vent_len=50,
        side_holes=(20, 120),
    ),
    "cover_filler_guard_large.stl": lambda: u_cover(
        length=170,
        width=120,
        height=75,
        wall=3,
        vents=8,
        vent_len=70,
        side_holes=(20, 150),
    ),
    "pipe_clamp_d51.stl": lambda: pipe_clamp(50.8),
    "impeller_d70.stl": impeller,
    "star_wheel_d270.stl": lambda: star_wheel(270.0, 12, 30.0, 12.0),
    "guide_segment_infeed.stl": guide_segment,
    "chain_guide_rail_200.stl": chain_guide_rail,
    "conveyor_end_cap_d50.stl": conveyor_end_cap,
    "cable_chain_link.stl": cable_chain_link,
    "suction_cup_holder.stl": suction_cup_holder,
    "label_core_adaptor_76.stl": label_core_adaptor,
    "hinge_guard_door.stl": hinge_leaf,
    "handle_guard_door.stl": handle_bow,
    "nozzle_rinser.stl": rinser_nozzle,
    "wiper_blade_tpu.stl": wiper_blade,
    "vent_grille_150.stl": vent_grille,
}

# ---------------------------------------------------------------------------
# Catalog data
# ---------------------------------------------------------------------------

#: Fictional suppliers and their one region each.
SUPPLIERS = {
    "Kronberg Antriebstechnik": "EU",  # drives, motors, belts
    "Valtena Automazione": "EU",  # PLC, HMI, safety, cabinet parts
    "Nordsee Dichtungstechnik": "EU",  # seals, gaskets, CIP pump spares
    "Convoyeurs Lyonnais": "EU",  # conveyor chain, guides, small hardware
    "Helvetic Fill Systems": "EU",  # filler / capper / rinser OEM
    "Great Lakes Pneumatics": "NA",  # compressor, valves, vacuum
    "Carolina Case Packing": "NA",  # case packer, palletiser, wrapper OEM
    "Ontario Sensorics": "NA",  # sensors, encoders, process instruments
    "Brightway Mechatronics": "APAC",  # servos, special sensors (Shenzhen)
    "Hengli Precision Plastics": "APAC",  # change parts, brackets (Taizhou)
    "Osaka Seiko Bearing": "APAC",  # bearings, linear guides
    "Penang Labeltech": "APAC",  # labeller OEM spares
}

KRO, VAL, NOR, CON, HEL = (
    "Kronberg Antriebstechnik",
    "Valtena Automazione",
    "Nordsee Dichtungstechnik",
    "Convoyeurs Lyonnais",
    "Helvetic Fill Systems",
)
GLP, CAR, ONT = "Great Lakes Pneumatics", "Carolina Case Packing", "Ontario Sensorics"
BRI, HEN, OSA, PEN = (
    "Brightway Mechatronics",
    "Hengli Precision Plastics",
    "Osaka Seiko Bearing",
    "Penang Labeltech",
)

# part_id, description, unit_cost, annual_demand, lead_time_days, criticality,
# downtime_cost_per_day, supplier, extras
# extras: stl (file, material, lifetime, qualification, post-process h),
#         fill (target_fill_rate), oc (order_cost), ib (installed, mtbf_h[, op_h])
# fmt: off
PARTS: list[tuple] = [
    # --- printable plastic parts (STL in catalog/stl) ------------------------
    ("SP-10017", "Motor mount bracket, filler main drive (L 70x64, 6 mm)",
     68.0, 1.2, 126, "V", 8000, HEN,
     {"stl": ("bracket_motor_mount.stl", "PA-CF", 0.8, 100, 0.4)}),
    ("SP-10023", "Sensor mount M18, capper infeed",
     24.0, 2.0, 98, "E", 1200, HEN,
     {"stl": ("sensor_mount_m18.stl", "PETG", 1.0, 50, 0.2)}),
    ("SP-10029", "Photo-eye bracket, labeller bottle detection",
     14.0, 3.0, 84, "E", 900, BRI,
     {"stl": ("bracket_photoeye.stl", "PETG", 1.0, 0, 0.15)}),
    ("SP-10031", "Clamping knob D40 M6, guide rail adjustment",
     9.5, 4.0, 10, "D", None, CON,
     {"stl": ("knob_knurled_d40.stl", "PETG", 1.0, 0, 0.1), "fill": 0.85}),
    ("SP-10034", "Clamping knob D25 M4, label web guide",
     6.8, 3.0, 10, "D", None, CON,
     {"stl": ("knob_knurled_d25.stl", "PLA", 1.0, 0, 0.1)}),
    ("SP-10045", "Spur gear m2 z24, labeller glue roller drive",
     85.0, 1.5, 140, "V", 6000, PEN,
     {"stl": ("gear_m2_z24.stl", "PA-CF", 0.6, 250, 0.5)}),
    ("SP-10052", "Spur gear m1.5 z40, date coder ribbon feed",
     64.0, 0.8, 35, "E", 800, HEL,
     {"stl": ("gear_m1p5_z40.stl", "PA-CF", 0.6, 400, 0.4)}),
    ("SP-10068", "Pinion m3 z12, case packer flap folder",
     120.0, 2.5, 63, "E", 1500, CAR,
     {"stl": ("gear_m3_z12.stl", "PA-CF", 0.35, 800, 0.6)}),
    ("SP-10074", "Flanged bushing 12/18x25, conveyor idler",
     9.0, 12.0, 14, "D", 40, CON,
     {"stl": ("bushing_flanged_d12.stl", "PA12", 0.5, 0, 0.1), "oc": 25}),
    ("SP-10081", "Spacer tube 16/8.4x30, conveyor side guide",
     4.2, 8.0, 7, "D", None, CON,
     {"stl": ("spacer_d16_l30.stl", "PETG", 1.0, 0, 0.1), "oc": 15}),
    ("SP-10099", "Belt guard cover 140 mm, infeed conveyor drive",
     145.0, 0.3, 42, "E", 400, CON,
     {"stl": ("cover_belt_guard.stl", "PETG", 1.0, 0, 0.5)}),
    ("SP-10103", "Tube saddle clamp 51 mm (2 in), CIP supply line",
     18.0, 4.0, 21, "E", 300, NOR,
     {"stl": ("pipe_clamp_d51.stl", "PA12", 0.7, 120, 0.3)}),
    ("SP-10116", "Impeller D70, rinser air knife blower",
     210.0, 0.5, 150, "E", 2500, BRI,
     {"stl": ("impeller_d70.stl", "PA12", 0.5, 1400, 1.0)}),
    ("SP-10122", "Star wheel D270 12-pocket, filler infeed 0.5 L PET",
     680.0, 0.6, 126, "V", 15000, HEN,
     {"stl": ("star_wheel_d270.stl", "PETG", 0.7, 500, 1.0), "fill": 0.98}),
    ("SP-10139", "Infeed guide segment, 3 pockets, filler",
     95.0, 1.0, 112, "V", 9000, HEN,
     {"stl": ("guide_segment_infeed.stl", "PETG", 0.8, 300, 0.5)}),
    ("SP-10140", "Chain guide rail / wear strip 200 mm, slat conveyor",
     32.0, 6.0, 28, "E", 600, CON,
     {"stl": ("chain_guide_rail_200.stl", "PA12", 0.3, 200, 0.3)}),
    ("SP-10157", "Roller end cap D50 with 6202 seat, gravity conveyor",
     6.0, 10.0, 84, "D", 50, HEN,
     {"stl": ("conveyor_end_cap_d50.stl", "PETG", 1.0, 0, 0.1)}),
    ("SP-10163", "Cable chain link 38 mm, palletiser hoist",
     3.5, 20.0, 14, "D", None, CON,
     {"stl": ("cable_chain_link.stl", "PETG", 0.8, 0, 0.1), "oc": 40}),
    ("SP-10171", "Suction cup holder G1/4, case erector",
     27.0, 6.0, 49, "E", 700, CAR,
     {"stl": ("suction_cup_holder.stl", "PA12", 0.8, 100, 0.25)}),
    ("SP-10188", "Label reel core adaptor 76 mm, labeller unwind",
     55.0, 1.2, 112, "E", 2500, PEN,
     {"stl": ("label_core_adaptor_76.stl", "PETG", 1.0, 150, 0.5)}),
    ("SP-10194", "Hinge leaf, guard door",
     16.0, 2.0, 21, "D", None, CON,
     {"stl": ("hinge_guard_door.stl", "PETG", 0.9, 0, 0.2)}),
    ("SP-10205", "Pull handle 160 mm, guard door",
     22.0, 1.0, 21, "D", None, CON,
     {"stl": ("handle_guard_door.stl", "PETG", 1.0, 0, 0.2)}),
    ("SP-10211", "Spray nozzle G1/4 1.5 mm, bottle rinser",
     48.0, 8.0, 35, "E", 500, HEL,
     {"stl": ("nozzle_rinser.stl", "PA12", 0.5, 450, 0.3)}),
    ("SP-10226", "Wiper blade TPU 160 mm, labeller glue scraper",
     38.0, 12.0, 98, "E", 1800, PEN,
     {"stl": ("wiper_blade_tpu.stl", "TPU", 0.5, 100, 0.2), "ib": (4, 1500, 6000)}),
    ("SP-10232", "Vent grille 150x100, control cabinet",
     14.0, 0.5, 21, "D", None, VAL,
     {"stl": ("vent_grille_150.stl", "ASA", 1.0, 0, 0.1)}),
    ("SP-10249", "Guard cover 170 mm, filler bowl drive",
     95.0, 0.4, 10, "E", 300, HEL,
     {"stl": ("cover_filler_guard_large.stl", "PETG", 1.0, 250, 0.8)}),
    # --- drives, motors, control --------------------------------------------
    ("SP-20011", "Frequency inverter (VFD) 7.5 kW 400 V, filler main drive",
     1800.0, None, 42, "V", 12000, KRO, {"ib": (22, 175000)}),
    ("SP-20012", "Frequency inverter (VFD) 2.2 kW, conveyor sections",
     690.0, 1.0, 28, "E", 1500, KRO, {"ib": (38, 180000)}),
    ("SP-20024", "PLC CPU 1516-class, line controller",
     3900.0, 0.1, 84, "V", 20000, VAL, {"fill": 0.995}),
    ("SP-20025", "PLC digital input module 32 DI", 420.0, 0.4, 35, "E", 2000, VAL, {}),
    ("SP-20026", "PLC analog input module 8 AI", 610.0, 0.2, 35, "E", 2000, VAL, {}),
    ("SP-20027", "PLC power supply 24 V 10 A", 290.0, 0.3, 21, "E", 1500, VAL, {}),
    ("SP-20031", "HMI touch panel 15 in, filler", 2650.0, 0.15, 56, "E", 1500, VAL, {}),
    ("SP-20038", "Profinet switch 8-port managed", 540.0, 0.2, 28, "E", 1000, VAL, {}),
    ("SP-20042", "Servo motor 1.5 kW, capper head",
     2400.0, 0.35, 154, "V", 12000, BRI, {}),
    ("SP-20043", "Servo drive 3 kW, capper turret",
     1950.0, 0.25, 140, "V", 12000, BRI, {}),
    ("SP-20047", "Gear motor 0.75 kW i=20, conveyor",
     780.0, 0.6, 35, "E", 1200, KRO, {}),
    ("SP-20051", "Induction motor 7.5 kW IE3, CIP supply pump",
     980.0, 0.2, 28, "E", 1500, KRO, {}),
    ("SP-20055", "Stepper motor with driver, labeller vacuum drum",
     860.0, 0.3, 119, "V", 9000, PEN, {}),
    # --- bearings ------------------------------------------------------------
    ("SP-30101", "Deep-groove ball bearing 6204-2RS",
     8.5, 12.0, 91, "E", 300, OSA, {"ib": (96, 40000)}),
    ("SP-30102", "Deep-groove ball bearing 6205-2RS", 11.0, 6.0, 91, "D", 80, OSA, {}),
    ("SP-30105", "Pillow block bearing UCP 205", 25.0, 3.0, 105, "D", 80, OSA, {}),
    ("SP-30108", "Stainless bearing S6204 food grade, filler carousel",
     42.0, 2.0, 112, "E", 1200, OSA, {}),
    ("SP-30112", "Linear guide carriage size 20, palletiser",
     165.0, 0.3, 120, "E", 900, OSA, {}),
    # --- seals ---------------------------------------------------------------
    ("SP-40201", "Filling valve seal kit EPDM (one valve)",
     45.0, 24.0, 21, "V", 5000, HEL, {"ib": (40, 9000)}),
    ("SP-40202", "Capper chuck insert, 38 mm closures",
     29.0, None, 28, "V", 3000, HEL, {"ib": (12, 4500, 6000)}),
    ("SP-40205", "Mechanical seal 35 mm, CIP supply pump",
     310.0, 0.8, 28, "V", 7000, NOR, {}),
    ("SP-40207", "O-ring kit, CIP valve cluster", 38.0, 5.0, 14, "D", 60, NOR, {}),
    ("SP-40209", "Plate heat-exchanger gasket set, CIP heater",
     1450.0, 0.2, 49, "V", 9000, NOR, {}),
    ("SP-40211", "Butterfly valve seal DN50, hygienic",
     22.0, 6.0, 14, "D", 60, NOR, {}),
    ("SP-40215", "Diaphragm valve membrane DN25", 68.0, 3.0, 21, "D", 50, NOR, {}),
    # --- pneumatics & compressed air -----------------------------------------
    ("SP-50301", "Solenoid valve 5/2 24 V DC",
     95.0, 5.0, 42, "E", 800, GLP, {"ib": (80, 70000)}),
    ("SP-50303", "Pneumatic cylinder D32x100", 140.0, 1.5, 35, "D", 70, GLP, {}),
    ("SP-50305", "Vacuum ejector, case erector", 185.0, 0.7, 49, "E", 700, GLP, {}),
    ("SP-50307", "Suction cup D40 NBR bellows",
     7.5, None, 35, "E", 150, GLP, {"ib": (32, 3500), "oc": 35}),
    ("SP-50311", "Compressor intake filter element", 58.0, 4.0, 21, "D", 100, GLP, {}),
    ("SP-50312", "Compressor oil separator", 240.0, 1.0, 35, "E", 600, GLP, {}),
    ("SP-50313", "Compressor minimum pressure valve kit",
     165.0, 0.3, 56, "E", 2000, GLP, {}),
    ("SP-50314", "Compressor inlet (unloader) valve",
     890.0, 0.15, 70, "V", 15000, GLP, {}),
    ("SP-50316", "Refrigerated dryer condensate drain",
     120.0, 0.5, 42, "D", 50, GLP, {}),
    ("SP-50318", "Compressor air-end bearing kit",
     1350.0, 0.1, 70, "V", 15000, GLP, {}),
    # --- sensors & instruments -----------------------------------------------
    ("SP-60401", "Photoelectric sensor retro-reflective M18",
     89.0, 3.0, 49, "E", 700, ONT, {"ib": (64, 120000)}),
    ("SP-60402", "Inductive proximity sensor M12",
     38.0, None, 49, "E", 400, ONT, {"ib": (120, 250000)}),
    ("SP-60405", "Incremental encoder 1024 ppr, filler carousel",
     320.0, 0.4, 56, "E", 1800, ONT, {}),
    ("SP-60407", "Fill-height sensor (fibre optic), filler outfeed",
     450.0, 0.3, 182, "V", 10000, BRI, {}),
    ("SP-60409", "Pressure transmitter 0-10 bar", 380.0, 0.3, 35, "E", 500, ONT, {}),
    ("SP-60411", "PT100 temperature sensor, CIP return",
     145.0, 0.6, 28, "E", 1500, ONT, {}),
    ("SP-60413", "Conductivity sensor, CIP caustic",
     1250.0, 0.2, 63, "V", 8000, ONT, {}),
    ("SP-60415", "Magnetic-inductive flow meter DN25, filler",
     1650.0, 0.1, 70, "V", 15000, ONT, {}),
    ("SP-60418", "Label gap sensor, labeller", 260.0, 0.5, 133, "V", 7000, PEN, {}),
    ("SP-60420", "Safety light curtain 600 mm, palletiser",
     1150.0, 0.1, 56, "V", 10000, VAL, {}),
    ("SP-60421", "Safety relay module", 185.0, 0.2, 14, "E", 1500, VAL, {}),
    # --- electrical ----------------------------------------------------------
    ("SP-70501", "Contactor 18 A, 24 V DC coil", 48.0, 1.5, 7, "D", None, VAL, {}),
    ("SP-70502", "Motor protection breaker 6-10 A", 72.0, 1.0, 7, "D", None, VAL, {}),
    ("SP-70505", "Power supply 24 V 20 A, control cabinet",
     320.0, 0.3, 14, "E", 1200, VAL, {}),
    ("SP-70508", "LED stack light 3-colour", 110.0, 0.2, 21, "D", None, VAL, {}),
    ("SP-70511", "UPS battery pack, control cabinet",
     260.0, 0.33, 21, "D", 30, VAL, {}),
    ("SP-70513", "Fuse 10x38 gG 10 A (box of 10)",
     18.0, 2.0, 3, "D", None, VAL, {"fill": 0.8}),
    # --- conveyors, OEM mechanical -------------------------------------------
    ("SP-80601", "Slat-top chain LF 820, 1 m", 52.0, 14.0, 35, "E", 600, CON, {}),
    ("SP-80603", "Sprocket z25 for LF 820 chain", 65.0, 1.0, 35, "D", 90, CON, {}),
    ("SP-80605", "Timing belt HTD 8M-1200-30, case packer",
     145.0, 1.0, 56, "E", 900, CAR, {}),
    ("SP-80607", "V-belt SPA 1250", 14.0, 4.0, 10, "D", None, KRO, {"oc": 20}),
    ("SP-80609", "Palletiser layer gripper vacuum pad",
     320.0, 1.0, 63, "E", 1200, CAR, {}),
    ("SP-80611", "Palletiser chain transfer roller", 185.0, 0.5, 70, "D", 80, CAR, {}),
    ("SP-80613", "Case packer gripper finger set", 480.0, 0.5, 70, "V", 6000, CAR, {}),
    ("SP-80615", "Labeller glue pump",
     1380.0, 0.2, 154, "V", 12000, PEN, {"fill": 0.995}),
    ("SP-80617", "Labeller vacuum drum pad set", 240.0, 1.0, 126, "E", 2500, PEN, {}),
    ("SP-80619", "Capper magnetic clutch", 870.0, 0.3, 49, "V", 9000, HEL, {}),
    ("SP-80621", "Filler centring tulip", 120.0, 2.0, 42, "E", 2200, HEL, {}),
    ("SP-80623", "Filling valve spring set", 15.0, 5.0, 21, "E", 250, HEL, {"oc": 30}),
    ("SP-80625", "CIP supply pump impeller, stainless",
     540.0, 0.1, 42, "V", 8000, NOR, {}),
    ("SP-80627", "Case sealer tape head blade", 24.0, 6.0, 42, "D", None, CAR, {}),
    ("SP-80629", "Shrink tunnel heater element 3 kW",
     310.0, 0.6, 70, "D", 100, CAR, {}),
    ("SP-80631", "Stretch wrapper pre-stretch roller",
     650.0, 0.15, 84, "D", 90, CAR, {}),
]
# fmt: on


COLUMNS = (
    "part_id",
    "description",
    "unit_cost",
    "annual_demand",
    "lead_time_days",
    "criticality",
    "target_fill_rate",
    "downtime_cost_per_day",
    "holding_rate",
    "order_cost",
    "on_hand",
    "on_order",
    "supplier",
    "supplier_region",
    "lead_time_std_days",
    "stl_file",
    "printable",
    "am_material",
    "am_lifetime_ratio",
    "am_qualification_cost",
    "post_process_hours",
    "installed_quantity",
    "mtbf_hours",
    "operating_hours_per_year",
)

#: Demand-history generators: part_id -> (events per year, mean extra units per
#: event beyond the first). Smooth: frequent, single units; lumpy: rare, big.
HISTORY = {
    "SP-30101": (11.0, 0.1),  # smooth
    "SP-50307": (30.0, 0.5),  # smooth
    "SP-10163": (9.0, 1.2),  # smooth-ish batches
    "SP-40201": (20.0, 0.2),  # smooth
    "SP-50311": (4.0, 0.0),  # smooth-ish, service intervals
    "SP-10226": (10.0, 0.3),  # smooth
    "SP-10211": (4.0, 1.0),  # erratic
    "SP-80621": (1.8, 0.1),  # intermittent
    "SP-60401": (2.6, 0.1),  # intermittent
    "SP-20012": (0.9, 0.0),  # intermittent
    "SP-10017": (1.0, 0.2),  # intermittent
    "SP-80601": (2.0, 5.0),  # lumpy: chain replaced by the metre
    "SP-10140": (1.4, 3.0),  # lumpy: a whole rail run at once
    "SP-40207": (1.5, 2.0),  # lumpy
    "SP-10074": (2.5, 3.5),  # lumpy
}
HISTORY_START, HISTORY_END = "2023-11-01", "2026-10-31"


def _num(x: float | None, digits: int = 2) -> str:
    """Fixed, locale-free number text ('' for None)."""
    if x is None:
        return ""
    txt = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if txt in ("-0", "") else txt


def part_rows() -> list[dict[str, str]]:
    """The parts table, one dict per row, in catalog order."""
    rng = np.random.default_rng(SEED)
    rows = []
    for pid, desc, cost, demand, lt, crit, dt, supplier, extra in PARTS:
        region = SUPPLIERS[supplier]
        ib = extra.get("ib")
        rate = demand if demand is not None else ib[0] * 5256.0 / ib[1]
        lt_demand = rate * lt / 365.0
        lam = max(0.3, 0.8 * lt_demand + (0.6 if crit == "V" else 0.2))
        on_hand = int(rng.poisson(lam))
        on_order = int(rng.random() < 0.2) * max(1, round(lt_demand / 2))
        spread = 0.3 if region == "APAC" else 0.2
        lt_std = round(lt * float(rng.uniform(0.08, spread)), 1)
        electronic = pid[3] in "267"
        hold = 0.3 if electronic else float(rng.choice([0.2, 0.22, 0.25, 0.28]))
        stl = extra.get("stl")
        row = {
            "part_id": pid,
            "description": desc,
            "unit_cost": _num(cost),
            "annual_demand": _num(demand),
            "lead_time_days": _num(lt),
            "criticality": crit,
            "target_fill_rate": _num(extra.get("fill"), 3),
            "downtime_cost_per_day": _num(dt),
            "holding_rate": _num(hold),
            "order_cost": _num(extra.get("oc", 0.0)),
            "on_hand": str(on_hand),
            "on_order": str(on_order),
            "supplier": supplier,
            "supplier_region": region,
            "lead_time_std_days": _num(lt_std, 1),
            "stl_file": stl[0] if stl else "",
            "printable": "true" if stl else "false",
            "am_material": stl[1] if stl else "",
            "am_lifetime_ratio": _num(stl[2]) if stl else "",
            "am_qualification_cost": _num(stl[3]) if stl else "",
            "post_process_hours": _num(stl[4]) if stl else "",
            "installed_quantity": _num(ib[0]) if ib else "",
            "mtbf_hours": _num(ib[1]) if ib else "",
            "operating_hours_per_year": _num(ib[2]) if ib and len(ib) > 2 else "",
        }
        rows.append(row)
    return rows


def history_rows() -> list[tuple[str, str, int]]:
    """Daily demand events (only days with demand), compound Poisson per part."""
    days = np.arange(
        np.datetime64(HISTORY_START),
        np.datetime64(HISTORY_END) + 1,
        dtype="datetime64[D]",
    )
    out = []
    for k, (pid, (events_per_year, extra)) in enumerate(sorted(HISTORY.items())):
        rng = np.random.default_rng([SEED, k])
        n_events = rng.poisson(events_per_year / 365.0, size=len(days))
        qty = n_events + rng.poisson(extra * n_events)
        hit = np.nonzero(qty > 0)[0]
        out += [(pid, str(days[i]), int(qty[i])) for i in hit]
    return out


PRINTERS = [
    {
        "printer_id": "P1",
        "model": "Prusa MK4-class desktop",
        "process": "FFF",
        "build_x_mm": "250",
        "build_y_mm": "210",
        "build_z_mm": "220",
        "nozzle_mm": "0.4",
        "hourly_rate": "3.5",
        "hours_available_per_week": "100",
        "materials": "PLA;PETG;TPU",
        "profile": "mk4_petg_0.2.ini",
    },
    {
        "printer_id": "P2",
        "model": "Enclosed CoreXY (Bambu X1C-class)",
        "process": "FFF",
        "build_x_mm": "256",
        "build_y_mm": "256",
        "build_z_mm": "256",
        "nozzle_mm": "0.4",
        "hourly_rate": "5",
        "hours_available_per_week": "120",
        "materials": "PLA;PETG;ASA;PA-CF;PA12;TPU",
        "profile": "corexy_asa_0.2.ini",
    },
    {
        "printer_id": "P3",
        "model": "Large-format (Raise3D Pro3 Plus-class)",
        "process": "FFF",
        "build_x_mm": "300",
        "build_y_mm": "300",
        "build_z_mm": "605",
        "nozzle_mm": "0.6",
        "hourly_rate": "8",
        "hours_available_per_week": "80",
        "materials": "PLA;PETG;ASA",
        "profile": "largeformat_petg_0.3.ini",
    },
]

MATERIALS = [
    ("PLA", 1.24, 25),
    ("PETG", 1.27, 28),
    ("ASA", 1.07, 35),
    ("ABS", 1.04, 30),
    ("PA12", 1.01, 60),
    ("PA-CF", 1.15, 90),
    ("TPU", 1.21, 45),
]


def _profile_common() -> dict[str, str]:
    return {
        "avoid_crossing_perimeters": "0",
        "bottom_fill_pattern": "monotonic",
        "bridge_acceleration": "0",
        "brim_width": "0",
        "complete_objects": "0",
        "cooling": "1",
        "default_acceleration": "0",
        "ensure_vertical_shell_thickness": "1",
        "extrusion_multiplier": "1",
        "fill_angle": "45",
        "first_layer_acceleration": "0",
        "gap_fill_enabled": "1",
        "gcode_flavor": "marlin2",
        "infill_acceleration": "0",
        "infill_every_layers": "1",
        "infill_overlap": "25%",
        "ironing": "0",
        "machine_limits_usage": "time_estimate_only",
        "machine_max_acceleration_e": "5000,5000",
        "machine_max_acceleration_z": "200,200",
        "machine_max_feedrate_e": "120,120",
        "machine_max_feedrate_z": "12,12",
        "machine_max_jerk_e": "2.5,2.5",
        "machine_max_jerk_z": "0.4,0.4",
        "min_print_speed": "15",
        "perimeter_acceleration": "0",
        "perimeter_generator": "classic",
        "printer_technology": "FFF",
        "raft_layers": "0",
        "retract_layer_change": "1",
        "retract_lift": "0.2",
        "seam_position": "aligned",
        "skirts": "1",
        "support_material_auto": "1",
        "thin_walls": "0",
        "top_fill_pattern": "monotonic",
        "use_relative_e_distances": "1",
        "wipe": "0",
        "z_offset": "0",
    }


PROFILES: dict[str, dict[str, str]] = {
    # Desktop bed slinger, PETG: MK4 input-shaper class limits, anchor-style keys.
    "mk4_petg_0.2.ini": {
        "bed_shape": "0x0,250x0,250x210,0x210",
        "max_print_height": "220",
        "nozzle_diameter": "0.4",
        "filament_type": "PETG",
        "filament_diameter": "1.75",
        "filament_density": "1.27",
        "filament_cost": "28",
        "filament_max_volumetric_speed": "10",
        "temperature": "240",
        "first_layer_temperature": "230",
        "bed_temperature": "90",
        "first_layer_bed_temperature": "85",
        "layer_height": "0.2",
        "first_layer_height": "0.2",
        "perimeters": "2",
        "top_solid_layers": "5",
        "bottom_solid_layers": "4",
        "fill_density": "20%",
        "fill_pattern": "gyroid",
        "extrusion_width": "0.45",
        "first_layer_extrusion_width": "0.5",
        "perimeter_extrusion_width": "0.45",
        "external_perimeter_extrusion_width": "0.45",
        "infill_extrusion_width": "0.45",
        "solid_infill_extrusion_width": "0.45",
        "top_infill_extrusion_width": "0.42",
        "perimeter_speed": "120",
        "external_perimeter_speed": "70",
        "small_perimeter_speed": "50",
        "infill_speed": "150",
        "solid_infill_speed": "120",
        "top_solid_infill_speed": "80",
        "gap_fill_speed": "50",
        "bridge_speed": "40",
        "support_material_speed": "90",
        "travel_speed": "250",
        "travel_speed_z": "12",
        "first_layer_speed": "30",
        "machine_max_acceleration_extruding": "4000,2500",
        "machine_max_acceleration_retracting": "1200,1200",
        "machine_max_acceleration_travel": "4000,2500",
        "machine_max_acceleration_x": "4000,2500",
        "machine_max_acceleration_y": "4000,2500",
        "machine_max_feedrate_x": "300,200",
        "machine_max_feedrate_y": "300,200",
        "machine_max_jerk_x": "8,8",
        "machine_max_jerk_y": "8,8",
        "retract_length": "0.8",
        "retract_speed": "35",
        "deretract_speed": "25",
        "retract_before_travel": "1.5",
        "support_material": "0",
        "support_material_threshold": "50",
        "fan_always_on": "1",
        "min_fan_speed": "30",
        "max_fan_speed": "50",
        "fan_below_layer_time": "30",
        "slowdown_below_layer_time": "15",
    },
    # Enclosed CoreXY, ASA: high accelerations and speeds, percentages as saved.
    "corexy_asa_0.2.ini": {
        "bed_shape": "0x0,256x0,256x256,0x256",
        "max_print_height": "256",
        "nozzle_diameter": "0.4",
        "filament_type": "ASA",
        "filament_diameter": "1.75",
        "filament_density": "1.07",
        "filament_cost": "35",
        "filament_max_volumetric_speed": "18",
        "temperature": "260",
        "first_layer_temperature": "260",
        "bed_temperature": "100",
        "first_layer_bed_temperature": "100",
        "layer_height": "0.2",
        "first_layer_height": "0.2",
        "perimeters": "3",
        "top_solid_layers": "5",
        "bottom_solid_layers": "4",
        "fill_density": "25%",
        "fill_pattern": "grid",
        "extrusion_width": "0.42",
        "first_layer_extrusion_width": "0.5",
        "perimeter_extrusion_width": "0.45",
        "external_perimeter_extrusion_width": "0.42",
        "infill_extrusion_width": "0.45",
        "solid_infill_extrusion_width": "0.42",
        "top_infill_extrusion_width": "0.42",
        "perimeter_speed": "200",
        "external_perimeter_speed": "50%",
        "small_perimeter_speed": "50%",
        "infill_speed": "270",
        "solid_infill_speed": "250",
        "top_solid_infill_speed": "60%",
        "gap_fill_speed": "100",
        "bridge_speed": "50",
        "support_material_speed": "150",
        "travel_speed": "500",
        "travel_speed_z": "20",
        "first_layer_speed": "50",
        "machine_max_acceleration_extruding": "12000,10000",
        "machine_max_acceleration_retracting": "5000,5000",
        "machine_max_acceleration_travel": "20000,12000",
        "machine_max_acceleration_x": "20000,12000",
        "machine_max_acceleration_y": "20000,12000",
        "machine_max_feedrate_x": "500,300",
        "machine_max_feedrate_y": "500,300",
        "machine_max_jerk_x": "9,9",
        "machine_max_jerk_y": "9,9",
        "retract_length": "0.8",
        "retract_speed": "40",
        "deretract_speed": "30",
        "retract_before_travel": "2",
        "support_material": "0",
        "support_material_threshold": "45",
        "fan_always_on": "0",
        "min_fan_speed": "10",
        "max_fan_speed": "40",
        "fan_below_layer_time": "20",
        "slowdown_below_layer_time": "4",
    },
    # Large-format, 0.6 mm nozzle, 0.3 mm layers, PETG: slow and heavy gantry.
    "largeformat_petg_0.3.ini": {
        "bed_shape": "0x0,300x0,300x300,0x300",
        "max_print_height": "605",
        "nozzle_diameter": "0.6",
        "filament_type": "PETG",
        "filament_diameter": "1.75",
        "filament_density": "1.27",
        "filament_cost": "28",
        "filament_max_volumetric_speed": "14",
        "temperature": "245",
        "first_layer_temperature": "240",
        "bed_temperature": "80",
        "first_layer_bed_temperature": "80",
        "layer_height": "0.3",
        "first_layer_height": "0.3",
        "perimeters": "2",
        "top_solid_layers": "4",
        "bottom_solid_layers": "3",
        "fill_density": "15%",
        "fill_pattern": "rectilinear",
        "extrusion_width": "0.68",
        "first_layer_extrusion_width": "0.72",
        "perimeter_extrusion_width": "0.68",
        "external_perimeter_extrusion_width": "0.65",
        "infill_extrusion_width": "0.7",
        "solid_infill_extrusion_width": "0.68",
        "top_infill_extrusion_width": "0.65",
        "perimeter_speed": "50",
        "external_perimeter_speed": "35",
        "small_perimeter_speed": "25",
        "infill_speed": "70",
        "solid_infill_speed": "50",
        "top_solid_infill_speed": "30",
        "gap_fill_speed": "25",
        "bridge_speed": "25",
        "support_material_speed": "45",
        "travel_speed": "150",
        "travel_speed_z": "8",
        "first_layer_speed": "20",
        "machine_max_acceleration_extruding": "1500,1000",
        "machine_max_acceleration_retracting": "1000,1000",
        "machine_max_acceleration_travel": "1500,1000",
        "machine_max_acceleration_x": "1500,1000",
        "machine_max_acceleration_y": "1500,1000",
        "machine_max_feedrate_x": "250,200",
        "machine_max_feedrate_y": "250,200",
        "machine_max_jerk_x": "10,10",
        "machine_max_jerk_y": "10,10",
        "retract_length": "1",
        "retract_speed": "40",
        "deretract_speed": "30",
        "retract_before_travel": "3",
        "support_material": "0",
        "support_material_threshold": "55",
        "fan_always_on": "1",
        "min_fan_speed": "20",
        "max_fan_speed": "40",
        "fan_below_layer_time": "30",
        "slowdown_below_layer_time": "20",
    },
}

SCENARIOS: dict[str, dict] = {
    "baseline.json": {
        "name": "Baseline (no disruption)",
        "horizon_days": 365,
        "events": [],
    },
    "apac_outage_10_weeks.json": {
        "name": "APAC outage 10 weeks",
        "horizon_days": 365,
        "events": [
            {
                "type": "supplier_outage",
                "supplier_region": "APAC",
                "start_day": 30,
                "duration_days": 70,
            }
        ],
    },
    "eu_random_outages.json": {
        "name": "Random EU and NA outages",
        "horizon_days": 365,
        "events": [
            {
                "type": "random_outages",
                "supplier_region": "EU",
                "rate_per_year": 0.5,
                "duration_days": 21,
            },
            {
                "type": "random_outages",
                "supplier_region": "NA",
                "rate_per_year": 0.3,
                "duration_days": 30,
                "duration_distribution": "exponential",
            },
        ],
    },
    "lead_times_double.json": {
        "name": "APAC lead times double",
        "horizon_days": 365,
        "events": [
            {"type": "lead_time_multiplier", "supplier_region": "APAC", "factor": 2.0}
        ],
    },
    "vital_demand_surge.json": {
        "name": "Demand surge on vital parts (1.5x for 90 days)",
        "horizon_days": 365,
        "events": [
            {
                "type": "demand_surge",
                "criticality": "V",
                "factor": 1.5,
                "start_day": 0,
                "duration_days": 90,
            }
        ],
    },
    "printer_p2_down.json": {
        "name": "Printer P2 down for 30 days",
        "horizon_days": 365,
        "events": [
            {
                "type": "printer_down",
                "printer_id": "P2",
                "start_day": 100,
                "duration_days": 30,
            }
        ],
    },
}


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _ini_text(name: str, settings: dict[str, str]) -> str:
    merged = {**_profile_common(), **settings}
    lines = [f"# generated by PrusaSlicer 2.7.4 on 2026-11-25 at 09:00:00 UTC ({name})"]
    lines += [f"{k} = {merged[k]}" for k in sorted(merged)]
    return "\n".join(lines) + "\n"


def build_files() -> dict[str, bytes]:
    """Every generated file, relative path -> bytes."""
    files: dict[str, bytes] = {}
    rows = part_rows()
    files["parts.csv"] = _csv_text(
        COLUMNS, [[r[c] for c in COLUMNS] for r in rows]
    ).encode()
    files["demand_history.csv"] = _csv_text(
        ("part_id", "date", "quantity"), [(p, d, str(q)) for p, d, q in history_rows()]
    ).encode()
    pcols = list(PRINTERS[0])
    files["printers.csv"] = _csv_text(
        pcols, [[p[c] for c in pcols] for p in PRINTERS]
    ).encode()
    files["materials.csv"] = _csv_text(
        ("material", "density_g_cm3", "cost_per_kg"),
        [(m, _num(d), _num(c)) for m, d, c in MATERIALS],
    ).encode()
    for name, settings in PROFILES.items():
        files[f"profiles/{name}"] = _ini_text(name, settings).encode()
    for name, scenario in SCENARIOS.items():
        files[f"scenarios/{name}"] = (json.dumps(scenario, indent=2) + "\n").encode()
    for name, builder in STL_PARTS.items():
        v, f = builder()
        files[f"stl/{name}"] = stl_bytes(v, f)
    return files


def write_files(files: dict[str, bytes], root: Path) -> None:
    """Write the files under ``root`` (folders created as needed)."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# ---------------------------------------------------------------------------
# Self-check
# ---------------------------------------------------------------------------


def check(root: Path) -> list[str]:
    """Verify the files under ``root``; return a list of problems (empty = fine)."""
    from stl import mesh as stl_mesh

    problems: list[str] = []

    def need(ok: bool, msg: str) -> None:
        if not ok:
            problems.append(msg)

    fresh = build_files()
    for rel, data in fresh.items():
        path = root / rel
        need(path.exists(), f"{rel}: missing")
        if path.exists():
            need(path.read_bytes() == data, f"{rel}: differs from a fresh regeneration")
    again = build_files()
    need(
        all(
            hashlib.sha256(again[k]).digest() == hashlib.sha256(v).digest()
            for k, v in fresh.items()
        ),
        "two regenerations differ",
    )
    extra = {p.name for p in (root / "stl").glob("*.stl")} - set(STL_PARTS)
    need(not extra, f"stl/: files no generator makes: {sorted(extra)}")

    rows = list(csv.DictReader(io.StringIO(fresh["parts.csv"].decode())))
    ids = [r["part_id"] for r in rows]
    need(len(rows) >= 70, f"parts.csv: {len(rows)} parts, want >= 70")
    need(len(set(ids)) == len(ids), "parts.csv: duplicate part_id")
    printable = [r for r in rows if r["printable"] == "true" and r["stl_file"]]
    need(len(printable) >= 22, f"parts.csv: {len(printable)} printable, want >= 22")
    cost = np.array([float(r["unit_cost"]) for r in rows])
    need(bool(np.all((cost >= 2) & (cost <= 5000))), "unit_cost outside 2..5000")
    lt = np.array([float(r["lead_time_days"]) for r in rows])
    need(bool(np.all((lt >= 3) & (lt <= 182))), "lead_time_days outside 3..182")
    dem = np.array([float(r["annual_demand"]) for r in rows if r["annual_demand"]])
    need(bool(np.all((dem >= 0.05) & (dem <= 50))), "annual_demand outside 0.05..50")
    for r in rows:
        has_ib = bool(r["installed_quantity"] and r["mtbf_hours"])
        need(bool(r["annual_demand"]) or has_ib, f"{r['part_id']}: no demand source")
        if has_ib:
            op_h = float(r["operating_hours_per_year"] or 8760 * 0.6)
            rate = float(r["installed_quantity"]) * op_h / float(r["mtbf_hours"])
            need(
                0.05 <= rate <= 50, f"{r['part_id']}: installed-base demand {rate:.2f}"
            )
        need(
            SUPPLIERS[r["supplier"]] == r["supplier_region"], f"{r['part_id']}: region"
        )
        if r["stl_file"]:
            need(r["stl_file"] in STL_PARTS, f"{r['part_id']}: unknown stl_file")
    crit = np.array([r["criticality"] for r in rows])
    shares = {c: float(np.mean(crit == c)) for c in "VED"}
    need(0.15 <= shares["V"] <= 0.4 and 0.3 <= shares["E"] <= 0.6, f"VED mix {shares}")
    hist = list(csv.DictReader(io.StringIO(fresh["demand_history.csv"].decode())))
    need({h["part_id"] for h in hist} <= set(ids), "demand_history: unknown part_id")
    dates = sorted(h["date"] for h in hist)
    need(dates[0] >= HISTORY_START and dates[-1] <= HISTORY_END, "history dates")

    for name in STL_PARTS:
        path = root / "stl" / name
        if not path.exists():
            continue
        m = stl_mesh.Mesh.from_file(str(path))
        tri = m.vectors.astype(np.float64)
        n = len(tri)
        need(200 <= n <= 60000, f"{name}: {n} triangles, want 200..60000")
        need(signed_volume(tri) > 0, f"{name}: volume not > 0")
        ok, why = closed_and_oriented(tri)
        need(ok, f"{name}: {why}")
        lo, hi = tri.reshape(-1, 3).min(axis=0), tri.reshape(-1, 3).max(axis=0)
        need(lo[2] == 0.0, f"{name}: does not rest on z = 0 (z_min {lo[2]})")
        size = hi - lo
        need(bool(np.all(size <= 300)) and size.max() >= 10, f"{name}: size {size}")
    return problems


def stl_summary(root: Path) -> list[str]:
    """One line per STL: triangles, size and volume."""
    from stl import mesh as stl_mesh

    lines = []
    for name in STL_PARTS:
        tri = stl_mesh.Mesh.from_file(str(root / "stl" / name)).vectors.astype(float)
        size = np.ptp(tri.reshape(-1, 3), axis=0)
        lines.append(
            f"{name:30s} {len(tri):6d} tri  "
            f"{size[0]:6.1f} x {size[1]:6.1f} x {size[2]:6.1f} mm  "
            f"{signed_volume(tri) / 1000:8.1f} cm3"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the demo catalog, or check it with ``--check``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify, write nothing")
    parser.add_argument("--out", type=Path, default=CATALOG_DIR, help="output folder")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.out)
        for line in stl_summary(args.out):
            print(line)
        for p in problems:
            print(f"PROBLEM: {p}", file=sys.stderr)
        print("check:", "OK" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    files = build_files()
    write_files(files, args.out)
    print(f"wrote {len(files)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
