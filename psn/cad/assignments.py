"""Sending a unit to an incident: the board says `dispatched` (refused before anything is sent when the unit
cannot be dispatched now), then the unit gets an `assignment` command with what its crew needs to go."""

from __future__ import annotations

from collections.abc import Sequence

from dispatch import Incident, UnitState
from psn.cad.board import UnitBoard
from psn.cad.commands import Commands

ASSIGNMENT = "assignment"


def assign(board: UnitBoard, commands: Commands, unit: str, incident: Incident,
           route: Sequence[Sequence[float]], actor: str, now: float) -> str:
    """Dispatches `unit` ("agency/unit") to `incident` with `route` ([lon, lat] points, may be empty) and
    returns the assignment's command id; the incident's type goes as `incident_type` (`type` is the
    command's). An illegal transition raises `DispatchError`; nothing is sent then."""
    board.change(unit, UnitState.DISPATCHED, now, actor=actor, via="console", incident=incident.id)
    fields = {
        "incident": incident.id, "incident_type": str(incident.type), "priority": incident.priority,
        "lat": incident.location.lat, "lon": incident.location.lon, "address": incident.address,
        "place": incident.place, "notes": incident.notes,
        "route": [[float(lon), float(lat)] for lon, lat in route],
    }
    return commands.send(unit, ASSIGNMENT, fields, actor=actor, incident=incident.id)
