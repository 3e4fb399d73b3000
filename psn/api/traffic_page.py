"""The traffic manager's page `/traffic`: served to anyone signed in (the traffic API decides what they see and
the page says so), else sign-in first and back here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from psn.api.deps import page_for_signed_in
from psn.web import STATIC_DIR

router = APIRouter(include_in_schema=False)
PAGE = "/traffic"


@router.get(PAGE)
def traffic(request: Request) -> Response:
    return page_for_signed_in(request, PAGE, STATIC_DIR / "traffic.html")
