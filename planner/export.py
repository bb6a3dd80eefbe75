"""Writers: records → DataFrames, CSV, XLSX, JSON, the print package; atomic files.

pandas lives here (and in ``catalog.load_catalog``). Every file is written whole
to a temporary file in the destination folder and then moved over the
destination with :func:`os.replace`, so a reader never sees half a file; an
interrupt (Ctrl-C, SIGTERM) that arrives meanwhile waits until the file is in
place (:func:`deferred_interrupts`), so it leaves the old file or the new one
and no temporary file behind. Only the files named here are written; nothing
else in an output folder is touched.

The print package (``print_package.zip``) is what the print lab imports:

- ``queue.json``: the canonical queue (:func:`queue_to_json`), with Moonraker's
  metadata names where they exist (``estimated_time`` [s],
  ``filament_weight_total`` [g], ``filament_type``, ``nozzle_diameter`` [mm],
  ``layer_height`` [mm], ``first_layer_height`` [mm], ``object_height`` [mm],
  ``layer_count``); :func:`queue_from_json` reads it back to the same queue;
- ``queue.csv``: its mirror, the columns of :data:`QUEUE_COLUMNS`;
- ``models/<part_id>.stl``: the part's STL, byte for byte;
- ``plates/<plate_id>.3mf``: one 3MF per plate with one mesh object per part on
  it (a plate may hold several jobs' parts); each object and every build item
  (one per copy) carry the part number;
- ``moonraker_job_queue.json``: ``{"filenames": [...]}``, the body of Moonraker's
  ``POST /server/job_queue/job``: every plate once per print run (each plate is
  printed once; its copies and the other jobs sharing it are on it), in queue
  order. The names are the G-code
  files the lab's slicer makes from the plates, ``<plate_id>.gcode``; Moonraker
  prints G-code, not 3MF. ``moonraker_job_queue/<printer_id>.json`` holds the
  same body per printer, since each Moonraker instance drives one printer;
- ``octoprint_continuousprint/<printer_id>.json``: an OctoPrint Continuous Print
  job manifest per printer (``name``, ``count``, ``sets`` of ``path``,
  ``count``, ``materials``), the plates in sequence order.

File names are the ids with every character outside ``A-Z a-z 0-9 . _ -``
replaced by ``_`` (and a ``_2``, ``_3``… suffix should two ids collide).

Readers take the files back: :func:`read_policy_table` and
:func:`read_sourcing_table` (CSV, JSON records or XLSX, with the dtypes
written), :func:`queue_from_csv` (typed job records; queue.json is the lossless
form of a queue) and :func:`read_print_package` (the whole ZIP, checked and
read in memory, into a :class:`PrintPackage`). Malformed input raises
:class:`~planner.errors.PlannerError` naming the file or ZIP entry, the row and
the column.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import re
import signal
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

import lib3mf
import numpy as np
import pandas as pd

from planner.catalog import (
    MAX_SOURCE_BYTES,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_ENTRIES,
    Part,
)
from planner.errors import GeometryError, PlannerError
from planner.orientation import rest_on_bed
from planner.print_queue import JobKind, PrintJob, PrintQueue, pack_plate
from planner.printers import Printer
from planner.zipsafety import is_clutter, unsafe_entry_reason

#: policy.csv: the DESIGN columns first, then any others in first-seen order.
POLICY_COLUMNS: tuple[str, ...] = (
    "part_id",
    "policy",
    "reorder_point",
    "order_up_to",
    "safety_stock",
    "fill_rate",
    "expected_backorders",
    "expected_on_hand",
    "annual_cost",
    "demand_per_year",
    "demand_source",
    "demand_method",
)
#: Sourcing modes in DESIGN order (the values of ``planner.sourcing.Mode``).
SOURCING_MODES: tuple[str, ...] = (
    "buy_stock",
    "print_stock",
    "print_on_demand",
    "hybrid",
)
#: Figures reported per sourcing mode (``<figure>_<mode>`` columns).
SOURCING_FIGURES: tuple[str, ...] = ("cost", "printer_hours", "investment")
#: sourcing.csv columns.
SOURCING_COLUMNS: tuple[str, ...] = (
    "part_id",
    "mode",
    "printer_id",
    "reason",
    *(f"{figure}_{mode}" for mode in SOURCING_MODES for figure in SOURCING_FIGURES),
)
#: print_queue.csv / queue.csv columns.
QUEUE_COLUMNS: tuple[str, ...] = (
    "job_id",
    "printer_id",
    "plate_id",
    "sequence",
    "part_id",
    "quantity",
    "material",
    "stl_file",
    "print_time_s",
    "filament_g",
    "cost",
    "earliest_start",
    "due",
    "priority",
    "start",
    "end",
)
#: Catalog columns of :func:`parts_frame`, in DESIGN order.
PART_COLUMNS: tuple[str, ...] = (
    "part_id",
    "description",
    "unit_cost",
    "annual_demand",
    "lead_time_days",
    "criticality",
    "target_fill_rate",
    "downtime_cost_per_day",
    "holding_rate",
    "order_cost",
    "on_hand",
    "on_order",
    "supplier",
    "supplier_region",
    "lead_time_std_days",
    "stl_file",
    "printable",
    "am_material",
    "am_lifetime_ratio",
    "am_qualification_cost",
    "post_process_hours",
    "installed_quantity",
    "mtbf_hours",
    "operating_hours_per_year",
    "current_reorder_point",
    "lot_size",
)
#: Keys summary.json must hold (DESIGN).
SUMMARY_KEYS: tuple[str, ...] = (
    "objective",
    "budget",
    "total_investment",
    "baseline_cost",
    "printers",
)
#: Format tag and version of queue.json.
QUEUE_FORMAT = "sparecast-print-queue"
QUEUE_FORMAT_VERSION = 1
# Fixed zip entry time: the same queue gives the same entry headers.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


# --------------------------------------------------------------------------- JSON


def to_jsonable(value: Any) -> Any:
    """``value`` with numpy scalars/arrays, paths, datetimes and NaN made JSON-safe.

    NaN and infinities become ``None`` (JSON has no such numbers).

    Examples
    --------
    >>> to_jsonable({"a": np.float64("nan"), "b": np.arange(2)})
    {'a': None, 'b': [0, 1]}
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def json_text(value: Any) -> str:
    """Indented, strict JSON text of ``value`` (after :func:`to_jsonable`)."""
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------------- frames


def _rows_frame(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    table: str,
    required: Sequence[str],
) -> pd.DataFrame:
    """DataFrame with ``columns`` first, then any extra keys in first-seen order."""
    for i, row in enumerate(rows):
        missing = [c for c in required if c not in row]
        if missing:
            raise PlannerError(
                f"{table} row {i} (part_id {row.get('part_id', '?')}): column "
                f"{missing[0]} is required, got keys {', '.join(map(str, row))}"
            )
    extra: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in columns:
                extra.setdefault(str(key), None)
    order = [*columns, *extra]
    return pd.DataFrame([dict(row) for row in rows], columns=order)


def policy_frame_from_columns(columns: Mapping[str, Any]) -> pd.DataFrame:
    """policy.csv as a DataFrame straight from column arrays (no per-row dicts).

    :data:`POLICY_COLUMNS` first, then the rest, as :func:`policy_frame` orders them.

    Raises
    ------
    PlannerError
        When one of :data:`POLICY_COLUMNS` is missing.
    """
    missing = [c for c in POLICY_COLUMNS if c not in columns]
    if missing:
        raise PlannerError(
            f"policy columns: {missing[0]} is required, got {', '.join(columns)}"
        )
    order = [*POLICY_COLUMNS, *(c for c in columns if c not in POLICY_COLUMNS)]
    return pd.DataFrame({c: np.asarray(columns[c]) for c in order})


def policy_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """policy.csv as a DataFrame: :data:`POLICY_COLUMNS` first, then the rest.

    Raises
    ------
    PlannerError
        When a row lacks one of :data:`POLICY_COLUMNS`.

    Examples
    --------
    >>> row = dict.fromkeys(POLICY_COLUMNS, 0) | {"extra": 1}
    >>> list(policy_frame([row]).columns)[-2:]
    ['demand_method', 'extra']
    """
    return _rows_frame(rows, POLICY_COLUMNS, table="policy", required=POLICY_COLUMNS)


def sourcing_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """sourcing.csv as a DataFrame: :data:`SOURCING_COLUMNS` first, then the rest.

    The per-mode figures (``cost_<mode>`` expected annual cost, ``printer_hours_<mode>``
    [h/year], ``investment_<mode>`` stock value) may be left out or ``None``/NaN
    where the option is infeasible; they are empty in the CSV.

    Raises
    ------
    PlannerError
        When a row lacks part_id, mode, printer_id or reason.
    """
    return _rows_frame(
        rows,
        SOURCING_COLUMNS,
        table="sourcing",
        required=("part_id", "mode", "printer_id", "reason"),
    )


