"""The API's answer deadline (psn/api/answer_deadline.py): a request whose answer does not start within the
timeout after its body arrived gets 503 with a reason; a slow upload, an answer that streams past the timeout and a
page outside /api/ are left alone. Pure ASGI: hand-made scope, receive and send; the apps sleep for the times the
tests name (0.2 s deadline, 1 s late), so the outcomes are decided by an order of magnitude, not a race."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry
from starlette.types import Message, Receive, Scope, Send

from psn.api.answer_deadline import AnswerDeadline

DEADLINE_S, LATE_S = 0.2, 1.0


def scope(path: str = "/api/v1/units/police/P-1/track", body: bool = False) -> Scope:
    headers = [(b"content-length", b"4")] if body else []
    return {"type": "http", "method": "POST" if body else "GET", "path": path, "headers": headers}


async def call(app: Any, request: Scope, chunks: list[bytes] | None = None, gap_s: float = 0.0,
               registry: CollectorRegistry | None = None) -> tuple[int, bytes, list[Message]]:
    sent: list[Message] = []
    pending = list(chunks or [])

    async def receive() -> Message:
        if not pending:
            await asyncio.sleep(3600)  # a disconnect never comes in these tests
        await asyncio.sleep(gap_s)
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: Message) -> None:
        sent.append(message)

    guarded = AnswerDeadline(app, DEADLINE_S, registry or CollectorRegistry())
    await guarded(request, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, sent


def answering(delay_s: float, parts: int = 1, part_gap_s: float = 0.0, read_body: bool = False) -> Any:
    async def app(_scope: Scope, receive: Receive, send: Send) -> None:
        if read_body:
            while (await receive()).get("more_body", False):
                pass
        await asyncio.sleep(delay_s)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for n in range(parts):
            await asyncio.sleep(part_gap_s)
            await send({"type": "http.response.body", "body": b"x%d" % n, "more_body": n < parts - 1})
    return app


async def test_an_answer_that_does_not_start_in_time_is_a_503_with_a_reason() -> None:
    registry = CollectorRegistry()
    status, body, sent = await call(answering(LATE_S), scope(), registry=registry)
    assert status == 503
    assert orjson.loads(body) == {"detail": "no answer within 0.2 s: the database is not answering (see /readyz); "
                                            "try again"}
    assert (b"retry-after", b"5") in sent[0]["headers"]
    assert registry.get_sample_value("psn_api_late_total") == 1.0
    await asyncio.sleep(LATE_S)  # the late app's own answer, when it comes, goes nowhere
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


async def test_a_prompt_answer_is_passed_through_unchanged() -> None:
    assert (await call(answering(0.0), scope()))[:2] == (200, b"x0")


async def test_an_answer_that_started_in_time_streams_past_the_deadline() -> None:
    status, body, _ = await call(answering(0.0, parts=3, part_gap_s=0.3), scope())
    assert (status, body) == (200, b"x0x1x2")


async def test_an_empty_body_the_route_never_reads_starts_the_clock_at_once() -> None:
    """A POST without a body (an acknowledgement button: browsers and httpx send `content-length: 0`) to a route
    that takes no body: the app never calls `receive`, so the body's arrival is never seen; it is in already."""
    request = {**scope(), "method": "POST", "headers": [(b"content-length", b"0")]}
    assert (await call(answering(LATE_S), request))[0] == 503


async def test_a_slow_upload_is_the_clients_pace_not_lateness() -> None:
    app = answering(0.0, read_body=True)
    status, body, _ = await call(app, scope(body=True), chunks=[b"ab", b"cd"], gap_s=0.4)
    assert (status, body) == (200, b"x0")


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/readyz"])
async def test_outside_the_api_nothing_is_cut(path: str) -> None:
    assert (await call(answering(0.5), scope(path)))[:2] == (200, b"x0")
