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
        except (json.JSONDecodeError, RecursionError, ValueError):
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
    except (RecursionError, ValueError) as exc:
        raise ScenarioError(
            f"scenario file {label}: cannot decode JSON (nested too deeply or a "
            f"number too long: {exc})"
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
    except RecursionError:
        raise ScenarioError(
            f"scenario file {label}: invalid YAML: nested too deeply"
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
    reorder_point: np.ndarray | None = None
    lot_size: np.ndarray | None = None
    post_process_days: np.ndarray | None = None
    printer_hours_per_day: Mapping[str, float] | None = None

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
        lot = _float_array(self.lot_size, n, "lot_size", math.nan)
        lot_rows = ~np.isnan(lot)
        rop = _float_array(self.reorder_point, n, "reorder_point", math.nan)
        bad_lot = lot_rows & ~((lot >= 1) & (lot == np.round(lot)) & (lot < 1e9))
        bad_rop = (
            lot_rows
            & ~np.isnan(rop)
            & ~(
                (rop >= -np.where(lot_rows, lot, 1.0))
                & (rop == np.round(rop))
                & (rop < 1e9)
            )
        )
        for bad, name, arr, rule in (
            (bad_lot, "lot_size", lot, "a whole number >= 1 (or nan)"),
            (bad_rop, "reorder_point", rop, "a whole number >= -lot_size (or nan)"),
        ):
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                raise PlannerError(
                    f"simulation plan, part {part_id[i]}: {name} must be {rule}, "
                    f"got {arr[i]!r}"
                )
        # One-for-one where no lot size is given: r = S - 1, Q = 1; a lot size
        # without a reorder point orders up to S (r = S - Q).
        q = np.where(lot_rows, lot, 1.0).astype(np.int64)
        r = np.where(lot_rows & ~np.isnan(rop), rop, level - q).astype(np.int64)
        put(self, "lot_size", q)
        put(self, "reorder_point", r)
        post = _float_array(self.post_process_days, n, "post_process_days", 0.0)
        _check_range(post, "post_process_days", part_id, rows, positive=False)
        put(self, "post_process_days", post)
        hours = self.printer_hours_per_day
        if hours is not None:
            hours = {str(k): float(v) for k, v in dict(hours).items()}
            for pid, h in hours.items():
                if not (math.isfinite(h) and 0.0 <= h <= 24.0):
                    raise PlannerError(
                        f"simulation plan, printer {pid}: printer_hours_per_day must "
                        f"be in [0, 24], got {h!r}"
                    )
            put(self, "printer_hours_per_day", hours)
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
    quantile_part_ids: tuple[str, ...] | None = None
    printer_queue_hours: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def tracked_part_ids(self) -> tuple[str, ...]:
        """Parts along axis 1 of ``on_hand_quantiles`` (every part when not set)."""
        if self.quantile_part_ids is None:
            return self.part_id
        return self.quantile_part_ids

    def on_hand_band(self, part_id: str) -> np.ndarray:
        """End-of-day on-hand quantiles of one part, (days, 5) float32.

        Raises
        ------
        PlannerError
            If the part's daily stock was not tracked in this run.
        """
        tracked = self.tracked_part_ids
        if part_id not in tracked or self.on_hand_quantiles.shape[0] == 0:
            raise PlannerError(
                f"simulation result: part {part_id!r} has no daily stock quantiles "
                f"(tracked: {', '.join(tracked[:10]) or 'none'})"
            )
        return self.on_hand_quantiles[:, tracked.index(part_id), :]

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


#: Paths simulated together in one block (and one random stream).
PATH_BLOCK = 64
#: Most parts in one block.
PART_BLOCK = 512
#: Expected demand events (horizon) per block; fast movers get smaller blocks.
BLOCK_EVENT_BUDGET = 400_000
#: Working memory per expected demand unit of a block [bytes] (estimate).
BYTES_PER_UNIT = 160
#: Default memory a simulation may use [bytes].
MAX_SIMULATION_BYTES = 2_000_000_000
#: Parts whose daily on-hand quantiles are kept by default (all parts up to this).
DEFAULT_TRACKED_PARTS = 500
#: Daily mean above which Poisson counts come from scipy's inverse, not a loop.
INVERSION_LOOP_MAX_MEAN = 40.0

# Stream kinds (first word of every SeedSequence spawn key).
_HORIZON_STREAM, _PRE_STREAM, _INIT_STREAM, _OUTAGE_STREAM = 1, 2, 3, 4


def _stream(seed: int, *key: int) -> np.random.Generator:
    """The generator of one block: its draws depend on seed and key only."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _poisson_inverse(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson counts by inverting the distribution function at ``u``.

    A larger mean gives, cell by cell, at least as large a count (common random
    numbers across scenarios that change demand).
    """
    counts = np.zeros(u.shape[0], dtype=np.int64)
    big = mean > INVERSION_LOOP_MAX_MEAN
    if np.any(big):
        from scipy import stats  # only for fast movers

        counts[big] = stats.poisson.ppf(u[big], mean[big]).astype(np.int64)
    pmf = np.exp(-np.where(big, 0.0, mean))
    cdf = pmf.copy()
    idx = np.flatnonzero(~big & (u > cdf))
    k = 0
    while idx.size:
        k += 1
        counts[idx] = k
        pmf[idx] *= mean[idx] / k
        cdf[idx] += pmf[idx]
        idx = idx[(u[idx] > cdf[idx]) & (pmf[idx] > 0)]
    return counts


def _sorted_positions(
    rng: np.random.Generator, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted uniform positions in (0, 1) per segment, and each one's segment.

    ``counts[s]`` order statistics of uniforms per segment ``s``, as normalised
    partial sums of ``counts[s] + 1`` exponentials (no sort).
    """
    n_seg = counts.shape[0]
    total = int(counts.sum())
    seg = np.repeat(np.arange(n_seg, dtype=np.int64), counts)
    if total == 0:
        return np.zeros(0), seg
    gaps = rng.standard_exponential(total + n_seg)
    csum = np.cumsum(gaps)
    end = np.cumsum(counts + 1) - 1  # index of each segment's closing gap
    first = end - counts
    base = np.where(first > 0, csum[np.maximum(first - 1, 0)], 0.0)
    span = csum[end] - base
    # Event k of segment s is partial sum first[s] + k = (its global index) + s.
    return (csum[np.arange(total, dtype=np.int64) + seg] - base[seg]) / span[seg], seg


@dataclass(frozen=True, slots=True, kw_only=True)
class _Demand:
    """Demand units of one block, sorted in time within each (part, path) segment."""

    time: np.ndarray  # [days], float64
    seg: np.ndarray  # segment of each unit
    offset: np.ndarray  # first unit of each segment (n_seg + 1)
    local: np.ndarray  # index of the unit within its segment


def _draw_units(
    rng: np.random.Generator,
    mean: np.ndarray,
    vtm: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand units per segment over a span: (positions in (0, 1), segment, counts).

    Poisson units, or for ``vtm`` > 1.05 negative binomial over the span: a
    Poisson number of batches with logarithmic sizes (a compound Poisson process,
    so every sub-interval is negative binomial with the same variance-to-mean).
    """
    nb = vtm > OVERDISPERSED_VTM
    with np.errstate(divide="ignore", invalid="ignore"):
        batch_mean = np.where(nb, mean * np.log(vtm) / (vtm - 1.0), mean)
    u = rng.random(mean.shape[0])
    batches = _poisson_inverse(u, batch_mean)
    pos, seg = _sorted_positions(rng, batches)
    if not np.any(nb) or pos.size == 0:
        return pos, seg, batches
    is_nb = nb[seg]
    size = np.ones(pos.size, dtype=np.int64)
    size[is_nb] = rng.logseries(1.0 - 1.0 / vtm[seg[is_nb]])
    units = np.bincount(seg, weights=size, minlength=mean.shape[0]).astype(np.int64)
    return np.repeat(pos, size), np.repeat(seg, size), units


def _merge_units(
    pre: tuple[np.ndarray, np.ndarray],
    hor: tuple[np.ndarray, np.ndarray],
    n_seg: int,
) -> _Demand:
    """Pre-horizon then horizon units of each segment, in one segment-major array."""
    (t_pre, s_pre), (t_hor, s_hor) = pre, hor
    n_pre = np.bincount(s_pre, minlength=n_seg)
    n_hor = np.bincount(s_hor, minlength=n_seg)
    offset = np.zeros(n_seg + 1, dtype=np.int64)
    np.cumsum(n_pre + n_hor, out=offset[1:])
    time = np.empty(offset[-1])
    seg = np.empty(offset[-1], dtype=np.int64)
    start_pre = offset[:-1]
    start_hor = offset[:-1] + n_pre
    for t, s, start, count in ((t_pre, s_pre, start_pre, n_pre),
                               (t_hor, s_hor, start_hor, n_hor)):  # fmt: skip
        if t.size:
            first = np.cumsum(count) - count
            where = start[s] + (np.arange(t.size) - first[s])
            time[where] = t
            seg[where] = s
    local = np.arange(offset[-1], dtype=np.int64) - offset[:-1][seg]
    return _Demand(time=time, seg=seg, offset=offset, local=local)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Setup:
    """Per-part inputs and scenario tables shared by every block."""

    horizon: int
    lam_day: np.ndarray
    vtm: np.ndarray
    level: np.ndarray
    reorder: np.ndarray
    lot: np.ndarray
    lead: np.ndarray
    print_lead: np.ndarray
    post_days: np.ndarray
    print_time: np.ndarray
    print_mode: np.ndarray
    hybrid: np.ndarray
    normal_days: np.ndarray  # normal replenishment time of each part [days]
    init: np.ndarray
    stocked: np.ndarray
    lead_factor: np.ndarray
    lead_group: np.ndarray
    surge_cum: np.ndarray  # (groups, days + 1): integral of the surge factor
    surge_group: np.ndarray
    surge_plain: np.ndarray  # (groups,) bool: factor 1 throughout
    outage_group: np.ndarray
    print_free: np.ndarray
    print_group: np.ndarray
    printer_index: np.ndarray
    capacity: np.ndarray  # (printers, days) [h/day]; nan row: no capacity model
    track_row: np.ndarray  # (parts,) row of the part in the tracked store, or -1


def _block_demand(
    setup: _Setup, rows: slice, n_paths: int, seed: int, key: tuple[int, int]
) -> _Demand:
    """Demand units of parts ``rows`` x ``n_paths`` paths over [-normal_days, H)."""
    horizon = setup.horizon
    lam = setup.lam_day[rows]
    vtm = setup.vtm[rows]
    n_parts = lam.shape[0]
    n_seg = n_parts * n_paths
    # Horizon: mean lam x integral of the surge factor; one stream for all plans.
    group = setup.surge_group[rows]
    total = setup.surge_cum[group, horizon]
    mean_h = np.repeat(lam * total, n_paths)
    pos, seg_h, _ = _draw_units(
        _stream(seed, _HORIZON_STREAM, *key), mean_h, np.repeat(vtm, n_paths)
    )
    part_h = seg_h // n_paths
    target = pos * total[part_h]
    t_hor = np.empty(pos.size)
    g_unit = group[part_h]
    for g in np.unique(g_unit):
        m = g_unit == g
        if setup.surge_plain[g]:
            t_hor[m] = target[m]
        else:
            t_hor[m] = np.interp(
                target[m], setup.surge_cum[g], np.arange(horizon + 1, dtype=float)
            )
    # Before the horizon (stationary start): its own stream, so plans with other
    # lead times still share the horizon's demand.
    span = np.where(np.isnan(setup.init[rows]), setup.normal_days[rows], 0.0)
    mean_p = np.repeat(lam * span, n_paths)
    pos_p, seg_p, _ = _draw_units(
        _stream(seed, _PRE_STREAM, *key), mean_p, np.repeat(vtm, n_paths)
    )
    t_pre = -span[seg_p // n_paths] * (1.0 - pos_p)
    return _merge_units((t_pre, seg_p), (t_hor, seg_h), n_seg)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Orders:
    """Replenishment orders of one block, grouped by segment."""

    time: np.ndarray  # placed [days]
    seg: np.ndarray
    to_print: np.ndarray
    capacitated: np.ndarray  # printed on a printer with a capacity model
    arrival: np.ndarray  # [days]; nan for capacitated prints until queued
    start_on_hand: np.ndarray  # (n_seg,) stock at the start of the segment


def _outage_end(
    outages: _OutageIndex | None, group: np.ndarray, path: np.ndarray, time: np.ndarray
) -> np.ndarray:
    """End of the supplier outage in force at ``time`` [days]; nan where none."""
    end = np.full(time.shape[0], np.nan)
    if outages is None or time.size == 0:
        return end
    q = (group * outages.n_paths + path) * outages.width + time + 2.0
    idx = np.searchsorted(outages.start_key, q, side="right") - 1
    ok = idx >= 0
    run_end = np.where(ok, outages.run_end_key[np.maximum(idx, 0)], -np.inf)
    out = ok & (run_end > q)
    base = (group * outages.n_paths + path) * outages.width + 2.0
    end[out] = (run_end - base)[out]
    return end


def _block_orders(
    setup: _Setup,
    rows: slice,
    n_paths: int,
    demand: _Demand,
    outages: _OutageIndex | None,
    seed: int,
    key: tuple[int, int],
) -> _Orders:
    """Orders of the block's (r, Q) / one-for-one policies and their arrival times."""
    n_parts = setup.lam_day[rows].shape[0]
    n_seg = n_parts * n_paths
    r = np.repeat(setup.reorder[rows], n_paths)
    q = np.repeat(setup.lot[rows], n_paths)
    init = np.repeat(setup.init[rows], n_paths)
    given = ~np.isnan(init)
    # Inventory position at the start: r + U, U uniform on 1..Q (stationary for
    # unit demand); with a given stock: that stock, raised above r at time 0.
    start = r + 1
    lots = q > 1
    if np.any(lots):
        u = _stream(seed, _INIT_STREAM, *key).integers(0, q[lots])
        start[lots] = r[lots] + 1 + u
    start = np.where(given, np.round(np.nan_to_num(init)).astype(np.int64), start)
    n_initial = np.where(
        given & (start <= r), -((start - r - 1) // q), 0
    )  # ceil((r + 1 - start) / q) orders at time 0
    first_trigger = start + n_initial * q - r - 1  # unit index of the first order
    seg, local = demand.seg, demand.local
    trig = (local >= first_trigger[seg]) & ((local - first_trigger[seg]) % q[seg] == 0)
    t_ord = demand.time[trig]
    s_ord = seg[trig]
    if np.any(n_initial):
        s0 = np.repeat(np.arange(n_seg, dtype=np.int64), n_initial)
        order = np.argsort(np.concatenate([s0, s_ord]), kind="stable")
        t_ord = np.concatenate([np.zeros(s0.size), t_ord])[order]
        s_ord = np.concatenate([s0, s_ord])[order]
    part = rows.start + s_ord // n_paths
    path = s_ord % n_paths
    in_h = t_ord >= 0
    day = np.clip(np.floor(t_ord), 0, setup.horizon - 1).astype(np.int64)
    factor = np.where(in_h, setup.lead_factor[setup.lead_group[part], day], 1.0)
    lead_now = setup.lead[part] * factor
    out_end = np.full(t_ord.size, np.nan)
    if outages is not None:
        hit = in_h & (outages.group_of_part[part] >= 0)
        out_end[hit] = _outage_end(
            outages, outages.group_of_part[part[hit]], path[hit], t_ord[hit]
        )
    supplier_out = ~np.isnan(out_end)
    buy_arrival = np.where(supplier_out, out_end, t_ord) + lead_now
    to_print = setup.print_mode[part] | (setup.hybrid[part] & supplier_out)
    printer = setup.printer_index[part]
    capacitated = to_print & in_h & (printer >= 0)
    if capacitated.any():
        capacitated[capacitated] = ~np.isnan(setup.capacity[printer[capacitated], 0])
    free_at = setup.print_free[setup.print_group[part], day]
    blocked = in_h & ~np.isnan(free_at)
    print_arrival = np.where(blocked, free_at, t_ord) + setup.print_lead[part]
    arrival = np.where(to_print, print_arrival, buy_arrival)
    arrival[capacitated] = np.nan
    return _Orders(
        time=t_ord,
        seg=s_ord,
        to_print=to_print,
        capacitated=capacitated,
        arrival=arrival,
        start_on_hand=start,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _OutageIndex:
    """Supplier outages of one path block as merged intervals, searchable."""

    n_paths: int
    width: float
    start_key: np.ndarray
    run_end_key: np.ndarray
    group_of_part: np.ndarray  # -1: no outage source


def _random_windows(
    event: Event, horizon: int, n_paths: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random outage windows (path, start, end), starts Poisson over [-lookback, H)."""
    duration = float(event.duration_days or 0.0)
    expo = event.duration_distribution == DurationDistribution.EXPONENTIAL
    lookback = 10.0 * duration if expo else duration
    rate = float(event.rate_per_year or 0.0) / DAYS_PER_YEAR
    counts = rng.poisson(rate * (horizon + lookback), size=n_paths)
    path = np.repeat(np.arange(n_paths), counts)
    start = rng.uniform(-lookback, horizon, size=path.size)
    length = rng.exponential(duration, size=path.size) if expo else duration
    return path, start, start + length


def _outage_index(
    scenario: Scenario,
    keys: Mapping[str, np.ndarray],
    n_paths: int,
    seed: int,
    block: int,
) -> _OutageIndex | None:
    """Merged outage windows per (outage group, path) of one path block.

    Fixed windows hit every path; random outages are drawn per event and path
    block, so a path's outages do not depend on how many paths run.
    """
    horizon = scenario.horizon_days
    fixed = scenario.of_type(EventType.SUPPLIER_OUTAGE)
    randoms = scenario.of_type(EventType.RANDOM_OUTAGES)
    sources = [*fixed, *randoms]
    if not sources:
        return None
    windows = []
    for e in fixed:
        windows.append((np.arange(n_paths), np.full(n_paths, e.start_day or 0.0),
                        np.full(n_paths, e.end_day)))  # fmt: skip
    for k, e in enumerate(randoms):
        windows.append(
            _random_windows(
                e, horizon, n_paths, _stream(seed, _OUTAGE_STREAM, k, block)
            )
        )
    signatures, group = _groups(_match_matrix(sources, keys))
    used = signatures.any(axis=1)
    width = horizon + 4.0
    segs, starts, ends = [], [], []
    for g in np.flatnonzero(used):
        for j in np.flatnonzero(signatures[g]):
            path, start, end = windows[j]
            segs.append(g * n_paths + path)
            starts.append(np.clip(start, -1.0, horizon + 1.0))
            ends.append(np.clip(end, -1.0, horizon + 1.0))
    group_of_part = np.where(used[group], group, -1)
    if not segs:
        return _OutageIndex(n_paths=n_paths, width=width, start_key=np.zeros(0),
                            run_end_key=np.zeros(0), group_of_part=group_of_part)  # fmt: skip
    seg = np.concatenate(segs)
    start_key = seg * width + np.concatenate(starts) + 2.0
    end_key = seg * width + np.concatenate(ends) + 2.0
    order = np.argsort(start_key, kind="stable")
    start_key, end_key = start_key[order], end_key[order]
    # Union of overlapping windows: a new run starts where no earlier window of
    # the segment is still open.
    reach = np.maximum.accumulate(end_key)
    new = np.ones(start_key.size, dtype=bool)
    new[1:] = start_key[1:] > reach[:-1]
    run = np.cumsum(new) - 1
    run_end = np.maximum.reduceat(end_key, np.flatnonzero(new))
    return _OutageIndex(n_paths=n_paths, width=width, start_key=start_key,
                        run_end_key=run_end[run], group_of_part=group_of_part)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class _Jobs:
    """Print jobs on printers with a capacity model, of one path block."""

    printer: np.ndarray
    path: np.ndarray
    release: np.ndarray  # [days]
    hours: np.ndarray  # [h]
    post_days: np.ndarray  # [days]


def _capacity_clock(capacity: np.ndarray) -> np.ndarray:
    """Cumulative printer hours at the start of each day, (printers, days + 1)."""
    cum = np.zeros((capacity.shape[0], capacity.shape[1] + 1))
    np.cumsum(np.nan_to_num(capacity), axis=1, out=cum[:, 1:])
    return cum


def _run_queues(
    jobs: _Jobs, capacity: np.ndarray, n_paths: int, horizon: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FIFO print queues per (printer, path) with daily printer hours.

    A printer prints ``capacity[p, d]`` hours on day ``d``, spread evenly over the
    day (0 while down or out of material); jobs are printed one after another in
    the order they were released. In printer-hour time :math:`c = C(t)` this is a
    single server of unit speed, so the Lindley recursion
    :math:`x_n = \\max(x_{n-1}, C(r_n)) + h_n` has the closed form
    :math:`x_n = H_n + \\max_{m \\le n}(C(r_m) - H_{m-1})` (``H``: cumulative job
    hours), vectorised with a running maximum.

    Returns
    -------
    tuple
        Arrival time of each job [days] (completion + post-processing; ``H + 1``
        when it completes after the horizon), hours printed per printer and day
        (summed over the paths), and the backlog at the end of each day [h]
        (summed over the paths).
    """
    n_printers = capacity.shape[0]
    cum = _capacity_clock(capacity)
    load = np.zeros((horizon, n_printers))
    backlog = np.zeros((horizon, n_printers))
    if jobs.release.size == 0:
        return np.zeros(0), load, backlog
    seg = jobs.printer * n_paths + jobs.path
    order = np.lexsort((jobs.release, seg))
    seg, release, hours = seg[order], jobs.release[order], jobs.hours[order]
    printer = jobs.printer[order]
    day = np.clip(np.floor(release), 0, horizon - 1).astype(np.int64)
    cap = np.nan_to_num(capacity)
    c_release = cum[printer, day] + cap[printer, day] * (release - day)
    total = np.cumsum(hours)
    seg_first = np.ones(seg.size, dtype=bool)
    seg_first[1:] = seg[1:] != seg[:-1]
    starts = np.flatnonzero(seg_first)
    before = np.repeat(
        total[starts] - hours[starts], np.diff(np.append(starts, seg.size))
    )
    done_hours = total - before  # cumulative hours within the segment
    value = c_release - (done_hours - hours)
    spread = float(cum.max() + done_hours.max() + 1.0)
    shifted = np.maximum.accumulate(seg * spread + value + done_hours.max())
    finish = done_hours + shifted - seg * spread - done_hours.max()
    # Back from printer hours to days.
    last = cum[printer, horizon]
    inside = finish <= last + 1e-9
    flat_cum = (
        np.arange(n_printers)[:, None] * (cum[:, -1].max() + 1.0) + cum[:, 1:]
    ).reshape(-1)
    q = printer * (cum[:, -1].max() + 1.0) + finish
    idx = np.searchsorted(flat_cum, q, side="left") - printer * horizon
    d = np.clip(idx, 0, horizon - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(
            cap[printer, d] > 0, (finish - cum[printer, d]) / cap[printer, d], 0.0
        )
    done_day = np.where(inside, d + np.clip(frac, 0.0, 1.0), horizon + 1.0)
    arrival = np.minimum(done_day + jobs.post_days[order], horizon + 1.0)
    out = np.empty_like(arrival)
    out[order] = arrival
    # Hours printed by each day end: B(y) = finished work + the part in progress.
    n_seg = n_printers * n_paths
    bounds = cum[:, 1:]  # (printers, days): printer hours by each day end
    seg_all = np.arange(n_seg)
    p_all = seg_all // n_paths
    y = bounds[p_all]  # (segments, days)
    end_key = seg * spread + finish
    y_key = seg_all[:, None] * spread + y
    k = np.searchsorted(end_key, y_key, side="right")  # jobs finished by y
    first_of_seg = np.searchsorted(seg, seg_all)
    done = np.where(k > first_of_seg[:, None], done_hours[np.maximum(k - 1, 0)], 0.0)
    nxt = np.minimum(k, seg.size - 1)
    running = (k < seg.size) & (seg[nxt] == seg_all[:, None])
    begun = finish[nxt] - hours[nxt]
    done = done + np.where(running, np.clip(y - begun, 0.0, hours[nxt]), 0.0)
    used = np.diff(np.concatenate([np.zeros((n_seg, 1)), done], axis=1), axis=1)
    released_key = seg * spread + release
    day_end_key = seg_all[:, None] * spread + np.arange(1, horizon + 1)[None, :]
    kr = np.searchsorted(released_key, day_end_key, side="right")
    released = np.where(
        kr > first_of_seg[:, None], done_hours[np.maximum(kr - 1, 0)], 0.0
    )
    np.add.at(load.T, p_all, used)
    np.add.at(backlog.T, p_all, released - done)
    return out, load, backlog


def _supply_time(
    arrival_sorted: np.ndarray,
    order_offset: np.ndarray,
    n_orders: np.ndarray,
    lot: np.ndarray,
    seg: np.ndarray,
    j: np.ndarray,
) -> np.ndarray:
    """When supply unit ``j`` of each segment is on the shelf [days].

    -inf for units of the starting stock (``j`` < 0), inf for units never
    ordered; otherwise the arrival of the segment's order ``j // Q`` (orders
    sorted by arrival).
    """
    k = np.floor_divide(j, lot[seg])
    ok = (j >= 0) & (k < n_orders[seg])
    idx = np.where(ok, order_offset[seg] + k, 0)
    out = np.where(j < 0, -np.inf, np.inf)
    if arrival_sorted.size:
        out = np.where(ok, arrival_sorted[idx], out)
    return out


def _block_kpis(
    setup: _Setup,
    rows: slice,
    n_paths: int,
    demand: _Demand,
    orders: _Orders,
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Per-segment totals of one block, and the tracked parts' daily on hand.

    Units are matched first come, first served to the supply in the order it
    reaches the shelf: unit ``k`` of a segment takes supply unit ``k - OH0``
    (``OH0``: the starting stock), so it is served at once iff that supply is on
    the shelf by its demand time, and otherwise waits until it is.
    """
    horizon = float(setup.horizon)
    n_parts = setup.lam_day[rows].shape[0]
    n_seg = n_parts * n_paths
    lot = np.repeat(setup.lot[rows], n_paths)
    oh0 = orders.start_on_hand
    # Orders sorted by arrival within each segment.
    width = horizon + 4.0
    arrival = np.clip(orders.arrival, -1.0, horizon + 1.0)
    key = orders.seg * width + arrival + 2.0
    if key.size > 1 and np.any(key[1:] < key[:-1]):
        key = np.sort(key)
    arrival_sorted = key - np.floor_divide(key, width) * width - 2.0
    n_orders = np.bincount(orders.seg, minlength=n_seg)
    order_offset = np.cumsum(n_orders) - n_orders
    seg, time, local = demand.seg, demand.time, demand.local
    supply = _supply_time(
        arrival_sorted, order_offset, n_orders, lot, seg, local - oh0[seg]
    )
    in_h = time >= 0
    served = in_h & (supply <= time)
    wait = np.clip(np.minimum(supply, horizon) - np.maximum(time, 0.0), 0.0, None)
    totals = {
        "demand": np.bincount(seg, weights=in_h, minlength=n_seg),
        "served": np.bincount(seg, weights=served, minlength=n_seg),
        "backorder": np.bincount(seg, weights=wait, minlength=n_seg),
    }
    # On hand: integral of net stock (start + arrived - demanded) plus backorders.
    arrived = lot[orders.seg] * np.clip(
        horizon - np.clip(orders.arrival, 0.0, None), 0.0, None
    )
    net = (
        oh0 * horizon
        + np.bincount(orders.seg, weights=arrived, minlength=n_seg)
        - np.bincount(seg, weights=horizon - np.maximum(time, 0.0), minlength=n_seg)
    )
    totals["on_hand"] = net + totals["backorder"]
    printed = orders.to_print & (orders.time >= 0)
    totals["printed"] = np.bincount(orders.seg[printed], weights=lot[orders.seg[printed]],
                                    minlength=n_seg)  # fmt: skip
    # Stock-out days: day ends d in [1, H] with nothing on the shelf. After unit
    # k the shelf is empty until the next unit or until supply k + 1 - OH0 comes.
    stocked = np.repeat(setup.stocked[rows], n_paths)
    nxt_time = np.full(time.size, np.inf)
    same = np.zeros(time.size, dtype=bool)
    if time.size > 1:
        same[:-1] = seg[1:] == seg[:-1]
        nxt_time[:-1] = np.where(same[:-1], time[1:], np.inf)
    nxt_supply = _supply_time(arrival_sorted, order_offset, n_orders, lot, seg,
                              local + 1 - oh0[seg])  # fmt: skip
    until = np.minimum(np.minimum(nxt_time, nxt_supply), horizon + 1.0)
    days = np.clip(
        np.minimum(np.ceil(until), horizon + 1.0) - np.maximum(np.ceil(time), 1.0),
        0,
        None,
    )
    stockout = np.bincount(seg, weights=days, minlength=n_seg)
    empty = oh0 <= 0  # nothing on the shelf before the first unit either
    if np.any(empty):
        cells = np.flatnonzero(empty)
        first_unit = demand.offset[cells]
        has_unit = demand.offset[cells + 1] > first_unit
        first_time = np.where(has_unit, time[np.minimum(first_unit, max(time.size - 1, 0))]
                              if time.size else np.inf, np.inf)  # fmt: skip
        first_supply = _supply_time(arrival_sorted, order_offset, n_orders, lot, cells,
                                    -oh0[cells])  # fmt: skip
        until0 = np.minimum(np.minimum(first_time, first_supply), horizon + 1.0)
        stockout[cells] += np.clip(
            np.minimum(np.ceil(until0), horizon + 1.0) - 1.0, 0, None
        )
    totals["stockout"] = np.where(stocked, stockout, 0.0)
    tracked = None
    track_row = setup.track_row[rows]
    if np.any(track_row >= 0):
        tracked = _daily_on_hand(setup, track_row, n_paths, demand, orders, lot, oh0)
    return totals, tracked


def _daily_on_hand(
    setup: _Setup,
    track_row: np.ndarray,
    n_paths: int,
    demand: _Demand,
    orders: _Orders,
    lot: np.ndarray,
    oh0: np.ndarray,
) -> np.ndarray:
    """End-of-day stock (tracked parts of the block, days, paths), int32."""
    horizon = setup.horizon
    parts = np.flatnonzero(track_row >= 0)
    n_t = parts.shape[0]
    slot = np.full(track_row.shape[0], -1)
    slot[parts] = np.arange(n_t)
    width = horizon + 2

    def by_day(seg: np.ndarray, time: np.ndarray, weight: np.ndarray) -> np.ndarray:
        s = slot[seg // n_paths]
        keep = s >= 0
        cell = s[keep] * n_paths + seg[keep] % n_paths
        bucket = np.clip(np.ceil(time[keep]), 0, horizon + 1).astype(np.int64)
        counts = np.bincount(cell * width + bucket, weights=weight[keep],
                             minlength=n_t * n_paths * width)  # fmt: skip
        return np.cumsum(counts.reshape(n_t * n_paths, width), axis=1)[
            :, 1 : horizon + 1
        ]

    arrived = by_day(orders.seg, np.clip(orders.arrival, -1.0, horizon + 1.0),
                     lot[orders.seg].astype(float))  # fmt: skip
    used = by_day(demand.seg, demand.time, np.ones(demand.time.size))
    cells = (parts[:, None] * n_paths + np.arange(n_paths)[None, :]).reshape(-1)
    stock = np.maximum(oh0[cells][:, None] + arrived - used, 0.0)
    return stock.reshape(n_t, n_paths, horizon).transpose(0, 2, 1).astype(np.int32)


def _part_blocks(expected: np.ndarray) -> list[slice]:
    """Blocks of consecutive parts: at most PART_BLOCK parts and about
    BLOCK_EVENT_BUDGET expected demand events per block of PATH_BLOCK paths.

    Depends on the demand rates only, so plans of one catalog share blocks (and
    random numbers).
    """
    n = expected.shape[0]
    if n == 0:
        return []
    before = np.cumsum(expected) - expected
    bucket = np.floor(before * PATH_BLOCK / BLOCK_EVENT_BUDGET)
    idx = np.arange(n)
    cut = np.ones(n, dtype=bool)
    cut[1:] = (bucket[1:] != bucket[:-1]) | (idx[1:] % PART_BLOCK == 0)
    starts = np.flatnonzero(cut).tolist()
    ends = [*starts[1:], n]
    # Split blocks still longer than PART_BLOCK.
    out = []
    for a, b in zip(starts, ends, strict=True):
        out.extend(slice(s, min(s + PART_BLOCK, b)) for s in range(a, b, PART_BLOCK))
    return out


def _printer_capacity(
    scenario: Scenario,
    printer_ids: Sequence[str],
    hours_per_day: Mapping[str, float],
    plan: SimulationPlan,
    printer_index: np.ndarray,
) -> np.ndarray:
    """Printer hours per day (printers, days); a nan row has no capacity model.

    A printer prints nothing on a day it is down or a material it prints for this
    plan is short (it is loaded with one material at a time, so it stops).
    """
    horizon = scenario.horizon_days
    lookup = {k.strip().lower(): v for k, v in hours_per_day.items()}
    cap = np.full((len(printer_ids), horizon), np.nan)
    prints = plan.mode != BUY_STOCK
    materials = _normalised(plan.material)
    for p, pid in enumerate(printer_ids):
        h = lookup.get(pid.strip().lower())
        if h is None:
            continue
        stop = np.zeros(horizon, dtype=bool)
        used = set(materials[prints & (printer_index == p)].tolist())
        for e in scenario.of_type(EventType.PRINTER_DOWN, EventType.MATERIAL_SHORTAGE):
            hit = (
                str(e.printer_id).strip().lower() == pid.strip().lower()
                if e.type == EventType.PRINTER_DOWN
                else str(e.material).strip().lower() in used
            )
            if hit:
                stop |= _active([e], horizon)[0]
        cap[p] = np.where(stop, 0.0, h)
    return cap


def _surge_tables(
    scenario: Scenario, keys: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integral of the demand factor by day (groups, days + 1), group, plain flag."""
    horizon = scenario.horizon_days
    events = scenario.of_type(EventType.DEMAND_SURGE)
    signatures, group = _groups(_match_matrix(events, keys))
    factor = _factor_table(events, signatures, horizon, product=True)
    cum = np.zeros((factor.shape[0], horizon + 1))
    np.cumsum(factor, axis=1, out=cum[:, 1:])
    return cum, group, np.all(factor == 1.0, axis=1)


def _tracked_rows(
    plan: SimulationPlan, track_parts: Sequence[str] | None, keep_quantiles: bool
) -> np.ndarray:
    """Row of each part in the daily-stock store, -1 where not tracked."""
    n = plan.n_parts
    rows = np.full(n, -1, dtype=np.int64)
    if not keep_quantiles:
        return rows
    if track_parts is None:
        if n <= DEFAULT_TRACKED_PARTS:
            rows[:] = np.arange(n)
        return rows
    index = {pid: i for i, pid in enumerate(plan.part_id.tolist())}
    picked = []
    for pid in track_parts:
        if pid not in index:
            raise PlannerError(f"simulate: track_parts names unknown part {pid!r}")
        if index[pid] not in picked:
            picked.append(index[pid])
    picked.sort()
    rows[picked] = np.arange(len(picked))
    return rows


def simulate(
    plan: SimulationPlan,
    scenario: Scenario,
    *,
    n_paths: int = 500,
    seed: int = 0,
    printers: Sequence[Printer] = (),
    keep_quantiles: bool = True,
    track_parts: Sequence[str] | None = None,
    printer_hours_per_day: Mapping[str, float] | None = None,
    max_memory_bytes: int = MAX_SIMULATION_BYTES,
) -> SimulationResult:
    r"""Monte Carlo of a stock-and-print plan under a disruption scenario.

    Parameters
    ----------
    plan
        Parts, their demand, stock policies and sourcing modes.
    scenario
        Events over ``scenario.horizon_days`` days.
    n_paths
        Number of independent paths (>= 2).
    seed
        Seed (>= 0). The same seed gives the same result bit for bit. Paths run
        in blocks of :data:`PATH_BLOCK` with their own random streams (demand in
        the horizon, demand before it, starting positions, outages), so plans
        simulated under one seed see the same demand and outages (common random
        numbers), and a path's draws do not depend on how many paths run.
    printers
        The lab's printers: the columns of ``printer_load_hours`` (printers the
        plan names but this list lacks are added after them); their
        ``hours_available_per_week / 7`` is their daily capacity unless
        ``printer_hours_per_day`` or ``plan.printer_hours_per_day`` says otherwise.
    keep_quantiles
        Whether to keep daily on-hand quantiles at all.
    track_parts
        Part ids whose daily on-hand quantiles are kept; None keeps every part of
        a plan of up to :data:`DEFAULT_TRACKED_PARTS` parts (none above).
    printer_hours_per_day
        Printer hours per day [h/day] by printer id; printers without an entry
        (here, in the plan or among ``printers``) print without a capacity limit.
    max_memory_bytes
        Memory the run may use [bytes]; a run that would need more is refused.

    Returns
    -------
    SimulationResult
        KPIs with 95 % intervals (mean over paths :math:`\pm 1.96\,s/\sqrt{n}`;
        the fill rate as a ratio of totals with a delta-method interval),
        per-part figures, per-path KPI arrays, on-hand quantiles of the tracked
        parts, printer load and backlog per day.

    Raises
    ------
    PlannerError
        If ``n_paths`` is not in [2, 1000000], ``seed`` < 0, ``track_parts``
        names an unknown part, or the run would need more than
        ``max_memory_bytes`` (the message gives both figures).

    Notes
    -----
    Demand is simulated as events, not days: the number of demand units of each
    (part, path) over the horizon, then their times (Poisson, or negative
    binomial as a compound Poisson process where the variance-to-mean ratio
    exceeds 1.05); demand surges stretch time. Replenishment is continuous review
    (r, Q): an order of Q units whenever the inventory position falls to r;
    one-for-one (S-1, S) is r = S - 1, Q = 1. Units are served first come, first
    served from the supply in the order it arrives, so fill, backorder-days,
    stock-out days and the on-hand integral follow from sorted arrival times in
    continuous time. The start is stationary: each part runs from one normal
    replenishment time before day 0 with its position at r + U (U uniform on
    1..Q), no disruption before day 0.

    ``buy_stock`` orders from the supplier: lead time times the largest
    multiplier in force on the order day; an order placed while the supplier is
    out (window ending at e, continuous time) arrives at e + lead time.
    ``print_stock`` and ``print_on_demand`` print; ``hybrid`` buys but prints
    what it orders while the supplier is out (emergency prints). On a printer
    with a capacity, print orders queue first come, first served and take
    ``print_time_h`` x Q printer hours, printed at the printer's daily hours (0
    on days it is down or a material it prints is short); the unit is usable
    ``post_process_days`` after printing ends. Without a capacity, a print
    arrives ``print_lead_time_days`` after the order (after the end of a
    printer-down or material-shortage window in force). Orders in transit are
    not affected by later events; arrivals after the horizon do not count.

    Examples
    --------
    >>> import numpy as np
    >>> plan = SimulationPlan(part_id=np.array(["A"]), demand_per_year=np.array([36.5]),
    ...     base_stock_level=np.array([4]), lead_time_days=np.array([20.0]),
    ...     unit_value=np.array([10.0]))
    >>> r = simulate(plan, PRESETS["Baseline"], n_paths=200, seed=1)
    >>> 0.82 < r.kpis["fill_rate"].mean < 0.89   # P(Poisson(2) <= 3) = 0.857
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
    track_row = _tracked_rows(plan, track_parts, keep_quantiles)
    n_tracked = int((track_row >= 0).sum())
    lam_day = plan.demand_per_year / DAYS_PER_YEAR
    expected = lam_day * horizon
    blocks = _part_blocks(expected)
    block_units = max(
        (float(expected[b].sum()) * min(PATH_BLOCK, n_paths) for b in blocks),
        default=0.0,
    )
    need = int(
        n_tracked * horizon * n_paths * 4 * 2  # daily stock and its sort
        + block_units * BYTES_PER_UNIT
        + n_parts * 8 * 16
    )
    if need > max_memory_bytes:
        raise PlannerError(
            f"simulate: {n_paths} paths x {n_parts} parts over {horizon} days "
            f"({n_tracked} tracked daily) need about {need:,} bytes, allowed "
            f"{max_memory_bytes:,}; use fewer paths, track fewer parts or a "
            "shorter horizon"
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
    hours: dict[str, float] = {
        p.printer_id: p.hours_available_per_week / 7.0 for p in printers
    }
    hours.update(plan.printer_hours_per_day or {})
    hours.update(printer_hours_per_day or {})
    capacity = _printer_capacity(scenario, printer_ids, hours, plan, printer_index)

    lead_events = scenario.of_type(EventType.LEAD_TIME_MULTIPLIER)
    lead_sig, lead_group = _groups(_match_matrix(lead_events, keys))
    surge_cum, surge_group, surge_plain = _surge_tables(scenario, keys)
    print_free, print_group = _print_block_table(
        scenario, plan.printer_id, plan.material
    )
    print_mode = np.isin(plan.mode, (PRINT_STOCK, PRINT_ON_DEMAND))
    setup = _Setup(
        horizon=horizon,
        lam_day=lam_day,
        vtm=plan.variance_to_mean,
        level=plan.base_stock_level,
        reorder=plan.reorder_point,
        lot=plan.lot_size,
        lead=plan.lead_time_days,
        print_lead=plan.print_lead_time_days,
        post_days=plan.post_process_days,
        print_time=plan.print_time_h,
        print_mode=print_mode,
        hybrid=plan.mode == HYBRID,
        normal_days=np.where(
            print_mode, plan.print_lead_time_days, plan.lead_time_days
        ),
        init=plan.initial_on_hand,
        stocked=(plan.reorder_point + plan.lot_size >= 1) & (lam_day > 0),
        lead_factor=_factor_table(lead_events, lead_sig, horizon, product=False),
        lead_group=lead_group,
        surge_cum=surge_cum,
        surge_group=surge_group,
        surge_plain=surge_plain,
        outage_group=np.zeros(n_parts, dtype=np.int64),
        print_free=print_free,
        print_group=print_group,
        printer_index=printer_index,
        capacity=capacity,
        track_row=track_row,
    )
    queued = (plan.mode != BUY_STOCK) & (printer_index >= 0)
    queued &= (
        ~np.isnan(capacity[np.maximum(printer_index, 0), 0])
        if len(printer_ids)
        else False
    )
    queue_blocks = [k for k, b in enumerate(blocks) if np.any(queued[b])]

    names = ("demand", "served", "stockout", "printed", "backorder", "on_hand")
    part_sum = {name: np.zeros(n_parts) for name in names}
    path_sum = {
        name: np.zeros(n_paths) for name in (*names, "downtime", "hours", "value")
    }
    daily = np.zeros((n_tracked, horizon, n_paths), dtype=np.int32)
    load = np.zeros((horizon, len(printer_ids)))
    backlog = np.zeros((horizon, len(printer_ids)))
    n_path_blocks = math.ceil(n_paths / PATH_BLOCK)
    for pb in range(n_path_blocks):
        p0, p1 = pb * PATH_BLOCK, min((pb + 1) * PATH_BLOCK, n_paths)
        width = p1 - p0
        outages = _outage_index(scenario, keys, width, seed, pb)
        job_arrivals: dict[int, np.ndarray] = {}
        if queue_blocks:
            parts_jobs = []
            for k in queue_blocks:
                rows = blocks[k]
                demand = _block_demand(setup, rows, width, seed, (k, pb))
                orders = _block_orders(
                    setup, rows, width, demand, outages, seed, (k, pb)
                )
                cap = orders.capacitated
                part = rows.start + orders.seg[cap] // width
                parts_jobs.append((k, cap.sum(), _Jobs(
                    printer=printer_index[part], path=orders.seg[cap] % width,
                    release=orders.time[cap],
                    hours=plan.print_time_h[part] * plan.lot_size[part],
                    post_days=plan.post_process_days[part],
                )))  # fmt: skip
            jobs = _Jobs(**{
                f: np.concatenate([getattr(j, f) for _, _, j in parts_jobs])
                for f in ("printer", "path", "release", "hours", "post_days")
            })  # fmt: skip
            arrivals, used, waiting = _run_queues(jobs, capacity, width, horizon)
            load += used
            backlog += waiting
            at = 0
            for k, count, _ in parts_jobs:
                job_arrivals[k] = arrivals[at : at + count]
                at += count
        for k, rows in enumerate(blocks):
            demand = _block_demand(setup, rows, width, seed, (k, pb))
            orders = _block_orders(setup, rows, width, demand, outages, seed, (k, pb))
            if k in job_arrivals:
                orders.arrival[orders.capacitated] = job_arrivals[k]
            totals, tracked = _block_kpis(setup, rows, width, demand, orders)
            n_b = rows.stop - rows.start
            for name in names:
                cell = totals[name].reshape(n_b, width)
                part_sum[name][rows] += cell.sum(axis=1)
                path_sum[name][p0:p1] += cell.sum(axis=0)
            backorder = totals["backorder"].reshape(n_b, width)
            path_sum["downtime"][p0:p1] += plan.downtime_cost_per_day[rows] @ backorder
            path_sum["hours"][p0:p1] += plan.print_time_h[rows] @ totals[
                "printed"
            ].reshape(n_b, width)
            path_sum["value"][p0:p1] += plan.unit_value[rows] @ totals[
                "on_hand"
            ].reshape(n_b, width)
            if tracked is not None:
                daily[track_row[rows][track_row[rows] >= 0], :, p0:p1] = tracked
            # Printers without a capacity model: hours counted on the start day.
            loose = orders.to_print & (orders.time >= 0) & ~orders.capacitated
            part = rows.start + orders.seg[loose] // width
            on_printer = printer_index[part] >= 0
            if np.any(on_printer):
                part = part[on_printer]
                t = orders.time[loose][on_printer]
                day = np.clip(np.floor(t), 0, horizon - 1).astype(np.int64)
                free_at = print_free[print_group[part], day]
                start = np.where(
                    np.isnan(free_at), day, np.floor(np.nan_to_num(free_at))
                )
                keep = start < horizon
                np.add.at(
                    load,
                    (start[keep].astype(np.int64), printer_index[part[keep]]),
                    plan.print_time_h[part[keep]] * plan.lot_size[part[keep]],
                )
    load /= n_paths
    backlog /= n_paths

    quantiles = np.zeros((horizon if keep_quantiles else 0, n_tracked,
                          len(ON_HAND_QUANTILES)), dtype=np.float32)  # fmt: skip
    if keep_quantiles and n_tracked:
        order_stats = _quantile_positions(n_paths)
        for i in range(n_tracked):
            quantiles[:, i, :] = _row_quantiles(daily[i], order_stats)

    served = path_sum["served"]
    demanded = path_sum["demand"]
    path_kpis = {
        "fill_rate": np.divide(
            served, demanded, out=np.ones(n_paths), where=demanded > 0
        ),
        "stockout_days": path_sum["stockout"],
        "backorder_days": path_sum["backorder"],
        "downtime_cost": path_sum["downtime"],
        "print_hours": path_sum["hours"],
        "inventory_value": path_sum["value"] / horizon,
        "units_served": served,
        "units_demanded": demanded,
    }
    kpis = {name: _kpi(path_kpis[name]) for name in KPI_NAMES}
    kpis["fill_rate"] = _fill_kpi(served, demanded)
    part_demand = part_sum["demand"]
    mean_backorder = part_sum["backorder"] / n_paths
    per_part_values = {
        "fill_rate": np.divide(
            part_sum["served"], part_demand, out=np.ones(n_parts), where=part_demand > 0
        ),
        "stockout_days": part_sum["stockout"] / n_paths,
        "backorder_days": mean_backorder,
        "downtime_cost": mean_backorder * plan.downtime_cost_per_day,
        "print_hours": part_sum["printed"] / n_paths * plan.print_time_h,
        "mean_on_hand": part_sum["on_hand"] / n_paths / horizon,
    }
    columns = {k: v.tolist() for k, v in per_part_values.items()}
    per_part = [
        {"part_id": str(pid), **{k: float(v[i]) for k, v in columns.items()}}
        for i, pid in enumerate(plan.part_id.tolist())
    ]
    tracked_ids = tuple(
        plan.part_id[np.argsort(np.where(track_row >= 0, track_row, n_parts))][
            :n_tracked
        ].tolist()
    )
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
        printer_load_hours=load,
        quantile_part_ids=None if n_tracked == n_parts else tracked_ids,
        printer_queue_hours=backlog,
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


# ------------------------------------------------------------------- result files

#: Version of the result file written by :func:`result_to_json`.
RESULT_FORMAT_VERSION = 1
#: Largest result file read by :func:`result_from_json` [bytes].
MAX_RESULT_FILE_BYTES = 500_000_000
_RESULT_KIND = "sparecast-simulation-result"


def _plain(value: Any) -> Any:
    """Floats for JSON: non-finite ones as the strings "nan", "inf", "-inf"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _array_json(arr: np.ndarray) -> dict[str, Any]:
    """An array as {dtype, shape, data (flat list)}; non-finite floats as strings."""
    arr = np.asarray(arr)
    data = arr.reshape(-1).tolist()
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        data = [_plain(v) for v in data]
    return {"dtype": arr.dtype.str, "shape": list(arr.shape), "data": data}


def _number_from_json(value: Any, where: str) -> float:
    """A float from JSON (number or "nan"/"inf"/"-inf")."""
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    if not _is_number(value):
        raise ScenarioError(f"result file: {where} must be a number, got {value!r}")
    return float(value)


def _array_from_json(raw: Any, where: str) -> np.ndarray:
    """The inverse of :func:`_array_json`; errors name ``where``."""
    if not isinstance(raw, Mapping) or set(raw) != {"dtype", "shape", "data"}:
        raise ScenarioError(
            f"result file: {where} must be an object with dtype, shape and data"
        )
    try:
        dtype = np.dtype(raw["dtype"])
    except TypeError:
        raise ScenarioError(
            f"result file: {where}.dtype is not a numpy dtype: {raw['dtype']!r}"
        ) from None
    if dtype.kind not in "fiub":
        raise ScenarioError(
            f"result file: {where}.dtype must be numeric, got {raw['dtype']!r}"
        )
    shape = raw["shape"]
    if not (
        isinstance(shape, list)
        and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        )
    ):
        raise ScenarioError(
            f"result file: {where}.shape must be a list of counts, got {shape!r}"
        )
    data = raw["data"]
    if not isinstance(data, list) or len(data) != math.prod(shape):
        raise ScenarioError(
            f"result file: {where}.data must be a list of {math.prod(shape)} numbers"
        )
    if dtype.kind == "f":
        values = [_number_from_json(v, f"{where}.data") for v in data]
    else:
        if not all(_is_number(v) or isinstance(v, bool) for v in data):
            raise ScenarioError(f"result file: {where}.data must hold numbers only")
        values = data
    return np.asarray(values, dtype=dtype).reshape(shape)


def result_to_json(result: SimulationResult) -> str:
    """A simulation result as a JSON text that :func:`result_from_json` reads back.

    Plain JSON (no pickle): KPIs, per-part rows, the per-path KPI arrays, the
    on-hand quantiles, printer load and queue, with ``format_version``. Arrays are
    ``{dtype, shape, data}``; non-finite floats are written as ``"nan"``,
    ``"inf"`` or ``"-inf"``. Floats round-trip exactly.

    Examples
    --------
    >>> import numpy as np
    >>> plan = SimulationPlan(part_id=np.array(["A"]), demand_per_year=np.array([5.0]),
    ...     base_stock_level=np.array([1]), lead_time_days=np.array([10.0]),
    ...     unit_value=np.array([1.0]))
    >>> r = simulate(plan, PRESETS["Baseline"], n_paths=10, seed=1)
    >>> back = result_from_json(result_to_json(r))
    >>> back.kpis == r.kpis and back.part_id == r.part_id
    True
    """
    payload: dict[str, Any] = {
        "kind": _RESULT_KIND,
        "format_version": RESULT_FORMAT_VERSION,
        "paths": result.paths,
        "seed": result.seed,
        "horizon_days": result.horizon_days,
        "scenario": result.scenario_name,
        "kpis": {
            name: {k: _plain(v) for k, v in kpi.to_dict().items()}
            for name, kpi in result.kpis.items()
        },
        "per_part": [
            {k: _plain(v) if isinstance(v, float) else v for k, v in row.items()}
            for row in result.per_part
        ],
        "path_kpis": {
            name: _array_json(values) for name, values in result.path_kpis.items()
        },
        "part_id": list(result.part_id),
        "quantile_part_ids": (
            None if result.quantile_part_ids is None else list(result.quantile_part_ids)
        ),
        "on_hand_quantiles": _array_json(result.on_hand_quantiles),
        "printer_ids": list(result.printer_ids),
        "printer_load_hours": _array_json(result.printer_load_hours),
        "printer_queue_hours": _array_json(result.printer_queue_hours),
    }
    return json.dumps(payload, allow_nan=False)


def _str_list(raw: Any, where: str) -> tuple[str, ...]:
    """A list of strings from JSON."""
    if not (isinstance(raw, list) and all(isinstance(v, str) for v in raw)):
        raise ScenarioError(f"result file: {where} must be a list of strings")
    return tuple(raw)


def _int_field(data: Mapping[str, Any], name: str, low: int) -> int:
    """An integer field >= low."""
    value = data.get(name)
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
        raise ScenarioError(
            f"result file: {name} must be an integer >= {low}, got {value!r}"
        )
    return value


def result_from_json(text: str | bytes) -> SimulationResult:
    """Read back a result written by :func:`result_to_json`.

    Raises
    ------
    ScenarioError
        If the text is larger than 500 MB, not JSON, not a result file, of a newer
        format version, or a field is missing or malformed (the message names the
        field).
    """
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_RESULT_FILE_BYTES:
            raise ScenarioError(
                f"result file: larger than {MAX_RESULT_FILE_BYTES} bytes"
            )
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScenarioError(f"result file: not UTF-8 text ({exc})") from None
    if len(text) > MAX_RESULT_FILE_BYTES:
        raise ScenarioError(f"result file: larger than {MAX_RESULT_FILE_BYTES} bytes")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"result file: invalid JSON at line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}"
        ) from None
    except (RecursionError, ValueError) as exc:
        raise ScenarioError(
            f"result file: cannot decode JSON (nested too deeply or a number too "
            f"long: {exc})"
        ) from None
    if not isinstance(data, Mapping) or data.get("kind") != _RESULT_KIND:
        raise ScenarioError(
            f"result file: kind must be {_RESULT_KIND!r} (not a simulation result)"
        )
    version = _int_field(data, "format_version", 1)
    if version > RESULT_FORMAT_VERSION:
        raise ScenarioError(
            f"result file: format_version must be <= {RESULT_FORMAT_VERSION}, "
            f"got {version}"
        )
    required = (
        "paths", "seed", "horizon_days", "scenario", "kpis", "per_part",
        "path_kpis", "part_id", "on_hand_quantiles", "printer_ids",
        "printer_load_hours",
    )  # fmt: skip
    for name in required:
        if name not in data:
            raise ScenarioError(f"result file: missing field {name!r}")
    paths = _int_field(data, "paths", 2)
    seed = _int_field(data, "seed", 0)
    horizon = _int_field(data, "horizon_days", 1)
    scenario = data["scenario"]
    if not isinstance(scenario, str):
        raise ScenarioError(f"result file: scenario must be a string, got {scenario!r}")
    kpis_raw = data["kpis"]
    if not isinstance(kpis_raw, Mapping):
        raise ScenarioError("result file: kpis must be an object")
    kpis: dict[str, KPI] = {}
    for name, raw in kpis_raw.items():
        if not isinstance(raw, Mapping) or set(raw) != {"mean", "ci_low", "ci_high"}:
            raise ScenarioError(
                f"result file: kpis.{name} must be an object with mean, ci_low, ci_high"
            )
        kpis[name] = KPI(
            **{k: _number_from_json(v, f"kpis.{name}.{k}") for k, v in raw.items()}
        )
    per_part_raw = data["per_part"]
    if not (
        isinstance(per_part_raw, list)
        and all(isinstance(row, Mapping) for row in per_part_raw)
    ):
        raise ScenarioError("result file: per_part must be a list of objects")
    per_part = [
        {
            k: v if k == "part_id" else _number_from_json(v, f"per_part[{i}].{k}")
            for k, v in row.items()
        }
        for i, row in enumerate(per_part_raw)
    ]
    path_raw = data["path_kpis"]
    if not isinstance(path_raw, Mapping):
        raise ScenarioError("result file: path_kpis must be an object")
    path_kpis = {
        name: _array_from_json(raw, f"path_kpis.{name}")
        for name, raw in path_raw.items()
    }
    for name, values in path_kpis.items():
        if values.shape != (paths,):
            raise ScenarioError(
                f"result file: path_kpis.{name} must have shape ({paths},), "
                f"got {values.shape}"
            )
    tracked = data.get("quantile_part_ids")
    queue_raw = data.get("printer_queue_hours")
    return SimulationResult(
        paths=paths,
        seed=seed,
        horizon_days=horizon,
        scenario_name=scenario,
        kpis=kpis,
        per_part=per_part,
        path_kpis=path_kpis,
        part_id=_str_list(data["part_id"], "part_id"),
        on_hand_quantiles=_array_from_json(
            data["on_hand_quantiles"], "on_hand_quantiles"
        ),
        printer_ids=_str_list(data["printer_ids"], "printer_ids"),
        printer_load_hours=_array_from_json(
            data["printer_load_hours"], "printer_load_hours"
        ),
        quantile_part_ids=(
            None if tracked is None else _str_list(tracked, "quantile_part_ids")
        ),
        printer_queue_hours=(
            np.zeros((0, 0))
            if queue_raw is None
            else _array_from_json(queue_raw, "printer_queue_hours")
        ),
    )
