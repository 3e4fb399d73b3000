"""Commands sent to units, as the dispatchers who may view the unit see them: `GET /api/v1/commands`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from psn.access import Action, Resource, Target, decide
from psn.api.deps import PrincipalDep, ServerDep, authorize, require_role_right
from psn.api.fields import Name, UnitId, registered

router = APIRouter(prefix="/api/v1", tags=["dispatch"])


@router.get("/commands")
def list_commands(server: ServerDep, who: PrincipalDep,
                  incident: Annotated[Name | None, Query(description="only this incident's commands")] = None,
                  unit: Annotated[UnitId | None, Query(description="only this unit's (agency/unit)")] = None,
                  ) -> dict[str, Any]:
    """Newest first (at most 500): dispatchers and admins, for the units they may view."""
    require_role_right(server, who, Action.MANAGE, Resource.UNIT)
    if unit is not None:
        agency = registered(server, unit.split("/", 1)[0], 422)
        authorize(server, who, Action.VIEW, Target(Resource.UNIT, agency, unit))
    sharing = server.sharing.snapshot
    return {"commands": [
        command.to_json()
        for command in server.cad.commands.store.listed(unit=unit, incident=incident, visible_to=(who, sharing))
        if decide(who, Action.VIEW, Target(Resource.UNIT, command.unit.split("/", 1)[0], command.unit), sharing)
    ]}
