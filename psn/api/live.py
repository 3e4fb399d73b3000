"""WebSocket `/api/v1/live`: a snapshot, then coalesced changes — only of the units the principal may see."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect, status

from psn.api.deps import authenticate, get_server
from psn.api.visibility import LiveUnitFilter

router = APIRouter()


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    server = get_server(websocket)
    try:
        who = authenticate(server, websocket)
    except HTTPException as exc:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=str(exc.detail)[:120])
        return
    visible = LiveUnitFilter(who, server.sharing)
    agency = websocket.query_params.get("agency")
    await websocket.accept()
    sending = asyncio.create_task(
        server.hub.serve(websocket.send_text, lambda u: (agency is None or u.agency == agency) and visible(u))
    )
    # Reading is how a close is noticed while nothing changes; whichever side ends first ends both.
    receiving = asyncio.create_task(_drain_incoming(websocket))
    done, pending = await asyncio.wait({sending, receiving}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in (*done, *pending):
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
            await task


async def _drain_incoming(websocket: WebSocket) -> None:
    while True:
        await websocket.receive_text()
