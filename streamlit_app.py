"""Sparecast in the browser: ``streamlit run streamlit_app.py``."""

import streamlit as st

from planner.ui import cache

st.set_page_config(layout="wide", page_title="Sparecast")
cache.start_kernel_warm_up()
st.navigation(
    [
        st.Page(
            "planner/ui/pages/catalog_page.py",
            title="Catalog",
            icon=":material/inventory_2:",
            default=True,
        ),
        st.Page(
            "planner/ui/pages/policy_page.py",
            title="Stock policy",
            icon=":material/shield:",
        ),
        st.Page(
            "planner/ui/pages/sourcing_page.py",
            title="Print vs stock",
            icon=":material/precision_manufacturing:",
        ),
        st.Page(
            "planner/ui/pages/scenarios_page.py",
            title="Scenarios",
            icon=":material/thunderstorm:",
        ),
        st.Page(
            "planner/ui/pages/queue_page.py",
            title="Print queue",
            icon=":material/view_timeline:",
        ),
    ]
).run()
