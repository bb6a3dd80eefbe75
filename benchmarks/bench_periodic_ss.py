"""Speed of the exact periodic-review (s, S) policy, and its ratio against stockpyl.

Run: ``python benchmarks/bench_periodic_ss.py [N_PARTS] [N_SAMPLE] [SEED]``. Times
``planner.lotsizing.periodic_ss_policy`` on N_PARTS synthetic spare parts (default
10,000; weekly review, Poisson demand, zero lead time: the model stockpyl
solves), then stockpyl's ``ss.s_s_discrete_exact`` (Zheng-Federgruen, one part
at a time) on a random sample of N_SAMPLE parts (default 200), checks that both
give the same s, S and cost (to 1e-6), and prints the ratio of stockpyl's time,
extrapolated from the sample's mean time per part, to ours. Also times the
negative-binomial extension and a lead time, which stockpyl does not offer.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.lotsizing import periodic_ss_policy

WEEKS_PER_YEAR = 52.0


def catalog(n_parts: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weekly (s, S) inputs: slow and fast movers, cheap and dear parts."""
    unit_cost = rng.lognormal(4.0, 1.5, n_parts).clip(5.0, 5000.0)
    holding = unit_cost * 0.25 / WEEKS_PER_YEAR  # per unit-week
    return {
        "demand_mean_per_period": rng.lognormal(-1.0, 1.2, n_parts).clip(0.01, 20.0),
        "holding_cost_per_period": holding,
        # a week's backorder costs 5x to 500x a week's holding
        "stockout_cost_per_period": holding
        * np.exp(rng.uniform(np.log(5), np.log(500), n_parts)),
        "fixed_cost": rng.uniform(10.0, 150.0, n_parts),
    }


def main() -> None:
    """Time both on the same parts and print the figures."""
    n_parts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    n_sample = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20240601
    rng = np.random.default_rng(seed)
    cat = catalog(n_parts, rng)
    periodic_ss_policy(**{k: v[:50] for k, v in cat.items()})  # warm-up (imports)

    t0 = time.perf_counter()
    pol = periodic_ss_policy(**cat)
    ours = time.perf_counter() - t0
    q = pol.order_up_to - pol.reorder_point
    print(f"planner periodic_ss_policy, {n_parts} parts (Poisson, L = 0): {ours:.3f} s")
    print(
        f"  S - s: median {np.median(q):.0f}, 99th pct {np.percentile(q, 99):.0f}, "
        f"max {q.max()}; mean fill rate {pol.fill_rate.mean():.4f}"
    )

    vtm = np.where(rng.random(n_parts) < 0.5, rng.uniform(1.2, 4.0, n_parts), 1.0)
    lead = rng.integers(0, 9, n_parts)
    t0 = time.perf_counter()
    periodic_ss_policy(**cat, variance_to_mean=vtm, lead_time_periods=lead)
    print(
        f"  with half the parts negative binomial and lead times 0-8 weeks: "
        f"{time.perf_counter() - t0:.3f} s"
    )

    if n_sample <= 0:
        return
    from stockpyl.ss import s_s_discrete_exact

    sample = rng.choice(n_parts, size=min(n_sample, n_parts), replace=False)
    times = []
    for i in sample:
        t0 = time.perf_counter()
        s_ref, big_s_ref, c_ref = s_s_discrete_exact(
            cat["holding_cost_per_period"][i],
            cat["stockout_cost_per_period"][i],
            cat["fixed_cost"][i],
            True,
            cat["demand_mean_per_period"][i],
        )
        times.append(time.perf_counter() - t0)
        same = (
            int(s_ref) == pol.reorder_point[i]
            and int(big_s_ref) == pol.order_up_to[i]
            and abs(c_ref - pol.cost_per_period[i]) <= 1e-6
        )
        if not same:
            raise SystemExit(
                f"part {i}: stockpyl ({s_ref}, {big_s_ref}, {c_ref}) != planner "
                f"({pol.reorder_point[i]}, {pol.order_up_to[i]}, "
                f"{pol.cost_per_period[i]})"
            )
    times = np.array(times)
    per_part = times.mean()
    se = times.std(ddof=1) / np.sqrt(times.size) if times.size > 1 else np.nan
    print(
        f"stockpyl s_s_discrete_exact, {sample.size} sampled parts: {times.sum():.2f} s "
        f"(per part: mean {per_part * 1e3:.1f} ms +- {se * 1e3:.1f} (s.e.), median "
        f"{np.median(times) * 1e3:.1f} ms, max {times.max() * 1e3:.0f} ms); "
        f"same s, S and cost on all"
    )
    print(
        f"ratio: stockpyl {per_part * n_parts:.0f} s (extrapolated) / planner "
        f"{ours:.3f} s = {per_part * n_parts / ours:,.0f}x"
    )


if __name__ == "__main__":
    main()
