"""Sparecast: spare-parts resilience planner.

Pure computation core. Nothing under ``planner/`` (outside ``planner/ui/``) imports
Streamlit; the browser front end and the CLI are thin layers over these modules.
"""

__version__ = "0.1.0"
