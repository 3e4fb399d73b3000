"""Fan-out of live changes to WebSocket clients, coalesced per client.

Every tick the hub drains the changed units once, serialises each once, and merges them into each client's
pending map. A slow client therefore never grows a queue: it receives the newest state of each unit that
changed since it last caught up (bounded by the number of units), and its lag is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from psn.state import LiveState, UnitState

log = logging.getLogger(__name__)
Send = Callable[[str], Awaitable[None]]
Visible = Callable[[UnitState], bool]


class LiveClient:
    def __init__(self, send: Send, visible: Visible) -> None:
        self.send = send
        self.visible = visible
        self.pending: dict[str, dict[str, Any] | None] = {}  # None marks a removal
        self.wakeup = asyncio.Event()
        self.coalesced = 0

    def offer(self, changed: list[tuple[UnitState, dict[str, Any]]], removed: list[str]) -> None:
        for unit, data in changed:
            if self.visible(unit):
                if unit.id in self.pending:
                    self.coalesced += 1
                self.pending[unit.id] = data
        for unit_id in removed:
            self.pending[unit_id] = None
        if self.pending:
            self.wakeup.set()

    async def run(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            batch, self.pending = self.pending, {}
            units = [d for d in batch.values() if d is not None]
            removed = [k for k, d in batch.items() if d is None]
            await self.send(orjson.dumps({"type": "update", "units": units, "removed": removed}).decode())


class LiveHub:
    def __init__(self, state: LiveState, interval_s: float) -> None:
        self.state = state
        self.interval_s = interval_s
        self.clients: set[LiveClient] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="psn-live-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def coalesced(self) -> int:
        """Updates of connected clients merged into a newer one before they could be sent (their lag)."""
        return sum(client.coalesced for client in self.clients)

    def tick(self) -> None:
        changed, removed = self.state.drain()
        if not changed and not removed:
            return
        if not self.clients:
            return
        serialised = [(unit, unit.to_json()) for unit in changed]
        for client in self.clients:
            client.offer(serialised, removed)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                self.tick()
            except Exception:  # one bad tick must not stop the live picture for everyone
                log.exception("live hub tick failed")

    async def serve(self, send: Send, visible: Visible) -> None:
        """Runs one client until its connection fails: a snapshot first, then coalesced updates."""
        client = LiveClient(send, visible)
        # Registered before the snapshot goes out, so changes during the send queue up behind it.
        self.clients.add(client)
        try:
            units = [u.to_json() for u in self.state.snapshot() if visible(u)]
            await send(orjson.dumps({"type": "snapshot", "units": units}).decode())
            await client.run()
        finally:
            self.clients.discard(client)
