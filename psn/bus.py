"""The event bus: every event is published once and delivered to every subscriber of its type.

Two kinds of subscriber:
- **queued** (the default): its own bounded queue and thread. A subscriber that stalls fills only its own
  queue; further events for it are dropped and counted (`psn_bus_dropped_total{subscriber}`), and the
  publisher and the other subscribers never wait for it.
- **inline**: runs in the publisher's thread. Only for handlers measured cheap (a lock and a dict update:
  live state, counters) or that bring their own bounded queue with back-pressure (the store writer's
  backlog, which must never drop accepted data: when it is full the MQTT thread waits and the broker
  holds the messages).
An exception in any handler is logged and counted (`psn_bus_errors_total{subscriber}`); the others still run.
A **batch** subscriber (queued, its handler takes a list) gets at most `max_batch` events per call; a batch whose
handler raises is lost whole (each of its events counted as an error, the batch in
`psn_bus_failed_batches_total{subscriber}`, and logged): the bus cannot know what the handler already did with
part of it, so it does not retry. Such a handler validates each event itself and counts the bad ones, so that
one bad event never costs the good ones around it (the traffic feed does).

Ordering: each subscriber receives the events published by one thread in the order they were published.
Every message of one unit is ingested by the one thread of the adapter that reads its topic, so each
subscriber sees each unit's events in order. With several instances a unit's messages are shared out between them, so a
`peers=True` subscriber may see a unit's events out of order (its own and a peer's): they judge by the records'
own timestamps, as live state does.

Peers (several instances, docs/deploy.md "Several instances"): an event whose `origin` is set came from another
psn instance over the peer channel (psn/peers.py); it is delivered only to subscribers registered with
`peers=True` (live state and the analytics every instance computes alike), never to those that must act once
(the store, counters, republishers, command-ack matching): that instance did it already.

Receipts: a *durable* subscriber (inline, like the store) resolves an event's `Receipt` once it has
committed it; the bus tells the receipt how many durable subscribers took the event before delivering it,
so a receipt with no durable taker is done at once.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
Handler = Callable[[Any], None]
DEFAULT_CAPACITY = 10_000
# A batch subscriber's events per call: 1 s of the design load (5,000 units at 1 Hz). Unbounded, a backlog after
# a stall (up to the whole queue: 150,000 for traffic) went to one call, and one failure lost all of it.
DEFAULT_MAX_BATCH = 5_000
LOG_FAILURES_EVERY_S = 60.0  # a subscriber broken for every event would otherwise log a traceback per message


@dataclass(frozen=True, slots=True)
class SubscriberStats:
    name: str
    mode: str  # "inline" or "queued"
    delivered: int
    dropped: int
    errors: int
    queued: int
    failed_batches: int = 0  # batch subscribers: handler calls that raised (their events are in `errors`)


class _Subscriber:
    def __init__(self, name: str, handler: Handler, durable: bool) -> None:
        self.name = name
        self.handler = handler
        self.durable = durable
        self.delivered = 0
        self.dropped = 0
        self.errors = 0
        self._count_lock = threading.Lock()  # only on the rare paths (errors, drops) several threads share
        self._logged_at = -LOG_FAILURES_EVERY_S

    def offer(self, event: Any) -> None:
        try:
            self.handler(event)
        except Exception:
            self._failed(event)
            return
        self.delivered += 1  # inline: under the GIL, from publisher threads; a racy miss costs a count

    def _failed(self, event: Any) -> None:
        now = time.monotonic()
        with self._count_lock:
            self.errors += 1
            loud = now - self._logged_at >= LOG_FAILURES_EVERY_S
            if loud:
                self._logged_at = now
        if loud:
            log.exception("bus subscriber %s failed on %s (%d failures so far; next report in %.0f s at most)",
                          self.name, type(event).__name__, self.errors, LOG_FAILURES_EVERY_S)
        receipt = getattr(event, "receipt", None)
        if self.durable and receipt is not None:
            receipt.resolve(ok=False)

    def stats(self) -> SubscriberStats:
        return SubscriberStats(self.name, "inline", self.delivered, self.dropped, self.errors, 0)

    def start(self) -> None:
        pass

    def stop(self, timeout: float) -> None:
        pass

    def idle(self) -> bool:
        return True


class _Queued(_Subscriber):
    """A deque and a wake-up flag: one atomic append and one `Event.set` per event on the publisher's side."""

    def __init__(self, name: str, handler: Handler, capacity: int) -> None:
        super().__init__(name, handler, durable=False)
        self.capacity = capacity
        self._items: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._busy = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"psn-bus-{name}", daemon=True)

    def offer(self, event: Any) -> None:
        if len(self._items) >= self.capacity:
            with self._count_lock:
                self.dropped += 1
            return
        self._items.append(event)
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Delivers what is already queued, then ends the thread (bounded by `timeout`)."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def idle(self) -> bool:
        return not self._items and not self._busy

    def stats(self) -> SubscriberStats:
        return SubscriberStats(self.name, "queued", self.delivered, self.dropped, self.errors, len(self._items))

    def _run(self) -> None:
        items = self._items
        while True:
            self._wake.wait()
            self._wake.clear()  # before draining: an append after this sets it again, so none is missed
            while items:
                self._busy = True
                event = items.popleft()
                try:
                    self.handler(event)
                    self.delivered += 1
                except Exception:
                    self._failed(event)
            self._busy = False
            if self._stopping:
                return


