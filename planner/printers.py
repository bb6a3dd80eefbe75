"""Printer, material and print-profile records.

``printers.csv`` has one row per printer; ``materials.csv`` one row per material;
a printer may name a PrusaSlicer ``.ini`` whose settings become its
:class:`PrintProfile`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.errors import ProfileError


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintProfile:
    """Slicer settings the print estimator uses (FFF).

    Defaults are a 0.4 mm nozzle, 0.2 mm layer PLA/PETG profile of a desktop
    bed-slinger (MK3/MK4 class, classic perimeter generator).
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
        )
        for name in positive:
            value = getattr(self, name)
            if not value > 0:
                raise ProfileError(
                    f"profile {self.name}: {name} must be > 0, got {value!r}"
                )
        if not 0 <= self.fill_density_frac <= 1:
            raise ProfileError(
                f"profile {self.name}: fill_density_frac must be in [0, 1], "
                f"got {self.fill_density_frac!r}"
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