def _job_record(job: PrintJob) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "printer_id": job.printer_id,
        "plate_id": job.plate_id,
        "sequence": job.sequence,
        "part_id": job.part_id,
        "quantity": job.quantity,
        "material": job.material,
        "stl_file": job.stl_file,
        "print_time_s": job.print_time_s,
        "filament_g": job.filament_g,
        "cost": job.cost,
        "earliest_start": job.earliest_start.isoformat(),
        "due": job.due.isoformat(),
        "priority": job.priority,
        "start": job.start.isoformat(),
        "end": job.end.isoformat(),
    }


def queue_frame(queue: PrintQueue) -> pd.DataFrame:
    """print_queue.csv as a DataFrame: :data:`QUEUE_COLUMNS`, datetimes ISO 8601."""
    return pd.DataFrame([_job_record(j) for j in queue.jobs], columns=QUEUE_COLUMNS)


def parts_frame(parts: Sequence[Part]) -> pd.DataFrame:
    """The catalog as a DataFrame with :data:`PART_COLUMNS` (criticality as V/E/D)."""
    records = [
        {
            c: str(getattr(p, c)) if c == "criticality" else getattr(p, c)
            for c in PART_COLUMNS
        }
        for p in parts
    ]
    return pd.DataFrame(records, columns=PART_COLUMNS)


def summary_dict(plan: Any, **extra: Any) -> dict[str, Any]:
    """summary.json of a sourcing plan, JSON-ready, plus ``extra`` keys.

    Holds objective, budget, total_investment, baseline_cost, printers
    (``printer_id``, ``capacity_hours``, ``used_hours`` [h/year]), status,
    solve_time_s [s] and n_parts_by_mode.
    """
    modes = np.asarray(plan.mode).astype(str)
    summary = {
        "objective": plan.objective,
        "budget": plan.budget,
        "total_investment": plan.total_investment,
        "baseline_cost": plan.baseline_cost,
        "printers": [dict(u) for u in plan.printer_usage],
        "status": getattr(plan, "status", ""),
        "solve_time_s": getattr(plan, "solve_time_s", None),
        "n_parts_by_mode": {m: int(np.sum(modes == m)) for m in SOURCING_MODES},
    }
    summary.update(extra)
    return to_jsonable(summary)


# --------------------------------------------------------------- atomic writes


#: Signals held back while a file is moved into place.
DEFERRED_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
#: Prefix and suffix of the temporary files (a crash leaves ``.<name>.*.tmp``).
TEMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends, then deliver them.

    In the main thread the handlers are swapped for one that only notes the
    signal; on leaving the block the old handlers return and each noted signal
    is raised again (Ctrl-C then raises :class:`KeyboardInterrupt` after the
    block). Elsewhere (no handlers can be set there) the block runs as is.

    Examples
    --------
    >>> with deferred_interrupts():
    ...     pass
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def note(signum: int, frame: object) -> None:
        caught.append(signum)

    saved = {}
    for sig in DEFERRED_SIGNALS:
        handler = signal.getsignal(sig)
        if handler is None:  # set outside Python: cannot be put back
            continue
        saved[sig] = handler
        signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)


def _write_replace(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, then os.replace it."""
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent
    )
    try:
        mode = target.stat().st_mode & 0o777 if target.is_file() else 0o644
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the folder + os.replace).

    Interrupts wait until the file is in place (:func:`deferred_interrupts`);
    on any error the temporary file is removed and ``path`` keeps its old
    content. The file keeps the mode of the file it replaces; a new file gets
    0o644 (a temporary file would otherwise be private, 0o600).

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = atomic_write_bytes(Path(folder) / "a.txt", b"new")
    ...     path.read_bytes(), sorted(p.name for p in Path(folder).iterdir())
    (b'new', ['a.txt'])
    """
    return atomic_write_many({Path(path): data})[0]


def atomic_write_many(files: Mapping[str | Path, bytes]) -> list[Path]:
    """Write several files atomically, one after the other, as one uninterruptible step.

    Each file goes to a temporary file in its folder and is moved over its
    destination with :func:`os.replace`. Interrupts wait until the last file is
    in place, so a set of outputs written together is never half old, half new.
    An error (disk full, a folder in the way) stops the writing: files written
    before it are new, the rest keep their old content, no temporary file stays.

    Returns
    -------
    list of pathlib.Path
        The paths written, in the order given.
    """
    targets = [(Path(p), bytes(d)) for p, d in files.items()]
    for target, _ in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    with deferred_interrupts():
        for target, data in targets:
            _write_replace(target, data)
    return [target for target, _ in targets]


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode(encoding))


def rows_to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """CSV text of record rows, columns in first-seen order (empty for no rows).

    Examples
    --------
    >>> print(rows_to_csv([{"a": 1, "b": None}, {"a": 2, "c": "x"}]), end="")
    a,b,c
    1,,
    2,,x
    """
    if not rows:
        return ""
    columns = list(dict.fromkeys(str(k) for row in rows for k in row))
    frame = pd.DataFrame([dict(row) for row in rows], columns=columns)
    return frame.to_csv(index=False, lineterminator="\n")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV bytes of ``frame``: UTF-8, comma, no index, ``\\n`` line ends."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def to_xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook (openpyxl) with one sheet per DataFrame, no index.

    Raises
    ------
    PlannerError
        When there are no sheets, or a sheet name is empty, longer than 31
        characters, holds one of ``[]:*?/\\`` or repeats (case-insensitively).
    """
    if not sheets:
        raise PlannerError("xlsx: sheets must hold at least one DataFrame, got none")
    seen: set[str] = set()
    for name in sheets:
        if not 1 <= len(name) <= 31 or re.search(r"[\[\]:*?/\\]", name):
            raise PlannerError(
                "xlsx: sheet name must be 1-31 characters without []:*?/\\, "
                f"got {name!r}"
            )
        if name.casefold() in seen:
            raise PlannerError(f"xlsx: sheet names must be unique, got {name!r} twice")
        seen.add(name.casefold())
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


# ------------------------------------------------------------------ queue JSON


def safe_stem(name: str) -> str:
    """``name`` as a file name stem: characters outside ``A-Za-z0-9._-`` → ``_``.

    Examples
    --------
    >>> safe_stem("10/200 A")
    '10_200_A'
    """
    stem = _UNSAFE.sub("_", name).lstrip(".")
    return stem or "_"


def _unique_stems(names: Sequence[str]) -> dict[str, str]:
    """Map each distinct name to a distinct safe stem (suffix _2, _3... on clashes)."""
    stems: dict[str, str] = {}
    used: set[str] = set()
    for name in dict.fromkeys(names):
        base = safe_stem(name)
        stem, k = base, 1
        while stem.casefold() in used:
            k += 1
            stem = f"{base}_{k}"
        used.add(stem.casefold())
        stems[name] = stem
    return stems


def _package_names(queue: PrintQueue) -> tuple[dict[str, str], dict[str, str]]:
    """File stems of the plates and of the part models of ``queue``."""
    plates = _unique_stems([j.plate_id for j in queue.jobs])
    models = _unique_stems([j.part_id for j in queue.jobs])
    return plates, models


def queue_to_json(
    queue: PrintQueue,
    printers: Sequence[Printer],
    estimates: Mapping[tuple[str, str], Any],
) -> dict[str, Any]:
    """The canonical queue.json document of ``queue``.

    Every job carries all :class:`~planner.print_queue.PrintJob` fields (datetimes
    ISO 8601) plus Moonraker metadata names: ``estimated_time`` [s],
    ``filament_weight_total`` [g], ``filament_type``, ``nozzle_diameter`` [mm],
    ``layer_height`` [mm], ``first_layer_height`` [mm], ``object_height`` [mm],
    ``layer_count``; and ``filename`` (G-code name), ``plate_file`` and
    ``model_file`` (paths inside the print package).

    Raises
    ------
    PlannerError
        When a job's printer is not in ``printers`` or its estimate is missing.
    """
    printer_by_id = {p.printer_id: p for p in printers}
    plates, models = _package_names(queue)
    jobs = []
    for job in queue.jobs:
        printer = printer_by_id.get(job.printer_id)
        if printer is None:
            raise PlannerError(
                f"job {job.job_id}: printer_id must be one of "
                f"{', '.join(printer_by_id) or '(no printers)'}, got {job.printer_id!r}"
            )
        est = estimates.get((job.part_id, job.printer_id))
        if est is None:
            raise PlannerError(
                f"job {job.job_id}: no print estimate for part {job.part_id} on "
                f"printer {job.printer_id}"
            )
        record = _job_record(job)
        record["kind"] = str(job.kind)
        record.update(
            {
                "estimated_time": job.print_time_s,
                "filament_weight_total": job.filament_g,
                "filament_type": job.material,
                "nozzle_diameter": printer.nozzle_mm,
                "layer_height": printer.profile.layer_height_mm,
                "first_layer_height": printer.profile.first_layer_height_mm,
                "object_height": float(est.bbox_z_mm),
                "layer_count": int(est.layers),
                "filename": f"{plates[job.plate_id]}.gcode",
                "plate_file": f"plates/{plates[job.plate_id]}.3mf",
                "model_file": f"models/{models[job.part_id]}.stl",
            }
        )
        jobs.append(record)
    return to_jsonable(
        {
            "format": QUEUE_FORMAT,
            "version": QUEUE_FORMAT_VERSION,
            "start": queue.start.isoformat(),
            "horizon_days": queue.horizon_days,
            "warnings": list(queue.warnings),
            "jobs": jobs,
        }
    )


def _field(record: Mapping[str, Any], name: str, convert: Any, where: str) -> Any:
    if name not in record:
        raise PlannerError(f"queue.json {where}: field {name} is required, got none")
    value = record[name]
    try:
        if convert is datetime:
            return datetime.fromisoformat(str(value))
        if convert is int and not float(value).is_integer():
            raise ValueError(value)
        return convert(value)
    except (TypeError, ValueError):
        kind = "an ISO 8601 datetime" if convert is datetime else convert.__name__
        raise PlannerError(
            f"queue.json {where}: field {name} must be {kind}, got {value!r}"
        ) from None


_JOB_FIELDS: tuple[tuple[str, Any], ...] = (
    ("job_id", str),
    ("printer_id", str),
    ("plate_id", str),
    ("sequence", int),
    ("part_id", str),
    ("quantity", int),
    ("material", str),
    ("stl_file", str),
    ("print_time_s", float),
    ("filament_g", float),
    ("cost", float),
    ("earliest_start", datetime),
    ("due", datetime),
    ("priority", float),
    ("start", datetime),
    ("end", datetime),
)


def queue_from_json(data: Mapping[str, Any] | str | bytes) -> PrintQueue:
    """Read a queue.json document (dict or JSON text) back into a :class:`PrintQueue`.

    Extra keys (the Moonraker metadata, file names) are ignored.

    Raises
    ------
    PlannerError
        When the text is not JSON, the format tag or version differ, or a field is
        missing or of the wrong type.
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise PlannerError(f"queue.json: not valid JSON ({exc})") from None
    if not isinstance(data, Mapping):
        raise PlannerError(
            f"queue.json: must be a JSON object, got {type(data).__name__}"
        )
    if (
        data.get("format") != QUEUE_FORMAT
        or data.get("version") != QUEUE_FORMAT_VERSION
    ):
        raise PlannerError(
            f"queue.json: format/version must be {QUEUE_FORMAT!r}/"
            f"{QUEUE_FORMAT_VERSION}, got {data.get('format')!r}/{data.get('version')!r}"
        )
    raw_jobs = data.get("jobs")
    if not isinstance(raw_jobs, list):
        raise PlannerError(f"queue.json: field jobs must be a list, got {raw_jobs!r}")
    jobs = []
    for i, record in enumerate(raw_jobs):
        if not isinstance(record, Mapping):
            raise PlannerError(
                f"queue.json job {i}: must be an object, got {type(record).__name__}"
            )
        where = f"job {i} ({record.get('job_id', '?')})"
        values = {name: _field(record, name, conv, where) for name, conv in _JOB_FIELDS}
        kind = record.get("kind", JobKind.INITIAL_BUILD.value)
        if kind not in {k.value for k in JobKind}:
            raise PlannerError(
                f"queue.json {where}: field kind must be one of "
                f"{', '.join(k.value for k in JobKind)}, got {kind!r}"
            )
        jobs.append(PrintJob(**values, kind=JobKind(kind)))
    warnings = data.get("warnings", [])
    return PrintQueue(
        jobs=tuple(jobs),
        start=_field(data, "start", datetime, "header"),
        horizon_days=_field(data, "horizon_days", int, "header"),
        warnings=tuple(str(w) for w in warnings),
    )


