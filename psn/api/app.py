"""The FastAPI application: REST, the live WebSocket, metrics and the map page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from psn.access import Action, Principal, Resource, Target, decide
from psn.api import auth, live, sharing, system, traffic_page, units
from psn.api.answer_deadline import AnswerDeadline
from psn.api.cad import router as cad_router
from psn.api.deps import authenticate
from psn.api.net import router as net_router
from psn.api.refusals import Refusals, count_refusals
from psn.api.traffic import router as traffic_router
from psn.api.video import video_router
from psn.server import Server
from psn.web import LEAFLET_DIR, STATIC_DIR
from video import STATIC_DIR as VIDEO_STATIC

HSTS = "max-age=31536000; includeSubDomains"


class StrictTransportSecurity:
    """HSTS on every HTTPS response: a browser that once reached psn over TLS never downgrades to plain HTTP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_hsts)


def create_app(server: Server) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await server.start()
        try:
            yield
        finally:
            await server.stop()

    app = FastAPI(
        title="psn",
        version="0.1.0",
        summary="Mobile Broadband Public Safety Network server",
        lifespan=lifespan,
    )
    app.state.server = server
    app.state.refusals = Refusals(server.stats.registry)
    count_refusals(app, app.state.refusals)
    live.quiet_client_faults()
    app.add_middleware(AnswerDeadline, timeout_s=server.settings.request_timeout_s, registry=server.stats.registry)
    # Officers on a congested radio link: the map's layers and JSON shrink several-fold compressed.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(StrictTransportSecurity)
    app.include_router(auth.router)
    app.include_router(sharing.router)
    app.include_router(system.router)
    app.include_router(units.router)
    app.include_router(live.router)
    app.include_router(cad_router)
    app.include_router(traffic_router)
    app.include_router(net_router)
    app.include_router(video_router(server))
    app.include_router(traffic_page.router)
    app.mount("/static/vendor/leaflet", StaticFiles(directory=LEAFLET_DIR), name="leaflet")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/video", StaticFiles(directory=VIDEO_STATIC), name="video")

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        try:
            who = authenticate(server, request)
        except HTTPException:
            return RedirectResponse("/login", status_code=303)
        if _traffic_only(who):
            return RedirectResponse(traffic_page.PAGE, status_code=303)
        return FileResponse(STATIC_DIR / "index.html")

    return app


def _traffic_only(who: Principal) -> bool:
    """A traffic manager (may see traffic, not one unit of their own agency) has nothing on the live map."""
    return bool(decide(who, Action.VIEW, Target(Resource.TRAFFIC))) and not decide(
        who, Action.VIEW, Target(Resource.UNIT, agency=who.agency))
