"""The peer channel between psn instances of one cluster (docs/deploy.md, "Several instances").

Each device message reaches one instance (MQTT 5 shared subscription); that instance stores and handles it as a
single instance would, and this channel gives the others what they need for their *live* state:
- `PeerSender`, a queued batch bus subscriber (its own bounded queue and drop counter: it never blocks ingest),
  publishes what this instance took from the broker on `psn/v1/_peer/{instance}/{kind}` at QoS 1, the records
  of one kind queued together in one message (at most `telemetry.peer.MAX_ITEMS`);
- `PeerIngest`, the entry beside `Ingest.handle` for those topics, turns a peer's message back into the same bus
  events with `origin` set (the bus gives them only to `peers=True` subscribers), skips its own instance's, and
  rejects (and counts, like any bad message) a malformed one.
Nothing else travels between instances but the broker and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from psn.bus import Bus
from psn.events import (
    AlertChanged,
    FixAccepted,
    KpiAccepted,
    LinkAccepted,
    MessageRejected,
    ProbeAccepted,
    Receipt,
    StatusAccepted,
    StreamEnded,
    StreamStarted,
)
from telemetry import Reason, Rejection, topics
from telemetry import peer as wire

log = logging.getLogger(__name__)
Publish = Callable[[str, bytes, int], None]
# Events per peer: 150,000 is 30 s of the design load (5,000 units at 1 Hz) while the broker connection is down.
QUEUE = 150_000
SENT = (FixAccepted, StatusAccepted, KpiAccepted, LinkAccepted, ProbeAccepted, StreamStarted, StreamEnded,
        AlertChanged)
# The device record each event carries, and the event a peer's record becomes.
_RECORD: dict[type, Callable[[Any], wire.PeerItem]] = {
    FixAccepted: lambda e: wire.PeerItem(e.fix, e.received),
    StatusAccepted: lambda e: wire.PeerItem(e.report, e.received),
    KpiAccepted: lambda e: wire.PeerItem(e.kpi, e.received),
    LinkAccepted: lambda e: wire.PeerItem(e.link, e.received),
    ProbeAccepted: lambda e: wire.PeerItem(e.probe, e.received),
    StreamStarted: lambda e: wire.PeerItem(wire.StreamState(e.stream, e.unit, True), 0.0),
    StreamEnded: lambda e: wire.PeerItem(wire.StreamState(e.stream, e.unit, False), 0.0),
    AlertChanged: lambda e: wire.PeerItem(e.alert, 0.0),
}
_EVENT: dict[str, Callable[[Any, float, str], object]] = {
    "fixes": lambda r, t, o: FixAccepted(r, t, None, o),
    "statuses": lambda r, t, o: StatusAccepted(r, t, None, o),
    "kpis": lambda r, t, o: KpiAccepted(r, t, None, o),
    "links": lambda r, t, o: LinkAccepted(r, t, None, o),
    "probes": lambda r, t, o: ProbeAccepted(r, t, None, o),
    "streams": lambda r, _t, o: (StreamStarted if r.live else StreamEnded)(r.stream, r.unit, o),
    "alerts": lambda r, _t, o: AlertChanged(r, o),
}


class PeerSender:
    def __init__(self, instance: str, publish: Publish) -> None:
        self.instance = instance
        self._publish = publish
        self.messages = 0  # peer messages published (a batch each)

    def subscribe(self, bus: Bus) -> None:
        # Not `peers=True`: only what this instance took itself; a peer's events are that peer's to send.
        bus.subscribe("peer-sender", self.send, SENT, batch=True, capacity=QUEUE, max_batch=wire.MAX_ITEMS)

    def send(self, events: list[Any]) -> None:
        """Bus handler: the batch's records grouped by kind, one message per kind, in their order."""
        by_kind: dict[str, list[wire.PeerItem]] = {}
        for event in events:
            item = _RECORD[type(event)](event)
            by_kind.setdefault(wire.KIND_OF[type(item.record)], []).append(item)
        for kind, items in by_kind.items():
            self._publish(topics.peer_topic(self.instance, kind), wire.encode(items), 1)
            self.messages += 1


class PeerIngest:
    """The receiving side: a peer's message → the same bus events, `origin` set to that peer.

    A peer's fixes do not teach this instance's replay guard: a peer may send a fix before its store commits it,
    and if that peer dies then, the broker can hand the unacknowledged message to this instance, which must store
    it, not refuse it as a replay (the store's unique keys drop a true second copy)."""

    def __init__(self, instance: str, bus: Bus) -> None:
        self.instance = instance
        self.bus = bus
        self.received = 0  # peers' records turned into events
        self.own = 0  # this instance's own messages heard back (none while the broker honours "no local")

    def handle(self, topic: str, payload: bytes, receipt: Receipt | None = None, redelivered: bool = False) -> None:
        """Never raises to the adapter; nothing here is stored, so the message's receipt is done at once."""
        try:
            self._handle(topic, payload)
        except Exception as exc:  # a bug must cost one message, not the server
            log.exception("peer message on %r failed", topic)
            self.bus.publish(MessageRejected(topic, payload, Rejection(Reason.BAD_FIELD,
                                                                       f"internal error: {type(exc).__name__}")))
        if receipt is not None:
            receipt.expect(0)

    def _handle(self, topic: str, payload: bytes) -> None:
        parts = topics.peer_parts(topic)
        if parts is not None and parts[0] == self.instance:
            self.own += 1
            return  # its own: already handled here when it came from the device
        batch = wire.decode(topic, payload)
        if isinstance(batch, Rejection):
            self.bus.publish(MessageRejected(topic, payload, batch))
            return
        make = _EVENT[batch.kind]
        for item in batch.items:
            self.bus.publish(make(item.record, item.received, batch.instance))
        self.received += len(batch.items)