# --------------------------------------------------------------------- 3MF


def read_stl_vectors(data: bytes, *, name: str = "") -> np.ndarray:
    """Triangles of an STL (binary or ASCII) as an (n, 3, 3) float64 array. [mm]

    Raises
    ------
    GeometryError
        When the bytes are not a readable STL or hold no triangles.
    """
    # numpy-stl takes ~0.2 s to import; only the print package needs it.
    from stl import mesh as stl_mesh

    try:
        vectors = np.asarray(
            stl_mesh.Mesh.from_file(name or "model.stl", fh=io.BytesIO(data)).vectors,
            dtype=np.float64,
        )
    except Exception as exc:  # numpy-stl raises assorted errors on bad input
        raise GeometryError(f"STL {name}: could not read ({exc})") from None
    if vectors.ndim != 3 or vectors.shape[0] == 0 or not np.isfinite(vectors).all():
        raise GeometryError(
            f"STL {name}: must hold at least one finite triangle, got "
            f"{vectors.shape[0] if vectors.ndim == 3 else 0}"
        )
    return vectors


def indexed_mesh(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shared vertices and triangle indices of a triangle soup.

    Vertices are rounded to float32 (3MF precision) and de-duplicated with
    :func:`numpy.unique`; triangles that collapse (two equal corners) are dropped,
    since 3MF does not allow them.

    Parameters
    ----------
    vectors
        (n, 3, 3) triangle corners. [mm]

    Returns
    -------
    positions : numpy.ndarray
        (v, 3) float32 vertices. [mm]
    triangles : numpy.ndarray
        (t, 3) uint32 vertex indices, t <= n.

    Examples
    --------
    >>> tri = np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0]],
    ...                 [[1, 0, 0], [0, 1, 0], [1, 1, 0]]], dtype=float)
    >>> positions, triangles = indexed_mesh(tri)
    >>> positions.shape, triangles.shape
    ((4, 3), (2, 3))
    """
    corners = np.asarray(vectors, dtype=np.float32).reshape(-1, 3)
    positions, inverse = np.unique(corners, axis=0, return_inverse=True)
    triangles = inverse.reshape(-1, 3).astype(np.uint32)
    keep = (
        (triangles[:, 0] != triangles[:, 1])
        & (triangles[:, 1] != triangles[:, 2])
        & (triangles[:, 0] != triangles[:, 2])
    )
    return np.ascontiguousarray(positions), np.ascontiguousarray(triangles[keep])


def plate_3mf_bytes(
    vectors: np.ndarray | Sequence[np.ndarray],
    *,
    part_id: str | Sequence[str],
    n_copies: int | Sequence[int],
    printer: Printer,
    name: str = "",
) -> bytes:
    """One build plate as a 3MF file: copies of one or several parts on ``printer``.

    Pass one mesh, part id and copy count, or sequences of them (one per job on
    the plate). Each mesh is moved so that its bounding box starts at the origin
    (on z = 0); the copies are placed by
    :func:`~planner.print_queue.pack_plate` (a grid for one part, rectpack
    blocks for several), turned 90° about Z where it says so, each with a
    translation. Every mesh object and every build item carry their part id as
    the 3MF part number.

    Raises
    ------
    PlannerError
        When the copies do not fit the printer's build volume.
    """
    if isinstance(part_id, str):
        meshes, ids, counts = [vectors], [part_id], [int(n_copies)]
    else:
        meshes, ids = list(vectors), list(part_id)
        counts = [int(c) for c in n_copies]
    placed = []
    for v, pid in zip(meshes, ids, strict=True):
        v = np.asarray(v, dtype=np.float64)
        v = v - v.reshape(-1, 3).min(axis=0)
        size = v.reshape(-1, 3).max(axis=0)
        if size[2] > printer.build_z_mm:
            raise PlannerError(
                f"plate {name}: part {pid} height {size[2]:g} mm must be <= "
                f"printer {printer.printer_id} build_z_mm {printer.build_z_mm:g}"
            )
        placed.append((v, size))
    sizes = np.array([size[:2] for _, size in placed], dtype=float)
    offsets, turned = pack_plate(
        sizes, np.array(counts), printer.build_x_mm, printer.build_y_mm
    )
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    for (v, size), pid, where, rotated in zip(
        placed, ids, offsets, turned.tolist(), strict=True
    ):
        if rotated:
            v = np.stack((size[1] - v[..., 1], v[..., 0], v[..., 2]), axis=-1)
        positions, triangles = indexed_mesh(v)
        mesh_object = model.AddMeshObject()
        mesh_object.SetName(pid)
        mesh_object.SetPartNumber(pid)
        mesh_object.SetGeometry(
            (lib3mf.Position * len(positions)).from_buffer_copy(positions.tobytes()),
            (lib3mf.Triangle * len(triangles)).from_buffer_copy(triangles.tobytes()),
        )
        for x_mm, y_mm in where.tolist():
            transform = wrapper.GetIdentityTransform()
            transform.Fields[3][0] = x_mm
            transform.Fields[3][1] = y_mm
            item = model.AddBuildItem(mesh_object, transform)
            item.SetPartNumber(pid)
    with tempfile.TemporaryDirectory(prefix="sparecast-3mf-") as folder:
        target = Path(folder) / "plate.3mf"
        model.QueryWriter("3mf").WriteToFile(str(target))
        return target.read_bytes()


# ------------------------------------------------------------- print package


def print_package_bytes(
    queue: PrintQueue,
    parts: Sequence[Part],
    printers: Sequence[Printer],
    estimates: Mapping[tuple[str, str], Any],
    rotations: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> bytes:
    """The print package (see the module docstring) as zip bytes, built in memory.

    ``rotations`` maps (part_id, printer_id) to the 3 x 3 rotation of the print
    orientation the estimate used; the plate 3MF files place each part in that
    orientation, resting on the bed (models/ keeps the STL as modelled).

    Raises
    ------
    PlannerError
        When a queued part is not in ``parts`` or has no readable STL file, or a
        job's printer or estimate is missing.
    GeometryError
        When a part's STL cannot be read.
    """
    document = queue_to_json(queue, printers, estimates)
    by_id = {p.part_id: p for p in parts}
    printer_by_id = {p.printer_id: p for p in printers}
    plates, models = _package_names(queue)
    stl_data: dict[str, bytes] = {}
    for part_id in models:
        part = by_id.get(part_id)
        if part is None:
            raise PlannerError(
                f"print package: part {part_id} is not in the parts given"
            )
        path = part.stl_path
        if path is None or not Path(path).is_file():
            raise PlannerError(
                f"part {part_id}: stl_path must be an existing STL file to package, "
                f"got {str(path) if path is not None else 'none'}"
            )
        stl_data[part_id] = Path(path).read_bytes()

    entries: list[tuple[str, bytes, int]] = [
        ("queue.json", json_text(document).encode("utf-8"), zipfile.ZIP_DEFLATED),
        ("queue.csv", csv_bytes(queue_frame(queue)), zipfile.ZIP_DEFLATED),
    ]
    plate_jobs: dict[str, list[PrintJob]] = {}
    for job in queue.jobs:
        plate_jobs.setdefault(job.plate_id, []).append(job)
    firsts = [jobs[0] for jobs in plate_jobs.values()]
    gcode = [f"{plates[j.plate_id]}.gcode" for j in firsts]
    entries.append(
        (
            "moonraker_job_queue.json",
            json_text({"filenames": gcode}).encode("utf-8"),
            zipfile.ZIP_DEFLATED,
        )
    )
    printer_stems = _unique_stems(list(dict.fromkeys(j.printer_id for j in queue.jobs)))
    for printer_id, stem in printer_stems.items():
        jobs = [j for j in firsts if j.printer_id == printer_id]
        body = {"filenames": [f"{plates[j.plate_id]}.gcode" for j in jobs]}
        manifest = {
            "name": f"Sparecast queue {printer_id}",
            "count": 1,
            "sets": [
                {
                    "path": f"{plates[j.plate_id]}.gcode",
                    "count": 1,
                    "materials": [j.material],
                }
                for j in jobs
            ],
        }
        entries.append(
            (
                f"moonraker_job_queue/{stem}.json",
                json_text(body).encode("utf-8"),
                zipfile.ZIP_DEFLATED,
            )
        )
        entries.append(
            (
                f"octoprint_continuousprint/{stem}.json",
                json_text(manifest).encode("utf-8"),
                zipfile.ZIP_DEFLATED,
            )
        )
    for part_id, stem in models.items():
        entries.append((f"models/{stem}.stl", stl_data[part_id], zipfile.ZIP_DEFLATED))
    vectors_cache: dict[tuple[str, str], np.ndarray] = {}
    for plate_id, jobs in plate_jobs.items():
        for job in jobs:
            key = (job.part_id, job.printer_id)
            if key not in vectors_cache:
                vectors = read_stl_vectors(
                    stl_data[job.part_id], name=job.stl_file or job.part_id
                )
                rotation = (rotations or {}).get(key)
                if rotation is not None:
                    vectors = rest_on_bed(vectors, np.asarray(rotation, float))
                vectors_cache[key] = vectors
        data = plate_3mf_bytes(
            [vectors_cache[(j.part_id, j.printer_id)] for j in jobs],
            part_id=[j.part_id for j in jobs],
            n_copies=[j.quantity for j in jobs],
            printer=printer_by_id[jobs[0].printer_id],
            name=plate_id,
        )
        entries.append((f"plates/{plates[plate_id]}.3mf", data, zipfile.ZIP_STORED))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, compression in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def write_print_package(
    queue: PrintQueue,
    parts: Sequence[Part],
    printers: Sequence[Printer],
    estimates: Mapping[tuple[str, str], Any],
    path: str | Path,
    rotations: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> Path:
    """Write the print package zip to ``path`` atomically.

    Built in memory by :func:`print_package_bytes`, then written with
    :func:`atomic_write_bytes`.

    Raises
    ------
    PlannerError
        As :func:`print_package_bytes`.
    """
    return atomic_write_bytes(
        path, print_package_bytes(queue, parts, printers, estimates, rotations)
    )


def write_plan_dir(
    out_dir: str | Path,
    *,
    policy_rows: Sequence[Mapping[str, Any]],
    sourcing_rows: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    queue: PrintQueue,
    parts: Sequence[Part],
    printers: Sequence[Printer],
    estimates: Mapping[tuple[str, str], Any],
    rotations: Mapping[tuple[str, str], np.ndarray] | None = None,
    extra_files: Mapping[str, bytes] | None = None,
) -> dict[str, Path]:
    """Write the ``plan`` command's output folder, every file atomically.

    Files: policy.csv, sourcing.csv, summary.json, print_queue.csv,
    print_queue.json and print_package.zip, then ``extra_files`` (file name →
    bytes). Everything is built in memory first, so a bad input raises before
    any file is written; the files are then written together with
    :func:`atomic_write_many` (an interrupt leaves all old or all new). Other
    files in ``out_dir`` are left alone.

    Returns
    -------
    dict of str to pathlib.Path
        File name → path written.

    Raises
    ------
    PlannerError
        When ``summary`` lacks one of :data:`SUMMARY_KEYS`, an extra file name is
        not a plain file name or repeats one of the plan's files, or as
        :func:`policy_frame`, :func:`sourcing_frame` and
        :func:`print_package_bytes`.
    """
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    if missing:
        raise PlannerError(
            f"summary: key {missing[0]} is required, got keys {', '.join(summary)}"
        )
    contents = {
        "policy.csv": csv_bytes(policy_frame(policy_rows)),
        "sourcing.csv": csv_bytes(sourcing_frame(sourcing_rows)),
        "summary.json": json_text(summary).encode("utf-8"),
        "print_queue.csv": csv_bytes(queue_frame(queue)),
        "print_queue.json": json_text(queue_to_json(queue, printers, estimates)).encode(
            "utf-8"
        ),
        "print_package.zip": print_package_bytes(
            queue, parts, printers, estimates, rotations
        ),
    }
    for name, data in (extra_files or {}).items():
        if Path(name).name != name or name in contents or name.startswith("."):
            raise PlannerError(
                f"extra_files: names must be plain file names other than "
                f"{', '.join(contents)}, got {name!r}"
            )
        contents[name] = data
    folder = Path(out_dir)
    written = atomic_write_many(
        {folder / name: data for name, data in contents.items()}
    )
    return dict(zip(contents, written, strict=True))


def write_plan_outputs(out_dir: str | Path, result: Any) -> list[Path]:
    """Write a whole plan (``planner.plan.PlanResult``) with :func:`write_plan_dir`.

    Uses ``result.policy.rows``, ``result.sourcing`` with ``result.options``
    (through :func:`planner.sourcing.sourcing_table` and
    :func:`planner.sourcing.summary_dict`), ``result.queue``,
    ``result.catalog.parts``, ``result.printers``, ``result.estimates.estimates``
    and ``result.scenarios``. summary.json adds the scenario names and the number
    of print jobs.

    Returns
    -------
    list of pathlib.Path
        The files written, in :func:`write_plan_dir` order, estimates.csv
        last.

    Raises
    ------
    PlannerError
        As :func:`write_plan_dir`.
    """
    # planner.sourcing pulls in PuLP; only this adapter needs it.
    from planner.sourcing import sourcing_table
    from planner.sourcing import summary_dict as sourcing_summary

    summary = sourcing_summary(result.sourcing) | {
        "scenarios": [s.name for s in result.scenarios],
        "n_print_jobs": len(result.queue.jobs),
    }
    from planner.plan import estimate_rows

    estimates_csv = rows_to_csv(estimate_rows(result.estimates)).encode("utf-8")
    written = write_plan_dir(
        out_dir,
        policy_rows=result.policy.rows,
        sourcing_rows=sourcing_table(result.sourcing, result.options),
        summary=summary,
        queue=result.queue,
        parts=result.catalog.parts,
        printers=result.printers,
        estimates=result.estimates.estimates,
        rotations=getattr(result.estimates, "rotation", None),
        extra_files={"estimates.csv": estimates_csv},
    )
    return list(written.values())


# --------------------------------------------------------------------- readers
#
# The readers take back what the writers above wrote, so that a user (and the
# app or the CLI) can re-import a plan: policy and sourcing tables (CSV, JSON,
# XLSX), the queue CSV and the print package. Every error is a PlannerError
# naming the file (or ZIP entry), the row and the column.


class ColumnKind(StrEnum):
    """How a table column is read back."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATETIME = "datetime"


