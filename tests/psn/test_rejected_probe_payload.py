"""What operators see of a refused message on `psn/v1/_rejected/…`: a unit's payload is repeated (its first KiB),
a probe feed's never (an anonymous vehicle's position and time), though the reason, detail and size are."""

from __future__ import annotations

import json

from psn.events import MessageRejected
from psn.subscribers import rejected_republisher
from telemetry import Reason, Rejection

PROBE = b'{"ts": 1764383040, "vehicle": "a9f0c2d1", "lat": 17.251, "lon": -88.77, "speed": 400}'
UNIT = b'{"ts": 1764383039, "lat": 17.5, "lon": -88.2, "battery": 130}'


def republished(topic: str, payload: bytes) -> tuple[str, dict[str, object]]:
    sent: list[tuple[str, bytes, int]] = []
    rejected_republisher(lambda t, p, q: sent.append((t, p, q)))(
        MessageRejected(topic, payload, Rejection(Reason.OUT_OF_RANGE, "speed=400.0 outside [0.0, 350.0]")))
    (out_topic, body, qos), = sent
    assert qos == 0
    return out_topic, json.loads(body)


def test_a_probe_payload_is_never_repeated_but_its_reason_and_size_are() -> None:
    topic, body = republished("psn/v1/probes/bus-co", PROBE)
    assert topic == "psn/v1/_rejected/out_of_range/psn/v1/probes/bus-co"
    assert body == {"reason": "out_of_range", "detail": "speed=400.0 outside [0.0, 350.0]",
                    "topic": "psn/v1/probes/bus-co", "payload": "", "payload_bytes": 85}


def test_a_unit_payload_is_repeated() -> None:
    _, body = republished("psn/v1/police/P-101/telemetry", UNIT)
    assert body["payload"] == UNIT.decode() and body["payload_bytes"] == 61
