"""Units: the live list, one unit, its stored track, and binding OwnTracks devices to units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from psn.access import Action, Resource, Target
from psn.api.deps import PrincipalDep, ServerDep, authorize
from psn.api.fields import EpochQuery, Name, NamePath, registered
from psn.api.visibility import unit_filter
from telemetry import UnitRef, device_key

router = APIRouter(prefix="/api/v1", tags=["units"])


@router.get("/units")
def list_units(server: ServerDep, who: PrincipalDep,
               agency: Annotated[Name | None, Query(description="only this agency's units")] = None,
               ) -> dict[str, Any]:
    """The units this principal may see: its agency's, and others' shared with it."""
    if agency is not None:
        registered(server, agency, 422)
    visible = unit_filter(who, server.sharing.snapshot)
    units = server.state.snapshot()
    return {"units": [u.to_json() for u in units if (agency is None or u.agency == agency) and visible(u)]}


@router.get("/units/{agency}/{unit}")
def get_unit(agency: NamePath, unit: NamePath, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    registered(server, agency)
    authorize(server, who, Action.VIEW, Target(Resource.UNIT, agency, f"{agency}/{unit}"))
    state = server.state.get(f"{agency}/{unit}")
    if state is None:
        raise HTTPException(404, f"no unit {agency}/{unit}")
    return state.to_json()


@router.get("/units/{agency}/{unit}/track")
async def track(
    agency: NamePath,
    unit: NamePath,
    server: ServerDep,
    who: PrincipalDep,
    since: EpochQuery = None,
    until: EpochQuery = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> dict[str, Any]:
    """The unit's stored fixes as a GeoJSON Feature (LineString), times in `properties.times`; `since` defaults
    to 2 hours ago, `until` to now."""
    registered(server, agency)
    unit_id = f"{agency}/{unit}"
    decision = authorize(server, who, Action.VIEW, Target(Resource.TRACK, agency, unit_id))
    if since is None:
        since = server.clock.time() - 2 * 3600
    if until is not None and until < since:
        raise HTTPException(422, "'until' is before 'since'")
    points = await run_in_threadpool(server.db.track, unit_id, since, until, limit)
    server.audit.record(who.name, "track.view", unit_id, since=since, until=until, points=len(points),
                        grant=decision.reason)
    if not points and server.state.get(unit_id) is None:
        raise HTTPException(404, f"no unit {unit_id}")
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[lon, lat] for _, lat, lon in points]},
        "properties": {"id": unit_id, "times": [ts for ts, _, _ in points], "count": len(points)},
    }


class Binding(BaseModel):
    agency: Name
    unit: Name


@router.put("/devices/owntracks/{user}/{device}")
async def bind_device(user: NamePath, device: NamePath, binding: Binding, server: ServerDep,
                      who: PrincipalDep) -> dict[str, Any]:
    """Binds an OwnTracks device to a unit (an agency admin's act): its fixes then appear as that unit."""
    registered(server, binding.agency, 422)
    authorize(server, who, Action.MANAGE, Target(Resource.USERS, binding.agency))
    key = device_key(user, device)
    unit = UnitRef(binding.agency, binding.unit)
    await run_in_threadpool(server.db.bind_device, key, unit, server.clock.time())
    server.ingest.bind_device(key, unit)
    server.audit.record(who.name, "device.bind", unit.id, device=key)
    return {"device": key, "unit": unit.id}
