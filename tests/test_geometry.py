"""Tests for planner.geometry: STL loading, checks and mass properties."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import GeometryError
from planner.geometry import (
    Mesh,
    analyse_mesh,
    box_mesh,
    edge_ids,
    load_stl,
    mesh_properties,
    weld_vertices,
    winding_numbers,
)

DATA = Path(__file__).parent / "data" / "calibration"
_FACET = np.dtype([("normal", "<f4", 3), ("vectors", "<f4", (3, 3)), ("attr", "<u2")])


def binary_stl(vectors: np.ndarray, *, count: int | None = None) -> bytes:
    """Binary STL bytes of triangles (header triangle count overridable)."""
    facets = np.zeros(len(vectors), dtype=_FACET)
    facets["vectors"] = vectors
    n = len(vectors) if count is None else count
    return b"test".ljust(80, b" ") + np.uint32(n).tobytes() + facets.tobytes()


def ascii_stl(vectors: np.ndarray) -> bytes:
    """ASCII STL text of triangles."""
    lines = ["solid test"]
    for tri in vectors:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x:.9g} {y:.9g} {z:.9g}" for x, y, z in tri]
        lines += ["    endloop", "  endfacet"]
    lines.append("endsolid test")
    return ("\n".join(lines) + "\n").encode()


def test_cube_volume_area_exact() -> None:
    """A 10 mm cube is 1000 mm³ and 600 mm² (closed form), closed, centred at 5."""
    props = mesh_properties(box_mesh((10.0, 10.0, 10.0)))
    assert props.volume_mm3 == pytest.approx(1000.0, rel=1e-12)
    assert props.area_mm2 == pytest.approx(600.0, rel=1e-12)
    assert props.size_mm == (10.0, 10.0, 10.0)
    assert props.centroid_mm == pytest.approx((5.0, 5.0, 5.0))
    assert props.watertight
    assert props.warnings == ()
    assert props.method == "signed tetrahedra sum (numpy)"


def test_box_centroid_and_bbox() -> None:
    """A shifted 2 x 4 x 6 box: volume 48, centroid at its centre (hand-worked)."""
    mesh = Mesh(vectors=box_mesh((2.0, 4.0, 6.0)).vectors + np.array([10.0, -3.0, 1.0]))
    props = mesh_properties(mesh)
    assert props.volume_mm3 == pytest.approx(48.0)
    assert props.area_mm2 == pytest.approx(2 * (8 + 12 + 24))
    assert props.bbox_min_mm == pytest.approx((10.0, -3.0, 1.0))
    assert props.centroid_mm == pytest.approx((11.0, -1.0, 4.0))


@settings(max_examples=40, deadline=None)
@given(
    st.tuples(*[st.floats(-1e4, 1e4, allow_nan=False) for _ in range(3)]),
    st.tuples(*[st.floats(0.5, 200.0) for _ in range(3)]),
)
def test_volume_translation_invariant(offset: tuple, size: tuple) -> None:
    """Volume and area do not change when the part moves (reference point is local)."""
    base = box_mesh(size)
    moved = Mesh(vectors=base.vectors + np.asarray(offset))
    a, b = mesh_properties(base), mesh_properties(moved)
    assert b.volume_mm3 == pytest.approx(a.volume_mm3, rel=1e-9)
    assert b.area_mm2 == pytest.approx(a.area_mm2, rel=1e-9)
    assert a.volume_mm3 == pytest.approx(size[0] * size[1] * size[2], rel=1e-9)


def test_inverted_cube_positive_volume_with_warning() -> None:
    """Inward normals give |volume| and a warning saying so."""
    inverted = Mesh(vectors=box_mesh((10.0, 10.0, 10.0)).vectors[:, ::-1])
    props = mesh_properties(inverted)
    assert props.volume_mm3 == pytest.approx(1000.0)
    assert any("inverted normals" in w for w in props.warnings)
    assert analyse_mesh(inverted).orientation == -1


def test_open_mesh_warns_not_watertight() -> None:
    """Dropping a facet leaves 3 edges with one face: not watertight, warned."""
    open_box = Mesh(vectors=box_mesh().vectors[1:])
    props = mesh_properties(open_box)
    assert not props.watertight
    assert any("not watertight: 3 of" in w for w in props.warnings)


def test_zero_area_facets_dropped() -> None:
    """A degenerate facet is left out and counted; the volume stays exact."""
    degenerate = np.array([[[0, 0, 0], [1, 1, 1], [2, 2, 2]]], dtype=float)
    mesh = Mesh(vectors=np.concatenate([box_mesh().vectors, degenerate]))
    props = mesh_properties(mesh)
    assert props.volume_mm3 == pytest.approx(1000.0)
    assert props.n_triangles == 13
    assert "1 zero-area facets dropped" in props.warnings
    assert props.watertight


@pytest.mark.parametrize(
    ("size", "text"),
    [(0.5, "likely in inches or metres: ×25.4 gives 12.7"), (6000.0, "micrometres")],
)
def test_units_warning(size: float, text: str) -> None:
    """Parts under 1 mm or over 5 m are flagged as probably in other units."""
    props = mesh_properties(box_mesh((size, size, size)))
    assert any(text in w for w in props.warnings)


def test_weld_and_edges_of_cube() -> None:
    """A cube welds to 8 vertices and 18 edges, each shared by two facets."""
    ids, vertices = weld_vertices(box_mesh().vectors)
    assert vertices.shape == (8, 3)
    _, counts = edge_ids(ids)
    assert counts.size == 18
    assert (counts == 2).all()


def test_load_binary_path_and_bytes(tmp_path: Path) -> None:
    """Binary STL from a path and from bytes gives the same float64 mesh."""
    data = binary_stl(box_mesh((10, 20, 30)).vectors)
    path = tmp_path / "box.stl"
    path.write_bytes(data)
    from_path = load_stl(path)
    from_bytes = load_stl(data, name="upload.stl")
    assert from_path.name == "box.stl"
    assert from_bytes.name == "upload.stl"
    assert from_path.vectors.dtype == np.float64
    np.testing.assert_array_equal(from_path.vectors, from_bytes.vectors)
    assert mesh_properties(from_path).volume_mm3 == pytest.approx(6000.0)


def test_load_ascii() -> None:
    """ASCII STL parses to the same cube as binary."""
    mesh = load_stl(ascii_stl(box_mesh().vectors))
    assert mesh.n_triangles == 12
    assert mesh_properties(mesh).volume_mm3 == pytest.approx(1000.0)


def test_binary_starting_with_solid() -> None:
    """A binary STL whose header starts with 'solid' is still read as binary."""
    data = b"solid binary".ljust(80) + binary_stl(box_mesh().vectors)[80:]
    assert mesh_properties(load_stl(data)).volume_mm3 == pytest.approx(1000.0)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty"),
        (b"part_id,description\nP1,pump\n" * 10, "text file, not an STL"),
        (b"\x00\x01" * 20, "too short"),
        (binary_stl(box_mesh().vectors)[:-7], "truncated or corrupt binary STL"),
        (binary_stl(box_mesh().vectors, count=13), "header says 13 triangles"),
        (binary_stl(np.zeros((0, 3, 3))), "0 triangles"),
        (b"solid empty\nendsolid empty\n", "holds no facet"),
        (
            b"solid x\nfacet normal 0 0 0\nouter loop\nvertex a b c\nendfacet\n",
            "cannot parse",
        ),
        (binary_stl(np.full((1, 3, 3), np.nan)), "NaN or infinite"),
        (binary_stl(np.full((1, 3, 3), np.inf)), "NaN or infinite"),
        (
            binary_stl(np.array([[[0, 0, 0], [1, 1, 1], [2, 2, 2]]])),
            "no facet with a non-zero",
        ),
    ],
)
def test_load_errors(data: bytes, match: str) -> None:
    """Every refusal of load_stl is a GeometryError that says why."""
    with pytest.raises(GeometryError, match=match):
        load_stl(data, name="bad.stl")


def test_triangle_cap_names_limit() -> None:
    """More triangles than max_triangles is refused, naming the cap."""
    with pytest.raises(GeometryError, match="max_triangles=11"):
        load_stl(binary_stl(box_mesh().vectors), max_triangles=11)
    with pytest.raises(GeometryError, match="max_triangles=11"):
        load_stl(ascii_stl(box_mesh().vectors), max_triangles=11)


def test_byte_cap_names_limit(tmp_path: Path) -> None:
    """Files over max_bytes are refused (path: before reading), naming the cap."""
    data = binary_stl(box_mesh().vectors)
    path = tmp_path / "big.stl"
    path.write_bytes(data)
    with pytest.raises(GeometryError, match="max_bytes=100"):
        load_stl(path, max_bytes=100)
    with pytest.raises(GeometryError, match="max_bytes=100"):
        load_stl(data, max_bytes=100)


def test_missing_file() -> None:
    """A path that does not exist is a GeometryError, not an OSError."""
    with pytest.raises(GeometryError, match="cannot read file"):
        load_stl("/nonexistent/part.stl")


def test_mesh_shape_checked() -> None:
    """Mesh refuses vertex arrays that are not (n, 3, 3)."""
    with pytest.raises(GeometryError, match=r"shape \(n, 3, 3\)"):
        Mesh(vectors=np.zeros((4, 3)))


def test_mesh_properties_all_degenerate() -> None:
    """mesh_properties refuses a mesh with no facet of non-zero area."""
    with pytest.raises(GeometryError, match="no facet with a non-zero area"):
        mesh_properties(Mesh(vectors=np.zeros((2, 3, 3))))


@pytest.mark.skipif(
    not (DATA / "results.csv").exists(), reason="calibration data absent"
)
def test_volume_area_match_numpy_stl_reference() -> None:
    """Volumes and areas agree with numpy-stl get_mass_properties (results.csv)."""
    rows = {r["file"]: r for r in csv.DictReader((DATA / "results.csv").open())}
    files = sorted(DATA.glob("*.stl"))
    assert files
    for path in files:
        props = mesh_properties(load_stl(path))
        row = rows[path.name]
        # results.csv rounds to 3 decimals
        assert props.volume_mm3 == pytest.approx(float(row["volume_mm3"]), abs=2e-3)
        assert props.area_mm2 == pytest.approx(float(row["area_mm2"]), abs=2e-3)
        assert props.watertight == (row["watertight"] == "True")
        assert props.n_triangles == int(row["triangles"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=200))
def test_hash_grouping_matches_numpy_unique(values: list[int]) -> None:
    """The hash-table grouping used for welding gives the same groups as
    np.unique (an independent implementation), numbered by first occurrence."""
    from planner._kernels import group_first_seen

    keys = np.asarray(values, dtype=np.int64) * 2_654_435_761
    inverse, first = group_first_seen(keys)
    _, index, expected = np.unique(keys, return_index=True, return_inverse=True)
    np.testing.assert_array_equal(np.sort(first), np.sort(index))
    np.testing.assert_array_equal(first, np.sort(first))
    np.testing.assert_array_equal(keys[first][inverse], keys)
    np.testing.assert_array_equal(index[expected.ravel()], first[inverse])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=3, max_size=90))
def test_edge_table_matches_sorted_grouping(values: list[int]) -> None:
    """Edge ids, counts and side partners from the hash table agree with a
    brute-force pairing of sides on equal vertex pairs: the first side of an
    edge pairs with the second, every later side with the one before it."""
    from planner._kernels import edge_table

    ids = np.asarray(values[: 3 * (len(values) // 3)], dtype=np.int64).reshape(-1, 3)
    side_edge, counts, partner = edge_table(ids, 7)
    pairs = [
        tuple(sorted((int(ids[t, k]), int(ids[t, (k + 1) % 3]))))
        for t in range(ids.shape[0])
        for k in range(3)
    ]
    edge = side_edge.ravel()
    for s, pair in enumerate(pairs):
        same = [r for r, other in enumerate(pairs) if other == pair]
        assert all(edge[r] == edge[s] for r in same)
        assert counts[edge[s]] == len(same)
        rank = same.index(s)
        want = -1 if len(same) == 1 else same[1] if rank == 0 else same[rank - 1]
        assert partner.ravel()[s] == want
    assert len(set(pairs)) == counts.size


def test_shell_labels_match_scipy() -> None:
    """Union-find shell labels equal scipy's connected components (numbered by
    lowest facet) on two boxes plus a stray triangle, interleaved."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from planner.geometry import _shell_labels

    tri = np.concatenate(
        [_shifted_box((1.0, 1.0, 1.0), (5.0, 0, 0)), box_mesh().vectors,
         [[[20.0, 0, 0], [21.0, 0, 0], [20.0, 1.0, 0]]]]
    )  # fmt: skip
    tri = tri[np.random.default_rng(3).permutation(tri.shape[0])]
    topo = analyse_mesh(Mesh(vectors=tri))
    k, labels = _shell_labels(topo.side_partner)
    partner = topo.side_partner.ravel()
    ok = partner >= 0
    rows = np.repeat(np.arange(tri.shape[0]), 3)[ok]
    n = tri.shape[0]
    graph = coo_matrix((np.ones(rows.size), (rows, partner[ok] // 3)), shape=(n, n))
    k_ref, ref = connected_components(graph, directed=False)
    assert (k, labels.tolist()) == (k_ref, ref.tolist())
    assert k == 3


def test_side_partner_of_cube_and_open_box() -> None:
    """Every side of a closed cube has a partner on another facet sharing its
    edge (and the partner's partner is itself); a removed facet leaves its
    three neighbours' sides without one."""
    topo = analyse_mesh(box_mesh())
    partner = topo.side_partner.ravel()
    assert (partner >= 0).all()
    np.testing.assert_array_equal(partner[partner], np.arange(partner.size))
    assert (partner // 3 != np.arange(partner.size) // 3).all()
    edge = topo.side_edge.ravel()
    np.testing.assert_array_equal(edge[partner], edge)
    open_box = analyse_mesh(Mesh(vectors=box_mesh().vectors[1:]))
    assert (open_box.side_partner == -1).sum() == 3


def _shifted_box(
    size: tuple[float, float, float], offset: tuple[float, ...]
) -> np.ndarray:
    """Triangles of an outward-facing box of ``size`` moved by ``offset``."""
    return box_mesh(size).vectors + np.asarray(offset, dtype=float)


def _overlap_warnings(vectors: np.ndarray) -> list[str]:
    """The 'shells overlap' warnings analyse_mesh gives for the triangles."""
    props = analyse_mesh(Mesh(vectors=vectors, name="shells")).properties
    return [w for w in props.warnings if "overlap" in w]


def test_interpenetrating_shells_are_flagged() -> None:
    """Two cubes sharing a 5 mm corner block: volume counted twice, so a warning."""
    tris = np.concatenate(
        [_shifted_box((10, 10, 10), (0, 0, 0)), _shifted_box((10, 10, 10), (5, 5, 5))]
    )
    assert _overlap_warnings(tris) == [
        "shells overlap: 2 of 2 shells have material inside another shell, so their "
        "shared volume is counted twice (merge them in CAD)"
    ]


def test_touching_and_nested_shells_are_not_flagged() -> None:
    """Stacked cubes that only touch, and a cube in a hollow box's cavity, are fine."""
    stacked = np.concatenate(
        [_shifted_box((10, 10, 10), (0, 0, 0)), _shifted_box((10, 10, 10), (0, 0, 10))]
    )
    assert _overlap_warnings(stacked) == []
    cavity = _shifted_box((20, 20, 20), (2, 2, 2))[:, ::-1]  # inward-facing
    hollow = np.concatenate(
        [_shifted_box((24, 24, 24), (0, 0, 0)), cavity,
         _shifted_box((4, 4, 4), (10, 10, 10))]
    )  # fmt: skip
    assert _overlap_warnings(hollow) == []
    apart = np.concatenate(
        [_shifted_box((10, 10, 10), (0, 0, 0)), _shifted_box((10, 10, 10), (30, 0, 0))]
    )
    assert _overlap_warnings(apart) == []


def test_winding_numbers_of_a_box_and_a_cavity() -> None:
    """Winding number 1 in the material, 0 in the cavity and outside, 1/2 on a face."""
    cavity = _shifted_box((20, 20, 20), (2, 2, 2))[:, ::-1]
    hollow = np.concatenate([_shifted_box((24, 24, 24), (0, 0, 0)), cavity])
    points = np.array([[1.0, 1, 1], [12.0, 12, 12], [30.0, 5, 5], [5.0, 13, 24]])
    np.testing.assert_allclose(winding_numbers(points, hollow), [1.0, 0.0, 0.0, 0.5])


def test_model_wider_than_a_kilometre_is_refused() -> None:
    """Coordinates 3e38 mm apart give GeometryError naming the span, not a crash later."""
    tri = np.zeros(1, dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    tri["v"][0] = [[0, 0, 0], [3e38, 0, 0], [0, 3e38, 0]]
    data = bytes(80) + np.uint32(1).tobytes() + tri.tobytes()
    with pytest.raises(GeometryError, match=r"coordinates span 3e\+38 mm"):
        load_stl(data, name="far.stl")


def test_hash_grouping_grows_its_table_like_numpy_unique() -> None:
    """With far more distinct keys than the table starts with (it starts sized
    for a quarter of the keys and doubles when half full), the grouping still
    matches np.unique, numbered by first occurrence."""
    from planner._kernels import group_first_seen

    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**62, 40_000)
    keys = np.concatenate([keys, keys[rng.integers(0, keys.size, 5_000)]])
    inverse, first = group_first_seen(keys)
    _, index, expected = np.unique(keys, return_index=True, return_inverse=True)
    np.testing.assert_array_equal(first, np.sort(index))
    np.testing.assert_array_equal(index[expected.ravel()], first[inverse])


def test_loaded_mesh_reuses_its_checked_areas_only_for_its_own_array() -> None:
    """analyse_mesh takes load_stl's facet areas and bounds for the array they
    came from, and recomputes them for a mesh built from another array (a
    replaced or rebuilt mesh), giving the same properties as a fresh Mesh."""
    import dataclasses

    cube = box_mesh((10.0, 20.0, 30.0))
    data = binary_stl(cube.vectors)
    loaded = load_stl(data, name="cube.stl")
    assert loaded._facet_stats is not None
    assert loaded._facet_stats[0] is loaded.vectors
    plain = Mesh(vectors=loaded.vectors.copy(), name="cube.stl")
    assert analyse_mesh(loaded).properties == analyse_mesh(plain).properties
    moved = dataclasses.replace(loaded, vectors=loaded.vectors + 5.0)
    props = analyse_mesh(moved).properties
    assert props.bbox_min_mm == (5.0, 5.0, 5.0)
    assert props.bbox_max_mm == (15.0, 25.0, 35.0)


def test_fused_areas_and_bounds_match_the_separate_kernels() -> None:
    """load_stl's one-pass facet areas and bounds equal the same arithmetic in
    numpy bit for bit, and flag NaN and infinite corners
    the same way."""
    from planner import _kernels

    rng = np.random.default_rng(9)
    vectors = rng.normal(size=(500, 3, 3)) * 40.0
    vectors[7, 2] = vectors[7, 0]  # a zero-area facet
    areas, lo, hi, finite = _kernels.facet_areas_bounds(vectors)
    points = vectors.reshape(-1, 3)
    u = vectors[:, 1] - vectors[:, 0]
    w = vectors[:, 2] - vectors[:, 0]
    cx = u[:, 1] * w[:, 2] - u[:, 2] * w[:, 1]
    cy = u[:, 2] * w[:, 0] - u[:, 0] * w[:, 2]
    cz = u[:, 0] * w[:, 1] - u[:, 1] * w[:, 0]
    np.testing.assert_array_equal(areas, 0.5 * np.sqrt(cx * cx + cy * cy + cz * cz))
    cross = np.cross(vectors[:, 1] - vectors[:, 0], vectors[:, 2] - vectors[:, 0])
    np.testing.assert_allclose(areas, 0.5 * np.linalg.norm(cross, axis=1), rtol=1e-12)
    assert areas[7] == 0.0
    np.testing.assert_array_equal(lo, points.min(axis=0))
    np.testing.assert_array_equal(hi, points.max(axis=0))
    assert finite
    for bad in (np.nan, np.inf):
        broken = vectors.copy()
        broken[3, 1, 2] = bad
        *_, finite_sep = _kernels.bounds(broken.reshape(-1, 3))
        assert _kernels.facet_areas_bounds(broken)[3] is finite_sep is False


def test_binary_stl_read_through_a_view_gives_the_file_triangles() -> None:
    """numpy-stl reads a binary STL's triangles through a view of the bytes
    (no copy of the file): the loaded vertices equal the file's float32
    records decoded directly with numpy, and sized reads stay plain bytes."""
    from planner.geometry import _BytesView

    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(40, 3, 3)).astype(np.float32) * 20
    data = binary_stl(vectors)
    records = np.frombuffer(data, dtype=_FACET, offset=84)
    loaded = load_stl(data, name="random.stl")
    np.testing.assert_array_equal(loaded.vectors, records["vectors"].astype(np.float64))
    view = _BytesView(data)
    assert isinstance(view.read(80), bytes)
    assert bytes(view.read()) == data[80:]
