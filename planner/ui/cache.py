"""Cached calls from the pages into the planner core, and the small adapters they need.

Every heavy call is keyed on bytes: a :class:`CatalogSource` hashes as the SHA-256 of
the uploaded (or edited) catalog table, its demand history and the STL folder, and a
:class:`PlanRequest` as that digest plus the plan settings. Scenarios travel as JSON
text. Results that are Python objects (catalogs, plans, simulations) live in
``st.cache_resource`` and are never mutated; tables and download bytes live in
``st.cache_data``. Pages call these functions and render; they hold no formulas.

Sessions never share files: each browser session gets its own folder under the
system temporary folder (:func:`session_workdir`), and each upload a fresh
folder inside it (STL files, links to the ZIP's extraction folder) whose path is
part of the source's key, so cached catalogs and plans of an upload are never
handed to another session. An upload's folder is removed as soon as no catalog
source of the session refers to it any more (:func:`prune_session_uploads`, run
on every page), the session folder when the session's state is dropped (a
:func:`weakref.finalize` on it), and folders of sessions idle for more than
:data:`STALE_UPLOAD_AGE_H` hours at the next upload of anyone
(:func:`sweep_stale_uploads`). The module holds no mutable state of its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import types
import warnings
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from planner import export, whatif
from planner.catalog import Catalog, DemandHistory, load_catalog, load_demo_catalog
from planner.errors import CatalogError, PlannerError, PlannerWarning, ScenarioError
from planner.plan import (
    BudgetResult,
    EstimateResult,
    PlanResult,
    budget_allocation,
    budget_sweep,
    compute_policy,
    estimate_parts,
    estimate_rows,
    policy_totals,
    queue_totals,
    run_plan,
    simulation_plan,
)
from planner.print_queue import (
    PrintQueue,
    resequence_queue,
)
from planner.printers import Material, Printer, load_demo_materials, load_demo_printers
from planner.scenarios import (
    PRESETS,
    Scenario,
    SimulationResult,
    load_scenarios,
    parse_scenarios,
    scenario_to_dict,
    simulate,
)
from planner.slicing import warm_up_kernels
from planner.sourcing import SourcingParams, sourcing_table, summary_dict

#: File endings the catalog upload accepts.
TABLE_SUFFIXES = (".csv", ".xlsx", ".zip")
#: Label of the all-buy baseline in scenario comparisons.
BASELINE_LABEL = "all-buy baseline"
#: Label of the optimised plan in scenario comparisons.
PLAN_LABEL = "plan"
#: Name prefix of a browser session's folder in the system temporary folder.
SESSION_DIR_PREFIX = "sparecast-session-"
#: Name prefix of one upload's folder inside the session folder.
UPLOAD_DIR_PREFIX = "upload-"
#: Name prefix of the ZIP extraction folders planner.catalog makes (mkdtemp).
EXTRACT_DIR_PREFIX = "sparecast_catalog_"
#: Name prefix of the links from an upload folder to its ZIP extraction folders.
EXTRACT_LINK_PREFIX = ".extracted-"
#: Session and extraction folders untouched this long are removed at any upload. [h]
STALE_UPLOAD_AGE_H = 24.0
#: Session-state key of the session's folder handle.
WORKDIR_KEY = "catalog_workdir"


def _digest(*chunks: bytes) -> str:
    """SHA-256 of length-prefixed chunks (so ``ab|c`` and ``a|bc`` differ)."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(len(chunk).to_bytes(8, "little"))
        h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogSource:
    """Where the catalog comes from: the demo, or uploaded/edited bytes.

    ``file_name`` empty means the demo catalog. ``stl_dir`` is a folder under the
    session's temporary directory (or the demo's STL folder). ``workdir`` is the
    upload's own folder in the session's folder (``""`` for the demo): it is part
    of the key, so no two sessions share the catalog of an upload, and its files
    live as long as a source of the session names it.
    """

    label: str = "demo catalog"
    file_name: str = ""
    data: bytes = b""
    stl_dir: str = ""
    history: bytes = b""
    edited: bool = False
    workdir: str = ""

    @property
    def is_demo(self) -> bool:
        """True for the demo catalog shipped in ``catalog/``."""
        return not self.file_name

    @property
    def key(self) -> str:
        """Digest of everything that shapes the loaded catalog (not the label)."""
        return _digest(
            self.file_name.encode(),
            self.data,
            self.stl_dir.encode(),
            self.history,
            self.workdir.encode(),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRequest:
    """Settings of one plan: catalog, printers, budget, scenarios, what-if printer."""

    source: CatalogSource
    printer_ids: tuple[str, ...]
    budget: float | None = None
    scenario_texts: tuple[str, ...] = ()
    duplicate_printer: str = ""

    @property
    def key(self) -> str:
        """Digest of the catalog digest and the settings."""
        settings = json.dumps(
            [
                self.printer_ids,
                self.budget,
                self.scenario_texts,
                self.duplicate_printer,
            ]
        )
        return _digest(self.source.key.encode(), settings.encode())


_HASH = {CatalogSource: lambda s: s.key, PlanRequest: lambda r: r.key}


# -- catalog ------------------------------------------------------------------


def demo_source() -> CatalogSource:
    """The demo catalog (catalog/parts.csv with its history and STL folder)."""
    return CatalogSource()


class _SessionFolder:
    """A browser session's upload folder, removed when this handle is dropped.

    Kept in ``st.session_state``; when Streamlit drops the session's state (the
    session ended and its reconnect grace period passed) the finalizer removes
    the folder and the ZIP extraction folders it links to. Streamlit's own
    session-scoped cache is released on every websocket drop, even one the
    session survives, so it is not used for this.
    """

    __slots__ = ("__weakref__", "path")

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=SESSION_DIR_PREFIX)).resolve()
        weakref.finalize(self, remove_workdir, self.path)


