"""Two browser sessions on one Streamlit server never see each other's data.

Two Chromium contexts (separate cookies, separate Streamlit sessions) upload
different catalogs at the same moment — one as CSV + STL files, one as a ZIP —
plan the print queue at the same moment, and download the queue CSV and the print
package: each sees and downloads only its own parts. The server runs with its own
TMPDIR, so the test also checks the upload folders: one per session, and a
replaced upload's files (a ZIP's extraction folder included) are removed at once.

The browser test is skipped only when /usr/bin/chromium is missing and
SPARECAST_REQUIRE_BROWSER is not set; the unit tests of the folder clean-up
(session end, stale sweep, pruning, keys) run everywhere.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import time
import zipfile
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "catalog"
TIMEOUT_MS = 180_000

#: The browser test runs where Chromium is, and must where CI asks for it.
needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("SPARECAST_REQUIRE_BROWSER"),
    reason=f"{CHROMIUM} is not installed",
)


def catalog_rows(prefix: str, offset: int) -> tuple[list[str], list[list[str]], list]:
    """Three printable and three stock-only demo rows, part ids renamed PREFIX-n.

    ``offset`` picks different demo rows for each session. Returns the header,
    the rows and the STL files they name.
    """
    with (DEMO / "parts.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    demand = [r for r in body if r[col["annual_demand"]]]
    printable = [r for r in demand if r[col["stl_file"]]][offset : offset + 3]
    plain = [r for r in demand if not r[col["stl_file"]]][offset : offset + 3]
    chosen = [list(r) for r in printable + plain]
    for i, row in enumerate(chosen):
        row[col["part_id"]] = f"{prefix}-{i}"
    stls = [DEMO / "stl" / r[col["stl_file"]] for r in printable]
    return header, chosen, stls


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    """Rows as CSV text."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue()


def csv_upload(folder: Path, prefix: str) -> list[Path]:
    """A catalog CSV plus its STL files, as separate files to upload."""
    header, rows, stls = catalog_rows(prefix, offset=0)
    table = folder / f"{prefix.lower()}_parts.csv"
    table.write_text(csv_text(header, rows), encoding="utf-8")
    return [table, *stls]


def zip_upload(folder: Path, prefix: str) -> Path:
    """A ZIP holding a catalog table and its STL files in stl/."""
    header, rows, stls = catalog_rows(prefix, offset=3)
    path = folder / f"{prefix.lower()}_catalog.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("parts.csv", csv_text(header, rows))
        for stl in stls:
            archive.write(stl, f"stl/{stl.name}")
    return path


def metric(page, label: str) -> str:
    """Text of the metric value under ``label``."""
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def go(page, title: str) -> None:
    """Open a page from the sidebar navigation and wait for its title."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
    page.locator("h1", has_text=title).first.wait_for(timeout=TIMEOUT_MS)


def download(page, label: str, target: Path) -> Path:
    """Click the download button ``label`` and save the file to ``target``."""
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    info.value.save_as(target)
    return target


def session_folders(tmp: Path) -> list[Path]:
    """The server's per-session upload folders."""
    return sorted(tmp.glob("sparecast-session-*"))


def upload_folders(tmp: Path) -> list[Path]:
    """Every upload folder of every session."""
    return sorted(tmp.glob("sparecast-session-*/upload-*"))


