"""Command-line interface: ``python -m planner validate|estimate|policy|plan|simulate``.

Exit status 0 on success, 2 on invalid input or a plan the solver cannot find
(the errors go to stderr, one line each, no traceback), 130 when interrupted
(Ctrl-C). Machine-readable output (``--format json``, ``simulate``) goes to stdout
and nothing else does: solver banners are sent to stderr. Output files are
written atomically (:mod:`planner.export`), so an interrupt leaves each one
either as it was or complete; ``plan --out DIR`` writes only its own files into
``DIR``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.catalog import DEMO_DIR, Catalog, load_catalog, load_demo_catalog
from planner.errors import PlannerError, PlannerWarning, ScenarioError
from planner.heap import keep_freed_memory
from planner.printers import (
    Material,
    Printer,
    load_demo_materials,
    load_demo_printers,
    load_materials,
    load_printers,
    load_prusa_ini,
)

if TYPE_CHECKING:
    import pandas as pd

    from planner.scenarios import Scenario, SimulationPlan, SimulationResult

EXIT_OK = 0
EXIT_INVALID = 2
#: Exit status after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to file descriptor 1 (solver banners) to stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@contextlib.contextmanager
def _planner_warnings_as_lines() -> Iterator[None]:
    """Report each PlannerWarning raised in the block as one ``warning:`` line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PlannerWarning)
        yield
    for note in dict.fromkeys(str(w.message) for w in caught):
        print(f"warning: {note}", file=sys.stderr)


def _load_catalog(args: argparse.Namespace) -> Catalog:
    """The catalog named on the command line, or the demo catalog.

    A ZIP is extracted into a fresh temporary folder, removed when the command ends.
    """
    if args.catalog is None:
        return load_demo_catalog()
    catalog = load_catalog(Path(args.catalog), stl_dir=getattr(args, "stl_dir", None))
    folder = catalog.stl_dir
    if (
        Path(args.catalog).suffix.lower() == ".zip"
        and folder is not None
        and folder.name.startswith("sparecast_catalog_")
        and folder.parent == Path(tempfile.gettempdir()).resolve()
    ):
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return catalog


def _report_bad_rows(catalog: Catalog) -> None:
    """Write every bad row and warning of an import to stderr."""
    for err in catalog.errors:
        print(f"error: {err}", file=sys.stderr)
    for note in catalog.warnings:
        print(f"warning: {note}", file=sys.stderr)


def _load_printers(path: str | None) -> tuple[tuple[Printer, ...], dict[str, Material]]:
    """Printers and materials: the demo lab, or a printers.csv (materials beside it)."""
    if path is None:
        return load_demo_printers(), load_demo_materials()
    printers_path = Path(path)
    printers = load_printers(printers_path, profile_dir=printers_path.parent)
    materials_path = printers_path.parent / "materials.csv"
    materials = (
        load_materials(materials_path)
        if materials_path.exists()
        else load_demo_materials()
    )
    return printers, materials


def _load_scenarios(paths: Sequence[str] | None):
    from planner.scenarios import load_scenarios

    scenarios = []
    for path in paths or ():
        scenarios.extend(load_scenarios(Path(path)))
    return scenarios