def session_workdir() -> Path:
    """This browser session's own folder for uploads (a fresh ``mkdtemp()``).

    Made on first use and removed when the session's state is dropped; a
    folder removed meanwhile (e.g. by :func:`sweep_stale_uploads`) is made anew.
    """
    handle = st.session_state.get(WORKDIR_KEY)
    if not isinstance(handle, _SessionFolder) or not handle.path.is_dir():
        handle = _SessionFolder()
        st.session_state[WORKDIR_KEY] = handle
    return handle.path


def _temp_root() -> Path:
    """The system temporary folder, resolved."""
    return Path(tempfile.gettempdir()).resolve()


def _extraction_target(link: Path) -> Path | None:
    """The ZIP extraction folder ``link`` points to, if it is one of ours."""
    try:
        target = Path(os.readlink(link))
    except OSError:
        return None
    target = target if target.is_absolute() else link.parent / target
    ok = target.name.startswith(EXTRACT_DIR_PREFIX) and target.parent == _temp_root()
    return target if ok else None


def _remove_upload(folder: Path) -> None:
    """Remove one upload folder and the ZIP extraction folders it links to."""
    if folder.is_dir():
        for link in folder.glob(f"{EXTRACT_LINK_PREFIX}*"):
            target = _extraction_target(link)
            if target is not None:
                shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


def remove_workdir(path: str | Path) -> None:
    """Remove a session folder, its uploads and their ZIP extraction folders."""
    folder = Path(path)
    if folder.is_dir():
        for upload in folder.glob(f"{UPLOAD_DIR_PREFIX}*"):
            _remove_upload(upload)
    shutil.rmtree(folder, ignore_errors=True)


def prune_uploads(workdir: str | Path, keep: Iterable[CatalogSource]) -> list[Path]:
    """Remove the upload folders of ``workdir`` that no source in ``keep`` names.

    Also marks ``workdir`` and the kept uploads (and their extraction folders) as
    in use for :func:`sweep_stale_uploads`.

    Returns
    -------
    list of pathlib.Path
        The upload folders removed.
    """
    folder = Path(workdir)
    if not folder.is_dir():
        return []
    names = {Path(s.workdir).resolve() for s in keep if s.workdir}
    removed = []
    for upload in folder.glob(f"{UPLOAD_DIR_PREFIX}*"):
        if upload.resolve() not in names:
            _remove_upload(upload)
            removed.append(upload)
            continue
        links = upload.glob(f"{EXTRACT_LINK_PREFIX}*")
        for path in (upload, *map(_extraction_target, links)):
            if path is not None:
                with contextlib.suppress(OSError):
                    os.utime(path)
    with contextlib.suppress(OSError):
        os.utime(folder)
    return removed


