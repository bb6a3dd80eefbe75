"""Tests of planner.demand: hand-worked smoothers, classification, precedence,
installed base, and the vectorised estimator against a plain per-part reference."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.catalog import DemandHistory, Part
from planner.demand import (
    ADI_CUTOFF,
    CV2_CUTOFF,
    DemandClass,
    DemandEstimate,
    DemandMethod,
    DemandSource,
    bucket_history,
    classify_demand,
    croston_rate,
    estimate_demand,
    ses_level,
    tsb_rate,
)
from planner.errors import CatalogError, PlannerError
from planner.units import DEFAULT_OPERATING_HOURS_PER_YEAR

#: The hand-worked series: demand in periods 1, 4 and 6 of 7.
HAND_SERIES = np.array([[0.0, 3.0, 0.0, 0.0, 2.0, 0.0, 4.0]])


def make_part(part_id: str, **kwargs: object) -> Part:
    """A valid part with catalog demand 5/year unless told otherwise."""
    fields: dict[str, object] = {
        "unit_cost": 10.0,
        "annual_demand": 5.0,
        "lead_time_days": 30.0,
    }
    fields.update(kwargs)
    return Part(part_id=part_id, **fields)


def make_history(events: list[tuple[str, str, float]]) -> DemandHistory:
    """A DemandHistory from (part_id, ISO date, quantity) triples."""
    return DemandHistory(
        part_id=np.array([e[0] for e in events], dtype=str),
        date=np.array([e[1] for e in events], dtype="datetime64[D]"),
        quantity=np.array([e[2] for e in events], dtype=float),
    )


# --- hand-worked smoothers -------------------------------------------------------


def test_croston_and_sba_hand_worked() -> None:
    """Croston/SBA on 0,3,0,0,2,0,4 with alpha 0.1 equal the values worked by hand."""
    # Period 1: first demand, size z = 3, interval p = 2 (periods 0 and 1).
    # Period 4: q = 3 periods since the last demand.
    #   z = 3 + 0.1 (2 - 3) = 2.9;   p = 2 + 0.1 (3 - 2) = 2.1
    # Period 6: q = 2.
    #   z = 2.9 + 0.1 (4 - 2.9) = 3.01;   p = 2.1 + 0.1 (2 - 2.1) = 2.09
    # Croston = 3.01 / 2.09 = 1.440191...; SBA = (1 - 0.1/2) * 3.01 / 2.09.
    croston = croston_rate(HAND_SERIES, alpha=0.1)
    sba = croston_rate(HAND_SERIES, alpha=0.1, method="sba")
    assert croston[0] == pytest.approx(3.01 / 2.09, rel=1e-12)
    assert sba[0] == pytest.approx(0.95 * 3.01 / 2.09, rel=1e-12)
    assert croston[0] == pytest.approx(1.4401913875598087, rel=1e-12)


def test_tsb_hand_worked() -> None:
    """TSB on 0,3,0,0,2,0,4 with alpha = beta = 0.1 equals the value worked by hand."""
    # d starts at 1[y0 > 0] = 0 and is smoothed every later period:
    #   t1: 0 + 0.1 (1 - 0) = 0.1      t2: 0.09      t3: 0.081
    #   t4: 0.081 + 0.1 (1 - 0.081) = 0.1729        t5: 0.15561
    #   t6: 0.15561 + 0.1 (1 - 0.15561) = 0.240049
    # z as in Croston: 3 -> 2.9 -> 3.01.  TSB = 0.240049 * 3.01 = 0.72254749.
    assert tsb_rate(HAND_SERIES, alpha=0.1, beta=0.1)[0] == pytest.approx(
        0.240049 * 3.01, rel=1e-12
    )


def test_ses_hand_worked() -> None:
    """SES on 0,3,0,0,2,0,4 with alpha 0.1 equals the level worked by hand."""
    # l0 = 0; 0.3; 0.27; 0.243; 0.243 + 0.1 (2 - 0.243) = 0.4187; 0.37683;
    # 0.37683 + 0.1 (4 - 0.37683) = 0.739147.
    assert ses_level(HAND_SERIES, alpha=0.1)[0] == pytest.approx(0.739147, rel=1e-12)


def test_tsb_decays_without_demand_croston_does_not() -> None:
    """After a run of zeros TSB falls (obsolescence) while Croston stays put."""
    base = np.array([[2.0, 0.0, 2.0, 0.0, 2.0, 0.0]])
    longer = np.concatenate([base, np.zeros((1, 20))], axis=1)
    assert croston_rate(longer)[0] == croston_rate(base)[0]
    assert tsb_rate(longer)[0] < tsb_rate(base)[0] * 0.9**19


def test_smoothers_give_zero_for_series_without_demand() -> None:
    """An all-zero row gives rate 0 from every smoother, without nan or warnings."""
    y = np.zeros((2, 5))
    for rate in (croston_rate(y), croston_rate(y, method="sba"), tsb_rate(y)):
        np.testing.assert_array_equal(rate, 0.0)
    np.testing.assert_array_equal(ses_level(y), 0.0)
    np.testing.assert_array_equal(ses_level(np.zeros((2, 0))), 0.0)
    np.testing.assert_array_equal(tsb_rate(np.zeros((2, 0))), 0.0)


def test_constant_series_is_its_own_forecast() -> None:
    """On a constant demand of 4 every period, SES, Croston and TSB return 4."""
    y = np.full((1, 30), 4.0)
    assert ses_level(y)[0] == pytest.approx(4.0)
    assert croston_rate(y)[0] == pytest.approx(4.0)
    assert tsb_rate(y)[0] == pytest.approx(4.0)
    assert croston_rate(y, method="sba", alpha=0.2)[0] == pytest.approx(4.0 * 0.9)


# --- classification ----------------------------------------------------------------


def test_classification_cutoffs_are_inclusive_above() -> None:
    """ADI 1.32 and CV^2 0.49 exactly count as intermittent/erratic (>= cut-off)."""
    n_periods = 66
    y = np.zeros((6, n_periods))
    y[0, :50] = 5.0  # 50 demands in 66 periods: ADI = 66/50 = 1.32 exactly, CV^2 0
    y[1, :51] = 5.0  # 51 demands: ADI = 1.294 < 1.32
    # Sizes 3 and 17 alternating: mean 10, population variance 7^2 = 49,
    # CV^2 = 49/100 = 0.49 exactly; every period has demand (ADI 1).
    y[2] = np.tile([3.0, 17.0], 33)
    y[3] = np.tile([3.1, 16.9], 33)  # CV^2 = 6.9^2 / 10^2 = 0.4761 < 0.49
    y[4, :50] = np.tile([3.0, 17.0], 25)  # ADI 1.32 and CV^2 0.49: lumpy
    adi, cv2, cls = classify_demand(y)  # row 5: no demand at all
    assert adi[0] == ADI_CUTOFF
    assert adi[1] == pytest.approx(66 / 51)
    assert cv2[2] == CV2_CUTOFF
    assert cv2[3] == pytest.approx(0.4761)
    assert (adi[4], cv2[4]) == (ADI_CUTOFF, CV2_CUTOFF)
    assert cls.tolist() == [
        DemandClass.INTERMITTENT,
        DemandClass.SMOOTH,
        DemandClass.ERRATIC,
        DemandClass.SMOOTH,
        DemandClass.LUMPY,
        "",
    ]
    assert np.isinf(adi[5])
    assert np.isnan(cv2[5])


def test_classification_single_demand() -> None:
    """One demand in ten periods: ADI 10, CV^2 0, so intermittent."""
    y = np.zeros((1, 10))
    y[0, 7] = 4.0
    adi, cv2, cls = classify_demand(y)
    assert (adi[0], cv2[0], cls[0]) == (10.0, 0.0, DemandClass.INTERMITTENT)


def test_method_follows_class() -> None:
    """estimate_demand picks poisson/ses/sba/tsb for smooth/erratic/intermittent/lumpy."""
    start = np.datetime64("2024-01-01")
    weeks = np.arange(40)
    series = {
        "SMOOTH": np.full(40, 2.0),
        "ERRATIC": np.where(weeks % 2 == 0, 1.0, 9.0),
        "INTERM": np.where(weeks % 4 == 0, 3.0, 0.0),
        "LUMPY": np.where(weeks % 4 == 0, np.where(weeks % 8 == 0, 1.0, 12.0), 0.0),
    }
    ids, dates, qty = [], [], []
    for pid, y in series.items():
        keep = y > 0
        ids += [pid] * int(keep.sum())
        dates += list(start + 7 * weeks[keep])
        qty += list(y[keep])
    history = DemandHistory(
        part_id=np.array(ids),
        date=np.array(dates, dtype="datetime64[D]"),
        quantity=np.array(qty),
    )
    parts = [make_part(pid) for pid in series]
    est = estimate_demand(parts, history, as_of=start + 7 * 40 - 1)
    assert est.demand_class.tolist() == ["smooth", "erratic", "intermittent", "lumpy"]
    assert est.method.tolist() == ["poisson", "ses", "sba", "tsb"]
    assert est.source.tolist() == ["history"] * 4
    # Smooth: exactly 2 per week over 40 full weeks -> 2 * 365 / 7 per year.
    assert est.demand_per_year[0] == pytest.approx(2 * 365 / 7)
    # The intermittent part's rate is SBA of its weekly series, scaled to a year.
    sba = croston_rate(series["INTERM"][None, :], method="sba")[0] * 365 / 7
    assert est.demand_per_year[2] == pytest.approx(sba)


# --- bucketing ----------------------------------------------------------------------


def test_bucket_history_counts_back_from_as_of() -> None:
    """Weeks end at as_of; later, zero and unknown events are dropped; sums add up."""
    history = make_history(
        [
            ("A", "2024-01-01", 1.0),  # first day: period 0 (a 3-day stub)
            ("A", "2024-01-04", 2.0),  # 14 days before as_of: period 0 too
            ("A", "2024-01-05", 4.0),  # 13 days before: period 1 (first full week)
            ("A", "2024-01-18", 8.0),  # as_of itself: last period
            ("A", "2024-01-19", 16.0),  # after as_of: dropped
            ("B", "2024-01-10", 0.0),  # zero quantity: not a demand
            ("Z", "2024-01-10", 5.0),  # not a catalog part
        ]
    )
    b = bucket_history(history, ["A", "B"], as_of="2024-01-18")
    assert b.window_days == 18
    assert b.n_periods == 3
    assert b.part_index.tolist() == [0]
    assert b.demand.tolist() == [[3.0, 4.0, 8.0]]
    assert b.as_of == np.datetime64("2024-01-18")
    assert b.first_date == np.datetime64("2024-01-01")


def test_bucket_history_empty_and_no_match() -> None:
    """An empty history or one with no catalog part gives no rows, not an error."""
    empty = make_history([])
    assert bucket_history(empty, ["A"]).part_index.shape == (0,)
    other = make_history([("Z", "2024-01-01", 1.0)])
    b = bucket_history(other, ["A"])
    assert b.demand.shape == (0, 1)
    assert bucket_history(other, []).part_index.shape == (0,)


# --- precedence and installed base -----------------------------------------------


def test_precedence_history_over_installed_base_over_catalog() -> None:
    """History beats installed base beats catalog; no usable source gives 0/catalog."""
    base = {"installed_quantity": 10.0, "mtbf_hours": 1000.0}
    parts = [
        make_part("H", annual_demand=99.0, **base),
        make_part("I", annual_demand=99.0, **base),
        make_part("C", annual_demand=7.5),
        make_part("N", annual_demand=None),
        make_part("Q", annual_demand=3.0, installed_quantity=4.0),  # no MTBF
        make_part("L", annual_demand=2.0),  # history only after as_of / zero
    ]
    history = make_history(
        [
            ("H", "2023-01-01", 1.0),
            ("H", "2023-07-01", 1.0),
            ("L", "2023-03-01", 0.0),
            ("L", "2024-06-01", 5.0),
        ]
    )
    est = estimate_demand(parts, history, as_of="2023-12-31")
    assert est.source.tolist() == [
        DemandSource.HISTORY,
        DemandSource.INSTALLED_BASE,
        DemandSource.CATALOG,
        DemandSource.CATALOG,
        DemandSource.CATALOG,
        DemandSource.CATALOG,
    ]
    assert est.method.tolist() == [
        "sba",
        "installed_base",
        "poisson",
        "poisson",
        "poisson",
        "poisson",
    ]
    installed = 10.0 * DEFAULT_OPERATING_HOURS_PER_YEAR / 1000.0
    assert est.demand_per_year[1:].tolist() == [installed, 7.5, 0.0, 3.0, 2.0]
    assert est.demand_class.tolist() == ["intermittent", "", "", "", "", ""]
    np.testing.assert_array_equal(est.variance_to_mean[1:], 1.0)
    assert est.part_id.tolist() == ["H", "I", "C", "N", "Q", "L"]
    assert len(est) == 6


def test_installed_base_formula() -> None:
    """Rate = installed_quantity x operating_hours_per_year / mtbf_hours [1/year]."""
    parts = [
        make_part("A", installed_quantity=12, mtbf_hours=20_000.0),
        make_part(
            "B",
            installed_quantity=3,
            mtbf_hours=500.0,
            operating_hours_per_year=8760.0,
        ),
        make_part("C", installed_quantity=0, mtbf_hours=100.0),
    ]
    est = estimate_demand(parts)
    # 12 x 5256 / 20000 = 3.1536; 3 x 8760 / 500 = 52.56; 0 installed -> 0.
    np.testing.assert_allclose(est.demand_per_year, [3.1536, 52.56, 0.0], rtol=1e-12)
    assert pytest.approx(5256.0) == DEFAULT_OPERATING_HOURS_PER_YEAR
    assert est.source.tolist() == ["installed_base"] * 3


def test_no_parts_and_no_history() -> None:
    """No parts gives empty arrays of the right kinds; no history uses the catalog."""
    est = estimate_demand([], make_history([("A", "2024-01-01", 1.0)]))
    assert isinstance(est, DemandEstimate)
    assert len(est) == 0
    assert est.source.shape == (0,)
    est = estimate_demand([make_part("A")], None)
    assert est.demand_per_year.tolist() == [5.0]
    assert est.method.tolist() == ["poisson"]


# --- statistical behaviour -----------------------------------------------------------


def test_poisson_history_rate_and_dispersion(rng: np.random.Generator) -> None:
    """Daily Poisson demand: the rate is within 4 SE and var/mean is near 1 (or k)."""
    n_days = 364 * 5  # 260 full weeks
    rate_per_day = 0.8
    dates = np.datetime64("2020-01-06") + np.arange(n_days)
    counts = rng.poisson(rate_per_day, size=(2, n_days)).astype(float)
    counts[1] *= 4.0  # every demand is a batch of 4: index of dispersion 4
    ids = np.repeat(["P", "K"], n_days)
    history = DemandHistory(
        part_id=ids, date=np.tile(dates, 2), quantity=counts.ravel()
    )
    est = estimate_demand(
        [make_part("P"), make_part("K")], history, history_method="poisson"
    )
    truth = rate_per_day * 365
    se = math.sqrt(rate_per_day * n_days) * 365 / n_days
    assert abs(est.demand_per_year[0] - truth) < 4 * se
    assert abs(est.demand_per_year[1] - 4 * truth) < 4 * 4 * se
    # The sample index of dispersion of 260 weekly Poisson counts has SD about
    # sqrt(2/259) = 0.088, so +-0.35 is 4 SD.
    assert est.variance_to_mean[0] == pytest.approx(1.0, abs=0.35)
    assert est.variance_to_mean[1] == pytest.approx(4.0, abs=4 * 0.35)


def test_sba_is_croston_times_one_minus_half_alpha(rng: np.random.Generator) -> None:
    """SBA / Croston = 1 - alpha/2 on random intermittent series, for several alphas."""
    y = rng.poisson(0.3, size=(50, 80)) * rng.integers(1, 6, size=(50, 80))
    y[:, 0] = 1  # every row has demand
    for alpha in (0.05, 0.1, 0.3, 1.0):
        np.testing.assert_allclose(
            croston_rate(y, alpha=alpha, method="sba"),
            (1 - alpha / 2) * croston_rate(y, alpha=alpha),
            rtol=1e-13,
        )


# --- vectorised result == plain per-part reference ---------------------------------


def reference_estimate(
    parts: list[Part],
    events: list[tuple[str, dt.date, float]],
    *,
    as_of: dt.date | None,
    alpha: float,
    beta: float,
    period_days: int,
    forced: str | None,
) -> list[dict[str, object]]:
    """A plain-Python, one-part-at-a-time estimate following the module's definitions."""
    first = min(d for _, d, _ in events)
    end = as_of or max(d for _, d, _ in events)
    window = (end - first).days + 1
    n_periods = math.ceil(window / period_days)
    out = []
    for part in parts:
        series = [0.0] * n_periods
        for pid, day, qty in events:
            if pid == part.part_id and day <= end and qty > 0:
                back = (end - day).days // period_days
                series[n_periods - 1 - back] += qty
        if sum(series) == 0:
            if part.installed_quantity is not None and part.mtbf_hours is not None:
                rate = (
                    part.installed_quantity
                    * part.operating_hours_per_year
                    / part.mtbf_hours
                )
                out.append(
                    {"rate": rate, "vtm": 1.0, "source": "installed_base",
                     "method": "installed_base", "cls": ""}
                )  # fmt: skip
            else:
                out.append(
                    {"rate": part.annual_demand or 0.0, "vtm": 1.0,
                     "source": "catalog", "method": "poisson", "cls": ""}
                )  # fmt: skip
            continue
        sizes = [v for v in series if v > 0]
        adi = n_periods / len(sizes)
        mean_size = sum(sizes) / len(sizes)
        cv2 = sum((v - mean_size) ** 2 for v in sizes) / len(sizes) / mean_size**2
        if adi < 1.32:
            cls = "smooth" if cv2 < 0.49 else "erratic"
        else:
            cls = "intermittent" if cv2 < 0.49 else "lumpy"
        method = (
            forced
            or {
                "smooth": "poisson",
                "erratic": "ses",
                "intermittent": "sba",
                "lumpy": "tsb",
            }[cls]
        )
        # SES
        level = series[0]
        for v in series[1:]:
            level = level + alpha * (v - level)
        # Croston: z, p from the first demand; q periods since the last demand.
        z = p = None
        q = 0
        for v in series:
            q += 1
            if v > 0:
                if z is None:
                    z, p = v, q
                else:
                    z, p = z + alpha * (v - z), p + alpha * (q - p)
                q = 0
        croston = z / p
        # TSB
        d = 1.0 if series[0] > 0 else 0.0
        zt = None
        for t, v in enumerate(series):
            if t > 0:
                d = d + beta * ((1.0 if v > 0 else 0.0) - d)
            if v > 0:
                zt = v if zt is None else zt + alpha * (v - zt)
        per_period = {
            "ses": level,
            "croston": croston,
            "sba": croston * (1 - alpha / 2),
            "tsb": d * zt,
        }
        if method == "poisson":
            rate = sum(series) * 365 / window
        else:
            rate = per_period[method] * 365 / period_days
        vtm = (
            statistics.variance(series) / statistics.mean(series)
            if n_periods > 1
            else 1.0
        )
        out.append(
            {"rate": rate, "vtm": vtm, "source": "history", "method": method,
             "cls": cls}
        )  # fmt: skip
    return out


