r"""Disruption scenarios: events, presets, their effect on parts, and Monte Carlo.

A :class:`Scenario` is a named list of :class:`Event` over a horizon. Events match
parts by ``supplier``, ``supplier_region``, ``criticality`` and ``part_id``: an
event matches a part when *every* matcher it gives equals the part's value
(case-insensitive, surrounding spaces ignored); an event with no matcher matches
every part. ``printer_down`` and ``material_shortage`` match the print route of a
part instead (its printer and material).

Time is in days from the start of the horizon. A window ``[start_day, start_day +
duration_days)`` is in force on day :math:`t` when it covers the middle of the day,
:math:`t + 1/2`.

:func:`part_disruption` condenses a scenario into per-part arrays for the analytic
policy and the sourcing model; :func:`simulate` runs the plan through the scenario
day by day, vectorised over parts x paths, and returns KPIs with 95 % confidence
intervals; :func:`compare` sets several results side by side with paired
differences (the paths share their demand and outage draws).

Simulation model
----------------
Each day :math:`t`: (1) orders due on day :math:`t` arrive; (2) demand arrives,
Poisson with mean :math:`\lambda/365` times the demand-surge factor (negative
binomial with the same mean and variance-to-mean ratio where that ratio exceeds
1.05); backorders are served first, then the new demand from stock; (3) an
(S-1, S) order brings the inventory position back to S. Demand arrives at random
times within the day, so an order placed on day :math:`t` with lead time
:math:`x` arrives at :math:`t + U + x`, :math:`U` uniform on [0, 1). The
simulation delivers it at the start of day :math:`t + \lfloor y\rfloor` or
:math:`t + \lfloor y\rfloor + 1`, :math:`y = x + 1/2`, each unit independently
with the probabilities that make the mean delivery time exact. With Poisson
demand Palm's theorem then holds exactly: the fill rate of a part with no
disruption is :math:`P(X \le S-1)`, :math:`X \sim \text{Poisson}(\lambda L/365)`,
as in :mod:`planner.policy`. An order placed while its supplier is out (window
ending at :math:`e`) arrives at :math:`e + L m` (:math:`m`: the lead-time
multiplier in force when the order is placed); a print order placed while its
printer is down or its material short starts when that window ends. Where
several lead-time multipliers are in force the largest applies; demand surges
multiply. Orders arrive one day after they are placed at the earliest.

Backorders and stock are integrated over time within the day: given the day's
counts, the units come at uniform times, so the expected integral is exact
(the last ``k`` of ``D`` units wait :math:`k(k+1)/(2(D+1))` unit-days in all).

The start is stationary: the pipeline holds the orders the last days before day 0
would have placed with no disruption (Poisson counts per arrival day), and
``on_hand = max(S - pipeline, 0)``, unless an initial on-hand is given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from planner.catalog import Part
from planner.errors import PlannerError, ScenarioError
from planner.policy import OutageProcess
from planner.printers import Printer
from planner.units import DAYS_PER_YEAR

#: Largest ``start_day`` or ``duration_days`` a scenario may give [days] (100 years).
MAX_EVENT_DAYS = 36_500.0
#: Largest scenario horizon [days] (10 years).
MAX_HORIZON_DAYS = 3650
#: Largest lead-time or demand factor.
MAX_FACTOR = 100.0
#: Largest rate of random outage starts [1/year] (one a week).
MAX_RATE_PER_YEAR = 52.0
#: Largest scenario file read [bytes].
MAX_SCENARIO_FILE_BYTES = 5_000_000
#: Quantiles of on-hand stock across paths kept per day and part.
ON_HAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Names of the simulated KPIs, in report order.
KPI_NAMES = (
    "fill_rate",
    "stockout_days",
    "backorder_days",
    "downtime_cost",
    "print_hours",
    "inventory_value",
)
#: Variance-to-mean ratio above which daily demand is negative binomial.
OVERDISPERSED_VTM = 1.05
#: Memory budget for the pipeline calendar of one chunk of parts [bytes].
CALENDAR_BUDGET_BYTES = 256_000_000
#: Largest pipeline calendar of a single part [bytes].
MAX_CALENDAR_BYTES_PER_PART = 1_000_000_000
#: z value of the two-sided 95 % normal interval.
Z_95 = 1.959963984540054


class EventType(StrEnum):
    """Kinds of disruption event (the ``type`` of an event in a scenario file)."""

    SUPPLIER_OUTAGE = "supplier_outage"
    RANDOM_OUTAGES = "random_outages"
    LEAD_TIME_MULTIPLIER = "lead_time_multiplier"
    DEMAND_SURGE = "demand_surge"
    PRINTER_DOWN = "printer_down"
    MATERIAL_SHORTAGE = "material_shortage"


class DurationDistribution(StrEnum):
    """Distribution of the length of a random outage."""

    FIXED = "fixed"
    EXPONENTIAL = "exponential"


#: Print-vs-stock modes the simulation knows (values of ``sourcing.Mode``).
BUY_STOCK = "buy_stock"
PRINT_STOCK = "print_stock"
PRINT_ON_DEMAND = "print_on_demand"
HYBRID = "hybrid"
MODES = (BUY_STOCK, PRINT_STOCK, PRINT_ON_DEMAND, HYBRID)

MATCHER_FIELDS = ("supplier", "supplier_region", "criticality", "part_id")
_STR_FIELDS = (*MATCHER_FIELDS, "printer_id", "material", "duration_distribution")
_NUM_FIELDS = ("start_day", "duration_days", "factor", "rate_per_year")
_WINDOW = ("start_day", "duration_days")
_APPLIES: dict[EventType, tuple[str, ...]] = {
    EventType.SUPPLIER_OUTAGE: (*MATCHER_FIELDS, *_WINDOW),
    EventType.RANDOM_OUTAGES: (
        *MATCHER_FIELDS,
        "rate_per_year",
        "duration_days",
        "duration_distribution",
    ),
    EventType.LEAD_TIME_MULTIPLIER: (*MATCHER_FIELDS, "factor", *_WINDOW),
    EventType.DEMAND_SURGE: (*MATCHER_FIELDS, "factor", *_WINDOW),
    EventType.PRINTER_DOWN: ("printer_id", *_WINDOW),
    EventType.MATERIAL_SHORTAGE: ("material", *_WINDOW),
}
_REQUIRED: dict[EventType, tuple[str, ...]] = {
    EventType.SUPPLIER_OUTAGE: _WINDOW,
    EventType.RANDOM_OUTAGES: ("rate_per_year", "duration_days"),
    EventType.LEAD_TIME_MULTIPLIER: ("factor",),
    EventType.DEMAND_SURGE: ("factor",),
    EventType.PRINTER_DOWN: ("printer_id", *_WINDOW),
    EventType.MATERIAL_SHORTAGE: ("material", *_WINDOW),
}
_RANGES: dict[str, tuple[float, float, bool]] = {
    # field: (low, high, low is exclusive)
    "start_day": (0.0, MAX_EVENT_DAYS, False),
    "duration_days": (0.0, MAX_EVENT_DAYS, True),
    "factor": (0.0, MAX_FACTOR, True),
    "rate_per_year": (0.0, MAX_RATE_PER_YEAR, False),
}
_CRITICALITIES = ("V", "E", "D")


def _is_number(value: object) -> bool:
    """True for int and float, not bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _event_problem(kind: EventType, values: Mapping[str, Any]) -> str | None:
    """What is wrong with an event's fields, in words, or None when all is well."""
    allowed = _APPLIES[kind]
    for name in (*_STR_FIELDS, *_NUM_FIELDS):
        value = values.get(name)
        given = value is not None and not (
            name == "duration_distribution" and value == DurationDistribution.FIXED
        )
        if given and name not in allowed:
            return (
                f"field {name!r} does not apply to {kind} events "
                f"(allowed: {', '.join(allowed)})"
            )
    for name in _STR_FIELDS:
        value = values.get(name)
        if value is not None and not (isinstance(value, str) and value.strip()):
            return f"{name} must be a non-empty string, got {value!r}"
    for name in _NUM_FIELDS:
        value = values.get(name)
        if value is not None and not (_is_number(value) and math.isfinite(value)):
            return f"{name} must be a finite number, got {value!r}"
    for name in _REQUIRED[kind]:
        if values.get(name) is None:
            return f"missing required field {name!r}"
    if kind == EventType.SUPPLIER_OUTAGE and all(
        values.get(m) is None for m in MATCHER_FIELDS
    ):
        return f"needs at least one of {', '.join(MATCHER_FIELDS)} to say whose supply"
    for name, (low, high, open_low) in _RANGES.items():
        value = values.get(name)
        if value is None:
            continue
        if (value <= low if open_low else value < low) or value > high:
            bracket = "(" if open_low else "["
            return f"{name} must be in {bracket}{low:g}, {high:g}], got {value!r}"
    crit = values.get("criticality")
    if crit is not None and crit.strip().upper() not in _CRITICALITIES:
        return f"criticality must be one of V, E, D, got {crit!r}"
    dist = values.get("duration_distribution")
    if dist is not None and dist not in tuple(DurationDistribution):
        return f"duration_distribution must be 'fixed' or 'exponential', got {dist!r}"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One disruption event of a scenario.

    Matchers (``supplier``, ``supplier_region``, ``criticality``, ``part_id``)
    select the parts; ``printer_id`` and ``material`` select print routes.
    ``start_day`` [days] and ``duration_days`` [days] give the window,
    ``factor`` a lead-time or demand multiplier, ``rate_per_year`` [1/year] the
    Poisson rate of random outage starts. Which fields an event type needs and
    admits is checked on construction.

    Raises
    ------
    ScenarioError
        On an unknown type, a field that does not apply to the type, a missing
        required field, a wrong type or a value out of range.
    """

    type: EventType
    supplier: str | None = None
    supplier_region: str | None = None
    criticality: str | None = None
    part_id: str | None = None
    printer_id: str | None = None
    material: str | None = None
    start_day: float | None = None
    duration_days: float | None = None
    factor: float | None = None
    rate_per_year: float | None = None
    duration_distribution: str = DurationDistribution.FIXED.value

    def __post_init__(self) -> None:
        try:
            kind = EventType(self.type)
        except ValueError:
            raise ScenarioError(
                f"unknown event type {self.type!r} (allowed: {', '.join(EventType)})"
            ) from None
        object.__setattr__(self, "type", kind)
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        problem = _event_problem(kind, values)
        if problem is not None:
            raise ScenarioError(f"{kind} event: {problem}")
        for name in _NUM_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))
        object.__setattr__(
            self,
            "duration_distribution",
            DurationDistribution(self.duration_distribution or "fixed").value,
        )

    @property
    def matchers(self) -> dict[str, str]:
        """The part matchers this event gives, ``{field: value}``."""
        return {
            m: getattr(self, m) for m in MATCHER_FIELDS if getattr(self, m) is not None
        }

    @property
    def end_day(self) -> float:
        """End of the window [days]; infinite when the event has no duration."""
        if self.duration_days is None:
            return math.inf
        return (self.start_day or 0.0) + self.duration_days


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A named set of disruption events over a horizon.

    ``horizon_days`` [days] is the simulated span; ``probability`` [0-1] the
    weight of the scenario when the optimiser plans against several.

    Raises
    ------
    ScenarioError
        On an empty name, a horizon outside [1, 3650] days, a probability outside
        [0, 1], or events that are not :class:`Event`.
    """

    name: str
    horizon_days: int = 365
    events: tuple[Event, ...] = ()
    probability: float = 1.0
    description: str = ""

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and self.name.strip()):
            raise ScenarioError(
                f"scenario name must be a non-empty string, got {self.name!r}"
            )
        label = f"scenario {self.name!r}"
        h = self.horizon_days
        if not (isinstance(h, int) and not isinstance(h, bool)):
            raise ScenarioError(f"{label}: horizon_days must be an integer, got {h!r}")
        if not 1 <= h <= MAX_HORIZON_DAYS:
            raise ScenarioError(
                f"{label}: horizon_days must be in [1, {MAX_HORIZON_DAYS}], got {h!r}"
            )
        p = self.probability
        if not (_is_number(p) and 0.0 <= p <= 1.0):
            raise ScenarioError(f"{label}: probability must be in [0, 1], got {p!r}")
        object.__setattr__(self, "probability", float(p))
        if not isinstance(self.description, str):
            raise ScenarioError(
                f"{label}: description must be a string, got {self.description!r}"
            )
        events = tuple(self.events)
        for i, event in enumerate(events):
            if not isinstance(event, Event):
                raise ScenarioError(
                    f"{label}, events[{i}]: expected an Event, got {event!r}"
                )
        object.__setattr__(self, "events", events)

    def of_type(self, *kinds: EventType) -> tuple[Event, ...]:
        """The events of the given types, in file order."""
        return tuple(e for e in self.events if e.type in kinds)


