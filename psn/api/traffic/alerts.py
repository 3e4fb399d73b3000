"""Traffic alerts (sudden speed drops): `GET /api/v1/traffic/alerts` (active, and cleared ones of the last 6 h)
and `POST /api/v1/traffic/alerts/{id}/ack` (a traffic manager; audited `traffic.alert.ack`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from starlette.concurrency import run_in_threadpool

from psn.access import Action, Resource
from psn.api.deps import PrincipalDep, ServerDep, require_role_right
from psn.api.traffic.reading import read

router = APIRouter(prefix="/api/v1/traffic", tags=["traffic"])
AlertId = Annotated[str, Path(min_length=1, max_length=128, description="an alert's id")]


@router.get("/alerts")
async def alerts(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.VIEW, Resource.TRAFFIC)
    rows = await read(server, lambda picture, _now: picture.alert_rows(), build=False)
    return {"alerts": rows or []}


@router.post("/alerts/{alert_id}/ack")
async def acknowledge(alert_id: AlertId, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.MANAGE, Resource.TRAFFIC)
    row = await run_in_threadpool(server.traffic.acknowledge, alert_id, who.name)
    if row is None:
        raise HTTPException(404, f"no traffic alert {alert_id!r}")
    return row
