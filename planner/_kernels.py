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
def _insert_all(keys: np.ndarray, first: np.ndarray, m: int, bits: int) -> np.ndarray:
    """Hash table of ``2**bits`` slots (key, id interleaved) holding ids ``0 .. m-1``."""
    mask = (1 << bits) - 1
    shift = 64 - bits
    table = np.full(2 << bits, -1, dtype=np.int64)
    for j in range(m):
        key = keys[first[j]]
        h = ((key * _HASH_MUL) >> shift) & mask
        while table[2 * h] != -1:
            h = (h + 1) & mask
        table[2 * h] = key
        table[2 * h + 1] = j
    return table


@njit(cache=True)
def group_first_seen(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct-key ids of non-negative int64 ``keys``, numbered by first occurrence.

    Returns ``(inverse, first)``: the id of each key and, per id, the index of
    its first occurrence (increasing). The table starts sized for a quarter of
    the keys distinct (a welded mesh has about one vertex per six corners, so
    it stays small enough for the cache) and doubles whenever it gets half
    full; key and id share a slot, one memory access per probe.
    """
    n = keys.size
    bits = _table_bits(max(n // 4, 8))
    mask = (1 << bits) - 1
    shift = 64 - bits
    table = np.full(2 << bits, -1, dtype=np.int64)
    inverse = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        key = keys[i]
        h = ((key * _HASH_MUL) >> shift) & mask
        while True:
            k = table[2 * h]
            if k == key:
                inverse[i] = table[2 * h + 1]
                break
            if k == -1:
                table[2 * h] = key
                table[2 * h + 1] = m
                inverse[i] = m
                first[m] = i
                m += 1
                if 2 * m > mask:
                    bits += 1
                    mask = (1 << bits) - 1
                    shift = 64 - bits
                    table = _insert_all(keys, first, m, bits)
                break
            h = (h + 1) & mask
    return inverse, first[:m]


@njit(cache=True, nogil=True)
def weld_keys_into(
    points: np.ndarray,
    lo: np.ndarray,
    step: float,
    start: int,
    stop: int,
    keys: np.ndarray,
) -> None:
    """Weld keys of points ``start .. stop - 1`` into ``keys``.

    One int64 key per point: its coordinates rounded to a grid of ``step``,
    21 bits per axis (x high, z low), from ``rint((p - lo) / step)``.
    """
    for i in range(start, stop):
        gx = np.int64(np.rint((points[i, 0] - lo[0]) / step))
        gy = np.int64(np.rint((points[i, 1] - lo[1]) / step))
        gz = np.int64(np.rint((points[i, 2] - lo[2]) / step))
        keys[i] = (gx << 42) | (gy << 21) | gz


@njit(cache=True, nogil=True)
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
def _facet_area(vectors: np.ndarray, i: int) -> float:
    """Area of triangle ``i`` of an ``(n, 3, 3)`` array [mm²], ``|ab x ac| / 2``."""
    ux = vectors[i, 1, 0] - vectors[i, 0, 0]
    uy = vectors[i, 1, 1] - vectors[i, 0, 1]
    uz = vectors[i, 1, 2] - vectors[i, 0, 2]
    vx = vectors[i, 2, 0] - vectors[i, 0, 0]
    vy = vectors[i, 2, 1] - vectors[i, 0, 1]
    vz = vectors[i, 2, 2] - vectors[i, 0, 2]
    cx = uy * vz - uz * vy
    cy = uz * vx - ux * vz
    cz = ux * vy - uy * vx
    return 0.5 * np.sqrt(cx * cx + cy * cy + cz * cz)


@njit(cache=True)
def facet_areas_bounds(
    vectors: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Facet areas (``|ab x ac| / 2``) and :func:`bounds` of the corners in one pass.

    The same operations in the same order as the two kernels (corners in
    facet order), reading the ``(n, 3, 3)`` array once: returns ``(areas,
    lo, hi, finite)``.
    """
    n = vectors.shape[0]
    out = np.empty(n)
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    finite = True
    for i in range(n):
        for c in range(3):
            for a in range(3):
                v = vectors[i, c, a]
                if not np.isfinite(v):
                    finite = False
                lo[a] = min(lo[a], v)
                hi[a] = max(hi[a], v)
        out[i] = _facet_area(vectors, i)
    return out, lo, hi, finite


@njit(cache=True, nogil=True)
def widen_areas_bounds(
    raw: np.ndarray,
    start: int,
    stop: int,
    vectors: np.ndarray,
    areas: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> bool:
    """Facets ``start .. stop - 1`` of ``raw`` (any float ``(n, 3, 3)``) as float64.

    Writes them to ``vectors``, their areas to ``areas``, and takes ``lo`` and
    ``hi`` (3 each) down and up to their corners' bounds: the numbers of
    :func:`facet_areas_bounds` of the float64 copy, in one pass over the file's
    array. Returns whether every coordinate is finite.
    """
    finite = True
    for i in range(start, stop):
        for c in range(3):
            for a in range(3):
                v = np.float64(raw[i, c, a])
                vectors[i, c, a] = v
                if not np.isfinite(v):
                    finite = False
                lo[a] = min(lo[a], v)
                hi[a] = max(hi[a], v)
        areas[i] = _facet_area(vectors, i)
    return finite


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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def bin_sums_rows(
    bins: np.ndarray, weights: np.ndarray, rows: np.ndarray, out: np.ndarray
) -> None:
    """``np.bincount(bins, weights[r], minlength=n_bins)`` into ``out[r]``, rows ``rows``.

    ``weights`` is ``(k, m)``, ``bins`` ``m`` indices in ``0 .. n_bins - 1``,
    ``out`` ``(k, n_bins)`` of zeros. Each bin is summed from zero in index
    order, as ``np.bincount`` does, so the sums are the same to the last bit;
    rows are independent (threads). A run of equal bins is summed in a register and stored once: the same
    additions in the same order as adding into ``out`` one by one.
    """
    m = bins.size
    for r in rows:
        if m == 0:
            continue
        current = bins[0]
        total = out[r, current]
        for i in range(m):
            b = bins[i]
            if b != current:
                out[r, current] = total
                current = b
                total = out[r, current]
            total += weights[r, i]
        out[r, current] = total


@njit(cache=True)
def segment_slopes(
    facet: np.ndarray,
    layer: np.ndarray,
    facet_cot: np.ndarray,
    orientation: int,
    run_top: np.ndarray,
    run_bottom: np.ndarray,
    z_planes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Slope and slope run of each cut segment, from its facet and layer.

    ``cot = facet_cot[facet] * orientation``; the run is ``run_top[facet] - z``
    where ``cot >= 0`` and ``z - run_bottom[facet]`` elsewhere, with ``z`` the
    segment's plane height: the numpy expressions of
    :func:`planner.slicing.slice_mesh`, without their temporaries.
    """
    m = facet.size
    cot = np.empty(m)
    run = np.empty(m)
    for j in range(m):
        t = facet[j]
        c = facet_cot[t] * orientation
        z = z_planes[layer[j]]
        cot[j] = c
        run[j] = run_top[t] - z if c >= 0 else z - run_bottom[t]
    return cot, run


@njit(cache=True, nogil=True)
def cut_counts(
    cut_tris: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    todo: np.ndarray,
    start: int,
    stop: int,
    counts: np.ndarray,
) -> None:
    """Add to ``counts[k]`` the cuts of facets ``cut_tris[start:stop]`` at layer ``k``."""
    for i in range(start, stop):
        t = cut_tris[i]
        for k in range(lo[t], hi[t]):
            if todo[k]:
                counts[k] += 1


@njit(cache=True, nogil=True)
def cut_fill(
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
    start: int,
    stop: int,
    fill: np.ndarray,
    layer: np.ndarray,
    facet: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    node_a: np.ndarray,
    node_b: np.ndarray,
    side_a: np.ndarray,
    side_b: np.ndarray,
) -> None:
    """Oriented cut segments of facets ``cut_tris[start:stop]`` with the planes they straddle.

    Facet ``t`` is cut by planes ``lo[t] .. hi[t] - 1`` (those marked in
    ``todo``); corner positions are ``vectors - offset``. A vertex on the
    plane counts as above it, so every cut facet has exactly one "odd" corner
    alone on its side; the cut joins its two sides touching that corner, from
    side ``odd`` to side ``odd + 2`` when the odd corner is above the plane
    and the other way when it is below. Writes each cut's ``layer``,
    ``facet``, start and end points ``p``, ``q`` ``(m, 2)``, the ``(layer,
    edge)`` nodes ``layer * n_edges + edge`` they lie on and the flat indices
    ``3 * facet + side`` of those sides, and sets
    ``position_of[first_cut[t] + k - lo[t]]`` to the index of the cut of
    facet ``t`` at layer ``k``.

    The cut at layer ``k`` goes to index ``fill[k]``, which then moves on:
    ``fill`` starts at the index of the first cut of these facets at each
    layer. Disjoint facet ranges with their own ``fill`` write disjoint
    indices (threads).
    """
    ox, oy, oz = offset[0], offset[1], offset[2]
    # facet by facet (its corners read once, in memory order), each cut
    # written to its layer's next slot
    cx = np.empty(3)
    cy = np.empty(3)
    cz = np.empty(3)
    for i in range(start, stop):
        t = cut_tris[i]
        for c in range(3):
            cx[c] = vectors[t, c, 0] - ox
            cy[c] = vectors[t, c, 1] - oy
            cz[c] = vectors[t, c, 2] - oz
        for k in range(lo[t], hi[t]):
            if not todo[k]:
                continue
            j = fill[k]
            fill[k] += 1
            layer[j] = k
            facet[j] = t
            position_of[first_cut[t] + k - lo[t]] = j
            z = z_planes[k]
            # the odd corner, alone on its side of the plane (a corner on
            # the plane counts as above): the one above, or the one below
            a0 = cz[0] >= z
            a1 = cz[1] >= z
            a2 = cz[2] >= z
            one = (np.int64(a0) + np.int64(a1) + np.int64(a2)) == 1
            b1 = a1 if one else not a1
            b2 = a2 if one else not a2
            odd = np.int64(b1) + 2 * np.int64(b2)
            odd_prev = odd + 2 if odd < 1 else odd - 1
            sa = odd if one else odd_prev
            sb = odd_prev if one else odd
            for end in range(2):
                side = sa if end == 0 else sb
                to = side + 1 if side < 2 else 0
                z0 = cz[side]
                f = (z - z0) / (cz[to] - z0)
                x0 = cx[side]
                y0 = cy[side]
                x = x0 + f * (cx[to] - x0)
                y = y0 + f * (cy[to] - y0)
                if end == 0:
                    p[j, 0] = x
                    p[j, 1] = y
                else:
                    q[j, 0] = x
                    q[j, 1] = y
            base = k * n_edges
            node_a[j] = base + side_edge[t, sa]
            node_b[j] = base + side_edge[t, sb]
            side_a[j] = 3 * t + sa
            side_b[j] = 3 * t + sb


@njit(cache=True, nogil=True)
def successors_range(
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
    start: int,
    stop: int,
    out: np.ndarray,
    many: np.ndarray,
) -> None:
    """Successor of cuts ``start .. stop - 1`` through the facet across its exit side.

    Writes ``out[i]``: the cut of the facet across the exit side at the same
    layer when it starts on the node this one ends on (else -1), and
    ``many[i]``: whether the cut leaves through an edge of more than two
    facets (to be matched by node). Ranges are independent (threads).
    """
    partner = side_partner.ravel()
    edges = side_edge.ravel()
    for i in range(start, stop):
        out[i] = -1
        s = exit_side[i]
        many[i] = edge_facets[edges[s]] > 2
        across = partner[s]
        if across < 0:
            continue
        other = across // 3
        k = layer[i]
        if lo[other] <= k and k < hi[other]:
            cand = position_of[first_cut[other] + k - lo[other]]
            if node_a[cand] == node_b[i]:
                out[i] = cand


@njit(cache=True)
def merge_collinear(
    seg_layer: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    slope_cot: np.ndarray,
    slope_run: np.ndarray,
    segment_next: np.ndarray,
    collinear_rad: float,
) -> tuple:
    """The loops of :func:`planner.slicing._merge_collinear`: join collinear runs.

    A piece joins its successor ``j`` when ``j`` has no other predecessor,
    both have the same slope (and slope run unless vertical), both have a
    length and they point the same way within ``collinear_rad``. Each run is
    walked from its first piece (a piece nothing joins into). When some
    pieces are not reached (a closed loop of joined pieces only) nothing is
    merged. Returns the tuple described there.
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
        merge[i] = True
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
            visited += 1
            while merge[i]:
                i = segment_next[i]
                low = min(low, i)
                visited += 1
            tail[r] = i
            first_member[r] = low
            r += 1
        if visited == n:
            m = n_heads
            out_start = np.empty((m, 2))
            out_end = np.empty((m, 2))
            out_next = np.empty(m, dtype=np.int64)
            for r in range(m):
                h = heads[r]
                t = tail[r]
                out_start[r, 0] = start[h, 0]
                out_start[r, 1] = start[h, 1]
                out_end[r, 0] = end[t, 0]
                out_end[r, 1] = end[t, 1]
                nxt = segment_next[t]
                out_next[r] = new_index[nxt] if nxt >= 0 else -1
            return (
                seg_layer[heads], out_start, out_end, slope_cot[heads],
                slope_run[heads], out_next, first_member, heads, tail,
            )  # fmt: skip
    return (
        seg_layer, start, end, slope_cot, slope_run, segment_next, index, index,
        index,
    )  # fmt: skip


@njit(cache=True, error_model="numpy")
def trapezoid_time(
    length: float, entry: float, exit_: float, cruise: float, a: float
) -> float:
    """:func:`planner.slicing.trapezoid_time_s` of one move [s], same operations."""
    v0 = min(entry, cruise)
    v1 = min(exit_, cruise)
    peak = min(cruise, np.sqrt(a * length + 0.5 * (v0 * v0 + v1 * v1)))
    peak = max(peak, max(v0, v1))
    d_acc = (peak * peak - v0 * v0) / (2.0 * a)
    d_dec = (peak * peak - v1 * v1) / (2.0 * a)
    d_cruise = max(length - d_acc - d_dec, 0.0)
    t_cruise = d_cruise / peak if peak > 0 else 0.0
    return (peak - v0) / a + (peak - v1) / a + t_cruise


@njit(cache=True)
def predecessor_lists(next_src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments leading into each segment: ``(pred_start, preds)``.

    ``next_src[i] >= n`` means no successor. The predecessors of ``j`` are
    ``preds[pred_start[j]:pred_start[j + 1]]``, in index order (a counting
    sort).
    """
    n = next_src.size
    pred_start = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        if next_src[i] < n:
            pred_start[next_src[i] + 1] += 1
    for i in range(n):
        pred_start[i + 1] += pred_start[i]
    preds = np.empty(pred_start[n], dtype=np.int64)
    fill = pred_start[:-1].copy()
    for i in range(n):
        if next_src[i] < n:
            preds[fill[next_src[i]]] = i
            fill[next_src[i]] += 1
    return pred_start, preds


@njit(cache=True)
def plan_sweeps(
    limit_sq: np.ndarray,
    free_sq: np.ndarray,
    reach: np.ndarray,
    reach_next: np.ndarray,
    prev_src: np.ndarray,
    next_src: np.ndarray,
    no_next: np.ndarray,
    pred_start: np.ndarray,
    preds: np.ndarray,
    max_sweeps: int,
) -> np.ndarray:
    """Squared end speeds after at most ``max_sweeps`` full planner sweeps.

    One sweep (a Jacobi step, every segment from the previous sweep's values):
    forwards, ``f_i = min(s_i + reach_i, v_i)`` with ``s_i`` the end speed of
    ``prev_src[i]`` (or ``free_sq[prev_src[i] - n]`` at a chain start); then
    ``v_i = min(f_i, f_next + reach_next_i)``, or ``limit_sq`` at a chain end.
    Stops early after a sweep that changes nothing.

    A segment's new value reads only its own value, its successor's, and the
    values of the segments ``prev_src`` names for the two of them: after the
    first sweep only the readers of a segment that changed -- the segment, its
    successor and the predecessors of both -- can change, and only they are
    swept again (on a smooth contour, a few around each chain start and seam).
    A segment may have several predecessors (two leading into one on a messy
    mesh): ``preds[pred_start[i]:pred_start[i + 1]]`` lists those of ``i``
    (:func:`predecessor_lists`).
    """
    n = limit_sq.size
    v = limit_sq.copy()
    # the first sweep takes every segment; each later one the readers of the
    # segments the sweep before changed
    todo = np.arange(n)
    n_todo = n
    todo_value = np.empty(n)
    changed = np.empty(n, dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)
    for sweep in range(max_sweeps):
        for t in range(n_todo):
            i = todo[t]
            if no_next[i]:
                value = limit_sq[i]
            else:
                src = prev_src[i]
                start = v[src] if src < n else free_sq[src - n]
                forward = min(start + reach[i], v[i])
                j = next_src[i]
                if j < n:
                    src_j = prev_src[j]
                    start_j = v[src_j] if src_j < n else free_sq[src_j - n]
                    forward_next = min(start_j + reach[j], v[j])
                else:
                    forward_next = 0.0
                value = min(forward, forward_next + reach_next[i])
            todo_value[t] = value
        # (every value of the sweep is computed before any is stored)
        n_changed = 0
        for t in range(n_todo):
            i = todo[t]
            if todo_value[t] != v[i]:
                changed[n_changed] = i
                n_changed += 1
                v[i] = todo_value[t]
        if n_changed == 0:
            break
        n_todo = 0
        for c in range(n_changed):
            i = changed[c]
            j = next_src[i]
            for owner in (i, j):
                if owner >= n:
                    continue
                if mark[owner] != sweep:
                    mark[owner] = sweep
                    todo[n_todo] = owner
                    n_todo += 1
                for k in range(pred_start[owner], pred_start[owner + 1]):
                    reader = preds[k]
                    if mark[reader] != sweep:
                        mark[reader] = sweep
                        todo[n_todo] = reader
                        n_todo += 1
    return v


@njit(cache=True, error_model="numpy", nogil=True)
def contour_plans(
    segment_next: np.ndarray,
    length: np.ndarray,
    junction_g: np.ndarray,
    speeds: np.ndarray,
    acceleration: np.ndarray,
    jerk: float,
    seam: np.ndarray,
    max_sweeps: int,
    rows: np.ndarray,
    out: np.ndarray,
) -> None:
    """Planned segment times of :func:`planner.slicing._contour_time_s`, rows ``rows``.

    ``speeds`` is ``(k, n)``; ``out`` ``(2 k, n)`` receives the times [s].

    Row ``2 i`` plans the loops cut at ``seam``, row ``2 i + 1`` uncut, for
    speed row ``i``. Per segment: the junction limit ``min(v, v_next, jerk /
    g)`` (``min(jerk, v)`` at a chain end), :func:`plan_sweeps` of the squared
    limits, and :func:`trapezoid_time` from the previous segment's end speed
    (the free speed at a chain start) to its own. Each row is independent of
    the others (its own buffers): rows may be planned in several threads at
    once (:mod:`planner._parallel`).
    """
    n = length.size
    k = speeds.shape[0]
    wanted = np.zeros(2 * k, dtype=np.bool_)
    for r in rows:
        wanted[r] = True
    reach = np.empty(n)
    jerk_limit = np.empty(n)
    for i in range(n):
        reach[i] = 2.0 * acceleration[i] * length[i]
        jerk_limit[i] = jerk / junction_g[i]
    for uncut in range(2):
        if not wanted[uncut::2].any():
            continue
        nxt = np.empty(n, dtype=np.int64)
        prev = np.empty(n, dtype=np.int64)
        nxt_i = np.empty(n, dtype=np.int64)
        prev_src = np.empty(n, dtype=np.int64)
        next_src = np.empty(n, dtype=np.int64)
        no_next = np.empty(n, dtype=np.bool_)
        reach_next = np.empty(n)
        limit_sq = np.empty(n)
        free = np.empty(n)
        free_sq = np.empty(n)
        end_speed = np.empty(n)
        entry = np.empty(n)
        for i in range(n):
            nxt[i] = -1 if (uncut == 0 and seam[i]) else segment_next[i]
            prev[i] = -1
        for i in range(n):
            if nxt[i] >= 0:
                prev[nxt[i]] = i
        for i in range(n):
            has_next = nxt[i] >= 0
            nxt_i[i] = nxt[i] if has_next else i
            reach_next[i] = reach[nxt_i[i]]
            prev_src[i] = prev[i] if prev[i] >= 0 else n + i
            next_src[i] = nxt[i] if has_next else n
            no_next[i] = not has_next
        pred_start, preds = predecessor_lists(next_src)
        for row in range(k):
            target = 2 * row + uncut
            if not wanted[target]:
                continue
            for i in range(n):
                free[i] = min(jerk, speeds[row, i])
                if no_next[i]:
                    limit = free[i]
                else:
                    limit = min(
                        min(speeds[row, i], speeds[row, nxt_i[i]]), jerk_limit[i]
                    )
                limit_sq[i] = limit * limit
                free_sq[i] = free[i] * free[i]
            v_sq = plan_sweeps(
                limit_sq, free_sq, reach, reach_next, prev_src, next_src, no_next,
                pred_start, preds, max_sweeps,
            )  # fmt: skip
            for i in range(n):
                end_speed[i] = np.sqrt(v_sq[i])
            for i in range(n):
                src = prev_src[i]
                entry[i] = end_speed[src] if src < n else free[src - n]
            for i in range(n):
                out[target, i] = trapezoid_time(
                    length[i], entry[i], end_speed[i], speeds[row, i], acceleration[i]
                )


@njit(cache=True, nogil=True)
def contour_extrema(
    p: np.ndarray,
    segment_next: np.ndarray,
    seg_layer: np.ndarray,
    seg_loop: np.ndarray,
    n_loops: int,
    n_layers: int,
    prominence: float,
) -> np.ndarray:
    """Local extrema of the loops across the infill lines, per layer.

    For each loop and each infill direction (45 and 135 degrees), the
    coordinate across the lines at each segment start, walked around the loop
    from its largest value: a minimum or maximum counts when the coordinate
    comes back ``prominence`` or more from it [mm] (finer wiggles -- knurls,
    threads, tessellated curves -- stay within the perimeters and do not split
    the infill). A convex loop has 2 per direction. Returns, per layer, the
    mean of the two directions' counts summed over its loops.
    """
    m = seg_layer.size
    first = np.full(n_loops, -1, dtype=np.int64)
    for i in range(m):
        if first[seg_loop[i]] < 0:
            first[seg_loop[i]] = i
    out = np.zeros(n_layers)
    half = np.sqrt(0.5)
    across = np.empty(m)
    for loop in range(n_loops):
        s0 = first[loop]
        if s0 < 0:
            continue
        for direction in range(2):
            n = 0
            i = s0
            while n < m:
                x, y = p[i, 0], p[i, 1]
                across[n] = (y - x) * half if direction == 0 else (y + x) * half
                n += 1
                i = segment_next[i]
                if i < 0 or i == s0:
                    break
            top = 0
            for t in range(n):
                if across[t] > across[top]:
                    top = t
            turns = 0
            looking_for_min = True
            extreme = across[top]
            for step in range(1, n + 1):
                c = across[(top + step) % n]
                if looking_for_min:
                    if c < extreme:
                        extreme = c
                    elif c - extreme >= prominence:
                        turns += 1
                        looking_for_min = False
                        extreme = c
                elif c > extreme:
                    extreme = c
                elif extreme - c >= prominence:
                    turns += 1
                    looking_for_min = True
                    extreme = c
            # back at the largest value: a last minimum pairs with it
            out[seg_layer[s0]] += 0.5 * (turns + 1 if turns % 2 == 1 else turns)
    return out


@njit(cache=True, error_model="numpy", nogil=True)
def contour_measures_range(
    p: np.ndarray,
    q: np.ndarray,
    segment_next: np.ndarray,
    seg_layer: np.ndarray,
    seg_loop: np.ndarray,
    shoelace: np.ndarray,
    start: int,
    stop: int,
    length: np.ndarray,
    junction_g: np.ndarray,
    cross: np.ndarray,
    dot: np.ndarray,
    has_next: np.ndarray,
    loop_length: np.ndarray,
    area: np.ndarray,
    contour: np.ndarray,
    extent: np.ndarray,
    seg_cross: np.ndarray,
    fill_extent: np.ndarray,
    bbox: np.ndarray,
) -> None:
    """Per-segment measures and per-layer sums of segments ``start .. stop - 1``.

    Per segment, from start ``p`` to end ``q`` ``(m, 2)``: length ``hypot(dx,
    dy)``, unit direction ``(ux, uy)`` (a zero-length segment takes its
    successor's, three times over), the junction measure into its successor
    (2 at a chain end), the cross and dot products of the two directions (for
    the turning angle), and the absolute component across this layer's infill
    direction. Per loop: the length. Per layer: the shoelace area, the
    contour length, the extents across the 45 and 135 degree lines, the
    across-infill extent and the bounding box size. Sums are sequential in
    segment order, as ``np.bincount``. Writes ``length, junction_g, cross,
    dot, has_next, loop_length, area, contour, extent, seg_cross,
    fill_extent, bbox``.

    The per-loop and per-layer outputs must start at zero. The range must hold
    whole layers, with every successor inside it (a contour stays in its
    layer): ranges of different layers then write disjoint entries (threads).
    """
    half = np.sqrt(0.5)
    # directions indexed from ``start``
    ux = np.empty(stop - start)
    uy = np.empty(stop - start)
    n_zero = 0
    for i in range(start, stop):
        dx = q[i, 0] - p[i, 0]
        dy = q[i, 1] - p[i, 1]
        length[i] = np.hypot(dx, dy)
        has_next[i] = segment_next[i] >= 0
        if length[i] > 0:
            ux[i - start] = dx / length[i]
            uy[i - start] = dy / length[i]
        else:
            ux[i - start] = 0.0
            uy[i - start] = 0.0
            if has_next[i]:
                n_zero += 1
    if n_zero:
        # zero-length cuts (a vertex on the plane): three rounds of taking the
        # successor's direction, each from the previous round's values
        zero = np.empty(n_zero, dtype=np.int64)
        k = 0
        for i in range(start, stop):
            if not length[i] > 0 and has_next[i]:
                zero[k] = i
                k += 1
        new_x = np.empty(n_zero)
        new_y = np.empty(n_zero)
        for _ in range(3):
            for k in range(n_zero):
                new_x[k] = ux[segment_next[zero[k]] - start]
                new_y[k] = uy[segment_next[zero[k]] - start]
            for k in range(n_zero):
                ux[zero[k] - start] = new_x[k]
                uy[zero[k] - start] = new_y[k]
    # per layer of the range: smallest and largest x and y
    n_layers = area.size
    lo = np.full((n_layers, 2), np.inf)
    hi = np.full((n_layers, 2), -np.inf)
    present = np.zeros(n_layers, dtype=np.bool_)
    for i in range(start, stop):
        nxt = segment_next[i] if has_next[i] else i
        ax, ay = ux[i - start], uy[i - start]
        bx, by = ux[nxt - start], uy[nxt - start]
        if has_next[i]:
            cx = abs(ax - bx) if ax * bx >= 0 else max(abs(ax), abs(bx))
            cy = abs(ay - by) if ay * by >= 0 else max(abs(ay), abs(by))
            junction_g[i] = max(cx, cy)
        else:
            junction_g[i] = 2.0
        cross[i] = ax * by - ay * bx
        # from a zero start, as np.einsum sums: -0.0 comes out as +0.0
        dot[i] = 0.0 + ax * bx + ay * by
        k = seg_layer[i]
        dx = q[i, 0] - p[i, 0]
        dy = q[i, 1] - p[i, 1]
        across_45 = (dy - dx) * half
        across_135 = (dy + dx) * half
        loop_length[seg_loop[i]] += length[i]
        area[k] += shoelace[i]
        contour[k] += length[i]
        extent[k, 0] += abs(across_45)
        extent[k, 1] += abs(across_135)
        seg_cross[i] = abs(across_45 if k % 2 == 0 else across_135)
        fill_extent[k] += seg_cross[i]
        present[k] = True
        for axis in range(2):
            lo[k, axis] = min(lo[k, axis], min(p[i, axis], q[i, axis]))
            hi[k, axis] = max(hi[k, axis], max(p[i, axis], q[i, axis]))
    for k in range(n_layers):
        if present[k]:
            bbox[k, 0] = hi[k, 0] - lo[k, 0]
            bbox[k, 1] = hi[k, 1] - lo[k, 1]


@njit(cache=True)
def chain_components(
    segment_next: np.ndarray, first_member: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Loops of contour segments: components joined by ``segment_next``.

    Union-find over the successor links, loops numbered by their lowest
    segment: the same labels as ``scipy.sparse.csgraph.connected_components``
    (weak connection) on that graph. Returns ``(n_loops, seg_loop, probe,
    first_seg)``: per loop, the smallest ``first_member`` of its segments and
    its first segment.
    """
    n = segment_next.size
    parent = np.arange(n)
    for i in range(n):
        j = segment_next[i]
        if j < 0:
            continue
        a = i
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        b = j
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b
    labels = np.empty(n, dtype=np.int64)
    probe = np.empty(n, dtype=np.int64)
    first_seg = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        root = i
        while parent[root] != root:
            root = parent[root]
        if root == i:
            labels[i] = k
            probe[k] = first_member[i]
            first_seg[k] = i
            k += 1
        else:
            label = labels[root]
            labels[i] = label
            probe[label] = min(probe[label], first_member[i])
    return k, labels, probe[:k], first_seg[:k]


@njit(cache=True)
def seam_segments(
    segment_loop: np.ndarray,
    segment_next: np.ndarray,
    junction_g: np.ndarray,
    n_loops: int,
) -> np.ndarray:
    """The loops of :func:`planner.slicing._seam_segments`: one seam per closed loop.

    Per loop the largest junction measure, then the first segment (lowest
    index) reaching it; marked only for loops with no chain end.
    """
    m = segment_loop.size
    g_max = np.full(n_loops, -np.inf)
    closed = np.ones(n_loops, dtype=np.bool_)
    for i in range(m):
        loop = segment_loop[i]
        g_max[loop] = max(g_max[loop], junction_g[i])
        if segment_next[i] < 0:
            closed[loop] = False
    chosen = np.full(n_loops, m, dtype=np.int64)
    for i in range(m):
        loop = segment_loop[i]
        if junction_g[i] == g_max[loop] and chosen[loop] == m:
            chosen[loop] = i
    seam = np.zeros(m, dtype=np.bool_)
    for loop in range(n_loops):
        if closed[loop] and chosen[loop] < m:
            seam[chosen[loop]] = True
    return seam


@njit(cache=True)
def slope_steps(
    seg_layer: np.ndarray,
    slope_cot: np.ndarray,
    length: np.ndarray,
    height: np.ndarray,
    n_layers: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per layer, the sums of the up- and down-facing ``clip(cot h) x length``.

    The loops of :func:`planner.slicing._shell_growth`: segment by segment in
    index order (as ``np.bincount`` adds them), vertical segments left out.
    """
    d_up = np.zeros(n_layers)
    d_down = np.zeros(n_layers)
    for i in range(seg_layer.size):
        k = seg_layer[i]
        step = slope_cot[i] * height[k]
        if step == 0.0:
            continue
        step = min(max(step, -1e3), 1e3) * length[i]
        d_up[k] += max(step, 0.0)
        d_down[k] += max(-step, 0.0)
    return d_up, d_down


@njit(cache=True)
def shell_strips(
    seg_layer: np.ndarray,
    slope_cot: np.ndarray,
    length: np.ndarray,
    cross: np.ndarray,
    slope_run: np.ndarray,
    height: np.ndarray,
    d_fill: np.ndarray,
    growth_top: np.ndarray,
    growth_bottom: np.ndarray,
    top_layers: float,
    bottom_layers: float,
    sliver: float,
    margin: float,
    narrow: float,
    vertical_top: float,
    vertical_bottom: float,
    min_spacing: np.ndarray,
) -> np.ndarray:
    """Strip regions along the sloped segments, per layer: ``(4, 3, n_layers)``.

    The loops of ``strips``, ``own`` and ``shell`` in
    :func:`planner.slicing.plan_extrusion`, in one pass: rows are the own top
    strips, the top shell strips, the own bottom strips and the bottom shell
    strips; columns their area [mm²], extent [mm] and boundary [mm]. The same
    operations per segment as the numpy code, summed in segment order.

    With ``vertical_top`` / ``vertical_bottom`` >= 0 (PrusaSlicer's
    ensure_vertical_shell_thickness, which then replaces the horizontal shells:
    that many layers above / below), a shell strip is the band of this layer's
    infill that the infill of those layers leaves out, ``layers x s x growth``
    wide, kept when wider than the layer's ``min_spacing`` and then grown by
    0.3 of it (the regularising offsets of discover_vertical_shells); negative
    counts keep the horizontal shells' strips.
    """
    n_layers = height.size
    out = np.zeros((4, 3, n_layers))
    for i in range(seg_layer.size):
        k = seg_layer[i]
        step = slope_cot[i] * height[k]
        step = min(max(step, -1e3), 1e3)
        if step == 0.0:
            continue
        run_layers = slope_run[i] / height[k] + 1.0
        fill = d_fill[k]
        for down in range(2):
            s = max(-step, 0.0) if down else max(step, 0.0)
            exposed = s > sliver
            grown = 1.0 if s > fill else 0.0
            for kind in range(2):
                if kind == 0:
                    reach = (s - fill + margin) * grown
                else:
                    n_shell = bottom_layers if down else top_layers
                    growth = growth_bottom[k] if down else growth_top[k]
                    layers = min(n_shell, run_layers)
                    reach = layers * s * growth - fill + margin * grown
                    if reach > 0 and reach < 2.0 * narrow:
                        reach = reach + narrow
                band = reach if (exposed and reach > 0) else 0.0
                n_vertical = vertical_bottom if down else vertical_top
                if kind == 1 and n_vertical >= 0:
                    growth = growth_bottom[k] if down else growth_top[k]
                    vertical = min(n_vertical, run_layers) * s * growth
                    m = min_spacing[k]
                    band = vertical + 0.3 * m if vertical > m else 0.0
                on = 1.0 if band > 0 else 0.0
                row = 2 * down + kind
                out[row, 0, k] += length[i] * band
                out[row, 1, k] += 2.0 * cross[i] * on
                out[row, 2, k] += 2.0 * length[i] * on
    return out


@njit(cache=True)
def connectable_lengths(
    seg_layer: np.ndarray, length: np.ndarray, cross: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """Per limit row and layer, the length of segments with ``sin >= limit`` [mm].

    ``sin`` is ``cross / length`` (0 for a zero-length segment); ``limit`` is
    ``(m, n_layers)``. Summed in segment order, as ``np.bincount``.
    """
    m, n_layers = limit.shape
    out = np.zeros((m, n_layers))
    for i in range(seg_layer.size):
        k = seg_layer[i]
        sin = cross[i] / length[i] if length[i] > 0 else 0.0
        for r in range(m):
            out[r, k] += length[i] * (1.0 if sin >= limit[r, k] else 0.0)
    return out


@njit(cache=True)
def _plane_index(z_planes: np.ndarray, z: float, z0: float, per_mm: float) -> int:
    """``np.searchsorted(z_planes, z, side="right")`` in evenly spaced planes.

    Starts from the index the spacing predicts (``per_mm`` planes per mm from
    ``z0``) and steps to the exact one, so uneven planes (a thicker first
    layer) only cost a step more.
    """
    n = z_planes.size
    guess = (z - z0) * per_mm
    if not guess > -1.0:  # below the planes (or NaN)
        k = 0
    elif guess >= n:
        k = n
    else:
        k = min(max(int(guess) + 1, 0), n)
    while k < n and z_planes[k] <= z:
        k += 1
    while k > 0 and z_planes[k - 1] > z:
        k -= 1
    return k


@njit(cache=True, error_model="numpy", nogil=True)
def facet_heights(
    vectors: np.ndarray,
    centre: np.ndarray,
    z_planes: np.ndarray,
    start: int,
    stop: int,
    zmin: np.ndarray,
    zmax: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    nz: np.ndarray,
    cot: np.ndarray,
) -> None:
    """Height range, planes cut, normal's z and slope of facets ``start .. stop - 1``.

    Facets ``vectors`` ``(n, 3, 3)`` moved by ``-centre``: ``zmin``, ``zmax``;
    ``lo`` and ``hi``, ``searchsorted(z_planes, zmin | zmax, "right")``;
    ``nz``, the z of ``n = (b - a) x (c - a)``; ``cot``, ``nz / |n_xy|``
    (0 for a degenerate facet, +-1e6 for a flat one).
    """
    cx, cy, cz0 = centre[0], centre[1], centre[2]
    n_planes = z_planes.size
    first_plane = z_planes[0]
    per_mm = 0.0
    if n_planes > 1 and z_planes[n_planes - 1] > first_plane:
        per_mm = (n_planes - 1) / (z_planes[n_planes - 1] - first_plane)
    for t in range(start, stop):
        ax, ay, az = (
            vectors[t, 0, 0] - cx,
            vectors[t, 0, 1] - cy,
            vectors[t, 0, 2] - cz0,
        )
        bx, by, bz = (
            vectors[t, 1, 0] - cx,
            vectors[t, 1, 1] - cy,
            vectors[t, 1, 2] - cz0,
        )
        qx, qy, cz = (
            vectors[t, 2, 0] - cx,
            vectors[t, 2, 1] - cy,
            vectors[t, 2, 2] - cz0,
        )
        z0 = min(min(az, bz), cz)
        z1 = max(max(az, bz), cz)
        zmin[t] = z0
        zmax[t] = z1
        lo[t] = _plane_index(z_planes, z0, first_plane, per_mm)
        hi[t] = _plane_index(z_planes, z1, first_plane, per_mm)
        ux, uy, uz = bx - ax, by - ay, bz - az
        vx, vy, vz = qx - ax, qy - ay, cz - az
        x = uy * vz - uz * vy
        y = uz * vx - ux * vz
        z = ux * vy - uy * vx
        nz[t] = z
        c = z / np.hypot(x, y)
        if np.isnan(c):
            c = 0.0
        elif c == np.inf:
            c = 1e6
        elif c == -np.inf:
            c = -1e6
        cot[t] = c


@njit(cache=True, error_model="numpy", nogil=True)
def facet_runs(
    vectors: np.ndarray,
    centre: np.ndarray,
    side_partner: np.ndarray,
    orientation: int,
    zmin: np.ndarray,
    zmax: np.ndarray,
    cot: np.ndarray,
    start: int,
    stop: int,
    run_top: np.ndarray,
    run_bottom: np.ndarray,
) -> None:
    """Slope runs of facets ``start .. stop - 1``: where the slope goes on past a side.

    ``run_top`` is infinite where the facet across the highest side slopes
    the same way (at least half as steeply), else the facet's top; the mirror
    for ``run_bottom``.

    Reads the cotangents of the facets across the sides: every facet's
    :func:`facet_heights` must be done.
    """
    cz0 = centre[2]
    partner = side_partner.ravel()
    for t in range(start, stop):
        i = 3 * t
        za, zb, zc = (
            vectors[t, 0, 2] - cz0,
            vectors[t, 1, 2] - cz0,
            vectors[t, 2, 2] - cz0,
        )
        m0 = 0.5 * (za + zb)
        m1 = 0.5 * (zb + zc)
        m2 = 0.5 * (zc + za)
        high = 0 if (m0 >= m1 and m0 >= m2) else (1 if m1 >= m2 else 2)
        low = 0 if (m0 <= m1 and m0 <= m2) else (1 if m1 <= m2 else 2)
        own = cot[t] * orientation
        upper = partner[i + high]
        lower = partner[i + low]
        up = upper >= 0 and cot[max(upper, 0) // 3] * orientation >= 0.5 * own
        down = lower >= 0 and cot[max(lower, 0) // 3] * orientation <= 0.5 * own
        run_top[t] = np.inf if up else zmax[t]
        run_bottom[t] = -np.inf if down else zmin[t]
