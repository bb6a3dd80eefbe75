"""What the real-browser tests and the session load benchmark share: Debian's
Chromium, its flags, a free local port and the wait for Streamlit's health check."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

#: Debian's Chromium (never a downloaded browser).
CHROMIUM = Path("/usr/bin/chromium")
#: Flags for a headless Chromium in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen, timeout_s: float = 90.0) -> None:
    """Poll Streamlit's health endpoint until it answers ok (or the server dies).

    Raises
    ------
    AssertionError
        If the server exits or does not answer within ``timeout_s`` [s].
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited early with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200 and r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"streamlit did not become healthy within {timeout_s} s")
