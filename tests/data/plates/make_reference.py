"""Slice the reference plates with PrusaSlicer 2.5 and write ``plates.csv``.

Not run by the tests (they read the CSV). Each plate is made of A-set models
from ``tests/data/calibration`` (our own generated parts), each moved so that
its footprint corner (bounding-box minimum) sits at the given ``(x, y)`` [mm]
on a 250 x 210 mm bed. The moved meshes are written as binary STL and sliced
together, as separate objects of one plate, with::

    prusa-slicer --export-gcode --load tests/data/anchor_fff_pla.ini \\
        --merge --dont-arrange -o PLATE.gcode PART0.stl PART1.stl ...

``--merge`` puts every file on one plate and ``--dont-arrange`` keeps the XY
coordinates of the files. The script checks this in the G-code: every
extruding move lies on one part's footprint, and each part's extrusions span
its footprint less half an extrusion width. Time, filament and layers are read
from the G-code footer with :func:`planner.prusaslicer_engine.parse_gcode_comments`.

Usage (from the repository root)::

    .venv/bin/python tests/data/plates/make_reference.py [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from stl import mesh as stl_mesh

from planner.prusaslicer_engine import parse_gcode_comments

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
MODELS = DATA / "calibration"
CONFIG = DATA / "anchor_fff_pla.ini"
CSV_PATH = HERE / "plates.csv"
#: Usable bed for the plates (the config's bed is 250 x 250). [mm]
BED_XY_MM = (250.0, 210.0)
#: Half the extrusion width: how far a perimeter's centre line sits inside. [mm]
HALF_WIDTH_MM = 0.225
#: Allowed gap between a part's extrusion extents and its footprint less
#: half a width (faceted curves, gap fill, seam). [mm]
EXTENT_TOL_MM = 0.6

PIN = "A02_pin_d5_h5.stl"
KNOB = "A13_knob_knurled_d30.stl"
#: plate id -> list of (model file, x [mm], y [mm]) footprint corners.
PLATES: dict[str, list[tuple[str, float, float]]] = {
    # four 5 mm pins 15 mm apart (centre to centre 20 mm), as an arranger packs
    "P1_pins_x4": [(PIN, 100.0, 90.0), (PIN, 120.0, 90.0),
                   (PIN, 100.0, 110.0), (PIN, 120.0, 110.0)],
    # the same four pins in the bed corners: long travel between parts
    "P2_pins_x4_spread": [(PIN, 10.0, 10.0), (PIN, 235.0, 10.0),
                          (PIN, 10.0, 195.0), (PIN, 235.0, 195.0)],
    # six knurled knobs, 3 x 2, 10 mm gaps
    "P3_knobs_x6": [(KNOB, 50.0, 60.0), (KNOB, 90.0, 60.0), (KNOB, 130.0, 60.0),
                    (KNOB, 50.0, 100.0), (KNOB, 90.0, 100.0), (KNOB, 130.0, 100.0)],
    # three heights: 40 mm bracket, 20 mm bushing, 5 mm pin
    "P4_bracket_bushing_pin": [("A05_lbracket_40x30x40.stl", 60.0, 80.0),
                               ("A04_bushing_od22_id12_h20.stl", 115.0, 84.0),
                               (PIN, 152.0, 93.0)],
    # tall + flat: 150 mm rod beside a 180 x 120 x 3 mm panel
    "P5_panel_rod": [("A14_panel_180x120x3.stl", 10.0, 45.0),
                     ("A10_rod_d8_h150.stl", 205.0, 101.0)],
    # two gears and an impeller
    "P6_gears_impeller": [("A06_gear_m2_z24_t8.stl", 20.0, 40.0),
                          ("A06_gear_m2_z24_t8.stl", 82.0, 40.0),
                          ("A08_impeller_d70.stl", 144.0, 31.0)],
    # cube, sphere and torus
    "P7_cube_sphere_torus": [("A01_cube_20.stl", 30.0, 80.0),
                             ("A11_sphere_d40.stl", 65.0, 70.0),
                             ("A12_torus_R30_r8.stl", 120.0, 52.0)],
    # three large parts: housing, holed plate, flange
    "P8_housing_plate_flange": [("A09_housing_100x60x40.stl", 10.0, 10.0),
                                ("A03_plate_holes_80x50x5.stl", 125.0, 15.0),
                                ("A07_flange_d60.stl", 60.0, 100.0)],
}  # fmt: skip

FIELDS = [
    "plate", "parts", "x_mm", "y_mm", "prusa_time_s", "prusa_time_str",
    "filament_mm", "filament_g", "layers", "retractions", "travel_mm",
    "max_extent_offset_mm", "prusa_wall_s",
]  # fmt: skip
_WORD = re.compile(r"([XYZEF])(-?[\d.]+)")


def place(model: Path, x_mm: float, y_mm: float, out: Path) -> np.ndarray:
    """Write ``model`` moved so that its bounding-box minimum is ``(x, y, 0)``.

    Parameters
    ----------
    model
        Binary or ASCII STL file. [mm]
    x_mm, y_mm
        Where the footprint corner goes. [mm]
    out
        The moved mesh (binary STL).

    Returns
    -------
    numpy.ndarray
        The footprint ``[x_min, y_min, x_max, y_max]`` as written. [mm]
    """
    part = stl_mesh.Mesh.from_file(str(model))
    low = part.vectors.reshape(-1, 3).min(axis=0).astype(np.float64)
    part.vectors[:] = part.vectors - (low - np.array([x_mm, y_mm, 0.0]))
    part.update_normals()
    part.save(str(out))
    corners = part.vectors.reshape(-1, 3).astype(np.float64)
    return np.concatenate([corners.min(axis=0)[:2], corners.max(axis=0)[:2]])


def gcode_moves(path: Path) -> tuple[np.ndarray, int, float]:
    """Extruding segments, retractions and travel length of a G-code file.

    Absolute E (``M82``) with ``G92 E`` resets, as the config writes it.

    Returns
    -------
    tuple
        Segments ``(n, 4)`` as ``x0, y0, x1, y1`` [mm], number of retractions
        (moves with E going down), and XY length of non-extruding moves [mm].
    """
    x = y = e = 0.0
    segments: list[tuple[float, float, float, float]] = []
    retractions = 0
    travel_mm = 0.0
    with path.open() as gcode:
        for raw in gcode:
            line = raw.split(";", 1)[0].strip()
            if line.startswith("G92"):
                reset = dict(_WORD.findall(line))
                e = float(reset.get("E", e))
                continue
            if not line.startswith(("G1 ", "G0 ")):
                continue
            word = {k: float(v) for k, v in _WORD.findall(line)}
            nx, ny, ne = word.get("X", x), word.get("Y", y), word.get("E", e)
            moves_xy = nx != x or ny != y
            if ne > e and moves_xy:
                segments.append((x, y, nx, ny))
            elif moves_xy:
                travel_mm += float(np.hypot(nx - x, ny - y))
            if ne < e:
                retractions += 1
            x, y, e = nx, ny, ne
    return np.array(segments), retractions, travel_mm


def check_positions(segments: np.ndarray, footprints: np.ndarray, plate: str) -> float:
    """Check that PrusaSlicer printed every part where it was placed.

    Every extruding segment must lie on one footprint (grown by
    ``EXTENT_TOL_MM``), and each part's extrusions must span its footprint less
    half an extrusion width, within ``EXTENT_TOL_MM``.

    Returns
    -------
    float
        The largest offset of a part's extents from its footprint less half a
        width. [mm]

    Raises
    ------
    RuntimeError
        When a segment lies on no footprint or a part's extents are off.
    """
    points = segments.reshape(-1, 2)
    lo = footprints[:, None, :2] - EXTENT_TOL_MM
    hi = footprints[:, None, 2:] + EXTENT_TOL_MM
    inside = np.all((points[None] >= lo) & (points[None] <= hi), axis=2)
    if not np.all(inside.any(axis=0)):
        stray = points[~inside.any(axis=0)][:3].tolist()
        raise RuntimeError(f"{plate}: extrusions off every footprint, e.g. {stray}")
    worst = 0.0
    for i, box in enumerate(footprints):
        mine = points[inside[i]]
        if mine.size == 0:
            raise RuntimeError(f"{plate}: part #{i} has no extrusions")
        want = np.concatenate([box[:2] + HALF_WIDTH_MM, box[2:] - HALF_WIDTH_MM])
        got = np.concatenate([mine.min(axis=0), mine.max(axis=0)])
        offset = float(np.abs(got - want).max())
        if offset > EXTENT_TOL_MM:
            raise RuntimeError(
                f"{plate}: part #{i} extrudes over {got.round(3).tolist()}, "
                f"expected {want.round(3).tolist()} (footprint less half a width)"
            )
        worst = max(worst, offset)
    return worst


def slice_plate(
    plate: str, parts: list[tuple[str, float, float]], work: Path
) -> dict[str, object]:
    """Place, slice and check one plate; return its CSV row."""
    footprints = []
    files = []
    for i, (model, x_mm, y_mm) in enumerate(parts):
        out = work / f"{plate}_{i}_{model}"
        footprints.append(place(MODELS / model, x_mm, y_mm, out))
        files.append(str(out))
    footprints = np.array(footprints)
    if footprints[:, :2].min() < 0 or np.any(footprints[:, 2:] > BED_XY_MM):
        raise RuntimeError(f"{plate}: parts leave the {BED_XY_MM} mm bed")
    gcode = work / f"{plate}.gcode"
    command = [
        "prusa-slicer", "--export-gcode", "--load", str(CONFIG), "--merge",
        "--dont-arrange", "-o", str(gcode), *files,
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    wall_s = time.perf_counter() - start
    with gcode.open() as text:
        footer = parse_gcode_comments(text)
    segments, retractions, travel_mm = gcode_moves(gcode)
    offset = check_positions(segments, footprints, plate)
    return {
        "plate": plate,
        "parts": ";".join(model for model, _, _ in parts),
        "x_mm": ";".join(f"{x:g}" for _, x, _ in parts),
        "y_mm": ";".join(f"{y:g}" for _, _, y in parts),
        "prusa_time_s": int(footer["print_time_s"]),
        "prusa_time_str": footer["print_time_str"],
        "filament_mm": footer["filament_mm"],
        "filament_g": footer["filament_g"],
        "layers": footer["layers"],
        "retractions": retractions,
        "travel_mm": round(travel_mm, 1),
        "max_extent_offset_mm": round(offset, 3),
        "prusa_wall_s": round(wall_s, 3),
    }


def main() -> None:
    """Slice every plate and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work-dir", type=Path, help="keep the moved STL and G-code files here"
    )
    parser.add_argument("--csv", type=Path, default=CSV_PATH, help="output CSV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = [slice_plate(p, parts, work) for p, parts in PLATES.items()]
    with args.csv.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        print(*(row[k] for k in ("plate", "prusa_time_str", "filament_g", "layers")))


if __name__ == "__main__":
    main()
