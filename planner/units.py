"""The few conversion constants the planner uses. Units are in the names."""

from __future__ import annotations

DAYS_PER_YEAR = 365.0
HOURS_PER_DAY = 24.0
SECONDS_PER_HOUR = 3600.0
HOURS_PER_YEAR = DAYS_PER_YEAR * HOURS_PER_DAY
MM3_PER_CM3 = 1000.0
G_PER_KG = 1000.0
#: Default yearly operating hours of an installed unit (8760 h x 0.6 utilisation).
DEFAULT_OPERATING_HOURS_PER_YEAR = 8760.0 * 0.6