def prune_session_uploads() -> list[Path]:
    """Remove this session's uploads that no catalog source in its state names.

    Run on every page: after a new upload (or the demo) replaces the old one,
    the old upload's files go at once.

    Returns
    -------
    list of pathlib.Path
        The upload folders removed.
    """
    handle = st.session_state.get(WORKDIR_KEY)
    if not isinstance(handle, _SessionFolder):
        return []
    keep = [v for v in st.session_state.values() if isinstance(v, CatalogSource)]
    return prune_uploads(handle.path, keep)


def sweep_stale_uploads(
    *, max_age_h: float = STALE_UPLOAD_AGE_H, now_s: float | None = None
) -> list[Path]:
    """Remove session and ZIP extraction folders untouched for ``max_age_h`` hours.

    The bound for sessions that never ended cleanly (a killed server): session
    folders (``sparecast-session-*``) last used before then, and extraction
    folders (``sparecast_catalog_*``) made before then that no live session
    folder links to.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    root = _temp_root()
    cutoff = (time.time() if now_s is None else now_s) - max_age_h * 3600.0
    removed = []
    live_links: set[Path] = set()
    for folder in root.glob(f"{SESSION_DIR_PREFIX}*"):
        with contextlib.suppress(OSError):
            if folder.stat().st_mtime < cutoff:
                remove_workdir(folder)
                removed.append(folder)
                continue
            for link in folder.glob(f"{UPLOAD_DIR_PREFIX}*/{EXTRACT_LINK_PREFIX}*"):
                target = _extraction_target(link)
                if target is not None:
                    live_links.add(target)
    for folder in root.glob(f"{EXTRACT_DIR_PREFIX}*"):
        with contextlib.suppress(OSError):
            if folder not in live_links and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def upload_digest(files: Sequence[tuple[str, bytes]]) -> str:
    """Digest of a set of uploaded files (names and contents, order-free)."""
    return _digest(
        *(chunk for name, data in sorted(files) for chunk in (name.encode(), data))
    )


def upload_source(
    files: Sequence[tuple[str, bytes]], *, workdir: Path
) -> CatalogSource:
    """Catalog source of an upload: one table (CSV/XLSX/ZIP), STL files, a history.

    Each upload gets a fresh folder under ``workdir`` (its ``workdir`` field);
    STL files are written into it (only their base names are used, so no upload
    writes outside it), and a ZIP's extraction folder is linked from it. A CSV
    named ``demand_history*`` or ``history*`` is taken as the demand history.
    Folders of sessions idle for :data:`STALE_UPLOAD_AGE_H` hours are swept
    first (:func:`sweep_stale_uploads`).

    Raises
    ------
    CatalogError
        If the upload holds no catalog table, several, or a file of another type.
    """
    tables: list[tuple[str, bytes]] = []
    histories: list[tuple[str, bytes]] = []
    stls: list[tuple[str, bytes]] = []
    for name, data in files:
        base = Path(name).name
        suffix = Path(base).suffix.lower()
        if suffix == ".stl":
            stls.append((base, data))
        elif suffix == ".csv" and base.lower().startswith(
            ("demand_history", "history")
        ):
            histories.append((base, data))
        elif suffix in TABLE_SUFFIXES:
            tables.append((base, data))
        else:
            raise CatalogError(
                f"upload {name!r}: expected a .csv, .xlsx or .zip catalog, .stl files "
                f"or a demand_history*.csv, got {suffix or 'no extension'!r}"
            )
    if len(tables) != 1:
        found = ", ".join(n for n, _ in tables) or "none"
        raise CatalogError(
            f"upload: expected exactly one catalog table (.csv, .xlsx or .zip), "
            f"got {len(tables)} ({found})"
        )
    if len(histories) > 1:
        raise CatalogError(
            f"upload: expected at most one demand history CSV, got "
            f"{', '.join(n for n, _ in histories)}"
        )
    sweep_stale_uploads()
    Path(workdir).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_DIR_PREFIX, dir=workdir)).resolve()
    for base, data in stls:
        export.atomic_write_bytes(folder / base, data)
    table_name, table = tables[0]
    return CatalogSource(
        label=f"uploaded {table_name}",
        file_name=table_name,
        data=table,
        stl_dir=str(folder) if stls else "",
        history=histories[0][1] if histories else b"",
        workdir=str(folder),
    )


@st.cache_resource(show_spinner=False, max_entries=16, hash_funcs=_HASH)
def get_catalog(source: CatalogSource) -> Catalog:
    """Load and validate the catalog of ``source`` (cached on its digest).

    Raises
    ------
    CatalogError
        If the table cannot be read or lacks a required column.
    """
    if source.is_demo:
        return load_demo_catalog()
    catalog = load_catalog(
        source.data,
        name=source.file_name,
        stl_dir=source.stl_dir or None,
        history=source.history or None,
    )
    extracted = catalog.stl_dir
    if (
        extracted is not None
        and Path(extracted).name.startswith(EXTRACT_DIR_PREFIX)
        and str(extracted) != source.stl_dir
    ):
        _link_extraction(source, Path(extracted))
    return catalog


def _link_extraction(source: CatalogSource, extracted: Path) -> None:
    """Tie a ZIP's extraction folder to its upload: a link in the upload folder.

    With no upload folder (a ZIP loaded outside a session) the extraction
    folder is left to :func:`sweep_stale_uploads`.
    """
    upload = Path(source.workdir) if source.workdir else None
    if upload is None or not upload.is_dir():
        return
    link = upload / f"{EXTRACT_LINK_PREFIX}{extracted.name}"
    with contextlib.suppress(OSError):
        link.symlink_to(extracted, target_is_directory=True)


def parts_frame(catalog: Catalog) -> pd.DataFrame:
    """The catalog's parts as a table with the DESIGN.md columns."""
    return export.parts_frame(catalog.parts)


