"""Scenarios page: what-if runs of the plan and the all-buy baseline, side by side.

Pick any number of scenarios (presets, uploaded JSON/YAML files, or built here),
run each against the current plan and the all-buy baseline on one seed (common
random numbers, so differences are real), compare KPIs with 95 % intervals against
a chosen reference, and re-plan under a scenario to see what the optimiser would
change. Every number comes from ``planner.whatif`` / ``planner.scenarios``.
"""

import altair as alt
import pandas as pd
import streamlit as st

from planner import whatif
from planner.errors import PlannerError
from planner.scenarios import Scenario
from planner.ui import cache
from planner.ui import components as ui

#: Session key of the last run: (request, scenario texts, paths, seed, plans).
RUN_KEY = "scenarios_last_run"
#: Session key of the scenarios built on this page (JSON texts).
BUILT_KEY = "scenarios_built_texts"
#: Session key of the scenario texts re-planned for the current run's request.
REPLAN_KEY = "scenarios_replanned"
PLAN_CHOICES = (whatif.PLAN_LABEL, whatif.BASELINE_LABEL)
#: Run labels share their scenario prefix: show them whole, below the chart.
RUN_LEGEND = alt.Legend(orient="bottom", direction="vertical", labelLimit=0)


def fan_chart(frame: pd.DataFrame, *, part_id: str) -> alt.FacetChart:
    """On-hand stock over time per run: 5-95 % and 25-75 % bands and the median."""
    base = alt.Chart().encode(x=alt.X("day:Q", title="day"))
    outer = base.mark_area(opacity=0.25).encode(
        y=alt.Y("q05:Q", title="units on hand"), y2="q95:Q"
    )
    inner = base.mark_area(opacity=0.45).encode(y="q25:Q", y2="q75:Q")
    median = base.mark_line().encode(y="q50:Q")
    return (
        alt.layer(outer, inner, median, data=frame)
        .properties(height=200, width=320)
        .facet(facet=alt.Facet("run:N", title=None), columns=2)
        .properties(title=f"{part_id}: stock on hand (5/25/50/75/95 % of paths)")
    )


def stockout_chart(frame: pd.DataFrame) -> alt.Chart:
    """Mean stock-out days per part and run, worst parts first."""
    order = list(dict.fromkeys(frame["part_id"]))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("part_id:N", sort=order, title=None),
            xOffset="run:N",
            y=alt.Y("stockout_days:Q", title="stock-out days (mean per path)"),
            color=alt.Color("run:N", title="run", legend=RUN_LEGEND),
            tooltip=["run", "part_id", alt.Tooltip("stockout_days:Q", format=".2f")],
        )
        .properties(height=300, title="Stock-out days by part")
    )


def load_chart(frame: pd.DataFrame, *, bin_days: int) -> alt.FacetChart:
    """Print hours started per printer over time, one line per run."""
    return (
        alt.Chart(frame)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("day:Q", title="day"),
            y=alt.Y("rate:Q", title=f"print hours per {bin_days} days"),
            color=alt.Color("run:N", title="run", legend=RUN_LEGEND),
            tooltip=["run", "printer_id", "day", alt.Tooltip("hours:Q", format=".1f")],
        )
        .properties(height=140, width=640)
        .facet(row=alt.Row("printer_id:N", title=None))
        .properties(title="Printer load over time (mean over paths)")
    )


def chosen_scenarios(
    preset_names: list[str], uploads: list, built: list[str]
) -> list[Scenario]:
    """Presets, uploaded files and scenarios built here, duplicates dropped."""
    chosen = [cache.preset(n) for n in preset_names]
    for upload in uploads:
        try:
            chosen.extend(cache.scenario_file(upload.getvalue(), upload.name))
        except PlannerError as exc:
            ui.show_error(exc)
    chosen.extend(cache.scenario_from_json(t) for t in built)
    texts = {cache.scenario_json(s): s for s in chosen}
    return list(texts.values())


def queue_replan() -> None:
    """Button callback: re-plan under the scenario picked for it (before the rerun)."""
    texts = st.session_state.get("scenarios_replan_texts", {})
    text = texts.get(st.session_state.get("scenarios_replan_choice"))
    if text:
        st.session_state.setdefault(REPLAN_KEY, {})[text] = True


st.title("Scenarios")
st.write(
    "Run the plan and the all-buy baseline through named disruptions with the same "
    "seed (the same demand and outage draws), compare service, stock-outs and cost "
    "with 95% confidence intervals, and re-plan under a scenario to see what changes."
)
source, catalog = ui.current_catalog()
ui.catalog_caption(source, catalog)
request = ui.current_request(source) or cache.default_request(source)
st.caption(
    "Plan: the last one run on the Print vs stock page."
    if ui.current_request(source)
    else "Plan: all lab printers, no budget (run another on the Print vs stock page)."
)

