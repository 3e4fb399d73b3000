"""WebSocket `/api/v1/live`: a snapshot, then coalesced changes — only of the units the principal may see.

The feed is one-way: the map never sends. A data frame from a client is therefore a client psn does not know, and
its connection is closed at once rather than read on (a flood ends at its first frame): text with 1008 (policy
violation), binary with 1003 (unsupported data). Frames over `MAX_CLIENT_FRAME` never reach psn: uvicorn
(`ws_max_size`) closes with 1009 as soon as a frame header announces one, so one client makes psn buffer at most
that; invalid UTF-8 in a text frame is closed with 1007 by the protocol. Every such close is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect, status

from crypto.tokens import TokenError
from psn.access import Principal
from psn.api.deps import authenticate, bearer_token, get_server
from psn.api.refusals import Refusals
from psn.api.visibility import LiveUnitFilter
from psn.auth import ACCOUNT_CACHE_S
from psn.server import Server
from psn.store.availability import UNAVAILABLE, reason

router = APIRouter()
# The map sends nothing; 64 KiB bounds what one connection can make psn hold (uvicorn's default is 16 MiB).
MAX_CLIENT_FRAME = 64 * 1024
# How often an open feed asks whether its session still stands: as often as accounts are looked up again.
SESSION_CHECK_S = ACCOUNT_CACHE_S
COUNTED_CLOSES = frozenset({1007, 1009})  # the protocol's closes for a client's fault (bad UTF-8, too big)
UNICODE_FAULT = "Invalid UTF-8 sequence received from client."  # what uvicorn logs when it closes with 1007


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    server = get_server(websocket)
    try:
        who = authenticate(server, websocket)
    except HTTPException as exc:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=str(exc.detail)[:120])
        return
    except UNAVAILABLE as exc:
        # No account on record to ride out the outage with: come back later. Accepted first, so that the client
        # reads 1013 and the reason (closed before the handshake, it would read an HTTP 403, as if refused).
        await websocket.accept()
        await websocket.close(code=status.WS_1013_TRY_AGAIN_LATER, reason=f"database unavailable: {reason(exc)}"[:120])
        return
    visible = LiveUnitFilter(who, server.sharing)
    agency = websocket.query_params.get("agency")
    await websocket.accept()
    sending = asyncio.create_task(
        server.hub.serve(websocket.send_text, lambda u: (agency is None or u.agency == agency) and visible(u), who)
    )
    # Reading is how a close is noticed while nothing changes; whichever side ends first ends both.
    receiving = asyncio.create_task(_refuse_incoming(websocket, websocket.app.state.refusals))
    token = bearer_token(websocket) or ""  # there: it authenticated
    session = asyncio.create_task(_session_ends(server, token, who))
    done, pending = await asyncio.wait({sending, receiving, session}, return_when=asyncio.FIRST_COMPLETED)
    if session in done:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await websocket.close(status.WS_1008_POLICY_VIOLATION, session.result()[:120])
    elif sending in done and sending.exception() is None:  # too far behind on events: reconnect, read again
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await websocket.close(status.WS_1013_TRY_AGAIN_LATER, "too far behind: reconnect")
    for task in pending:
        task.cancel()
    for task in (*done, *pending):
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
            await task


async def _session_ends(server: Server, token: str, who: Principal) -> str:
    """Returns why, once the token no longer speaks for `who` as it connected: expired, the account disabled or
    gone, its roles changed (events are addressed by the principal the feed was opened with)."""
    while True:
        await asyncio.sleep(SESSION_CHECK_S)
        try:
            now = await asyncio.to_thread(server.auth.principal, token)  # may ask the database
        except TokenError as exc:
            return f"session ended: {exc}"
        except UNAVAILABLE as exc:  # the outage outlasted the account's last good answer (Auth.outage_grace_s)
            return f"session ended: database unavailable: {reason(exc)}"
        if now != who:
            return "session changed: connect again"


async def _refuse_incoming(websocket: WebSocket, refusals: Refusals) -> None:
    """Returns when the client leaves, or closes its connection on the first data frame it sends."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        if message.get("code") in COUNTED_CLOSES:
            refusals.count_ws(message["code"])
        return
    if message.get("bytes") is not None:
        code, reason = status.WS_1003_UNSUPPORTED_DATA, "the live feed is text, and one-way"
    else:
        code, reason = status.WS_1008_POLICY_VIOLATION, "the live feed is one-way: it takes no messages"
    refusals.count_ws(code)
    await websocket.close(code, reason)


class ClientFaultIsAWarning(logging.Filter):
    """uvicorn handles a client's invalid UTF-8 (it closes with 1007) but logs it at ERROR with a traceback: one
    client could fill the error log. Kept as one WARNING line, without the traceback; the close is counted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() == UNICODE_FAULT:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


def quiet_client_faults() -> None:
    """Installs `ClientFaultIsAWarning` on uvicorn's error log, once."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ClientFaultIsAWarning) for f in logger.filters):
        logger.addFilter(ClientFaultIsAWarning())
