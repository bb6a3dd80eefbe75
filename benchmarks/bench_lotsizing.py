"""Speed of the vectorised (r, Q) policy, and its ratio against stockpyl, same run.

Run: ``python benchmarks/bench_lotsizing.py [N_PARTS] [N_SAMPLE]``. Prints the time
of ``planner.lotsizing.rq_policy`` for N_PARTS parts (default 10,000) with the
lot size optimised (fill-rate floors and downtime costs; then with negative-
binomial demand and supplier outages too; then with given lot sizes), and the
time of stockpyl's exact (r, Q) algorithm (Federgruen-Zheng,
``stockpyl.rq.r_q_poisson_exact``) one part at a time on a sample, on the model
both solve: Poisson demand, continuous review, backorder cost, no fill-rate floor.
The script checks that both give the same (r, Q) and cost on the sample.

stockpyl's ``sS.s_s_discrete_exact`` solves a periodic-review (s, S) model, not this
one (continuous review with a lead time, where the (s, S) policy for unit demand is
the (r, Q) policy with s = r, S = r + Q); ``benchmarks/bench_periodic_ss.py``
compares it with :func:`planner.lotsizing.periodic_ss_policy` on that model.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.lotsizing import rq_policy
from planner.policy import OutageProcess


def catalog(n_parts: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A synthetic spare-parts catalog: slow and fast movers, cheap and dear parts."""
    return {
        "demand_per_year": rng.lognormal(1.0, 1.3, n_parts).clip(0.05, 2000),
        "lead_time_days": rng.uniform(3, 182, n_parts),
        "unit_cost": rng.lognormal(4, 1.5, n_parts).clip(2, 5000),
        "holding_rate": np.full(n_parts, 0.25),
        "order_cost": rng.uniform(10, 150, n_parts),
        "target_fill_rate": rng.choice([0.9, 0.95, 0.99], n_parts),
        "downtime_cost_per_day": np.where(
            rng.random(n_parts) < 0.5, rng.lognormal(3, 1, n_parts), np.nan
        ),
    }


def timed(**kwargs: object) -> tuple[float, object]:
    """Wall time [s] of one rq_policy call, and its result."""
    t0 = time.perf_counter()
    pol = rq_policy(**kwargs)
    return time.perf_counter() - t0, pol


def main(n_parts: int = 10_000, n_sample: int = 200) -> None:
    from stockpyl.rq import r_q_poisson_exact

    rng = np.random.default_rng(7)
    parts = catalog(n_parts, rng)
    t_opt, pol = timed(**parts)
    outage = OutageProcess(
        rate_per_year=np.where(rng.random(n_parts) < 0.3, 0.5, 0.0),
        duration_days=np.full(n_parts, 30.0),
        exponential=rng.random(n_parts) < 0.5,
    )
    vtm = np.where(rng.random(n_parts) < 0.3, rng.uniform(1.2, 4.0, n_parts), 1.0)
    t_mix, _ = timed(**parts, variance_to_mean=vtm, outage=outage)
    t_lot, _ = timed(**parts, lot_size=pol.order_quantity.astype(float))

    # the model stockpyl solves: backorder cost on every part, no fill-rate floor
    cost_model = {
        **parts,
        "target_fill_rate": np.zeros(n_parts),
        "downtime_cost_per_day": rng.lognormal(3, 1, n_parts),
    }
    t_cost, ours = timed(**cost_model)
    h = cost_model["unit_cost"] * cost_model["holding_rate"]
    p = cost_model["downtime_cost_per_day"] * 365.0
    n_sample = min(n_sample, n_parts)
    t0 = time.perf_counter()
    ref = [
        r_q_poisson_exact(
            h[i],
            p[i],
            cost_model["order_cost"][i],
            cost_model["demand_per_year"][i],
            cost_model["lead_time_days"][i] / 365.0,
        )
        for i in range(n_sample)
    ]
    t_ref = (time.perf_counter() - t0) * n_parts / n_sample
    r_ref = np.array([x[0] for x in ref])
    q_ref = np.array([x[1] for x in ref])
    g_ref = np.array([float(x[2]) for x in ref])
    same_rq = np.array_equal(r_ref, ours.reorder_point[:n_sample]) and np.array_equal(
        q_ref, ours.order_quantity[:n_sample]
    )
    cost_err = np.max(np.abs(g_ref / ours.annual_cost[:n_sample] - 1.0))
    assert same_rq, "(r, Q) differ from stockpyl"
    assert cost_err < 1e-9, f"costs differ from stockpyl by {cost_err:.2e}"

    print(f"parts: {n_parts}")
    print(
        f"(r,Q) optimised, floors + downtime costs:      {t_opt:7.3f} s  "
        f"(Q median {np.median(pol.order_quantity):.0f}, max {pol.order_quantity.max()})"
    )
    print(f"(r,Q) optimised, + 30% NB demand, 30% outages: {t_mix:7.3f} s")
    print(f"(r,Q) with given lot sizes:                    {t_lot:7.3f} s")
    print(f"(r,Q) optimised, cost model (stockpyl's):      {t_cost:7.3f} s")
    print(
        f"stockpyl r_q_poisson_exact, same model:        {t_ref:7.3f} s  "
        f"(extrapolated from {n_sample} parts, same (r, Q), cost within "
        f"{cost_err:.1e})"
    )
    print(f"speed-up vs stockpyl: {t_ref / t_cost:,.0f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
