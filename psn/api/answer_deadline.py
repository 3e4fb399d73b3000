"""Every API request answers within `request_timeout_s` of its body's arrival: 503 with a reason, never a hang.

A frozen database (a server that accepts connections and never answers: SIGSTOP, swapping, a half-open path) made
every route that reads it hang until the database came back (`GET /api/v1/units/{agency}/{unit}/track` hung past a
20 s client timeout in the drill, tests/psn/test_database_outage.py); libpq has no client-side query timeout and
the kernel keeps acknowledging a stopped server's socket, so no TCP timeout fires either. The clock starts once the
request body is in (an officer's upload over a weak link is not the server being late) and stops when the answer
starts: a long export streams after its headers and is never cut. The late request's work goes on (a thread in a
database call cannot be interrupted) and whatever it answers is dropped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
GUARDED = "/api/"  # REST; the pages, static files and /readyz answer from memory


class AnswerDeadline:
    def __init__(self, app: ASGIApp, timeout_s: float, registry: CollectorRegistry) -> None:
        self.app, self.timeout_s = app, timeout_s
        self.late = Counter("psn_api_late_total", "API requests answered 503 for want of an answer within "
                            "request_timeout_s (a database that does not answer)", registry=registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        body_in = asyncio.Event()
        # No body to wait for: none announced, or an empty one (a POST without a body, as browsers and httpx send
        # it, to a route that takes none never calls `receive`, so the body's end would never be seen).
        if headers.get(b"content-length", b"0").strip() == b"0" and b"transfer-encoding" not in headers:
            body_in.set()
        started = asyncio.Event()
        gave_up = False

        async def watched_receive() -> Message:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_in.set()
            return message

        async def guarded_send(message: Message) -> None:
            if gave_up:
                return  # answered 503 already
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, watched_receive, guarded_send))
        if not await _first(task, body_in.wait()):  # the body's arrival is the client's pace: no deadline
            await task
            return
        if await _first(task, started.wait(), self.timeout_s) or task.done():
            await task
            return
        gave_up = True
        task.add_done_callback(_retrieve)
        self.late.inc()
        log.warning("%s %s: no answer within %g s (a database that does not answer?)", scope["method"],
                    scope["path"], self.timeout_s)
        body = orjson.dumps({"detail": f"no answer within {self.timeout_s:g} s: the database is not answering "
                                       "(see /readyz); try again"})
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", b"5"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        task.cancel()


async def _first(task: asyncio.Future[None], event: Coroutine[Any, Any, Any], timeout: float | None = None) -> bool:
    """True when `event` happened first, False when `task` ended first or the time ran out."""
    waiter = asyncio.ensure_future(event)
    try:
        done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    return waiter in done and not task.done()


def _retrieve(task: asyncio.Future[None]) -> None:
    """A late request's failure (or its cancellation) was answered already: logged, not raised into the loop."""
    if task.cancelled():
        return
    with contextlib.suppress(asyncio.CancelledError):
        error = task.exception()
        if error is not None:
            log.debug("a request answered 503 for lateness ended with %r", error)
