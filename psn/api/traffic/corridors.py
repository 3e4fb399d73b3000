"""Corridor travel times: `GET /api/v1/traffic/corridors` (as of the last tick, with their 5-minute history of
the last 6 h, and the directed edges of its route)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from psn.access import Action, Resource
from psn.api.deps import PrincipalDep, ServerDep, require_role_right
from psn.api.traffic.reading import read
from psn.traffic import views

router = APIRouter(prefix="/api/v1/traffic", tags=["traffic"])


@router.get("/corridors")
async def corridors(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.VIEW, Resource.TRAFFIC)
    rows = await read(server, lambda picture, _now: views.corridors(picture), build=False)
    return {"ts": server.clock.time(), "corridors": rows or []}
