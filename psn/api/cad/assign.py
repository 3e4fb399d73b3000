"""`POST /api/v1/incidents/{id}/assign`: a dispatcher sends units to an incident in one click.

Each unit is dispatched by its own agency: a dispatcher assigns units of their agency (managing never crosses
agencies, `psn.access`) to an incident they may view — their own, or one shared with them as a partner — and
only units of the incident's owner or partners go. Per unit, in the order given: the board's transition to
`dispatched` (refused with its reason when the unit cannot be dispatched now: nothing is sent), then the
`assignment` command with the road route from where the unit is (one search for all of them). A unit refused
does not stop the others; the answer lists both.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from dispatch import DispatchError, Incident, IncidentState
from psn.access import Action, Principal, Resource, Target, decide
from psn.api.cad.incident_access import viewable
from psn.api.deps import PrincipalDep, ServerDep
from psn.api.fields import NamePath, UnitId
from psn.cad.assignments import assign
from psn.server import Server

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
MAX_ASSIGN = 50  # more units than one incident is sent at once (a hurricane shelter gets a dozen)


class AssignIn(BaseModel):
    units: Annotated[list[UnitId], Field(min_length=1, max_length=MAX_ASSIGN)]


@router.post("/{incident_id}/assign")
async def assign_units(incident_id: NamePath, body: AssignIn, server: ServerDep,
                       who: PrincipalDep) -> dict[str, Any]:
    """Dispatches each unit (agency/unit) to the incident and sends it the assignment; refusals per unit."""
    if len(set(body.units)) != len(body.units):
        raise HTTPException(422, "units: each unit at most once")
    incident = await run_in_threadpool(viewable, server, who, incident_id)
    if incident.state is not IncidentState.OPEN:
        raise HTTPException(409, f"incident_closed: incident {incident.id} is closed: reopen it to assign units")
    return await run_in_threadpool(_assign_all, server, who, incident, body.units)


def _assign_all(server: Server, who: Principal, incident: Incident, units: list[str]) -> dict[str, Any]:
    refused: list[dict[str, str]] = []
    going: list[str] = []
    for unit in units:
        reason = _refusal(server, who, incident, unit)
        if reason is None:
            going.append(unit)
        else:
            refused.append({"unit": unit, "reason": reason})
    routes = _routes(server, incident, going)
    assigned: list[dict[str, str]] = []
    for unit in going:
        try:
            command = assign(server.cad.board, server.cad.commands, unit, incident, routes.get(unit, []), who.name,
                             server.clock.time())
        except DispatchError as exc:
            refused.append({"unit": unit, "reason": f"{exc.reason}: {exc.detail}"})
            continue
        assigned.append({"unit": unit, "command": command})
    return {"assigned": assigned, "refused": refused}


def _refusal(server: Server, who: Principal, incident: Incident, unit: str) -> str | None:
    agency = unit.split("/", 1)[0]
    if agency not in incident.partners | {incident.owner}:
        return f"wrong_agency: {agency} is not on incident {incident.id} (add it as a partner first)"
    decision = decide(who, Action.MANAGE, Target(Resource.UNIT, agency, unit), server.sharing.snapshot)
    if not decision:
        return f"not_allowed: {decision.reason} (a unit is dispatched by its own agency)"
    if server.state.get(unit) is None and server.cad.board.get(unit) is None:
        return f"unknown_unit: no unit {unit} has reported"
    return None


def _routes(server: Server, incident: Incident, units: list[str]) -> dict[str, list[list[float]]]:
    """The road route ([lon, lat] from the unit to the scene) of each unit with a position."""
    placed = [(unit, state) for unit in units if (state := server.state.get(unit)) is not None
              and state.lat is not None and state.lon is not None]
    if not placed:
        return {}
    router = server.cad.recommender.router()
    found = router.routes_to((incident.location.lon, incident.location.lat),
                             np.array([(s.lon, s.lat) for _, s in placed], dtype=float))
    return {unit: [[float(lon), float(lat)] for lon, lat in route.path] for (unit, _), route in zip(placed, found,
                                                                                                     strict=True)}
