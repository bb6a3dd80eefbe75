"""Widgets and charts shared by the pages.

Each component owns a key prefix in ``st.session_state`` (``catalog_``,
``policy_``, ``sourcing_``, ``scenarios_``, ``queue_``); it reads widgets, calls
:mod:`planner.ui.cache` and renders. No formulas here: numbers come from the core.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from planner.catalog import Catalog
from planner.errors import PlannerError
from planner.scenarios import EventType, Scenario
from planner.ui import cache

#: Session key of the catalog every page uses (set by the Catalog page).
SOURCE_KEY = "catalog_source"
#: Session key of the last plan request (set by the Print vs stock or queue page).
REQUEST_KEY = "sourcing_request"

#: Which widgets an event type needs ("match" = a part matcher, "window" = an
#: optional start/duration window).
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    EventType.SUPPLIER_OUTAGE.value: ("match", "start_day", "duration_days"),
    EventType.RANDOM_OUTAGES.value: (
        "match",
        "rate_per_year",
        "duration_days",
        "duration_distribution",
    ),
    EventType.LEAD_TIME_MULTIPLIER.value: ("match", "factor", "window"),
    EventType.DEMAND_SURGE.value: ("match", "factor", "start_day", "duration_days"),
    EventType.PRINTER_DOWN.value: ("printer_id", "start_day", "duration_days"),
    EventType.MATERIAL_SHORTAGE.value: ("material", "start_day", "duration_days"),
}
#: Criticality colours used by every chart (vital red, essential amber, desirable grey).
CRITICALITY_COLOR = alt.Color(
    "criticality:N",
    title="criticality",
    scale=alt.Scale(domain=["V", "E", "D"], range=["#d62728", "#f2a93b", "#8c9eb5"]),
)
#: Part attributes an event may match on.
MATCHERS = ("supplier_region", "supplier", "criticality", "part_id")
#: Matcher choice that leaves every part matched.
ALL_PARTS = "(all parts)"


def money(value: float) -> str:
    """A money amount for a metric: thousands separators, no decimals."""
    return f"{value:,.0f}"


def show_error(exc: PlannerError) -> None:
    """An error the planner raised on purpose, as a message (never a traceback)."""
    st.error(str(exc))


def current_source() -> cache.CatalogSource:
    """The catalog the pages work on: the user's upload or edit, else the demo."""
    source = st.session_state.get(SOURCE_KEY)
    return source if isinstance(source, cache.CatalogSource) else cache.demo_source()


def current_catalog() -> tuple[cache.CatalogSource, Catalog]:
    """Load the current catalog; fall back to the demo (with the error) if it fails.

    Also removes the session's upload folders no catalog source of the session
    names any more (a replaced upload's files go at once).
    """
    source = current_source()
    cache.prune_session_uploads()
    try:
        return source, cache.get_catalog(source)
    except PlannerError as exc:
        show_error(exc)
        st.session_state.pop(SOURCE_KEY, None)
        demo = cache.demo_source()
        return demo, cache.get_catalog(demo)


def catalog_caption(source: cache.CatalogSource, catalog: Catalog) -> None:
    """One line naming the catalog in use (change it on the Catalog page)."""
    st.caption(
        f"Catalog: {source.label} — {len(catalog.parts)} parts. "
        "Upload or edit it on the Catalog page."
    )


def current_request(source: cache.CatalogSource) -> cache.PlanRequest | None:
    """The last plan request of this session, if it is for the current catalog."""
    request = st.session_state.get(REQUEST_KEY)
    if isinstance(request, cache.PlanRequest) and request.source.key == source.key:
        return request
    return None


def run_plan(request: cache.PlanRequest) -> object | None:
    """Plan with progress shown; the result, or None after showing the error."""
    with st.status("Planning: policy, print estimates, sourcing, queue…") as status:
        try:
            result = cache.get_plan(request)
        except PlannerError as exc:
            status.update(label="Planning failed", state="error")
            show_error(exc)
            return None
        total_s = sum(result.timings_s.values())
        steps = ", ".join(
            f"{k.removesuffix('_s')} {v:.1f} s" for k, v in result.timings_s.items()
        )
        status.update(label=f"Planned in {total_s:.1f} s ({steps})", state="complete")
    if result.sourcing.status != "Optimal":
        st.warning(result.sourcing.status_detail or f"status {result.sourcing.status}")
    return result


