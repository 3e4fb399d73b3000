"""Incidents: create, update, partners, units, close and reopen, each giving a new incident and one timeline
entry; every kind of bad input refused with its reason and the incident passed in left as it was. Expected
values are literals written here."""

from __future__ import annotations

import math
from typing import Any

import pytest

from dispatch import (
    Change,
    DispatchError,
    Incident,
    IncidentState,
    IncidentType,
    Location,
    Reason,
    TimelineEntry,
    UnitState,
    add_partner,
    close,
    create,
    remove_partner,
    reopen,
    unit_status,
    update,
)

T0 = 1_764_590_400.0  # 2025-12-01T12:00:00Z
NOTES = "Caller reports two cars off the road at mile 8, one person trapped."
GOOD: dict[str, Any] = {"type": "traffic_collision", "priority": 2, "lat": 17.3129, "lon": -88.5503,
                        "notes": NOTES, "owner": "police", "address": "George Price Hwy, mile 8",
                        "place": "Hattieville"}


def new(**changes: Any) -> Incident:
    return create("INC-1", "police.dispatch", T0, **{**GOOD, **changes})[0]


def refused(call: Any, *args: Any, **kwargs: Any) -> Reason:
    with pytest.raises(DispatchError) as error:
        call(*args, **kwargs)
    assert error.value.detail  # a reason a person can read
    return error.value.reason


def test_create() -> None:
    incident, entry = create("INC-1", "police.dispatch", T0, **GOOD, partners=["ems"])
    assert incident == Incident(
        id="INC-1", type=IncidentType.TRAFFIC_COLLISION, priority=2, location=Location(17.3129, -88.5503),
        address="George Price Hwy, mile 8", place="Hattieville", notes=NOTES, owner="police",
        partners=frozenset({"ems"}), state=IncidentState.OPEN, units=frozenset(), timeline=(entry,))
    assert entry == TimelineEntry(T0, "police.dispatch", Change.CREATED, {
        "type": "traffic_collision", "priority": 2, "lat": 17.3129, "lon": -88.5503, "owner": "police",
        "partners": "ems", "notes_bytes": 67})
    assert incident.opened == T0


BAD_CREATE = [
    ({"type": "arson"}, Reason.UNKNOWN_TYPE),
    ({"type": "Fire"}, Reason.UNKNOWN_TYPE),
    ({"type": None}, Reason.UNKNOWN_TYPE),
    ({"priority": 0}, Reason.BAD_PRIORITY),
    ({"priority": 5}, Reason.BAD_PRIORITY),
    ({"priority": -1}, Reason.BAD_PRIORITY),
    ({"priority": 1.0}, Reason.BAD_PRIORITY),
    ({"priority": "1"}, Reason.BAD_PRIORITY),
    ({"priority": True}, Reason.BAD_PRIORITY),
    ({"lat": 90.0001}, Reason.BAD_LOCATION),
    ({"lat": -91}, Reason.BAD_LOCATION),
    ({"lon": 180.5}, Reason.BAD_LOCATION),
    ({"lon": -181}, Reason.BAD_LOCATION),
    ({"lat": math.nan}, Reason.BAD_LOCATION),
    ({"lon": math.inf}, Reason.BAD_LOCATION),
    ({"lat": "17.5"}, Reason.BAD_LOCATION),
    ({"lon": True}, Reason.BAD_LOCATION),
    ({"lat": None}, Reason.BAD_LOCATION),
    ({"notes": ""}, Reason.BAD_TEXT),
    ({"notes": " \n\t"}, Reason.BAD_TEXT),
    ({"notes": "x" * 4097}, Reason.BAD_TEXT),
    ({"notes": "é" * 2049}, Reason.BAD_TEXT),  # 4,098 bytes in UTF-8, 2,049 characters
    ({"notes": None}, Reason.BAD_TEXT),
    ({"notes": b"bytes"}, Reason.BAD_TEXT),
    ({"address": ""}, Reason.BAD_TEXT),
    ({"address": "a" * 201}, Reason.BAD_TEXT),
    ({"place": 5}, Reason.BAD_TEXT),
    ({"owner": "po lice"}, Reason.BAD_NAME),
    ({"owner": ""}, Reason.BAD_NAME),
    ({"owner": "police/ems"}, Reason.BAD_NAME),
    ({"partners": ["police"]}, Reason.BAD_PARTNER),
    ({"partners": ["ems", "ems"]}, Reason.BAD_PARTNER),
    ({"partners": ["#"]}, Reason.BAD_NAME),
]


