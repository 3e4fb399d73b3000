"""Consoles on a real /api/v1/live for the dispatch shell's tests: each collects the events it receives on its own
thread; `quiet` proves a console got nothing more by sending a marker only it and the others all receive."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support import RunningServer, wait_for


class Console:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "snapshot", first
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for text in self.ws:
                message = json.loads(text)
                if message["type"] not in ("update", "snapshot"):
                    self.events.append(message)
        except ConnectionClosed:
            pass

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]


@contextmanager
def consoles(server: RunningServer, **tokens: str) -> Iterator[dict[str, Console]]:
    with ExitStack() as stack:
        yield {name: Console(stack.enter_context(connect(f"{server.ws_url}/api/v1/live?access_token={token}")))
               for name, token in tokens.items()}


def settle(server: RunningServer, *watching: Console) -> None:
    """Waits until every queued bus subscriber is idle and each console has received a marker sent after: what
    was meant for a console has reached it by then (events reach each client in order)."""
    assert server.server.bus.flush()
    marker = f"marker-{id(watching)}-{len(watching[0].events)}"
    server.server.hub.notify("test_marker", {"marker": marker}, lambda _who: True)
    wait_for(lambda: all(any(e.get("marker") == marker for e in c.events) for c in watching))