def download_buttons(
    prefix: str, items: Sequence[tuple[str, bytes | Callable[[], bytes], str, str]]
) -> None:
    """A row of download buttons: (label, data or a callable, file name, MIME type)."""
    columns = st.columns(len(items))
    for column, (label, data, file_name, mime) in zip(columns, items, strict=True):
        column.download_button(
            label,
            data=data,
            file_name=file_name,
            mime=mime,
            key=f"{prefix}_download_{file_name}",
            on_click="ignore",
        )


# -- scenarios ----------------------------------------------------------------

NONE_CHOICE = "None (no disruption)"
UPLOAD_CHOICE = "Upload a scenario file"
BUILD_CHOICE = "Build one here"


def scenario_picker(
    prefix: str,
    *,
    catalog: Catalog,
    allow_none: bool = True,
    allow_builder: bool = False,
) -> Scenario | None:
    """Pick a scenario: none, a preset, an uploaded JSON/YAML file, or build one."""
    choices = [NONE_CHOICE] if allow_none else []
    choices += [*cache.preset_names(), UPLOAD_CHOICE]
    if allow_builder:
        choices.append(BUILD_CHOICE)
    with_events = [n for n in cache.preset_names() if cache.preset(n).events]
    default = 0 if allow_none or not with_events else choices.index(with_events[0])
    choice = st.selectbox(
        "Scenario", choices, index=default, key=f"{prefix}_scenario_choice"
    )
    if choice == NONE_CHOICE:
        return None
    if choice == UPLOAD_CHOICE:
        return _uploaded_scenario(prefix)
    if choice == BUILD_CHOICE:
        return scenario_builder(prefix, catalog=catalog)
    scenario = cache.preset(choice)
    with st.expander("Scenario events"):
        st.json(cache.scenario_json(scenario))
    return scenario


def _uploaded_scenario(prefix: str) -> Scenario | None:
    """A scenario from an uploaded JSON/YAML file (the first if it holds several)."""
    upload = st.file_uploader(
        "Scenario file (JSON or YAML)",
        type=["json", "yaml", "yml"],
        key=f"{prefix}_scenario_upload",
    )
    if upload is None:
        st.info("Upload a scenario file in the DESIGN.md format.")
        return None
    try:
        scenarios = cache.scenario_file(upload.getvalue(), upload.name)
    except PlannerError as exc:
        show_error(exc)
        return None
    if not scenarios:
        st.error(f"{upload.name}: the file holds no scenario")
        return None
    names = [s.name for s in scenarios]
    name = st.selectbox("Scenario in the file", names, key=f"{prefix}_scenario_in_file")
    return scenarios[names.index(name)]


def scenario_builder(prefix: str, *, catalog: Catalog) -> Scenario | None:
    """Build a scenario event by event from widgets; validated by the core."""
    events_key = f"{prefix}_builder_events"
    events: list[dict] = st.session_state.setdefault(events_key, [])
    name = st.text_input("Scenario name", "my scenario", key=f"{prefix}_builder_name")
    horizon_days = st.number_input(
        "Horizon [days]", 30, 3650, 365, step=30, key=f"{prefix}_builder_horizon"
    )
    event = _event_widgets(prefix, catalog)
    add, clear = st.columns(2)
    if add.button("Add event", key=f"{prefix}_builder_add"):
        events.append(event)
    if clear.button("Clear events", key=f"{prefix}_builder_clear"):
        events.clear()
    if events:
        st.dataframe(pd.DataFrame(events), hide_index=True)
    try:
        return cache.build_scenario(name=name, horizon_days=horizon_days, events=events)
    except PlannerError as exc:
        st.info(str(exc))
        return None


