"""Incidents: what a dispatcher creates from a call, changes, shares with partner agencies and closes.

Every function takes an incident and returns a NEW one plus the timeline entry it appended; bad input is a
`DispatchError` with a reason, and the incident passed in is never changed. `now` (epoch seconds) comes from
the caller's clock. Priority 1 is the most urgent, 4 the least.

The caller's notes are plain text here; the shell seals them at rest with the owning agency's key. The
timeline never carries them (it goes to the audit log): a notes change is recorded by its size only.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dispatch.errors import DispatchError, Reason, one_of
from dispatch.status import UnitState, parse_state
from telemetry.topics import NAME

MOST_URGENT, LEAST_URGENT = 1, 4
NOTES_MAX_BYTES = 4096  # UTF-8 bytes of caller notes
TEXT_MAX_CHARS = 200  # an address, a place name, an actor, a disposition


class IncidentType(enum.StrEnum):
    TRAFFIC_COLLISION = "traffic_collision"
    ASSAULT = "assault"
    ROBBERY = "robbery"
    FIRE = "fire"
    FLOOD = "flood"
    MEDICAL = "medical"
    MISSING_PERSON = "missing_person"
    HURRICANE_SHELTER = "hurricane_shelter"
    OTHER = "other"


class IncidentState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Change(enum.StrEnum):
    """What a timeline entry records."""

    CREATED = "created"
    UPDATED = "updated"
    PARTNER_ADDED = "partner_added"
    PARTNER_REMOVED = "partner_removed"
    UNIT_STATUS = "unit_status"  # a unit dispatched to, en route to, on scene at or cleared from the incident
    CLOSED = "closed"
    REOPENED = "reopened"


Detail = str | int | float | None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    ts: float
    actor: str  # a user name, or "agency/unit" for a unit's own report
    what: Change
    details: Mapping[str, Detail]


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    type: IncidentType
    priority: int  # 1 most urgent … 4 least
    location: Location
    address: str | None
    place: str | None
    notes: str
    owner: str  # the agency that owns it (and whose key seals its notes)
    partners: frozenset[str]  # agencies that work it with the owner and see it
    state: IncidentState
    units: frozenset[str]  # "agency/unit" of the units dispatched, en route or on scene now
    timeline: tuple[TimelineEntry, ...]

    @property
    def opened(self) -> float:
        """When the call came in: the time of the `created` entry."""
        return self.timeline[0].ts


UPDATABLE = ("type", "priority", "lat", "lon", "address", "place", "notes")
_ENGAGED = frozenset({UnitState.DISPATCHED, UnitState.EN_ROUTE, UnitState.ON_SCENE})


def create(incident_id: str, actor: str, now: float, *, type: object, priority: object, lat: object, lon: object,
           notes: object, owner: str, address: object = None, place: object = None,
           partners: Iterable[str] = ()) -> tuple[Incident, TimelineEntry]:
    """A new open incident and its `created` entry (which names its type, priority and location)."""
    _check_time(now, None)
    incident = Incident(
        id=_name(incident_id, "incident id"), type=_type(type), priority=_priority(priority),
        location=_location(lat, lon), address=_optional_text(address, "address"),
        place=_optional_text(place, "place"), notes=_notes(notes), owner=_name(owner, "owner agency"),
        partners=frozenset(), state=IncidentState.OPEN, units=frozenset(), timeline=())
    for partner in partners:
        incident = dataclasses.replace(incident, partners=_new_partner(incident, partner))
    details: dict[str, Detail] = {
        "type": incident.type.value, "priority": incident.priority, "lat": incident.location.lat,
        "lon": incident.location.lon, "owner": incident.owner, "partners": ",".join(sorted(incident.partners)),
        "notes_bytes": len(incident.notes.encode())}
    return _append(incident, _actor(actor), now, Change.CREATED, details)


def update(incident: Incident, actor: str, now: float, **changes: object) -> tuple[Incident, TimelineEntry]:
    """The incident with `changes` (any of UPDATABLE) applied; the entry lists each field's old and new value."""
    _check_open(incident, now)
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise DispatchError(Reason.UNKNOWN_FIELD,
                            f"cannot update {', '.join(unknown)}; an update may change {', '.join(UPDATABLE)}")
    new = incident
    if "type" in changes:
        new = dataclasses.replace(new, type=_type(changes["type"]))
    if "priority" in changes:
        new = dataclasses.replace(new, priority=_priority(changes["priority"]))
    if "lat" in changes or "lon" in changes:
        new = dataclasses.replace(new, location=_location(changes.get("lat", new.location.lat),
                                                          changes.get("lon", new.location.lon)))
    if "address" in changes:
        new = dataclasses.replace(new, address=_optional_text(changes["address"], "address"))
    if "place" in changes:
        new = dataclasses.replace(new, place=_optional_text(changes["place"], "place"))
    if "notes" in changes:
        new = dataclasses.replace(new, notes=_notes(changes["notes"]))
    details = _differences(incident, new)
    if not details:
        raise DispatchError(Reason.NO_CHANGE, f"the update changes nothing of incident {incident.id}")
    return _append(new, _actor(actor), now, Change.UPDATED, details)


