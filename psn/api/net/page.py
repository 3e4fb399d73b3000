"""The network view `/network` (sites and cells by load and alarm, a cell's KPIs, the alarm list, priority uplifts,
devices): served to anyone signed in, else sign-in first and back here. What it shows is the network APIs' call,
each decided with `psn.access.decide`; the page says what a role may not see and why."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from psn.api.deps import page_for_signed_in
from psn.web import STATIC_DIR

router = APIRouter(include_in_schema=False)
PAGE = "/network"


@router.get(PAGE)
def network(request: Request) -> Response:
    return page_for_signed_in(request, PAGE, STATIC_DIR / "network.html")