def _event_widgets(prefix: str, catalog: Catalog) -> dict:
    """Widgets for one event of the chosen type; returns its scenario-file dict."""
    key = f"{prefix}_event"
    kinds = list(EVENT_FIELDS)
    kind = st.selectbox("Event type", kinds, key=f"{key}_type")
    fields = EVENT_FIELDS[kind]
    event: dict = {"type": kind}
    cols = st.columns(3)
    if "match" in fields:
        options = list(MATCHERS)
        if kind != EventType.SUPPLIER_OUTAGE.value:
            options.append(ALL_PARTS)
        matcher = cols[0].selectbox("Match parts by", options, key=f"{key}_matcher")
        if matcher != ALL_PARTS:
            values = sorted({str(getattr(p, matcher)) for p in catalog.parts} - {""})
            event[matcher] = cols[1].selectbox(
                f"{matcher}", values or [""], key=f"{key}_value_{matcher}"
            )
    if "printer_id" in fields:
        printer_ids = [p.printer_id for p in cache.demo_printers()]
        event["printer_id"] = cols[0].selectbox(
            "Printer", printer_ids, key=f"{key}_printer"
        )
    if "material" in fields:
        materials = sorted(cache.demo_materials())
        event["material"] = cols[0].selectbox(
            "Material", materials, key=f"{key}_material"
        )
    window = "start_day" in fields
    if "window" in fields:
        window = cols[2].checkbox("Only in a window", key=f"{key}_window")
    if window:
        event["start_day"] = st.number_input(
            "Start [day]", 0.0, 3650.0, 30.0, step=1.0, key=f"{key}_start"
        )
    if window or "duration_days" in fields:
        event["duration_days"] = st.number_input(
            "Duration [days]", 1.0, 3650.0, 70.0, step=1.0, key=f"{key}_duration"
        )
    if "factor" in fields:
        event["factor"] = st.number_input(
            "Factor", 0.1, 20.0, 2.0, step=0.1, key=f"{key}_factor"
        )
    if "rate_per_year" in fields:
        event["rate_per_year"] = st.number_input(
            "Outages per year", 0.01, 52.0, 0.5, step=0.1, key=f"{key}_rate"
        )
    if "duration_distribution" in fields:
        event["duration_distribution"] = st.selectbox(
            "Duration distribution", ["fixed", "exponential"], key=f"{key}_dist"
        )
    return event


# -- charts -------------------------------------------------------------------


def show_chart(chart: alt.Chart) -> None:
    """An Altair chart across the page width."""
    st.altair_chart(chart, width="stretch")


def policy_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stock investment vs fill rate per part, coloured by criticality."""
    return (
        alt.Chart(frame)
        .mark_circle(size=70)
        .encode(
            x=alt.X(
                "investment:Q", title="stock investment (base-stock level × unit cost)"
            ),
            y=alt.Y("fill_rate:Q", title="fill rate", scale=alt.Scale(zero=False)),
            color=CRITICALITY_COLOR,
            tooltip=[
                "part_id",
                "description",
                "order_up_to",
                "fill_rate",
                "investment",
            ],
        )
        .properties(height=320, title="Investment vs fill rate per part")
    )


def sweep_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Expected annual cost and fill rate of the optimal plan against its budget."""
    data = frame.dropna(subset=["objective"])
    base = alt.Chart(data).encode(
        x=alt.X("investment:Q", title="stock investment", scale=alt.Scale(zero=False)),
        tooltip=[
            alt.Tooltip("budget:Q", format=",.0f"),
            alt.Tooltip("objective:Q", format=",.0f"),
            alt.Tooltip("fill_rate:Q", format=".4f"),
            "n_printed:Q",
        ],
    )
    cost = base.mark_line(point=True, color="#c23b22").encode(
        y=alt.Y(
            "objective:Q",
            title="expected annual cost",
            axis=alt.Axis(titleColor="#c23b22"),
        )
    )
    fill = base.mark_line(point=True, color="#1f6fb2").encode(
        y=alt.Y(
            "fill_rate:Q",
            title="expected fill rate",
            scale=alt.Scale(zero=False),
            axis=alt.Axis(titleColor="#1f6fb2"),
        )
    )
    return (
        alt.layer(cost, fill)
        .resolve_scale(y="independent")
        .properties(height=300, title="Cost and availability against the budget")
    )


def option_chart(frame: pd.DataFrame, *, part_id: str) -> alt.Chart:
    """Expected annual cost of each sourcing option of one part; the chosen one dark."""
    feasible = frame.dropna(subset=["annual_cost"])
    return (
        alt.Chart(feasible)
        .mark_bar()
        .encode(
            x=alt.X("annual_cost:Q", title="expected annual cost"),
            y=alt.Y("mode:N", title=None, sort=list(frame["mode"])),
            color=alt.Color(
                "chosen:N",
                scale=alt.Scale(domain=[True, False], range=["#1f6fb2", "#b8c4d6"]),
                legend=None,
            ),
            tooltip=[
                "mode",
                alt.Tooltip("annual_cost:Q", format=",.2f"),
                alt.Tooltip("printer_hours_per_year:Q", format=",.1f"),
                alt.Tooltip("investment:Q", format=",.0f"),
            ],
        )
        .properties(height=180, title=f"{part_id}: options (infeasible ones left out)")
    )


