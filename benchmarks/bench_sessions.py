"""Load test: 10 real browser sessions plan at once against one Streamlit server.

Starts ``streamlit run streamlit_app.py`` on 127.0.0.1 (a free port, its own
TMPDIR), opens N Chromium contexts (separate Streamlit sessions) with Playwright's
async API, and in all of them at the same moment opens "Print vs stock", enters a
budget and clicks "Run plan". Each session waits for its Objective metric. Prints
wall time per session (first paint, plan), the total, and the server's peak
resident memory (VmHWM of /proc/PID/status; VmRSS sampled every 0.1 s as well).

Modes (``--mode``):

- ``budgets`` (default): the demo catalog, a different budget per session: every
  session solves its own sourcing MILP and builds its own queue; the print
  estimates (same catalog, same printers) come from the shared cache.
- ``same``: the demo catalog and the same settings everywhere: one plan is
  computed, the other sessions wait for it and share the cached result.
- ``uploads``: each session uploads the demo catalog with its own part ids, so
  each computes everything (estimates of every STL included).

Run: ``python benchmarks/bench_sessions.py [--sessions 10] [--mode budgets]``.
Needs Chromium at /usr/bin/chromium and the ``playwright`` package.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    streamlit_server,
)

TIMEOUT_MS = 600_000


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process from /proc/PID/status. [KiB]"""
    text = Path(f"/proc/{pid}/status").read_text()
    return {
        key: int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1))
        for key in ("VmRSS", "VmHWM")
    }


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every ``interval_s`` and keeps the largest."""

    def __init__(self, pid: int, interval_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval_s = pid, interval_s
        self.peak_kib = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak_kib = max(self.peak_kib, memory_kib(self.pid)["VmRSS"])
            except (OSError, AttributeError):
                return
            time.sleep(self.interval_s)


def demo_upload(folder: Path, index: int) -> list[Path]:
    """The demo catalog with part ids S<index>-..., plus its STL files."""
    demo = ROOT / "catalog"
    with (demo / "parts.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    col = header.index("part_id")
    for row in body:
        row[col] = f"S{index}-{row[col]}"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *body])
    table = folder / f"session{index}_parts.csv"
    table.write_text(buffer.getvalue(), encoding="utf-8")
    stl = header.index("stl_file")
    names = sorted({r[stl] for r in body if r[stl]})
    return [table, *(demo / "stl" / n for n in names)]


class Gate:
    """Opens once all ``n`` sessions have arrived (or after ``timeout_s``)."""

    def __init__(self, n: int, timeout_s: float = 600.0) -> None:
        self.n, self.arrived, self.timeout_s = n, 0, timeout_s
        self.event = asyncio.Event()

    async def wait(self) -> None:
        try:
            await asyncio.wait_for(self.event.wait(), self.timeout_s)
        except TimeoutError:
            self.event.set()

    async def arrive(self) -> None:
        self.arrived += 1
        if self.arrived >= self.n:
            self.event.set()
        await self.wait()


async def one_session(browser, url: str, index: int, mode: str, gate, folder):
    """Open the app, (upload), plan; returns timings [s]."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    t0 = time.perf_counter()
    await page.goto(url)
    await page.locator("h1", has_text="Catalog").first.wait_for()
    t_open = time.perf_counter() - t0
    if mode == "uploads":
        files = [str(f) for f in demo_upload(folder, index)]
        await page.set_input_files('input[type="file"]', files)
        await page.get_by_text(f"uploaded session{index}_parts.csv").first.wait_for()
    await gate.arrive()
    t1 = time.perf_counter()
    nav = page.locator('[data-testid="stSidebarNav"] a', has_text="Print vs stock")
    await nav.first.click()
    await page.locator("h1", has_text="Print vs stock").first.wait_for()
    if mode in ("budgets", "uploads"):
        budget = page.get_by_label("Investment budget (optional)")
        await budget.fill(str(400_000 + 1000 * index))
        await budget.press("Enter")
    await page.get_by_role("button", name="Run plan").click()
    objective = page.locator('[data-testid="stMetric"]', has_text="Objective")
    await objective.first.wait_for()
    value = await objective.first.locator('[data-testid="stMetricValue"]').inner_text()
    t_plan = time.perf_counter() - t1
    await context.close()
    return {"session": index, "open_s": t_open, "plan_s": t_plan, "objective": value}


async def drive(url: str, n: int, mode: str, folder: Path) -> tuple[list, float]:
    """Run ``n`` sessions; all click "Run plan" together. Results and total [s]."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        gate = Gate(n)
        tasks = [
            asyncio.create_task(one_session(browser, url, i, mode, gate, folder))
            for i in range(n)
        ]
        await gate.wait()
        t0 = time.perf_counter()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        total_s = time.perf_counter() - t0
        await browser.close()
    return list(results), total_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument(
        "--mode", choices=("budgets", "same", "uploads"), default="budgets"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_sessions_"))
    server_tmp = work / "tmp"
    server_tmp.mkdir()
    with streamlit_server(
        work / "streamlit.log", tmpdir=server_tmp, timeout_s=120.0
    ) as (url, server):
        idle = memory_kib(server.pid)
        sampler = RssSampler(server.pid)
        sampler.start()
        results, total_s = asyncio.run(drive(url, args.sessions, args.mode, work))
        sampler.stop.set()
        sampler.join()
        final = memory_kib(server.pid)
    failed = [r for r in results if isinstance(r, BaseException)]
    print(f"mode {args.mode}: {args.sessions} concurrent browser sessions")
    print("session  open_s  plan_s  objective")
    for r in results:
        if isinstance(r, BaseException):
            print(f"  FAILED: {type(r).__name__}: {str(r)[:200]}")
            continue
        print(
            f"{r['session']:7d}  {r['open_s']:6.1f}  {r['plan_s']:6.1f}  {r['objective']}"
        )
    plans = sorted(r["plan_s"] for r in results if not isinstance(r, BaseException))
    if plans:
        print(
            f"plan wall time per session: min {plans[0]:.1f} s, median "
            f"{plans[len(plans) // 2]:.1f} s, max {plans[-1]:.1f} s"
        )
    print(f"total wall time (all sessions, from the common start): {total_s:.1f} s")
    print(
        f"server memory: idle RSS {idle['VmRSS'] / 1024:.0f} MiB, peak RSS sampled "
        f"{sampler.peak_kib / 1024:.0f} MiB, VmHWM {final['VmHWM'] / 1024:.0f} MiB, "
        f"RSS after {final['VmRSS'] / 1024:.0f} MiB"
    )
    print(f"completed {len(plans)}/{args.sessions}; failed {len(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
