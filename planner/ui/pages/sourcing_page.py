"""Print vs stock page: the sourcing MILP per part, printer load, one-printer what-if."""

import dataclasses

import streamlit as st

from planner.ui import cache
from planner.ui import components as ui

st.title("Print vs stock")
st.write(
    "For every part: buy and stock the OEM part, print and stock it, print on demand, "
    "or hold OEM stock for normal lead times and print through outages (hybrid). The "
    "optimiser minimises expected annual cost within printer hours and the budget."
)
source, catalog = ui.current_catalog()
ui.catalog_caption(source, catalog)
printers = cache.demo_printers()
models = {p.printer_id: p.model for p in printers}
last = ui.current_request(source)

with st.form("sourcing_form"):
    cols = st.columns(3)
    printer_ids = cols[0].multiselect(
        "Printers",
        list(models),
        default=list(last.printer_ids) if last else list(models),
        help="; ".join(f"{pid}: {model}" for pid, model in models.items()),
        key="sourcing_printers",
    )
    budget = cols[1].number_input(
        "Investment budget (optional)",
        min_value=0.0,
        value=last.budget if last else None,
        step=1000.0,
        placeholder="no budget",
        key="sourcing_budget",
    )
    scenario_names = cols[2].multiselect(
        "Plan against scenarios (optional)",
        cache.preset_names(),
        key="sourcing_scenarios",
    )
    run = st.form_submit_button("Run plan", type="primary", key="sourcing_run")
if run:
    st.session_state[ui.REQUEST_KEY] = cache.PlanRequest(
        source=source,
        printer_ids=tuple(printer_ids),
        budget=budget,
        scenario_texts=tuple(
            cache.scenario_json(cache.preset(n)) for n in scenario_names
        ),
    )
request = ui.current_request(source)
if request is None:
    st.info("Choose printers and an optional budget, then run the plan.")
    st.stop()
result = ui.run_plan(request)
if result is None:
    st.stop()

summary = cache.sourcing_summary(result)
cols = st.columns(4)
cols[0].metric(
    "Objective (expected annual cost)",
    ui.money(summary["objective"]),
    delta=f"{-summary['savings']:,.0f} vs all-buy",
    delta_color="inverse",
)
cols[1].metric("All-buy baseline", ui.money(summary["baseline_cost"]))
cols[2].metric("Savings", f"{summary['savings_frac']:.1%}")
cols[3].metric(
    "Stock investment",
    ui.money(summary["total_investment"]),
    help="Budget: none" if request.budget is None else f"Budget: {request.budget:,.0f}",
)
cols = st.columns(4)
for col, mode in zip(
    cols, ("buy_stock", "print_stock", "print_on_demand", "hybrid"), strict=True
):
    col.metric(mode.replace("_", " "), summary[f"n_{mode}"])

st.subheader("Printer utilisation")
usage = cache.usage_frame(result)
ui.show_chart(ui.usage_chart(usage))

st.subheader("Decision per part")
table = cache.sourcing_frame(result)
st.dataframe(
    table,
    hide_index=True,
    column_order=cache.sourcing_display_order(table),
    column_config={
        c: st.column_config.NumberColumn(format="%.2f")
        for c in table.columns
        if c.startswith(("cost_", "investment_", "printer_hours_"))
    },
)
st.subheader("Trade-off: what the budget buys")
st.caption(
    "The optimal plan at 12 budgets, from the least stock any plan needs to the "
    "unconstrained plan (also `python -m planner plan --sweep 12`)."
)
sweep = cache.sweep_frame(request)
ui.show_chart(ui.sweep_chart(sweep))
with st.expander("Budget sweep table"):
    st.dataframe(sweep, hide_index=True)

st.subheader("Why this option? One part, every option side by side")
part_choice = st.selectbox(
    "Part",
    list(table["part_id"]),
    format_func=lambda pid: f"{pid} — {cache.part_label(result, pid)}",
    key="sourcing_part",
)
options = cache.option_frame(table, part_choice)
left, right = st.columns([3, 2])
with left:
    ui.show_chart(ui.option_chart(options, part_id=part_choice))
with right:
    st.dataframe(options, hide_index=True)
    st.caption(cache.part_reason(table, part_choice))

with st.expander("Print estimates per part and printer"):
    st.caption(
        "From the layer slicer: every printable part on every printer that runs its "
        "material and fits it (also in estimates.csv of `python -m planner plan`)."
    )
    st.dataframe(
        cache.estimates_frame(result),
        hide_index=True,
        column_config={
            "print_time_h": st.column_config.NumberColumn(format="%.2f"),
            "filament_g": st.column_config.NumberColumn(format="%.1f"),
            "total_cost": st.column_config.NumberColumn(format="%.2f"),
            "volume_mm3": st.column_config.NumberColumn(format="%.0f"),
        },
    )
notes = cache.plan_warnings(result)
if notes:
    with st.expander(f"{len(notes)} notes from planning"):
        for note in notes:
            st.warning(note)

st.subheader("What if we add one printer?")
cols = st.columns([2, 1])
duplicate = cols[0].selectbox(
    "Printer to duplicate",
    list(request.printer_ids),
    format_func=lambda pid: f"{pid} — {models[pid]}",
    key="sourcing_whatif_printer",
)
if cols[1].button("Re-plan with the extra printer", key="sourcing_whatif_run"):
    st.session_state["sourcing_whatif"] = dataclasses.replace(
        request, duplicate_printer=duplicate
    )
whatif = st.session_state.get("sourcing_whatif")
if isinstance(whatif, cache.PlanRequest) and (
    dataclasses.replace(whatif, duplicate_printer="").key == request.key
):
    other = ui.run_plan(whatif)
    if other is not None:
        delta = cache.summary_delta(result, other)
        other_summary = cache.sourcing_summary(other)
        st.caption(
            f"With a second {whatif.duplicate_printer} ({models[whatif.duplicate_printer]}):"
        )
        cols = st.columns(4)
        cols[0].metric(
            "Objective",
            ui.money(other_summary["objective"]),
            delta=f"{delta['objective']:,.0f}",
            delta_color="inverse",
        )
        cols[1].metric(
            "Stock investment",
            ui.money(other_summary["total_investment"]),
            delta=f"{delta['total_investment']:,.0f}",
            delta_color="inverse",
        )
        cols[2].metric(
            "Printed parts",
            other_summary["n_print_stock"] + other_summary["n_print_on_demand"],
            delta=int(delta["n_print_stock"] + delta["n_print_on_demand"]),
        )
        cols[3].metric(
            "Hybrid parts", other_summary["n_hybrid"], delta=int(delta["n_hybrid"])
        )
        ui.show_chart(ui.usage_chart(cache.usage_frame(other)))
