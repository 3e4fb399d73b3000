"""Health, counters and Prometheus metrics."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from anyio import from_thread
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from psn.access import Action, Resource
from psn.api.deps import PrincipalDep, ServerDep, require_role_right
from psn.api.security_view import unit_redactor
from psn.security_events import CAPACITY, Kind

router = APIRouter()


@router.get("/healthz", tags=["system"])
async def healthz(server: ServerDep) -> dict[str, Any]:
    """The process lives: 200 while its event loop runs (on the loop, so a worker pool stuck on a database that
    hangs does not hold it up). Whether it may take traffic is `/readyz`'s question."""
    return {
        "status": "ok",
        "mqtt": "connected" if server.broker_connected() else "reconnecting",
        "broker": str(server.broker_url) if server.broker_url else None,
        "database": server.db.dialect,
        "traffic": server.traffic.state(),
    }


@router.get("/readyz", tags=["system"], responses={503: {"description": "not ready: a required check fails"}})
async def readyz(server: ServerDep) -> JSONResponse:
    """200 when every required check passes (broker, database, disk, store backlog), else 503; each check with its
    state and since when. What a load balancer sends traffic by (docs/deploy.md, "Health checks")."""
    report = await server.health.report()
    return JSONResponse(report.to_json(), status_code=200 if report.ready else 503)


@router.get("/api/v1/stats", tags=["system"])
def stats(request: Request, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """Server-wide counters: network operators and admins only (they count every agency's traffic)."""
    require_role_right(server, who, Action.VIEW, Resource.SYSTEM)
    return {
        **server.stats.as_json(),
        "late": server.state.late,
        "units": len(server.state),
        "store_backlog": server.writer.backlog,
        "stored": server.writer.written,
        "store_failed_batches": server.writer.failed_batches,
        "live_clients": len(server.hub.clients),
        "live_coalesced": server.hub.coalesced,
        "live_clients_behind": server.hub.clients_behind,
        "bus": [dataclasses.asdict(sub) for sub in server.bus.stats()],
        "http_refused": request.app.state.refusals.as_json(),
        "video": server.video.stats(),
        "traffic_cameras": server.cameras.stats(),
    }


@router.get("/metrics", tags=["system"], include_in_schema=False)
def metrics(request: Request, server: ServerDep, who: PrincipalDep) -> Response:
    """The same server-wide figures as /api/v1/stats, for Prometheus (a bearer token of a network admin)."""
    require_role_right(server, who, Action.VIEW, Resource.SYSTEM)
    server.stats.export(server.state.late, server.bus.stats())
    request.app.state.refusals.export()
    server.stats.units.set(len(server.state))
    server.stats.store_backlog.set(server.writer.backlog)
    server.stats.live_clients.set(len(server.hub.clients))
    server.stats.export_video(server.video.stats())
    server.cameras.export()
    from_thread.run(server.health.report)  # sets the health gauges (this handler runs on a worker thread)
    return Response(generate_latest(server.stats.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/security/events", tags=["security"])
def security_events(server: ServerDep, who: PrincipalDep,
                    limit: Annotated[int, Query(ge=1, le=CAPACITY, description="newest events")] = 200,
                    kind: Kind | None = None) -> dict[str, Any]:
    """The security team's feed (admins): newest first, with counts per kind since start. Units of other
    agencies that are not shared with the admin's show as `{agency}/…`."""
    require_role_right(server, who, Action.VIEW, Resource.SECURITY)
    redact = unit_redactor(who, server.settings.agencies, server.sharing.snapshot)
    return {"events": [redact(e.to_json()) for e in server.security.recent(limit, kind)],
            "counts": dict(server.security.counts)}
