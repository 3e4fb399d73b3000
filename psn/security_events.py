"""A small CSIRT feed: failed sign-ins, lockouts, spoofed topics, revoked certificates, cross-agency denials,
replayed telemetry. Kept in a bounded ring for `/api/v1/security/events`; each event is also handed to
`publish` (the server's event bus, whose subscribers write the audit log and MQTT `psn/v1/_security/{kind}`)."""

from __future__ import annotations

import collections
import enum
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from psn.clock import Clock

CAPACITY = 10_000  # events kept for the feed; older ones are in the audit log and the MQTT _security topic


class Kind(enum.StrEnum):
    FAILED_LOGIN = "failed_login"
    LOCKED_OUT = "locked_out"
    BAD_TOKEN = "bad_token"
    ACCESS_DENIED = "access_denied"
    SPOOFED_TOPIC = "spoofed_topic"
    REVOKED_CERTIFICATE = "revoked_certificate"
    REPLAYED_TELEMETRY = "replayed_telemetry"
    FORGED_ACK = "forged_ack"  # a unit acknowledging a command psn sent to another unit


@dataclass(frozen=True)
class SecurityEvent:
    seq: int
    ts: float
    kind: Kind
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class SecurityFeed:
    def __init__(self, clock: Clock, publish: Callable[[SecurityEvent], None] | None = None,
                 capacity: int = CAPACITY) -> None:
        self.clock = clock
        self._publish = publish
        self._events: collections.deque[SecurityEvent] = collections.deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0
        self.counts: collections.Counter[str] = collections.Counter()

    def report(self, kind: Kind, actor: str, /, **detail: Any) -> SecurityEvent:
        with self._lock:
            self._seq += 1
            event = SecurityEvent(self._seq, self.clock.time(), kind, actor, detail)
            self._events.append(event)
            self.counts[kind.value] += 1
        if self._publish is not None:
            self._publish(event)
        return event

    def recent(self, limit: int = 200, kind: str | None = None) -> list[SecurityEvent]:
        with self._lock:
            events = [e for e in self._events if kind is None or e.kind == kind]
        return events[-limit:][::-1]
