"""The core stays UI-free: importing planner/ never pulls in Streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE_MODULES = sorted(
    "planner." + p.stem
    for p in (ROOT / "planner").glob("*.py")
    if p.stem not in {"__init__", "__main__"}
)


def test_core_modules_do_not_import_streamlit() -> None:
    """Import every core module in a fresh interpreter; streamlit must stay unloaded."""
    code = (
        "import importlib, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"
    assert len(CORE_MODULES) >= 10  # the walk really found the package


def test_ruff_bans_streamlit_in_the_core() -> None:
    """pyproject.toml carries the banned-api rule, so ruff flags a core import."""
    text = (ROOT / "pyproject.toml").read_text()
    assert '"streamlit".msg' in text
    assert "TID251" in text