def _emit(text: str, out: str | None) -> None:
    """Text to a file (atomically) or, without ``out``, to stdout."""
    from planner.export import atomic_write_text

    if out:
        atomic_write_text(Path(out), text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _write_table(rows: list[dict], fmt: str, out: str | None) -> None:
    """Rows as CSV or JSON to a file (atomically) or stdout."""
    from planner.export import rows_to_csv

    _emit(
        json.dumps(rows, indent=2, default=_json_default)
        if fmt == "json"
        else rows_to_csv(rows),
        out,
    )


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


# -- commands -----------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a catalog: the header mapping, then every bad row; exit 2 if any."""
    catalog = _load_catalog(args)
    for source, target in catalog.column_mapping.items():
        if source != target:
            print(f"column {source!r} -> {target}")
    _report_bad_rows(catalog)
    n_bad = len({e.row for e in catalog.errors})
    n_bad_history = len({e.row for e in catalog.history_errors})
    print(
        f"{len(catalog.parts)} valid parts, {n_bad} rows with errors"
        + (f", {n_bad_history} bad demand-history rows" if n_bad_history else "")
    )
    return EXIT_INVALID if catalog.errors or catalog.history_errors else EXIT_OK


def cmd_estimate(args: argparse.Namespace) -> int:
    """Print time, filament and cost of STL files on one printer profile."""
    from planner.geometry import load_stl
    from planner.orientation import choose_orientation
    from planner.slicing import estimate_print

    printers, materials = _load_printers(None)
    if args.config:
        profile = load_prusa_ini(Path(args.config))
        printer = next(p for p in printers if p.printer_id == "P1")
        hourly_rate = printer.hourly_rate
        printer_id = Path(args.config).stem
    else:
        by_id = {p.printer_id: p for p in printers}
        if args.printer not in by_id:
            raise PlannerError(
                f"--printer must be one of {', '.join(by_id)}, got {args.printer!r}"
            )
        printer = by_id[args.printer]
        profile, hourly_rate, printer_id = (
            printer.profile,
            printer.hourly_rate,
            printer.printer_id,
        )
    material = materials.get(args.material.upper())
    if material is None:
        raise PlannerError(
            f"--material must be one of {', '.join(materials)}, got {args.material!r}"
        )
    if args.engine == "prusaslicer":
        return _estimate_with_prusaslicer(args, hourly_rate)
    rows = []
    failed = False
    for path in args.stl:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", PlannerWarning)
                mesh = load_stl(Path(path), name=Path(path).name)
                orientation = ""
                if args.orient:
                    choice = choose_orientation(
                        mesh,
                        profile=profile,
                        material=material,
                        printer=None if args.config else printer,
                        hourly_rate=hourly_rate,
                    )
                    est, orientation = choice.estimate, choice.label
                    print(f"{path}: {choice.reason}", file=sys.stderr)
                else:
                    est = estimate_print(
                        mesh,
                        profile=profile,
                        material=material,
                        hourly_rate=hourly_rate,
                        printer_id=printer_id,
                    )
            for w in caught:
                print(f"warning: {path}: {w.message}", file=sys.stderr)
            for note in est.warnings:
                print(f"warning: {path}: {note}", file=sys.stderr)
        except PlannerError as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            failed = True
            continue
        row = {
            "file": path,
            "triangles": est.triangles,
            "volume_mm3": round(est.volume_mm3, 3),
            "bbox_x_mm": round(est.bbox_x_mm, 3),
            "bbox_y_mm": round(est.bbox_y_mm, 3),
            "bbox_z_mm": round(est.bbox_z_mm, 3),
            "layers": est.layers,
            "print_time_s": round(est.print_time_s, 1),
            "filament_mm": round(est.filament_mm, 2),
            "filament_g": round(est.filament_g, 3),
            "material_cost": round(est.material_cost, 4),
            "machine_cost": round(est.machine_cost, 4),
            "total_cost": round(est.total_cost, 4),
        }
        if args.orient:
            row["orientation"] = orientation
        rows.append(row)
    if rows:
        _write_table(rows, args.format, None)
    return EXIT_INVALID if failed else EXIT_OK


def _estimate_with_prusaslicer(args: argparse.Namespace, hourly_rate: float) -> int:
    """`estimate --engine prusaslicer`: PrusaSlicer's own figures, same columns."""
    from planner.prusaslicer_engine import estimate_with_prusaslicer

    if not args.config:
        raise PlannerError(
            "--engine prusaslicer needs --config FILE.ini (the PrusaSlicer config "
            "to slice with)"
        )
    rows, failed = [], False
    for path in args.stl:
        try:
            out = estimate_with_prusaslicer(
                Path(path), Path(args.config), hourly_rate=hourly_rate
            )
        except PlannerError as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            failed = True
            continue
        rows.append({"file": path, **{k: v for k, v in out.items() if k != "file"}})
    if rows:
        _write_table(rows, args.format, None)
    return EXIT_INVALID if failed else EXIT_OK


def cmd_policy(args: argparse.Namespace) -> int:
    """Stock policy per part; bad rows go to stderr and the good ones are planned."""
    from planner.export import policy_frame_from_columns
    from planner.plan import compute_policy

    catalog = _load_catalog(args)
    _report_bad_rows(catalog)
    scenarios = _load_scenarios([args.scenario] if args.scenario else None)
    if args.budget is not None or args.frontier:
        return _budget_policy(args, catalog, scenarios)
    result = compute_policy(catalog, scenarios)
    frame = policy_frame_from_columns(result.columns)
    return _write_frame(frame, args)


def _write_frame(frame, args: argparse.Namespace) -> int:
    """A policy table as ``--format`` csv or json, atomically to ``--out`` or stdout."""
    if args.format == "json":
        _emit(frame.to_json(orient="records", indent=2, double_precision=15), args.out)
    else:
        _emit(frame.to_csv(index=False, lineterminator="\n"), args.out)
    return EXIT_OK


def _budget_policy(args: argparse.Namespace, catalog: Catalog, scenarios) -> int:
    """`policy --budget/--frontier`: the best allocation at a budget, the frontier."""
    import pandas as pd

    from planner.export import atomic_write_text
    from planner.plan import budget_allocation

    if len(scenarios) > 1:
        print(
            f"warning: the frontier uses the first of {len(scenarios)} scenarios, "
            f"{scenarios[0].name!r}",
            file=sys.stderr,
        )
    result = budget_allocation(
        catalog,
        args.budget,
        scenario=scenarios[0] if scenarios else None,
        objective=args.objective,
    )
    if args.frontier:
        curve = pd.DataFrame(result.frontier_rows())
        atomic_write_text(Path(args.frontier), curve.to_csv(index=False))
    alloc = result.allocation
    if alloc is None:
        f = result.frontier
        print(
            f"frontier: {len(f.investment)} points from {f.investment[0]:,.0f} to "
            f"{f.investment[-1]:,.0f}; written to {args.frontier}",
            file=sys.stderr,
        )
        return EXIT_OK
    print(
        f"budget {args.budget:,.0f}: investment {alloc.investment:,.0f}, expected "
        f"backorders {alloc.total_ebo:.4f}, fill rate {alloc.fill_rate:.4f}, expected "
        f"downtime cost {alloc.expected_downtime_cost:,.0f}/yr, {alloc.n_units} units",
        file=sys.stderr,
    )
    frame = pd.DataFrame(result.columns)
    return _write_frame(frame, args)


def cmd_plan(args: argparse.Namespace) -> int:
    """The whole plan into --out DIR (policy, sourcing, summary, queue, package)."""
    from planner.export import write_plan_outputs
    from planner.plan import run_plan
    from planner.sourcing import SourcingParams

    catalog = _load_catalog(args)
    _report_bad_rows(catalog)
    printers, materials = _load_printers(args.printers)
    scenarios = _load_scenarios(args.scenario)
    params = SourcingParams(
        budget=args.budget,
        min_fill_rate_by_criticality=_min_fill_rates(args.min_fill_rate),
        material_budget_per_year=args.material_budget,
        time_limit_s=args.time_limit,
    )
    print(
        f"planning {len(catalog.parts)} parts on {len(printers)} printers ...",
        file=sys.stderr,
        flush=True,
    )
    with stdout_to_stderr(), _planner_warnings_as_lines():
        result = run_plan(
            catalog, printers, materials, scenarios=scenarios, params=params
        )
    for note in result.estimates.warnings + tuple(result.queue.warnings):
        print(f"warning: {note}", file=sys.stderr)
    written = write_plan_outputs(Path(args.out), result)
    if args.sweep:
        import pandas as pd

        from planner.export import atomic_write_text
        from planner.plan import budget_sweep

        with stdout_to_stderr(), _planner_warnings_as_lines():
            rows = budget_sweep(result, n_points=args.sweep)
        sweep_path = Path(args.out) / "budget_sweep.csv"
        atomic_write_text(sweep_path, pd.DataFrame(rows).to_csv(index=False))
        written.append(sweep_path)
    summary = result.sourcing
    print(
        f"planned {len(catalog.parts)} parts: objective {summary.objective:,.0f}/yr "
        f"vs all-buy {summary.baseline_cost:,.0f}/yr; "
        f"{len(result.queue.jobs)} print jobs; wrote {', '.join(p.name for p in written)} "
        f"to {args.out}"
    )
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    """Monte Carlo of the plan under one or more scenarios, JSON (or CSV) on stdout.

    Exactly one scenario and no ``--load`` prints DESIGN's ``simulate`` record
    (with ``baseline`` and ``comparison`` under ``--baseline``); more runs print
    ``{reference, runs, comparison}``, the comparison being
    :func:`planner.whatif.comparison_table`'s records. ``--track`` adds
    ``on_hand_quantiles`` and ``on_hand_bands``, ``--replan`` adds ``replan``.
    """
    from planner.whatif import comparison_table, results_to_json

    scenarios = _scenarios_from_specs(args.scenario_specs or ())
    loaded = _load_results(args.load or ())
    if not scenarios and not loaded:
        raise PlannerError(
            "simulate: give at least one --scenario FILE or --preset NAME "
            "(or --load FILE to compare saved runs)"
        )
    if not scenarios and (args.replan or args.save):
        raise PlannerError(
            f"{'--replan' if args.replan else '--save'} needs a scenario to "
            "simulate: give --scenario FILE or --preset NAME"
        )
    runs: dict[str, SimulationResult] = {}
    single: dict[str, Any] = {}
    replan: dict[str, Any] | None = None
    if scenarios:
        runs, single, replan = _simulate_scenarios(args, scenarios)
    simulated = dict(runs)
    for label, file_name, result in loaded:
        # as the Scenarios page labels uploads: the file name only on a clash
        key = f"saved: {label}"
        if key in runs:
            key = _unique_label(runs, f"saved ({file_name}): {label}")
        runs[key] = result

    is_single = len(scenarios) == 1 and not loaded
    table = None
    if not is_single or args.reference is not None or args.format == "csv":
        table = comparison_table(runs, reference=args.reference)
    bands = _on_hand_bands(runs, args.track) if args.track else {}
    if args.save:
        from planner.export import atomic_write_text

        text = results_to_json(simulated, scenarios=scenarios)
        atomic_write_text(Path(args.save), text)
        print(f"saved {len(simulated)} runs to {args.save}", file=sys.stderr)
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False, lineterminator="\n"))
        return EXIT_OK
    if is_single:
        payload = single
    else:
        payload = {
            "reference": args.reference
            if args.reference is not None
            else next(iter(runs)),
            "runs": [{"label": label, **r.to_dict()} for label, r in runs.items()],
            "comparison": _records(table),
        }
    payload.update(bands)
    if replan is not None:
        payload["replan"] = replan
    sys.stdout.write(json.dumps(payload, indent=2, default=_json_default) + "\n")
    return EXIT_OK