_EVENT_FIELDS = tuple(f.name for f in fields(Event))
_SCENARIO_FIELDS = ("name", "horizon_days", "events", "probability", "description")


def _parse_event(raw: object, where: str) -> Event:
    """One event from a decoded JSON/YAML mapping; errors name ``where``."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{where}: an event must be a mapping, got {raw!r}")
    if "type" not in raw:
        raise ScenarioError(f"{where}: missing required field 'type'")
    try:
        kind = EventType(raw["type"])
    except (ValueError, TypeError):
        raise ScenarioError(
            f"{where}: unknown event type {raw['type']!r} "
            f"(allowed: {', '.join(EventType)})"
        ) from None
    where = f"{where} ({kind})"
    for key in raw:
        if key not in _EVENT_FIELDS:
            raise ScenarioError(
                f"{where}: unknown field {key!r} "
                f"(allowed: type, {', '.join(_APPLIES[kind])})"
            )
    values = {k: v for k, v in raw.items() if k != "type" and v is not None}
    problem = _event_problem(kind, values)
    if problem is not None:
        raise ScenarioError(f"{where}: {problem}")
    return Event(type=kind, **values)


def _parse_one(raw: object, default_name: str) -> Scenario:
    """One scenario from a decoded mapping."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(
            f"{default_name}: a scenario must be a mapping with name, horizon_days "
            f"and events, got {type(raw).__name__}"
        )
    name = raw.get("name", default_name)
    if not (isinstance(name, str) and name.strip()):
        raise ScenarioError(
            f"{default_name}: name must be a non-empty string, got {name!r}"
        )
    label = f"scenario {name!r}"
    for key in raw:
        if key not in _SCENARIO_FIELDS:
            raise ScenarioError(
                f"{label}: unknown field {key!r} (allowed: {', '.join(_SCENARIO_FIELDS)})"
            )
    horizon = raw.get("horizon_days", 365)
    if isinstance(horizon, float) and horizon.is_integer():
        horizon = int(horizon)
    events_raw = raw.get("events", [])
    if events_raw is None:
        events_raw = []
    if not isinstance(events_raw, list):
        raise ScenarioError(f"{label}: events must be a list, got {events_raw!r}")
    events = tuple(
        _parse_event(e, f"{label}, events[{i}]") for i, e in enumerate(events_raw)
    )
    return Scenario(
        name=name,
        horizon_days=horizon,
        events=events,
        probability=raw.get("probability", 1.0),
        description=raw.get("description", ""),
    )


def parse_scenarios(
    data: Mapping[str, Any] | Sequence[Any], *, default_name: str = "scenario"
) -> list[Scenario]:
    """Scenarios from decoded JSON/YAML: one mapping or a list of them.

    Parameters
    ----------
    data
        A scenario mapping (``name``, ``horizon_days``, ``events``, optional
        ``probability`` and ``description``) or a list of such mappings.
    default_name
        Name of a scenario that gives none (numbered in a list).

    Returns
    -------
    list[Scenario]
        In file order.

    Raises
    ------
    ScenarioError
        On an empty list, duplicate names, an unknown event type or field, a
        wrong type, a missing required field or a value out of range; the message
        names the scenario, the event index (``events[i]``) and the field.

    Examples
    --------
    >>> s = parse_scenarios({"name": "APAC out", "events": [
    ...     {"type": "supplier_outage", "supplier_region": "APAC",
    ...      "start_day": 30, "duration_days": 70}]})
    >>> s[0].events[0].end_day
    100.0
    """
    if isinstance(data, Mapping):
        items: list[Any] = [data]
        names = [default_name]
    elif isinstance(data, Sequence) and not isinstance(data, str | bytes):
        items = list(data)
        names = [f"{default_name} {i + 1}" for i in range(len(items))]
    else:
        raise ScenarioError(
            f"{default_name}: expected a scenario mapping or a list of them, "
            f"got {type(data).__name__}"
        )
    if not items:
        raise ScenarioError(f"{default_name}: the list holds no scenario")
    scenarios = [_parse_one(raw, name) for raw, name in zip(items, names, strict=True)]
    seen: set[str] = set()
    for s in scenarios:
        if s.name in seen:
            raise ScenarioError(f"scenario {s.name!r}: name given twice in one file")
        seen.add(s.name)
    return scenarios


