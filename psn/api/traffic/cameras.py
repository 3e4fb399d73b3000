"""Traffic cameras: list them with their counts (VIEW traffic), register and remove them (MANAGE traffic)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from psn.access import Action, Resource
from psn.api.deps import PrincipalDep, ServerDep, require_role_right
from psn.api.fields import Name, NamePath
from psn.api.video import STREAM_ID
from psn.traffic.cameras import Camera

router = APIRouter(prefix="/api/v1/traffic/cameras", tags=["traffic"])

Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Point = Annotated[list[Fraction], Field(min_length=2, max_length=2, description="[x, y], fractions of the frame")]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL's text cannot hold NUL: a 500 there, not a clear 422
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]


class Directions(BaseModel):
    a_to_b: Label = "a to b"
    b_to_a: Label = "b to a"


class CameraIn(BaseModel):
    id: Name
    name: str = Field(min_length=1, max_length=100, pattern=NO_NUL)
    lat: float = Field(ge=-90.0, le=90.0, allow_inf_nan=False)
    lon: float = Field(ge=-180.0, le=180.0, allow_inf_nan=False)
    bearing_deg: float = Field(ge=0.0, le=360.0, allow_inf_nan=False, description="the way the camera looks")
    stream: str = Field(max_length=200, pattern=STREAM_ID.pattern, description="{agency}:{unit}[:{camera}]")
    line: list[Point] = Field(min_length=2, max_length=2, description="the counting line: two distinct points")
    directions: Directions = Directions()


@router.get("")
def list_cameras(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.VIEW, Resource.TRAFFIC)
    return {"cameras": server.cameras.rows()}


@router.post("", status_code=201)
def register_camera(body: CameraIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.MANAGE, Resource.TRAFFIC)
    name = body.name.strip()
    if not name:
        raise HTTPException(422, "name: must hold more than white space")
    west, south, east, north = server.settings.service_area
    if not (south <= body.lat <= north and west <= body.lon <= east):
        raise HTTPException(422, f"lat, lon: ({body.lat}, {body.lon}) is outside the service area "
                                 f"(west, south, east, north = {west}, {south}, {east}, {north})")
    (x0, y0), (x1, y1) = body.line
    if (x0, y0) == (x1, y1):
        raise HTTPException(422, "line: its two points must differ")
    camera = Camera(body.id, name, body.lat, body.lon, body.bearing_deg, body.stream, ((x0, y0), (x1, y1)),
                    body.directions.model_dump(), who.name, server.clock.time())
    try:
        return server.cameras.register(camera, who)
    except KeyError:
        raise HTTPException(409, f"id, stream: a camera {body.id!r} or one on stream {body.stream!r} exists") from None


@router.delete("/{camera_id}")
def remove_camera(camera_id: NamePath, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.MANAGE, Resource.TRAFFIC)
    camera = server.cameras.get(camera_id)
    if camera is None:
        raise HTTPException(404, f"no traffic camera {camera_id!r}")
    server.cameras.remove(camera, who)
    return {"deleted": camera_id}
