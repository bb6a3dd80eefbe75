"""Speed of the print-vs-stock optimiser on synthetic catalogs (issue 5).

For 1k, 10k and 100k synthetic parts with 5 printers: the time to price the options
(:func:`planner.sourcing.build_options`), to build the MILP, to solve it with HiGHS
and with CBC, the gap of each solution to the LP-relaxation bound, and the end-to-end
time (options + build + HiGHS solve). Goals: 10k parts <= 10 s and 100k <= 60 s end
to end, gap <= 0.1 %.

Run: ``python benchmarks/bench_sourcing.py [n_parts ...] [--no-cbc-above N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.catalog import Criticality, Part  # noqa: E402
from planner.printers import Printer  # noqa: E402
from planner.sourcing import (  # noqa: E402
    SourcingParams,
    build_options,
    build_sourcing_model,
    solve_lp_relaxation,
    solve_sourcing,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Demand:
    """The fields of ``planner.demand.DemandEstimate`` that sourcing reads."""

    demand_per_year: np.ndarray
    variance_to_mean: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class _Estimate:
    """The fields of ``planner.slicing.PrintEstimate`` that sourcing reads."""

    print_time_s: float
    total_cost: float
    material_cost: float
    bbox_x_mm: float
    bbox_y_mm: float
    bbox_z_mm: float


def synthetic(n: int, seed: int = 7):
    """``n`` parts (40 % printable), 5 printers, demand and print estimates."""
    rng = np.random.default_rng(seed)
    printers = [
        Printer(
            printer_id=f"P{j + 1}",
            build_x_mm=size,
            build_y_mm=size,
            build_z_mm=size,
            hourly_rate=rate,
            hours_available_per_week=hours,
            materials=mats,
        )
        for j, (size, rate, hours, mats) in enumerate(
            [
                (250.0, 1.0, 60.0, ("PETG", "PLA")),
                (250.0, 1.2, 60.0, ("PETG", "PLA", "ASA")),
                (350.0, 2.0, 40.0, ("PETG", "ASA", "PA12")),
                (180.0, 0.8, 80.0, ("PLA", "PETG")),
                (300.0, 1.5, 40.0, ("PA12", "ASA")),
            ]
        )
    ]
    # Enough printer hours for a few percent of the catalog: scale with n.
    scale = max(1.0, n / 1000.0)
    printers = [
        Printer(
            printer_id=p.printer_id,
            build_x_mm=p.build_x_mm,
            build_y_mm=p.build_y_mm,
            build_z_mm=p.build_z_mm,
            hourly_rate=p.hourly_rate,
            hours_available_per_week=min(p.hours_available_per_week * scale, 168.0),
            materials=p.materials,
        )
        for p in printers
    ]
    crit = rng.choice(["V", "E", "D"], n, p=[0.2, 0.5, 0.3])
    unit = np.exp(rng.normal(4.0, 1.2, n))
    lam = np.exp(rng.normal(0.5, 1.3, n))
    lead = rng.choice([7.0, 14.0, 30.0, 60.0, 120.0], n)
    printable = rng.random(n) < 0.4
    mats = rng.choice(["PETG", "PLA", "ASA", "PA12"], n)
    parts = [
        Part(
            part_id=f"S-{i:06d}",
            unit_cost=float(unit[i]),
            annual_demand=float(lam[i]),
            lead_time_days=float(lead[i]),
            criticality=Criticality(crit[i]),
            downtime_cost_per_day=float(unit[i] * 2.0),
            holding_rate=0.25,
            order_cost=5.0,
            printable=bool(printable[i]),
            am_material=str(mats[i]),
            am_lifetime_ratio=0.6,
            am_qualification_cost=200.0,
            post_process_hours=0.3,
        )
        for i in range(n)
    ]
    demand = _Demand(demand_per_year=lam, variance_to_mean=np.ones(n))
    size = rng.uniform(20.0, 260.0, (n, 3))
    t_h = rng.uniform(0.5, 12.0, n)
    estimates = {}
    for i in np.flatnonzero(printable).tolist():
        for j, pr in enumerate(printers):
            if not pr.runs(str(mats[i])):
                continue
            hours = t_h[i] * (0.8 + 0.1 * j)
            material = 0.02 * float(np.prod(size[i])) ** (1 / 3)
            estimates[(parts[i].part_id, pr.printer_id)] = _Estimate(
                print_time_s=hours * 3600.0,
                total_cost=material + hours * pr.hourly_rate,
                material_cost=material,
                bbox_x_mm=float(size[i, 0]),
                bbox_y_mm=float(size[i, 1]),
                bbox_z_mm=float(size[i, 2]),
            )
    return parts, demand, estimates, printers


def bench(n: int, *, cbc: bool, gap_rel: float) -> dict[str, float]:
    """Stage times [s] and gaps [%] on ``n`` synthetic parts."""
    parts, demand, estimates, printers = synthetic(n)
    params = SourcingParams(gap_rel=gap_rel, time_limit_s=120.0)
    t0 = time.perf_counter()
    options = build_options(parts, demand, estimates, printers, params)
    t_opts = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_sourcing_model(options, printers, params)
    t_pulp = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = solve_sourcing(options, printers, params)
    t_highs = time.perf_counter() - t0
    lp = solve_lp_relaxation(options, printers, params)
    out = {
        "n": n,
        "options": t_opts,
        "pulp_build": t_pulp,
        "highs_build": plan.build_time_s,
        "highs_solve": plan.solve_time_s,
        "highs_total": t_highs,
        "gap_highs": 100.0 * (plan.objective - lp) / max(abs(lp), 1e-9),
        "end_to_end": t_opts + t_highs,
        "printed": float(np.sum(plan.mode != "buy_stock")),
        "util": max(
            (u["used_hours"] / u["capacity_hours"] for u in plan.printer_usage),
            default=0.0,
        )
        * params.max_utilisation_frac,
    }
    if cbc:
        t0 = time.perf_counter()
        plan_cbc = solve_sourcing(
            options,
            printers,
            SourcingParams(gap_rel=gap_rel, solver="cbc", time_limit_s=300.0),
        )
        out["cbc_total"] = time.perf_counter() - t0
        out["cbc_solve"] = plan_cbc.solve_time_s
        out["gap_cbc"] = 100.0 * (plan_cbc.objective - lp) / max(abs(lp), 1e-9)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1_000, 10_000, 100_000])
    ap.add_argument("--no-cbc-above", type=int, default=100_000)
    ap.add_argument("--gap-rel", type=float, default=1e-3)
    args = ap.parse_args()
    print(f"gap_rel = {args.gap_rel:g}; times in s, gaps to the LP bound in %")
    head = (
        f"{'parts':>8} {'options':>8} {'pulp':>7} {'h.build':>8} {'h.solve':>8} "
        f"{'gap_h%':>8} {'cbc':>8} {'gap_c%':>8} {'e2e':>7} {'printed':>8} {'util':>5}"
    )
    print(head)
    for n in args.sizes:
        r = bench(n, cbc=n <= args.no_cbc_above, gap_rel=args.gap_rel)
        cbc = (
            f"{r['cbc_total']:8.2f} {r['gap_cbc']:8.4f}"
            if "cbc_total" in r
            else (f"{'-':>8} {'-':>8}")
        )
        print(
            f"{n:>8,} {r['options']:8.2f} {r['pulp_build']:7.2f} "
            f"{r['highs_build']:8.2f} {r['highs_solve']:8.2f} {r['gap_highs']:8.4f} "
            f"{cbc} {r['end_to_end']:7.2f} {int(r['printed']):>8,} {r['util']:5.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