class _Batched(_Queued):
    """A queued subscriber whose handler takes a list: what is queued when its thread wakes, in order, at most
    `max_batch` at a time (a vectorised consumer, like the map matcher, costs far less per event in batches)."""

    def __init__(self, name: str, handler: Handler, capacity: int, max_batch: int) -> None:
        super().__init__(name, handler, capacity)
        self.max_batch = max_batch
        self.failed_batches = 0

    def stats(self) -> SubscriberStats:
        return SubscriberStats(self.name, "queued", self.delivered, self.dropped, self.errors, len(self._items),
                               self.failed_batches)

    def _run(self) -> None:
        items = self._items
        while True:
            self._wake.wait()
            self._wake.clear()
            while items:
                self._busy = True
                batch = [items.popleft() for _ in range(min(len(items), self.max_batch))]
                try:
                    self.handler(batch)
                    self.delivered += len(batch)
                except Exception:
                    self._batch_failed(batch)
            self._busy = False
            if self._stopping:
                return

    def _batch_failed(self, batch: list[Any]) -> None:
        now = time.monotonic()
        with self._count_lock:
            self.failed_batches += 1
            self.errors += len(batch)
            loud = now - self._logged_at >= LOG_FAILURES_EVERY_S
            if loud:
                self._logged_at = now
        if loud:
            log.exception("bus subscriber %s failed on a batch of %d events, all lost (%d batches failed so far; "
                          "next report in %.0f s at most)", self.name, len(batch), self.failed_batches,
                          LOG_FAILURES_EVERY_S)


class Bus:
    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        # Copy-on-write routes: publish reads them without a lock.
        self._routes: dict[type, tuple[tuple[_Subscriber, ...], int]] = {}
        self._peer_routes: dict[type, tuple[_Subscriber, ...]] = {}  # the `peers=True` subset of each route
        self._lock = threading.Lock()
        self._started = False

    def subscribe(
        self,
        name: str,
        handler: Handler,
        events: Iterable[type],
        *,
        inline: bool = False,
        durable: bool = False,
        capacity: int = DEFAULT_CAPACITY,
        batch: bool = False,
        max_batch: int = DEFAULT_MAX_BATCH,
        peers: bool = False,
    ) -> None:
        """`handler` receives every event of the given types (a queued `batch` subscriber: lists of them, in
        order, at most `max_batch` long). `durable` subscribers resolve receipts and must be inline: a queue
        that may drop could leave a receipt pending for ever. `peers`: also the events other instances took
        (`origin` set); a durable one may not, since it would store what the other instance stored."""
        if durable and peers:
            raise ValueError(f"durable subscriber {name!r} cannot take peers' events: their instance stored them")
        if durable and not inline:
            raise ValueError(f"durable subscriber {name!r} must be inline (with its own back-pressure)")
        if any(s.name == name for s in self._subscribers):
            raise ValueError(f"a bus subscriber named {name!r} exists already")
        if batch and inline:
            raise ValueError(f"batch subscriber {name!r} must be queued")
        if max_batch < 1:
            raise ValueError(f"batch subscriber {name!r}: max_batch must be at least 1, not {max_batch}")
        subscriber: _Subscriber
        if inline:
            subscriber = _Subscriber(name, handler, durable)
        elif batch:
            subscriber = _Batched(name, handler, capacity, max_batch)
        else:
            subscriber = _Queued(name, handler, capacity)
        with self._lock:
            self._subscribers.append(subscriber)
            routes = dict(self._routes)
            for kind in events:
                subs, durables = routes.get(kind, ((), 0))
                routes[kind] = ((*subs, subscriber), durables + durable)
            self._routes = routes
            if peers:
                peer_routes = dict(self._peer_routes)
                for kind in events:
                    peer_routes[kind] = (*peer_routes.get(kind, ()), subscriber)
                self._peer_routes = peer_routes
            if self._started:
                subscriber.start()

    def publish(self, event: Any) -> None:
        if getattr(event, "origin", None) is not None:  # another instance's: no receipt, no durable taker
            for subscriber in self._peer_routes.get(type(event), ()):
                subscriber.offer(event)
            return
        subscribers, durables = self._routes.get(type(event), ((), 0))
        receipt = getattr(event, "receipt", None)
        if receipt is not None:
            receipt.expect(durables)
        for subscriber in subscribers:
            subscriber.offer(event)

    def start(self) -> None:
        with self._lock:
            self._started = True
            for subscriber in self._subscribers:
                subscriber.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stops in reverse order of subscription, each delivering what it already holds."""
        for subscriber in reversed(self._subscribers):
            subscriber.stop(timeout)

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every queued subscriber has handled what was published so far (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s.idle() for s in self._subscribers):
                return True
            time.sleep(0.005)
        return False

    def stats(self) -> list[SubscriberStats]:
        return [s.stats() for s in self._subscribers]
