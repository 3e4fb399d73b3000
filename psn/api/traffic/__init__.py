"""The traffic shell's HTTP routers (under /api/v1/traffic), joined into the one `router` the app includes."""

from fastapi import APIRouter

from psn.api.traffic import cameras

router = APIRouter()
for part in (cameras,):
    router.include_router(part.router)

__all__ = ["router"]
