"""HTTP face of the video service: WHIP and WHEP resources (RFC 9725, WHEP draft) and the stream API.

Mount with ``app.include_router(build_router(hub, authorize))``.

Trickle ICE and ICE restarts are not supported (aiortc gathers every candidate
before answering and cannot restart ICE), so PATCH on a session answers 405
as RFC 9725 section 4.3.1 prescribes for such servers; the answer carries all
candidates, so clients do not need to trickle.

Several servers sharing the load (`Placement`): a stream lives on the server that took its publisher's offer.
The stream list names that server (`instance`, `url`) for every stream, the others' too; a WHEP offer for a
stream another server holds is answered 409 with that server's URL in the JSON body and a `Location` header
(the offer, sent again there, is answered as usual). 409 rather than 421 Misdirected Request: user agents may
retry a 421 by themselves on another connection to the same origin, which would come back here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from video.errors import VideoError
from video.hub import StreamHub
from video.recorder import Opener, RecordingStore
from video.session import PeerSession, Principal

logger = logging.getLogger(__name__)

Action = Literal["publish", "view"]
# Gets the bearer token (None when absent), the stream id and the action; returns the principal, or raises
# LookupError (unknown, expired or missing credentials: 401) or PermissionError (not allowed: 403). A stream id
# of None asks for the credentials alone (a recording that is not there still needs them, like one that is).
Authorize = Callable[[str | None, str | None, Action], Principal]
# StreamHub.publish or StreamHub.view: (stream id, principal, SDP offer) -> (the new session, SDP answer).
StartSession = Callable[[str, Principal, str], Awaitable[tuple[PeerSession, str]]]


@dataclass(frozen=True)
class HttpConfig:
    max_sdp_bytes: int = 64 * 1024
    snapshot_max_age: float = 2.0


@dataclass(frozen=True)
class Placement:
    """This server's name and URL, and the live streams the other servers hold: stream id -> their list entry
    (at least `instance` and `url`; `unit` and `agency` when known)."""

    instance: str
    url: str
    elsewhere: Callable[[], Mapping[str, Mapping[str, Any]]] = field(default=lambda: {})

    def here(self) -> dict[str, str]:
        return {"instance": self.instance, "url": self.url}


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def build_router(
    hub: StreamHub,
    authorize: Authorize,
    config: HttpConfig | None = None,
    recordings: RecordingStore | None = None,
    opener: Opener | None = None,
    token_of: Callable[[Request], str | None] = bearer_token,
    placement: Placement | None = None,
) -> APIRouter:
    """WHIP/WHEP, stream API and, given a store and an opener (the agency keyring), recordings and playback.
    `token_of` finds the credential in a request (a host may add its session cookie); `placement` says where
    streams live when several servers share the load."""
    config = config or HttpConfig()
    placement = placement or Placement("", "")
    router = APIRouter()

    async def _elsewhere() -> Mapping[str, Mapping[str, Any]]:
        # On a worker thread: the look-up reads the database (psn's instance directory), and a database that does
        # not answer would otherwise stop the event loop, every request and the answer deadline with it
        # (tests/psn/test_streams_elsewhere_loop.py).
        return await asyncio.to_thread(placement.elsewhere)

    def principal(request: Request, stream_id: str | None, action: Action, hidden: str | None = None) -> Principal:
        """The caller, allowed `action` on the stream; a refusal is 403, or 404 with `hidden` as its reason."""
        try:
            return authorize(token_of(request), stream_id, action)
        except LookupError as exc:
            raise HTTPException(401, f"authentication required: {exc}", {"WWW-Authenticate": "Bearer"}) from exc
        except PermissionError as exc:
            if hidden is not None:
                raise HTTPException(404, hidden) from None
            raise HTTPException(403, f"not allowed to {action} stream {stream_id!r}: {exc}") from exc

    async def read_offer(request: Request) -> str:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/sdp":
            raise HTTPException(415, f"expected Content-Type application/sdp, got {content_type or 'none'!r}")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > config.max_sdp_bytes:
            raise HTTPException(413, f"SDP offer larger than {config.max_sdp_bytes} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > config.max_sdp_bytes:
                raise HTTPException(413, f"SDP offer larger than {config.max_sdp_bytes} bytes")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPException(400, "SDP offer is not UTF-8") from exc

    def created(request: Request, session: PeerSession, answer: str) -> Response:
        return Response(
            answer,
            status_code=201,
            media_type="application/sdp",
            headers={"Location": f"{request.url.path.rstrip('/')}/{session.id}", "ETag": session.etag},
        )

    def elsewhere(stream_id: str, holder: Mapping[str, Any]) -> JSONResponse:
        url = f"{holder['url']}/whep/{stream_id}"
        return JSONResponse({"detail": f"stream {stream_id!r} lives on instance {holder['instance']!r}: offer there",
                             "instance": holder["instance"], "url": holder["url"], "location": url},
                            status_code=409, headers={"Location": url})

    def session_of(stream_id: str, session_id: str) -> PeerSession:
        try:
            session = hub.session(session_id)
        except VideoError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        if session.stream_id != stream_id:
            raise HTTPException(404, f"no session {session_id!r} on stream {stream_id!r}")
        return session

    def add_resource_routes(prefix: str, action: Action, start: StartSession) -> None:
        """POST creates a session on the stream (``start`` is hub.publish or hub.view); DELETE/PATCH address it."""

        def count_refusal(stream_id: str, status: int, reason: object) -> None:
            hub.refused[f"{prefix} {status}"] += 1
            logger.info("%s offer for %s refused (%d): %s", prefix.upper(), stream_id, status, reason)

        @router.post(f"/{prefix}/{{stream_id}}", name=prefix)
        async def create(request: Request, stream_id: str) -> Response:
            who = principal(request, stream_id, action)
            try:
                offer = await read_offer(request)
                session, answer = await start(stream_id, who, offer)
            except HTTPException as exc:  # from read_offer: 413, 415, 400
                count_refusal(stream_id, exc.status_code, exc.detail)
                raise
            except VideoError as exc:
                holder = (await _elsewhere()).get(stream_id) if action == "view" and exc.status == 404 else None
                if holder is not None:
                    count_refusal(stream_id, 409, f"held by {holder['instance']}")
                    return elsewhere(stream_id, holder)
                count_refusal(stream_id, exc.status, exc)
                raise HTTPException(exc.status, str(exc)) from exc
            return created(request, session, answer)

        @router.delete(f"/{prefix}/{{stream_id}}/{{session_id}}", name=f"{prefix}_end")
        async def end(request: Request, stream_id: str, session_id: str) -> Response:
            principal(request, stream_id, action)
            await session_of(stream_id, session_id).close()
            return Response(status_code=200)

        @router.patch(f"/{prefix}/{{stream_id}}/{{session_id}}", name=f"{prefix}_patch")
        async def patch(request: Request, stream_id: str, session_id: str) -> Response:
            principal(request, stream_id, action)
            session_of(stream_id, session_id)
            raise HTTPException(
                405, "trickle ICE and ICE restarts are not supported: the SDP answer carries every candidate",
                {"Allow": "DELETE"},
            )

    add_resource_routes("whip", "publish", hub.publish)
    add_resource_routes("whep", "view", hub.view)

    @router.get("/api/v1/streams")
    async def streams(request: Request) -> JSONResponse:
        visible = []
        for stream_id in hub.streams():
            try:
                principal(request, stream_id, "view")
            except HTTPException:
                continue
            try:
                visible.append({**(await hub.info(stream_id)).to_json(), **placement.here()})
            except VideoError:  # ended while we were looking
                continue
        local = set(hub.streams())
        for stream_id, entry in sorted((await _elsewhere()).items()):
            try:
                principal(request, stream_id, "view")
            except HTTPException:
                continue
            if stream_id not in local:
                visible.append({"id": stream_id, **entry})
        return JSONResponse({"streams": visible})

    @router.get("/api/v1/streams/{stream_id}")
    async def stream(request: Request, stream_id: str) -> JSONResponse:
        principal(request, stream_id, "view")
        try:
            return JSONResponse({**(await hub.info(stream_id)).to_json(), **placement.here()})
        except VideoError as exc:
            held = (await _elsewhere()).get(stream_id) if exc.status == 404 else None
            if held is not None:
                return JSONResponse({"id": stream_id, **held})
            raise HTTPException(exc.status, str(exc)) from exc

    @router.get("/api/v1/streams/{stream_id}/snapshot.jpg")
    async def snapshot(request: Request, stream_id: str) -> Response:
        principal(request, stream_id, "view")
        try:
            jpeg = await hub.snapshot_jpeg(stream_id, config.snapshot_max_age)
        except VideoError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        except LookupError as exc:
            raise HTTPException(503, f"no picture from stream {stream_id!r} yet", {"Retry-After": "1"}) from exc
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    if recordings is None or opener is None:
        return router

    @router.get("/api/v1/recordings")
    async def recording_list(request: Request, stream: str | None = None) -> JSONResponse:
        visible = []
        for _, signed in recordings.recordings():
            manifest = signed.manifest
            if stream not in (None, manifest.stream_id):
                continue
            try:
                principal(request, manifest.stream_id, "view")
            except HTTPException:
                continue
            visible.append(manifest.to_json())
        return JSONResponse({"recordings": visible})

    @router.get("/api/v1/recordings/{recording_id}/{segment}")
    async def playback(request: Request, recording_id: str, segment: str) -> Response:
        # Another agency's recording answers exactly as one that is not there: a 403 would confirm that a guessed
        # id exists. The authorizer still reports the denial (psn: a security event across agencies).
        hidden = f"no recording {recording_id!r} that you may see"
        try:
            directory, signed = recordings.find(recording_id)
        except LookupError:
            principal(request, None, "view")  # no credentials: 401, as for a recording that exists
            raise HTTPException(404, hidden) from None
        principal(request, signed.manifest.stream_id, "view", hidden)
        try:
            data = recordings.open_segment(directory, signed.manifest, segment, opener)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        return Response(data, media_type="video/x-matroska")

    return router