@pytest.mark.parametrize(("changes", "reason"), BAD_CREATE)
def test_create_refuses(changes: dict[str, Any], reason: Reason) -> None:
    assert refused(create, "INC-1", "police.dispatch", T0, **{**GOOD, **changes}) is reason


@pytest.mark.parametrize(("incident_id", "actor", "now", "reason"), [
    ("INC 1", "police.dispatch", T0, Reason.BAD_NAME),
    ("INC/1", "police.dispatch", T0, Reason.BAD_NAME),
    ("I" * 65, "police.dispatch", T0, Reason.BAD_NAME),
    ("INC-1", "", T0, Reason.BAD_TEXT),
    ("INC-1", "police.dispatch", math.nan, Reason.BAD_TIME),
    ("INC-1", "police.dispatch", math.inf, Reason.BAD_TIME),
])
def test_create_refuses_bad_ids_actors_and_times(incident_id: str, actor: str, now: float, reason: Reason) -> None:
    assert refused(create, incident_id, actor, now, **GOOD) is reason


@pytest.mark.parametrize("changes", [
    {"priority": 1}, {"priority": 4}, {"lat": 90, "lon": -180}, {"lat": -90.0, "lon": 180.0},
    {"notes": "x" * 4096}, {"notes": "é" * 2048}, {"address": None, "place": None}, {"address": "a" * 200},
    {"type": "hurricane_shelter"}, {"type": IncidentType.OTHER},
])
def test_create_accepts_the_edges(changes: dict[str, Any]) -> None:
    assert new(**changes).state is IncidentState.OPEN


def test_update_records_old_and_new_and_never_the_notes() -> None:
    before = new()
    after, entry = update(before, "police.dispatch", T0 + 60, priority=1, lat=17.5, notes="Now three cars.")
    assert (after.priority, after.location, after.notes) == (1, Location(17.5, -88.5503), "Now three cars.")
    assert entry == TimelineEntry(T0 + 60, "police.dispatch", Change.UPDATED,
                                  {"priority": "2 → 1", "lat": "17.3129 → 17.5", "notes_bytes": "67 → 15"})
    assert after.timeline == (*before.timeline, entry)
    assert before == new()  # the incident passed in is unchanged
    assert not any("cars" in repr(e) for e in after.timeline)


@pytest.mark.parametrize(("changes", "reason"), [
    ({}, Reason.NO_CHANGE),
    ({"priority": 2}, Reason.NO_CHANGE),
    ({"owner": "nemo"}, Reason.UNKNOWN_FIELD),
    ({"state": "closed"}, Reason.UNKNOWN_FIELD),
    ({"priority": 0}, Reason.BAD_PRIORITY),
    ({"type": "arson"}, Reason.UNKNOWN_TYPE),
    ({"lon": -200}, Reason.BAD_LOCATION),
    ({"notes": ""}, Reason.BAD_TEXT),
    ({"priority": 1, "notes": "x" * 4097}, Reason.BAD_TEXT),  # nothing of a refused update is applied
])
def test_update_refuses(changes: dict[str, Any], reason: Reason) -> None:
    incident = new()
    assert refused(update, incident, "police.dispatch", T0 + 1, **changes) is reason
    assert incident == new()


def test_time_only_moves_forward() -> None:
    assert refused(update, new(), "police.dispatch", T0 - 0.5, priority=1) is Reason.BAD_TIME
    assert refused(add_partner, new(), "police.dispatch", T0 - 1, "nemo") is Reason.BAD_TIME
    assert update(new(), "police.dispatch", T0, priority=1)[1].ts == T0  # the same second is fine


