"""The dispatch shell's HTTP router (`psn.cad`): incidents, recommendations, unit status, assignments, alerts,
geofences, messages and response KPIs, one module each, joined into the one `router` the app includes."""

from fastapi import APIRouter

from psn.api.cad import alerts, board, commands, geofences, incidents, kpi, messages, places

router = APIRouter()
router.include_router(incidents.router)
router.include_router(places.router)
router.include_router(kpi.router)
router.include_router(board.router)
router.include_router(commands.router)
router.include_router(alerts.router)
router.include_router(geofences.router)
router.include_router(messages.router)

__all__ = ["router"]
