"""Speed of the vectorised base-stock policy against a per-part loop, same run.

Run: ``python benchmarks/bench_policy.py [N_PARTS]``. Prints parts per second of
``planner.policy.base_stock_policy`` (with and without an outage process) and of a
straightforward per-part search with scipy (the baseline), and their ratio. The two
must give the same base-stock levels; the script checks it.
"""

from __future__ import annotations

import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from scipy import stats

from planner.policy import OutageProcess, base_stock_policy


def per_part_baseline(demand_per_year, lead_time_days, target) -> np.ndarray:
    """Smallest S with Poisson cdf(S-1) >= target, one part at a time (the baseline)."""
    levels = np.zeros(len(demand_per_year), dtype=np.int64)
    for i, (lam, lead, q) in enumerate(
        zip(demand_per_year, lead_time_days, target, strict=True)
    ):
        mean = lam * lead / 365.0
        s = 0
        while mean > 0 and stats.poisson.cdf(s - 1, mean) < q:
            s += 1
        levels[i] = s
    return levels


def main(n_parts: int = 20_000) -> None:
    rng = np.random.default_rng(7)
    demand = rng.lognormal(0.0, 1.2, n_parts).clip(0.05, 50)
    lead = rng.uniform(3, 182, n_parts)
    cost = rng.lognormal(4, 1.5, n_parts).clip(2, 5000)
    target = rng.choice([0.9, 0.95, 0.99], n_parts)
    common = {
        "demand_per_year": demand,
        "lead_time_days": lead,
        "unit_cost": cost,
        "holding_rate": np.full(n_parts, 0.25),
        "target_fill_rate": target,
        "downtime_cost_per_day": np.full(n_parts, np.nan),
    }
    t0 = time.perf_counter()
    pol = base_stock_policy(**common)
    t_vec = time.perf_counter() - t0

    outage = OutageProcess(
        rate_per_year=np.full(n_parts, 0.5),
        duration_days=np.full(n_parts, 30.0),
        exponential=np.zeros(n_parts, dtype=bool),
    )
    t0 = time.perf_counter()
    base_stock_policy(**common, outage=outage)
    t_out = time.perf_counter() - t0

    n_base = min(n_parts, 2_000)
    t0 = time.perf_counter()
    ref = per_part_baseline(demand[:n_base], lead[:n_base], target[:n_base])
    t_base = (time.perf_counter() - t0) * n_parts / n_base
    assert np.array_equal(ref, pol.base_stock_level[:n_base]), "levels differ"

    print(f"parts: {n_parts}")
    print(f"vectorised, no outages:   {t_vec:8.3f} s  {n_parts / t_vec:12,.0f} parts/s")
    print(f"vectorised, with outages: {t_out:8.3f} s  {n_parts / t_out:12,.0f} parts/s")
    print(
        f"per-part loop (baseline): {t_base:8.3f} s  {n_parts / t_base:12,.0f} parts/s"
        f"  (extrapolated from {n_base} parts)"
    )
    print(f"speed-up vs baseline (no outages): {t_base / t_vec:6.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
