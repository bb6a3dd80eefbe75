"""Compiled loops (numba) for the mesh passes that numpy cannot vectorise well.

Welding vertices and grouping edges are a hash-table lookup per corner and
per side: numba does them in one linear pass, where numpy needs a sort of
about a million int64 keys (several times slower on a 330k-triangle mesh).
Shell labelling is a union-find over the facet adjacency. The per-facet sums
(area, bounds, signed volume) run in one pass over the ``(n, 3, 3)`` array
instead of a dozen temporaries.

Every kernel is compiled on first use and cached on disk (``cache=True``), so
only the first run after installing spends the compile time. The kernels do
the same floating-point operations as the numpy code they replace, in the same
order per element; sums over facets are plain sequential sums.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Multiplier of the Fibonacci hash (2**64 / golden ratio, as a signed int64).
_HASH_MUL = np.int64(-7046029254386353131)


@njit(cache=True)
def _table_bits(n: int) -> int:
    """Bits of a power-of-two hash table holding ``n`` keys at most half full."""
    bits = 4
    while (1 << bits) < 2 * n:
        bits += 1
    return bits


@njit(cache=True)
def group_first_seen(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct-key ids of non-negative int64 ``keys``, numbered by first occurrence.

    Returns ``(inverse, first)``: the id of each key and, per id, the index of
    its first occurrence (increasing).
    """
    n = keys.size
    bits = _table_bits(n)
    mask = (1 << bits) - 1
    shift = 64 - bits
    slot_key = np.full(1 << bits, -1, dtype=np.int64)
    slot_id = np.empty(1 << bits, dtype=np.int64)
    inverse = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        key = keys[i]
        h = ((key * _HASH_MUL) >> shift) & mask
        while True:
            k = slot_key[h]
            if k == key:
                inverse[i] = slot_id[h]
                break
            if k == -1:
                slot_key[h] = key
                slot_id[h] = m
                inverse[i] = m
                first[m] = i
                m += 1
                break
            h = (h + 1) & mask
    return inverse, first[:m]


@njit(cache=True)
def weld_keys(points: np.ndarray, lo: np.ndarray, step: float) -> np.ndarray:
    """One int64 key per point: its coordinates rounded to a grid of ``step``.

    21 bits per axis (x high, z low), from ``rint((p - lo) / step)``.
    """
    n = points.shape[0]
    keys = np.empty(n, dtype=np.int64)
    for i in range(n):
        gx = np.int64(np.rint((points[i, 0] - lo[0]) / step))
        gy = np.int64(np.rint((points[i, 1] - lo[1]) / step))
        gz = np.int64(np.rint((points[i, 2] - lo[2]) / step))
        keys[i] = (gx << 42) | (gy << 21) | gz
    return keys


