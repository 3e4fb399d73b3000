"""The programme dashboard's figures: the indicators the national strategy tracks for the network (agencies and
units on it, incidents handled, traffic impact, officers trained, the security team's counts), each saying where
it comes from, and an unavailable one saying why instead of showing zero.

Pure: every function takes plain inputs (timestamps, counts, tuples) and `now` from the caller's clock. The shell
(`psn.net.programme`) reads the live picture, dispatch, traffic, the security feed and the training records, and
hands them in; it also takes extra figure providers (the network parts' cells, alarms and uplifts), and
`assemble` shows those not provided yet as unavailable.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DAY_S = 86_400.0
NOW_S = 900.0  # a unit counts as active "now" with a fix or status in the last 15 minutes
WINDOWS: tuple[tuple[str, str, float], ...] = (
    ("now", "now (15 min)", NOW_S), ("24h", "in 24 h", DAY_S), ("7d", "in 7 days", 7 * DAY_S),
    ("30d", "in 30 days", 30 * DAY_S))
TREND_DAYS = 30
NATIONAL = "national"
OFFICER = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")  # an account name or badge number
COURSE_MAX_CHARS = 100
EARLIEST = 946_684_800.0  # 2000-01-01: a completion before it is a typo, not a record
SKEW_S = 300.0  # a completion this far past the server's clock is tolerated (the trainer's clock runs ahead)
TRAINING_FIELDS = ("officer", "agency", "course", "completed")


@dataclass(frozen=True)
class Spec:
    """What a figure is, before its value: id, label, dashboard group, unit, where its value comes from."""

    id: str
    label: str
    group: str
    unit: str
    source: str


@dataclass(frozen=True)
class Figure:
    spec: Spec
    value: float | None  # None: not available, and `why` says why
    why: str | None = None
    scope: str = NATIONAL  # "national", or the agency the value counts
    parts: Mapping[str, float] = field(default_factory=dict)  # a breakdown (by agency, by kind)
    history: tuple[tuple[float, float], ...] = ()  # (bin start, value), oldest first

    def __post_init__(self) -> None:
        if self.value is None and not self.why:
            raise ValueError(f"figure {self.spec.id} has no value and no reason why")

    @property
    def available(self) -> bool:
        return self.value is not None

    def to_json(self) -> dict[str, Any]:
        spec = self.spec
        row: dict[str, Any] = {
            "id": spec.id, "label": spec.label, "group": spec.group, "value": self.value, "unit": spec.unit,
            "source": spec.source, "available": self.available, "scope": self.scope}
        if self.why is not None:
            row["why"] = self.why
        if self.parts:
            row["parts"] = dict(self.parts)
        if self.history:
            row["history"] = [list(point) for point in self.history]
        return row


def unavailable(spec: Spec, why: str) -> Figure:
    return Figure(spec, None, why)


# Figures the network management parts provide (cells, alarms, uplifts): shown as not available until they do.
NETWORK_SPECS = (
    Spec("cells_up", "Cells up", "network", "cells", "cell KPIs (network management: live KPIs)"),
    Spec("alarms_active", "Network alarms active", "network", "alarms", "network management: alarms"),
    Spec("uplifts_active", "Priority uplifts in force", "network", "uplifts", "network management: QoS uplifts"),
)
NOT_WIRED = "network management does not report this figure to the dashboard yet"


def network_figures(cell_states: Sequence[str], alarms_active: int, uplifts_active: int) -> list[Figure]:
    """Cells up (of the cells known: `up`, `silent` or `unknown`), active alarms and uplifts in force; no cell known
    yet is "not available", not 0 of 0."""
    up = sum(1 for state in cell_states if state == "up")
    cells = (Figure(NETWORK_SPECS[0], float(up), parts={"known": float(len(cell_states))}) if cell_states
             else unavailable(NETWORK_SPECS[0], "no cell is in the inventory and none has reported yet"))
    return [cells, Figure(NETWORK_SPECS[1], float(alarms_active)), Figure(NETWORK_SPECS[2], float(uplifts_active))]


def assemble(figures: Iterable[Figure], expected: Sequence[Spec] = NETWORK_SPECS,
             why: str = NOT_WIRED) -> list[Figure]:
    """The figures in the order given (the first of two with one id stands), then every expected one that no
    provider gave, as unavailable with `why`."""
    seen: dict[str, Figure] = {}
    for figure in figures:
        seen.setdefault(figure.spec.id, figure)
    missing = [unavailable(spec, why) for spec in expected if spec.id not in seen]
    return [*seen.values(), *missing]


def agency_of(unit_id: str) -> str:
    return unit_id.split("/", 1)[0]


def in_scope(agency: str, scope: Collection[str] | None) -> bool:
    return scope is None or agency in scope


def scope_name(scope: Collection[str] | None) -> str:
    return NATIONAL if scope is None else ",".join(sorted(scope))


def daily(times: Iterable[float], now: float, days: int = TREND_DAYS) -> tuple[tuple[float, float], ...]:
    """Counts per 24 h bin ending at `now` (the last bin is the last 24 h), oldest first; times outside the
    `days` bins are left out."""
    counts = [0] * days
    start = now - days * DAY_S
    for ts in times:
        if start <= ts <= now:
            counts[min(int((ts - start) // DAY_S), days - 1)] += 1
    return tuple((start + i * DAY_S, float(n)) for i, n in enumerate(counts))


# --- units -------------------------------------------------------------------------------------------------

UNITS_SOURCE = ("the newest fix or status of each unit (the live picture, restored from the fixes and statuses "
                "tables at start)")


def unit_specs() -> list[Spec]:
    return [Spec(f"units_active_{key}", f"Units active {label}", "people", "units", UNITS_SOURCE)
            for key, label, _ in WINDOWS]


def unit_figures(last_seen: Mapping[str, float], now: float, scope: Collection[str] | None) -> list[Figure]:
    """Units active in each window (a fix or status no older than the window), with the count per agency."""
    seen = {unit: ts for unit, ts in last_seen.items() if in_scope(agency_of(unit), scope)}
    figures = []
    for spec, (_, _, window) in zip(unit_specs(), WINDOWS, strict=True):
        by_agency = Counter(agency_of(unit) for unit, ts in seen.items() if ts >= now - window)
        figures.append(Figure(spec, float(sum(by_agency.values())), scope=scope_name(scope),
                              parts=dict(sorted(by_agency.items()))))
    return figures


AGENCIES = Spec("agencies_on_network", "Public agencies on the network", "people", "agencies",
                "registered agencies with at least one unit active in the last 30 days")


def agencies_figure(last_seen: Mapping[str, float], registered: Collection[str], now: float) -> Figure:
    """National: which registered agencies had a unit on the network in the last 30 days (units per agency)."""
    active = Counter(agency_of(unit) for unit, ts in last_seen.items()
                     if ts >= now - 30 * DAY_S and agency_of(unit) in registered)
    return Figure(AGENCIES, float(len(active)), parts=dict(sorted(active.items())))


OFFICERS_ON_DUTY = Spec("officers_on_duty", "Officers signed on to a unit now", "people", "officers",
                        "officers' phones signed on to a unit (dispatch crew, kept while signed on)")
OFFICERS_ACTIVE = Spec("officers_active_30d", "Officers active in 30 days", "people", "officers",
                       "sign-ins of field officers")
OFFICERS_ACTIVE_WHY = ("not recorded yet: psn keeps who crews a unit only while they are signed on; sign-ins are "
                       "in the audit log but not counted per officer")


def officers_figures(crew: Mapping[str, str], scope: Collection[str] | None) -> list[Figure]:
    """Officers on duty now (user → the "agency/unit" they crew), by agency; the 30-day count is not kept."""
    by_agency = Counter(agency_of(unit) for unit in crew.values() if in_scope(agency_of(unit), scope))
    return [Figure(OFFICERS_ON_DUTY, float(sum(by_agency.values())), scope=scope_name(scope),
                   parts=dict(sorted(by_agency.items()))),
            unavailable(OFFICERS_ACTIVE, OFFICERS_ACTIVE_WHY)]


# --- incidents ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFacts:
    owner: str
    opened: float
    closed: float | None  # when it was last closed; None while open


INCIDENTS_SOURCE = "dispatch incidents (created, closed) of the owning agency"
INCIDENTS_OPEN = Spec("incidents_open", "Incidents open now", "operations", "incidents", INCIDENTS_SOURCE)
INCIDENTS_OPENED = Spec("incidents_opened_30d", "Incidents opened in 30 days", "operations", "incidents",
                        INCIDENTS_SOURCE)
INCIDENTS_HANDLED = Spec("incidents_handled_30d", "Incidents handled (closed) in 30 days", "operations",
                         "incidents", INCIDENTS_SOURCE)
OFFENCES = Spec("offences_intercepted", "Offences intercepted", "operations", "offences",
                "dispatch incident outcomes")
OFFENCES_WHY = ("not recorded yet: an incident closes with a free-text disposition; no outcome field says "
                "whether an offence was intercepted")


def incident_figures(incidents: Iterable[IncidentFacts], now: float,
                     scope: Collection[str] | None) -> list[Figure]:
    chosen = [i for i in incidents if in_scope(i.owner, scope)]
    since = now - 30 * DAY_S
    name = scope_name(scope)

    def by_owner(rows: Iterable[IncidentFacts]) -> dict[str, float]:
        return {k: float(v) for k, v in sorted(Counter(i.owner for i in rows).items())}

    still_open = [i for i in chosen if i.closed is None]
    opened = [i for i in chosen if since <= i.opened <= now]
    closed = [i for i in chosen if i.closed is not None and since <= i.closed <= now]
    return [
        Figure(INCIDENTS_OPEN, float(len(still_open)), scope=name, parts=by_owner(still_open)),
        Figure(INCIDENTS_OPENED, float(len(opened)), scope=name, parts=by_owner(opened),
               history=daily((i.opened for i in opened), now)),
        Figure(INCIDENTS_HANDLED, float(len(closed)), scope=name, parts=by_owner(closed),
               history=daily((i.closed for i in closed if i.closed is not None), now)),
        unavailable(OFFENCES, OFFENCES_WHY),
    ]


# --- traffic -----------------------------------------------------------------------------------------------

TRAFFIC_ALERTS = Spec("traffic_alerts_6h", "Congestion alerts raised in 6 h", "traffic", "alerts",
                      "traffic analytics: speed-drop alerts (kept 6 h)")
CORRIDORS = Spec("corridors_monitored", "Corridors monitored", "traffic", "corridors",
                 "traffic analytics: corridors timed every tick")
TRAVEL_INDEX = Spec("travel_time_index", "Mean travel-time index", "traffic", "× free flow",
                    "traffic analytics: travel time / free-flow time, mean over corridors with measurements")


def traffic_figures(alerts_raised: Sequence[float] | None, corridors: Sequence[tuple[float, float]] | None,
                    now: float, why: str) -> list[Figure]:
    """From the traffic picture: the alerts' raise times and each corridor's (index, coverage); None when the
    analytics have nothing to say (`why`)."""
    if alerts_raised is None or corridors is None:
        return [unavailable(spec, why) for spec in (TRAFFIC_ALERTS, CORRIDORS, TRAVEL_INDEX)]
    measured = [index for index, coverage in corridors if coverage > 0 and math.isfinite(index)]
    index = (Figure(TRAVEL_INDEX, round(sum(measured) / len(measured), 3)) if measured
             else unavailable(TRAVEL_INDEX, "no corridor has measured speeds yet"))
    recent = [ts for ts in alerts_raised if now - 6 * 3600.0 <= ts <= now]
    return [Figure(TRAFFIC_ALERTS, float(len(recent))), Figure(CORRIDORS, float(len(corridors))), index]


# --- training ----------------------------------------------------------------------------------------------


class TrainingError(ValueError):
    """A training record refused, with the reason (the API answers 422 with it)."""


@dataclass(frozen=True)
class Training:
    officer: str
    agency: str
    course: str
    completed: float


def parse_training(body: object, agencies: Collection[str], now: float) -> Training:
    """A completed training as a trainer records it: exactly the fields officer, agency, course, completed."""
    if not isinstance(body, Mapping):
        raise TrainingError(f"a training record is a JSON object with {', '.join(TRAINING_FIELDS)}")
    missing = [name for name in TRAINING_FIELDS if name not in body]
    unknown = sorted(str(name) for name in body if name not in TRAINING_FIELDS)
    if missing or unknown:
        raise TrainingError(f"missing {missing}, unknown {unknown}: a record has exactly {list(TRAINING_FIELDS)}")
    officer, agency, course, completed = (body[name] for name in TRAINING_FIELDS)
    if not isinstance(officer, str) or not OFFICER.fullmatch(officer):
        raise TrainingError(f"officer must be an account name or badge number matching {OFFICER.pattern}, "
                            f"not {officer!r:.40}")
    if not isinstance(agency, str) or agency not in agencies:
        raise TrainingError(f"agency must be one of {', '.join(sorted(agencies))}, not {agency!r:.40}")
    if (not isinstance(course, str) or not course.strip() or len(course) > COURSE_MAX_CHARS
            or not course.isprintable()):
        raise TrainingError(f"course must be printable text of 1 to {COURSE_MAX_CHARS} characters, "
                            f"not {course!r:.40}")
    if isinstance(completed, bool) or not isinstance(completed, int | float) or not math.isfinite(completed):
        raise TrainingError(f"completed must be epoch seconds, not {completed!r:.40}")
    if not EARLIEST <= completed <= now + SKEW_S:
        raise TrainingError(f"completed ({completed}) must lie between {EARLIEST:.0f} (2000-01-01) and now "
                            f"({now:.0f})")
    return Training(officer, agency, course, float(completed))


TRAINING_SOURCE = "training records posted by trainers (POST /api/v1/kpi/programme/training)"
OFFICERS_TRAINED = Spec("officers_trained", "Officers trained", "training", "officers", TRAINING_SOURCE)
TRAININGS_30D = Spec("trainings_30d", "Trainings completed in 30 days", "training", "courses", TRAINING_SOURCE)


def training_figures(records: Iterable[Training], now: float, scope: Collection[str] | None) -> list[Figure]:
    """Officers with at least one completed training (by agency), and completions in the last 30 days."""
    chosen = [r for r in records if in_scope(r.agency, scope)]
    officers = Counter(agency for agency, _ in {(r.agency, r.officer) for r in chosen})
    recent = [r for r in chosen if now - 30 * DAY_S <= r.completed <= now]
    name = scope_name(scope)
    return [
        Figure(OFFICERS_TRAINED, float(sum(officers.values())), scope=name,
               parts={k: float(v) for k, v in sorted(officers.items())}),
        Figure(TRAININGS_30D, float(len(recent)), scope=name,
               parts={k: float(v) for k, v in sorted(Counter(r.course for r in recent).items())},
               history=daily((r.completed for r in recent), now)),
    ]


# --- security ----------------------------------------------------------------------------------------------

SECURITY_EVENTS = Spec("security_events", "Security events", "security", "events",
                       "the security feed: failed sign-ins, denials, spoofed topics … by kind, since the server "
                       "started")
WARNINGS = Spec("warnings_issued", "Warnings issued", "security", "warnings", "the security team's records")
CAPTURED = Spec("incidents_captured", "Incidents captured", "security", "incidents", "the security team's records")
SECURITY_WHY = "not recorded yet: psn has no record of the security team's {what}"


def security_figures(counts: Mapping[str, int], started: float) -> list[Figure]:
    """Security events by kind since `started`; warnings and captured incidents are not recorded in psn."""
    since = datetime.datetime.fromtimestamp(started, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    source = f"{SECURITY_EVENTS.source} ({since})"
    spec = Spec(SECURITY_EVENTS.id, SECURITY_EVENTS.label, SECURITY_EVENTS.group, SECURITY_EVENTS.unit, source)
    return [Figure(spec, float(sum(counts.values())), parts={k: float(v) for k, v in sorted(counts.items()) if v}),
            unavailable(WARNINGS, SECURITY_WHY.format(what="warnings")),
            unavailable(CAPTURED, SECURITY_WHY.format(what="captured incidents"))]
