"""Streamlit front end of Sparecast: pages, shared components and cached calls.

The only package that imports Streamlit. Pages read widgets, call the core through
:mod:`planner.ui.cache` and render; they hold no formulas.
"""