_POLICY_TEXT = (
    "part_id",
    "description",
    "criticality",
    "policy",
    "demand_source",
    "demand_method",
    "demand_class",
    "binding",
    "sized_for",
    "current_level_source",
)
_POLICY_INT = (
    "reorder_point",
    "order_up_to",
    "order_quantity",
    "order_up_to_normal",
    "just_in_case_units",
)
_POLICY_FLOAT = (
    "safety_stock",
    "fill_rate",
    "target_fill_rate",
    "expected_backorders",
    "expected_on_hand",
    "annual_holding_cost",
    "annual_downtime_cost",
    "annual_order_cost",
    "annual_cost",
    "demand_per_year",
    "lead_time_days",
    "just_in_case_investment",
    "on_hand",
    "on_order",
    "to_order",
    "investment",
    "current_level",
    "current_fill_rate",
    "fill_rate_gap",
)
#: Column kinds of policy.csv as the plan writes it; other columns are inferred.
POLICY_COLUMN_KINDS: dict[str, ColumnKind] = {
    **dict.fromkeys(_POLICY_TEXT, ColumnKind.TEXT),
    **dict.fromkeys(_POLICY_INT, ColumnKind.INT),
    **dict.fromkeys(_POLICY_FLOAT, ColumnKind.FLOAT),
}
#: Column kinds of sourcing.csv; other columns are inferred.
SOURCING_COLUMN_KINDS: dict[str, ColumnKind] = {
    **dict.fromkeys(("part_id", "mode", "printer_id", "reason"), ColumnKind.TEXT),
    **dict.fromkeys(SOURCING_COLUMNS[4:], ColumnKind.FLOAT),
}
#: Column kinds of print_queue.csv / queue.csv.
QUEUE_COLUMN_KINDS: dict[str, ColumnKind] = {
    **dict.fromkeys(
        ("job_id", "printer_id", "plate_id", "part_id", "material", "stl_file"),
        ColumnKind.TEXT,
    ),
    **dict.fromkeys(("sequence", "quantity"), ColumnKind.INT),
    **dict.fromkeys(
        ("print_time_s", "filament_g", "cost", "priority"), ColumnKind.FLOAT
    ),
    **dict.fromkeys(("earliest_start", "due", "start", "end"), ColumnKind.DATETIME),
}
#: Largest table or print package read. [bytes]
MAX_READ_BYTES = MAX_SOURCE_BYTES
#: Most entries a print package (or a 3MF inside it, or an XLSX) may hold.
PACKAGE_MAX_ENTRIES = MAX_ZIP_ENTRIES
#: Most bytes a print package may declare (and deliver) uncompressed. [bytes]
PACKAGE_MAX_UNCOMPRESSED_BYTES = MAX_UNCOMPRESSED_BYTES
_TRUE_TEXT = frozenset({"true", "false"})
# pandas.api.types.infer_dtype results that rule out bool cells.
_NO_BOOLS = frozenset(
    {"string", "integer", "floating", "mixed-integer-float", "decimal", "empty"}
)
_INT64_LIMIT = 2.0**63


