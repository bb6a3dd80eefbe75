"""Print queue page: jobs per printer over time, priorities, lab downloads."""

import io
import zipfile
from pathlib import PurePosixPath

import streamlit as st

from planner.errors import PlannerError
from planner.ui import cache
from planner.ui import components as ui

PRIORITIES_KEY = "queue_priorities"
VERSION_KEY = "queue_priority_version"
#: MIME type of each file in the print package, by extension.
PACKAGE_MIME = {
    ".json": "application/json",
    ".csv": "text/csv",
    ".stl": "model/stl",
    ".3mf": "model/3mf",
}

st.title("Print queue")
st.write(
    "What the lab prints, on which printer, in which order and by when: jobs fit the "
    "printer's build volume, never overlap, and respect weekly hours and downtime."
)
source, catalog = ui.current_catalog()
ui.catalog_caption(source, catalog)
request = ui.current_request(source)
if request is None:
    st.info(
        "No plan for this catalog yet. Plan with all lab printers and no budget here, "
        "or choose printers and a budget on the Print vs stock page."
    )
    if st.button("Plan the print queue", type="primary", key="queue_run"):
        st.session_state[ui.REQUEST_KEY] = cache.default_request(source)
        st.rerun()
    else:
        st.stop()
if ui.run_plan(request) is None:
    st.stop()

stored = st.session_state.get(PRIORITIES_KEY)
priorities = stored[1] if stored and stored[0] == request.key else ""
try:
    result = cache.get_queue_plan(request, priorities)
except PlannerError as exc:
    ui.show_error(exc)
    st.stop()

totals = cache.queue_metrics(result)
cols = st.columns(5)
cols[0].metric("Print jobs", totals["jobs"])
cols[1].metric("Printers used", totals["printers"])
cols[2].metric("Print hours", f"{totals['print_hours']:,.1f}")
cols[3].metric("Filament [kg]", f"{totals['filament_kg']:,.2f}")
cols[4].metric("Jobs finishing after due", totals["late_jobs"])

if totals["jobs"]:
    color_by = st.radio(
        "Colour by", ["criticality", "priority"], horizontal=True, key="queue_color_by"
    )
    gantt = cache.gantt_frame(result)
    printer_ids = list(dict.fromkeys(gantt["printer_id"].tolist()))
    tabs = st.tabs(["All printers", *printer_ids])
    with tabs[0]:
        ui.show_chart(ui.gantt_chart(gantt, color_by=color_by))
    for tab, printer_id in zip(tabs[1:], printer_ids, strict=True):
        with tab:
            ui.show_chart(
                ui.gantt_chart(
                    gantt[gantt["printer_id"] == printer_id], color_by=color_by
                )
            )
else:
    st.info("The plan prints nothing: every part is bought and stocked.")

st.subheader("Jobs")
st.dataframe(cache.queue_table(result), hide_index=True)
for note in result.queue.warnings:
    st.warning(note)

ui.download_buttons(
    "queue",
    [
        (
            "Queue CSV",
            cache.queue_csv(request, priorities),
            "print_queue.csv",
            "text/csv",
        ),
        (
            "Queue JSON",
            lambda: cache.queue_json(request, priorities),
            "queue.json",
            "application/json",
        ),
        (
            "XLSX (queue + policy)",
            lambda: cache.plan_xlsx(request, priorities),
            "sparecast_plan.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "Print package ZIP",
            lambda: cache.print_package(request, priorities),
            "print_package.zip",
            "application/zip",
        ),
    ],
)

if totals["jobs"] and st.toggle(
    "Download single files of the print package", key="queue_package_files"
):
    try:
        package = cache.print_package(request, priorities)
    except PlannerError as exc:
        ui.show_error(exc)
    else:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            chosen = st.selectbox(
                f"File ({len(names)} in the package)", names, key="queue_package_file"
            )
            data = archive.read(chosen)
        st.download_button(
            f"Download {PurePosixPath(chosen).name}",
            data=data,
            file_name=PurePosixPath(chosen).name,
            mime=PACKAGE_MIME.get(
                PurePosixPath(chosen).suffix.lower(), "application/octet-stream"
            ),
            key="queue_package_file_download",
            on_click="ignore",
        )

if totals["jobs"]:
    st.subheader("Priorities")
    st.caption(
        "Raise or lower a part's priority and re-run: the queue is rebuilt with "
        "higher priorities printed first."
    )
    with st.form("queue_priorities_form", border=False):
        edited = st.data_editor(
            cache.priority_frame(result),
            hide_index=True,
            disabled=["part_id", "criticality"],
            key=f"queue_priority_editor_{st.session_state.get(VERSION_KEY, 0)}",
            column_config={
                "priority": st.column_config.NumberColumn("priority", min_value=0.0)
            },
        )
        rerun = st.form_submit_button(
            "Re-run queue with these priorities", key="queue_rerun"
        )
    if rerun:
        st.session_state[PRIORITIES_KEY] = (request.key, cache.priorities_json(edited))
        st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1
        st.rerun()
    if priorities and st.button("Reset priorities", key="queue_reset"):
        st.session_state.pop(PRIORITIES_KEY, None)
        st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1
        st.rerun()
