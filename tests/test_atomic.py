"""Atomic output: a failed or interrupted write leaves the old file or the new one.

Unit tests break :mod:`planner.export`'s writers midway (monkeypatched writes,
signals sent to this process); a subprocess test sends SIGINT to
``python -m planner plan --out DIR`` at several moments (while it plans, right as
its first temporary file appears) and checks every file in DIR parses, no
temporary file is left, and a file of the user's own in DIR survives.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from planner import export
from planner.errors import PlannerError

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "catalog"
#: `python -m planner plan`.
PLAN_COMMAND = (sys.executable, "-m", "planner", "plan")
#: Files `plan --out` owns (estimates.csv included).
PLAN_FILES = {
    "policy.csv",
    "sourcing.csv",
    "summary.json",
    "print_queue.csv",
    "print_queue.json",
    "print_package.zip",
    "estimates.csv",
}


def temp_files(folder: Path) -> list[str]:
    """Names of leftover temporary files of the atomic writer in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


class HalfWriter(io.RawIOBase):
    """A file that writes half of what it is given, then raises ``error``."""

    def __init__(self, fh: io.BufferedWriter, error: BaseException) -> None:
        self.fh = fh
        self.error = error

    def write(self, data) -> int:
        self.fh.write(bytes(data)[: len(data) // 2])
        self.fh.flush()
        raise self.error

    def close(self) -> None:
        self.fh.close()
        super().close()


# ---------------------------------------------------------------- unit tests


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "disk full")])
def test_writer_failing_midway_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    """A write that dies half way (Ctrl-C or a full disk) leaves the old content
    and no temporary file, and the error reaches the caller."""
    target = tmp_path / "policy.csv"
    target.write_bytes(b"old,content\n")
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        export.os,
        "fdopen",
        lambda fd, mode="r", *a, **k: (
            HalfWriter(real_fdopen(fd, "wb"), error)
            if mode == "wb"
            else real_fdopen(fd, mode, *a, **k)
        ),
    )
    with pytest.raises(type(error)):
        export.atomic_write_bytes(target, b"new,content\n" * 1000)
    assert target.read_bytes() == b"old,content\n"
    assert temp_files(tmp_path) == []