def add_partner(incident: Incident, actor: str, now: float, agency: str) -> tuple[Incident, TimelineEntry]:
    """`agency` works the incident with its owner from now on (the shell gives it the incident grant)."""
    _check_open(incident, now)
    new = dataclasses.replace(incident, partners=_new_partner(incident, agency))
    return _append(new, _actor(actor), now, Change.PARTNER_ADDED, {"agency": agency})


def remove_partner(incident: Incident, actor: str, now: float, agency: str) -> tuple[Incident, TimelineEntry]:
    """`agency` no longer works the incident (the shell withdraws its grant)."""
    _check_open(incident, now)
    if agency not in incident.partners:
        raise DispatchError(Reason.BAD_PARTNER, f"{agency!r} is not a partner of incident {incident.id}")
    new = dataclasses.replace(incident, partners=incident.partners - {agency})
    return _append(new, _actor(actor), now, Change.PARTNER_REMOVED, {"agency": agency})


def unit_status(incident: Incident, actor: str, now: float, unit: str,
                state: UnitState | str) -> tuple[Incident, TimelineEntry]:
    """A unit ("agency/unit") as it concerns this incident: dispatched to it, en route, on scene, or cleared
    (available / out of service). The first dispatched, en route and on scene entries time the response."""
    _check_open(incident, now)
    if not isinstance(unit, str) or unit.count("/") != 1:
        raise DispatchError(Reason.BAD_NAME, f"a unit is named agency/unit, not {unit!r:.40}")
    for part in unit.split("/"):
        _name(part, "unit agency and name")
    state = parse_state(state)
    if state in _ENGAGED:
        units = incident.units | {unit}
    elif unit in incident.units:
        units = incident.units - {unit}
    else:
        raise DispatchError(Reason.NOT_ASSIGNED, f"unit {unit} is not on incident {incident.id}: it cannot clear")
    new = dataclasses.replace(incident, units=units)
    return _append(new, _actor(actor), now, Change.UNIT_STATUS, {"unit": unit, "state": state.value})


def close(incident: Incident, actor: str, now: float, disposition: object) -> tuple[Incident, TimelineEntry]:
    """The incident closed with a disposition (what came of it); its units are cleared from it."""
    if incident.state is IncidentState.CLOSED:
        raise DispatchError(Reason.INCIDENT_CLOSED, f"incident {incident.id} is already closed")
    _check_time(now, incident)
    text = _text(disposition, "disposition")
    new = dataclasses.replace(incident, state=IncidentState.CLOSED, units=frozenset())
    return _append(new, _actor(actor), now, Change.CLOSED,
                   {"disposition": text, "units_cleared": ",".join(sorted(incident.units))})


def reopen(incident: Incident, actor: str, now: float, reason: object) -> tuple[Incident, TimelineEntry]:
    """A closed incident open again, with why."""
    if incident.state is IncidentState.OPEN:
        raise DispatchError(Reason.INCIDENT_OPEN, f"incident {incident.id} is open: only a closed one reopens")
    _check_time(now, incident)
    new = dataclasses.replace(incident, state=IncidentState.OPEN)
    return _append(new, _actor(actor), now, Change.REOPENED, {"reason": _text(reason, "reason")})


