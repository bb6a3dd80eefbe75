"""Speed of the vectorised stock policy, against stockpyl and a per-part loop.

Run: ``python benchmarks/bench_policy.py [N_PARTS]`` (default 100,000). Prints, in
one run:

1. the time for N parts with fill-rate targets and downtime costs (the whole
   :func:`planner.policy.base_stock_policy`: levels, fill rate, EBO, on hand,
   costs), Poisson only, then with 20 % over-dispersed parts and with outages;
2. the same cost-optimal base-stock levels computed by stockpyl's
   ``newsvendor_poisson`` in its per-part loop on a sample (the answers must be
   identical), and the ratio;
3. a plain per-part search with scipy.stats as a second baseline.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.policy import OutageProcess, base_stock_policy

DAYS = 365.0


def catalog(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A synthetic spare-parts catalog: mostly slow movers, lognormal prices."""
    return {
        "demand_per_year": rng.lognormal(0.0, 1.2, n).clip(0.05, 50),
        "lead_time_days": rng.uniform(3, 182, n),
        "unit_cost": rng.lognormal(4, 1.5, n).clip(2, 5000),
        "holding_rate": np.full(n, 0.25),
        "target_fill_rate": rng.choice([0.9, 0.95, 0.99], n),
        "downtime_cost_per_day": np.where(
            rng.random(n) < 0.7, rng.uniform(10, 5000, n), np.nan
        ),
    }


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs [s] and the last result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def scipy_loop(mean: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Smallest S with Poisson cdf(S) >= ratio, one part at a time."""
    return np.array(
        [int(stats.poisson.ppf(r, m)) for m, r in zip(mean, ratio, strict=True)]
    )


def main(n_parts: int = 100_000) -> None:
    rng = np.random.default_rng(7)
    cat = catalog(n_parts, rng)
    t_pois, _ = timed(lambda: base_stock_policy(**cat))
    vtm = np.where(rng.random(n_parts) < 0.2, rng.uniform(1.2, 4.0, n_parts), 1.0)
    t_nb, _ = timed(lambda: base_stock_policy(**cat, variance_to_mean=vtm), repeat=1)
    outage = OutageProcess(
        rate_per_year=np.where(rng.random(n_parts) < 0.3, 0.5, 0.0),
        duration_days=np.full(n_parts, 30.0),
        exponential=np.zeros(n_parts, dtype=bool),
    )
    t_out, _ = timed(lambda: base_stock_policy(**cat, outage=outage), repeat=1)
    print(f"parts: {n_parts:,}")
    print(
        f"  Poisson, fill-rate targets + downtime costs : {t_pois:7.3f} s "
        f"({n_parts / t_pois:12,.0f} parts/s)"
    )
    print(f"  + 20 % negative-binomial parts               : {t_nb:7.3f} s")
    print(f"  + outages on 30 % of parts                   : {t_out:7.3f} s")

    # the cost-optimal level alone: the newsvendor, which stockpyl also computes
    b = np.nan_to_num(cat["downtime_cost_per_day"], nan=1.0)
    h = cat["unit_cost"] * cat["holding_rate"] / DAYS
    mean = cat["demand_per_year"] * cat["lead_time_days"] / DAYS
    cost_only = {
        **cat,
        "target_fill_rate": np.zeros(n_parts),
        "downtime_cost_per_day": b,
    }
    t_ours, pol = timed(lambda: base_stock_policy(**cost_only))
    try:
        from stockpyl.newsvendor import newsvendor_poisson
    except ImportError:
        print("stockpyl not installed: pip install stockpyl==1.0.2 for the comparison")
        return
    sample = rng.choice(n_parts, size=min(2_000, n_parts), replace=False)
    t0 = time.perf_counter()
    ref = np.array([int(newsvendor_poisson(h[i], b[i], mean[i])[0]) for i in sample])
    t_stockpyl = (time.perf_counter() - t0) / sample.size * n_parts
    same = np.array_equal(ref, pol.base_stock_level[sample])
    t0 = time.perf_counter()
    ref2 = scipy_loop(mean[sample], (b / (b + h))[sample])
    t_scipy = (time.perf_counter() - t0) / sample.size * n_parts
    same2 = np.array_equal(ref2, pol.base_stock_level[sample])
    print(f"cost-optimal (newsvendor) levels, {n_parts:,} parts:")
    print(f"  planner (all figures)        : {t_ours:8.3f} s")
    print(
        f"  stockpyl newsvendor_poisson  : {t_stockpyl:8.3f} s  "
        f"(per-part loop on {sample.size:,} parts, scaled)  same levels: {same}"
    )
    print(f"  scipy.stats per-part ppf     : {t_scipy:8.3f} s  same levels: {same2}")
    print(
        f"  speed-up vs stockpyl: {t_stockpyl / t_ours:7.0f}x   "
        f"vs per-part scipy: {t_scipy / t_ours:6.0f}x"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