# -- 1. scenarios ----------------------------------------------------------------
st.subheader("Scenarios")
with_events = [n for n in cache.preset_names() if cache.preset(n).events]
preset_choice = st.multiselect(
    "Presets",
    cache.preset_names(),
    default=with_events[:1],
    key="scenarios_presets",
)
uploads = st.file_uploader(
    "Scenario files (JSON or YAML, one scenario or a list)",
    type=["json", "yaml", "yml"],
    accept_multiple_files=True,
    key="scenarios_upload",
)
built_texts: list[str] = st.session_state.setdefault(BUILT_KEY, [])
with st.expander("Build a scenario from events"):
    built = ui.scenario_builder("scenarios", catalog=catalog)
    keep, drop = st.columns(2)
    if keep.button(
        "Add this scenario to the comparison",
        key="scenarios_builder_keep",
        disabled=built is None,
    ):
        text = cache.scenario_json(built)
        if text not in built_texts:
            built_texts.append(text)
    if drop.button(
        "Remove the scenarios built here",
        key="scenarios_builder_drop",
        disabled=not built_texts,
    ):
        built_texts.clear()
    if built_texts:
        st.caption(
            "Built here: "
            + ", ".join(cache.scenario_from_json(t).name for t in built_texts)
        )

scenarios = chosen_scenarios(preset_choice, uploads or [], built_texts)
if scenarios:
    names = [s.name for s in scenarios]
    cols = st.columns([2, 1, 1])
    pick = cols[0].selectbox(
        "Download a scenario file", names, key="scenarios_download_choice"
    )
    picked = scenarios[names.index(pick)]
    stem = "".join(c if c.isalnum() else "_" for c in picked.name).strip("_").lower()
    for col, fmt, mime in (
        (cols[1], "json", "application/json"),
        (cols[2], "yaml", "application/yaml"),
    ):
        col.download_button(
            f"{fmt.upper()}",
            data=whatif.scenario_text(picked, fmt),
            file_name=f"{stem or 'scenario'}.{fmt}",
            mime=mime,
            key=f"scenarios_download_scenario_{fmt}",
            on_click="ignore",
        )
    with st.expander(f"Events of the {len(scenarios)} chosen scenario(s)"):
        for s in scenarios:
            st.markdown(f"**{s.name}** — {s.description or 'no description'}")
            st.json(cache.scenario_json(s), expanded=False)

# -- 2. run ------------------------------------------------------------------------
st.subheader("Run")
cols = st.columns(4)
plans = cols[0].multiselect(
    "Plans", PLAN_CHOICES, default=list(PLAN_CHOICES), key="scenarios_plans"
)
n_paths = cols[1].number_input(
    "Paths", min_value=10, max_value=5000, value=200, step=50, key="scenarios_paths"
)
seed = cols[2].number_input(
    "Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="scenarios_seed"
)
cols[3].write("")
if cols[3].button(
    "Run scenarios",
    type="primary",
    key="scenarios_run",
    disabled=not (scenarios and plans),
):
    st.session_state[RUN_KEY] = (
        request,
        tuple(cache.scenario_json(s) for s in scenarios),
        int(n_paths),
        int(seed),
        tuple(plans),
    )
saved_files = st.file_uploader(
    "Saved results to compare with (JSON downloaded from this page)",
    type=["json"],
    accept_multiple_files=True,
    key="scenarios_saved_upload",
)

runs = {}
last = st.session_state.get(RUN_KEY)
if last is not None and last[0].source.key != source.key:
    last = None
if last is not None:
    run_request, run_texts, run_paths, run_seed, run_plans = last
    if ui.run_plan(run_request) is None:
        st.stop()
    replanned = st.session_state.get(REPLAN_KEY, {})
    try:
        with st.spinner(f"Simulating {len(run_texts)} scenario(s), {run_paths} paths…"):
            runs = cache.whatif_runs(
                run_request,
                run_texts,
                n_paths=run_paths,
                seed=run_seed,
                plans=run_plans,
                replanned=[t for t in run_texts if t in replanned],
            )
    except PlannerError as exc:
        ui.show_error(exc)
        st.stop()
for saved in saved_files or []:
    try:
        for label, result in cache.get_saved_results(
            saved.getvalue(), saved.name
        ).items():
            key = f"saved: {label}"
            runs[f"saved ({saved.name}): {label}" if key in runs else key] = result
    except PlannerError as exc:
        ui.show_error(exc)