def test_failed_replace_keeps_old_file_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails, the destination is untouched and the
    complete temporary file is removed too."""
    target = tmp_path / "summary.json"
    target.write_text("{}", encoding="utf-8")

    def refuse(src, dst):
        raise PermissionError(13, "read-only", str(dst))

    monkeypatch.setattr(export.os, "replace", refuse)
    with pytest.raises(PermissionError):
        export.atomic_write_text(target, '{"new": 1}')
    assert target.read_text(encoding="utf-8") == "{}"
    assert temp_files(tmp_path) == []


def test_many_files_error_midway_leaves_each_old_or_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """atomic_write_many stops at the first failing file: the ones before are
    new, that one and the rest old, and nothing temporary stays."""
    names = ["a.csv", "b.csv", "c.csv"]
    for name in names:
        (tmp_path / name).write_text("old", encoding="utf-8")
    real = export._write_replace

    def fail_on_b(target: Path, data: bytes) -> None:
        if target.name == "b.csv":
            raise OSError(28, "disk full")
        real(target, data)

    monkeypatch.setattr(export, "_write_replace", fail_on_b)
    with pytest.raises(OSError, match="disk full"):
        export.atomic_write_many({tmp_path / n: b"new" for n in names})
    contents = [(tmp_path / n).read_text(encoding="utf-8") for n in names]
    assert contents == ["new", "old", "old"]
    assert temp_files(tmp_path) == []


def test_sigint_during_a_write_waits_until_the_file_is_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C arriving in the middle of a write (here: from inside fsync) is held
    back: the new file is complete, then KeyboardInterrupt is raised."""
    target = tmp_path / "print_queue.json"
    target.write_text("[]", encoding="utf-8")
    real_fsync = os.fsync

    def fsync_then_interrupt(fd: int) -> None:
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(export.os, "fsync", fsync_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        export.atomic_write_text(target, json.dumps({"jobs": list(range(500))}))
    assert json.loads(target.read_text(encoding="utf-8"))["jobs"][-1] == 499
    assert temp_files(tmp_path) == []


def test_deferred_sigterm_runs_its_handler_after_the_block() -> None:
    """SIGTERM inside deferred_interrupts reaches its handler only after the
    block, and the old handlers are back in place afterwards."""
    seen: list[str] = []
    old = signal.signal(signal.SIGTERM, lambda s, f: seen.append("handler"))
    try:
        with export.deferred_interrupts():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            seen.append("block done")
        assert seen == ["block done", "handler"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, old)


def test_deferred_interrupts_off_the_main_thread_just_runs() -> None:
    """In a worker thread (e.g. a Streamlit script run) no handler can be set; the
    block simply runs and the write still lands."""
    results: list[BaseException | None] = []

    def work() -> None:
        try:
            with export.deferred_interrupts():
                pass
            results.append(None)
        except BaseException as exc:
            results.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert results == [None]


def test_plan_dir_leaves_other_files_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_plan_dir replaces only its own files: a user's file and folder in the
    output folder survive; an extra file name with a path is refused before any
    write."""
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "policy.csv").write_text("keep", encoding="utf-8")
    written: list[Path] = []
    monkeypatch.setattr(
        export, "atomic_write_many", lambda files: written.extend(files) or list(files)
    )
    monkeypatch.setattr(export, "print_package_bytes", lambda *a, **k: b"PK")
    monkeypatch.setattr(export, "queue_to_json", lambda *a, **k: {"jobs": []})
    queue = export.PrintQueue(jobs=(), start=export.datetime(2026, 1, 1))
    args = {
        "policy_rows": [],
        "sourcing_rows": [],
        "summary": dict.fromkeys(export.SUMMARY_KEYS, 0),
        "queue": queue,
        "parts": [],
        "printers": [],
        "estimates": {},
    }
    export.write_plan_dir(tmp_path, **args, extra_files={"estimates.csv": b""})
    assert {p.name for p in written} == PLAN_FILES
    assert all(p.parent == tmp_path for p in written)
    with pytest.raises(PlannerError, match="plain file names"):
        export.write_plan_dir(tmp_path, **args, extra_files={"../x.csv": b""})
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "archive" / "policy.csv").read_text(encoding="utf-8") == "keep"


# ----------------------------------------------------------- the real command


def small_catalog(folder: Path) -> Path:
    """Four printable and four stock-only demo rows: a plan in a few seconds."""
    with (DEMO / "parts.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    demand = [r for r in body if r[col["annual_demand"]]]
    printable = [r for r in demand if r[col["stl_file"]]][:4]
    plain = [r for r in demand if not r[col["stl_file"]]][:4]
    path = folder / "parts_small.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *printable, *plain])
    return path


def check_complete(folder: Path) -> None:
    """Every plan file in ``folder`` is whole: CSVs rectangular with their header,
    JSON loads, the zip's entries all read back with good CRCs."""
    for path in folder.iterdir():
        if path.name not in PLAN_FILES:
            continue
        data = path.read_bytes()
        if path.suffix == ".csv":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
            assert rows, path.name
            assert {len(r) for r in rows} == {len(rows[0])}, path.name
            assert data.endswith(b"\n"), path.name
        elif path.suffix == ".json":
            json.loads(data)
        else:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                assert archive.testzip() is None
                assert "queue.json" in archive.namelist()


def run_and_interrupt(
    catalog: Path, out: Path, when: str, delay_s: float = 0.0
) -> tuple[int, str, bool]:
    """Run `plan` and send SIGINT ``delay_s`` after it starts planning
    (``when="planning"``) or as soon as its first temporary file appears
    (``when="writing"``). Returns the exit status, stderr and whether the run
    had finished (its summary line is on stdout)."""
    proc = subprocess.Popen(
        [
            *PLAN_COMMAND,
            str(catalog),
            "--stl-dir",
            str(DEMO / "stl"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("planning "):
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    if when == "planning":
        assert started.wait(60), "".join(lines)
        time.sleep(delay_s)
    else:
        while not temp_files(out) and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    reader.join(timeout=10)
    out_text = proc.stdout.read()  # one short line: no pipe can fill up
    return proc.returncode, "".join(lines), out_text.startswith("planned ")


def test_sigint_to_plan_leaves_complete_files_and_user_files(tmp_path: Path) -> None:
    """`plan --out DIR` into a folder holding an earlier plan and a file of the
    user's: SIGINT while planning and while writing exits 130 with one line and no
    traceback; every plan file parses, no temporary file stays, the user's file
    is untouched."""
    catalog = small_catalog(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "my_notes.txt"
    mine.write_text("budget meeting on Friday\n", encoding="utf-8")
    first = subprocess.run(
        [
            *PLAN_COMMAND,
            str(catalog),
            "--stl-dir",
            str(DEMO / "stl"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    assert {p.name for p in out.iterdir()} == PLAN_FILES | {mine.name}
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    interrupted = 0
    for when, delay_s in (("planning", 0.0), ("planning", 0.8), ("writing", 0.0)):
        code, err, finished = run_and_interrupt(catalog, out, when, delay_s)
        # a run that had finished may take the signal while Python shuts down
        # (its handlers are gone then): killed by SIGINT, its files all written
        assert code in (0, 130) or (finished and code == -signal.SIGINT), err
        assert "Traceback" not in err
        if code == 130:
            interrupted += 1
            assert err.strip().splitlines()[-1].startswith("interrupted: ")
        assert temp_files(out) == []
        assert {p.name for p in out.iterdir()} == PLAN_FILES | {mine.name}
        check_complete(out)
        assert mine.read_bytes() == before[mine.name]
        if delay_s == 0.0 and when == "planning" and code == 130:  # all old
            assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert interrupted >= 1
