"""The traffic manager's page `/traffic`: served to anyone signed in (the traffic API decides what they see and
the page says so), else sign-in first and back here."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from psn.api.deps import authenticate, get_server
from psn.web import STATIC_DIR

router = APIRouter(include_in_schema=False)
PAGE = "/traffic"


@router.get(PAGE)
def traffic(request: Request) -> Response:
    try:
        authenticate(get_server(request), request)
    except HTTPException:
        return RedirectResponse(f"/login?next={PAGE}", status_code=303)
    return FileResponse(STATIC_DIR / "traffic.html", headers={"Cache-Control": "no-cache"})
