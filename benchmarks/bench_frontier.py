"""Speed of the budget frontier (marginal analysis over all parts).

Run: ``python benchmarks/bench_frontier.py [N_PARTS]`` (default 100,000). Prints the
time of ``planner.frontier.budget_frontier`` on a synthetic catalog, best of three,
for Poisson demand, with 20 % over-dispersed (negative-binomial) parts, with 20 %
of parts under random supplier outages, and with both; the number of units on the
frontier; and the time of ``allocation_at``. Then, on 2,000 parts, a
straightforward one-unit-at-a-time greedy with a heap (the textbook baseline) and
the ratio; the two must give the same frontier, which the script checks.
"""

from __future__ import annotations

import heapq
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scipy import stats

from planner.frontier import budget_frontier
from planner.policy import OutageProcess


def catalog(n_parts: int, seed: int = 7) -> dict[str, np.ndarray]:
    """A synthetic catalog of slow and fast movers, cheap and dear parts."""
    rng = np.random.default_rng(seed)
    return {
        "demand_per_year": rng.lognormal(0.0, 1.2, n_parts).clip(0.05, 50),
        "lead_time_days": rng.uniform(3, 182, n_parts),
        "unit_cost": rng.lognormal(4, 1.5, n_parts).clip(2, 5000),
        "downtime_cost_per_day": np.where(
            rng.random(n_parts) < 0.5, rng.lognormal(5, 1, n_parts), np.nan
        ),
    }


def heap_greedy(demand_per_year, lead_time_days, unit_cost, tolerance=1e-6):
    """Marginal analysis one unit at a time, Poisson demand (the baseline)."""
    mean = demand_per_year * lead_time_days / 365.0
    level = np.zeros(len(mean), dtype=np.int64)
    ebo = mean.copy()
    heap = [
        (-stats.poisson.sf(0, m) / c, i)
        for i, (m, c) in enumerate(zip(mean, unit_cost, strict=True))
        if m >= tolerance
    ]
    heapq.heapify(heap)
    investment, total = [0.0], [float(mean.sum())]
    while heap:
        _, i = heapq.heappop(heap)
        step = stats.poisson.sf(level[i], mean[i])
        ebo[i] -= step
        level[i] += 1
        investment.append(investment[-1] + unit_cost[i])
        total.append(total[-1] - step)
        if ebo[i] >= tolerance:
            gain = stats.poisson.sf(level[i], mean[i])
            heapq.heappush(heap, (-gain / unit_cost[i], i))
    return np.array(investment), np.array(total)


def best_of(n_runs: int, fn):
    """Smallest wall time of ``n_runs`` calls [s], and the last result."""
    times = []
    for _ in range(n_runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(n_parts: int = 100_000) -> None:
    cat = catalog(n_parts)
    rng = np.random.default_rng(11)
    vtm = np.where(rng.random(n_parts) < 0.2, rng.uniform(1.2, 4.0, n_parts), 1.0)
    outage = OutageProcess(
        rate_per_year=np.where(rng.random(n_parts) < 0.2, 0.5, 0.0),
        duration_days=np.full(n_parts, 30.0),
        exponential=rng.random(n_parts) < 0.5,
    )
    cases = {
        "Poisson": {},
        "20% negative binomial": {"variance_to_mean": vtm},
        "20% under outages": {"outage": outage},
        "both": {"variance_to_mean": vtm, "outage": outage},
    }
    print(f"parts: {n_parts}")
    for name, extra in cases.items():
        seconds, fr = best_of(3, lambda extra=extra: budget_frontier(**cat, **extra))
        print(
            f"budget_frontier, {name:22s} {seconds:7.3f} s  "
            f"{fr.n_steps:>9,} units on the frontier"
        )
    budget = 0.5 * fr.investment[-1]
    seconds, alloc = best_of(3, lambda: fr.allocation_at(budget))
    print(
        f"allocation_at(half the end investment): {seconds * 1e3:7.1f} ms  "
        f"(EBO {alloc.total_ebo:.2f}, fill rate {alloc.fill_rate:.4f})"
    )
    print(
        f"downtime objective, Poisson:             "
        f"{best_of(3, lambda: budget_frontier(**cat, objective='downtime_cost'))[0]:7.3f} s"
    )

    n_base = min(n_parts, 2_000)
    small = {k: v[:n_base] for k, v in cat.items()}
    t_vec, fr = best_of(3, lambda: budget_frontier(**small, max_points=10**9))
    t0 = time.perf_counter()
    investment, total = heap_greedy(
        small["demand_per_year"], small["lead_time_days"], small["unit_cost"]
    )
    t_base = time.perf_counter() - t0
    assert fr.n_steps == len(investment) - 1, "frontiers differ in length"
    assert np.allclose(fr.investment, investment, rtol=1e-9), "investments differ"
    assert np.allclose(fr.total_ebo, total, rtol=1e-9, atol=1e-9), "EBO differs"
    print(
        f"{n_base} parts: vectorised {t_vec:.4f} s, heap greedy (baseline) "
        f"{t_base:.3f} s, speed-up {t_base / t_vec:.0f}x, same frontier"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
