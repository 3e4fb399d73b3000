"""Geofences of the caller's agency: list, draw (a polygon watching units and/or whole agencies), delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from dispatch import DispatchError
from dispatch.geofence import MAX_VERTICES, parse_polygon
from psn.access import Action, Principal, Resource, Role, Target, visible_agencies
from psn.api.cad.ids import HexId
from psn.api.deps import PrincipalDep, ServerDep, authorize
from psn.api.fields import MAX_PARTNERS, MAX_UNITS, Name, UnitId, registered
from psn.server import Server

router = APIRouter(prefix="/api/v1", tags=["geofences"])
NAME_MAX = 100

Vertex = Annotated[list[float], Field(min_length=2, max_length=2, description="[lon, lat]")]


class GeofenceIn(BaseModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    polygon: list[Vertex] = Field(min_length=3, max_length=MAX_VERTICES + 1,
                                  description="3 to 1000 [lon, lat] vertices, closed (last = first) or not")
    units: list[UnitId] = Field(default=[], max_length=MAX_UNITS)
    agencies: list[Name] = Field(default=[], max_length=MAX_PARTNERS)


def _dispatcher(who: Principal, what: str) -> None:
    if Role.DISPATCHER not in who.roles:
        raise HTTPException(403, f"not allowed: only a dispatcher {what} geofences; {who.name} is not one")


@router.get("/geofences")
def list_geofences(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """The geofences of the caller's agency."""
    authorize(server, who, Action.VIEW, Target(Resource.UNIT, who.agency))
    return {"geofences": [f.to_json() for f in server.cad.geofences.all() if f.owner == who.agency]}


@router.post("/geofences", status_code=201)
def create_geofence(body: GeofenceIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """Owned by the caller's agency; it may watch only units and agencies the caller may view."""
    _dispatcher(who, "draws")
    name = body.name.strip()
    if not name:
        raise HTTPException(422, "name: must hold more than white space")
    if not body.units and not body.agencies:
        raise HTTPException(422, "units, agencies: a geofence watches at least one unit or agency")
    _may_watch(server, who, body.units, body.agencies)
    try:
        polygon = parse_polygon(body.polygon)
    except DispatchError as exc:
        raise HTTPException(422, f"polygon: {exc.detail}") from None
    fence = server.cad.geofences.create(name, polygon, frozenset(body.units), frozenset(body.agencies), who)
    return fence.to_json()


def _may_watch(server: Server, who: Principal, units: list[str], agencies: list[str]) -> None:
    for agency in agencies:
        registered(server, agency, 422)
    seen = visible_agencies(who, Resource.UNIT, server.sharing.snapshot) or frozenset()
    hidden = sorted(set(agencies) - seen)
    if hidden:
        raise HTTPException(403, f"not allowed: {who.name} may not view every unit of {', '.join(hidden)}")
    for unit in units:
        agency = registered(server, unit.split("/", 1)[0], 422)
        authorize(server, who, Action.VIEW, Target(Resource.UNIT, agency, unit))


@router.delete("/geofences/{geofence_id}")
def delete_geofence(geofence_id: HexId, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    _dispatcher(who, "deletes")
    fence = server.cad.geofences.get(geofence_id)
    if fence is None or fence.owner != who.agency:  # another agency's fence is none of the caller's business
        raise HTTPException(404, f"no geofence {geofence_id} of {who.agency}")
    server.cad.geofences.delete(fence, who)
    return {"deleted": geofence_id}
