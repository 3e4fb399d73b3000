"""The dispatch shell's HTTP router (`psn.cad`): incidents, recommendations, unit status, assignments, alerts,
geofences, messages and response KPIs, one module each, joined into the one `router` the app includes."""

from fastapi import APIRouter

from psn.api.cad import me, phone_page

router = APIRouter()
router.include_router(me.router)
router.include_router(phone_page.router)

__all__ = ["router"]
