"""Scenarios page: Monte Carlo of the plan vs the all-buy baseline under a disruption."""

import streamlit as st

from planner.errors import PlannerError
from planner.ui import cache
from planner.ui import components as ui

RUN_KEY = "scenarios_last_run"

st.title("Scenarios")
st.write(
    "Run the plan and the all-buy baseline through the same simulated disruption "
    "(same seed, same demand and outage draws) and compare service, stock-outs and "
    "cost with 95% confidence intervals."
)
source, catalog = ui.current_catalog()
ui.catalog_caption(source, catalog)
request = ui.current_request(source) or cache.default_request(source)
st.caption(
    "Plan: the last one run on the Print vs stock page."
    if ui.current_request(source)
    else "Plan: all lab printers, no budget (run another on the Print vs stock page)."
)

scenario = ui.scenario_picker(
    "scenarios", catalog=catalog, allow_none=False, allow_builder=True
)
cols = st.columns(3)
n_paths = cols[0].number_input(
    "Paths", min_value=10, max_value=5000, value=200, step=50, key="scenarios_paths"
)
seed = cols[1].number_input(
    "Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="scenarios_seed"
)
cols[2].write("")
if cols[2].button(
    "Run simulation", type="primary", key="scenarios_run", disabled=scenario is None
):
    st.session_state[RUN_KEY] = (
        request,
        cache.scenario_json(scenario),
        int(n_paths),
        int(seed),
    )
last = st.session_state.get(RUN_KEY)
if last is None or last[0].source.key != source.key:
    st.info("Pick a scenario, then run the simulation.")
    st.stop()

run_request, scenario_text, run_paths, run_seed = last
if ui.run_plan(run_request) is None:
    st.stop()
try:
    with st.spinner(f"Simulating {run_paths} paths, plan and baseline…"):
        plan_sim = cache.get_simulation(
            run_request, scenario_text, run_paths, run_seed, False
        )
        base_sim = cache.get_simulation(
            run_request, scenario_text, run_paths, run_seed, True
        )
    run_scenario = cache.scenario_from_json(scenario_text)
except PlannerError as exc:
    ui.show_error(exc)
    st.stop()

st.subheader(f"{run_scenario.name}: plan vs all-buy baseline")
st.caption(f"{run_paths} paths, seed {run_seed}, horizon {plan_sim.horizon_days} days.")
st.dataframe(cache.comparison_frame(plan_sim, base_sim), hide_index=True)

part_ids = cache.sim_part_ids(plan_sim)
per_part = cache.per_part_frame(plan_sim, base_sim)
worst = per_part.sort_values("stockout_days", ascending=False)["part_id"].iloc[0]
part_id = st.selectbox(
    "Part for the on-hand fan chart",
    part_ids,
    index=part_ids.index(worst),
    key="scenarios_fan_part",
)
left, right = st.columns(2)
with left:
    ui.show_chart(
        ui.fan_chart(cache.fan_frame(plan_sim, part_id), title=f"{part_id}: plan")
    )
with right:
    ui.show_chart(
        ui.fan_chart(
            cache.fan_frame(base_sim, part_id), title=f"{part_id}: all-buy baseline"
        )
    )
ui.show_chart(ui.stockout_chart(per_part))
with st.expander("KPIs per part"):
    st.dataframe(per_part, hide_index=True)

ui.download_buttons(
    "scenarios",
    [
        (
            "Download scenario JSON",
            cache.scenario_bytes(run_scenario),
            "scenario.json",
            "application/json",
        ),
        (
            "Download results JSON",
            lambda: cache.results_bytes(run_scenario, plan_sim, base_sim),
            "simulation_results.json",
            "application/json",
        ),
    ],
)
