"""The probe decoder (psn/v1/probes/{source}) against docs/protocol.md "Probes": the documented sample, bad input
with its reason, and one field of a real sample replaced at a time, the outcome from the literal table below."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry import ProbeFix, Reason, Rejection, decode
from tests import near_valid as nv
from tests.decoding import context

NOW = 1_764_383_040.0
CTX = context(NOW)
TOPIC = "psn/v1/probes/bus-co"
# The sample of docs/protocol.md "Probes", and one with RFC 3339 time and no speed or heading.
SAMPLES = [b'{"ts": 1764383040, "vehicle": "a9f0c2d1", "lat": 17.251, "lon": -88.77, "speed": 22.2, "heading": 95}',
           b'{"ts": "2025-11-29T02:23:59Z", "vehicle": "taxi_17.b", "lat": 17.4986, "lon": -88.1986}']
EXPECTED = [ProbeFix("bus-co", "a9f0c2d1", 1764383040.0, 17.251, -88.77, speed=22.2, heading=95.0),
            ProbeFix("bus-co", "taxi_17.b", 1764383039.0, 17.4986, -88.1986)]
# docs/protocol.md, field by field.
PROBE = {
    "lat": nv.Number(-90, 90, required=True),
    "lon": nv.Number(-180, 180, required=True),
    "speed": nv.Number(0, 350),
    "heading": nv.Number(-360, 360),
}
VEHICLE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
VEHICLES = ["a", "x" * 64, "x" * 65, "", "a b", "plate/123", "ñ", "a\n", "-._", "Z9"]


@pytest.mark.parametrize(("payload", "expected"), list(zip(SAMPLES, EXPECTED, strict=True)))
def test_samples(payload: bytes, expected: ProbeFix) -> None:
    assert decode(TOPIC, payload, CTX) == expected


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (TOPIC, b'{"ts": 1764383039, "lat": 17.5, "lon": -88.2}', Reason.MISSING_FIELD),
        (TOPIC, b'{"ts": 1764383039, "vehicle": 7, "lat": 17.5, "lon": -88.2}', Reason.BAD_FIELD),
        (TOPIC, b'{"ts": 1764383039, "vehicle": "AB 123", "lat": 17.5, "lon": -88.2}', Reason.BAD_FIELD),
        (TOPIC, b'{"ts": 1764383039, "vehicle": "v", "lat": 51.5, "lon": -0.12}', Reason.OUTSIDE_SERVICE_AREA),
        (TOPIC, b'{"ts": 1764383039, "vehicle": "v", "lat": 17.5, "lon": -88.2, "speed": 351}', Reason.OUT_OF_RANGE),
        (TOPIC, b'{"ts": 1864383039, "vehicle": "v", "lat": 17.5, "lon": -88.2}', Reason.FUTURE_TIMESTAMP),
        (TOPIC, b'{"ts": 1764383039, "vehicle": "v", "lat": 17.5, "lon": -88.2, "p": "' + b"x" * 5000 + b'"}',
         Reason.OVERSIZED),
        (TOPIC, b"[]", Reason.NOT_AN_OBJECT),
        ("psn/v1/probes/bus co", SAMPLES[0], Reason.BAD_TOPIC),
        ("psn/v1/probes/bus-co/x", SAMPLES[0], Reason.BAD_TOPIC),
    ],
)
def test_bad_input_is_refused_with_its_reason(topic: str, payload: bytes, reason: Reason) -> None:
    result = decode(topic, payload, CTX)
    assert isinstance(result, Rejection) and result.reason is reason and result.detail, result


def outcome(field: str, value: object) -> Reason | float | str | None:
    if field == "ts":
        return nv.timestamp_outcome(value, NOW)
    if field == "vehicle":
        if nv.unrepresentable(value):
            return Reason.MALFORMED_JSON
        if value is nv.DELETE or value is None:
            return Reason.MISSING_FIELD
        ok = isinstance(value, str) and 1 <= len(value) <= 64 and set(value) <= VEHICLE_CHARACTERS
        return value if ok and isinstance(value, str) else Reason.BAD_FIELD
    kept = nv.field_outcome(field, PROBE[field], value)
    if field == "heading" and isinstance(kept, float):  # normalised into 0…360
        return kept + 360 if kept < 0 else kept - 360 if kept >= 360 else kept
    return kept


FIELDS = ("ts", "vehicle", *PROBE)


def check(sample: int, field: str, value: object) -> None:
    result = decode(TOPIC, nv.mutated(SAMPLES[sample], field, value), CTX)
    expected = outcome(field, value)
    nv.note(field, expected)
    if isinstance(expected, Reason):
        assert isinstance(result, Rejection) and result.reason is expected and result.detail, (field, value, result)
        return
    assert result == replace(EXPECTED[sample], **{field: expected}), (field, value)


def test_every_bound_and_kind_of_value_in_every_field() -> None:
    for sample in range(len(SAMPLES)):
        for value in nv.timestamp_sweep(NOW):
            check(sample, "ts", value)
        for value in [*VEHICLES, *nv.WRONG_EXAMPLES]:
            check(sample, "vehicle", value)
        for field, spec in PROBE.items():
            for value in nv.field_sweep(field, spec):
                check(sample, field, value)


def values(field: str) -> st.SearchStrategy[object]:
    if field == "ts":
        return nv.timestamp_values(NOW)
    if field == "vehicle":
        return st.sampled_from(VEHICLES) | st.text(max_size=70) | nv.WRONG_NOT_TEXT
    return nv.field_values(field, PROBE[field])


@settings(max_examples=300)
@given(st.sampled_from(range(len(SAMPLES))),
       st.sampled_from(list(FIELDS)).flatmap(lambda f: st.tuples(st.just(f), values(f))))
def test_one_field_of_a_real_probe_replaced(sample: int, field_value: tuple[str, object]) -> None:
    check(sample, *field_value)


@given(st.binary(max_size=200))
def test_any_bytes_give_a_typed_result(payload: bytes) -> None:
    assert isinstance(decode(TOPIC, payload, CTX), ProbeFix | Rejection)


def test_the_docs_sample_is_the_first_sample() -> None:
    assert json.loads(SAMPLES[0]) == {"ts": 1764383040, "vehicle": "a9f0c2d1", "lat": 17.251, "lon": -88.77,
                                      "speed": 22.2, "heading": 95}