def history_csv(history: DemandHistory | None) -> bytes:
    """A demand history as ``part_id,date,quantity`` CSV bytes (empty if none)."""
    if history is None or len(history) == 0:
        return b""
    frame = pd.DataFrame(
        {
            "part_id": np.asarray(history.part_id).astype(str),
            "date": np.datetime_as_string(
                np.asarray(history.date, dtype="datetime64[D]"), unit="D"
            ),
            "quantity": np.asarray(history.quantity),
        }
    )
    return export.csv_bytes(frame)


def edited_source(
    frame: pd.DataFrame, *, base: CatalogSource, catalog: Catalog
) -> CatalogSource:
    """Source of an edited parts table, re-validated by the core like an upload.

    The edited rows become a CSV; the STL folder, demand history and upload
    folder of the catalog they came from go with them.
    """
    stl_dir = str(catalog.stl_dir) if catalog.stl_dir else base.stl_dir
    label = base.label if base.edited else f"{base.label}, edited"
    return CatalogSource(
        label=label,
        file_name="edited_catalog.csv",
        data=export.csv_bytes(frame),
        stl_dir=stl_dir,
        history=history_csv(catalog.history),
        edited=True,
        workdir=base.workdir,
    )


def errors_frame(catalog: Catalog) -> pd.DataFrame:
    """Every bad cell of an import: row (header = 1), column, message."""
    return pd.DataFrame(
        {
            "row": [e.row for e in catalog.errors],
            "column": [e.column for e in catalog.errors],
            "message": [e.message for e in catalog.errors],
        },
        columns=["row", "column", "message"],
    )


def mapping_frame(catalog: Catalog) -> pd.DataFrame:
    """How the upload's headers were mapped onto catalog columns."""
    items = list(catalog.column_mapping.items())
    return pd.DataFrame(
        {
            "header in file": [a for a, _ in items],
            "catalog column": [b for _, b in items],
            "renamed": [a != b for a, b in items],
        },
        columns=["header in file", "catalog column", "renamed"],
    )


def catalog_metrics(catalog: Catalog) -> dict[str, float]:
    """Headline counts of a catalog: parts, printable, V/E/D, stock value."""
    parts = catalog.parts
    criticality = np.array([str(p.criticality) for p in parts], dtype=object)
    on_hand = np.fromiter((p.on_hand for p in parts), dtype=float, count=len(parts))
    unit_cost = np.fromiter((p.unit_cost for p in parts), dtype=float, count=len(parts))
    printable = np.fromiter((p.printable for p in parts), dtype=bool, count=len(parts))
    return {
        "parts": len(parts),
        "printable": int(printable.sum()),
        "vital": int((criticality == "V").sum()),
        "essential": int((criticality == "E").sum()),
        "desirable": int((criticality == "D").sum()),
        "stock_value": float(on_hand @ unit_cost),
        "bad_rows": len({e.row for e in catalog.errors}),
    }


# -- scenarios ----------------------------------------------------------------


def scenario_json(scenario: Scenario | None) -> str:
    """A scenario as canonical JSON text ("" for none), the cache key of scenarios."""
    if scenario is None:
        return ""
    return json.dumps(scenario_to_dict(scenario), sort_keys=True)


