"""Units' alerts for consoles: the open ones (a console that (re)connects shows them), recent ones, and a
dispatcher's acknowledgement of a sticky alert (emergency, officer down)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from psn.access import Action, Resource, Role, Target
from psn.api.cad.ids import HexId
from psn.api.deps import PrincipalDep, ServerDep, authorize
from psn.cad.alerts import STICKY, may_view

router = APIRouter(prefix="/api/v1", tags=["alerts"])


@router.get("/alerts")
def list_alerts(server: ServerDep, who: PrincipalDep,
                open_only: Annotated[bool, Query(alias="open", description="only sticky alerts not yet "
                                                 "acknowledged (else the newest 500, any state)")] = True,
                ) -> dict[str, Any]:
    """The alerts of units the caller may view."""
    alerts = server.cad.alerts
    records = alerts.open_alerts() if open_only else alerts.recent(who)
    sharing = server.sharing.snapshot
    return {"alerts": [r.to_json() for r in records if may_view(who, r, sharing)]}


@router.post("/alerts/{alert_id}/ack")
def acknowledge(alert_id: HexId, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """A dispatcher who may see the unit closes its open sticky alert; audited and announced."""
    record = server.cad.alerts.find(alert_id)
    if record is None:
        raise HTTPException(404, f"no alert {alert_id}")
    authorize(server, who, Action.VIEW, Target(Resource.UNIT, record.agency, record.unit))
    if Role.DISPATCHER not in who.roles:
        raise HTTPException(403, f"not allowed: only a dispatcher acknowledges alerts; {who.name} is not one")
    if not record.sticky:
        raise HTTPException(409, f"alert {alert_id} is of type {record.type!r}: only {', '.join(sorted(STICKY))} "
                                 "alerts stay open to be acknowledged")
    acknowledged = server.cad.alerts.acknowledge(alert_id, who.name)
    if acknowledged is None:
        done = server.cad.alerts.find(alert_id)
        by = f" by {done.acknowledged_by} at {done.acknowledged_at}" if done is not None else ""
        raise HTTPException(409, f"alert {alert_id} is already acknowledged{by}")
    return {"alert": acknowledged.to_json()}