def _simulate_scenarios(
    args: argparse.Namespace, scenarios: Sequence[Scenario]
) -> tuple[dict[str, SimulationResult], dict[str, Any], dict[str, Any] | None]:
    """Plan once, then simulate every scenario on one seed (common random numbers).

    Returns the labelled runs (per scenario: the plan, then the all-buy baseline
    with ``--baseline``; the re-plan last with ``--replan``), the one-scenario
    ``simulate`` record of the first scenario, and the ``replan`` block.
    """
    from planner.plan import run_plan, simulation_plan
    from planner.scenarios import compare, simulate
    from planner.sourcing import SourcingParams
    from planner.whatif import (
        BASELINE_LABEL,
        PLAN_LABEL,
        REPLAN_LABEL,
        plan_delta,
        plan_diff,
        run_label,
    )

    catalog = _load_catalog(args)
    _report_bad_rows(catalog)
    known = {p.part_id for p in catalog.parts}
    for part_id in args.track or ():
        if part_id not in known:
            raise PlannerError(
                f"--track {part_id}: no part with that id in the catalog"
            )
    printers, materials = _load_printers(args.printers)
    with stdout_to_stderr():
        result = run_plan(
            catalog, printers, materials, scenarios=(), params=SourcingParams()
        )
    assignment = _read_saved_sourcing(Path(args.plan)) if args.plan else None
    sim_plan = simulation_plan(result, assignment=assignment)
    base_plan = simulation_plan(result, baseline=True) if args.baseline else None
    track = list(dict.fromkeys(args.track)) if args.track else None

    def run(plan: SimulationPlan, scenario: Scenario) -> SimulationResult:
        return simulate(
            plan,
            scenario,
            n_paths=args.paths,
            seed=args.seed,
            printers=printers,
            track_parts=track,
        )

    runs: dict[str, SimulationResult] = {}
    single: dict[str, Any] = {}
    for i, scenario in enumerate(scenarios):
        plan_sim = run(sim_plan, scenario)
        runs[_unique_label(runs, run_label(scenario.name, PLAN_LABEL))] = plan_sim
        record = plan_sim.to_dict()
        if base_plan is not None:
            base_sim = run(base_plan, scenario)
            runs[_unique_label(runs, run_label(scenario.name, BASELINE_LABEL))] = (
                base_sim
            )
            record["baseline"] = base_sim.to_dict()
            record["comparison"] = compare({"baseline": base_sim, "plan": plan_sim})
        if i == 0:
            single = record
    if not args.replan:
        return runs, single, None
    first = scenarios[0]
    if args.plan:
        print(
            "warning: --replan compares with the plan optimised from the catalog, "
            "not with the choices saved in --plan",
            file=sys.stderr,
        )
    with stdout_to_stderr(), _planner_warnings_as_lines():
        after = run_plan(
            catalog,
            printers,
            materials,
            scenarios=(first,),
            params=result.params,
            estimates=result.estimates,
        )
    label = _unique_label(runs, run_label(first.name, REPLAN_LABEL))
    runs[label] = run(simulation_plan(after), first)
    replan = {
        "scenario": first.name,
        "run": label,
        "delta": _records(plan_delta(result, after)),
        "changed_parts": _records(plan_diff(result, after)),
        "simulation": runs[label].to_dict(),
    }
    return runs, single, replan