def scenario_from_json(text: str) -> Scenario | None:
    """Inverse of :func:`scenario_json`.

    Raises
    ------
    ScenarioError
        If the text is not a valid scenario.
    """
    if not text:
        return None
    return parse_scenarios(json.loads(text))[0]


def preset_names() -> list[str]:
    """Names of the preset scenarios, in their order."""
    return list(PRESETS)


def preset(name: str) -> Scenario:
    """The preset scenario called ``name``."""
    return PRESETS[name]


def scenario_file(data: bytes, name: str) -> list[Scenario]:
    """Scenarios of an uploaded JSON/YAML file.

    Raises
    ------
    ScenarioError
        If the file is not valid JSON/YAML or holds an unknown event type or field.
    """
    return load_scenarios(data, name=name)


def build_scenario(
    *, name: str, horizon_days: int, events: Sequence[Mapping[str, object]]
) -> Scenario:
    """A scenario from widget values, validated by the core's parser.

    Raises
    ------
    ScenarioError
        If an event misses a field its type needs or a value is out of range.
    """
    if not events:
        raise ScenarioError(f"scenario {name!r}: add at least one event")
    data = {"name": name, "horizon_days": int(horizon_days), "events": list(events)}
    return parse_scenarios(data)[0]


# -- policy -------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs=_HASH)
def policy_table(source: CatalogSource, scenario_text: str) -> pd.DataFrame:
    """policy.csv of the catalog under a scenario ("" = none) as a table.

    Raises
    ------
    PlannerError
        If the catalog or the scenario is invalid.
    """
    catalog = get_catalog(source)
    result = compute_policy(catalog, scenario_from_json(scenario_text))
    return export.policy_frame(result.rows)


@st.cache_resource(show_spinner=False, max_entries=16, hash_funcs=_HASH)
def get_budget_result(
    source: CatalogSource, scenario_text: str, budget: float, objective: str
) -> BudgetResult:
    """The budget frontier and the allocation at ``budget`` (core: marginal analysis).

    Raises
    ------
    PlannerError
        If the catalog or the scenario is invalid.
    """
    return budget_allocation(
        get_catalog(source),
        budget,
        scenario=scenario_from_json(scenario_text),
        objective=objective,
    )


def frontier_frame(result: BudgetResult) -> pd.DataFrame:
    """The frontier's points as a table (investment, EBO, fill rate, downtime)."""
    return pd.DataFrame(result.frontier_rows())


def allocation_frame(result: BudgetResult) -> pd.DataFrame:
    """Per part: the level allocated at the budget beside the target-driven level."""
    return pd.DataFrame(result.columns)


def policy_metrics(frame: pd.DataFrame) -> dict[str, float]:
    """Totals of a policy table (core: planner.plan.policy_totals)."""
    return policy_totals({c: frame[c].to_numpy() for c in frame.columns})


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV bytes, no index."""
    return export.csv_bytes(frame)


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """Tables as one XLSX workbook, one sheet each."""
    return export.to_xlsx(dict(sheets))


# -- plan ---------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def demo_printers() -> tuple[Printer, ...]:
    """The demo lab's printers (catalog/printers.csv)."""
    return tuple(load_demo_printers())


@st.cache_resource(show_spinner=False)
def demo_materials() -> Mapping[str, Material]:
    """The demo materials (catalog/materials.csv), keyed by upper-case name.

    Read-only: the one object is shared by every session.
    """
    return types.MappingProxyType(dict(load_demo_materials()))


def default_request(source: CatalogSource) -> PlanRequest:
    """All demo printers, no budget, no scenario."""
    return PlanRequest(
        source=source, printer_ids=tuple(p.printer_id for p in demo_printers())
    )


def lab_printers(request: PlanRequest) -> tuple[Printer, ...]:
    """The printers a request plans with, a duplicated one appended for what-ifs.

    Raises
    ------
    PlannerError
        If a printer id is not in the lab, or no printer is chosen.
    """
    by_id = {p.printer_id: p for p in demo_printers()}
    unknown = [pid for pid in (*request.printer_ids, request.duplicate_printer) if pid]
    unknown = [pid for pid in unknown if pid not in by_id]
    if unknown:
        raise PlannerError(
            f"printer {unknown[0]!r} is not in the lab; choose from {', '.join(by_id)}"
        )
    chosen = [by_id[pid] for pid in request.printer_ids]
    if request.duplicate_printer:
        taken = {p.printer_id for p in chosen} | set(by_id)
        n = 2
        while f"{request.duplicate_printer}-{n}" in taken:
            n += 1
        chosen.append(
            dataclasses.replace(
                by_id[request.duplicate_printer],
                printer_id=f"{request.duplicate_printer}-{n}",
            )
        )
    return tuple(chosen)


