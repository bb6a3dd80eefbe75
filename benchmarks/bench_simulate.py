"""Speed of the what-if engine: part-days simulated per second.

Simulates 10,000 spare parts x 100 paths x 365 days (realistic spare-part demand:
most parts a handful of demands a year, a tenth negative binomial) and, in the
same run, stockpyl's simulator on one base-stock part with Poisson demand, and
prints both rates and their ratio. Run: ``.venv/bin/python benchmarks/bench_simulate.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.scenarios import PRESETS, SimulationPlan, simulate

N_PARTS = 10_000
N_PATHS = 100
HORIZON = 365
REPEATS = 3


def catalog_plan(n_parts: int, seed: int = 0) -> SimulationPlan:
    """A catalog like a plant's: lognormal demand (median 3 a year), S from 1 to 6."""
    rng = np.random.default_rng(seed)
    demand = np.exp(rng.normal(np.log(3.0), 1.0, n_parts))
    lead = rng.uniform(10.0, 90.0, n_parts)
    vtm = np.where(rng.random(n_parts) < 0.1, rng.uniform(1.5, 4.0, n_parts), 1.0)
    level = np.ceil(demand * lead / 365.0 + 2.0 * np.sqrt(demand * lead / 365.0))
    return SimulationPlan(
        part_id=np.array([f"P{i:05d}" for i in range(n_parts)]),
        demand_per_year=demand,
        base_stock_level=level.astype(np.int64),
        lead_time_days=lead,
        unit_value=rng.uniform(5.0, 500.0, n_parts),
        variance_to_mean=vtm,
        supplier_region=np.where(rng.random(n_parts) < 0.3, "EU", "APAC"),
    )


def bench_planner() -> tuple[float, float]:
    """Best of REPEATS: (part-days/s, seconds) for the catalog under two scenarios."""
    plan = catalog_plan(N_PARTS)
    rates = {}
    for name in ("Baseline", "Random EU supplier outages"):
        best = np.inf
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            simulate(plan, PRESETS[name], n_paths=N_PATHS, seed=1, keep_quantiles=False)
            best = min(best, time.perf_counter() - t0)
        rates[name] = (N_PARTS * N_PATHS * HORIZON / best, best)
    return rates


def bench_stockpyl(periods: int = 2000) -> float:
    """stockpyl's simulator on one base-stock node, Poisson demand: part-days/s."""
    from stockpyl import sim
    from stockpyl.supply_chain_network import single_stage_system

    network = single_stage_system(
        holding_cost=1.0,
        stockout_cost=10.0,
        shipment_lead_time=2,
        demand_type="P",
        mean=2.0,
        policy_type="BS",
        base_stock_level=4,
    )
    t0 = time.perf_counter()
    sim.simulation(network, periods, rand_seed=1, progress_bar=False)
    return periods / (time.perf_counter() - t0)


def main() -> None:
    """Print the rates and the ratio."""
    ours = bench_planner()
    theirs = bench_stockpyl()
    for name, (rate, seconds) in ours.items():
        print(
            f"planner simulate [{name}]: {N_PARTS:,} parts x {N_PATHS} paths x "
            f"{HORIZON} days in {seconds:.2f} s = {rate:.3g} part-days/s"
        )
    print(f"stockpyl sim.simulation, 1 part: {theirs:.3g} part-days/s")
    base = ours["Baseline"][0]
    print(f"ratio (baseline): {base / theirs:,.0f}x")


if __name__ == "__main__":
    main()
