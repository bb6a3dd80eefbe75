"""Catalog page: the demo catalog or an upload, its import report, editable parts."""

import streamlit as st

from planner.errors import PlannerError
from planner.ui import cache
from planner.ui import components as ui

BASE_KEY = "catalog_base_source"
DIGEST_KEY = "catalog_upload_digest"
EDIT_FRAME_KEY = "catalog_edit_frame"
VERSION_KEY = "catalog_editor_version"


def _errors(title: str, frame) -> None:
    """Bad cells as a static table (readable, searchable), large ones as a grid."""
    st.error(f"{title}: {len(frame)} bad cells in {frame['row'].nunique()} rows")
    if len(frame) <= 200:
        st.table(frame.set_index("row"))
    else:
        st.dataframe(frame, hide_index=True)


st.title("Catalog")
st.write(
    "Spare-parts master data as exported from SAP PM/MM, Maximo or a CMMS: CSV, XLSX, "
    "or a ZIP holding the table and its STL files. Common headers (Material, MATNR, "
    "Lead time (days), Vendor, …) are mapped onto the catalog columns; bad rows are "
    "reported and left out. Without an upload the demo catalog is used."
)
st.session_state.setdefault(VERSION_KEY, 0)

uploads = st.file_uploader(
    "Catalog table (CSV, XLSX or ZIP), STL files, optional demand_history.csv",
    type=["csv", "xlsx", "zip", "stl"],
    accept_multiple_files=True,
    key="catalog_upload",
)
files = [(f.name, f.getvalue()) for f in uploads or []]
if files:
    digest = cache.upload_digest(files)
    if digest != st.session_state.get(DIGEST_KEY):
        try:
            source = cache.upload_source(files, workdir=cache.session_workdir())
            cache.get_catalog(source)
        except PlannerError as exc:
            ui.show_error(exc)
        else:
            st.session_state[DIGEST_KEY] = digest
            st.session_state[BASE_KEY] = source
            st.session_state[ui.SOURCE_KEY] = source
            st.session_state.pop(EDIT_FRAME_KEY, None)
            st.session_state[VERSION_KEY] += 1

base = st.session_state.get(BASE_KEY, cache.demo_source())
if not base.is_demo and st.button("Use the demo catalog", key="catalog_use_demo"):
    st.session_state[BASE_KEY] = base = cache.demo_source()
    st.session_state[ui.SOURCE_KEY] = base
    st.session_state.pop(EDIT_FRAME_KEY, None)
    st.session_state[VERSION_KEY] += 1

source, catalog = ui.current_catalog()
base_catalog = cache.get_catalog(base) if base.key != source.key else catalog

metrics = cache.catalog_metrics(catalog)
cols = st.columns(7)
cols[0].metric("Parts", metrics["parts"])
cols[1].metric("Printable", metrics["printable"])
cols[2].metric("Vital", metrics["vital"])
cols[3].metric("Essential", metrics["essential"])
cols[4].metric("Desirable", metrics["desirable"])
cols[5].metric("Stock value", ui.money(metrics["stock_value"]))
cols[6].metric("Rows left out", cache.catalog_metrics(base_catalog)["bad_rows"])
st.caption(f"Using the {source.label}.")


if base_catalog.column_mapping:
    with st.expander("Column mapping"):
        st.dataframe(cache.mapping_frame(base_catalog), hide_index=True)
if base_catalog.errors:
    _errors("Rows left out of the import", cache.errors_frame(base_catalog))
if len(base_catalog.warnings) > 3:
    with st.expander(f"{len(base_catalog.warnings)} import warnings"):
        for note in base_catalog.warnings:
            st.warning(note)
else:
    for note in base_catalog.warnings:
        st.warning(note)

if source.edited and catalog.errors:
    _errors("Rows left out after your edits", cache.errors_frame(catalog))

st.subheader("Parts")
st.caption(
    "Edit cells, add or delete rows, then apply: the edits are validated like an "
    "upload and feed every other page."
)
frame = st.session_state.get(EDIT_FRAME_KEY) if source.edited else None
if frame is None:
    frame = cache.parts_frame(catalog)
with st.form("catalog_edit_form", border=False):
    edited = st.data_editor(
        frame,
        key=f"catalog_editor_{st.session_state[VERSION_KEY]}",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "part_id": st.column_config.TextColumn("part_id", required=True),
            "criticality": st.column_config.SelectboxColumn(
                "criticality", options=["V", "E", "D"], required=True
            ),
            "printable": st.column_config.CheckboxColumn("printable"),
            "unit_cost": st.column_config.NumberColumn("unit_cost", min_value=0.0),
        },
    )
    apply = st.form_submit_button("Apply edits", key="catalog_apply")
if apply:
    new_source = cache.edited_source(edited, base=source, catalog=catalog)
    try:
        cache.get_catalog(new_source)
    except PlannerError as exc:
        ui.show_error(exc)
    else:
        st.session_state[ui.SOURCE_KEY] = new_source
        st.session_state[EDIT_FRAME_KEY] = edited
        st.session_state[VERSION_KEY] += 1
        st.rerun()
