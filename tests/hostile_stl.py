"""Write a corpus of hostile STL files into a folder (issue 8, geometry doors).

Each file is something an upload may really be: cut off, lying about its size,
full of NaN, a mesh that is open, inside out or self-intersecting, a text file
renamed to ``.stl``, or far too large. Run as a script::

    .venv/bin/python tests/hostile_stl.py /tmp/hostile   # writes every case

or import :func:`write_corpus` / :data:`CASES` from the tests. The 5 M triangle
file is written sparsely (zero-filled facets after a valid header), so it costs
~250 MB of disk address space but almost no time.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Triangle count of the "too many triangles" case: one more than the cap.
HUGE_TRIANGLES = 5_000_001
_FACET = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])

_CUBE_CORNERS = np.array(
    [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0],
     [0, 0, 10], [10, 0, 10], [10, 10, 10], [0, 10, 10]],
    dtype=float,
)  # fmt: skip
_CUBE_FACES = np.array(
    [[0, 3, 1], [1, 3, 2], [4, 5, 7], [5, 6, 7], [0, 1, 4], [1, 5, 4],
     [1, 2, 5], [2, 6, 5], [2, 3, 6], [3, 7, 6], [3, 0, 7], [0, 4, 7]]
)  # fmt: skip


def cube_vectors(size_mm: float = 10.0, offset_mm: float = 0.0) -> np.ndarray:
    """Closed, outward-oriented cube as (12, 3, 3) triangle corners. [mm]"""
    return _CUBE_CORNERS[_CUBE_FACES] * (size_mm / 10.0) + offset_mm


def binary_stl(
    vectors: np.ndarray, *, header: bytes = b"", count: int | None = None
) -> bytes:
    """Binary STL bytes of ``vectors``; ``count`` overrides the header's count."""
    vectors = np.asarray(vectors, dtype=np.float64).reshape(-1, 3, 3)
    records = np.zeros(vectors.shape[0], dtype=_FACET)
    with np.errstate(invalid="ignore", over="ignore"):
        records["vertices"] = vectors.astype(np.float32)
    head = header[:80].ljust(80, b" ")
    n = vectors.shape[0] if count is None else count
    return head + struct.pack("<I", n) + records.tobytes()


def ascii_stl(vectors: np.ndarray, name: str = "part") -> bytes:
    """ASCII STL bytes of ``vectors``."""
    lines = [f"solid {name}"]
    for tri in np.asarray(vectors, dtype=float).reshape(-1, 3, 3):
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x!r} {y!r} {z!r}" for x, y, z in tri.tolist()]
        lines += ["    endloop", "  endfacet"]
    lines.append(f"endsolid {name}")
    return ("\n".join(lines) + "\n").encode("ascii")


def _truncated() -> bytes:
    return binary_stl(cube_vectors())[:-37]


def _count_too_high() -> bytes:
    return binary_stl(cube_vectors(), count=1000)


def _count_too_low() -> bytes:
    return binary_stl(cube_vectors(), count=3)


def _count_zero() -> bytes:
    return binary_stl(cube_vectors(), count=0)


def _empty_binary() -> bytes:
    return binary_stl(np.zeros((0, 3, 3)))


def _header_only() -> bytes:
    return b"\x00" * 40


def _ascii_garbage() -> bytes:
    good = ascii_stl(cube_vectors()).decode()
    return (good.replace("vertex 10.0", "vertex ten", 3) + "\x07 garbage \x00").encode()


def _ascii_no_facets() -> bytes:
    return b"solid nothing\nthis is not a facet\nendsolid nothing\n"


def _ascii_unclosed() -> bytes:
    return ascii_stl(cube_vectors())[:-120]


def _nan() -> bytes:
    vectors = cube_vectors()
    vectors[3, 1, 2] = np.nan
    return binary_stl(vectors)


def _inf() -> bytes:
    vectors = cube_vectors()
    vectors[0, 0, 0] = np.inf
    return binary_stl(vectors)


def _ascii_nan() -> bytes:
    vectors = cube_vectors()
    vectors[5, 2, 1] = np.nan
    return ascii_stl(vectors)


def _huge_coordinates() -> bytes:
    return binary_stl(cube_vectors(size_mm=3e38))


def _degenerate() -> bytes:
    vectors = np.repeat(cube_vectors()[:, :1, :], 3, axis=1)  # three equal corners
    return binary_stl(vectors)


def _collinear() -> bytes:
    t = np.linspace(0.0, 1.0, 3)
    line = np.stack([t, 2 * t, 3 * t], axis=1)
    return binary_stl(np.repeat(line[None], 20, axis=0))


def _open() -> bytes:
    return binary_stl(cube_vectors()[:-2])  # one face of the cube missing