def random_catalog(
    rng: np.random.Generator, n_parts: int
) -> tuple[list[Part], list[tuple[str, dt.date, float]]]:
    """Parts of mixed demand patterns and sources, with a random event list."""
    start = dt.date(2022, 3, 3)
    n_days = 700
    parts, events = [], []
    for i in range(n_parts):
        pid = f"P{i:03d}"
        kind = i % 6
        extra: dict[str, object] = {}
        if kind == 4:
            extra = {"installed_quantity": float(i), "mtbf_hours": 9000.0 + i}
        parts.append(make_part(pid, annual_demand=float(i) if i % 5 else None, **extra))
        if kind >= 4 and i % 12:
            continue  # no history for most of these: installed base / catalog
        rate_per_day = [0.9, 0.3, 0.03, 0.01, 0.02, 0.05][kind]
        n_events = rng.poisson(rate_per_day * n_days)
        days = rng.integers(0, n_days, size=n_events)
        sizes = rng.integers(1, 3 if kind in (0, 2) else 15, size=n_events)
        if kind == 1:  # frequent, with the odd batch of 60: erratic
            sizes = np.where(rng.random(n_events) < 0.1, 60, 1)
        for day, size in zip(days, sizes, strict=True):
            events.append((pid, start + dt.timedelta(days=int(day)), float(size)))
    events.append(("ZZZ", start, 1.0))  # not in the catalog, pins the window start
    return parts, events