def _preset(name: str) -> Scenario:
    """The preset scenario called ``name`` (letter case and spacing aside).

    Raises
    ------
    PlannerError
        If no preset has that name (the message lists them all).
    """
    from planner.scenarios import PRESETS

    if name in PRESETS:
        return PRESETS[name]
    folded = {" ".join(key.split()).casefold(): key for key in PRESETS}
    key = folded.get(" ".join(name.split()).casefold())
    if key is None:
        raise PlannerError(
            f"--preset must be one of {', '.join(map(repr, PRESETS))}; got {name!r}"
        )
    return PRESETS[key]


def _scenarios_from_specs(specs: Sequence[tuple[str, str]]) -> list[Scenario]:
    """The scenarios of ``--scenario FILE`` and ``--preset NAME``, in command order."""
    scenarios: list[Scenario] = []
    for kind, value in specs:
        if kind == "preset":
            scenarios.append(_preset(value))
        else:
            scenarios.extend(_load_scenarios([value]))
    return scenarios


def _load_results(paths: Sequence[str]) -> list[tuple[str, str, SimulationResult]]:
    """Runs saved by ``--save`` (or the app) as (label, file name, result).

    Raises
    ------
    ScenarioError
        If a file is larger than the core reads or is not a results file.
    """
    from planner.scenarios import MAX_RESULT_FILE_BYTES
    from planner.whatif import results_from_json

    out: list[tuple[str, str, SimulationResult]] = []
    for path in paths:
        file = Path(path)
        size_bytes = file.stat().st_size
        if size_bytes > MAX_RESULT_FILE_BYTES:
            raise ScenarioError(
                f"results file {file.name}: at most {MAX_RESULT_FILE_BYTES} bytes, "
                f"got {size_bytes}"
            )
        for label, result in results_from_json(
            file.read_bytes(), name=file.name
        ).items():
            out.append((label, file.name, result))
    return out


