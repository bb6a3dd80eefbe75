"""Kernels run in pieces on idle cores give the figures of one whole run, bit for bit."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from pathlib import Path

import numpy as np
import pytest
from hostile_stl import binary_stl
from test_slicing import circle, icosphere, prism

from planner import _parallel
from planner.errors import GeometryError
from planner.geometry import Mesh, analyse_mesh, box_mesh, load_stl
from planner.printers import Material, PrintProfile
from planner.slicing import estimate_print, slice_mesh

PLA = Material(material="PLA", density_g_cm3=1.24, cost_per_kg=25.0)
DATA = Path(__file__).parent / "data" / "calibration"


def test_pieces_cover_the_items_once() -> None:
    for n in (0, 1, 7, 10, 1000):
        for min_items in (1, 5, 10_000):
            ranges = _parallel.pieces(n, min_items=min_items)
            assert ranges[0][0] == 0
            assert ranges[-1][1] == n
            assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
            assert all(stop >= start for start, stop in ranges)
            if n < min_items or _parallel.HELPERS == 0:
                assert len(ranges) == 1


def test_run_pieces_keeps_order_and_raises_after_all_ran() -> None:
    assert _parallel.run_pieces([lambda i=i: i * i for i in range(6)]) == [
        0, 1, 4, 9, 16, 25,
    ]  # fmt: skip
    done = []

    def fail() -> None:
        raise ValueError("piece 1")

    def slow() -> None:
        threading.Event().wait(0.05)
        done.append("slow")

    with pytest.raises(ValueError, match="piece 1"):
        _parallel.run_pieces([slow, fail, slow])
    assert done == ["slow", "slow"]
    # every helper is idle again: the next call can hand pieces over
    assert _parallel.run_pieces([lambda: 1, lambda: 2]) == [1, 2]


def _figures(mesh: Mesh) -> tuple:
    """Every array of the slice and every field of the estimate."""
    stack = slice_mesh(analyse_mesh(mesh), layer_height_mm=0.2,
                       first_layer_height_mm=0.2)  # fmt: skip
    arrays = tuple(
        getattr(stack, f.name)
        for f in dataclasses.fields(stack)
        if isinstance(getattr(stack, f.name), np.ndarray)
    )
    est = estimate_print(mesh, profile=PrintProfile(), material=PLA)
    return arrays, dataclasses.astuple(est)


@pytest.mark.parametrize(
    "mesh",
    [
        icosphere(12.0, 5),
        prism(circle(15.0, 96), 12.0, hole=circle(8.0, 96)),  # copied layer bands
        box_mesh((30.0, 20.0, 10.0)),
        load_stl(DATA / "A08_impeller_d70.stl"),
        load_stl(DATA / "A06_gear_m2_z24_t8.stl"),
    ],
    ids=["sphere", "tube", "box", "impeller", "gear"],
)
def test_pieces_give_the_whole_runs_figures(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Split into four pieces from 8 items on (some on a helper thread, the
    rest here), every kernel gives what one piece gives."""
    monkeypatch.setattr(_parallel, "MIN_SPLIT_ITEMS", 10**12)
    whole = _figures(mesh)
    monkeypatch.setattr(_parallel, "MIN_SPLIT_ITEMS", 8)
    monkeypatch.setattr(_parallel, "HELPERS", 3)
    assert len(_parallel.pieces(mesh.n_triangles)) == 4
    split = _figures(mesh)
    for a, b in zip(whole[0], split[0], strict=True):
        np.testing.assert_array_equal(a, b)
    assert whole[1] == split[1]


def test_loading_in_pieces_gives_the_whole_loads_numbers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The float64 copy, areas and bounds of a file read in four pieces equal
    one pass's, signed zeros of the bounds included; a NaN in any piece is
    still found."""
    vectors = icosphere(9.0, 3).vectors.copy()
    vectors[..., 0] -= vectors[..., 0].min()
    # the lowest x is 0: as -0.0 at some corners and 0.0 at others
    at_zero = np.flatnonzero(vectors[..., 0].reshape(-1) == 0.0)
    assert at_zero.size > 4
    vectors.reshape(-1, 3)[at_zero[1::2], 0] = -0.0
    path = tmp_path / "sphere.stl"
    path.write_bytes(binary_stl(vectors))
    monkeypatch.setattr(_parallel, "MIN_SPLIT_ITEMS", 10**12)
    whole = load_stl(path)
    monkeypatch.setattr(_parallel, "MIN_SPLIT_ITEMS", 8)
    monkeypatch.setattr(_parallel, "HELPERS", 3)
    split = load_stl(path)
    np.testing.assert_array_equal(whole.vectors, split.vectors)
    for a, b in zip(whole._facet_stats[1:], split._facet_stats[1:], strict=True):
        np.testing.assert_array_equal(a, b)
        assert (np.signbit(a) == np.signbit(b)).all()
    vectors[-3, 2, 1] = np.nan  # in the last piece
    path.write_bytes(binary_stl(vectors))
    with pytest.raises(GeometryError, match="1 of 1280 triangles have NaN"):
        load_stl(path)