def load_scenarios(
    source: str | Path | bytes, *, name: str | None = None
) -> list[Scenario]:
    """Read scenarios from a JSON or YAML file (or its bytes).

    Parameters
    ----------
    source
        Path to a ``.json``, ``.yaml`` or ``.yml`` file, or the file's bytes.
    name
        File name of ``source`` when it is bytes (an upload); its suffix picks
        the format. Without a known suffix JSON is tried, then YAML.

    Returns
    -------
    list[Scenario]
        One per scenario in the file.

    Raises
    ------
    ScenarioError
        When the file is missing, larger than 5 MB, not UTF-8, not valid
        JSON/YAML, or holds an invalid scenario (see :func:`parse_scenarios`).
    """
    if isinstance(source, bytes | bytearray):
        label = name or "<upload>"
        raw = bytes(source)
    else:
        path = Path(source)
        label = name or str(path)
        if not path.is_file():
            raise ScenarioError(f"scenario file {label}: not found")
        if path.stat().st_size > MAX_SCENARIO_FILE_BYTES:
            raise ScenarioError(
                f"scenario file {label}: larger than {MAX_SCENARIO_FILE_BYTES} bytes"
            )
        raw = path.read_bytes()
    if len(raw) > MAX_SCENARIO_FILE_BYTES:
        raise ScenarioError(
            f"scenario file {label}: larger than {MAX_SCENARIO_FILE_BYTES} bytes"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"scenario file {label}: not UTF-8 text ({exc})") from None
    suffix = Path(label).suffix.lower()
    data: Any
    if suffix == ".json":
        data = _decode_json(text, label)
    elif suffix in (".yaml", ".yml"):
        data = _decode_yaml(text, label)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = _decode_yaml(text, label)
    stem = Path(label).stem or "scenario"
    return parse_scenarios(data, default_name=stem)


def _decode_json(text: str, label: str) -> Any:
    """JSON text to Python data, errors with line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"scenario file {label}: invalid JSON at line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg}"
        ) from None


def _decode_yaml(text: str, label: str) -> Any:
    """YAML text to Python data (``yaml.safe_load`` only)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(
            f"scenario file {label}: invalid YAML{where}: {problem}"
        ) from None


def _plain_number(value: float) -> int | float:
    """An integral float as int (30.0 -> 30), for tidy JSON."""
    return int(value) if float(value).is_integer() else float(value)


def event_to_dict(event: Event) -> dict[str, Any]:
    """An event as a scenario-file mapping (fields that are set, in schema order)."""
    out: dict[str, Any] = {"type": event.type.value}
    for name in _EVENT_FIELDS[1:]:
        value = getattr(event, name)
        if value is None:
            continue
        if name == "duration_distribution" and value == DurationDistribution.FIXED:
            continue
        out[name] = _plain_number(value) if name in _NUM_FIELDS else value
    return out


def scenario_to_dict(s: Scenario) -> dict[str, Any]:
    """A scenario as a JSON/YAML-ready mapping; :func:`parse_scenarios` reads it back.

    Examples
    --------
    >>> d = scenario_to_dict(PRESETS["Lead times double"])
    >>> d["events"]
    [{'type': 'lead_time_multiplier', 'factor': 2}]
    >>> parse_scenarios(d)[0] == PRESETS["Lead times double"]
    True
    """
    out: dict[str, Any] = {"name": s.name, "horizon_days": s.horizon_days}
    if s.probability != 1.0:
        out["probability"] = s.probability
    if s.description:
        out["description"] = s.description
    out["events"] = [event_to_dict(e) for e in s.events]
    return out


def _preset(name: str, description: str, *events: Event) -> tuple[str, Scenario]:
    return name, Scenario(name=name, description=description, events=events)


#: Named scenarios offered by the app and the CLI, keyed by name.
PRESETS: dict[str, Scenario] = dict(
    [
        _preset("Baseline", "No disruption: normal lead times and demand."),
        _preset(
            "APAC region out 10 weeks",
            "Every APAC supplier delivers nothing from day 30 to day 100.",
            Event(
                type=EventType.SUPPLIER_OUTAGE,
                supplier_region="APAC",
                start_day=30,
                duration_days=70,
            ),
        ),
        _preset(
            "Port closure: APAC+NA lead times ×3 for 60 days",
            "Orders to APAC and NA suppliers placed on days 30-89 take 3x as long.",
            Event(
                type=EventType.LEAD_TIME_MULTIPLIER,
                supplier_region="APAC",
                factor=3.0,
                start_day=30,
                duration_days=60,
            ),
            Event(
                type=EventType.LEAD_TIME_MULTIPLIER,
                supplier_region="NA",
                factor=3.0,
                start_day=30,
                duration_days=60,
            ),
        ),
        _preset(
            "Lead times double",
            "Every supplier's lead time doubles for the whole year.",
            Event(type=EventType.LEAD_TIME_MULTIPLIER, factor=2.0),
        ),
        _preset(
            "Demand surge on vital parts",
            "Vital parts are used 1.5x as fast for the first 90 days.",
            Event(
                type=EventType.DEMAND_SURGE,
                criticality="V",
                factor=1.5,
                start_day=0,
                duration_days=90,
            ),
        ),
        _preset(
            "Printer P2 down 30 days",
            "Printer P2 prints nothing from day 100 to day 130.",
            Event(
                type=EventType.PRINTER_DOWN,
                printer_id="P2",
                start_day=100,
                duration_days=30,
            ),
        ),
        _preset(
            "PETG shortage 45 days",
            "No PETG filament from day 60 to day 105.",
            Event(
                type=EventType.MATERIAL_SHORTAGE,
                material="PETG",
                start_day=60,
                duration_days=45,
            ),
        ),
        _preset(
            "Random EU supplier outages",
            "EU suppliers fail at random, 0.5 times a year, for 21 days each.",
            Event(
                type=EventType.RANDOM_OUTAGES,
                supplier_region="EU",
                rate_per_year=0.5,
                duration_days=21,
            ),
        ),
    ]
)


# --------------------------------------------------------------------------- matching


def _normalised(values: Sequence[str] | np.ndarray) -> np.ndarray:
    """Strings stripped and lower-cased, as a numpy str array."""
    arr = np.asarray(values, dtype=str)
    return np.strings.lower(np.strings.strip(arr))


def event_matches(
    event: Event,
    *,
    part_id: Sequence[str] | np.ndarray,
    supplier: Sequence[str] | np.ndarray,
    supplier_region: Sequence[str] | np.ndarray,
    criticality: Sequence[str] | np.ndarray,
) -> np.ndarray:
    """Which parts an event's matchers select (bool array over parts).

    Every matcher the event gives must equal the part's value, compared
    case-insensitively; an event with no matcher selects every part.

    Examples
    --------
    >>> e = Event(type="demand_surge", criticality="v", supplier_region="EU", factor=2)
    >>> event_matches(e, part_id=["a", "b", "c"], supplier=["", "", ""],
    ...               supplier_region=["EU", "eu ", "NA"], criticality=["V", "E", "V"])
    array([ True, False, False])
    """
    columns = {
        "part_id": part_id,
        "supplier": supplier,
        "supplier_region": supplier_region,
        "criticality": criticality,
    }
    n = len(part_id)
    mask = np.ones(n, dtype=bool)
    for key, wanted in event.matchers.items():
        mask &= _normalised(columns[key]) == wanted.strip().lower()
    return mask