def _unique_label(runs: Mapping[str, object], label: str) -> str:
    """``label``, or ``label (2)``, ``label (3)``, ... if ``runs`` has it already."""
    candidate, n = label, 2
    while candidate in runs:
        candidate, n = f"{label} ({n})", n + 1
    return candidate


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON records: plain Python values, NaN as null."""
    rows = []
    for row in frame.to_dict(orient="records"):
        plain = {}
        for key, value in row.items():
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            plain[str(key)] = value
        rows.append(plain)
    return rows


def _on_hand_bands(
    runs: Mapping[str, SimulationResult], part_ids: Sequence[str]
) -> dict[str, Any]:
    """``on_hand_quantiles`` and ``on_hand_bands`` {part: {run: (days, 5) rows}}.

    Each row holds the 5/25/50/75/95 % quantiles across paths of the part's
    end-of-day stock [units] (:func:`planner.whatif.fan_frame`).

    Raises
    ------
    PlannerError
        If no run kept the daily stock of a part.
    """
    from planner.scenarios import ON_HAND_QUANTILES
    from planner.whatif import FAN_COLUMNS, fan_frame

    bands: dict[str, dict[str, list[list[float]]]] = {}
    for part_id in dict.fromkeys(part_ids):
        frame = fan_frame(runs, part_id)
        if frame.empty:
            raise PlannerError(
                f"--track {part_id}: no run kept the daily stock of that part"
            )
        bands[part_id] = {
            str(label): group[list(FAN_COLUMNS)].to_numpy(dtype=float).tolist()
            for label, group in frame.groupby("run", sort=False)
        }
    return {"on_hand_quantiles": list(ON_HAND_QUANTILES), "on_hand_bands": bands}


def _min_fill_rates(items: Sequence[str] | None) -> dict[str, float] | None:
    """``V=0.99`` style arguments as {criticality: minimum fill rate}."""
    if not items:
        return None
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = float("nan")
        if not sep or key.strip().upper() not in {"V", "E", "D"} or not 0 <= rate <= 1:
            raise PlannerError(
                f"--min-fill-rate expects CRITICALITY=RATE with V, E or D and a rate "
                f"in [0, 1], e.g. V=0.99; got {item!r}"
            )
        out[key.strip().upper()] = rate
    return out


def _read_saved_sourcing(plan_dir: Path) -> dict[str, tuple[str, str]]:
    """part_id -> (mode, printer_id) from a sourcing.csv written by `plan`."""
    import csv

    path = plan_dir / "sourcing.csv"
    if not path.is_file():
        raise PlannerError(f"--plan {plan_dir}: no sourcing.csv in that folder")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"part_id", "mode", "printer_id"} - set(reader.fieldnames or ())
        if missing:
            raise PlannerError(
                f"{path}: expected columns part_id, mode, printer_id; "
                f"missing {', '.join(sorted(missing))}"
            )
        return {row["part_id"]: (row["mode"], row["printer_id"]) for row in reader}


def _positive_seconds(text: str) -> float:
    """argparse type of --time-limit: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected seconds > 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m planner``."""
    parser = argparse.ArgumentParser(
        prog="python -m planner",
        description="Sparecast: spare-parts stock policies, print-vs-stock plans, "
        "disruption what-ifs and print queues. With no CATALOG the demo catalog "
        f"({DEMO_DIR}) is used.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def catalog_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "catalog", nargs="?", default=None, help="catalog .csv, .xlsx or .zip"
        )

    p = sub.add_parser("validate", help="check a catalog and report every bad row")
    catalog_arg(p)
    p.add_argument("--stl-dir", default=None, help="folder of the STL files")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("estimate", help="print time, filament and cost of STL files")
    p.add_argument("stl", nargs="+", help="STL files")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--config", help="a PrusaSlicer .ini profile")
    group.add_argument("--printer", default="P1", help="a demo printer id [P1]")
    p.add_argument("--material", default="PETG", help="material [PETG]")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument(
        "--orient",
        action="store_true",
        help="pick the best axis-aligned or flat-face-down orientation and report it",
    )
    p.add_argument(
        "--engine",
        choices=("planner", "prusaslicer"),
        default="planner",
        help="'prusaslicer' slices with prusa-slicer on PATH (with --config) to "
        "confirm the estimate [planner]",
    )
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("policy", help="stock policy per part")
    catalog_arg(p)
    p.add_argument("--stl-dir", default=None)
    p.add_argument("--scenario", default=None, help="scenario JSON/YAML")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", default=None, help="write to this file instead of stdout")
    p.add_argument(
        "--budget",
        type=float,
        default=None,
        help="the best stock allocation within this investment (marginal analysis)",
    )
    p.add_argument(
        "--frontier", default=None, help="write the budget frontier curve (CSV) here"
    )
    p.add_argument(
        "--objective",
        choices=("backorders", "downtime_cost"),
        default="backorders",
        help="what the frontier minimises per euro [backorders]",
    )
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser("plan", help="the whole plan into a folder")
    catalog_arg(p)
    p.add_argument("--stl-dir", default=None)
    p.add_argument("--printers", default=None, help="printers.csv")
    p.add_argument("--scenario", action="append", default=None, help="scenario file")
    p.add_argument("--budget", type=float, default=None, help="investment budget")
    p.add_argument(
        "--min-fill-rate",
        action="append",
        default=None,
        metavar="CRIT=RATE",
        help="minimum demand-weighted fill rate of a criticality class, e.g. V=0.99",
    )
    p.add_argument(
        "--material-budget",
        type=float,
        default=None,
        help="most printing material spend per year",
    )
    p.add_argument(
        "--sweep",
        type=int,
        default=None,
        metavar="N",
        help="also write budget_sweep.csv: the optimum at N budgets (cost vs fill rate)",
    )
    p.add_argument(
        "--time-limit",
        type=_positive_seconds,
        default=30.0,
        metavar="S",
        help="solver time limit per solve in seconds; when it runs out the best plan "
        "found is written with status Feasible [30]",
    )
    p.add_argument(
        "--out",
        required=True,
        help="output folder (created if missing; only the plan's own files in it "
        "are replaced, each atomically)",
    )
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser(
        "simulate",
        help="Monte Carlo what-if of the plan",
        description="Simulate the plan under each scenario on one seed (common "
        "random numbers). One scenario prints DESIGN's simulate record; more runs "
        "(several scenarios, --load) print {reference, runs, comparison}.",
    )
    catalog_arg(p)
    p.add_argument("--stl-dir", default=None)
    p.add_argument("--printers", default=None, help="printers.csv")
    p.add_argument("--plan", default=None, help="a folder written by `plan`")
    p.add_argument(
        "--scenario",
        dest="scenario_specs",
        action="append",
        type=lambda value: ("file", value),
        metavar="FILE",
        help="scenario file (JSON/YAML); repeatable, runs in the order given",
    )
    p.add_argument(
        "--preset",
        dest="scenario_specs",
        action="append",
        type=lambda value: ("preset", value),
        metavar="NAME",
        help="a named preset scenario, e.g. 'Lead times double' (repeatable; an "
        "unknown NAME exits 2 listing them all)",
    )
    p.add_argument(
        "--paths", type=int, default=500, metavar="N", help="Monte Carlo paths [500]"
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="random seed; every run uses it, so runs are paired [0]",
    )
    p.add_argument(
        "--baseline",
        action="store_true",
        help="also simulate the all-buy baseline with the same random numbers "
        "and add it (key 'baseline') and the paired differences ('comparison')",
    )
    p.add_argument(
        "--reference",
        default=None,
        metavar="LABEL",
        help="run the comparison's differences are taken against, e.g. "
        "'Lead times double · plan' [the first run]",
    )
    p.add_argument(
        "--save",
        default=None,
        metavar="FILE",
        help="write the runs simulated here to FILE (results JSON, atomically)",
    )
    p.add_argument(
        "--load",
        action="append",
        default=None,
        metavar="FILE",
        help="add the runs saved in FILE to the comparison as 'saved: LABEL' "
        "(repeatable)",
    )
    p.add_argument(
        "--track",
        action="append",
        default=None,
        metavar="PART_ID",
        help="add the part's daily on-hand 5/25/50/75/95%% quantiles per run "
        "('on_hand_bands'); repeatable",
    )
    p.add_argument(
        "--replan",
        action="store_true",
        help="re-optimise the plan under the first scenario, simulate it too and "
        "add the headline deltas and changed parts ('replan')",
    )
    p.add_argument(
        "--format",
        choices=("json", "csv"),
        default="json",
        help="csv prints only the comparison table [json]",
    )
    p.set_defaults(func=cmd_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    keep_freed_memory()
    for stream in (sys.stdout, sys.stderr):
        # part descriptions and currency signs must not crash an ASCII terminal
        if (stream.encoding or "").lower().replace("-", "") != "utf8":
            with contextlib.suppress(AttributeError, ValueError):
                stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return int(args.func(args))
    except KeyboardInterrupt:
        print(
            "interrupted: stopped; every output file is either as it was or complete",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except PlannerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID


__all__ = ["build_parser", "main", "stdout_to_stderr"]
