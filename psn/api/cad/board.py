"""The unit board over HTTP: `GET /api/v1/board` (the units the caller may view, with their dispatch state)
and `POST /api/v1/units/{agency}/{unit}/status` (a dispatcher of the unit's agency sets its state)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from dispatch import DispatchError, UnitState, parse_state
from psn.access import Action, Resource, Target, decide
from psn.api.deps import PrincipalDep, ServerDep, authorize
from psn.api.fields import NamePath, registered
from psn.cad.board_live import entry_json

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


class StatusIn(BaseModel):
    state: str = Field(max_length=32, description="available, en_route, on_scene or out_of_service")


@router.get("/board")
def board(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """Every unit on the board or in the live picture that the caller may view; a unit the board has never
    seen change is available (`since` null)."""
    units = {entry.unit for entry in server.cad.board.snapshot()} | {unit.id for unit in server.state.snapshot()}
    sharing = server.sharing.snapshot
    return {"units": [entry_json(server.cad.board, unit_id) for unit_id in sorted(units)
                      if decide(who, Action.VIEW, Target(Resource.UNIT, unit_id.split("/", 1)[0], unit_id),
                                sharing)]}


@router.post("/units/{agency}/{unit}/status")
def set_status(agency: NamePath, unit: NamePath, body: StatusIn, server: ServerDep,
               who: PrincipalDep) -> dict[str, Any]:
    """A dispatcher sets a unit of their agency available, en route, on scene or out of service (dispatching
    names an incident: that is `POST /api/v1/incidents/{id}/assign`). An illegal change is a 409."""
    registered(server, agency)
    unit_id = f"{agency}/{unit}"
    authorize(server, who, Action.MANAGE, Target(Resource.UNIT, agency, unit_id))
    if server.state.get(unit_id) is None and server.cad.board.get(unit_id) is None:
        raise HTTPException(404, f"no unit {unit_id}")
    try:
        state = parse_state(body.state)
    except DispatchError as exc:
        raise HTTPException(422, f"state: {exc.detail}") from None
    if state is UnitState.DISPATCHED:
        raise HTTPException(409, "state: a unit is dispatched to an incident, with POST "
                                 "/api/v1/incidents/{id}/assign")
    try:
        entry = server.cad.board.change(unit_id, state, server.clock.time(), actor=who.name, via="console")
    except DispatchError as exc:
        raise HTTPException(409, f"state: {exc.detail}") from None
    server.audit.record(who.name, "unit.status", unit_id, state=state.value)
    return entry.to_json()