@pytest.mark.parametrize(
    ("as_of", "period_days", "forced"),
    [
        (None, 7, None),
        (dt.date(2023, 9, 30), 7, None),
        (None, 30, None),
        (None, 7, "croston"),
        (None, 7, "tsb"),
        (None, 7, "ses"),
    ],
)
def test_vectorised_equals_per_part_reference(
    rng: np.random.Generator,
    as_of: dt.date | None,
    period_days: int,
    forced: str | None,
) -> None:
    """estimate_demand equals a plain loop over parts on a random mixed catalog."""
    parts, events = random_catalog(rng, 60)
    order = rng.permutation(len(events))  # event order must not matter
    history = DemandHistory(
        part_id=np.array([events[i][0] for i in order]),
        date=np.array([events[i][1] for i in order], dtype="datetime64[D]"),
        quantity=np.array([events[i][2] for i in order]),
    )
    est = estimate_demand(
        parts,
        history,
        as_of=None if as_of is None else np.datetime64(as_of),
        alpha=0.15,
        beta=0.05,
        period_days=period_days,
        history_method=forced,
    )
    ref = reference_estimate(
        parts,
        events,
        as_of=as_of,
        alpha=0.15,
        beta=0.05,
        period_days=period_days,
        forced=forced,
    )
    np.testing.assert_allclose(
        est.demand_per_year, [r["rate"] for r in ref], rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        est.variance_to_mean, [r["vtm"] for r in ref], rtol=1e-10
    )
    assert est.source.tolist() == [r["source"] for r in ref]
    assert est.method.tolist() == [r["method"] for r in ref]
    assert est.demand_class.tolist() == [r["cls"] for r in ref]
    classes = {r["cls"] for r in ref}
    assert {"smooth", "erratic", "intermittent", "lumpy", ""} <= classes or forced