@st.cache_resource(show_spinner=False, max_entries=8, hash_funcs=_HASH)
def get_plan(request: PlanRequest) -> PlanResult:
    """The whole plan (policy, estimates, sourcing, queue) for a request.

    Raises
    ------
    InfeasibleError
        If the sourcing model has no feasible plan (e.g. the budget is too small).
    PlannerError
        If the catalog, a scenario or the printers are invalid.
    """
    catalog = get_catalog(request.source)
    scenarios = [scenario_from_json(t) for t in request.scenario_texts]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlannerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        printers = lab_printers(request)
        return run_plan(
            catalog,
            printers,
            demo_materials(),
            scenarios=[s for s in scenarios if s is not None],
            params=SourcingParams(budget=request.budget),
            estimates=get_estimates(request.source, printers),
        )


@st.cache_resource(show_spinner=False, max_entries=8, hash_funcs=_HASH)
def get_estimates(
    source: CatalogSource, printers: tuple[Printer, ...]
) -> EstimateResult:
    """Print estimates of the catalog's printable parts on these printers.

    Cached apart from the plan, so a new budget or scenario re-plans in a
    fraction of a second instead of slicing every STL again.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlannerWarning)
        return estimate_parts(get_catalog(source).parts, printers, demo_materials())


def sourcing_summary(result: PlanResult) -> dict[str, float]:
    """Headline figures of a plan: objective vs all-buy, investment, parts per mode."""
    core = summary_dict(result.sourcing)
    baseline = core["baseline_cost"]
    summary: dict[str, float] = {
        "objective": core["objective"],
        "baseline_cost": baseline,
        "savings": core["savings"],
        "savings_frac": core["savings"] / baseline if baseline > 0 else 0.0,
        "total_investment": core["total_investment"],
        "print_jobs": len(result.queue.jobs),
    }
    for mode, count in core["n_parts_by_mode"].items():
        summary[f"n_{mode}"] = int(count)
    return summary


def summary_delta(base: PlanResult, other: PlanResult) -> dict[str, float]:
    """``other`` minus ``base`` for every headline figure."""
    a, b = sourcing_summary(base), sourcing_summary(other)
    return {k: b[k] - a[k] for k in a}


def usage_frame(result: PlanResult) -> pd.DataFrame:
    """Printer hours used vs allowed per year, with the utilisation fraction."""
    frame = pd.DataFrame(
        result.sourcing.printer_usage,
        columns=["printer_id", "capacity_hours", "used_hours"],
    )
    capacity = frame["capacity_hours"].to_numpy(dtype=float)
    used = frame["used_hours"].to_numpy(dtype=float)
    frame["utilisation_frac"] = np.divide(
        used, capacity, out=np.zeros_like(used), where=capacity > 0
    )
    return frame


def sourcing_frame(result: PlanResult) -> pd.DataFrame:
    """sourcing.csv: mode, printer, reason and every mode's figures."""
    return export.sourcing_frame(sourcing_table(result.sourcing, result.options))


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs=_HASH)
def sweep_frame(request: PlanRequest) -> pd.DataFrame:
    """The optimum at a range of budgets (core: planner.plan.budget_sweep)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlannerWarning)
        return pd.DataFrame(budget_sweep(get_plan(request), n_points=12))


def option_frame(table: pd.DataFrame, part_id: str) -> pd.DataFrame:
    """One part's options from the sourcing table: cost, printer hours, investment.

    Reshapes sourcing.csv's ``cost_<mode>`` columns; infeasible options have no
    cost. No figure is computed here.
    """
    row = table.loc[table["part_id"] == part_id].iloc[0]
    modes = ("buy_stock", "print_stock", "print_on_demand", "hybrid")
    return pd.DataFrame(
        {
            "mode": list(modes),
            "annual_cost": [row[f"cost_{m}"] for m in modes],
            "printer_hours_per_year": [row[f"printer_hours_{m}"] for m in modes],
            "investment": [row[f"investment_{m}"] for m in modes],
            "chosen": [m == row["mode"] for m in modes],
        }
    )


def part_reason(table: pd.DataFrame, part_id: str) -> str:
    """The optimiser's reason for the part's mode."""
    return str(table.loc[table["part_id"] == part_id, "reason"].iloc[0])


def part_label(result: PlanResult, part_id: str) -> str:
    """The part's description."""
    for part in result.catalog.parts:
        if part.part_id == part_id:
            return part.description
    return ""


