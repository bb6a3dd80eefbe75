"""Stock policy page: base-stock levels per part, just-in-case stock, downloads."""

import streamlit as st

from planner.errors import PlannerError
from planner.ui import cache
from planner.ui import components as ui

st.title("Stock policy")
st.write(
    "How much of each part to hold: a one-for-one base-stock policy per part that "
    "meets its fill-rate target (and the downtime-cost optimum where that is higher). "
    "Pick a disruption scenario to size just-in-case stock against its outages."
)
source, catalog = ui.current_catalog()
ui.catalog_caption(source, catalog)

scenario = ui.scenario_picker("policy", catalog=catalog)
try:
    frame = cache.policy_table(source, cache.scenario_json(scenario))
except PlannerError as exc:
    ui.show_error(exc)
    st.stop()

totals = cache.policy_metrics(frame)
cols = st.columns(5)
cols[0].metric("Stock investment", ui.money(totals["investment"]))
cols[1].metric("Just-in-case investment", ui.money(totals["just_in_case_investment"]))
cols[2].metric("Parts with just-in-case stock", totals["n_just_in_case"])
cols[3].metric("Annual cost", ui.money(totals["annual_cost"]))
cols[4].metric("Parts to order now", totals["n_to_order"])

left, right = st.columns(2)
with left:
    ui.show_chart(ui.policy_chart(frame))
with right:
    if totals["n_just_in_case"]:
        ui.show_chart(ui.just_in_case_chart(frame))
    else:
        st.info("No part needs stock above its normal level under this scenario.")

st.subheader("Policy per part")
first = [
    "part_id",
    "description",
    "criticality",
    "order_up_to",
    "reorder_point",
    "order_up_to_normal",
    "just_in_case_units",
    "just_in_case_investment",
    "fill_rate",
    "target_fill_rate",
    "annual_cost",
    "investment",
    "to_order",
    "demand_per_year",
    "demand_source",
    "demand_method",
    "binding",
]
order = [c for c in first if c in frame.columns]
order += [c for c in frame.columns if c not in order]
st.dataframe(
    frame,
    hide_index=True,
    column_order=order,
    column_config={
        "fill_rate": st.column_config.NumberColumn(format="%.4f"),
        "annual_cost": st.column_config.NumberColumn(format="%.2f"),
        "investment": st.column_config.NumberColumn(format="%.2f"),
        "just_in_case_investment": st.column_config.NumberColumn(format="%.2f"),
    },
)
name = scenario.name if scenario is not None else "baseline"
ui.download_buttons(
    "policy",
    [
        ("Download policy CSV", cache.csv_bytes(frame), "policy.csv", "text/csv"),
        (
            "Download policy XLSX",
            lambda: cache.xlsx_bytes({"policy": frame}),
            "policy.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
st.caption(f"Scenario: {name}.")