def frontier_chart(
    frame: pd.DataFrame, *, budget: float, target_investment: float
) -> alt.LayerChart:
    """Total expected backorders and fill rate against investment (the frontier).

    Rules mark the chosen budget (solid) and the investment of the target-driven
    policy (dashed).
    """
    base = alt.Chart(frame).encode(
        x=alt.X("investment:Q", title="stock investment"),
        tooltip=[
            alt.Tooltip("investment:Q", format=",.0f"),
            alt.Tooltip("total_expected_backorders:Q", format=".4f"),
            alt.Tooltip("fill_rate:Q", format=".4f"),
            alt.Tooltip("expected_downtime_cost:Q", format=",.0f"),
            "n_units:Q",
        ],
    )
    ebo = base.mark_line(color="#c23b22").encode(
        y=alt.Y(
            "total_expected_backorders:Q",
            title="expected backorders (units)",
            axis=alt.Axis(titleColor="#c23b22"),
        )
    )
    fill = base.mark_line(color="#1f6fb2").encode(
        y=alt.Y(
            "fill_rate:Q",
            title="fill rate",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(titleColor="#1f6fb2"),
        )
    )
    marks = pd.DataFrame(
        {
            "investment": [budget, target_investment],
            "what": ["budget", "target policy"],
        }
    )
    rules = (
        alt.Chart(marks)
        .mark_rule()
        .encode(
            x="investment:Q",
            strokeDash=alt.StrokeDash("what:N", title=None),
            tooltip=["what", alt.Tooltip("investment:Q", format=",.0f")],
        )
    )
    return (
        alt.layer(ebo, fill, rules)
        .resolve_scale(y="independent")
        .properties(height=320, title="Budget frontier (marginal analysis)")
    )


def just_in_case_chart(frame: pd.DataFrame, *, n_parts: int = 30) -> alt.Chart:
    """Just-in-case investment (extra stock over the normal level) per part."""
    extra = frame[frame["just_in_case_units"] > 0]
    extra = extra.nlargest(n_parts, "just_in_case_investment")
    return (
        alt.Chart(extra)
        .mark_bar()
        .encode(
            x=alt.X("just_in_case_investment:Q", title="just-in-case investment"),
            y=alt.Y("part_id:N", sort="-x", title=None),
            color=CRITICALITY_COLOR,
            tooltip=[
                "part_id",
                "description",
                "just_in_case_units",
                "just_in_case_investment",
            ],
        )
        .properties(
            height=max(120, 18 * len(extra)), title="Just-in-case stock per part"
        )
    )


def usage_chart(frame: pd.DataFrame) -> alt.Chart:
    """Printer hours used per year against the hours the optimiser may use."""
    base = alt.Chart(frame).encode(y=alt.Y("printer_id:N", title=None))
    capacity = base.mark_bar(color="#dddddd").encode(
        x=alt.X("capacity_hours:Q", title="printer hours per year")
    )
    used = base.mark_bar(height=12).encode(
        x="used_hours:Q",
        tooltip=["printer_id", "used_hours", "capacity_hours", "utilisation_frac"],
    )
    return (capacity + used).properties(height=40 * max(len(frame), 1) + 40)


def gantt_chart(frame: pd.DataFrame, *, color_by: str) -> alt.Chart:
    """Print jobs per printer over time, coloured by criticality or priority."""
    color = (
        CRITICALITY_COLOR
        if color_by == "criticality"
        else alt.Color("priority:Q", scale=alt.Scale(scheme="orangered"))
    )
    return (
        alt.Chart(frame)
        .mark_bar(cornerRadius=2)
        .encode(
            x=alt.X("start:T", title=None),
            x2="end:T",
            y=alt.Y("printer_id:N", title=None),
            color=color,
            tooltip=[
                "job_id",
                "plate_id",
                "part_id",
                "quantity",
                "priority",
                "start",
                "end",
                "due",
            ],
        )
        .properties(height=60 * max(frame["printer_id"].nunique(), 1) + 40)
    )
