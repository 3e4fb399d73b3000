"""The officer's phone app: its page `/phone`, its web app manifest and its service worker, served from below
`/phone` so that the worker's scope covers the page (a worker controls only pages below its own path, unless
the server allows a wider scope with `Service-Worker-Allowed`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from psn.api.deps import page_for_signed_in
from psn.web import STATIC_DIR

router = APIRouter(include_in_schema=False)
SCOPE = "/phone"


@router.get(SCOPE)
def phone(request: Request) -> Response:
    return page_for_signed_in(request, SCOPE, STATIC_DIR / "phone.html")


@router.get(f"{SCOPE}/sw.js")
def service_worker() -> Response:
    # no-cache: the browser checks for a new worker on every visit instead of keeping one for up to 24 h.
    return FileResponse(STATIC_DIR / "sw.js", media_type="text/javascript",
                        headers={"Service-Worker-Allowed": SCOPE, "Cache-Control": "no-cache"})


@router.get(f"{SCOPE}/manifest.webmanifest")
def manifest() -> Response:
    return FileResponse(STATIC_DIR / "manifest.webmanifest", media_type="application/manifest+json")
