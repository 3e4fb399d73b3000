"""The dispatch shell's HTTP router (`psn.cad`): incidents, recommendations, unit status, assignments, alerts,
geofences, messages and response KPIs, one module each, joined into the one `router` the app includes."""

from fastapi import APIRouter

from psn.api.cad import board, commands, incidents, kpi, places

router = APIRouter()
router.include_router(incidents.router)
router.include_router(places.router)
router.include_router(kpi.router)
router.include_router(board.router)
router.include_router(commands.router)

__all__ = ["router"]
