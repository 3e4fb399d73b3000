"""Fan-out of live changes to WebSocket clients: unit positions coalesced per client, events queued per client.

Every tick the hub drains the changed units once, serialises each once, and merges them into each client's
pending map. A slow client therefore never grows a queue: it receives the newest state of each unit that
changed since it last caught up (bounded by the number of units), and its lag is counted.

Events (an emergency alert, an incident change, a message) are not positions: each one matters, so they are
never coalesced. `notify` may be called from any thread (bus subscribers run on MQTT and queue threads); each
client gets the events its principal is in the audience of, in order, ahead of the next unit update, in a
bounded queue. A client `EVENT_QUEUE` events behind is not sent a gappy stream (the event it would lose could be an
emergency): its `run` ends, the WebSocket closes with 1013 (try again later), and the console reconnects and reads
what is open again (`GET /api/v1/alerts?open=true`, the queue, the board). Counted in `clients_behind`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from psn.access import Principal
from psn.state import LiveState, UnitState

log = logging.getLogger(__name__)
Send = Callable[[str], Awaitable[None]]
Visible = Callable[[UnitState], bool]
Audience = Callable[[Principal], bool]
EVENT_QUEUE = 1000  # events one client may be behind by before it is closed to reconnect and re-read


class LiveClient:
    def __init__(self, send: Send, visible: Visible, who: Principal | None = None) -> None:
        self.send = send
        self.visible = visible
        self.who = who  # None: a client that takes unit updates only (tests, benches)
        self.pending: dict[str, dict[str, Any] | None] = {}  # None marks a removal
        self.events: collections.deque[str] = collections.deque()
        self.wakeup = asyncio.Event()
        self.coalesced = 0
        self.behind = False  # too far behind on events: to be closed, never sent a gap

    def offer_event(self, text: str) -> None:
        if len(self.events) >= EVENT_QUEUE:
            self.behind = True
            self.events.clear()
        elif not self.behind:
            self.events.append(text)
        self.wakeup.set()

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
            while self.events and not self.behind:
                await self.send(self.events.popleft())
            if self.behind:
                return
            if not self.pending:
                continue
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
        self._loop_ref: asyncio.AbstractEventLoop | None = None
        self.events_sent = 0  # event deliveries queued to clients
        self.clients_behind = 0  # clients closed for being EVENT_QUEUE events behind

    async def start(self) -> None:
        self._loop_ref = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._loop(), name="psn-live-hub")

    async def stop(self) -> None:
        self._loop_ref = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


    def notify(self, kind: str, data: dict[str, Any], audience: Audience) -> None:
        """Sends `{"type": kind, **data}` to every connected client whose principal is in `audience`; safe from any
        thread (the delivery happens on the hub's event loop). Before `start` or after `stop`: nobody to tell."""
        loop = self._loop_ref
        if loop is None or loop.is_closed():
            return
        text = orjson.dumps({"type": kind, **data}).decode()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(text, audience)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody left to tell
                loop.call_soon_threadsafe(self._deliver, text, audience)

    def _deliver(self, text: str, audience: Audience) -> None:
        for client in self.clients:
            if client.who is not None:
                try:
                    allowed = audience(client.who)
                except Exception:  # a faulty audience check must not stop the others' delivery
                    log.exception("live event audience check failed")
                    continue
                if allowed:
                    client.offer_event(text)
                    self.events_sent += 1

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

    async def serve(self, send: Send, visible: Visible, who: Principal | None = None) -> None:
        """Runs one client until its connection fails: a snapshot first, then coalesced updates and, when `who`
        is given, the events it is in the audience of. Returns when the client fell `EVENT_QUEUE` events behind
        (the caller closes its connection: it reconnects and reads again)."""
        client = LiveClient(send, visible, who)
        # Registered before the snapshot goes out, so changes during the send queue up behind it.
        self.clients.add(client)
        try:
            units = [u.to_json() for u in self.state.snapshot() if visible(u)]
            await send(orjson.dumps({"type": "snapshot", "units": units}).decode())
            await client.run()
            self.clients_behind += 1
            log.warning("live client %s closed: %d events behind", who.name if who else "?", EVENT_QUEUE)
        finally:
            self.clients.discard(client)
