"""Another instance's events on the bus: delivered only to `peers=True` subscribers, in one place (the bus); the
peer channel turns what one instance took into the same events on another, skips its own, rejects bad ones."""

from __future__ import annotations

import json

import pytest

from psn.bus import Bus
from psn.events import (
    AlertChanged,
    FixAccepted,
    KpiAccepted,
    MessageRejected,
    Receipt,
    StatusAccepted,
    StreamEnded,
    StreamStarted,
)
from psn.peers import PeerIngest, PeerSender
from psn.subscribers import rejected_republisher
from telemetry import CellKpi, Fix, Reason, Rejection, StatusReport, UnitRef
from telemetry.peer import AlertState

P7 = UnitRef("police", "P-7")
FIX = Fix(P7, 1_764_000_000.0, 17.25, -88.77)


def test_an_event_from_a_peer_reaches_only_the_subscribers_that_take_peers() -> None:
    bus = Bus()
    local: list[object] = []
    everyone: list[object] = []
    bus.subscribe("local", local.append, (FixAccepted,), inline=True)
    bus.subscribe("everyone", everyone.append, (FixAccepted,), inline=True, peers=True)
    bus.start()
    mine, theirs = FixAccepted(FIX, 1.0), FixAccepted(FIX, 2.0, None, "b")
    bus.publish(mine)
    bus.publish(theirs)
    assert local == [mine]
    assert everyone == [mine, theirs]


def test_a_durable_subscriber_cannot_take_peers_and_a_peer_event_has_no_durable_taker() -> None:
    bus = Bus()
    with pytest.raises(ValueError, match="durable subscriber 'store' cannot take peers' events"):
        bus.subscribe("store", lambda e: None, (FixAccepted,), inline=True, durable=True, peers=True)
    stored: list[object] = []
    bus.subscribe("store", stored.append, (FixAccepted,), inline=True, durable=True)
    receipt = Receipt()
    bus.publish(FixAccepted(FIX, 1.0, receipt, "b"))
    assert stored == [] and not receipt.done  # untouched: the bus neither delivered it nor counted it


def test_what_one_instance_takes_becomes_the_same_events_on_another() -> None:
    sent: list[tuple[str, bytes, int]] = []
    sender = PeerSender("a", lambda topic, payload, qos: sent.append((topic, payload, qos)))
    kpi = CellKpi("BZE-CTR-1", 1_764_000_000.0, 21, 1.0, 0.883, 7.173, 10.77, 24.5, 12, 2)
    alert = AlertState("id1", "police/P-7", "police", "emergency", 1.0, 17.0, -88.0, None, 1.5, 1)
    status = StatusReport(P7, 1_764_000_001.0, "enroute")
    sender.send([FixAccepted(FIX, 10.0), StatusAccepted(status, 11.0), FixAccepted(FIX, 12.0),
                 KpiAccepted(kpi, 13.0), StreamStarted("police:P-7", "police/P-7"), AlertChanged(alert),
                 StreamEnded("police:P-7", "police/P-7")])
    # One message per kind, in first-seen order, QoS 1.
    assert [(topic, qos) for topic, _p, qos in sent] == [
        ("psn/v1/_peer/a/fixes", 1), ("psn/v1/_peer/a/statuses", 1), ("psn/v1/_peer/a/kpis", 1),
        ("psn/v1/_peer/a/streams", 1), ("psn/v1/_peer/a/alerts", 1)]

    bus = Bus()
    got: list[object] = []
    kinds = (FixAccepted, StatusAccepted, KpiAccepted, StreamStarted, StreamEnded, AlertChanged, MessageRejected)
    bus.subscribe("all", got.append, kinds, inline=True, peers=True)
    bus.start()
    b = PeerIngest("b", bus)
    for topic, payload, _qos in sent:
        receipt = Receipt()
        b.handle(topic, payload, receipt)
        assert receipt.done  # nothing stored here: the broker may have its acknowledgement at once
    assert got == [FixAccepted(FIX, 10.0, None, "a"), FixAccepted(FIX, 12.0, None, "a"),
                   StatusAccepted(status, 11.0, None, "a"), KpiAccepted(kpi, 13.0, None, "a"),
                   StreamStarted("police:P-7", "police/P-7", "a"), StreamEnded("police:P-7", "police/P-7", "a"),
                   AlertChanged(alert, "a")]

    got.clear()
    a = PeerIngest("a", bus)
    for topic, payload, _qos in sent:
        a.handle(topic, payload)
    assert got == []  # its own messages: handled when they came from the devices

    b.handle("psn/v1/_peer/a/fixes", b'{"v":1,"items":[[1,{"who":"police/P-7"}]]}')
    (rejected,) = got
    assert isinstance(rejected, MessageRejected) and rejected.rejection.reason == Reason.BAD_FIELD


def test_a_rejected_peer_message_is_republished_without_its_payload() -> None:
    published: list[tuple[str, bytes, int]] = []
    republish = rejected_republisher(lambda topic, payload, qos: published.append((topic, payload, qos)))
    payload = b'{"v":1,"items":[[1,{"who":{"agency":"police","unit":"P-7"},"ts":1,"lat":17.25,"lon":"x"}]]}'
    republish(MessageRejected("psn/v1/_peer/a/fixes", payload, Rejection(Reason.BAD_FIELD, "peer fixes: lon")))
    ((topic, body, qos),) = published
    assert (topic, qos) == ("psn/v1/_rejected/bad_field/psn/v1/_peer/a/fixes", 0)
    assert json.loads(body) == {"reason": "bad_field", "detail": "peer fixes: lon", "topic": "psn/v1/_peer/a/fixes",
                                "payload": "", "payload_bytes": len(payload)}