@settings(max_examples=30, deadline=None)
@given(
    scale=st.floats(0.5, 20.0),
    shift=st.integers(0, 6),
    seed=st.integers(0, 2**16),
)
def test_scaling_quantities_scales_rates(scale: float, shift: int, seed: int) -> None:
    """Quantities x c scale history rates by c; reordering parts reorders results."""
    local = np.random.default_rng(seed)
    parts, events = random_catalog(local, 18)
    hist = DemandHistory(
        part_id=np.array([e[0] for e in events]),
        date=np.array([e[1] for e in events], dtype="datetime64[D]") + shift,
        quantity=np.array([e[2] for e in events]),
    )
    scaled = DemandHistory(
        part_id=hist.part_id, date=hist.date, quantity=hist.quantity * scale
    )
    a = estimate_demand(parts, hist)
    b = estimate_demand(parts, scaled)
    from_history = a.source == "history"
    np.testing.assert_allclose(
        b.demand_per_year[from_history],
        scale * a.demand_per_year[from_history],
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        b.variance_to_mean[from_history],
        scale * a.variance_to_mean[from_history],
        rtol=1e-9,
    )
    assert b.demand_class.tolist() == a.demand_class.tolist()
    perm = local.permutation(len(parts))
    c = estimate_demand([parts[i] for i in perm], hist)
    np.testing.assert_allclose(c.demand_per_year, a.demand_per_year[perm], rtol=1e-12)
    assert c.method.tolist() == a.method[perm].tolist()


