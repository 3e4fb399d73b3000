"""Request-scoped access to the running server."""

from __future__ import annotations

from fastapi import Request, WebSocket

from psn.server import Server


def get_server(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


def ws_server(websocket: WebSocket) -> Server:
    server: Server = websocket.app.state.server
    return server
