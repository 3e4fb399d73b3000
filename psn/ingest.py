"""The ingest pipeline: bytes from any adapter → decoder → live state + durable store, or a counted rejection.

It never raises to its caller: whatever a client sends, the adapter's thread keeps running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from psn.clock import Clock
from psn.config import Settings
from psn.replay import ReplayGuard
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import BatchWriter
from telemetry import (
    BELIZE_SERVICE_AREA,
    DecodeContext,
    Fix,
    Ignored,
    Reason,
    Rejection,
    StatusReport,
    UnitRef,
    decode,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rejected:
    """What operators see on `psn/v1/_rejected/{reason}/{original topic}`."""

    topic: str
    payload: bytes
    rejection: Rejection


class Ingest:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        state: LiveState,
        writer: BatchWriter,
        stats: IngestStats,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.state = state
        self.writer = writer
        self.stats = stats
        self._agencies = frozenset(settings.agencies)  # settings are frozen: built once, not per message
        self._devices: dict[str, UnitRef] = {}
        self._devices_lock = threading.Lock()
        self.on_rejected: Callable[[Rejected], None] | None = None
        self.on_replay: Callable[[Fix], None] | None = None
        self.replays = ReplayGuard()

    def _context(self) -> DecodeContext:
        return DecodeContext(
            now=self.clock.time(),
            agencies=self._agencies,
            service_area=BELIZE_SERVICE_AREA,
            max_payload=self.settings.max_payload,
            max_future_s=self.settings.max_future_s,
            devices=self._devices,
            default_agency=self.settings.default_agency,
        )

    def bind_device(self, device: str, who: UnitRef) -> None:
        with self._devices_lock:
            # Copy-on-write: decoders on the MQTT thread read the old dict without a lock.
            self._devices = {**self._devices, device: who}

    def handle(self, topic: str, payload: bytes) -> Fix | StatusReport | Rejection | Ignored:
        context = self._context()  # its `now` is also the time the message was received
        try:
            result = decode(topic, payload, context)
        except Exception as exc:  # a decoder bug must cost one message, not the server
            log.exception("decoder crashed on topic %r", topic)
            result = Rejection(Reason.BAD_FIELD, f"internal decoder error: {type(exc).__name__}")
        if isinstance(result, Fix):
            if self.replays.seen(result.who.id, result.ts):
                self.stats.reject(Reason.DUPLICATE.value)
                if self.on_replay is not None:
                    self.on_replay(result)
                return Rejection(Reason.DUPLICATE, f"{result.who.id} already reported ts {result.ts}", result.who)
            moved = self.state.apply_fix(result)
        elif isinstance(result, StatusReport):
            moved = self.state.apply_status(result)
        elif isinstance(result, Ignored):
            self.stats.ignore()
            return result
        else:
            self.stats.reject(result.reason.value)
            if self.on_rejected is not None:
                self.on_rejected(Rejected(topic, payload, result))
            return result
        self.writer.put(result, context.now)
        self.stats.accept(result.source, late=not moved)
        return result
