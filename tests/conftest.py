"""Shared fixtures: the demo catalog, a seeded generator, a 10 mm cube STL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so random tests are reproducible."""
    return np.random.default_rng(20240601)


@pytest.fixture(scope="session")
def sample_catalog():
    """The demo catalog of catalog/ (parts, demand history, STL folder)."""
    from planner.catalog import load_demo_catalog

    return load_demo_catalog()


@pytest.fixture
def cube_10mm_stl(tmp_path: Path) -> Path:
    """A closed, outward-oriented 10 mm cube as a binary STL file (1000 mm^3)."""
    from stl import mesh

    v = np.array(
        [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0],
         [0, 0, 10], [10, 0, 10], [10, 10, 10], [0, 10, 10]],
        dtype=float,
    )  # fmt: skip
    faces = np.array(
        [[0, 3, 1], [1, 3, 2], [4, 5, 7], [5, 6, 7], [0, 1, 4], [1, 5, 4],
         [1, 2, 5], [2, 6, 5], [2, 3, 6], [3, 7, 6], [3, 0, 7], [0, 4, 7]]
    )  # fmt: skip
    cube = mesh.Mesh(np.zeros(len(faces), dtype=mesh.Mesh.dtype))
    cube.vectors[:] = v[faces]
    path = tmp_path / "cube_10mm.stl"
    cube.save(str(path))
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--run-slow`` also runs the long Monte Carlo and fuzzing profiles."""
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="run tests marked slow (long Monte Carlo runs, long fuzzing profiles)",
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip tests marked slow unless ``--run-slow`` is given (CI runs the bounded ones)."""
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long profile: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
