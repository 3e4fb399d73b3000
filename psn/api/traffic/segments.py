"""Segment speeds as GeoJSON: `GET /api/v1/traffic/segments[?at=][&all=true]` (now, or the history bin holding
`at` within the last 6 h) and `GET /api/v1/traffic/segments/{edge}/history?since=&until=`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from psn.access import Action, Resource
from psn.api.deps import PrincipalDep, ServerDep, require_role_right
from psn.api.fields import EpochQuery
from psn.api.traffic.reading import answer, read
from psn.traffic import views
from psn.traffic.tick import Picture

router = APIRouter(prefix="/api/v1/traffic", tags=["traffic"])
# Far above any road graph's edge count (Belize's full OSM extract: ~10^6): a bigger one is a 404 as well.
EdgePath = Annotated[int, Path(ge=0, le=2**31 - 1, description="a directed edge of the road graph")]


@router.get("/segments")
async def segments(server: ServerDep, who: PrincipalDep, at: EpochQuery = None,
                   everything: Annotated[bool, Query(alias="all", description="every segment, measured or "
                                                     "not (else the measured ones only)")] = False,
                   ) -> dict[str, Any]:
    require_role_right(server, who, Action.VIEW, Resource.TRAFFIC)

    def view(picture: Picture, now: float) -> dict[str, Any]:
        if at is None:
            return views.segments(picture, now, everything)
        return views.segments_at(picture, now, at, everything)

    # Unless every segment is asked for, a server that never saw a position has nothing to show (and builds
    # no graph for it).
    found = await read(server, view, everything)
    if found is not None:
        return found
    now = server.clock.time()
    if at is None:
        return views.collection(now, [])
    return answer(lambda: views.empty_bin(now, at))


@router.get("/segments/{edge}/history")
async def history(edge: EdgePath, server: ServerDep, who: PrincipalDep,
                  since: EpochQuery = None, until: EpochQuery = None) -> dict[str, Any]:
    require_role_right(server, who, Action.VIEW, Resource.TRAFFIC)
    found = await read(server, lambda picture, now: views.history(picture, now, edge, since, until))
    assert found is not None
    return found