@needs_browser
@pytest.mark.browser
def test_two_sessions_upload_plan_and_download_only_their_own(tmp_path: Path) -> None:
    """Sessions A (CSV + STLs) and B (ZIP) upload and plan at the same time; each
    shows only its parts, and its queue CSV and print package hold only its
    parts; each has its own upload folder; a replaced upload's files are gone."""
    from playwright.sync_api import sync_playwright

    server_tmp = tmp_path / "server_tmp"
    server_tmp.mkdir()
    files_a = csv_upload(tmp_path, "ALPHA")
    zip_b = zip_upload(tmp_path, "BRAVO")
    with (
        streamlit_server(tmp_path / "streamlit.log", tmpdir=server_tmp) as (url, _),
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            pages = {}
            for name in ("ALPHA", "BRAVO"):
                context = browser.new_context(
                    accept_downloads=True, viewport={"width": 1500, "height": 1100}
                )
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(url)
                pages[name] = page
            for page in pages.values():
                page.locator("h1", has_text="Catalog").first.wait_for()

            # both upload at once: neither waits for the other's rerun
            a, b = pages["ALPHA"], pages["BRAVO"]
            a.set_input_files('input[type="file"]', [str(f) for f in files_a])
            b.set_input_files('input[type="file"]', str(zip_b))
            a.get_by_text("uploaded alpha_parts.csv").first.wait_for()
            b.get_by_text("uploaded bravo_catalog.zip").first.wait_for()
            for name, page in pages.items():
                other = "BRAVO" if name == "ALPHA" else "ALPHA"
                assert metric(page, "Parts") == "6"
                assert metric(page, "Printable") == "3"
                text = page.locator("body").inner_text()
                assert f"{other}-" not in text
            folders = session_folders(server_tmp)
            assert len(folders) == 2
            assert len(upload_folders(server_tmp)) == 2
            assert len(list(server_tmp.glob("sparecast_catalog_*"))) == 1

            # both plan at once, then each downloads its own files
            for page in pages.values():
                go(page, "Print queue")
            for page in pages.values():
                page.get_by_role("button", name="Plan the print queue").click()
            for name, page in pages.items():
                page.locator(
                    '[data-testid="stMetric"]', has_text="Print jobs"
                ).wait_for()
                n_jobs = int(metric(page, "Print jobs"))
                assert n_jobs >= 1
                queue = download(page, "Queue CSV", tmp_path / f"{name}_queue.csv")
                with queue.open(newline="", encoding="utf-8") as fh:
                    rows = list(csv.DictReader(fh))
                assert len(rows) == n_jobs
                assert {r["part_id"].split("-")[0] for r in rows} == {name}
                package = download(
                    page, "Print package ZIP", tmp_path / f"{name}_package.zip"
                )
                with zipfile.ZipFile(package) as archive:
                    jobs = json.loads(archive.read("queue.json"))["jobs"]
                    models = [n for n in archive.namelist() if n.startswith("models/")]
                assert {j["part_id"].split("-")[0] for j in jobs} == {name}
                assert models
                assert all(m.startswith(f"models/{name}-") for m in models)

            # A replaces its upload: its old folder goes, B's stays
            old_a = [f for f in upload_folders(server_tmp) if any(f.glob("*.stl"))]
            assert len(old_a) == 1
            go(a, "Catalog")
            files_a2 = csv_upload(tmp_path, "ALPHA2")
            a.set_input_files('input[type="file"]', [str(f) for f in files_a2])
            a.get_by_text("uploaded alpha2_parts.csv").first.wait_for()
            wait_until(lambda: not any(f.exists() for f in old_a))
            assert len(upload_folders(server_tmp)) == 2

            # B goes back to the demo: its upload and ZIP extraction go
            go(b, "Catalog")
            b.get_by_role("button", name="Use the demo catalog").click()
            b.get_by_text("Using the demo catalog").first.wait_for()
            wait_until(lambda: not list(server_tmp.glob("sparecast_catalog_*")))
            assert len(upload_folders(server_tmp)) == 1
        finally:
            browser.close()


def wait_until(check, timeout_s: float = 30.0) -> None:
    """Poll ``check`` until it is true (the server removes folders in its rerun)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


# ------------------------------------------------ folder clean-up, no browser


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private system temporary folder for the cache's folders."""
    import tempfile

    root = (tmp_path / "systmp").resolve()
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def fake_zip_upload(session: Path, root: Path) -> tuple[Path, Path]:
    """An upload folder linked to an extraction folder, as a ZIP upload leaves."""
    from planner.ui import cache

    upload = session / f"{cache.UPLOAD_DIR_PREFIX}zip"
    upload.mkdir(parents=True)
    extracted = root / f"{cache.EXTRACT_DIR_PREFIX}x1"
    (extracted / "stl").mkdir(parents=True)
    (extracted / "stl" / "a.stl").write_bytes(b"solid a")
    (upload / f"{cache.EXTRACT_LINK_PREFIX}{extracted.name}").symlink_to(extracted)
    return upload, extracted


def test_session_folder_goes_when_the_session_state_is_dropped(
    temp_root: Path,
) -> None:
    """The session folder handle's finalizer removes the folder, its uploads and
    their ZIP extraction folders once the handle is garbage."""
    from planner.ui import cache

    handle = cache._SessionFolder()
    folder = handle.path
    assert folder.parent == temp_root
    _, extracted = fake_zip_upload(folder, temp_root)
    del handle
    gc.collect()
    assert not folder.exists()
    assert not extracted.exists()


def test_prune_keeps_named_uploads_and_removes_the_rest(temp_root: Path) -> None:
    """prune_uploads removes upload folders no source names (a ZIP's extraction
    folder with them) and keeps the named one."""
    from planner.ui import cache

    session = temp_root / f"{cache.SESSION_DIR_PREFIX}s1"
    old, extracted = fake_zip_upload(session, temp_root)
    kept = session / f"{cache.UPLOAD_DIR_PREFIX}new"
    kept.mkdir()
    source = cache.CatalogSource(file_name="x.csv", data=b"x", workdir=str(kept))
    removed = cache.prune_uploads(session, [source, cache.demo_source()])
    assert removed == [old]
    assert kept.is_dir()
    assert not extracted.exists()


def test_stale_sweep_removes_only_idle_folders(temp_root: Path) -> None:
    """sweep_stale_uploads removes session folders idle past the bound (with their
    extraction folders) and orphan extraction folders, and keeps fresh ones and
    extraction folders a live session links to."""
    from planner.ui import cache

    idle = temp_root / f"{cache.SESSION_DIR_PREFIX}idle"
    _, idle_extracted = fake_zip_upload(idle, temp_root)
    live = temp_root / f"{cache.SESSION_DIR_PREFIX}live"
    upload = live / f"{cache.UPLOAD_DIR_PREFIX}u"
    upload.mkdir(parents=True)
    live_extracted = temp_root / f"{cache.EXTRACT_DIR_PREFIX}live"
    live_extracted.mkdir()
    (upload / f"{cache.EXTRACT_LINK_PREFIX}live").symlink_to(live_extracted)
    orphan = temp_root / f"{cache.EXTRACT_DIR_PREFIX}orphan"
    orphan.mkdir()
    now_s = time.time()
    for path in (idle, idle_extracted, orphan, live_extracted):
        os.utime(path, (now_s - 25 * 3600, now_s - 25 * 3600))
    removed = cache.sweep_stale_uploads(max_age_h=24.0, now_s=now_s)
    assert set(removed) == {idle, orphan}
    assert not idle_extracted.exists()
    assert live.is_dir()
    assert live_extracted.is_dir()


def test_same_upload_in_two_sessions_gets_two_keys(temp_root: Path) -> None:
    """The same bytes uploaded in two sessions (or twice) land in separate
    folders, so their cache keys differ and no session gets another's catalog
    or files; the demo's key is shared (its files are read-only)."""
    from planner.ui import cache

    files = [("parts.csv", b"part_id\nA\n"), ("a.stl", b"solid a")]
    one = cache.upload_source(files, workdir=temp_root / "s1")
    two = cache.upload_source(files, workdir=temp_root / "s2")
    again = cache.upload_source(files, workdir=temp_root / "s1")
    assert len({one.key, two.key, again.key}) == 3
    assert one.data == two.data
    assert Path(one.stl_dir).parent == temp_root / "s1"
    assert (Path(two.stl_dir) / "a.stl").read_bytes() == b"solid a"
    assert cache.demo_source().key == cache.demo_source().key
