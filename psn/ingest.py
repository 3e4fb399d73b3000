"""The ingest pipeline: bytes from any adapter → decoder → one event on the bus (accepted or refused).

It decides only what a message *is*; everything done with it (live state, store, counters, republishing
rejections, analytics) is a bus subscriber. It never raises to its caller: whatever a client sends, the
adapter's thread keeps running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from psn.bus import Bus
from psn.clock import Clock
from psn.config import Settings
from psn.events import (
    AckAccepted,
    AlertAccepted,
    FixAccepted,
    FixReplayed,
    KpiAccepted,
    LinkAccepted,
    MessageIgnored,
    MessageRejected,
    ProbeAccepted,
    Receipt,
    StatusAccepted,
)
from psn.replay import ReplayGuard
from telemetry import (
    Ack,
    Alert,
    CellKpi,
    DecodeContext,
    Decoded,
    Fix,
    Ignored,
    LinkReport,
    ProbeFix,
    Reason,
    Rejection,
    StatusReport,
    UnitRef,
    decode,
)

log = logging.getLogger(__name__)
# The event each kind of accepted record is published as (one dict lookup per message, not an isinstance chain).
_ACCEPTED: dict[type, Callable[[Any, float, Receipt | None], object]] = {
    Fix: FixAccepted, StatusReport: StatusAccepted, CellKpi: KpiAccepted, Alert: AlertAccepted, Ack: AckAccepted,
    LinkReport: LinkAccepted, ProbeFix: ProbeAccepted,
}


class Ingest:
    def __init__(self, settings: Settings, clock: Clock, bus: Bus) -> None:
        self.settings = settings
        self.clock = clock
        self.bus = bus
        self._agencies = frozenset(settings.agencies)  # settings are frozen: built once, not per message
        self._service_area = settings.service_bbox()
        self._devices: dict[str, UnitRef] = {}
        self._devices_lock = threading.Lock()
        self.replays = ReplayGuard()

    def _context(self) -> DecodeContext:
        return DecodeContext(
            now=self.clock.time(),
            agencies=self._agencies,
            service_area=self._service_area,
            max_payload=self.settings.max_payload,
            max_future_s=self.settings.max_future_s,
            devices=self._devices,
            default_agency=self.settings.default_agency,
        )

    def bind_device(self, device: str, who: UnitRef) -> None:
        with self._devices_lock:
            # Copy-on-write: decoders on the MQTT thread read the old dict without a lock.
            self._devices = {**self._devices, device: who}

    def handle(self, topic: str, payload: bytes, receipt: Receipt | None = None, redelivered: bool = False) -> Decoded:
        """Publishes what the message is; `receipt` (if any) is done once every durable subscriber has it.
        `redelivered` (the broker's DUP flag) only changes how a repeated fix is counted: not as a replay."""
        context = self._context()  # its `now` is also the time the message was received
        try:
            result = decode(topic, payload, context)
        except Exception as exc:  # a decoder bug must cost one message, not the server
            log.exception("decoder crashed on topic %r", topic)
            result = Rejection(Reason.BAD_FIELD, f"internal decoder error: {type(exc).__name__}")
        accepted = _ACCEPTED.get(type(result))
        if isinstance(result, Fix) and self.replays.seen(result.who.id, result.ts):
            self.bus.publish(FixReplayed(topic, result, redelivered))  # counted as a duplicate, never republished
            result = Rejection(Reason.DUPLICATE, f"{result.who.id} already reported ts {result.ts}", result.who)
        elif accepted is not None:
            self.bus.publish(accepted(result, context.now, receipt))
            return result
        elif isinstance(result, Ignored):
            self.bus.publish(MessageIgnored(topic, result))
        else:
            assert isinstance(result, Rejection)
            self.bus.publish(MessageRejected(topic, payload, result))
        if receipt is not None:
            receipt.expect(0)  # nothing to store: the broker may have its acknowledgement now
        return result