def _append(incident: Incident, actor: str, now: float, what: Change,
            details: Mapping[str, Detail]) -> tuple[Incident, TimelineEntry]:
    entry = TimelineEntry(now, actor, what, dict(details))
    return dataclasses.replace(incident, timeline=(*incident.timeline, entry)), entry


def _differences(old: Incident, new: Incident) -> dict[str, Detail]:
    """`field: "old → new"` per changed field (notes by size only: the timeline is audited in clear)."""
    found: dict[str, Detail] = {}
    pairs: list[tuple[str, Detail, Detail]] = [
        ("type", old.type.value, new.type.value), ("priority", old.priority, new.priority),
        ("lat", old.location.lat, new.location.lat), ("lon", old.location.lon, new.location.lon),
        ("address", old.address, new.address), ("place", old.place, new.place)]
    for name, before, after in pairs:
        if before != after:
            found[name] = f"{before} → {after}"
    if old.notes != new.notes:
        found["notes_bytes"] = f"{len(old.notes.encode())} → {len(new.notes.encode())}"
    return found


def _check_open(incident: Incident, now: float) -> None:
    if incident.state is IncidentState.CLOSED:
        raise DispatchError(Reason.INCIDENT_CLOSED, f"incident {incident.id} is closed: reopen it to change it")
    _check_time(now, incident)


def _check_time(now: float, incident: Incident | None) -> None:
    if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
        raise DispatchError(Reason.BAD_TIME, f"now must be finite epoch seconds, not {now!r}")
    if incident is not None and now < incident.timeline[-1].ts:
        raise DispatchError(Reason.BAD_TIME, f"{now} is before the last entry of incident {incident.id} "
                                             f"({incident.timeline[-1].ts}): a timeline only moves forward")


def _type(value: object) -> IncidentType:
    return one_of(IncidentType, value, Reason.UNKNOWN_TYPE, "an incident type")


def _priority(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MOST_URGENT <= value <= LEAST_URGENT:
        raise DispatchError(Reason.BAD_PRIORITY, f"priority must be an integer from {MOST_URGENT} (most urgent) "
                                                 f"to {LEAST_URGENT} (least), not {value!r}")
    return value


def _location(lat: object, lon: object) -> Location:
    return Location(_coordinate("lat", lat, 90.0), _coordinate("lon", lon, 180.0))


def _coordinate(name: str, value: object, bound: float) -> float:
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or not -bound <= value <= bound):
        raise DispatchError(Reason.BAD_LOCATION, f"{name} must be a finite number in [-{bound:g}, {bound:g}], "
                                                 f"not {value!r}")
    return float(value)


def _notes(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DispatchError(Reason.BAD_TEXT, f"notes must be non-empty text, not {value!r:.40}")
    size = len(value.encode())
    if size > NOTES_MAX_BYTES:
        raise DispatchError(Reason.BAD_TEXT, f"notes are {size} bytes; at most {NOTES_MAX_BYTES} (UTF-8)")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_MAX_CHARS:
        raise DispatchError(Reason.BAD_TEXT,
                            f"{what} must be non-empty text of at most {TEXT_MAX_CHARS} characters, not {value!r:.40}")
    return value


def _optional_text(value: object, what: str) -> str | None:
    return None if value is None else _text(value, what)


def _actor(value: str) -> str:
    return _text(value, "actor")


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise DispatchError(Reason.BAD_NAME, f"{what} must match {NAME.pattern}, not {value!r:.40}")
    return value


def _new_partner(incident: Incident, agency: str) -> frozenset[str]:
    _name(agency, "partner agency")
    if agency == incident.owner:
        raise DispatchError(Reason.BAD_PARTNER, f"{agency} owns incident {incident.id}: it cannot also be a partner")
    if agency in incident.partners:
        raise DispatchError(Reason.BAD_PARTNER, f"{agency} is already a partner of incident {incident.id}")
    return incident.partners | {agency}
