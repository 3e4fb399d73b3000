"""The bus subscribers every psn runs: live state, the store, the counters, rejected-message republishing,
replay reporting, and the audit and MQTT copies of security events.

`subscribe_ingest` wires the three the ingest path needs (the server and `bench/crypto_ingest.py` share it);
the server adds the others. Inline ones were measured cheap (a lock and a dict update each, see
docs/benchmarks.md); the others have their own queues, so a slow audit disk or broker never holds up ingest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from psn.audit import AuditLog
from psn.bus import Bus
from psn.clock import Clock
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
    SecurityRaised,
    StatusAccepted,
    StreamEnded,
    StreamStarted,
)
from psn.security_events import Kind, SecurityFeed
from psn.state import LiveState
from psn.stats import PROBE_SOURCE, IngestStats
from psn.store import BatchWriter
from telemetry import topics

REPLAY_EVENT_EVERY_S = 60.0
PROBE_TOPICS = topics.probe_topic("")  # "psn/v1/probes/": what a probe feed publishes below
Publish = Callable[[str, bytes, int], None]


def subscribe_ingest(bus: Bus, state: LiveState, writer: BatchWriter, stats: IngestStats) -> None:
    # `peers=True`: every instance's map shows every unit, whichever instance took its messages.
    bus.subscribe("live-state", _live_state(state), (FixAccepted, StatusAccepted, StreamStarted, StreamEnded),
                  inline=True, peers=True)
    # Inline and durable: the writer's bounded backlog is the store's queue, and it never drops (back-pressure).
    bus.subscribe("store", _store(writer), (FixAccepted, StatusAccepted), inline=True, durable=True)
    bus.subscribe("stats", _stats(stats), (FixAccepted, StatusAccepted, AlertAccepted, AckAccepted, KpiAccepted,
                                           LinkAccepted, ProbeAccepted, FixReplayed, MessageRejected,
                                           MessageIgnored), inline=True)


def _live_state(state: LiveState) -> Callable[[Any], None]:
    def handle(event: Any) -> None:
        kind = type(event)
        if kind is FixAccepted:
            state.apply_fix(event.fix)
        elif kind is StatusAccepted:
            state.apply_status(event.report)
        else:
            state.set_streaming(event.unit, kind is StreamStarted)

    return handle


def _store(writer: BatchWriter) -> Callable[[Any], None]:
    def handle(event: FixAccepted | StatusAccepted) -> None:
        record = event.fix if isinstance(event, FixAccepted) else event.report
        writer.put(record, event.received, event.receipt)

    return handle


def _stats(stats: IngestStats) -> Callable[[Any], None]:
    def handle(event: Any) -> None:
        kind = type(event)
        if kind is FixAccepted:
            stats.accept(event.fix.source)
        elif kind is StatusAccepted:
            stats.accept(event.report.source)
        elif kind is KpiAccepted:
            stats.accept(event.kpi.source)
        elif kind is LinkAccepted:
            stats.accept(event.link.source)
        elif kind is AlertAccepted:
            stats.accept(event.alert.source)
        elif kind is AckAccepted:
            stats.accept(event.ack.source)
        elif kind is ProbeAccepted:
            stats.accept(PROBE_SOURCE)
        elif kind is MessageRejected:
            stats.reject(event.rejection.reason.value, event.topic.startswith(PROBE_TOPICS))
        elif kind is FixReplayed:
            stats.reject("redelivered" if event.redelivered else "duplicate")
        else:
            stats.ignore()

    return handle


def replay_reporter(security: SecurityFeed, clock: Clock) -> Callable[[FixReplayed], None]:
    """One security event per unit a minute: a device stuck resending must not flood the audit log
    (the counters still count every replay). A broker's redelivery (DUP) is no security event: psn caused it."""
    reported: dict[str, float] = {}

    def handle(event: FixReplayed) -> None:
        if event.redelivered:
            return
        fix, now = event.fix, clock.time()
        if now - reported.get(fix.who.id, -REPLAY_EVENT_EVERY_S) >= REPLAY_EVENT_EVERY_S:
            reported[fix.who.id] = now
            security.report(Kind.REPLAYED_TELEMETRY, fix.who.id, unit=fix.who.id, ts=fix.ts, source=fix.source)

    return handle


def rejected_republisher(publish: Publish) -> Callable[[MessageRejected], None]:
    """Operators watch `psn/v1/_rejected/{reason}/{topic}` to see what their devices get wrong. A probe feed's
    payload is not repeated (`payload` is empty): an anonymous vehicle's position and time would reach every
    identity that may read the feed (docs/traffic.md, probe privacy); the reason, detail and size say enough.
    A topic that cannot be repeated whole (too long, too deep) is shortened with a hash (`topics.rejected_topic`);
    `topic` in the payload is always the original."""

    def handle(event: MessageRejected) -> None:
        r = event.rejection
        # A peer's batch is not repeated either: it carries many units' positions (and probes').
        withheld = isinstance(topics.parse(event.topic), topics.ProbeTopic) or event.topic.startswith(
            topics.PEER_PREFIX)
        body = {
            "reason": r.reason.value,
            "detail": r.detail,
            "topic": event.topic,
            "payload": "" if withheld else event.payload[:1024].decode("utf-8", errors="replace"),
            "payload_bytes": len(event.payload),
        }
        publish(topics.rejected_topic(r.reason.value, event.topic), json.dumps(body).encode(), 0)

    return handle


def security_auditor(audit: AuditLog) -> Callable[[SecurityRaised], None]:
    def handle(raised: SecurityRaised) -> None:
        event = raised.event
        audit.record(event.actor, f"security.{event.kind.value}", event.detail.get("unit") or "-", **event.detail)

    return handle


def security_publisher(publish: Publish) -> Callable[[SecurityRaised], None]:
    def handle(raised: SecurityRaised) -> None:
        event = raised.event
        publish(topics.security_topic(event.kind.value), json.dumps(event.to_json()).encode(), 1)

    return handle
