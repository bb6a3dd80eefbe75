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
cols = st.columns(6)
cols[0].metric("Stock investment", ui.money(totals["investment"]))
cols[1].metric("Just-in-case investment", ui.money(totals["just_in_case_investment"]))
cols[2].metric("Parts with just-in-case stock", totals["n_just_in_case"])
cols[3].metric("Annual cost", ui.money(totals["annual_cost"]))
cols[4].metric("Parts to order now", totals["n_to_order"])
cols[5].metric(
    "Below target today",
    totals["n_below_target"],
    help="Parts whose stock today (reorder point + 1, else on hand + on order) "
    "delivers less than the target fill rate.",
)

left, right = st.columns(2)
with left:
    ui.show_chart(ui.policy_chart(frame))
with right:
    if totals["n_just_in_case"]:
        ui.show_chart(ui.just_in_case_chart(frame))
    else:
        st.info("No part needs stock above its normal level under this scenario.")

st.subheader("Budget frontier")
st.write(
    "What each extra euro of stock buys: starting from no stock, the unit with the "
    "largest cut in expected backorders per euro is added first (Sherbrooke's "
    "marginal analysis). Every point is the best use of its investment."
)
fcols = st.columns([1, 1, 2])
budget = fcols[0].number_input(
    "Budget",
    min_value=0.0,
    value=float(round(totals["investment"] / 2, -2)),
    step=1000.0,
    key="policy_budget",
)
objective = fcols[1].radio(
    "Minimise",
    ["backorders", "downtime_cost"],
    format_func=lambda v: (
        "expected backorders" if v == "backorders" else "downtime cost"
    ),
    key="policy_objective",
    horizontal=True,
)
try:
    with st.spinner("Computing the frontier…"):
        budget_result = cache.get_budget_result(
            source, cache.scenario_json(scenario), float(budget), objective
        )
except PlannerError as exc:
    ui.show_error(exc)
    st.stop()
alloc = budget_result.allocation
acols = st.columns(4)
acols[0].metric("Invested", ui.money(alloc.investment))
acols[1].metric("Expected backorders", f"{alloc.total_ebo:.3f}")
acols[2].metric("Fill rate", f"{alloc.fill_rate:.4f}")
acols[3].metric("Expected downtime cost / yr", ui.money(alloc.expected_downtime_cost))
ui.show_chart(
    ui.frontier_chart(
        cache.frontier_frame(budget_result),
        budget=float(budget),
        target_investment=totals["investment"],
    )
)
with st.expander("Allocation per part at this budget"):
    st.dataframe(cache.allocation_frame(budget_result), hide_index=True)
ui.download_buttons(
    "policy_frontier",
    [
        (
            "Download frontier CSV",
            cache.csv_bytes(cache.frontier_frame(budget_result)),
            "frontier.csv",
            "text/csv",
        ),
        (
            "Download allocation CSV",
            cache.csv_bytes(cache.allocation_frame(budget_result)),
            "allocation.csv",
            "text/csv",
        ),
    ],
)

st.subheader("Policy per part")
first = [
    "part_id",
    "description",
    "criticality",
    "policy",
    "order_up_to",
    "reorder_point",
    "order_quantity",
    "order_up_to_normal",
    "just_in_case_units",
    "just_in_case_investment",
    "fill_rate",
    "target_fill_rate",
    "annual_cost",
    "investment",
    "to_order",
    "current_level",
    "current_fill_rate",
    "fill_rate_gap",
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