# --- errors ---------------------------------------------------------------------------


def test_bad_history_raises_catalog_error() -> None:
    """Negative/nan quantities, missing dates and mismatched arrays name the problem."""
    parts = [make_part("A")]
    with pytest.raises(CatalogError, match=r"entry 1 \(part A\): quantity .* -2\.0"):
        estimate_demand(
            parts, make_history([("A", "2024-01-01", 1.0), ("A", "2024-01-02", -2.0)])
        )
    with pytest.raises(CatalogError, match="quantity must be a finite number"):
        estimate_demand(parts, make_history([("A", "2024-01-01", float("nan"))]))
    nat = DemandHistory(
        part_id=np.array(["A"]),
        date=np.array(["NaT"], dtype="datetime64[D]"),
        quantity=np.array([1.0]),
    )
    with pytest.raises(CatalogError, match="date is missing"):
        estimate_demand(parts, nat)
    short = DemandHistory(
        part_id=np.array(["A", "A"]),
        date=np.array(["2024-01-01"], dtype="datetime64[D]"),
        quantity=np.array([1.0, 1.0]),
    )
    with pytest.raises(CatalogError, match="date must be 1-D arrays of one length"):
        estimate_demand(parts, short)


def test_bad_parts_raise_catalog_error() -> None:
    """Duplicate ids and out-of-range installed-base fields name part and field."""
    with pytest.raises(CatalogError, match="part_id must be unique, got 'A' twice"):
        estimate_demand([make_part("A"), make_part("B"), make_part("A")])
    with pytest.raises(CatalogError, match="part_ids must be 1-D"):
        bucket_history(make_history([]), np.array([["A"]]))
    cases = [
        ({"installed_quantity": -1.0, "mtbf_hours": 10.0}, "installed_quantity"),
        (
            {"installed_quantity": float("nan"), "mtbf_hours": 10.0},
            "installed_quantity",
        ),
        ({"installed_quantity": 1.0, "mtbf_hours": 0.0}, r"mtbf_hours must .* > 0"),
        ({"installed_quantity": 1.0, "mtbf_hours": float("inf")}, "mtbf_hours"),
        ({"operating_hours_per_year": -5.0}, "operating_hours_per_year"),
    ]
    for fields, pattern in cases:
        with pytest.raises(CatalogError, match=f"part X: {pattern}"):
            estimate_demand([make_part("X", **fields)])


