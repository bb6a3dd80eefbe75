"""What-if comparisons: simulated runs side by side, and what a re-plan changes.

The Scenarios page and the CLI build their tables here from the core's records:
:func:`comparison_table` sets any number of simulation runs (scenario x plan)
beside a chosen reference with paired differences where the runs share their
random numbers; :func:`fan_frame`, :func:`stockout_frame` and
:func:`printer_load_frame` shape a run's arrays for charts; :func:`plan_diff` and
:func:`plan_delta` say which parts and headline figures change when the optimiser
re-plans under a scenario; :func:`results_to_json` and :func:`results_from_json`
save and reload a set of runs (each stored with
:func:`planner.scenarios.result_to_json`); :func:`scenario_text` writes a
scenario file as JSON or YAML.

Everything here is pure: records in, :class:`pandas.DataFrame` or text out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
import yaml

from planner import scenarios as scenario_module
from planner.errors import PlannerError, ScenarioError
from planner.plan import PlanResult
from planner.scenarios import (
    KPI_NAMES,
    ON_HAND_QUANTILES,
    Scenario,
    SimulationResult,
    compare,
    parse_scenarios,
    scenario_to_dict,
)
from planner.sourcing import Mode, SourcingPlan

#: Label of a run of the optimised plan.
PLAN_LABEL = "plan"
#: Label of a run of the all-buy baseline (every part bought and stocked).
BASELINE_LABEL = "all-buy baseline"
#: Label of a run of the plan re-optimised under the run's scenario.
REPLAN_LABEL = "re-plan"
#: ``format`` field of a saved set of runs.
RESULTS_FORMAT = "sparecast-whatif-results"
#: Version of the saved-runs format this module writes and reads.
RESULTS_VERSION = 1
#: Columns of :func:`comparison_table`.
COMPARISON_COLUMNS = (
    "kpi",
    "run",
    "scenario",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "paired",
    "significant",
)
#: Quantile columns of :func:`fan_frame` (5, 25, 50, 75, 95 %).
FAN_COLUMNS = tuple(f"q{round(q * 100):02d}" for q in ON_HAND_QUANTILES)
#: Columns of :func:`plan_diff`.
PLAN_DIFF_COLUMNS = (
    "part_id",
    "change",
    "mode_before",
    "mode_after",
    "printer_before",
    "printer_after",
    "stock_before",
    "stock_after",
    "stock_change",
    "cost_before",
    "cost_after",
    "cost_change",
    "investment_before",
    "investment_after",
    "investment_change",
)


class ScenarioFormat(StrEnum):
    """File formats of a scenario file."""

    JSON = "json"
    YAML = "yaml"


def run_label(scenario_name: str, plan_label: str) -> str:
    """Label of one run: the scenario and the plan it ran, ``"name · plan"``.

    Examples
    --------
    >>> run_label("Lead times double", BASELINE_LABEL)
    'Lead times double · all-buy baseline'
    """
    return f"{scenario_name} · {plan_label}"


# -------------------------------------------------------------------- comparison


def _check_runs(results: Mapping[str, SimulationResult], where: str) -> None:
    """Raise unless ``results`` holds at least one run."""
    if not results:
        raise PlannerError(f"{where}: no simulation runs given")


def _paired(a: SimulationResult, b: SimulationResult) -> bool:
    """Whether two runs share their random numbers (seed, paths and horizon)."""
    return (a.seed, a.paths, a.horizon_days) == (b.seed, b.paths, b.horizon_days)


def comparison_table(
    results: Mapping[str, SimulationResult], *, reference: str | None = None
) -> pd.DataFrame:
    """KPIs of several runs side by side, with differences against a reference.

    Parameters
    ----------
    results
        ``{run label: result}`` in display order.
    reference
        Label of the run the differences are taken against; the first run when
        ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per KPI and run (KPI-major, runs in the given order) with
        :data:`COMPARISON_COLUMNS`: ``mean`` and its 95 % interval
        ``ci_low``/``ci_high``; ``diff`` = run minus reference with its 95 %
        interval (from :func:`planner.scenarios.compare`: paired when the runs
        share seed, paths and horizon, else independent); ``paired``; and
        ``significant``, true when the difference interval excludes 0. The
        reference's own rows have ``diff`` 0.

    Raises
    ------
    PlannerError
        If ``results`` is empty or ``reference`` is not one of its labels.
    """
    _check_runs(results, "comparison")
    labels = list(results)
    reference = labels[0] if reference is None else reference
    if reference not in results:
        raise PlannerError(
            f"comparison: reference must be one of {', '.join(map(repr, labels))}, "
            f"got {reference!r}"
        )
    ordered = {reference: results[reference]}
    ordered.update((k, v) for k, v in results.items() if k != reference)
    rows = {row["label"]: row for row in compare(ordered)}
    first = results[reference]
    records = []
    for name in KPI_NAMES:
        for label in labels:
            row = rows[label]
            low = row[f"{name}_diff_ci_low"]
            high = row[f"{name}_diff_ci_high"]
            is_reference = label == reference
            records.append(
                {
                    "kpi": name,
                    "run": label,
                    "scenario": row["scenario"],
                    "mean": row[name],
                    "ci_low": row[f"{name}_ci_low"],
                    "ci_high": row[f"{name}_ci_high"],
                    "diff": 0.0 if is_reference else row[f"{name}_diff"],
                    "diff_ci_low": 0.0 if is_reference else low,
                    "diff_ci_high": 0.0 if is_reference else high,
                    "paired": _paired(results[label], first),
                    "significant": (not is_reference) and (low > 0 or high < 0),
                }
            )
    return pd.DataFrame.from_records(records, columns=list(COMPARISON_COLUMNS))


def _number(value: float) -> str:
    """A figure as text: thousands separators from 1000 up, else 4 significant digits.

    Examples
    --------
    >>> _number(12345.6), _number(0.98765), _number(float("nan"))
    ('12,346', '0.9877', '')
    """
    if not math.isfinite(value):
        return ""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def comparison_display(table: pd.DataFrame, *, reference: str) -> pd.DataFrame:
    """:func:`comparison_table` as text for a page: intervals as ``[low, high]``.

    Columns: kpi, run, mean, 95% CI, ``difference vs <reference>``, difference
    95% CI, significant (the reference's difference cells are empty).
    """
    is_ref = table["run"].to_numpy() == reference

    def text(column: str) -> list[str]:
        return [_number(float(v)) for v in table[column]]

    def interval(low: str, high: str) -> list[str]:
        return [f"[{a}, {b}]" for a, b in zip(text(low), text(high), strict=True)]

    diff = np.where(is_ref, "", text("diff"))
    diff_ci = np.where(is_ref, "", interval("diff_ci_low", "diff_ci_high"))
    return pd.DataFrame(
        {
            "kpi": table["kpi"].to_numpy(),
            "run": table["run"].to_numpy(),
            "mean": text("mean"),
            "95% CI": interval("ci_low", "ci_high"),
            f"difference vs {reference}": diff,
            "difference 95% CI": diff_ci,
            "significant": np.where(
                is_ref, "", np.where(table["significant"], "yes", "no")
            ),
        }
    )


def means_table(table: pd.DataFrame) -> pd.DataFrame:
    """KPI means with one column per run (rows: KPIs), from :func:`comparison_table`."""
    wide = table.pivot(index="kpi", columns="run", values="mean")
    runs = list(dict.fromkeys(table["run"]))
    return wide.reindex(index=list(KPI_NAMES), columns=runs).reset_index()


# -------------------------------------------------------------------- chart data


def part_ids(results: Mapping[str, SimulationResult]) -> list[str]:
    """Parts whose daily stock some run tracked, in first-seen order."""
    return list(
        dict.fromkeys(pid for r in results.values() for pid in r.tracked_part_ids)
    )


def fan_frame(results: Mapping[str, SimulationResult], part_id: str) -> pd.DataFrame:
    """Daily on-hand quantiles of one part in every run that tracked it.

    Returns
    -------
    pandas.DataFrame
        Columns run, day [days from the start], q05, q25, q50, q75, q95 [units];
        runs that did not track the part's daily stock are left out.
    """
    frames = []
    for label, result in results.items():
        try:
            band = np.asarray(result.on_hand_band(part_id), dtype=float)
        except PlannerError:
            continue
        frame = pd.DataFrame(band, columns=list(FAN_COLUMNS))
        frame.insert(0, "day", np.arange(band.shape[0]))
        frame.insert(0, "run", label)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["run", "day", *FAN_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def per_part_frame(results: Mapping[str, SimulationResult]) -> pd.DataFrame:
    """Per-part KPI means of every run in long form (a ``run`` column first)."""
    frames = []
    for label, result in results.items():
        frame = pd.DataFrame(result.per_part)
        frame.insert(0, "run", label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def stockout_frame(
    results: Mapping[str, SimulationResult], *, top_n: int = 20
) -> pd.DataFrame:
    """Mean stock-out days per part and run for the ``top_n`` worst parts.

    Parts are ranked by their largest mean over the runs (ties by part id);
    parts with no stock-out day in any run are left out.

    Returns
    -------
    pandas.DataFrame
        Columns run, part_id, stockout_days [days per path], rank (1 = worst),
        ordered by rank then run.

    Raises
    ------
    PlannerError
        If ``top_n`` < 1.
    """
    if top_n < 1:
        raise PlannerError(f"stock-out chart: top_n must be >= 1, got {top_n!r}")
    columns = ["run", "part_id", "stockout_days", "rank"]
    frame = per_part_frame(results)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame[["run", "part_id", "stockout_days"]]
    worst = frame.groupby("part_id", sort=True)["stockout_days"].max()
    worst = worst[worst > 0].sort_values(ascending=False, kind="stable").head(top_n)
    rank = pd.Series(np.arange(1, len(worst) + 1), index=worst.index)
    shown = frame[frame["part_id"].isin(worst.index)].copy()
    shown["rank"] = shown["part_id"].map(rank).astype(int)
    order = {label: i for i, label in enumerate(results)}
    shown["_run"] = shown["run"].map(order)
    shown = shown.sort_values(["rank", "_run"], kind="stable")
    return shown[columns].reset_index(drop=True)


def printer_load_frame(
    results: Mapping[str, SimulationResult], *, bin_days: int = 7
) -> pd.DataFrame:
    """Print hours started per printer in bins of ``bin_days`` days, every run.

    Returns
    -------
    pandas.DataFrame
        Columns run, printer_id, day (first day of the bin), days (days in the
        bin: ``bin_days``, except the last, which also takes a remainder shorter
        than half a bin, or is shorter itself), hours [h in the bin,
        mean over paths] and rate [h per ``bin_days`` days: hours scaled to a
        full bin, so a short last bin does not look like a drop]; runs without
        printers are left out.

    Raises
    ------
    PlannerError
        If ``bin_days`` < 1.
    """
    if bin_days < 1:
        raise PlannerError(f"printer load: bin_days must be >= 1, got {bin_days!r}")
    frames = []
    for label, result in results.items():
        load = np.asarray(result.printer_load_hours, dtype=float)
        if load.ndim != 2 or 0 in load.shape:
            continue
        starts = np.arange(0, load.shape[0], bin_days)
        if starts.size > 1 and load.shape[0] - starts[-1] < bin_days / 2:
            starts = starts[:-1]  # a short remainder joins the bin before it
        binned = np.add.reduceat(load, starts, axis=0)
        days = np.diff(np.append(starts, load.shape[0]))
        frame = pd.DataFrame(
            {
                "run": label,
                "printer_id": np.tile(
                    np.asarray(result.printer_ids, dtype=object), len(starts)
                ),
                "day": np.repeat(starts, load.shape[1]),
                "days": np.repeat(days, load.shape[1]),
                "hours": binned.ravel(),
                "rate": (binned * (bin_days / days)[:, None]).ravel(),
            }
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame(
            columns=["run", "printer_id", "day", "days", "hours", "rate"]
        )
    return pd.concat(frames, ignore_index=True)


# -------------------------------------------------------------------- re-planning


def _sourcing(plan: PlanResult | SourcingPlan) -> SourcingPlan:
    """The sourcing decisions of a plan result (or the decisions themselves)."""
    return plan.sourcing if isinstance(plan, PlanResult) else plan


def _plan_frame(plan: SourcingPlan, suffix: str) -> pd.DataFrame:
    """One plan's per-part decisions, columns suffixed ``_before``/``_after``."""
    return pd.DataFrame(
        {
            "part_id": np.asarray(plan.part_id, dtype=str),
            f"mode_{suffix}": np.asarray(plan.mode, dtype=str),
            f"printer_{suffix}": np.asarray(plan.printer_id, dtype=str),
            f"stock_{suffix}": np.asarray(plan.base_stock_level, dtype=float),
            f"cost_{suffix}": np.asarray(plan.cost, dtype=float),
            f"investment_{suffix}": np.asarray(plan.investment, dtype=float),
        }
    )


def plan_diff(
    before: PlanResult | SourcingPlan,
    after: PlanResult | SourcingPlan,
    *,
    changed_only: bool = True,
) -> pd.DataFrame:
    """Parts whose sourcing mode, printer or stock level differs between two plans.

    Parts are matched by ``part_id``. A part only one plan holds is listed with
    ``change`` ``"added"`` or ``"removed"`` and empty figures on the other side.

    Parameters
    ----------
    before, after
        The plans (or their sourcing decisions) to compare.
    changed_only
        Leave out parts whose mode, printer and stock level are all unchanged.

    Returns
    -------
    pandas.DataFrame
        :data:`PLAN_DIFF_COLUMNS`: ``change`` names what changed
        (``"mode, printer, stock"`` or a subset, ``"added"``, ``"removed"``, or
        ``""``); stock levels [units], expected annual cost [currency/year] and
        stock investment [currency] before, after and their change (after minus
        before). Sorted by the size of the cost change, largest first, then
        part id.

    Examples
    --------
    A hand-built pair is in ``tests/test_whatif.py``; a plan against itself
    changes nothing.
    """
    left = _plan_frame(_sourcing(before), "before")
    right = _plan_frame(_sourcing(after), "after")
    merged = left.merge(right, on="part_id", how="outer", indicator=True, sort=False)
    both = (merged["_merge"] == "both").to_numpy()
    mode_changed = merged["mode_before"].to_numpy() != merged["mode_after"].to_numpy()
    printer_changed = (
        merged["printer_before"].to_numpy() != merged["printer_after"].to_numpy()
    )
    stock_changed = (
        merged["stock_before"].to_numpy() != merged["stock_after"].to_numpy()
    )
    what = (
        np.stack([mode_changed, printer_changed, stock_changed], axis=1) & both[:, None]
    )
    names = np.array(["mode", "printer", "stock"], dtype=object)
    change = np.array([", ".join(names[row]) for row in what], dtype=object)
    change[(merged["_merge"] == "left_only").to_numpy()] = "removed"
    change[(merged["_merge"] == "right_only").to_numpy()] = "added"
    merged["change"] = change
    for figure in ("stock", "cost", "investment"):
        merged[f"{figure}_change"] = (
            merged[f"{figure}_after"] - merged[f"{figure}_before"]
        )
    for column in ("mode_before", "mode_after", "printer_before", "printer_after"):
        merged[column] = merged[column].fillna("").astype(str)
    if changed_only:
        merged = merged[merged["change"] != ""]
    key = merged["cost_change"].abs().fillna(np.inf)
    merged = merged.assign(_key=-key).sort_values(["_key", "part_id"], kind="stable")
    return merged[list(PLAN_DIFF_COLUMNS)].reset_index(drop=True)


def _plan_figures(plan: SourcingPlan) -> dict[str, float]:
    """Headline figures of a plan, in :func:`plan_delta` order."""
    mode = np.asarray(plan.mode, dtype=str)
    figures = {
        "objective": float(plan.objective),
        "baseline_cost": float(plan.baseline_cost),
        "savings": float(plan.savings),
        "total_investment": float(plan.total_investment),
        "expected_fill_rate": float(plan.expected_fill_rate),
        "material_cost_per_year": float(plan.material_cost_per_year),
        "n_printed": float(plan.n_printed),
    }
    for m in Mode:
        figures[f"n_{m.value}"] = float(np.sum(mode == m.value))
    for usage in plan.printer_usage:
        figures[f"used_hours {usage['printer_id']}"] = float(usage["used_hours"])
    return figures


def plan_delta(
    before: PlanResult | SourcingPlan, after: PlanResult | SourcingPlan
) -> pd.DataFrame:
    """Headline figures of two plans and their change (after minus before).

    Returns
    -------
    pandas.DataFrame
        Columns figure, before, after, change. Figures: objective and
        baseline_cost [currency/year], savings [currency/year],
        total_investment [currency], expected_fill_rate [0-1],
        material_cost_per_year [currency/year], n_printed and the parts per mode
        (``n_<mode>``), and ``used_hours <printer>`` [h/year] per printer (empty
        on the side whose plan lacks the printer).
    """
    a = _plan_figures(_sourcing(before))
    b = _plan_figures(_sourcing(after))
    names = list(dict.fromkeys([*a, *b]))
    before_values = np.array([a.get(n, math.nan) for n in names])
    after_values = np.array([b.get(n, math.nan) for n in names])
    return pd.DataFrame(
        {
            "figure": names,
            "before": before_values,
            "after": after_values,
            "change": after_values - before_values,
        }
    )


# -------------------------------------------------------------------- files


def scenario_text(scenario: Scenario, fmt: ScenarioFormat | str = "json") -> str:
    """A scenario as a DESIGN.md scenario file in JSON or YAML.

    Raises
    ------
    ScenarioError
        If ``fmt`` is not ``"json"`` or ``"yaml"``.

    Examples
    --------
    >>> from planner.scenarios import PRESETS, load_scenarios
    >>> text = scenario_text(PRESETS["Lead times double"], "yaml")
    >>> load_scenarios(text.encode(), name="s.yaml")[0] == PRESETS["Lead times double"]
    True
    """
    try:
        kind = ScenarioFormat(str(fmt).lower())
    except ValueError:
        raise ScenarioError(
            f"scenario {scenario.name!r}: format must be 'json' or 'yaml', got {fmt!r}"
        ) from None
    data = scenario_to_dict(scenario)
    if kind is ScenarioFormat.JSON:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def results_to_json(
    results: Mapping[str, SimulationResult], *, scenarios: Sequence[Scenario] = ()
) -> str:
    """A set of runs as one JSON document that :func:`results_from_json` reads back.

    Each run is stored with :func:`planner.scenarios.result_to_json`, so every
    figure, per-path KPI and array comes back exactly; ``scenarios`` (the
    scenario files the runs used) travel along for the record.

    Raises
    ------
    PlannerError
        If ``results`` is empty.
    """
    _check_runs(results, "saving results")
    document = {
        "format": RESULTS_FORMAT,
        "version": RESULTS_VERSION,
        "scenarios": [scenario_to_dict(s) for s in scenarios],
        "runs": [
            {"label": label, "result": json.loads(scenario_module.result_to_json(r))}
            for label, r in results.items()
        ],
    }
    return json.dumps(document, separators=(",", ":"), allow_nan=True)


def _saved_label(result: SimulationResult) -> str:
    """Label of a run read from a file that gave none."""
    return f"{result.scenario_name} (seed {result.seed}, {result.paths} paths)"


def results_from_json(
    text: str | bytes, *, name: str = "results"
) -> dict[str, SimulationResult]:
    """Runs saved by :func:`results_to_json` (or one run saved by ``result_to_json``).

    Parameters
    ----------
    text
        The file's text (or UTF-8 bytes).
    name
        File name for messages.

    Returns
    -------
    dict[str, SimulationResult]
        ``{label: result}`` in file order.

    Raises
    ------
    ScenarioError
        If the text is not UTF-8 JSON, names another format or a newer version,
        lacks ``runs`` or a run's ``label``/``result``, repeats a label, or a run
        cannot be read (the message names the run).
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                f"results file {name}: not UTF-8 text ({exc})"
            ) from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"results file {name}: invalid JSON at line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            f"results file {name}: expected a JSON object, got {type(data).__name__}"
        )
    if "format" not in data:
        result = _read_run(text, f"results file {name}")
        return {_saved_label(result): result}
    if data["format"] != RESULTS_FORMAT:
        raise ScenarioError(
            f"results file {name}: format must be {RESULTS_FORMAT!r}, "
            f"got {data['format']!r}"
        )
    version = data.get("version")
    if not (isinstance(version, int) and 1 <= version <= RESULTS_VERSION):
        raise ScenarioError(
            f"results file {name}: version must be an integer in "
            f"[1, {RESULTS_VERSION}], got {version!r}"
        )
    runs = data.get("runs")
    if not (isinstance(runs, list) and runs):
        raise ScenarioError(
            f"results file {name}: runs must be a non-empty list, got {runs!r:.80}"
        )
    out: dict[str, SimulationResult] = {}
    for i, run in enumerate(runs):
        where = f"results file {name}, runs[{i}]"
        if not (isinstance(run, dict) and {"label", "result"} <= set(run)):
            raise ScenarioError(f"{where}: expected an object with label and result")
        label = run["label"]
        if not (isinstance(label, str) and label.strip()):
            raise ScenarioError(
                f"{where}: label must be a non-empty string, got {label!r}"
            )
        if label in out:
            raise ScenarioError(f"{where}: label {label!r} given twice")
        out[label] = _read_run(json.dumps(run["result"], allow_nan=True), where)
    return out


def _read_run(text: str, where: str) -> SimulationResult:
    """One run through ``result_from_json``, errors prefixed with ``where``."""
    try:
        return scenario_module.result_from_json(text)
    except PlannerError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def saved_scenarios(text: str | bytes, *, name: str = "results") -> list[Scenario]:
    """The scenario files stored beside the runs by :func:`results_to_json`.

    Raises
    ------
    ScenarioError
        If the text is not JSON or a stored scenario is invalid.
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"results file {name}: invalid JSON ({exc})") from None
    stored = data.get("scenarios", []) if isinstance(data, dict) else []
    return parse_scenarios(stored, default_name=name) if stored else []
