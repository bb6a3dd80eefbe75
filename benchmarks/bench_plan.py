"""Wall time of `plan` on the demo catalog, stage by stage, and of the geometry kernel
against numpy-stl's own mass properties (the baseline) in the same run.

Run: ``python benchmarks/bench_plan.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.catalog import load_demo_catalog  # noqa: E402
from planner.cli import stdout_to_stderr  # noqa: E402
from planner.geometry import load_stl, mesh_properties  # noqa: E402
from planner.plan import run_plan  # noqa: E402
from planner.printers import load_demo_materials, load_demo_printers  # noqa: E402


def bench_plan() -> None:
    t0 = time.perf_counter()
    catalog = load_demo_catalog()
    t_load = time.perf_counter() - t0
    printers, materials = load_demo_printers(), load_demo_materials()
    with stdout_to_stderr():
        run_plan(catalog, printers, materials)  # warm-up: imports, solver start
        t0 = time.perf_counter()
        result = run_plan(catalog, printers, materials)
        t_plan = time.perf_counter() - t0
    print(
        f"demo catalog: {len(catalog.parts)} parts, "
        f"{sum(p.printable for p in catalog.parts)} printable"
    )
    print(f"  load catalog            {t_load:7.3f} s")
    for stage, seconds in result.timings_s.items():
        print(f"  {stage:<22}  {seconds:7.3f} s")
    print(f"  run_plan total          {t_plan:7.3f} s")


def bench_geometry() -> None:
    from stl import mesh as stl_mesh

    path = ROOT / "catalog" / "stl" / "star_wheel_d270.stl"
    m = load_stl(path)
    reps = np.tile(m.vectors, (40, 1, 1))  # ~100k triangles, same closed shape x40
    big = stl_mesh.Mesh(np.zeros(len(reps), dtype=stl_mesh.Mesh.dtype))
    big.vectors[:] = reps
    t0 = time.perf_counter()
    ours = mesh_properties(type(m)(vectors=reps, name="x40")).volume_mm3
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    volume, _, _ = big.get_mass_properties()
    t_base = time.perf_counter() - t0
    print(
        f"volume of {len(reps):,} triangles: numpy {t_ours:.3f} s, "
        f"numpy-stl get_mass_properties {t_base:.3f} s "
        f"({t_base / t_ours:.0f}x); volumes {ours:.1f} vs {volume:.1f} mm3"
    )


if __name__ == "__main__":
    bench_plan()
    bench_geometry()
