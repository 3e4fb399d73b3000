"""The dispatch shell's HTTP router (`psn.cad`): incidents, recommendations, unit status, assignments, alerts,
geofences, messages and response KPIs, one module each, joined into the one `router` the app includes."""

from fastapi import APIRouter

router = APIRouter()

__all__ = ["router"]