if not runs:
    st.info("Pick one or more scenarios, then run them (or upload saved results).")
    st.stop()

# -- 3. compare --------------------------------------------------------------------
st.subheader("Comparison")
if last is not None:
    st.caption(
        f"{run_paths} paths, seed {run_seed}: every run sees the same demand and "
        "outage draws, so differences between runs on this seed are paired."
    )
labels = list(runs)
reference = st.selectbox(
    "Differences against", labels, index=0, key="scenarios_reference"
)
try:
    table = whatif.comparison_table(runs, reference=reference)
except PlannerError as exc:
    ui.show_error(exc)
    st.stop()
st.dataframe(whatif.comparison_display(table, reference=reference), hide_index=True)
unpaired = sorted(set(table.loc[~table["paired"], "run"]))
if unpaired:
    st.caption(
        "Not on the reference's seed, paths and horizon, so their differences use "
        f"independent intervals: {', '.join(unpaired)}."
    )
with st.expander("KPI means, one column per run"):
    st.dataframe(whatif.means_table(table), hide_index=True)

top_n = st.slider("Parts in the stock-out chart", 5, 50, 20, key="scenarios_top_n")
stockouts = whatif.stockout_frame(runs, top_n=top_n)
part_ids = whatif.part_ids(runs)
if part_ids:
    worst = next((p for p in stockouts["part_id"] if p in part_ids), part_ids[0])
    part_id = st.selectbox(
        "Part for the on-hand fan chart",
        part_ids,
        index=part_ids.index(worst),
        key="scenarios_fan_part",
    )
    st.altair_chart(fan_chart(whatif.fan_frame(runs, part_id), part_id=part_id))
else:
    st.caption("No run kept the daily stock of any part (no fan chart).")
if stockouts.empty:
    st.success("No part ran out of stock in any run.")
else:
    ui.show_chart(stockout_chart(stockouts))
load = whatif.printer_load_frame(runs, bin_days=7)
if load.empty:
    st.caption("No printer load: no run prints anything.")
else:
    st.altair_chart(load_chart(load, bin_days=7))
with st.expander("KPIs per part and run"):
    st.dataframe(whatif.per_part_frame(runs), hide_index=True)

run_scenarios = (
    [cache.scenario_from_json(t) for t in last[1]] if last is not None else []
)
ui.download_buttons(
    "scenarios",
    [
        (
            "Download results JSON",
            lambda: whatif.results_to_json(runs, scenarios=run_scenarios).encode(),
            "whatif_results.json",
            "application/json",
        ),
        (
            "Download KPI table CSV",
            cache.csv_bytes(table),
            "whatif_kpis.csv",
            "text/csv",
        ),
    ],
)

# -- 4. re-plan ----------------------------------------------------------------------
if last is None:
    st.stop()
st.subheader("Re-plan under a scenario")
st.write(
    "Runs the print-vs-stock optimiser with the same printers and budget against "
    "the chosen scenario alone, lists the parts whose mode, printer or stock level "
    "changes, and adds the re-plan to the comparison above."
)
texts = list(last[1])
names = [cache.scenario_from_json(t).name for t in texts]
cols = st.columns([2, 1])
choice = cols[0].selectbox("Scenario", names, key="scenarios_replan_choice")
st.session_state["scenarios_replan_texts"] = dict(zip(names, texts, strict=True))
cols[1].write("")
cols[1].button(
    "Re-plan under this scenario", key="scenarios_replan", on_click=queue_replan
)
chosen_text = texts[names.index(choice)]
if chosen_text not in st.session_state.get(REPLAN_KEY, {}):
    st.info("Click to re-plan under this scenario.")
    st.stop()
before = cache.get_plan(last[0])
after = ui.run_plan(cache.replan_request(last[0], chosen_text))
if after is None:
    st.stop()
delta = whatif.plan_delta(before, after)
diff = whatif.plan_diff(before, after)
figures = delta.set_index("figure")
cols = st.columns(3)
cols[0].metric(
    "Objective (expected annual cost)",
    ui.money(figures.loc["objective", "after"]),
    delta=f"{figures.loc['objective', 'change']:+,.0f}",
    delta_color="inverse",
)
cols[1].metric(
    "Stock investment",
    ui.money(figures.loc["total_investment", "after"]),
    delta=f"{figures.loc['total_investment', 'change']:+,.0f}",
    delta_color="off",
)
cols[2].metric("Parts that change", len(diff))
st.dataframe(delta, hide_index=True)
if diff.empty:
    st.success(
        f"Re-planning under {choice!r} changes no part's mode, printer or stock."
    )
else:
    st.dataframe(diff, hide_index=True)
