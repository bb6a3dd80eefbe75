"""Printer, material and print-profile records.

``printers.csv`` has one row per printer; ``materials.csv`` one row per material;
a printer may name a PrusaSlicer ``.ini`` whose settings become its
:class:`PrintProfile`.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import ProfileError

#: Largest plausible value of each numeric :class:`PrintProfile` setting (FFF
#: machines, generous): a value above it is a typo or a hostile file, and would
#: make the estimator allocate or loop without bound. [the field's unit]
_PROFILE_MAXIMA: dict[str, float] = {
    "nozzle_diameter_mm": 5.0,
    "filament_diameter_mm": 5.0,
    "layer_height_mm": 5.0,
    "first_layer_height_mm": 5.0,
    "extrusion_width_mm": 10.0,
    "perimeters": 1000,
    "top_solid_layers": 10_000,
    "bottom_solid_layers": 10_000,
    "fill_density_frac": 1.0,
    "infill_overlap_frac": 10.0,
    "first_layer_speed_frac": 10.0,
    **dict.fromkeys(
        (
            "perimeter_speed_mm_s",
            "external_perimeter_speed_mm_s",
            "small_perimeter_speed_mm_s",
            "infill_speed_mm_s",
            "solid_infill_speed_mm_s",
            "top_solid_infill_speed_mm_s",
            "gap_fill_speed_mm_s",
            "bridge_speed_mm_s",
            "support_material_speed_mm_s",
            "travel_speed_mm_s",
            "first_layer_speed_mm_s",
            "max_feedrate_mm_s",
            "max_feedrate_z_mm_s",
            "retract_speed_mm_s",
            "min_print_speed_mm_s",
        ),
        5000.0,
    ),
    **dict.fromkeys(
        (
            "max_acceleration_mm_s2",
            "travel_acceleration_mm_s2",
            "perimeter_acceleration_mm_s2",
            "infill_acceleration_mm_s2",
            "first_layer_acceleration_mm_s2",
            "retract_acceleration_mm_s2",
            "max_acceleration_z_mm_s2",
        ),
        1_000_000.0,
    ),
    **dict.fromkeys(("max_jerk_mm_s", "max_jerk_e_mm_s", "max_jerk_z_mm_s"), 10_000.0),
    "max_volumetric_speed_mm3_s": 10_000.0,
    "retract_length_mm": 1000.0,
    "retract_before_travel_mm": 10_000.0,
    "support_overhang_threshold_deg": 90.0,
    "support_density_frac": 1.0,
    "layer_change_time_s": 86_400.0,
    "slowdown_below_layer_time_s": 86_400.0,
    "solid_infill_below_area_mm2": 1e6,
}
#: Largest printers.csv, materials.csv or .ini file read. [bytes]
MAX_PROFILE_FILE_BYTES = 5_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintProfile:
    """Slicer settings the print estimator uses (FFF).

    Defaults are a 0.4 mm nozzle, 0.2 mm layer PLA/PETG profile of a desktop
    bed-slinger (MK3/MK4 class, classic perimeter generator).

    ``first_layer_speed_frac`` > 0 means the first layer runs at that fraction of
    each role's speed (a PrusaSlicer percentage); 0 means ``first_layer_speed_mm_s``.
    ``max_volumetric_speed_mm3_s`` 0 means no limit. The role accelerations
    (``perimeter_``, ``infill_``, ``first_layer_acceleration_mm_s2``) 0 mean the
    machine limit ``max_acceleration_mm_s2``. ``solid_infill_below_area_mm2``
    > 0 fills every sparse infill region smaller than that solid (PrusaSlicer
    ``solid_infill_below_area``); ``ensure_vertical_shell_thickness`` adds solid
    infill along sloped walls wherever a layer within the top or bottom solid
    layers has no infill (PrusaSlicer's option of that name).
    """

    name: str = "default 0.2 mm"
    nozzle_diameter_mm: float = 0.4
    filament_diameter_mm: float = 1.75
    layer_height_mm: float = 0.2
    first_layer_height_mm: float = 0.2
    extrusion_width_mm: float = 0.45
    perimeters: int = 2
    top_solid_layers: int = 5
    bottom_solid_layers: int = 4
    fill_density_frac: float = 0.20
    fill_pattern: str = "rectilinear"
    perimeter_speed_mm_s: float = 45.0
    external_perimeter_speed_mm_s: float = 35.0
    small_perimeter_speed_mm_s: float = 45.0
    infill_speed_mm_s: float = 80.0
    solid_infill_speed_mm_s: float = 60.0
    top_solid_infill_speed_mm_s: float = 40.0
    gap_fill_speed_mm_s: float = 40.0
    bridge_speed_mm_s: float = 40.0
    support_material_speed_mm_s: float = 50.0
    travel_speed_mm_s: float = 150.0
    first_layer_speed_mm_s: float = 25.0
    max_acceleration_mm_s2: float = 1000.0
    travel_acceleration_mm_s2: float = 1000.0
    max_jerk_mm_s: float = 8.0
    max_feedrate_mm_s: float = 200.0
    retract_length_mm: float = 0.8
    retract_speed_mm_s: float = 35.0
    retract_before_travel_mm: float = 2.0
    support_material: bool = False
    support_overhang_threshold_deg: float = 55.0
    support_density_frac: float = 0.15
    layer_change_time_s: float = 0.0
    slowdown_below_layer_time_s: float = 0.0
    min_print_speed_mm_s: float = 10.0
    # Added for the estimator and the .ini import (defaults as in the anchor
    # profile / Prusa MK3-class firmware limits).
    infill_overlap_frac: float = 0.25
    first_layer_speed_frac: float = 0.0
    max_volumetric_speed_mm3_s: float = 0.0
    perimeter_acceleration_mm_s2: float = 0.0
    infill_acceleration_mm_s2: float = 0.0
    first_layer_acceleration_mm_s2: float = 0.0
    retract_acceleration_mm_s2: float = 1000.0
    max_jerk_e_mm_s: float = 5.0
    max_feedrate_z_mm_s: float = 12.0
    max_acceleration_z_mm_s2: float = 200.0
    max_jerk_z_mm_s: float = 0.4
    solid_infill_below_area_mm2: float = 0.0
    ensure_vertical_shell_thickness: bool = False

    def __post_init__(self) -> None:
        positive = (
            "nozzle_diameter_mm",
            "filament_diameter_mm",
            "layer_height_mm",
            "first_layer_height_mm",
            "extrusion_width_mm",
            "perimeter_speed_mm_s",
            "external_perimeter_speed_mm_s",
            "infill_speed_mm_s",
            "solid_infill_speed_mm_s",
            "top_solid_infill_speed_mm_s",
            "travel_speed_mm_s",
            "first_layer_speed_mm_s",
            "max_acceleration_mm_s2",
            "travel_acceleration_mm_s2",
            "retract_acceleration_mm_s2",
            "max_jerk_mm_s",
            "max_jerk_e_mm_s",
            "max_jerk_z_mm_s",
            "max_feedrate_mm_s",
            "max_feedrate_z_mm_s",
            "max_acceleration_z_mm_s2",
            "retract_speed_mm_s",
            "min_print_speed_mm_s",
            "small_perimeter_speed_mm_s",
            "gap_fill_speed_mm_s",
            "bridge_speed_mm_s",
            "support_material_speed_mm_s",
        )
        for name in positive:
            value = getattr(self, name)
            if not value > 0:
                raise ProfileError(
                    f"profile {self.name}: {name} must be > 0, got {value!r}"
                )
        for name, high in _PROFILE_MAXIMA.items():
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value)):
                raise ProfileError(
                    f"profile {self.name}: {name} must be a finite number, "
                    f"got {value!r}"
                )
            if value > high:
                shown = f"{value:.6g}" if value >= 1e15 else repr(value)
                raise ProfileError(
                    f"profile {self.name}: {name} must be <= {high:g}, got {shown}"
                )
        for name in ("layer_height_mm", "first_layer_height_mm"):
            if getattr(self, name) > self.nozzle_diameter_mm:
                raise ProfileError(
                    f"profile {self.name}: {name} must be <= nozzle_diameter_mm "
                    f"{self.nozzle_diameter_mm:g}, got {getattr(self, name)!r}"
                )
        if not 0 <= self.fill_density_frac <= 1:
            raise ProfileError(
                f"profile {self.name}: fill_density_frac must be in [0, 1], "
                f"got {self.fill_density_frac!r}"
            )
        non_negative = (
            "infill_overlap_frac",
            "first_layer_speed_frac",
            "max_volumetric_speed_mm3_s",
            "perimeter_acceleration_mm_s2",
            "infill_acceleration_mm_s2",
            "first_layer_acceleration_mm_s2",
            "retract_length_mm",
            "retract_before_travel_mm",
            "slowdown_below_layer_time_s",
            "layer_change_time_s",
            "solid_infill_below_area_mm2",
        )
        for name in non_negative:
            value = getattr(self, name)
            if not value >= 0:
                raise ProfileError(
                    f"profile {self.name}: {name} must be >= 0, got {value!r}"
                )
        for name in ("perimeters", "top_solid_layers", "bottom_solid_layers"):
            if getattr(self, name) < 0:
                raise ProfileError(
                    f"profile {self.name}: {name} must be >= 0, "
                    f"got {getattr(self, name)!r}"
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class Material:
    """A printing material: density and price of filament."""

    material: str
    density_g_cm3: float
    cost_per_kg: float

    def __post_init__(self) -> None:
        if not self.density_g_cm3 > 0:
            raise ProfileError(
                f"material {self.material}: density_g_cm3 must be > 0, "
                f"got {self.density_g_cm3!r}"
            )
        if not self.cost_per_kg >= 0:
            raise ProfileError(
                f"material {self.material}: cost_per_kg must be >= 0, "
                f"got {self.cost_per_kg!r}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Printer:
    """One printer of the lab.

    ``hourly_rate`` is the machine cost per print hour [currency/h];
    ``hours_available_per_week`` the hours it may print in a week [h].
    """

    printer_id: str
    model: str = ""
    process: str = "FFF"
    build_x_mm: float
    build_y_mm: float
    build_z_mm: float
    nozzle_mm: float = 0.4
    hourly_rate: float
    hours_available_per_week: float
    materials: tuple[str, ...]
    profile: PrintProfile = field(default_factory=PrintProfile)

    def __post_init__(self) -> None:
        for name in ("build_x_mm", "build_y_mm", "build_z_mm", "nozzle_mm"):
            if not getattr(self, name) > 0:
                raise ProfileError(
                    f"printer {self.printer_id}: {name} must be > 0, "
                    f"got {getattr(self, name)!r}"
                )
        if not self.hourly_rate >= 0:
            raise ProfileError(
                f"printer {self.printer_id}: hourly_rate must be >= 0, "
                f"got {self.hourly_rate!r}"
            )
        if not 0 <= self.hours_available_per_week <= 168:
            raise ProfileError(
                f"printer {self.printer_id}: hours_available_per_week must be in "
                f"[0, 168], got {self.hours_available_per_week!r}"
            )

    @property
    def hours_available_per_year(self) -> float:
        """Yearly print hours available [h] (52.14 weeks)."""
        return self.hours_available_per_week * 365.0 / 7.0

    def runs(self, material: str) -> bool:
        """Whether this printer runs ``material`` (case-insensitive)."""
        return material.upper() in {m.upper() for m in self.materials}

    def fits(self, size_mm: tuple[float, float, float]) -> bool:
        """Whether a part of bounding box ``size_mm`` fits the build volume.

        The footprint may be turned 90 degrees about Z.
        """
        x, y, z = size_mm
        bx, by, bz = self.build_x_mm, self.build_y_mm, self.build_z_mm
        return z <= bz and ((x <= bx and y <= by) or (y <= bx and x <= by))


# --------------------------------------------------------------------- loaders

#: The demo catalog folder (printers.csv, materials.csv, profiles/).
DEMO_DIR = Path(__file__).resolve().parents[1] / "catalog"
#: PrusaSlicer's automatic extrusion width, as a multiple of the nozzle diameter.
AUTO_WIDTH_PER_NOZZLE = 1.125
_PRINTER_REQUIRED = (
    "printer_id",
    "build_x_mm",
    "build_y_mm",
    "build_z_mm",
    "hourly_rate",
    "hours_available_per_week",
    "materials",
)
_MATERIAL_REQUIRED = ("material", "density_g_cm3", "cost_per_kg")


def _read_text(source: str | Path | bytes, label: str) -> str:
    """Text of a path or of raw bytes.

    UTF-8 with or without BOM, UTF-16 with BOM, else cp1252. Files over
    :data:`MAX_PROFILE_FILE_BYTES` and binary data (NUL bytes) are refused.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_PROFILE_FILE_BYTES:
                raise ProfileError(
                    f"{label}: file is {size} bytes, more than the "
                    f"{MAX_PROFILE_FILE_BYTES} allowed"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise ProfileError(f"{label}: cannot read file: {exc}") from exc
    else:
        raise ProfileError(
            f"{label}: source must be a path or bytes, got {type(source).__name__}"
        )
    if len(data) > MAX_PROFILE_FILE_BYTES:
        raise ProfileError(
            f"{label}: file is {len(data)} bytes, more than the "
            f"{MAX_PROFILE_FILE_BYTES} allowed"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ProfileError(f"{label}: broken UTF-16 text ({exc})") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ProfileError(
            f"{label}: holds NUL bytes, so it is binary data, not a text file"
        )
    return text


def _label(source: str | Path | bytes, name: str | None, default: str) -> str:
    """File name for messages."""
    if name:
        return name
    if isinstance(source, str | Path):
        return Path(source).name
    return default


def _csv_rows(text: str, label: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a CSV as dicts with lower-case, stripped headers; checks columns."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise ProfileError(
            f"{label}: empty file, expected columns {', '.join(required)}"
        )
    headers = [h.strip().lower() for h in reader.fieldnames]
    missing = [c for c in required if c not in headers]
    if missing:
        raise ProfileError(
            f"{label}: missing column(s) {', '.join(missing)}; found {', '.join(headers)}"
        )
    rows = []
    for raw in reader:
        row = {
            (k or "").strip().lower(): (v or "").strip()
            for k, v in raw.items()
            if not isinstance(v, list)
        }
        if any(row.values()):
            rows.append(row)
    return rows


def _number(
    row: dict[str, str], column: str, where: str, *, minimum: float = 0.0,
    strict: bool = False, default: float | None = None,
) -> float:  # fmt: skip
    """A numeric cell, checked against a lower bound; ProfileError names it."""
    text = row.get(column, "")
    if text == "" and default is not None:
        return default
    bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
    try:
        value = float(text)
    except ValueError:
        raise ProfileError(
            f"{where}, column {column}: expected a number {bound}, got {text!r}"
        ) from None
    if not math.isfinite(value) or (value <= minimum if strict else value < minimum):
        raise ProfileError(
            f"{where}, column {column}: expected a number {bound}, got {text!r}"
        )
    return value


def load_materials(
    source: str | Path | bytes, *, name: str | None = None
) -> dict[str, Material]:
    """Read ``materials.csv`` (material, density_g_cm3, cost_per_kg).

    Parameters
    ----------
    source
        Path of the CSV, or its bytes.
    name
        File name for messages (uploads).

    Returns
    -------
    dict
        Materials keyed by upper-case name.

    Raises
    ------
    ProfileError
        Missing column, bad number (naming row and column), empty or duplicate
        material name.

    Examples
    --------
    >>> mats = load_materials(b"material,density_g_cm3,cost_per_kg\\npla,1.24,25\\n")
    >>> mats["PLA"].density_g_cm3
    1.24
    """
    label = _label(source, name, "materials.csv")
    rows = _csv_rows(_read_text(source, label), label, _MATERIAL_REQUIRED)
    out: dict[str, Material] = {}
    for index, row in enumerate(rows, start=2):
        where = f"{label} row {index}"
        material = row.get("material", "")
        if not material:
            raise ProfileError(f"{where}, column material: expected a name, got ''")
        key = material.upper()
        if key in out:
            raise ProfileError(
                f"{where}, column material: duplicate material {material!r}"
            )
        out[key] = Material(
            material=key,
            density_g_cm3=_number(row, "density_g_cm3", where, strict=True),
            cost_per_kg=_number(row, "cost_per_kg", where),
        )
    return out


def load_printers(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    profile_dir: Path | None = None,
) -> tuple[Printer, ...]:
    """Read ``printers.csv`` and the PrusaSlicer profiles it names.

    Columns: printer_id, model, process, build_x_mm, build_y_mm, build_z_mm,
    nozzle_mm, hourly_rate, hours_available_per_week, materials (``;``-separated)
    and optionally profile (an ``.ini`` file name relative to ``profile_dir``).

    Parameters
    ----------
    source
        Path of the CSV, or its bytes.
    name
        File name for messages (uploads).
    profile_dir
        Folder of the ``.ini`` profiles; defaults to the CSV's folder, then to
        its ``profiles/`` subfolder when the file is not beside the CSV.

    Returns
    -------
    tuple of Printer
        In file order. A printer without a profile gets the default profile
        with its nozzle and an automatic extrusion width (1.125 x nozzle).

    Raises
    ------
    ProfileError
        Missing column, bad number or empty cell (naming row and column),
        duplicate printer_id, a profile that cannot be found or read.
    """
    label = _label(source, name, "printers.csv")
    rows = _csv_rows(_read_text(source, label), label, _PRINTER_REQUIRED)
    base_dir = Path(source).parent if isinstance(source, str | Path) else None
    search = [d for d in (profile_dir, base_dir) if d is not None]
    search += [d / "profiles" for d in search]
    printers: list[Printer] = []
    seen: set[str] = set()
    for index, row in enumerate(rows, start=2):
        where = f"{label} row {index}"
        printer_id = row.get("printer_id", "")
        if not printer_id:
            raise ProfileError(f"{where}, column printer_id: expected an id, got ''")
        if printer_id in seen:
            raise ProfileError(
                f"{where}, column printer_id: duplicate printer_id {printer_id!r}"
            )
        seen.add(printer_id)
        materials = tuple(
            m.strip().upper() for m in row["materials"].split(";") if m.strip()
        )
        if not materials:
            raise ProfileError(
                f"{where}, column materials: expected ';'-separated materials, got ''"
            )
        nozzle = _number(row, "nozzle_mm", where, strict=True, default=0.4)
        profile_name = row.get("profile", "")
        if profile_name:
            candidates = [Path(profile_name)] if Path(profile_name).is_absolute() else [
                d / profile_name for d in search
            ]  # fmt: skip
            found = next((p for p in candidates if p.is_file()), None)
            if found is None:
                raise ProfileError(
                    f"{where}, column profile: file {profile_name!r} not found in "
                    f"{', '.join(str(d) for d in search) or 'any folder (give profile_dir)'}"
                )
            profile = load_prusa_ini(found)
        else:
            profile = PrintProfile(
                name=f"{printer_id} default",
                nozzle_diameter_mm=nozzle,
                extrusion_width_mm=round(AUTO_WIDTH_PER_NOZZLE * nozzle, 4),
            )
        try:
            printer = Printer(
                printer_id=printer_id,
                model=row.get("model", ""),
                process=row.get("process", "") or "FFF",
                build_x_mm=_number(row, "build_x_mm", where, strict=True),
                build_y_mm=_number(row, "build_y_mm", where, strict=True),
                build_z_mm=_number(row, "build_z_mm", where, strict=True),
                nozzle_mm=nozzle,
                hourly_rate=_number(row, "hourly_rate", where),
                hours_available_per_week=_number(
                    row, "hours_available_per_week", where
                ),
                materials=materials,
                profile=profile,
            )
        except ProfileError as exc:
            raise ProfileError(f"{where}: {exc}") from exc
        printers.append(printer)
    return tuple(printers)


def _ini_pairs(text: str) -> dict[str, str]:
    """``key = value`` lines of a PrusaSlicer .ini; comments and blanks skipped."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";", "[")) or "=" not in stripped:
            continue
        key, value = stripped.split("=", 1)
        pairs[key.strip()] = value.strip()
    return pairs


class _IniReader:
    """Typed access to .ini values; every bad value is a ProfileError naming the key."""

    def __init__(self, pairs: dict[str, str], label: str) -> None:
        self.pairs = pairs
        self.label = label

    def _fail(self, key: str, expected: str) -> ProfileError:
        return ProfileError(
            f"profile {self.label}: key {key} expects {expected}, got {self.pairs[key]!r}"
        )

    def raw(self, key: str) -> str | None:
        """First comma-separated item of a value (per-extruder or normal/silent)."""
        value = self.pairs.get(key)
        if value is None or value == "":
            return None
        return value.split(",")[0].strip()

    def number(self, key: str) -> float | None:
        text = self.raw(key)
        if text is None:
            return None
        try:
            value = float(text)
        except ValueError:
            raise self._fail(key, "a number") from None
        if not math.isfinite(value) or value < 0:
            raise self._fail(key, "a number >= 0")
        return value

    def value_or_percent(self, key: str, base: float | None) -> float | None:
        """A number, or a percentage of ``base`` ("50%")."""
        text = self.raw(key)
        if text is None:
            return None
        if text.endswith("%"):
            try:
                pct = float(text[:-1])
            except ValueError:
                raise self._fail(key, "a number or a percentage") from None
            if not math.isfinite(pct) or pct < 0:
                raise self._fail(key, "a percentage >= 0")
            if base is None:
                raise self._fail(key, "an absolute value (its base is not set)")
            return base * pct / 100.0
        return self.number(key)

    def percent(self, key: str) -> float | None:
        """A PrusaSlicer percent option as a fraction ("20%" and "20" -> 0.2)."""
        text = self.raw(key)
        if text is None:
            return None
        try:
            value = float(text.rstrip("%"))
        except ValueError:
            raise self._fail(key, "a percentage") from None
        if not math.isfinite(value) or value < 0:
            raise self._fail(key, "a percentage >= 0")
        return value / 100.0

    def integer(self, key: str) -> int | None:
        value = self.number(key)
        if value is None:
            return None
        if value != int(value):
            raise self._fail(key, "a whole number")
        return int(value)

    def boolean(self, key: str) -> bool | None:
        text = self.raw(key)
        if text is None:
            return None
        if text.lower() in ("1", "true", "yes"):
            return True
        if text.lower() in ("0", "false", "no"):
            return False
        raise self._fail(key, "0 or 1")


def load_prusa_ini(source: str | Path | bytes, *, name: str = "") -> PrintProfile:
    """Read a PrusaSlicer ``.ini`` (config bundle section or exported config).

    ``key = value`` lines; ``#`` comments and unknown keys are ignored. Values
    that are per-extruder or normal/silent lists (``machine_max_*``,
    ``nozzle_diameter``, ``retract_length``) use their first item. Percentages
    are taken over PrusaSlicer's base: external_perimeter_speed and
    small_perimeter_speed over perimeter_speed, solid_infill_speed over
    infill_speed, top_solid_infill_speed over solid_infill_speed,
    first_layer_height over layer_height, extrusion widths over the nozzle
    diameter; a percentage first_layer_speed applies to every role's speed.
    Machine limits: acceleration is the smallest of the extruding, X and Y
    limits, jerk and feed rate the smaller of X and Y.

    Parameters
    ----------
    source
        Path of the .ini, or its bytes.
    name
        Profile name; defaults to the file name without ``.ini``.

    Returns
    -------
    PrintProfile
        Keys the file does not set keep the :class:`PrintProfile` defaults.

    Raises
    ------
    ProfileError
        A value that is not a number (percentage, 0/1) where one is expected,
        naming the key; a resulting setting out of range (each has a plausible
        maximum, and layer heights may not exceed the nozzle diameter); a file
        without any ``key = value`` line, with NUL bytes (binary data) or over
        :data:`MAX_PROFILE_FILE_BYTES`.

    Examples
    --------
    >>> p = load_prusa_ini(b"perimeter_speed = 60\\nexternal_perimeter_speed = 50%\\n"
    ...                    b"machine_max_acceleration_extruding = 1500,1250\\n", name="x")
    >>> p.external_perimeter_speed_mm_s, p.max_acceleration_mm_s2
    (30.0, 1500.0)
    """
    if not name:
        name = Path(source).stem if isinstance(source, str | Path) else "profile"
    pairs = _ini_pairs(_read_text(source, name))
    if not pairs:
        raise ProfileError(
            f"profile {name}: no 'key = value' setting found; expected a "
            "PrusaSlicer .ini (exported config or config bundle section)"
        )
    ini = _IniReader(pairs, name)
    defaults = PrintProfile()
    values: dict[str, object] = {"name": name}

    def put(field_name: str, value: object | None) -> None:
        if value is not None:
            values[field_name] = value

    def get(field_name: str) -> float:
        return float(values.get(field_name, getattr(defaults, field_name)))  # type: ignore[arg-type]

    put("nozzle_diameter_mm", ini.number("nozzle_diameter"))
    put("filament_diameter_mm", ini.number("filament_diameter"))
    put("layer_height_mm", ini.number("layer_height"))
    put(
        "first_layer_height_mm",
        ini.value_or_percent("first_layer_height", get("layer_height_mm")),
    )
    nozzle = get("nozzle_diameter_mm")
    width = None
    for key in ("perimeter_extrusion_width", "extrusion_width"):
        value = ini.value_or_percent(key, nozzle)
        if value:
            width = value
            break
    if width is None and any(
        ini.raw(k) is not None for k in ("perimeter_extrusion_width", "extrusion_width")
    ):
        width = AUTO_WIDTH_PER_NOZZLE * nozzle  # 0 means automatic
    if width is None and "nozzle_diameter_mm" in values:
        width = AUTO_WIDTH_PER_NOZZLE * nozzle
    put("extrusion_width_mm", width)
    put("perimeters", ini.integer("perimeters"))
    put("top_solid_layers", ini.integer("top_solid_layers"))
    put("bottom_solid_layers", ini.integer("bottom_solid_layers"))
    put("fill_density_frac", ini.percent("fill_density"))
    put("fill_pattern", ini.raw("fill_pattern"))
    put("infill_overlap_frac", ini.percent("infill_overlap"))

    put("perimeter_speed_mm_s", ini.number("perimeter_speed"))
    perimeter = get("perimeter_speed_mm_s")
    put(
        "external_perimeter_speed_mm_s",
        ini.value_or_percent("external_perimeter_speed", perimeter),
    )
    put(
        "small_perimeter_speed_mm_s",
        ini.value_or_percent("small_perimeter_speed", perimeter),
    )
    put("infill_speed_mm_s", ini.number("infill_speed"))
    put(
        "solid_infill_speed_mm_s",
        ini.value_or_percent("solid_infill_speed", get("infill_speed_mm_s")),
    )
    put(
        "top_solid_infill_speed_mm_s",
        ini.value_or_percent("top_solid_infill_speed", get("solid_infill_speed_mm_s")),
    )
    put("gap_fill_speed_mm_s", ini.value_or_percent("gap_fill_speed", perimeter))
    put("bridge_speed_mm_s", ini.number("bridge_speed"))
    put("support_material_speed_mm_s", ini.number("support_material_speed"))
    put("travel_speed_mm_s", ini.number("travel_speed"))
    first_speed = ini.raw("first_layer_speed")
    if first_speed is not None and first_speed.endswith("%"):
        put("first_layer_speed_frac", ini.percent("first_layer_speed"))
    else:
        put("first_layer_speed_mm_s", ini.number("first_layer_speed"))

    limits = [
        ini.number(f"machine_max_acceleration_{a}") for a in ("extruding", "x", "y")
    ]
    limits = [v for v in limits if v]
    put("max_acceleration_mm_s2", min(limits) if limits else None)
    travel = ini.number("machine_max_acceleration_travel")
    put("travel_acceleration_mm_s2", travel or (min(limits) if limits else None))
    put(
        "retract_acceleration_mm_s2",
        ini.number("machine_max_acceleration_retracting") or None,
    )
    jerks = [
        v
        for v in (ini.number("machine_max_jerk_x"), ini.number("machine_max_jerk_y"))
        if v
    ]
    put("max_jerk_mm_s", min(jerks) if jerks else None)
    feeds = [
        v
        for v in (
            ini.number("machine_max_feedrate_x"),
            ini.number("machine_max_feedrate_y"),
        )
        if v
    ]
    put("max_feedrate_mm_s", min(feeds) if feeds else None)
    put("max_jerk_e_mm_s", ini.number("machine_max_jerk_e") or None)
    put("max_jerk_z_mm_s", ini.number("machine_max_jerk_z") or None)
    put("max_feedrate_z_mm_s", ini.number("machine_max_feedrate_z") or None)
    put("max_acceleration_z_mm_s2", ini.number("machine_max_acceleration_z") or None)
    put("perimeter_acceleration_mm_s2", ini.number("perimeter_acceleration"))
    put("infill_acceleration_mm_s2", ini.number("infill_acceleration"))
    put("first_layer_acceleration_mm_s2", ini.number("first_layer_acceleration"))
    volumetric = [
        v for v in (ini.number("max_volumetric_speed"), ini.number("filament_max_volumetric_speed")) if v
    ]  # fmt: skip
    put("max_volumetric_speed_mm3_s", min(volumetric) if volumetric else None)

    put("retract_length_mm", ini.number("retract_length"))
    put("retract_speed_mm_s", ini.number("retract_speed") or None)
    put("retract_before_travel_mm", ini.number("retract_before_travel"))
    put("support_material", ini.boolean("support_material"))
    put(
        "support_overhang_threshold_deg",
        ini.number("support_material_threshold") or None,
    )
    put("slowdown_below_layer_time_s", ini.number("slowdown_below_layer_time"))
    put("solid_infill_below_area_mm2", ini.number("solid_infill_below_area"))
    put(
        "ensure_vertical_shell_thickness",
        ini.boolean("ensure_vertical_shell_thickness"),
    )
    put("min_print_speed_mm_s", ini.number("min_print_speed"))
    try:
        return PrintProfile(**values)  # type: ignore[arg-type]
    except ProfileError:
        raise
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"profile {name}: {exc}") from exc


def load_demo_materials() -> dict[str, Material]:
    """Materials of the demo catalog (``catalog/materials.csv``).

    Raises
    ------
    ProfileError
        When the file is missing or invalid.
    """
    return load_materials(DEMO_DIR / "materials.csv")


def load_demo_printers() -> tuple[Printer, ...]:
    """Printers of the demo catalog (``catalog/printers.csv``, ``catalog/profiles/``).

    Raises
    ------
    ProfileError
        When a file is missing or invalid.
    """
    return load_printers(DEMO_DIR / "printers.csv", profile_dir=DEMO_DIR / "profiles")