def estimates_frame(result: PlanResult) -> pd.DataFrame:
    """Print estimates of the plan's parts on each printer (core: estimate_rows)."""
    return pd.DataFrame(estimate_rows(result.estimates))


def sourcing_display_order(frame: pd.DataFrame) -> list[str]:
    """Columns of the sourcing table with each figure's modes side by side."""
    first = ["part_id", "mode", "printer_id", "reason"]
    grouped = [
        c
        for prefix in ("cost_", "investment_", "printer_hours_")
        for c in frame.columns
        if c.startswith(prefix)
    ]
    return first + grouped + [c for c in frame.columns if c not in first + grouped]


def plan_warnings(result: PlanResult) -> tuple[str, ...]:
    """What the plan noticed but worked around (unreadable STLs, late jobs)."""
    return tuple(result.warnings)


# -- simulation ---------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=16, hash_funcs=_HASH)
def get_simulation(
    request: PlanRequest, scenario_text: str, n_paths: int, seed: int, baseline: bool
) -> SimulationResult:
    """Monte Carlo of the plan (or the all-buy baseline) under a scenario.

    Raises
    ------
    PlannerError
        If the plan or the scenario is invalid.
    """
    scenario = scenario_from_json(scenario_text)
    if scenario is None:
        raise ScenarioError("simulation: choose or build a scenario first")
    result = get_plan(request)
    return simulate(
        simulation_plan(result, baseline=baseline),
        scenario,
        n_paths=int(n_paths),
        seed=int(seed),
        printers=result.printers,
    )


# -- print queue --------------------------------------------------------------


def queue_table(result: PlanResult) -> pd.DataFrame:
    """print_queue.csv as a table (DESIGN.md columns, ISO 8601 times)."""
    return export.queue_frame(result.queue)


def gantt_frame(result: PlanResult) -> pd.DataFrame:
    """One bar per job: printer, start, end, part, priority and criticality."""
    criticality = {p.part_id: str(p.criticality) for p in result.catalog.parts}
    jobs = result.queue.jobs
    return pd.DataFrame(
        {
            "printer_id": [j.printer_id for j in jobs],
            "job_id": [j.job_id for j in jobs],
            "plate_id": [j.plate_id for j in jobs],
            "part_id": [j.part_id for j in jobs],
            "quantity": [j.quantity for j in jobs],
            "priority": [float(j.priority) for j in jobs],
            "criticality": [criticality.get(j.part_id, "") for j in jobs],
            "start": pd.to_datetime([j.start for j in jobs]),
            "end": pd.to_datetime([j.end for j in jobs]),
            "due": pd.to_datetime([j.due for j in jobs]),
        }
    )


def queue_metrics(result: PlanResult) -> dict[str, float]:
    """Totals of the print queue (core: planner.plan.queue_totals)."""
    return queue_totals(result.queue)


def priority_frame(result: PlanResult) -> pd.DataFrame:
    """Part priorities of the queue (one row per printed part) for editing."""
    frame = gantt_frame(result)
    if frame.empty:
        return pd.DataFrame(columns=["part_id", "criticality", "priority"])
    return (
        frame.groupby("part_id", as_index=False, sort=False)
        .agg(criticality=("criticality", "first"), priority=("priority", "max"))
        .sort_values("priority", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def priorities_json(frame: pd.DataFrame) -> str:
    """Edited part priorities as canonical JSON text (the cache key of a re-run)."""
    pairs = sorted(
        (str(p), float(v))
        for p, v in zip(frame["part_id"], frame["priority"], strict=True)
    )
    return json.dumps(pairs)


@st.cache_resource(show_spinner=False, max_entries=8, hash_funcs=_HASH)
def get_queue_plan(request: PlanRequest, priorities_text: str) -> PlanResult:
    """The plan with its print queue rebuilt under edited part priorities.

    Raises
    ------
    PlannerError
        If the plan cannot be built.
    """
    result = get_plan(request)
    if not priorities_text:
        return result
    overrides = dict(json.loads(priorities_text))
    queue = requeue(result, overrides)
    return dataclasses.replace(result, queue=queue)


def requeue(result: PlanResult, part_priorities: Mapping[str, float]) -> PrintQueue:
    """The plan's print queue re-sequenced under edited part priorities (core)."""
    scenario = result.scenarios[0] if result.scenarios else None
    return resequence_queue(
        result.queue, result.printers, part_priorities, scenario=scenario
    )


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs=_HASH)
def queue_csv(request: PlanRequest, priorities_text: str) -> bytes:
    """print_queue.csv bytes."""
    return csv_bytes(queue_table(get_queue_plan(request, priorities_text)))


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs=_HASH)
def queue_json(request: PlanRequest, priorities_text: str) -> bytes:
    """queue.json bytes (the print package's canonical queue)."""
    result = get_queue_plan(request, priorities_text)
    document = export.queue_to_json(
        result.queue, result.printers, result.estimates.estimates
    )
    return export.json_text(document).encode()