def _source_bytes(
    source: str | Path | bytes, name: str | None, default: str
) -> tuple[bytes, str]:
    """The bytes of ``source`` (a path or bytes) and the label errors use."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        label = name or default
    else:
        path = Path(source)
        label = name or path.name
        try:
            size = path.stat().st_size
            if size > MAX_READ_BYTES:
                raise PlannerError(
                    f"{label}: file size must be <= {MAX_READ_BYTES} bytes, got {size}"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise PlannerError(f"{label}: cannot read ({exc})") from None
    if len(data) > MAX_READ_BYTES:
        raise PlannerError(
            f"{label}: size must be <= {MAX_READ_BYTES} bytes, got {len(data)}"
        )
    return data, label


def _table_format(data: bytes, label: str) -> str:
    """``"xlsx"``, ``"json"`` or ``"csv"`` from the name's suffix, else the content."""
    suffix = Path(label).suffix.lower()
    if suffix in (".csv", ".json", ".xlsx"):
        return suffix[1:]
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def _check_archive(
    archive: zipfile.ZipFile, label: str, max_entries: int, max_bytes: int
) -> list[zipfile.ZipInfo]:
    """Entries of an archive, refused when too many or too large uncompressed."""
    infos = archive.infolist()
    first = min((info.header_offset for info in infos), default=0)
    if first > 0:
        # zipfile found an end record that is not the archive's own, e.g. that of
        # a 3MF stored inside a truncated package, or data precedes the archive.
        raise PlannerError(
            f"{label}: not a readable ZIP (its first entry starts at byte {first}, "
            "not 0: a truncated file, or data before the archive)"
        )
    if len(infos) > max_entries:
        raise PlannerError(
            f"{label}: archive must hold <= {max_entries} entries, got {len(infos)}"
        )
    declared = sum(info.file_size for info in infos)
    if declared > max_bytes:
        raise PlannerError(
            f"{label}: archive must declare <= {max_bytes} bytes uncompressed, "
            f"got {declared}"
        )
    return infos


def _open_zip(data: bytes, label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
    ) as exc:
        raise PlannerError(f"{label}: not a readable ZIP ({exc})") from None


def _raw_csv(data: bytes, label: str) -> tuple[list[str], np.ndarray, str, str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlannerError(f"{label}: must be UTF-8 text ({exc})") from None
    if not text.strip():
        raise PlannerError(f"{label}: must hold a header row, got an empty file")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise PlannerError(f"{label}: not a readable CSV ({exc})") from None
    cells = frame.to_numpy(dtype=object)
    header = ["" if v is None else str(v).strip() for v in cells[0]]
    return header, cells[1:], "row", "column"


def _raw_json(data: bytes, label: str) -> tuple[list[str], np.ndarray, str, str]:
    try:
        records = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PlannerError(f"{label}: not valid JSON ({exc})") from None
    if not isinstance(records, list):
        raise PlannerError(
            f"{label}: must be a JSON list of records, got {type(records).__name__}"
        )
    header: dict[str, None] = {}
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise PlannerError(
                f"{label} record {i + 1}: must be a JSON object, "
                f"got {type(record).__name__}"
            )
        header.update(dict.fromkeys(record))
    columns = list(header)
    cells = np.empty((len(records), len(columns)), dtype=object)
    for j, column in enumerate(columns):
        cells[:, j] = [record.get(column) for record in records]
    return columns, cells, "record", "field"


def _raw_xlsx(
    data: bytes, label: str, sheet: str
) -> tuple[list[str], np.ndarray, str, str]:
    import openpyxl

    with _open_zip(data, label) as archive:
        _check_archive(archive, label, PACKAGE_MAX_ENTRIES, MAX_UNCOMPRESSED_BYTES)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True
        )
        names = workbook.sheetnames
        worksheet = workbook[sheet] if sheet in names else workbook[names[0]]
        rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
        workbook.close()
    except Exception as exc:  # openpyxl raises many types on broken files
        raise PlannerError(f"{label}: not a readable XLSX ({exc})") from None
    if not rows:
        raise PlannerError(f"{label}: sheet must hold a header row, got an empty sheet")
    width = max(len(row) for row in rows)
    cells = np.empty((len(rows), width), dtype=object)
    for i, row in enumerate(rows):
        cells[i, : len(row)] = row
    header = ["" if v is None else str(v).strip() for v in cells[0]]
    body = cells[1:]
    used = [
        j for j in range(width) if header[j] or any(v is not None for v in body[:, j])
    ]
    filled = np.array(
        [any(v is not None for v in row) for row in body[:, used]], dtype=bool
    )
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return [header[j] for j in used], body[:last][:, used], "row", "column"


def _blank(values: np.ndarray) -> np.ndarray:
    """True where a cell is empty: None, NaN or whitespace-only text."""
    series = pd.Series(values, dtype=object)
    return (series.isna() | (series.astype(str).str.strip() == "")).to_numpy()


