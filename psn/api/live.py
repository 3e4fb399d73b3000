"""WebSocket `/api/v1/live`: a snapshot, then coalesced changes."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from psn.api.deps import ws_server

router = APIRouter()


@router.websocket("/api/v1/live")
async def live(websocket: WebSocket) -> None:
    server = ws_server(websocket)
    agency = websocket.query_params.get("agency")
    await websocket.accept()
    sending = asyncio.create_task(
        server.hub.serve(websocket.send_text, lambda u: agency is None or u.agency == agency)
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
