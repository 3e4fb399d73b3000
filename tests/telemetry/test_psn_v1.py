import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry import Fix, Reason, Rejection, StatusReport, UnitRef, decode
from tests import near_valid as nv
from tests.decoding import BELIZE, context

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


# Near-valid fuzz: one field of a real sample replaced, the outcome taken from the contract written out below.
WHO = UnitRef("police", "P-101")
# SAMPLES as psn keeps them, decoded by hand (RFC 3339 times in epoch seconds by `date -u -d`).
EXPECTED = [
    Fix(WHO, 1764383039.5, 17.4986, -88.1986, speed=13.9, heading=271.5, accuracy=8.0, battery=91.0),
    Fix(WHO, 1764383039.0, 17.2510, -88.7700),
    Fix(WHO, 1764383039.25, 16.0970, -88.8080, alt=12.5),
]
# docs/protocol.md, field by field (and `ts`: epoch seconds or RFC 3339, neither stale nor ahead).
TELEMETRY = {
    "lat": nv.Number(-90, 90, required=True),
    "lon": nv.Number(-180, 180, required=True),
    "alt": nv.Number(-500, 20_000),
    "speed": nv.Number(0, 350),
    "heading": nv.Number(-360, 360),
    "accuracy": nv.Number(0, 100_000),
    "battery": nv.Number(0, 100),
}


def telemetry_outcome(field: str, value: object) -> Reason | float | None:
    if field == "ts":
        return nv.timestamp_outcome(value, NOW)
    kept = nv.field_outcome(field, TELEMETRY[field], value)
    if field == "heading" and isinstance(kept, float):  # normalised into 0…360
        return kept + 360 if kept < 0 else kept - 360 if kept >= 360 else kept
    return kept


def check_fix(sample: int, field: str, value: object) -> None:
    result = decode(TOPIC, nv.mutated(SAMPLES[sample], field, value), CTX)
    outcome = telemetry_outcome(field, value)
    nv.note(field, outcome)
    if nv.refused(result, outcome, WHO, (field, value)):
        return
    assert result == replace(EXPECTED[sample], **{field: outcome}), (field, value)
    assert isinstance(result, Fix)
    assert NOW - nv.MAX_AGE_S <= result.ts <= NOW + nv.MAX_FUTURE_S
    assert BELIZE.contains(result.lat, result.lon)
    assert result.heading is None or 0 <= result.heading <= 360


def test_every_bound_and_kind_of_value_in_every_field_of_a_fix() -> None:
    for sample in range(len(SAMPLES)):
        for value in nv.timestamp_sweep(NOW):
            check_fix(sample, "ts", value)
        for field, spec in TELEMETRY.items():
            for value in nv.field_sweep(field, spec):
                check_fix(sample, field, value)


@settings(max_examples=400)
@given(st.sampled_from(range(len(SAMPLES))), st.sampled_from(["ts", *TELEMETRY]).flatmap(lambda f: st.tuples(
    st.just(f), nv.timestamp_values(NOW) if f == "ts" else nv.field_values(f, TELEMETRY[f]))))
def test_one_field_of_a_real_fix_replaced(sample: int, field_value: tuple[str, object]) -> None:
    check_fix(sample, *field_value)


STATUS_TOPIC = "psn/v1/nemo/N-201/status"
# As the demo fleet publishes them (simulator/fleet.py: json.dumps({"ts": now, "status": …})), and as
# docs/protocol.md shows one.
STATUS_SAMPLES = [b'{"ts": 1764383035.25, "status": "responding"}',
                  b'{"ts": "2025-11-29T02:24:00Z", "status": "on_scene"}']
STATUS_WHO = UnitRef("nemo", "N-201")
STATUS_EXPECTED = [StatusReport(STATUS_WHO, 1764383035.25, "responding"),
                   StatusReport(STATUS_WHO, 1764383040.0, "on_scene")]


def status_outcome(field: str, value: object) -> Reason | float | str:
    if field == "ts":
        return nv.timestamp_outcome(value, NOW)
    if nv.unrepresentable(value):
        return Reason.MALFORMED_JSON
    # docs/protocol.md: anything but a status word is a bad status word, bad_field (absent or null included).
    return value if nv.is_status_word(value) and isinstance(value, str) else Reason.BAD_FIELD


def check_status(sample: int, field: str, value: object) -> None:
    result = decode(STATUS_TOPIC, nv.mutated(STATUS_SAMPLES[sample], field, value), CTX)
    outcome = status_outcome(field, value)
    nv.note(field, outcome)
    if not nv.refused(result, outcome, STATUS_WHO, (field, value)):
        assert result == replace(STATUS_EXPECTED[sample], **{field: outcome}), (field, value)


def test_every_bound_and_kind_of_value_in_every_field_of_a_status() -> None:
    for sample in range(len(STATUS_SAMPLES)):
        for value in nv.timestamp_sweep(NOW):
            check_status(sample, "ts", value)
        for value in [*nv.WORD_EDGES, *nv.WRONG_EXAMPLES]:
            check_status(sample, "status", value)


@settings(max_examples=300)
@given(st.sampled_from(range(len(STATUS_SAMPLES))), st.sampled_from(["ts", "status"]).flatmap(
    lambda f: st.tuples(st.just(f), nv.timestamp_values(NOW) if f == "ts" else nv.word_values())))
def test_one_field_of_a_real_status_replaced(sample: int, field_value: tuple[str, object]) -> None:
    check_status(sample, *field_value)