def _cell_texts(values: np.ndarray) -> np.ndarray:
    """Cells as stripped text; integral floats (Excel ids) without ``.0``."""
    series = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(series, skipna=True) != "string":
        series = series.map(
            lambda v: (
                str(int(v))
                if isinstance(v, float) and v.is_integer() and abs(v) < _INT64_LIMIT
                else v
            )
        )
    return series.astype(str).str.strip().to_numpy(dtype=object)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Where:
    """Names a cell in errors: ``<label> row N, column C``."""

    label: str
    numbers: np.ndarray
    row_word: str
    column_word: str
    column: str

    def fail(self, index: int, expected: str, value: Any) -> PlannerError:
        return PlannerError(
            f"{self.label} {self.row_word} {int(self.numbers[index])}, "
            f"{self.column_word} {self.column}: expected {expected}, got {value!r}"
        )


def _parse_floats(
    texts: np.ndarray,
    where: _Where,
    positions: np.ndarray,
    expected: str = "a number",
) -> np.ndarray:
    """Text cells as float64 (exact for shortest-repr text); error names the cell."""
    try:
        return np.asarray(texts.astype(str), dtype=str).astype(np.float64)
    except ValueError:
        for i, text in zip(positions.tolist(), texts.tolist(), strict=True):
            try:
                float(text)
            except ValueError:
                raise where.fail(i, expected, text) from None
        raise


def _convert(
    values: np.ndarray, kind: ColumnKind | None, where: _Where
) -> tuple[Any, ColumnKind]:
    """One column's cells as typed values; ``kind=None`` infers it."""
    blank = _blank(values)
    positions = np.flatnonzero(~blank)
    texts = _cell_texts(values[~blank])
    if kind is None:
        kind = _infer_kind(texts, values[~blank])
    if kind is ColumnKind.TEXT:
        out = np.full(len(values), "", dtype=object)
        out[~blank] = texts
        return pd.array(out, dtype="str"), kind
    raw = values[~blank]
    bools = _bool_cells(raw)
    if kind is not ColumnKind.BOOL and bools.any():
        first = int(np.flatnonzero(bools)[0])
        raise where.fail(int(positions[first]), f"a {kind.value} value", raw[first])
    if kind is ColumnKind.DATETIME:
        return _convert_datetimes(texts, blank, positions, where), kind
    if kind is ColumnKind.BOOL:
        lowered = np.char.lower(texts.astype(str))
        bad = ~np.isin(lowered, list(_TRUE_TEXT))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise where.fail(int(positions[first]), "true or false", texts[first])
        out = np.full(len(values), None, dtype=object)
        out[~blank] = lowered == "true"
        if blank.any():
            return pd.array(out, dtype="boolean"), kind
        return out.astype(bool), kind
    if kind is ColumnKind.FLOAT:
        out = np.full(len(values), np.nan)
        out[~blank] = _parse_floats(texts, where, positions)
        return out, kind
    try:
        ints = texts.astype(str).astype(np.int64)
    except (ValueError, OverflowError):
        floats = _parse_floats(texts, where, positions, "an integer")
        bad = ~(np.isfinite(floats) & (np.abs(floats) < _INT64_LIMIT))
        bad[~bad] = floats[~bad] != np.round(floats[~bad])
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise where.fail(
                int(positions[first]), "an integer", texts[first]
            ) from None
        ints = floats.astype(np.int64)
    if blank.any():
        out = np.full(len(values), None, dtype=object)
        out[~blank] = ints
        return pd.array(out, dtype="Int64"), kind
    return ints, kind


def _bool_cells(raw: np.ndarray) -> np.ndarray:
    """True where a cell is a Python/numpy bool (JSON true, an XLSX TRUE)."""
    inferred = pd.api.types.infer_dtype(pd.Series(raw, dtype=object), skipna=True)
    if inferred in _NO_BOOLS:
        return np.zeros(len(raw), dtype=bool)
    return np.array([isinstance(v, bool | np.bool_) for v in raw], dtype=bool)


def _infer_kind(texts: np.ndarray, raw: np.ndarray) -> ColumnKind:
    """INT, FLOAT, BOOL or TEXT: the narrowest kind every filled cell fits."""
    if len(texts) == 0:
        return ColumnKind.FLOAT
    strings = texts.astype(str)
    bools = _bool_cells(raw)
    if bools.all() or np.isin(np.char.lower(strings), list(_TRUE_TEXT)).all():
        return ColumnKind.BOOL
    if bools.any():
        return ColumnKind.TEXT
    try:
        strings.astype(np.int64)
    except (ValueError, OverflowError):
        pass
    else:
        return ColumnKind.INT
    try:
        strings.astype(np.float64)
    except ValueError:
        return ColumnKind.TEXT
    return ColumnKind.FLOAT


def _convert_datetimes(
    texts: np.ndarray, blank: np.ndarray, positions: np.ndarray, where: _Where
) -> pd.Series:
    """ISO 8601 text as timezone-naive datetime64[us] (NaT where blank)."""
    series = pd.Series(texts.astype(str), dtype=object)
    try:
        parsed = pd.to_datetime(series, format="ISO8601", errors="coerce")
        aware = getattr(parsed.dt, "tz", None) is not None
    except (ValueError, TypeError):
        parsed, aware = None, True
    out = np.full(len(blank), np.datetime64("NaT"), dtype="datetime64[us]")
    if parsed is not None and not aware and not parsed.isna().any():
        out[~blank] = parsed.to_numpy(dtype="datetime64[us]")
        return out
    # Slow path, only for odd input: find the bad cell, or parse one by one.
    values = []
    for i, text in zip(positions.tolist(), texts.tolist(), strict=True):
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise where.fail(i, "an ISO 8601 datetime", text) from None
        if value.tzinfo is not None:
            raise where.fail(i, "a timezone-naive ISO 8601 datetime", text)
        values.append(value)
    out[~blank] = np.array(values, dtype="datetime64[us]")
    return out


def _read_table(
    source: str | Path | bytes,
    *,
    name: str | None,
    default_name: str,
    kinds: Mapping[str, ColumnKind],
    required: Sequence[str],
    sheet: str,
) -> tuple[pd.DataFrame, Callable[[int, str, str, Any], PlannerError]]:
    """A CSV/JSON/XLSX table read back with ``kinds`` (other columns inferred).

    Also returns ``fail(index, column, expected, value)``, which makes the error
    for a cell of the frame (row numbered as in the file).
    """
    data, label = _source_bytes(source, name, default_name)
    named = name is not None or not isinstance(source, bytes | bytearray | memoryview)
    fmt = _table_format(data, label if named else "")
    if fmt == "xlsx":
        header, cells, row_word, column_word = _raw_xlsx(data, label, sheet)
        first_row = 2
    elif fmt == "json":
        header, cells, row_word, column_word = _raw_json(data, label)
        first_row = 1
    else:
        header, cells, row_word, column_word = _raw_csv(data, label)
        first_row = 2
    for j, column in enumerate(header):
        if not column:
            raise PlannerError(
                f"{label}: {column_word} {j + 1} must have a name, got an empty header"
            )
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise PlannerError(
                f"{label}: {column_word} names must be unique, got {column} twice"
            )
        seen.add(column)
    missing = [c for c in required if c not in seen]
    if missing:
        raise PlannerError(
            f"{label}: {column_word} {missing[0]} is required, got "
            f"{', '.join(header) or '(none)'}"
        )
    numbers = np.arange(len(cells)) + first_row
    columns = {}
    for j, column in enumerate(header):
        where = _Where(
            label=label,
            numbers=numbers,
            row_word=row_word,
            column_word=column_word,
            column=column,
        )
        columns[column], _ = _convert(cells[:, j], kinds.get(column), where)

    where_template = _Where(
        label=label,
        numbers=numbers,
        row_word=row_word,
        column_word=column_word,
        column="",
    )

    def fail(index: int, column: str, expected: str, value: Any) -> PlannerError:
        return dataclasses.replace(where_template, column=column).fail(
            index, expected, value
        )

    return pd.DataFrame(columns, columns=header), fail


