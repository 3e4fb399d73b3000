"""psn/v1 alerts (the emergency button) and acknowledgements of commands: real payloads as a field app sends them,
and every refusal with its reason. Expectations are literals from docs/protocol.md."""

from __future__ import annotations

import pytest

from telemetry import Ack, Alert, Reason, Rejection, UnitRef, decode
from tests.decoding import context

NOW = 1_764_383_110.0  # just after the docs' examples
CTX = context(NOW)
P1 = UnitRef("police", "P-1")
ALERT = "psn/v1/police/P-1/alert"
ACK = "psn/v1/police/P-1/ack"

ALERT_SAMPLES = [  # the doc's example, the phone's bare panic button, RFC 3339 time
    b'{"ts": 1764383041, "type": "officer_down", "lat": 17.4986, "lon": -88.1986, "note": "Albert St, shots fired"}',
    b'{"ts": 1764383039.5, "type": "emergency"}',
    b'{"ts": "2025-11-29T02:24:00Z", "type": "geofence", "lat": 17.25, "lon": -88.77, "zone": "shelter-3"}',
    b'{"ts": 1764383039.5, "type": "emergency", "lat": null, "lon": null, "note": null}',  # no fix yet: null = absent
]
ACK_SAMPLES = [
    b'{"ts": 1764383102, "ref": "5b1e9c04-7d2f-4c1a-9e0b-2f6d8a3c7e11", "result": "accepted"}',
    b'{"ts": 1764383039, "ref": "A-17:2", "result": "rejected", "note": "vehicle broken down"}',
]


def test_alerts_decode() -> None:
    assert [decode(ALERT, p, CTX) for p in ALERT_SAMPLES] == [
        Alert(P1, 1764383041.0, "officer_down", 17.4986, -88.1986, "Albert St, shots fired"),
        Alert(P1, 1764383039.5, "emergency"),
        Alert(P1, 1764383040.0, "geofence", 17.25, -88.77),
        Alert(P1, 1764383039.5, "emergency"),
    ]


def test_acks_decode() -> None:
    assert [decode(ACK, p, CTX) for p in ACK_SAMPLES] == [
        Ack(P1, 1764383102.0, "5b1e9c04-7d2f-4c1a-9e0b-2f6d8a3c7e11", "accepted"),
        Ack(P1, 1764383039.0, "A-17:2", "rejected", "vehicle broken down"),
    ]


@pytest.mark.parametrize(("topic", "payload", "reason"), [
    (ALERT, b'{"ts": 1764383039}', Reason.BAD_FIELD),  # like a status word: absent is a bad word
    (ALERT, b'{"type": "emergency"}', Reason.MISSING_FIELD),
    (ALERT, b'{"ts": 1764383039, "type": "Emergency!"}', Reason.BAD_FIELD),
    (ALERT, b'{"ts": 1764383039, "type": "emergency\\n"}', Reason.BAD_FIELD),
    (ALERT, b'{"ts": 1764383039, "type": 1}', Reason.BAD_FIELD),
    (ALERT, b'{"ts": 1764383039, "type": "emergency", "lat": 17.5}', Reason.MISSING_FIELD),  # both or neither
    (ALERT, b'{"ts": 1764383039, "type": "emergency", "lat": 95, "lon": -88.2}', Reason.OUT_OF_RANGE),
    (ALERT, b'{"ts": 1764383039, "type": "emergency", "lat": 40.0, "lon": -74.0}', Reason.OUTSIDE_SERVICE_AREA),
    (ALERT, b'{"ts": 1764383039, "type": "emergency", "note": 5}', Reason.BAD_FIELD),
    (ALERT, b'{"ts": 1764383039, "type": "emergency", "note": "' + b"x" * 1001 + b'"}', Reason.BAD_FIELD),
    (ALERT, b'{"ts": 1764393039, "type": "emergency"}', Reason.FUTURE_TIMESTAMP),
    (ACK, b'{"ts": 1764383039, "result": "accepted"}', Reason.MISSING_FIELD),
    (ACK, b'{"ts": 1764383039, "ref": "A-1"}', Reason.MISSING_FIELD),
    (ACK, b'{"ts": 1764383039, "ref": "", "result": "accepted"}', Reason.BAD_FIELD),
    (ACK, b'{"ts": 1764383039, "ref": "a/b", "result": "accepted"}', Reason.BAD_FIELD),
    (ACK, b'{"ts": 1764383039, "ref": "' + b"r" * 65 + b'", "result": "accepted"}', Reason.BAD_FIELD),
    (ACK, b'{"ts": 1764383039, "ref": 7, "result": "accepted"}', Reason.BAD_FIELD),
    (ACK, b'{"ts": 1764383039, "ref": "A-1", "result": "ok"}', Reason.BAD_FIELD),
    (ACK, b'{"ts": 1764383039, "ref": "A-1", "result": ["accepted"]}', Reason.BAD_FIELD),
    (ACK, b'[1764383039, "A-1", "accepted"]', Reason.NOT_AN_OBJECT),
    ("psn/v1/police/P-1/cmd", b'{"ts": 1764383039, "ref": "A-1", "result": "done"}', Reason.BAD_TOPIC),
    ("psn/v1/police/P-1/video", b'not json at all', Reason.BAD_TOPIC),  # the topic is judged before the bytes
    (ALERT, b'{"ts": 1764383039, "type": "emergency", "lat": null, "lon": -88.2}', Reason.MISSING_FIELD),
])
def test_bad_alerts_and_acks_are_refused_with_their_reason(topic: str, payload: bytes, reason: Reason) -> None:
    result = decode(topic, payload, CTX)
    assert isinstance(result, Rejection) and result.reason == reason, result
    assert result.detail
