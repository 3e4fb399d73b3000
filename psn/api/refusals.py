"""Refused requests, counted by status: every 4xx psn answers (a field that fails its check, an unknown agency, a
denial) adds one, every 503 (a part psn needs is unavailable, e.g. the database) one, and every WebSocket closed for
the client's fault one under `ws_{code}`, for `/api/v1/stats` and Prometheus. The answer itself is FastAPI's, reason
in `detail`; a database that is unavailable is answered here, 503 with the driver's reason, never a 500."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Gauge
from starlette.exceptions import HTTPException

from psn.store.availability import UNAVAILABLE, reason


class Refusals:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.by_status: Counter[str] = Counter()
        # Set from the counter at scrape time, like the ingest counters; named *_total as the counter it mirrors.
        self._gauge = Gauge("psn_http_refused_total", "Requests answered with a 4xx or 503; WebSockets closed for "
                            "the client's fault (status ws_{code})", ["status"], registry=registry)

    def count(self, status: int) -> None:
        if 400 <= status < 500 or status == 503:
            self.by_status[str(status)] += 1

    def count_ws(self, code: int) -> None:
        self.by_status[f"ws_{code}"] += 1

    def as_json(self) -> dict[str, int]:
        return dict(sorted(list(self.by_status.items())))

    def export(self) -> None:
        # A copy: /metrics runs on a worker thread while the event loop may count a new status.
        for status, count in list(self.by_status.items()):
            self._gauge.labels(status).set(count)


def count_refusals(app: FastAPI, refusals: Refusals) -> None:
    """Counts each refusal on its way out; the handlers run on the event loop, one at a time."""

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        refusals.count(exc.status_code)
        return await http_exception_handler(request, exc)

    async def invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        refusals.count(422)
        # FastAPI's own answer, but a NaN or infinity the body held is quoted as text: JSON cannot carry it,
        # and FastAPI's handler failed on it with a 500.
        return JSONResponse(status_code=422, content={"detail": _finite(jsonable_encoder(exc.errors()))})

    async def database_unavailable(_request: Request, exc: Exception) -> Response:
        refusals.count(503)
        return JSONResponse({"detail": f"database unavailable: {reason(exc)}"}, status_code=503,
                            headers={"Retry-After": "5"})

    app.add_exception_handler(HTTPException, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, database_unavailable)


def _finite(value: Any) -> Any:
    """`value` (decoded JSON) with each non-finite float as its text ('nan', 'inf', '-inf')."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
