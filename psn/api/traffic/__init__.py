"""The traffic REST router (`/api/v1/traffic`): segment speeds and their history, corridors, alerts, cameras; one
module each, joined into the one `router` the app includes. Every route asks `psn.access` for `Resource.TRAFFIC`."""

from fastapi import APIRouter

from psn.api.traffic import alerts, cameras, corridors, segments

router = APIRouter()
for part in (segments, corridors, alerts, cameras):
    router.include_router(part.router)

__all__ = ["router"]
