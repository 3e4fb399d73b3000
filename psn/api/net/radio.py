"""Radio conditions at a point (`GET /api/v1/net/radio?lat&lon`) and the coverage overlay (`GET
/api/v1/net/coverage`). Who may ask: NETWORK viewers (the operator), and anyone who may view their own agency's
units (dispatchers put it beside an incident, officers beside themselves): the answer is the network's planning
prediction and a cell's load, nothing of another agency."""

from __future__ import annotations

import gzip
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from psn.access import Action, Principal, Resource, Target, decide
from psn.api.deps import PrincipalDep, ServerDep, authorize
from psn.net.radio import NoCoverageMap, OutsideMap
from psn.server import Server

router = APIRouter(tags=["network"])
Lat = Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False, description="degrees north (WGS84)")]
Lon = Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False, description="degrees east (WGS84)")]


def _may_view(server: Server, who: Principal) -> None:
    if not decide(who, Action.VIEW, Target(Resource.NETWORK), server.sharing.snapshot):
        authorize(server, who, Action.VIEW, Target(Resource.UNIT, who.agency))


@router.get("/api/v1/net/radio")
def radio_at(server: ServerDep, who: PrincipalDep, lat: Lat, lon: Lon) -> dict[str, Any]:
    """Expected coverage, serving cell, its uplink load, the uplink rate one more body cam would get, and
    whether live video (480p / 720p / 1080p) works there."""
    _may_view(server, who)
    try:
        return server.radio.at(lat, lon)
    except NoCoverageMap as exc:
        raise HTTPException(503, str(exc)) from None
    except OutsideMap as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/api/v1/net/coverage")
def coverage(request: Request, server: ServerDep, who: PrincipalDep) -> Response:
    """GeoJSON polygons of the coverage classes (good / fair / poor) for the map overlay; gzipped once."""
    _may_view(server, who)
    try:
        body = server.radio.overlay_gz()
    except NoCoverageMap as exc:
        raise HTTPException(503, str(exc)) from None
    headers = {"Cache-Control": "private, max-age=300", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(body, media_type="application/geo+json", headers={**headers, "Content-Encoding": "gzip"})
    return Response(gzip.decompress(body), media_type="application/geo+json", headers=headers)