def test_bad_arguments_raise_planner_error() -> None:
    """alpha, beta, period_days, as_of and history_method are checked at the top."""
    parts = [make_part("A")]
    hist = make_history([("A", "2024-01-10", 1.0)])
    bad_calls = [
        ({"alpha": 0.0}, r"alpha must be in \(0, 1\], got 0.0"),
        ({"alpha": 1.5}, "alpha"),
        ({"beta": float("nan")}, "beta"),
        ({"period_days": 0}, "period_days must be a whole number >= 1, got 0"),
        ({"period_days": 1.5}, "period_days"),
        ({"period_days": True}, "period_days"),
        ({"period_days": "7"}, "period_days"),
        ({"as_of": "2024-01-09"}, "as_of must be on or after .*2024-01-10"),
        ({"as_of": "not a date"}, "as_of must be a date"),
        ({"as_of": np.datetime64("NaT")}, "as_of must be a date"),
        ({"history_method": "installed_base"}, "history_method must be one of"),
        ({"history_method": "holt"}, "history_method"),
    ]
    for kwargs, pattern in bad_calls:
        with pytest.raises(PlannerError, match=pattern):
            estimate_demand(parts, hist, **kwargs)
    # period_days is checked even without a history.
    with pytest.raises(PlannerError, match="period_days"):
        estimate_demand(parts, None, period_days=-7)


def test_kernels_reject_bad_input() -> None:
    """The smoothers and the classifier reject 1-D, negative and non-finite demand."""
    for kernel in (classify_demand, ses_level, croston_rate, tsb_rate):
        with pytest.raises(PlannerError, match="2-D array"):
            kernel(np.array([1.0, 2.0]))
        with pytest.raises(PlannerError, match="at series 0, period 1"):
            kernel(np.array([[1.0, -1.0]]))
        with pytest.raises(PlannerError, match="finite"):
            kernel(np.array([[1.0, np.inf]]))
    with pytest.raises(PlannerError, match="method must be 'croston' or 'sba'"):
        croston_rate(HAND_SERIES, method=DemandMethod.TSB)
    with pytest.raises(PlannerError, match="beta"):
        tsb_rate(HAND_SERIES, beta=0.0)
    with pytest.raises(PlannerError, match="alpha"):
        ses_level(HAND_SERIES, alpha=-0.1)