def read_policy_table(
    source: str | Path | bytes, *, name: str | None = None
) -> pd.DataFrame:
    """Read policy.csv (or its JSON list of records or XLSX) back into a DataFrame.

    The columns come back in the file's order with the dtypes the writers used
    (:data:`POLICY_COLUMN_KINDS`): text columns as ``str`` (an empty cell is
    ``""``), integer columns as ``int64`` (``Int64`` with ``<NA>`` where a cell
    is empty), number columns as ``float64`` (NaN where empty). Columns the table
    has beyond those are inferred: ``int64``, ``float64``, ``bool`` or ``str``.
    CSV floats are written with the shortest exact repr, so they come back
    bit for bit. An XLSX workbook is read from its ``policy`` sheet, else its
    first sheet.

    Parameters
    ----------
    source
        A path, or the raw bytes of an upload.
    name
        The file name (for bytes): its suffix picks the format (``.csv``,
        ``.json``, ``.xlsx``; otherwise the content decides) and errors name it.

    Returns
    -------
    pandas.DataFrame
        One row per part.

    Raises
    ------
    PlannerError
        When the file cannot be read or parsed, is larger than
        :data:`MAX_READ_BYTES`, lacks one of :data:`POLICY_COLUMNS`, has an
        empty or repeated header, or a cell does not fit its column's kind (the
        error names the row, counted as in a spreadsheet with the header as row
        1, or the JSON record from 1, and the column).

    Examples
    --------
    >>> row = dict.fromkeys(POLICY_COLUMNS, 0) | {"part_id": "0017", "fill_rate": 0.1}
    >>> frame = read_policy_table(csv_bytes(policy_frame([row])), name="policy.csv")
    >>> frame.loc[0, "part_id"], frame.dtypes["reorder_point"], frame.loc[0, "fill_rate"]
    ('0017', dtype('int64'), np.float64(0.1))
    """
    frame, _ = _read_table(
        source,
        name=name,
        default_name="policy.csv",
        kinds=POLICY_COLUMN_KINDS,
        required=POLICY_COLUMNS,
        sheet="policy",
    )
    return frame


def read_sourcing_table(
    source: str | Path | bytes, *, name: str | None = None
) -> pd.DataFrame:
    """Read sourcing.csv (or JSON records, or an XLSX ``sourcing`` sheet) back.

    part_id, mode, printer_id and reason come back as ``str`` (``""`` where
    empty, e.g. no printer); every ``cost_<mode>``, ``printer_hours_<mode>``
    [h/year] and ``investment_<mode>`` column as ``float64``, NaN where the
    option is infeasible for the part (empty in the CSV). Other columns are
    inferred as in :func:`read_policy_table`.

    Raises
    ------
    PlannerError
        As :func:`read_policy_table`; also when a column of
        :data:`SOURCING_COLUMNS` is missing or a mode is not one of
        :data:`SOURCING_MODES`.
    """
    frame, fail = _read_table(
        source,
        name=name,
        default_name="sourcing.csv",
        kinds=SOURCING_COLUMN_KINDS,
        required=SOURCING_COLUMNS,
        sheet="sourcing",
    )
    bad = ~frame["mode"].isin(SOURCING_MODES).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise fail(
            first,
            "mode",
            f"one of {', '.join(SOURCING_MODES)}",
            frame["mode"].iloc[first],
        )
    return frame


def queue_from_csv(
    source: str | Path | bytes, *, name: str | None = None
) -> pd.DataFrame:
    """Read print_queue.csv / queue.csv back as typed job records.

    A DataFrame, not a :class:`PrintQueue`: the CSV (the DESIGN columns,
    :data:`QUEUE_COLUMNS`) does not carry each job's ``kind``, the queue's
    ``start``, ``horizon_days`` or warnings, so it cannot rebuild the queue
    exactly; queue.json is the lossless form (:func:`queue_from_json`). The
    records here are exact otherwise: ids as ``str``, sequence and quantity as
    ``int64``, the figures as ``float64``, the four datetimes as
    ``datetime64[us]`` (timezone-naive). :func:`print_jobs_from_frame` turns
    them into :class:`PrintJob` records (kinds supplied separately).

    Raises
    ------
    PlannerError
        When the file cannot be read, a column of :data:`QUEUE_COLUMNS` is
        missing, a cell does not fit its column (row and column named) or a
        cell other than stl_file is empty.
    """
    frame, fail = _read_table(
        source,
        name=name,
        default_name="queue.csv",
        kinds=QUEUE_COLUMN_KINDS,
        required=QUEUE_COLUMNS,
        sheet="queue",
    )
    for column in QUEUE_COLUMNS:
        if column == "stl_file":
            continue
        values = frame[column]
        empty = values.isna().to_numpy() | (values.astype(str) == "").to_numpy()
        if empty.any():
            raise fail(int(np.flatnonzero(empty)[0]), column, "a value", "")
    return frame


def print_jobs_from_frame(
    frame: pd.DataFrame, *, kinds: Sequence[JobKind | str] | None = None
) -> tuple[PrintJob, ...]:
    """:class:`PrintJob` records from :func:`queue_from_csv`'s frame.

    Parameters
    ----------
    frame
        The typed job records (:data:`QUEUE_COLUMNS`).
    kinds
        One :class:`JobKind` per row (the CSV does not carry them); default
        ``initial_build`` for every job.

    Raises
    ------
    PlannerError
        When ``kinds`` has another length than ``frame`` or holds an unknown kind.
    """
    n_jobs = len(frame)
    if kinds is None:
        kinds = [JobKind.INITIAL_BUILD] * n_jobs
    if len(kinds) != n_jobs:
        raise PlannerError(
            f"print jobs: kinds must have one entry per row ({n_jobs}), "
            f"got {len(kinds)}"
        )
    allowed = {k.value for k in JobKind}
    unknown = [str(k) for k in kinds if str(k) not in allowed]
    if unknown:
        raise PlannerError(
            f"print jobs: kinds must be among {', '.join(sorted(allowed))}, "
            f"got {unknown[0]!r}"
        )
    columns = {}
    for column in QUEUE_COLUMNS:
        kind = QUEUE_COLUMN_KINDS[column]
        values = frame[column].to_numpy()
        if kind is ColumnKind.DATETIME:
            columns[column] = pd.DatetimeIndex(values).to_pydatetime().tolist()
        elif kind is ColumnKind.INT:
            columns[column] = [int(v) for v in values]
        elif kind is ColumnKind.FLOAT:
            columns[column] = [float(v) for v in values]
        else:
            columns[column] = [str(v) for v in values]
    return tuple(
        PrintJob(
            **{c: columns[c][i] for c in QUEUE_COLUMNS}, kind=JobKind(str(kinds[i]))
        )
        for i in range(n_jobs)
    )


# -------------------------------------------------------- print package reader

