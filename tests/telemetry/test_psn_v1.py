import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry import Fix, Reason, Rejection, StatusReport, UnitRef, decode
from tests.decoding import context

NOW = 1_764_383_040.0
CTX = context(NOW)
TOPIC = "psn/v1/police/P-101/telemetry"

# Real messages of the format as the demo fleet and the field app send them.
SAMPLES = [
    b'{"ts": 1764383039.5, "lat": 17.4986, "lon": -88.1986, "speed": 13.9, "heading": 271.5, '
    b'"accuracy": 8.0, "battery": 91}',
    b'{"ts": "2025-11-29T02:23:59Z", "lat": 17.2510, "lon": -88.7700}',
    b'{"ts": "2025-11-29T02:23:59.250+00:00", "lat": 16.0970, "lon": -88.8080, "alt": 12.5}',
]


@pytest.mark.parametrize("payload", SAMPLES)
def test_samples_decode_to_fixes(payload: bytes) -> None:
    fix = decode(TOPIC, payload, CTX)
    assert isinstance(fix, Fix)
    assert fix.who == UnitRef("police", "P-101")
    assert 15 < fix.lat < 19 and -90 < fix.lon < -87
    assert NOW - 2 < fix.ts <= NOW


def test_fields_are_normalised() -> None:
    fix = decode(TOPIC, SAMPLES[0], CTX)
    assert isinstance(fix, Fix)
    assert (fix.speed, fix.heading, fix.accuracy, fix.battery) == (13.9, 271.5, 8.0, 91.0)
    negative = decode(TOPIC, b'{"ts": 1764383039, "lat": 17.5, "lon": -88.2, "heading": -90}', CTX)
    assert isinstance(negative, Fix) and negative.heading == 270.0


def test_status() -> None:
    report = decode("psn/v1/nemo/N-201/status", b'{"ts": 1764383030, "status": "on_scene"}', CTX)
    assert report == StatusReport(UnitRef("nemo", "N-201"), 1764383030.0, "on_scene")


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (TOPIC, b'{"ts": 1764383039, "lat": 17.5,', Reason.MALFORMED_JSON),
        (TOPIC, b"\xff\xfe garbage", Reason.MALFORMED_JSON),
        (TOPIC, b"[1, 2]", Reason.NOT_AN_OBJECT),
        (TOPIC, b'{"ts": 1764383039, "lon": -88.2}', Reason.MISSING_FIELD),
        (TOPIC, b'{"lat": 17.5, "lon": -88.2}', Reason.MISSING_FIELD),
        (TOPIC, b'{"ts": 1764383039, "lat": "17.5", "lon": -88.2}', Reason.BAD_FIELD),
        (TOPIC, b'{"ts": 1764383039, "lat": true, "lon": -88.2}', Reason.BAD_FIELD),
        (TOPIC, b'{"ts": "yesterday", "lat": 17.5, "lon": -88.2}', Reason.BAD_FIELD),
        (TOPIC, b'{"ts": "2025-11-29T02:23:59", "lat": 17.5, "lon": -88.2}', Reason.BAD_FIELD),
        (TOPIC, b'{"ts": 1764383039, "lat": 91, "lon": -88.2}', Reason.OUT_OF_RANGE),
        (TOPIC, b'{"ts": 1764383039, "lat": 17.5, "lon": -188.2}', Reason.OUT_OF_RANGE),
        (TOPIC, b'{"ts": 1764383039, "lat": 17.5, "lon": -88.2, "speed": -3}', Reason.OUT_OF_RANGE),
        (TOPIC, b'{"ts": 1764383039, "lat": 17.5, "lon": -88.2, "battery": 130}', Reason.OUT_OF_RANGE),
        (TOPIC, b'{"ts": 1764383039, "lat": 51.5, "lon": -0.12}', Reason.OUTSIDE_SERVICE_AREA),
        (TOPIC, b'{"ts": 1864383039, "lat": 17.5, "lon": -88.2}', Reason.FUTURE_TIMESTAMP),
        (TOPIC, b'{"ts": 1000000000, "lat": 17.5, "lon": -88.2}', Reason.STALE_TIMESTAMP),
        (TOPIC, b'{"ts": 1764383039, "lat": 17.5, "lon": -88.2, "pad": "' + b"x" * 5000 + b'"}', Reason.OVERSIZED),
        ("psn/v1/pirates/P-1/telemetry", SAMPLES[0], Reason.UNKNOWN_AGENCY),
        ("psn/v1/police/P 1/telemetry", SAMPLES[0], Reason.BAD_TOPIC),
        ("psn/v1/police/P-1/selfie", SAMPLES[0], Reason.BAD_TOPIC),
        ("psn/v2/police/P-1/telemetry", SAMPLES[0], Reason.BAD_TOPIC),
        ("psn/v1/police/P-1/status", b'{"ts": 1764383039, "status": "Out To Lunch!"}', Reason.BAD_FIELD),
        ("psn/v1/police/P-1/status", b'{"ts": 1764383039, "status": "patrol\\n"}', Reason.BAD_FIELD),
        ("psn/v1/police/P-1\n/status", b'{"ts": 1764383039, "status": "patrol"}', Reason.BAD_TOPIC),
    ],
)
def test_bad_input_is_refused_with_its_reason(topic: str, payload: bytes, reason: Reason) -> None:
    result = decode(topic, payload, CTX)
    assert isinstance(result, Rejection), result
    assert result.reason is reason
    assert result.detail


@given(st.binary(max_size=300))
def test_any_bytes_give_a_typed_result(payload: bytes) -> None:
    assert isinstance(decode(TOPIC, payload, CTX), Fix | Rejection)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(st.fixed_dictionaries({}, optional={"ts": json_values, "lat": json_values, "lon": json_values,
                                           "speed": json_values, "heading": json_values}))
def test_any_json_object_gives_a_typed_result(obj: dict[str, object]) -> None:
    result = decode(TOPIC, json.dumps(obj).encode(), CTX)
    assert isinstance(result, Fix | Rejection)
    if isinstance(result, Fix):
        assert -90 <= result.lat <= 90 and -180 <= result.lon <= 180


@given(st.text(max_size=60))
def test_any_topic_gives_a_typed_result(topic: str) -> None:
    assert isinstance(decode(topic, SAMPLES[0], CTX), Fix | StatusReport | Rejection)