def test_partners() -> None:
    incident, entry = add_partner(new(), "police.dispatch", T0 + 5, "nemo")
    assert incident.partners == {"nemo"}
    assert entry == TimelineEntry(T0 + 5, "police.dispatch", Change.PARTNER_ADDED, {"agency": "nemo"})
    assert refused(add_partner, incident, "police.dispatch", T0 + 6, "nemo") is Reason.BAD_PARTNER
    assert refused(add_partner, incident, "police.dispatch", T0 + 6, "police") is Reason.BAD_PARTNER
    assert refused(add_partner, incident, "police.dispatch", T0 + 6, "ne mo") is Reason.BAD_NAME
    assert refused(remove_partner, incident, "police.dispatch", T0 + 6, "fire") is Reason.BAD_PARTNER
    removed, entry = remove_partner(incident, "police.dispatch", T0 + 7, "nemo")
    assert removed.partners == frozenset()
    assert entry.what is Change.PARTNER_REMOVED and entry.details == {"agency": "nemo"}


def test_units_on_the_incident() -> None:
    incident = new()
    incident, entry = unit_status(incident, "police.dispatch", T0 + 30, "police/P-101", UnitState.DISPATCHED)
    assert entry == TimelineEntry(T0 + 30, "police.dispatch", Change.UNIT_STATUS,
                                  {"unit": "police/P-101", "state": "dispatched"})
    incident, _ = unit_status(incident, "police/P-101", T0 + 40, "police/P-101", UnitState.EN_ROUTE)
    incident, _ = unit_status(incident, "police.dispatch", T0 + 50, "ems/E-7", UnitState.DISPATCHED)
    assert incident.units == {"police/P-101", "ems/E-7"}
    incident, _ = unit_status(incident, "police.dispatch", T0 + 60, "ems/E-7", UnitState.AVAILABLE)
    assert incident.units == {"police/P-101"}
    assert refused(unit_status, incident, "police.dispatch", T0 + 70, "ems/E-7",
                   UnitState.AVAILABLE) is Reason.NOT_ASSIGNED
    assert refused(unit_status, incident, "x", T0 + 70, "P-101", UnitState.DISPATCHED) is Reason.BAD_NAME
    assert refused(unit_status, incident, "x", T0 + 70, "police/P 1", UnitState.DISPATCHED) is Reason.BAD_NAME
    assert refused(unit_status, incident, "x", T0 + 70, "police/P-1/x", UnitState.DISPATCHED) is Reason.BAD_NAME
    assert refused(unit_status, incident, "x", T0 + 70, None, UnitState.DISPATCHED) is Reason.BAD_NAME
    assert refused(unit_status, incident, "x", T0 + 70, "police/P-2", "busy") is Reason.UNKNOWN_STATE
    assert unit_status(incident, "x", T0 + 70, "police/P-2", "dispatched")[0].units == {"police/P-101", "police/P-2"}


def test_close_and_reopen() -> None:
    incident, _ = unit_status(new(), "police.dispatch", T0 + 30, "police/P-101", UnitState.ON_SCENE)
    closed, entry = close(incident, "police.dispatch", T0 + 3600, "cleared, tow truck took both cars")
    assert closed.state is IncidentState.CLOSED and closed.units == frozenset()
    assert entry == TimelineEntry(T0 + 3600, "police.dispatch", Change.CLOSED, {
        "disposition": "cleared, tow truck took both cars", "units_cleared": "police/P-101"})
    assert refused(close, closed, "police.dispatch", T0 + 3601, "again") is Reason.INCIDENT_CLOSED
    assert refused(update, closed, "police.dispatch", T0 + 3601, priority=1) is Reason.INCIDENT_CLOSED
    assert refused(add_partner, closed, "police.dispatch", T0 + 3601, "nemo") is Reason.INCIDENT_CLOSED
    assert refused(unit_status, closed, "p", T0 + 3601, "police/P-1", UnitState.DISPATCHED) is Reason.INCIDENT_CLOSED
    assert refused(reopen, incident, "police.dispatch", T0 + 3601, "why") is Reason.INCIDENT_OPEN
    assert refused(reopen, closed, "police.dispatch", T0 + 3601, "") is Reason.BAD_TEXT
    assert refused(close, incident, "police.dispatch", T0 + 3601, None) is Reason.BAD_TEXT
    opened, entry = reopen(closed, "police.supervisor", T0 + 4000, "second victim found")
    assert opened.state is IncidentState.OPEN
    assert entry == TimelineEntry(T0 + 4000, "police.supervisor", Change.REOPENED, {"reason": "second victim found"})
    assert [e.what for e in opened.timeline] == ["created", "unit_status", "closed", "reopened"]
    assert update(opened, "police.dispatch", T0 + 4001, priority=1)[0].priority == 1