#: File types a print package may hold.
PACKAGE_SUFFIXES: frozenset[str] = frozenset({".json", ".csv", ".stl", ".3mf"})
# Folders of the package layout and the one suffix each holds.
_PACKAGE_FOLDERS: dict[str, str] = {
    "models": ".stl",
    "plates": ".3mf",
    "moonraker_job_queue": ".json",
    "octoprint_continuousprint": ".json",
}
_PACKAGE_FILES = frozenset({"queue.json", "queue.csv", "moonraker_job_queue.json"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintPackage:
    """A print package read back by :func:`read_print_package`.

    Attributes
    ----------
    queue
        The queue of queue.json (:func:`queue_from_json`).
    queue_table
        queue.csv as typed job records (:func:`queue_from_csv`).
    models
        part_id → the triangles of ``models/<part>.stl``, (n, 3, 3) float64. [mm]
    plates
        plate_id → one (part_id, triangles) pair per 3MF build item (one per
        copy), the triangles placed on the plate by the item's transform,
        (n, 3, 3) float64 (3MF stores float32). [mm]
    manifests
        Entry name → parsed JSON of ``moonraker_job_queue.json``,
        ``moonraker_job_queue/*.json`` and ``octoprint_continuousprint/*.json``.
    """

    queue: PrintQueue
    queue_table: pd.DataFrame
    models: dict[str, np.ndarray]
    plates: dict[str, list[tuple[str, np.ndarray]]]
    manifests: dict[str, Any]


def _entry_problem(name: str, info: zipfile.ZipInfo) -> str:
    """Why a print package entry is refused (``""`` when acceptable)."""
    reason = unsafe_entry_reason(info)
    if not reason and "\\" in name:
        reason = "backslash in the path"
    return reason


def _layout_problem(name: str) -> str:
    """Why a (safe) entry name is not part of the print package layout."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in PACKAGE_SUFFIXES:
        return (
            f"unexpected file type {suffix or '(no suffix)'}; allowed: "
            f"{' '.join(sorted(PACKAGE_SUFFIXES))}"
        )
    parts = name.split("/")
    if len(parts) == 1 and name in _PACKAGE_FILES:
        return ""
    if len(parts) == 2 and _PACKAGE_FOLDERS.get(parts[0]) == suffix:
        return ""
    return (
        "not part of a print package (queue.json, queue.csv, "
        "moonraker_job_queue.json, models/*.stl, plates/*.3mf, "
        "moonraker_job_queue/*.json, octoprint_continuousprint/*.json)"
    )


def _read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, budget: list[int]
) -> bytes:
    """One entry's bytes, never more than it declares or the budget left."""
    chunks, size = [], 0
    try:
        with archive.open(info) as source:
            while chunk := source.read(1 << 20):
                size += len(chunk)
                if size > info.file_size:
                    raise PlannerError(
                        f"{label}: entry {info.filename!r} refused: holds more than "
                        f"the {info.file_size} bytes it declares"
                    )
                if size > budget[0]:
                    raise PlannerError(
                        f"{label}: entry {info.filename!r} refused: the package "
                        f"holds more than {PACKAGE_MAX_UNCOMPRESSED_BYTES} bytes "
                        "uncompressed"
                    )
                chunks.append(chunk)
    except PlannerError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise PlannerError(
            f"{label}: entry {info.filename!r} cannot be read ({exc})"
        ) from None
    budget[0] -= size
    return b"".join(chunks)


def _package_entries(
    data: bytes, label: str, max_entries: int, max_bytes: int
) -> dict[str, bytes]:
    """Every entry of a print package, checked, read in memory; name → bytes."""
    with _open_zip(data, label) as archive:
        infos = _check_archive(archive, label, max_entries, max_bytes)
        kept = []
        for info in infos:
            if is_clutter(info.filename):
                continue
            reason = _entry_problem(info.filename, info)
            if reason:
                raise PlannerError(
                    f"{label}: entry {info.filename!r} refused: {reason}"
                )
            if not info.is_dir():
                kept.append(info)
        # A package zipped again from its folder has one top folder: drop it.
        names = [re.sub(r"^(\./)+", "", info.filename) for info in kept]
        tops = {n.split("/")[0] for n in names}
        if (
            len(tops) == 1
            and all("/" in n for n in names)
            and "queue.json" not in names
        ):
            top = tops.pop() + "/"
            names = [n[len(top) :] for n in names]
        entries: dict[str, bytes] = {}
        seen: set[str] = set()
        budget = [max_bytes]
        for info, name in zip(kept, names, strict=True):
            reason = _layout_problem(name)
            if not reason and name.casefold() in seen:
                reason = "duplicate name"
            if reason:
                raise PlannerError(
                    f"{label}: entry {info.filename!r} refused: {reason}"
                )
            seen.add(name.casefold())
            entries[name] = _read_entry(archive, info, label, budget)
    return entries


def _transform_matrix(transform: Any) -> np.ndarray:
    """A lib3mf 4 x 3 transform (row vectors: p' = p · M[:3] + M[3]) as an array."""
    return np.array([list(row) for row in transform.Fields], dtype=np.float64)


def read_plate_3mf(
    data: bytes, *, name: str = "plate.3mf", max_entries: int = PACKAGE_MAX_ENTRIES
) -> list[tuple[str, np.ndarray]]:
    """The parts on a plate 3MF: one (part number, placed triangles) per build item.

    Read with lib3mf in memory. The part number is the build item's, else its
    mesh object's. Each item's triangles are its object's mesh with the item's
    transform applied (float32 coordinates, as 3MF stores them, in float64).

    Parameters
    ----------
    data
        The 3MF file.
    name
        Used in errors.
    max_entries
        Most entries the 3MF (itself a ZIP) may hold; its declared uncompressed
        size must stay within :data:`PACKAGE_MAX_UNCOMPRESSED_BYTES`.

    Returns
    -------
    list of (str, numpy.ndarray)
        Part number and (n, 3, 3) triangle corners per build item. [mm]

    Raises
    ------
    PlannerError
        When the file is not a readable 3MF, is too large, or a build item is
        not a mesh object.
    """
    with _open_zip(data, name) as archive:
        _check_archive(archive, name, max_entries, PACKAGE_MAX_UNCOMPRESSED_BYTES)
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    try:
        model.QueryReader("3mf").ReadFromBuffer(data)
    except lib3mf.ELib3MFException as exc:
        raise PlannerError(f"{name}: not a readable 3MF ({exc})") from None
    items = model.GetBuildItems()
    meshes: dict[int, tuple[str, np.ndarray]] = {}
    placed = []
    index = 0
    while items.MoveNext():
        item = items.GetCurrent()
        resource_id = item.GetObjectResourceID()
        if resource_id not in meshes:
            try:
                mesh_object = model.GetMeshObjectByID(resource_id)
            except lib3mf.ELib3MFException:
                raise PlannerError(
                    f"{name}: build item {index + 1} must be a mesh object, "
                    f"got resource {resource_id}"
                ) from None
            vertices = mesh_object.GetVertices()
            triangles = mesh_object.GetTriangleIndices()
            positions = np.frombuffer(
                (lib3mf.Position * len(vertices))(*vertices), dtype=np.float32
            ).reshape(-1, 3)
            indices = np.frombuffer(
                (lib3mf.Triangle * len(triangles))(*triangles), dtype=np.uint32
            ).reshape(-1, 3)
            meshes[resource_id] = (
                mesh_object.GetPartNumber(),
                positions.astype(np.float64)[indices],
            )
        object_number, vectors = meshes[resource_id]
        if item.HasObjectTransform():
            matrix = _transform_matrix(item.GetObjectTransform())
            vectors = vectors @ matrix[:3] + matrix[3]
        placed.append((item.GetPartNumber() or object_number, vectors))
        index += 1
    return placed


def read_print_package(
    data: bytes,
    *,
    name: str = "print_package.zip",
    max_entries: int = PACKAGE_MAX_ENTRIES,
    max_bytes: int = PACKAGE_MAX_UNCOMPRESSED_BYTES,
) -> PrintPackage:
    """Read a print package (:func:`print_package_bytes`) back, all in memory.

    Checks the archive as the catalog's ZIP door does before reading anything:
    at most ``max_entries`` entries and ``max_bytes`` declared uncompressed
    (and never more delivered: reading stops at an entry's declared size),
    no absolute or ``..`` paths, drive letters, symbolic links, special or
    encrypted entries, only the package layout (queue.json, queue.csv,
    moonraker_job_queue.json, ``models/*.stl``, ``plates/*.3mf``,
    ``moonraker_job_queue/*.json``, ``octoprint_continuousprint/*.json``).
    Operating-system clutter (``__MACOSX/``, ``.DS_Store``) is skipped and one
    common top folder (a package zipped again from its folder) is allowed.
    Nothing is written to disk.

    The model and plate files are found by the names the writer gives them
    (the ids made safe, :func:`safe_stem`); every part and plate of the queue
    must have its file and every model and plate file must belong to the queue.

    Parameters
    ----------
    data
        The ZIP file.
    name
        Used in errors.
    max_entries
        Most entries the package (and each 3MF in it) may hold.
    max_bytes
        Most bytes the package may hold uncompressed, in total. [bytes]

    Returns
    -------
    PrintPackage
        The queue, queue.csv's records, the models, the plates and the manifests.

    Raises
    ------
    PlannerError
        When the data is not a readable ZIP, breaks a cap, an entry is refused
        or unreadable, queue.json or queue.csv is missing or malformed, or a
        model or plate file is missing, unreadable or not in the queue; the
        message names the entry.
    """
    if len(data) > MAX_READ_BYTES:
        raise PlannerError(
            f"{name}: size must be <= {MAX_READ_BYTES} bytes, got {len(data)}"
        )
    entries = _package_entries(bytes(data), name, max_entries, max_bytes)
    for required in ("queue.json", "queue.csv"):
        if required not in entries:
            raise PlannerError(
                f"{name}: entry {required} is required, got "
                f"{', '.join(entries) or '(no entries)'}"
            )
    try:
        queue = queue_from_json(entries["queue.json"])
    except PlannerError as exc:
        raise PlannerError(f"{name}: entry queue.json: {exc}") from None
    queue_table = queue_from_csv(entries["queue.csv"], name=f"{name}: entry queue.csv")
    plate_stems, model_stems = _package_names(queue)
    models = {}
    for part_id, stem in model_stems.items():
        entry = f"models/{stem}.stl"
        if entry not in entries:
            raise PlannerError(
                f"{name}: entry {entry} (part {part_id}) is required, got none"
            )
        try:
            models[part_id] = read_stl_vectors(entries[entry], name=entry)
        except GeometryError as exc:
            raise PlannerError(f"{name}: entry {entry}: {exc}") from None
    plates = {}
    for plate_id, stem in plate_stems.items():
        entry = f"plates/{stem}.3mf"
        if entry not in entries:
            raise PlannerError(
                f"{name}: entry {entry} (plate {plate_id}) is required, got none"
            )
        plates[plate_id] = read_plate_3mf(
            entries[entry], name=f"{name}: entry {entry}", max_entries=max_entries
        )
    known = {f"models/{s}.stl" for s in model_stems.values()} | {
        f"plates/{s}.3mf" for s in plate_stems.values()
    }
    manifests = {}
    for entry, content in entries.items():
        if entry.startswith(("models/", "plates/")) and entry not in known:
            raise PlannerError(
                f"{name}: entry {entry} refused: no job in queue.json names it"
            )
        if entry.endswith(".json") and entry != "queue.json":
            try:
                manifests[entry] = json.loads(content.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise PlannerError(
                    f"{name}: entry {entry}: not valid JSON ({exc})"
                ) from None
    return PrintPackage(
        queue=queue,
        queue_table=queue_table,
        models=models,
        plates=plates,
        manifests=manifests,
    )