def _match_matrix(
    events: Sequence[Event], keys: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Bool matrix (events, parts): which part each event matches."""
    n = len(keys["part_id"])
    if not events:
        return np.zeros((0, n), dtype=bool)
    return np.stack([event_matches(e, **keys) for e in events])


def _route_matrix(
    events: Sequence[Event], printer_id: np.ndarray, material: np.ndarray
) -> np.ndarray:
    """Bool matrix (events, parts): printer_down / material_shortage per print route."""
    printer = _normalised(printer_id)
    mat = _normalised(material)
    rows = []
    for e in events:
        if e.type == EventType.PRINTER_DOWN:
            rows.append(printer == str(e.printer_id).strip().lower())
        else:
            rows.append(mat == str(e.material).strip().lower())
    if not rows:
        return np.zeros((0, printer.shape[0]), dtype=bool)
    return np.stack(rows)


def _groups(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct match signatures: (groups, events) bool and the group of each part."""
    n_events, n_parts = masks.shape
    if n_events == 0 or n_parts == 0:
        return np.zeros((1, n_events), dtype=bool), np.zeros(n_parts, dtype=np.int64)
    signatures, inverse = np.unique(masks.T, axis=0, return_inverse=True)
    return signatures, inverse.reshape(-1)


def _active(events: Sequence[Event], horizon_days: int) -> np.ndarray:
    """Bool (events, days): the event's window covers the middle of the day."""
    mid = np.arange(horizon_days) + 0.5
    start = np.array([e.start_day or 0.0 for e in events], dtype=float)
    end = np.array([e.end_day for e in events], dtype=float)
    return (mid[None, :] >= start[:, None]) & (mid[None, :] < end[:, None])


def _factor_table(
    events: Sequence[Event], signatures: np.ndarray, horizon_days: int, *, product: bool
) -> np.ndarray:
    """Per group and day (groups, days): the factor in force.

    ``product=False``: the largest factor of the matching events in force (1 when
    none); ``product=True``: the product of the factors in force.
    """
    n_groups = signatures.shape[0]
    if not events:
        return np.ones((n_groups, horizon_days))
    factor = np.array([e.factor for e in events], dtype=float)
    on = signatures[:, :, None] & _active(events, horizon_days)[None, :, :]
    if product:
        return np.prod(np.where(on, factor[None, :, None], 1.0), axis=1)
    best = np.max(np.where(on, factor[None, :, None], -np.inf), axis=1)
    return np.where(np.isfinite(best), best, 1.0)


# --------------------------------------------------------------------- part disruption


@dataclass(frozen=True, slots=True, kw_only=True)
class PartDisruption:
    """What a scenario does to each part, condensed for the analytic models.

    Arrays are aligned with the parts. ``lead_time_factor`` and ``demand_factor``
    are time averages over the horizon of the multiplier in force;
    ``outage`` is the random-outage process; ``ride_through_days`` [days] the
    longest known supplier-outage window (within the horizon) the stock must
    ride through.
    """

    lead_time_factor: np.ndarray
    demand_factor: np.ndarray
    outage: OutageProcess
    ride_through_days: np.ndarray


def _part_keys(parts: Sequence[Part]) -> dict[str, np.ndarray]:
    """Matcher columns of a list of parts."""
    return {
        "part_id": np.array([p.part_id for p in parts], dtype=str),
        "supplier": np.array([p.supplier for p in parts], dtype=str),
        "supplier_region": np.array([p.supplier_region for p in parts], dtype=str),
        "criticality": np.array([str(p.criticality) for p in parts], dtype=str),
    }


def _outage_process(events: Sequence[Event], masks: np.ndarray) -> OutageProcess:
    """Random outages per part: summed rates, rate-weighted mean duration."""
    n_parts = masks.shape[1]
    if not events:
        return OutageProcess.none(n_parts)
    rate = np.array([e.rate_per_year for e in events], dtype=float)
    duration = np.array([e.duration_days for e in events], dtype=float)
    expo = np.array(
        [e.duration_distribution == DurationDistribution.EXPONENTIAL for e in events]
    )
    rate_sum = masks.T.astype(float) @ rate
    weighted = masks.T.astype(float) @ (rate * duration)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_duration = np.where(rate_sum > 0, weighted / rate_sum, 0.0)
    exponential = (masks & (expo & (rate > 0))[:, None]).any(axis=0)
    return OutageProcess(
        rate_per_year=rate_sum, duration_days=mean_duration, exponential=exponential
    )


def part_disruption(parts: Sequence[Part], scenario: Scenario | None) -> PartDisruption:
    """Condense a scenario into per-part factors for the policy and sourcing models.

    Parameters
    ----------
    parts
        The catalog's parts.
    scenario
        The scenario, or None for no disruption.

    Returns
    -------
    PartDisruption
        ``lead_time_factor``: time average over the horizon of the lead-time
        multiplier in force (the largest of the matching ``lead_time_multiplier``
        events in force, 1 when none), so an event without window counts fully and
        a windowed one by its overlap with the horizon. ``demand_factor``: time
        average of the product of the matching ``demand_surge`` factors in force.
        ``outage``: summed rates of the matching ``random_outages``, their
        rate-weighted mean duration, exponential if any is. ``ride_through_days``:
        the longest overlap of a matching ``supplier_outage`` window with the
        horizon [days].

    Examples
    --------
    >>> from planner.catalog import Part
    >>> p = Part(part_id="A", unit_cost=1, annual_demand=1, lead_time_days=10,
    ...          supplier_region="APAC")
    >>> d = part_disruption([p], PRESETS["Port closure: APAC+NA lead times ×3 for 60 days"])
    >>> round(float(d.lead_time_factor[0]), 4), float(d.ride_through_days[0])
    (1.3288, 0.0)
    """
    n = len(parts)
    if scenario is None:
        return PartDisruption(
            lead_time_factor=np.ones(n),
            demand_factor=np.ones(n),
            outage=OutageProcess.none(n),
            ride_through_days=np.zeros(n),
        )
    keys = _part_keys(parts)
    horizon = scenario.horizon_days

    def averaged(kind: EventType, *, product: bool) -> np.ndarray:
        events = scenario.of_type(kind)
        signatures, group = _groups(_match_matrix(events, keys))
        table = _factor_table(events, signatures, horizon, product=product)
        return table.mean(axis=1)[group]

    windows = scenario.of_type(EventType.SUPPLIER_OUTAGE)
    ride = np.zeros(n)
    if windows:
        start = np.array([e.start_day for e in windows], dtype=float)
        end = np.array([e.end_day for e in windows], dtype=float)
        overlap = np.clip(np.minimum(end, horizon) - np.maximum(start, 0.0), 0.0, None)
        masks = _match_matrix(windows, keys)
        ride = np.max(np.where(masks, overlap[:, None], 0.0), axis=0)
    randoms = scenario.of_type(EventType.RANDOM_OUTAGES)
    return PartDisruption(
        lead_time_factor=averaged(EventType.LEAD_TIME_MULTIPLIER, product=False),
        demand_factor=averaged(EventType.DEMAND_SURGE, product=True),
        outage=_outage_process(randoms, _match_matrix(randoms, keys)),
        ride_through_days=ride,
    )


# -------------------------------------------------------------------------- simulation


def _str_array(value: Any, n: int, name: str) -> np.ndarray:
    """A str array of length n ("" for None)."""
    if value is None:
        return np.full(n, "", dtype=object).astype(str)
    arr = np.asarray(value, dtype=str)
    if arr.shape != (n,):
        raise PlannerError(
            f"simulation plan: {name} must have shape ({n},), got {arr.shape}"
        )
    return arr


def _float_array(value: Any, n: int, name: str, default: float) -> np.ndarray:
    """A float array of length n (``default`` for None)."""
    if value is None:
        return np.full(n, default)
    arr = np.asarray(value, dtype=float)
    if arr.shape != (n,):
        raise PlannerError(
            f"simulation plan: {name} must have shape ({n},), got {arr.shape}"
        )
    return arr


def _check_range(
    arr: np.ndarray, name: str, part_id: np.ndarray, rows: np.ndarray, *, positive: bool
) -> None:
    """Finite and >= 0 (> 0 if ``positive``) on the given rows, else PlannerError."""
    bad = rows & ~(np.isfinite(arr) & ((arr > 0) if positive else (arr >= 0)))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        op = ">" if positive else ">="
        raise PlannerError(
            f"simulation plan, part {part_id[i]}: {name} must be finite and {op} 0, "
            f"got {arr[i]!r}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationPlan:
    """What :func:`simulate` runs: one entry per part in every array.

    ``mode`` takes the values of ``sourcing.Mode`` (``buy_stock``,
    ``print_stock``, ``print_on_demand``, ``hybrid``). ``initial_on_hand``
    [units] is the stock at day 0; ``None`` or ``nan`` starts the part in the
    steady state of its policy. ``lead_time_days`` [days] is the supplier's lead
    time (needed for ``buy_stock`` and ``hybrid``), ``print_lead_time_days``
    [days] the time from a print order to a usable printed unit (needed for the
    printing modes and ``hybrid``), ``print_time_h`` [h] the printer time per unit,
    ``unit_value`` [currency] the value of a unit on the shelf,
    ``downtime_cost_per_day`` [currency/(unit day)] the cost of one unit
    backordered for a day (``nan`` or 0 where none). Arrays left ``None`` take
    their defaults: variance-to-mean 1 (also where nan), buy_stock, empty
    strings, zeros.

    Raises
    ------
    PlannerError
        On arrays of different lengths, an unknown mode, or negative, non-finite
        or non-integer values.
    """

    part_id: np.ndarray
    demand_per_year: np.ndarray
    base_stock_level: np.ndarray
    lead_time_days: np.ndarray
    unit_value: np.ndarray
    variance_to_mean: np.ndarray | None = None
    initial_on_hand: np.ndarray | None = None
    downtime_cost_per_day: np.ndarray | None = None
    mode: np.ndarray | None = None
    print_lead_time_days: np.ndarray | None = None
    print_time_h: np.ndarray | None = None
    printer_id: np.ndarray | None = None
    material: np.ndarray | None = None
    supplier: np.ndarray | None = None
    supplier_region: np.ndarray | None = None
    criticality: np.ndarray | None = None

    def __post_init__(self) -> None:
        part_id = np.asarray(self.part_id, dtype=str)
        if part_id.ndim != 1:
            raise PlannerError(
                f"simulation plan: part_id must be 1-D, got {part_id.shape}"
            )
        n = part_id.shape[0]
        rows = np.ones(n, dtype=bool)
        put = object.__setattr__
        put(self, "part_id", part_id)
        for name in ("mode", "printer_id", "material", "supplier", "supplier_region",
                     "criticality"):  # fmt: skip
            put(self, name, _str_array(getattr(self, name), n, name))
        mode = self.mode
        mode = np.where(mode == "", BUY_STOCK, mode)
        unknown = ~np.isin(mode, MODES)
        if np.any(unknown):
            i = int(np.flatnonzero(unknown)[0])
            raise PlannerError(
                f"simulation plan, part {part_id[i]}: mode must be one of "
                f"{', '.join(MODES)}, got {mode[i]!r}"
            )
        put(self, "mode", mode)
        buys = np.isin(mode, (BUY_STOCK, HYBRID))
        prints = mode != BUY_STOCK
        if self.variance_to_mean is not None:  # unknown dispersion: Poisson
            vtm = np.asarray(self.variance_to_mean, dtype=float)
            put(self, "variance_to_mean", np.where(np.isnan(vtm), 1.0, vtm))
        specs = (
            ("demand_per_year", None, rows, False),
            ("unit_value", None, rows, False),
            ("lead_time_days", None, buys, True),
            ("variance_to_mean", 1.0, rows, False),
            ("downtime_cost_per_day", 0.0, np.zeros(n, bool), False),
            ("print_lead_time_days", 0.0, prints, False),
            ("print_time_h", 0.0, rows, False),
            ("base_stock_level", None, rows, False),
            ("initial_on_hand", math.nan, np.zeros(n, bool), False),
        )
        for name, default, required_rows, positive in specs:
            value = getattr(self, name)
            if value is None and default is None:
                raise PlannerError(f"simulation plan: {name} is required")
            arr = _float_array(value, n, name, math.nan if default is None else default)
            _check_range(arr, name, part_id, required_rows, positive=positive)
            put(self, name, arr)
        dtc = np.nan_to_num(self.downtime_cost_per_day, nan=0.0)
        _check_range(dtc, "downtime_cost_per_day", part_id, rows, positive=False)
        put(self, "downtime_cost_per_day", dtc)
        init = self.initial_on_hand
        given = ~np.isnan(init)
        _check_range(init, "initial_on_hand", part_id, given, positive=False)
        level = self.base_stock_level
        if np.any(level != np.round(level)):
            i = int(np.flatnonzero(level != np.round(level))[0])
            raise PlannerError(
                f"simulation plan, part {part_id[i]}: base_stock_level must be a whole "
                f"number, got {level[i]!r}"
            )
        put(self, "base_stock_level", level.astype(np.int64))
        put(self, "lead_time_days", np.where(buys, self.lead_time_days, 0.0))
        put(
            self,
            "print_lead_time_days",
            np.where(prints, self.print_lead_time_days, 0.0),
        )

    @property
    def n_parts(self) -> int:
        """Number of parts."""
        return int(self.part_id.shape[0])

    @classmethod
    def from_parts(
        cls,
        parts: Sequence[Part],
        *,
        demand_per_year: np.ndarray,
        base_stock_level: np.ndarray,
        variance_to_mean: np.ndarray | None = None,
        initial_on_hand: np.ndarray | None = None,
    ) -> SimulationPlan:
        """A plan that buys and stocks every part at the given base-stock levels."""
        keys = _part_keys(parts)
        return cls(
            part_id=keys["part_id"],
            demand_per_year=demand_per_year,
            base_stock_level=base_stock_level,
            lead_time_days=np.array([p.lead_time_days for p in parts], dtype=float),
            unit_value=np.array([p.unit_cost for p in parts], dtype=float),
            variance_to_mean=variance_to_mean,
            initial_on_hand=initial_on_hand,
            downtime_cost_per_day=np.array(
                [
                    math.nan
                    if p.downtime_cost_per_day is None
                    else p.downtime_cost_per_day
                    for p in parts
                ],
                dtype=float,
            ),
            supplier=keys["supplier"],
            supplier_region=keys["supplier_region"],
            criticality=keys["criticality"],
            material=np.array([p.am_material for p in parts], dtype=str),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class KPI:
    """A simulated KPI: mean over paths and its 95 % confidence interval."""

    mean: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, float]:
        """``{mean, ci_low, ci_high}`` as plain floats."""
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high}


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationResult:
    """KPIs of a plan under a scenario, from ``paths`` Monte Carlo paths.

    ``kpis`` (each a mean over paths with its 95 % interval):

    - fill_rate: units served at once from stock / units demanded, over all
      parts and paths (ratio estimator, delta-method interval) [fraction];
    - stockout_days: days a stocked part (S >= 1, demand > 0) ended with no
      stock, summed over parts [part-days per path];
    - backorder_days: time integral of the backorders, summed over parts
      [unit-days per path] (its mean / horizon is the expected backorders EBO);
    - downtime_cost: backorder_days x downtime_cost_per_day [currency per path];
    - print_hours: units ordered by printing x print_time_h [h per path];
    - inventory_value: time average of stock x unit_value [currency].

    ``path_kpis`` holds the per-path values behind them (plus ``units_served``
    and ``units_demanded``), so results on the same seed can be compared path
    by path. ``per_part`` has, per part, its fill_rate, stockout_days,
    backorder_days, downtime_cost and print_hours (means per path) and
    mean_on_hand [units]. ``on_hand_quantiles`` is (days, parts, 5) float32:
    the 5/25/50/75/95 % quantiles of end-of-day stock across paths (no days when
    not kept); ``printer_load_hours`` is (days, printers): print hours started
    per day, mean over paths, columns ``printer_ids``.
    """

    paths: int
    seed: int
    horizon_days: int
    scenario_name: str
    kpis: dict[str, KPI]
    per_part: list[dict[str, Any]]
    path_kpis: dict[str, np.ndarray]
    part_id: tuple[str, ...]
    on_hand_quantiles: np.ndarray
    printer_ids: tuple[str, ...] = ()
    printer_load_hours: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def to_dict(self) -> dict[str, Any]:
        """The ``simulate`` JSON of DESIGN.md (plain floats, no arrays)."""
        return {
            "paths": self.paths,
            "seed": self.seed,
            "horizon_days": self.horizon_days,
            "scenario": self.scenario_name,
            **{name: self.kpis[name].to_dict() for name in KPI_NAMES},
            "per_part": [dict(row) for row in self.per_part],
        }


def _stream_children(seed: int, n_chunks: int, n_random_events: int) -> dict[str, Any]:
    """Independent random streams: demand/init/split per chunk, outages per event."""
    demand, init, split, outage = np.random.SeedSequence(seed).spawn(4)
    return {
        "demand": demand.spawn(n_chunks),
        "init": init.spawn(n_chunks),
        "split": split.spawn(n_chunks),
        "outage": outage.spawn(max(n_random_events, 1)),
    }


def _merge_runs(end: np.ndarray) -> np.ndarray:
    """Carry the end of a window back over the days before it that are also out.

    ``end`` is (..., days, ...) with day on axis 1 and nan where not out;
    back-to-back windows become one, ending at the last end.
    """
    out = end.copy()
    for t in range(out.shape[1] - 2, -1, -1):
        both = ~np.isnan(out[:, t]) & ~np.isnan(out[:, t + 1])
        out[:, t] = np.where(both, np.fmax(out[:, t], out[:, t + 1]), out[:, t])
    return out


def _random_outage_ends(
    event: Event, horizon_days: int, n_paths: int, rng: np.random.Generator
) -> np.ndarray:
    """End day of the random outage in progress, (days, paths), nan where none.

    Outage starts are Poisson over [-lookback, horizon), so an outage may be in
    progress at day 0 as in the long run.
    """
    duration = float(event.duration_days or 0.0)
    expo = event.duration_distribution == DurationDistribution.EXPONENTIAL
    lookback = 10.0 * duration if expo else duration
    span = horizon_days + lookback
    rate = float(event.rate_per_year or 0.0) / DAYS_PER_YEAR
    counts = rng.poisson(rate * span, size=n_paths)
    k_max = int(counts.max(initial=0))
    starts = rng.uniform(-lookback, horizon_days, size=(n_paths, k_max))
    lengths = (
        rng.exponential(duration, size=(n_paths, k_max))
        if expo
        else np.full((n_paths, k_max), duration)
    )
    ends = starts + lengths
    valid = np.arange(k_max)[None, :] < counts[:, None]
    mid = np.arange(horizon_days)[:, None] + 0.5
    result = np.full((horizon_days, n_paths), np.nan)
    for k in range(k_max):
        covered = (mid >= starts[:, k]) & (mid < ends[:, k]) & valid[:, k]
        result = np.fmax(result, np.where(covered, ends[:, k], np.nan))
    return result


def _outage_tables(
    scenario: Scenario,
    keys: Mapping[str, np.ndarray],
    n_paths: int,
    outage_streams: Sequence[np.random.SeedSequence],
) -> tuple[np.ndarray | None, np.ndarray]:
    """Supplier-outage end per group, day and path, and each part's group.

    Returns ``(table, group)``: ``table`` (groups + 1, days, paths) float32 with
    nan where the supplier is not out (the last group is "no outage source"),
    or None when the scenario has no outage; ``group`` (parts,).
    """
    horizon = scenario.horizon_days
    n_parts = len(keys["part_id"])
    fixed = scenario.of_type(EventType.SUPPLIER_OUTAGE)
    randoms = scenario.of_type(EventType.RANDOM_OUTAGES)
    sources = [*fixed, *randoms]
    if not sources:
        return None, np.zeros(n_parts, dtype=np.int64)
    ends: list[np.ndarray] = []
    active = _active(fixed, horizon) if fixed else np.zeros((0, horizon), bool)
    for e, on in zip(fixed, active, strict=True):
        day_end = np.where(on, e.end_day, np.nan)
        ends.append(np.broadcast_to(day_end[:, None], (horizon, n_paths)))
    for k, e in enumerate(randoms):
        rng = np.random.default_rng(outage_streams[k])
        ends.append(_random_outage_ends(e, horizon, n_paths, rng))
    masks = _match_matrix(sources, keys)
    signatures, group = _groups(masks)
    used = signatures.any(axis=1)
    table = np.full((signatures.shape[0] + 1, horizon, n_paths), np.nan)
    for g in np.flatnonzero(used):
        combined = np.full((horizon, n_paths), np.nan)
        for j in np.flatnonzero(signatures[g]):
            combined = np.fmax(combined, ends[j])
        table[g] = combined
    table = _merge_runs(table).astype(np.float32)
    group = np.where(used[group], group, signatures.shape[0])
    return table, group


def _print_block_table(
    scenario: Scenario, printer_id: np.ndarray, material: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Day a blocked print route frees up, per group and day (groups + 1, days).

    nan where the route is free; the last group has no block.
    """
    horizon = scenario.horizon_days
    events = scenario.of_type(EventType.PRINTER_DOWN, EventType.MATERIAL_SHORTAGE)
    masks = _route_matrix(events, printer_id, material)
    signatures, group = _groups(masks)
    table = np.full((signatures.shape[0] + 1, horizon), np.nan)
    if events:
        ends = np.where(
            _active(events, horizon),
            np.array([e.end_day for e in events])[:, None],
            np.nan,
        )
        for g in range(signatures.shape[0]):
            rows = ends[signatures[g]]
            if rows.shape[0]:
                table[g] = np.fmax.reduce(rows, axis=0)
        table = _merge_runs(table)
    else:
        group = np.full(printer_id.shape[0], signatures.shape[0], dtype=np.int64)
    return table, group


def _delivery_offset(base_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole-day offset and the probability of one day more, from ``y`` [days].

    A unit delivered at ``t + floor(y)`` with probability ``1 - frac(y)`` and at
    ``t + floor(y) + 1`` otherwise arrives on average at ``t + y``; the offset is
    at least one day.
    """
    low = np.floor(base_days)
    return np.maximum(low, 1.0).astype(np.int64), base_days - low


#: Daily mean above which demand is drawn by numpy's samplers, not by inversion.
INVERSION_MAX_MEAN_PER_DAY = 30.0


def _draw_demand(
    rng: np.random.Generator, mean: np.ndarray, ratio: np.ndarray, n_paths: int
) -> tuple[np.ndarray, np.ndarray]:
    """Daily demand counts (parts, paths) and the flat indices of nonzero cells.

    Poisson, or negative binomial where the variance-to-mean ratio exceeds 1.05.

    Counts come from one uniform per cell by inverting the distribution
    function, so a part's draws depend only on its own mean, and a higher mean
    gives cell by cell at least as much demand (common random numbers across
    scenarios). Rows with a mean above :data:`INVERSION_MAX_MEAN_PER_DAY` use
    numpy's samplers instead. The negative binomial has mean ``mean`` and
    variance ``ratio * mean`` where ``ratio`` > 1.05.
    """
    n_rows = mean.shape[0]
    uniform = rng.random((n_rows, n_paths))
    big = mean > INVERSION_MAX_MEAN_PER_DAY
    nb = (ratio > OVERDISPERSED_VTM) & (mean > 0)
    success = np.where(nb, 1.0 / np.where(nb, ratio, 2.0), 1.0)
    size = np.where(nb, mean / np.where(nb, ratio - 1.0, 1.0), 0.0)
    first = np.where(nb, success**size, np.exp(-mean))
    first = np.where(big, 2.0, first)  # no cell inverts on a big row
    counts = np.zeros((n_rows, n_paths), dtype=np.int64)
    flat = counts.reshape(-1)
    cells = np.flatnonzero(uniform > first[:, None])
    busy = cells
    rows = cells // n_paths
    u = uniform.reshape(-1)[cells]
    pmf = first[rows]
    cdf = pmf.copy()
    k = 0
    while cells.size:
        k += 1
        flat[cells] = k
        step = np.where(
            nb[rows], (k - 1 + size[rows]) / k * (1.0 - success[rows]), mean[rows] / k
        )
        pmf = pmf * step
        cdf += pmf
        keep = (u > cdf) & (pmf > 0)
        cells, rows, u, pmf, cdf = (
            cells[keep],
            rows[keep],
            u[keep],
            pmf[keep],
            cdf[keep],
        )
    big_rows = np.flatnonzero(big)
    for i in big_rows:
        if nb[i]:
            counts[i] = rng.negative_binomial(size[i], success[i], n_paths)
        else:
            counts[i] = rng.poisson(mean[i], n_paths)
    return counts, (np.flatnonzero(counts) if big_rows.size else busy)


def _quantile_positions(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order statistics and weights of :data:`ON_HAND_QUANTILES` among n values.

    numpy's default ("linear") method: position q (n - 1), interpolated.
    """
    positions = np.asarray(ON_HAND_QUANTILES) * (n - 1)
    low = np.floor(positions).astype(np.int64)
    return low, np.minimum(low + 1, n - 1), positions - low


def _row_quantiles(
    values: np.ndarray, order_stats: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray:
    """Quantiles of each row (rows, 5), as ``np.quantile(values, q, axis=1).T``.

    Sorting small integers row-wise is several times faster than np.quantile.
    """
    low, high, frac = order_stats
    srt = np.sort(values, axis=1)
    below = srt[:, low]
    return below + (srt[:, high] - below) * frac


@dataclass(frozen=True, slots=True, kw_only=True)
class _Tables:
    """Scenario effects per group and day, shared by all chunks of parts."""

    lead_factor: np.ndarray
    lead_group: np.ndarray
    surge: np.ndarray
    surge_group: np.ndarray
    outage_end: np.ndarray | None
    outage_group: np.ndarray
    print_free: np.ndarray
    print_group: np.ndarray
    printer_index: np.ndarray


def _simulate_chunk(
    plan: SimulationPlan,
    rows: slice,
    tables: _Tables,
    horizon: int,
    n_paths: int,
    streams: tuple[np.random.SeedSequence, ...],
    quantiles: np.ndarray,
    printer_load: np.ndarray,
) -> dict[str, np.ndarray]:
    """Run parts ``rows`` over all paths; fill ``quantiles`` and ``printer_load``."""
    rng_demand, rng_init, rng_split = (np.random.default_rng(s) for s in streams)
    lam_day = plan.demand_per_year[rows] / DAYS_PER_YEAR
    n_parts = lam_day.shape[0]
    level = plan.base_stock_level[rows]
    lead = plan.lead_time_days[rows]
    print_lead = plan.print_lead_time_days[rows]
    mode = plan.mode[rows]
    print_mode = np.isin(mode, (PRINT_STOCK, PRINT_ON_DEMAND))
    hybrid = mode == HYBRID
    vtm = plan.variance_to_mean[rows]
    lead_group = tables.lead_group[rows]
    surge_group = tables.surge_group[rows]
    out_group = tables.outage_group[rows]
    print_group = tables.print_group[rows]
    printer_index = tables.printer_index[rows]
    print_time = plan.print_time_h[rows]

    # Stationary start: the orders of the days before day 0 still in the pipeline.
    normal_y = np.where(print_mode, print_lead, lead) + 0.5
    offset, p_late = _delivery_offset(normal_y)
    calendar = np.zeros((horizon + 1, n_parts, n_paths), dtype=np.int32)
    # Slot ``horizon`` collects whatever arrives after the horizon.
    for a in range(int(offset.max(initial=0)) + 1):
        still_due = (1.0 - p_late) * (a < offset) + p_late * (a < offset + 1)
        calendar[min(a, horizon)] += rng_init.poisson(
            (lam_day * still_due)[:, None], (n_parts, n_paths)
        ).astype(np.int32)
    pipeline = calendar.sum(axis=0, dtype=np.int64)
    on_hand = np.maximum(level[:, None] - pipeline, 0)
    backorders = np.maximum(pipeline - level[:, None], 0)
    init = plan.initial_on_hand[rows]
    given = np.flatnonzero(~np.isnan(init))
    if given.size:
        # A given stock: what is missing up to S is on order, due evenly over
        # the normal replenishment time.
        start_stock = np.round(init[given]).astype(np.int64)
        missing = np.maximum(level[given] - start_stock, 0)
        days = offset[given]
        calendar[:, given] = 0
        for a in range(int(days.max(initial=0))):
            due_by = np.round(missing * np.minimum(a + 1, days) / days)
            due_before = np.round(missing * np.minimum(a, days) / days)
            calendar[min(a, horizon), given] += (due_by - due_before).astype(np.int32)[
                :, None
            ]
        on_hand[given] = start_stock[:, None]
        backorders[given] = 0
    position = on_hand - backorders + calendar.sum(axis=0, dtype=np.int64)
    flat_calendar = calendar.reshape(-1)

    shape = (n_parts, n_paths)
    acc = {
        name: np.zeros(shape, dtype=np.int64)
        for name in ("demand", "served", "stockout", "printed", "carried", "held")
    }
    # Within-day parts of the backorder and on-hand time integrals.
    acc["backorder"] = np.zeros(shape)
    acc["on_hand"] = np.zeros(shape)
    flat = {name: values.reshape(-1) for name, values in acc.items()}
    on_hand_flat = on_hand.reshape(-1)
    backorders_flat = backorders.reshape(-1)
    position_flat = position.reshape(-1)
    level_cell = np.repeat(level, n_paths)
    not_stocked = ~((level > 0) & (lam_day > 0))[:, None]
    order_stats = _quantile_positions(n_paths)
    for t in range(horizon):
        mean = lam_day * tables.surge[surge_group, t]
        demand, busy = _draw_demand(rng_demand, mean, vtm, n_paths)
        on_hand += calendar[t]
        cleared = np.minimum(backorders, on_hand)
        backorders -= cleared
        on_hand -= cleared
        acc["carried"] += backorders

        units_demanded = demand.reshape(-1)[busy]
        stock = on_hand_flat[busy]
        served = np.minimum(units_demanded, stock)
        short = units_demanded - served
        on_hand_flat[busy] = stock - served
        backorders_flat[busy] += short
        flat["demand"][busy] += units_demanded
        flat["served"][busy] += served
        # Exact within-day time integrals given the counts: the day's units come
        # at uniform times, and the last ``short`` of them wait till the day ends.
        half_slot = 0.5 / (units_demanded + 1.0)
        flat["backorder"][busy] += short * (short + 1) * half_slot
        flat["on_hand"][busy] += served * (served + 1) * half_slot
        acc["held"] += on_hand
        acc["stockout"] += on_hand == 0
        ordered_position = position_flat[busy] - units_demanded
        units = np.maximum(level_cell[busy] - ordered_position, 0)
        position_flat[busy] = ordered_position + units
        if quantiles.shape[0]:
            quantiles[t, rows] = _row_quantiles(on_hand, order_stats)

        placed = busy[units > 0]
        if placed.size == 0:
            continue
        units = units[units > 0]
        r, c = np.divmod(placed, n_paths)
        lead_now = lead[r] * tables.lead_factor[lead_group[r], t]
        buy_y = 0.5 + lead_now
        supplier_out = np.zeros(placed.size, dtype=bool)
        if tables.outage_end is not None:
            out_end = tables.outage_end[out_group[r], t, c].astype(float)
            supplier_out = ~np.isnan(out_end)
            buy_y = np.where(supplier_out, out_end - t + lead_now, buy_y)
        free_at = tables.print_free[print_group[r], t]
        blocked = ~np.isnan(free_at)
        print_y = np.where(blocked, free_at - t, 0.5) + print_lead[r]
        to_print = print_mode[r] | (hybrid[r] & supplier_out)
        y = np.where(to_print, print_y, buy_y)
        step, p_next = _delivery_offset(y)
        late = np.zeros_like(units)
        split = p_next > 0
        if np.any(split):
            late[split] = rng_split.binomial(units[split], p_next[split])
        day_early = np.minimum(t + step, horizon)
        day_late = np.minimum(t + step + 1, horizon)
        flat_calendar[(day_early * n_parts + r) * n_paths + c] += units - late
        flat_calendar[(day_late * n_parts + r) * n_paths + c] += late

        if np.any(to_print):
            pr, pu = r[to_print], units[to_print]
            flat["printed"][placed[to_print]] += pu
            on_printer = printer_index[pr] >= 0
            if np.any(on_printer):
                start = np.where(
                    blocked[to_print], np.floor(np.nan_to_num(free_at[to_print])), t
                ).astype(np.int64)
                keep = on_printer & (start < horizon)
                np.add.at(
                    printer_load,
                    (start[keep], printer_index[pr[keep]]),
                    pu[keep] * print_time[pr[keep]] / n_paths,
                )
    acc["stockout"][not_stocked[:, 0]] = 0
    acc["backorder"] += acc.pop("carried")
    acc["on_hand"] += acc.pop("held")
    return acc


def _kpi(values: np.ndarray) -> KPI:
    """Mean and normal 95 % interval over paths."""
    n = values.shape[0]
    mean = float(np.mean(values))
    half = Z_95 * float(np.std(values, ddof=1)) / math.sqrt(n)
    return KPI(mean=mean, ci_low=mean - half, ci_high=mean + half)


def _ratio_terms(served: np.ndarray, demanded: np.ndarray) -> tuple[float, np.ndarray]:
    """Ratio estimator of the fill rate and its per-path linearisation.

    The fill rate is total served / total demanded over all paths; the per-path
    terms ``(served - R demanded) / mean demanded`` give its standard error by the
    delta method.
    """
    total = float(demanded.sum())
    if total <= 0:
        return 1.0, np.zeros(served.shape[0])
    ratio = float(served.sum()) / total
    return ratio, (served - ratio * demanded) / (total / served.shape[0])


def _fill_kpi(served: np.ndarray, demanded: np.ndarray) -> KPI:
    """Fill-rate KPI: ratio estimator, delta-method 95 % interval within [0, 1]."""
    ratio, terms = _ratio_terms(served, demanded)
    half = Z_95 * float(np.std(terms, ddof=1)) / math.sqrt(served.shape[0])
    return KPI(
        mean=ratio, ci_low=max(ratio - half, 0.0), ci_high=min(ratio + half, 1.0)
    )


def simulate(
    plan: SimulationPlan,
    scenario: Scenario,
    *,
    n_paths: int = 500,
    seed: int = 0,
    printers: Sequence[Printer] = (),
    keep_quantiles: bool = True,
) -> SimulationResult:
    r"""Monte Carlo of a stock-and-print plan under a disruption scenario.

    Parameters
    ----------
    plan
        Parts, their demand, base-stock levels and sourcing modes.
    scenario
        Events over ``scenario.horizon_days`` days.
    n_paths
        Number of independent paths (>= 2).
    seed
        Seed (>= 0). The same seed gives the same result bit for bit; the demand
        and outage draws come from their own streams, so plans simulated under
        one seed see the same demand and outages (common random numbers).
    printers
        The lab's printers: the columns of ``printer_load_hours`` (printers the
        plan names but this list lacks are added after them).
    keep_quantiles
        Whether to keep the daily on-hand quantiles of every part; without them
        ``on_hand_quantiles`` has no days, which saves memory and time on large
        catalogs.

    Returns
    -------
    SimulationResult
        KPIs with 95 % intervals (mean over paths :math:`\pm 1.96\,s/\sqrt{n}`;
        the fill rate as a ratio of totals with a delta-method interval), per-part
        figures, per-path KPI arrays, on-hand quantiles and printer load.

    Raises
    ------
    PlannerError
        If ``n_paths`` is not in [2, 1000000], ``seed`` < 0, or one part's
        pipeline calendar (horizon x paths) would exceed 1 GB.

    Notes
    -----
    One-for-one (S-1, S) replenishment for every mode. ``buy_stock`` orders
    from the supplier (lead time times the multiplier in force; an order placed
    during an outage waits for its end); ``print_stock`` and ``print_on_demand``
    print (``print_lead_time_days``; an order placed while the printer is down or
    the material short waits for the window's end); ``hybrid`` buys, but prints
    what it orders while the supplier is out. Orders in transit are not affected
    by later events. Arrivals after the horizon are dropped.

    Examples
    --------
    >>> import numpy as np
    >>> plan = SimulationPlan(part_id=np.array(["A"]), demand_per_year=np.array([36.5]),
    ...     base_stock_level=np.array([4]), lead_time_days=np.array([20.0]),
    ...     unit_value=np.array([10.0]))
    >>> r = simulate(plan, PRESETS["Baseline"], n_paths=200, seed=1)
    >>> 0.8 < r.kpis["fill_rate"].mean < 0.9   # P(Poisson(2) <= 3) = 0.857
    True
    """
    if not (isinstance(n_paths, int | np.integer) and 2 <= n_paths <= 1_000_000):
        raise PlannerError(
            f"simulate: n_paths must be an integer in [2, 1000000], got {n_paths!r}"
        )
    if not (isinstance(seed, int | np.integer) and seed >= 0):
        raise PlannerError(f"simulate: seed must be an integer >= 0, got {seed!r}")
    n_paths = int(n_paths)
    seed = int(seed)
    horizon = scenario.horizon_days
    n_parts = plan.n_parts
    keys = {
        "part_id": plan.part_id,
        "supplier": plan.supplier,
        "supplier_region": plan.supplier_region,
        "criticality": plan.criticality,
    }
    bytes_per_part = (horizon + 1) * n_paths * 4
    if bytes_per_part > MAX_CALENDAR_BYTES_PER_PART:
        raise PlannerError(
            f"simulate: {n_paths} paths over {horizon} days need "
            f"{bytes_per_part / 1e9:.1f} GB per part; use fewer paths or a shorter "
            "horizon"
        )
    chunk = max(1, CALENDAR_BUDGET_BYTES // bytes_per_part)
    n_chunks = max(1, math.ceil(n_parts / chunk))
    randoms = scenario.of_type(EventType.RANDOM_OUTAGES)
    streams = _stream_children(seed, n_chunks, len(randoms))

    lead_events = scenario.of_type(EventType.LEAD_TIME_MULTIPLIER)
    lead_sig, lead_group = _groups(_match_matrix(lead_events, keys))
    surge_events = scenario.of_type(EventType.DEMAND_SURGE)
    surge_sig, surge_group = _groups(_match_matrix(surge_events, keys))
    outage_end, outage_group = _outage_tables(
        scenario, keys, n_paths, streams["outage"]
    )
    print_free, print_group = _print_block_table(
        scenario, plan.printer_id, plan.material
    )
    printer_ids = [p.printer_id for p in printers]
    known = {pid.strip().lower() for pid in printer_ids}
    for pid in sorted(set(plan.printer_id[plan.mode != BUY_STOCK].tolist())):
        if pid.strip() and pid.strip().lower() not in known:
            printer_ids.append(pid)
            known.add(pid.strip().lower())
    lookup = {pid.strip().lower(): i for i, pid in enumerate(printer_ids)}
    printer_index = np.array(
        [lookup.get(pid.strip().lower(), -1) for pid in plan.printer_id.tolist()],
        dtype=np.int64,
    )
    tables = _Tables(
        lead_factor=_factor_table(lead_events, lead_sig, horizon, product=False),
        lead_group=lead_group,
        surge=_factor_table(surge_events, surge_sig, horizon, product=True),
        surge_group=surge_group,
        outage_end=outage_end,
        outage_group=outage_group,
        print_free=print_free,
        print_group=print_group,
        printer_index=printer_index,
    )

    quantile_days = horizon if keep_quantiles else 0
    quantiles = np.zeros(
        (quantile_days, n_parts, len(ON_HAND_QUANTILES)), dtype=np.float32
    )
    printer_load = np.zeros((horizon, len(printer_ids)))
    totals = {
        name: np.zeros((n_parts, n_paths), dtype=np.int64)
        for name in ("demand", "served", "stockout", "printed")
    }
    totals["backorder"] = np.zeros((n_parts, n_paths))
    totals["on_hand"] = np.zeros((n_parts, n_paths))
    for k in range(n_chunks):
        rows = slice(k * chunk, min((k + 1) * chunk, n_parts))
        acc = _simulate_chunk(
            plan,
            rows,
            tables,
            horizon,
            n_paths,
            (streams["demand"][k], streams["init"][k], streams["split"][k]),
            quantiles,
            printer_load,
        )
        for name, values in acc.items():
            totals[name][rows] = values

    served = totals["served"].sum(axis=0).astype(float)
    demanded = totals["demand"].sum(axis=0).astype(float)
    backorder = totals["backorder"].astype(float)
    path_kpis = {
        "fill_rate": np.divide(
            served, demanded, out=np.ones(n_paths), where=demanded > 0
        ),
        "stockout_days": totals["stockout"].sum(axis=0).astype(float),
        "backorder_days": backorder.sum(axis=0),
        "downtime_cost": plan.downtime_cost_per_day @ backorder,
        "print_hours": plan.print_time_h @ totals["printed"].astype(float),
        "inventory_value": plan.unit_value @ totals["on_hand"].astype(float) / horizon,
        "units_served": served,
        "units_demanded": demanded,
    }
    kpis = {name: _kpi(path_kpis[name]) for name in KPI_NAMES}
    kpis["fill_rate"] = _fill_kpi(served, demanded)

    part_demand = totals["demand"].sum(axis=1)
    part_fill = np.divide(
        totals["served"].sum(axis=1),
        part_demand,
        out=np.ones(n_parts),
        where=part_demand > 0,
    )
    per_part_values = {
        "fill_rate": part_fill,
        "stockout_days": totals["stockout"].mean(axis=1),
        "backorder_days": backorder.mean(axis=1),
        "downtime_cost": backorder.mean(axis=1) * plan.downtime_cost_per_day,
        "print_hours": totals["printed"].mean(axis=1) * plan.print_time_h,
        "mean_on_hand": totals["on_hand"].mean(axis=1) / horizon,
    }
    per_part = [
        {"part_id": str(pid), **{k: float(v[i]) for k, v in per_part_values.items()}}
        for i, pid in enumerate(plan.part_id.tolist())
    ]
    return SimulationResult(
        paths=n_paths,
        seed=seed,
        horizon_days=horizon,
        scenario_name=scenario.name,
        kpis=kpis,
        per_part=per_part,
        path_kpis=path_kpis,
        part_id=tuple(plan.part_id.tolist()),
        on_hand_quantiles=quantiles,
        printer_ids=tuple(printer_ids),
        printer_load_hours=printer_load,
    )


def _path_terms(result: SimulationResult, name: str) -> tuple[float, np.ndarray]:
    """Point estimate and per-path linear terms of a KPI (mean zero for the ratio)."""
    if name == "fill_rate":
        return _ratio_terms(
            result.path_kpis["units_served"], result.path_kpis["units_demanded"]
        )
    values = result.path_kpis[name]
    mean = float(np.mean(values))
    return mean, values - mean


def compare(results: Mapping[str, SimulationResult]) -> list[dict[str, Any]]:
    """Results side by side, each with its difference from the first.

    Parameters
    ----------
    results
        ``{label: result}``; the first is the reference (usually the baseline).

    Returns
    -------
    list[dict]
        One row per result: ``label``, ``scenario``, and for every KPI ``k``:
        ``k`` (mean), ``k_ci_low``, ``k_ci_high``, ``k_diff`` (minus the first),
        ``k_diff_ci_low``, ``k_diff_ci_high`` (95 %). When two results share
        seed, paths and horizon the paths share their random numbers and the
        interval is that of the per-path (paired) difference; otherwise the two
        standard errors are combined as independent.

    Raises
    ------
    PlannerError
        If ``results`` is empty.
    """
    if not results:
        raise PlannerError("compare: no results to compare")
    labels = list(results)
    first = results[labels[0]]
    rows = []
    for label in labels:
        res = results[label]
        paired = (res.seed, res.paths, res.horizon_days) == (
            first.seed,
            first.paths,
            first.horizon_days,
        )
        row: dict[str, Any] = {"label": label, "scenario": res.scenario_name}
        for name in KPI_NAMES:
            kpi = res.kpis[name]
            est, terms = _path_terms(res, name)
            est0, terms0 = _path_terms(first, name)
            if paired:
                se = float(np.std(terms - terms0, ddof=1)) / math.sqrt(res.paths)
            else:
                se = math.hypot(
                    float(np.std(terms, ddof=1)) / math.sqrt(res.paths),
                    float(np.std(terms0, ddof=1)) / math.sqrt(first.paths),
                )
            diff = est - est0
            row[name] = kpi.mean
            row[f"{name}_ci_low"] = kpi.ci_low
            row[f"{name}_ci_high"] = kpi.ci_high
            row[f"{name}_diff"] = diff
            row[f"{name}_diff_ci_low"] = diff - Z_95 * se
            row[f"{name}_diff_ci_high"] = diff + Z_95 * se
        rows.append(row)
    return rows
