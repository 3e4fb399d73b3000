"""Faults injected into the simulated network for drills: `POST /api/v1/net/faults` with a fault command of
docs/protocol.md (SIMULATION manage: trainers and network admins). 202: it went out on the fault topic; what
the equipment does with it shows in the KPIs and alarms. A malformed command or a target the inventory does not
hold is a 422 naming each problem, and nothing is sent. `GET /api/v1/net/faults/targets` lists the ids a command
may name (the network view's Drills tab offers them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from netmgmt.faults import FaultCommand, FaultError
from psn.access import Action, Resource
from psn.api.deps import PrincipalDep, ServerDep, require_role_right
from psn.api.fields import Name

router = APIRouter(prefix="/api/v1/net", tags=["network"])
# Numbers as numbers: "300" or true is refused, not read as 300 or 1; NaN and infinities too.
Number = Annotated[float | None, Field(strict=True, allow_inf_nan=False)]


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fault: StrictStr = Field(max_length=32, description="cell_down, site_down or backhaul")
    target: Name = Field(description="a cell id (cell_down), a site id (site_down), either (backhaul)")
    action: StrictStr = Field("inject", max_length=32, description="inject (default) or clear")
    duration_s: Number = Field(None, description="an inject clears itself after this long (0.001 s to 10^7 s)")
    capacity: Number = Field(None, description="a backhaul inject: the fraction of throughput left, 0 to 1")


@router.get("/faults/targets")
def fault_targets(server: ServerDep, who: PrincipalDep) -> dict[str, list[str]]:
    """The ids a fault may name, for who may send one: a trainer has no right to view the network, yet picks a
    target from this list rather than guessing at ids the 422 would name anyway."""
    require_role_right(server, who, Action.MANAGE, Resource.SIMULATION)
    return server.faults.targets()


@router.post("/faults", status_code=202)
def send_fault(body: FaultIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.MANAGE, Resource.SIMULATION)
    command = FaultCommand(body.fault, body.target, body.action, body.duration_s, body.capacity)
    try:
        return server.faults.send(who, command)
    except FaultError as exc:
        raise HTTPException(422, str(exc)) from None