@njit(cache=True)
def edge_table(
    vertex_ids: np.ndarray, n_vertices: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge of each triangle side, facets per edge and the side across each side.

    Side ``k`` of facet ``t`` (flat index ``3 t + k``) joins corners ``k`` and
    ``k + 1``. Sides are bucketed by their lower vertex (a stable counting
    sort), and matched within a bucket by their upper vertex, so edges are
    numbered by lower vertex, then by first occurrence. The partner of the
    first side of an edge is its second side; of every later side, the side
    before it (in flat index order); -1 for a side alone on its edge.

    Returns ``(side_edge, edge_count, side_partner)``, the first and last of
    shape ``(n, 3)``.
    """
    n_sides = 3 * vertex_ids.shape[0]
    corners = vertex_ids.ravel()
    low = np.empty(n_sides, dtype=np.int64)
    high = np.empty(n_sides, dtype=np.int64)
    start = np.zeros(n_vertices + 1, dtype=np.int64)
    for s in range(n_sides):
        a = corners[s]
        b = corners[s + 1 if s % 3 != 2 else s - 2]
        lo_v = min(a, b)
        low[s] = lo_v
        high[s] = max(a, b)
        start[lo_v + 1] += 1
    for v in range(n_vertices):
        start[v + 1] += start[v]
    fill = start[:-1].copy()
    order = np.empty(n_sides, dtype=np.int64)
    for s in range(n_sides):
        v = low[s]
        order[fill[v]] = s
        fill[v] += 1
    edge_of_high = np.full(n_vertices, -1, dtype=np.int64)
    side_edge = np.empty(n_sides, dtype=np.int64)
    partner = np.full(n_sides, -1, dtype=np.int64)
    count = np.zeros(n_sides, dtype=np.int64)
    last = np.empty(n_sides, dtype=np.int64)
    m = 0
    for v in range(n_vertices):
        for i in range(start[v], start[v + 1]):
            s = order[i]
            e = edge_of_high[high[s]]
            if e < 0:
                e = m
                m += 1
                edge_of_high[high[s]] = e
            else:
                prev = last[e]
                partner[s] = prev
                if count[e] == 1:
                    partner[prev] = s
            side_edge[s] = e
            count[e] += 1
            last[e] = s
        for i in range(start[v], start[v + 1]):
            edge_of_high[high[order[i]]] = -1
    return side_edge.reshape(-1, 3), count[:m], partner.reshape(-1, 3)


@njit(cache=True)
def shell_labels(side_partner: np.ndarray) -> tuple[int, np.ndarray]:
    """Edge-connected components of facets, numbered by their lowest facet.

    Union-find over the facets joined by ``side_partner``; the same labels as
    ``scipy.sparse.csgraph.connected_components`` on that graph.
    """
    n = side_partner.shape[0]
    parent = np.arange(n)
    for t in range(n):
        for k in range(3):
            other = side_partner[t, k]
            if other < 0:
                continue
            a = t
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            b = other // 3
            while parent[b] != b:
                parent[b] = parent[parent[b]]
                b = parent[b]
            if a != b:
                if a < b:
                    parent[b] = a
                else:
                    parent[a] = b
    labels = np.empty(n, dtype=np.int64)
    k = 0
    for t in range(n):
        root = t
        while parent[root] != root:
            root = parent[root]
        if root == t:
            labels[t] = k
            k += 1
        else:
            labels[t] = labels[root]
    return k, labels


@njit(cache=True)
def facet_areas(vectors: np.ndarray) -> np.ndarray:
    """Area of each triangle of an ``(n, 3, 3)`` array [mm²], ``|ab x ac| / 2``."""
    n = vectors.shape[0]
    out = np.empty(n)
    for i in range(n):
        ux = vectors[i, 1, 0] - vectors[i, 0, 0]
        uy = vectors[i, 1, 1] - vectors[i, 0, 1]
        uz = vectors[i, 1, 2] - vectors[i, 0, 2]
        vx = vectors[i, 2, 0] - vectors[i, 0, 0]
        vy = vectors[i, 2, 1] - vectors[i, 0, 1]
        vz = vectors[i, 2, 2] - vectors[i, 0, 2]
        cx = uy * vz - uz * vy
        cy = uz * vx - ux * vz
        cz = ux * vy - uy * vx
        out[i] = 0.5 * np.sqrt(cx * cx + cy * cy + cz * cz)
    return out


@njit(cache=True)
def bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per-axis min and max of ``(m, 3)`` points, and whether all are finite."""
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    finite = True
    for i in range(points.shape[0]):
        for a in range(3):
            v = points[i, a]
            if not np.isfinite(v):
                finite = False
            lo[a] = min(lo[a], v)
            hi[a] = max(hi[a], v)
    return lo, hi, finite


@njit(cache=True)
def volume_sums(
    vectors: np.ndarray, origin: np.ndarray, areas: np.ndarray
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Sums for the signed volume and the centroids, about ``origin``.

    Returns ``(det_sum, area_sum, det_moment, area_moment)``: the sum of
    ``a . (b x c)`` of the corners relative to ``origin`` [mm³ x 6], the area
    sum [mm²], and the sums of ``det x (a + b + c)`` and of
    ``area x (a + b + c) / 3`` (3-vectors).
    """
    det_sum = 0.0
    area_sum = 0.0
    det_moment = np.zeros(3)
    area_moment = np.zeros(3)
    for i in range(vectors.shape[0]):
        ax = vectors[i, 0, 0] - origin[0]
        ay = vectors[i, 0, 1] - origin[1]
        az = vectors[i, 0, 2] - origin[2]
        bx = vectors[i, 1, 0] - origin[0]
        by = vectors[i, 1, 1] - origin[1]
        bz = vectors[i, 1, 2] - origin[2]
        cx = vectors[i, 2, 0] - origin[0]
        cy = vectors[i, 2, 1] - origin[1]
        cz = vectors[i, 2, 2] - origin[2]
        det = (
            ax * (by * cz - bz * cy)
            + ay * (bz * cx - bx * cz)
            + az * (bx * cy - by * cx)
        )
        det_sum += det
        area_sum += areas[i]
        sx = ax + bx + cx
        sy = ay + by + cy
        sz = az + bz + cz
        det_moment[0] += det * sx
        det_moment[1] += det * sy
        det_moment[2] += det * sz
        area_moment[0] += areas[i] * sx / 3.0
        area_moment[1] += areas[i] * sy / 3.0
        area_moment[2] += areas[i] * sz / 3.0
    return det_sum, area_sum, det_moment, area_moment


@njit(cache=True)
def corner_positions(
    points: np.ndarray, first: np.ndarray, vertex_ids: np.ndarray
) -> np.ndarray:
    """``points[first[vertex_ids]]``: each corner at its welded vertex, ``(n, 3, 3)``."""
    n = vertex_ids.shape[0]
    out = np.empty((n, 3, 3))
    for t in range(n):
        for k in range(3):
            src = first[vertex_ids[t, k]]
            out[t, k, 0] = points[src, 0]
            out[t, k, 1] = points[src, 1]
            out[t, k, 2] = points[src, 2]
    return out


@njit(cache=True)
def cut_facets(
    vectors: np.ndarray,
    offset: np.ndarray,
    cut_tris: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    todo: np.ndarray,
    z_planes: np.ndarray,
    side_edge: np.ndarray,
    n_edges: int,
    first_cut: np.ndarray,
    position_of: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Oriented cut segments of facets ``cut_tris`` with the planes they straddle.

    Facet ``t`` is cut by planes ``lo[t] .. hi[t] - 1`` (those marked in
    ``todo``); corner positions are ``vectors - offset``. Cuts come out layer
    by layer, in facet order within a layer (a stable counting sort), and
    ``position_of[first_cut[t] + k - lo[t]]`` is set to the index of the cut
    of facet ``t`` at layer ``k``.

    A vertex on the plane counts as above it, so every cut facet has exactly
    one "odd" corner alone on its side; the cut joins its two sides touching
    that corner, from side ``odd`` to side ``odd + 2`` when the odd corner is
    above the plane and the other way when it is below.

    Returns ``(layer, facet, p, q, node_a, node_b, side_a, side_b)``: the
    start and end points ``(m, 2)``, the ``(layer, edge)`` nodes
    ``layer * n_edges + edge`` they lie on, and the flat indices
    ``3 * facet + side`` of those sides.
    """
    n_layers = z_planes.size
    per_layer = np.zeros(n_layers + 1, dtype=np.int64)
    for i in range(cut_tris.size):
        t = cut_tris[i]
        for k in range(lo[t], hi[t]):
            if todo[k]:
                per_layer[k + 1] += 1
    for k in range(n_layers):
        per_layer[k + 1] += per_layer[k]
    m = per_layer[n_layers]
    fill = per_layer[:-1].copy()
    layer = np.empty(m, dtype=np.int64)
    facet = np.empty(m, dtype=np.int64)
    for i in range(cut_tris.size):
        t = cut_tris[i]
        for k in range(lo[t], hi[t]):
            if todo[k]:
                j = fill[k]
                fill[k] += 1
                layer[j] = k
                facet[j] = t
                position_of[first_cut[t] + k - lo[t]] = j
    p = np.empty((m, 2))
    q = np.empty((m, 2))
    node_a = np.empty(m, dtype=np.int64)
    node_b = np.empty(m, dtype=np.int64)
    side_a = np.empty(m, dtype=np.int64)
    side_b = np.empty(m, dtype=np.int64)
    zc = np.empty(3)
    for j in range(m):
        t = facet[j]
        z = z_planes[layer[j]]
        n_above = 0
        first_above = -1
        first_below = -1
        for c in range(3):
            zc[c] = vectors[t, c, 2] - offset[2]
            if zc[c] >= z:
                n_above += 1
                if first_above < 0:
                    first_above = c
            elif first_below < 0:
                first_below = c
        one = n_above == 1
        odd = first_above if one else first_below
        odd_prev = odd + 2 if odd < 1 else odd - 1
        sa = odd if one else odd_prev
        sb = odd_prev if one else odd
        for end in range(2):
            side = sa if end == 0 else sb
            to = side + 1 if side < 2 else 0
            z0 = zc[side]
            f = (z - z0) / (zc[to] - z0)
            x0 = vectors[t, side, 0] - offset[0]
            y0 = vectors[t, side, 1] - offset[1]
            x = x0 + f * ((vectors[t, to, 0] - offset[0]) - x0)
            y = y0 + f * ((vectors[t, to, 1] - offset[1]) - y0)
            if end == 0:
                p[j, 0] = x
                p[j, 1] = y
            else:
                q[j, 0] = x
                q[j, 1] = y
        base = layer[j] * n_edges
        node_a[j] = base + side_edge[t, sa]
        node_b[j] = base + side_edge[t, sb]
        side_a[j] = 3 * t + sa
        side_b[j] = 3 * t + sb
    return layer, facet, p, q, node_a, node_b, side_a, side_b


@njit(cache=True)
def successors(
    layer: np.ndarray,
    node_a: np.ndarray,
    node_b: np.ndarray,
    exit_side: np.ndarray,
    side_partner: np.ndarray,
    side_edge: np.ndarray,
    edge_facets: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    first_cut: np.ndarray,
    position_of: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Successor of each cut through the facet across its exit side.

    Returns ``(segment_next, many)``: the cut of the facet across the exit
    side at the same layer when it starts on the node this one ends on (else
    -1), and the cuts leaving through an edge of more than two facets (to be
    matched by node).
    """
    m = layer.size
    out = np.full(m, -1, dtype=np.int64)
    many = np.zeros(m, dtype=np.bool_)
    partner = side_partner.ravel()
    edges = side_edge.ravel()
    for i in range(m):
        s = exit_side[i]
        if edge_facets[edges[s]] > 2:
            many[i] = True
        across = partner[s]
        if across < 0:
            continue
        other = across // 3
        k = layer[i]
        if lo[other] <= k and k < hi[other]:
            cand = position_of[first_cut[other] + k - lo[other]]
            if node_a[cand] == node_b[i]:
                out[i] = cand
    return out, np.flatnonzero(many)


@njit(cache=True)
def merge_collinear(
    seg_layer: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    slope_cot: np.ndarray,
    slope_run: np.ndarray,
    segment_next: np.ndarray,
    collinear_rad: float,
    min_run: float,
) -> tuple:
    """The loops of :func:`planner.slicing._merge_collinear`: join collinear runs.

    A piece joins its successor ``j`` when ``j`` has no other predecessor,
    both have the same slope (and slope run unless vertical), both have a
    length, they point the same way within ``collinear_rad`` and lie on the
    same side of both infill directions (or one is shorter than ``min_run``).
    Each run is walked from its first piece (a piece nothing joins into).
    When some pieces are not reached (a closed loop of joined pieces only)
    nothing is merged. Returns the tuple described there.
    """
    n = seg_layer.size
    piece = np.empty((n, 3))
    for i in range(n):
        dx = end[i, 0] - start[i, 0]
        dy = end[i, 1] - start[i, 1]
        piece[i, 0] = dx
        piece[i, 1] = dy
        piece[i, 2] = np.hypot(dx, dy)
    preds = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if segment_next[i] >= 0:
            preds[segment_next[i]] += 1
    merge = np.zeros(n, dtype=np.bool_)
    mixed_join = np.zeros(n, dtype=np.bool_)
    absorbed = np.zeros(n, dtype=np.bool_)
    any_merge = False
    for i in range(n):
        j = segment_next[i]
        if j < 0 or j == i or preds[j] != 1:
            continue
        if slope_cot[i] != slope_cot[j]:
            continue
        if not (slope_run[i] == slope_run[j] or slope_cot[i] == 0):
            continue
        dx, dy, length = piece[i, 0], piece[i, 1], piece[i, 2]
        dxj, dyj, length_j = piece[j, 0], piece[j, 1], piece[j, 2]
        if not (length > 0 and length_j > 0):
            continue
        if not (dx * dxj + dy * dyj > 0):
            continue
        if not (np.abs(dx * dyj - dy * dxj) <= collinear_rad * length * length_j):
            continue
        same_side = ((dy - dx) * (dyj - dxj) > 0) and ((dy + dx) * (dyj + dxj) > 0)
        if not (same_side or min(length, length_j) < min_run):
            continue
        merge[i] = True
        mixed_join[i] = not same_side
        absorbed[j] = True
        any_merge = True
    index = np.arange(n)
    if any_merge:
        n_heads = 0
        for i in range(n):
            if not absorbed[i]:
                n_heads += 1
        heads = np.empty(n_heads, dtype=np.int64)
        tail = np.empty(n_heads, dtype=np.int64)
        first_member = np.empty(n_heads, dtype=np.int64)
        mixed = np.zeros(n_heads, dtype=np.bool_)
        new_index = np.full(n, -1, dtype=np.int64)
        visited = 0
        r = 0
        for h in range(n):
            if absorbed[h]:
                continue
            heads[r] = h
            new_index[h] = r
            i = h
            low = h
            is_mixed = False
            visited += 1
            while merge[i]:
                is_mixed = is_mixed or mixed_join[i]
                i = segment_next[i]
                low = min(low, i)
                visited += 1
            tail[r] = i
            first_member[r] = low
            mixed[r] = is_mixed
            r += 1
        if visited == n:
            m = n_heads
            out_start = np.empty((m, 2))
            out_end = np.empty((m, 2))
            first_piece = np.empty((m, 3))
            last_piece = np.empty((m, 3))
            out_next = np.empty(m, dtype=np.int64)
            for r in range(m):
                h = heads[r]
                t = tail[r]
                out_start[r, 0] = start[h, 0]
                out_start[r, 1] = start[h, 1]
                out_end[r, 0] = end[t, 0]
                out_end[r, 1] = end[t, 1]
                for c in range(3):
                    first_piece[r, c] = piece[h, c]
                    last_piece[r, c] = piece[t, c]
                nxt = segment_next[t]
                out_next[r] = new_index[nxt] if nxt >= 0 else -1
            return (
                seg_layer[heads], out_start, out_end, slope_cot[heads],
                slope_run[heads], out_next, first_piece, last_piece,
                first_member, heads, tail, mixed,
            )  # fmt: skip
    return (
        seg_layer, start, end, slope_cot, slope_run, segment_next, piece,
        piece, index, index, index, mixed_join,
    )  # fmt: skip