@st.cache_data(show_spinner=False, max_entries=16, hash_funcs=_HASH)
def plan_xlsx(request: PlanRequest, priorities_text: str) -> bytes:
    """One workbook with the print queue, the policy and the sourcing decisions."""
    result = get_queue_plan(request, priorities_text)
    return xlsx_bytes(
        {
            "queue": queue_table(result),
            "policy": export.policy_frame(result.policy.rows),
            "sourcing": sourcing_frame(result),
        }
    )


@st.cache_data(show_spinner=False, max_entries=8, hash_funcs=_HASH)
def print_package(request: PlanRequest, priorities_text: str) -> bytes:
    """print_package.zip bytes (queue.json/csv, STLs, 3MF plates, job manifests)."""
    result = get_queue_plan(request, priorities_text)
    return export.print_package_bytes(
        result.queue,
        result.catalog.parts,
        result.printers,
        result.estimates.estimates,
        result.estimates.rotation,
    )


# -- what-if comparison (Scenarios page) ---------------------------------------


def replan_request(request: PlanRequest, scenario_text: str) -> PlanRequest:
    """The same plan settings, optimised against ``scenario_text`` alone."""
    return dataclasses.replace(request, scenario_texts=(scenario_text,))


def whatif_runs(
    request: PlanRequest,
    scenario_texts: Sequence[str],
    *,
    n_paths: int,
    seed: int,
    plans: Sequence[str],
    replanned: Sequence[str] = (),
) -> dict[str, SimulationResult]:
    """Every scenario x plan run on one seed (common random numbers), labelled.

    ``plans`` holds :data:`planner.whatif.PLAN_LABEL` and/or
    :data:`planner.whatif.BASELINE_LABEL`; a scenario whose text is in
    ``replanned`` also runs the plan re-optimised under it
    (:data:`planner.whatif.REPLAN_LABEL`). Each run comes from the cached
    :func:`get_simulation`, keyed by the plan request's digest and the scenario
    text, so re-running the page costs nothing.

    Raises
    ------
    PlannerError
        If the plan, a re-plan or a scenario is invalid.
    """
    runs: dict[str, SimulationResult] = {}
    for text in scenario_texts:
        name = scenario_from_json(text).name
        kinds = [(p, request, p == whatif.BASELINE_LABEL) for p in plans]
        if text in replanned:
            kinds.append((whatif.REPLAN_LABEL, replan_request(request, text), False))
        for plan_label, plan_request, baseline in kinds:
            label = whatif.run_label(name, plan_label)
            n = 2
            while label in runs:
                label = whatif.run_label(f"{name} ({n})", plan_label)
                n += 1
            runs[label] = get_simulation(plan_request, text, n_paths, seed, baseline)
    return runs


@st.cache_resource(show_spinner=False, max_entries=8)
def get_saved_results(data: bytes, name: str) -> dict[str, SimulationResult]:
    """Runs of an uploaded results file (cached on its bytes).

    Raises
    ------
    ScenarioError
        If the file is not a results file the core can read.
    """
    return whatif.results_from_json(data, name=name)


@st.cache_resource(show_spinner=False)
def start_kernel_warm_up() -> threading.Thread:
    """Compile the estimator's kernels in a background thread, once per server.

    The first estimate on a machine compiles them (about 10 s, then cached on
    disk); started when the app opens, this is done while the user looks at the
    catalog, before the first plan needs it.
    """
    thread = threading.Thread(
        target=warm_up_kernels, name="sparecast-kernel-warm-up", daemon=True
    )
    thread.start()
    return thread
