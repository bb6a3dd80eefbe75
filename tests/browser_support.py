"""What the real-browser tests and the session load benchmark share: Debian's
Chromium, its flags, a free local port, and a Streamlit server of the app run
until its health check answers and stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

#: The repository root, where ``streamlit_app.py`` lives.
ROOT = Path(__file__).resolve().parents[1]

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


@contextlib.contextmanager
def streamlit_server(
    log_path: Path, *, tmpdir: Path | None = None, timeout_s: float = 90.0
) -> Iterator[tuple[str, subprocess.Popen]]:
    """The app served headless on a free local port: ``(url, process)``.

    Its output goes to ``log_path``; ``tmpdir`` becomes its ``TMPDIR`` (where
    sessions keep their uploads). Waits for the health check (``timeout_s``
    [s]); on leaving, the server is stopped (killed if it does not stop within
    15 s) and the log closed.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ) if tmpdir is None else {**os.environ, "TMPDIR": str(tmpdir)}
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "streamlit", "run", "streamlit_app.py"),
                *("--server.headless", "true", "--server.address", "127.0.0.1"),
                *("--server.port", str(port), "--browser.gatherUsageStats", "false"),
                *("--server.fileWatcherType", "none"),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            wait_healthy(url, server, timeout_s=timeout_s)
            yield url, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)