def _inverted() -> bytes:
    return binary_stl(cube_vectors()[:, ::-1, :])  # every facet wound inward


def _self_intersecting() -> bytes:
    two = np.concatenate([cube_vectors(), cube_vectors(offset_mm=5.0)])
    return binary_stl(two)


def _single_triangle() -> bytes:
    return binary_stl(np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0]]], dtype=float))


def _text_file() -> bytes:
    return b"Dear planner,\nplease find the drawing attached.\nRegards\n" * 3


def _binary_claiming_solid() -> bytes:
    return binary_stl(cube_vectors(), header=b"solid exported by CAD")


def _solid_text_no_stl() -> bytes:
    return b"solid state drive order list\nqty 3\n"


def _random_bytes() -> bytes:
    return np.random.default_rng(8).integers(0, 256, 4096, dtype=np.uint8).tobytes()


def _empty() -> bytes:
    return b""


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One hostile file: its name, how to make it, and what a loader must do.

    ``outcome`` is ``"error"`` (a GeometryError whose message holds every word
    of ``says``) or ``"warn"`` (an estimate whose warnings hold ``says``).
    """

    name: str
    make: Callable[[], bytes]
    outcome: str
    says: tuple[str, ...] = ()


CASES: tuple[Case, ...] = (
    Case(name="empty.stl", make=_empty, outcome="error", says=("empty",)),
    Case(name="header_only.stl", make=_header_only, outcome="error", says=("too short",)),
    Case(name="truncated.stl", make=_truncated, outcome="error", says=("truncated",)),
    Case(name="count_too_high.stl", make=_count_too_high, outcome="error", says=("1000 triangles",)),
    Case(name="count_too_low.stl", make=_count_too_low, outcome="error", says=("3 triangles",)),
    Case(name="count_zero.stl", make=_count_zero, outcome="error", says=("0 triangles",)),
    Case(name="empty_binary.stl", make=_empty_binary, outcome="error", says=("0 triangles",)),
    Case(name="ascii_garbage.stl", make=_ascii_garbage, outcome="error", says=("ASCII",)),
    Case(name="ascii_no_facets.stl", make=_ascii_no_facets, outcome="error", says=("no facet",)),
    Case(name="ascii_unclosed.stl", make=_ascii_unclosed, outcome="error", says=("ASCII",)),
    Case(name="nan.stl", make=_nan, outcome="error", says=("NaN",)),
    Case(name="inf.stl", make=_inf, outcome="error", says=("infinite",)),
    Case(name="ascii_nan.stl", make=_ascii_nan, outcome="error", says=("NaN",)),
    Case(name="huge_coordinates.stl", make=_huge_coordinates, outcome="error", says=("coordinates",)),
    Case(name="degenerate.stl", make=_degenerate, outcome="error", says=("degenerate",)),
    Case(name="collinear.stl", make=_collinear, outcome="error", says=("degenerate",)),
    Case(name="open.stl", make=_open, outcome="warn", says=("not watertight",)),
    Case(name="inverted.stl", make=_inverted, outcome="warn", says=("invert",)),
    Case(name="self_intersecting.stl", make=_self_intersecting, outcome="warn", says=("overlap",)),
    Case(name="single_triangle.stl", make=_single_triangle, outcome="error", says=("no layer",)),
    Case(name="text_file.stl", make=_text_file, outcome="error", says=("text file",)),
    Case(name="solid_text_no_stl.stl", make=_solid_text_no_stl, outcome="error", says=("no facet",)),
    Case(name="binary_claiming_solid.stl", make=_binary_claiming_solid, outcome="ok"),
    Case(name="random_bytes.stl", make=_random_bytes, outcome="error", says=()),
)  # fmt: skip


def write_huge(path: Path, n_triangles: int = HUGE_TRIANGLES) -> Path:
    """A binary STL of ``n_triangles`` zero facets, written sparsely (fast)."""
    with path.open("wb") as sink:
        sink.write(b"huge".ljust(80, b" ") + struct.pack("<I", n_triangles))
        sink.truncate(84 + 50 * n_triangles)
    return path


def write_corpus(folder: str | Path, *, huge: bool = True) -> dict[str, Path]:
    """Write every case of :data:`CASES` (and the 5 M triangle file) into ``folder``."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = {}
    for case in CASES:
        path = target / case.name
        path.write_bytes(case.make())
        written[case.name] = path
    if huge:
        written["huge_5M.stl"] = write_huge(target / "huge_5M.stl")
    return written


if __name__ == "__main__":
    for written_name, written_path in write_corpus(
        sys.argv[1] if len(sys.argv) > 1 else "hostile_stl"
    ).items():
        print(f"{written_name}: {written_path.stat().st_size} bytes")
