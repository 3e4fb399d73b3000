"""The dispatch shell's HTTP router (`psn.cad`): incidents, recommendations, assignments, unit status, commands,
alerts, geofences, messages, response KPIs and the officer's phone, one module each, joined into the one `router`
the app includes."""

from fastapi import APIRouter

from psn.api.cad import (
    alerts,
    assign,
    board,
    commands,
    geofences,
    incidents,
    kpi,
    me,
    messages,
    phone_page,
    places,
)

router = APIRouter()
for part in (incidents, assign, places, kpi, board, commands, alerts, geofences, messages, me, phone_page):
    router.include_router(part.router)

__all__ = ["router"]
