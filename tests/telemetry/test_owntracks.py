import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry import Fix, Ignored, Reason, Rejection, UnitRef, decode
from tests import near_valid as nv
from tests.decoding import BELIZE, context

NOW = 1_764_383_040.0
CTX = context(NOW, default_agency="nemo")

# Messages as the OwnTracks apps publish them (Android 2.x and iOS; field sets differ between them).
ANDROID = (
    b'{"_type":"location","acc":12,"alt":14,"batt":74,"bs":1,"conn":"m","created_at":1764383030,'
    b'"lat":17.4973,"lon":-88.1881,"m":1,"t":"u","tid":"jd","tst":1764383030,"vac":3,"vel":36,"cog":90}'
)
IOS = (
    b'{"cog":-1,"batt":55,"lon":-88.7702,"acc":5,"bs":2,"p":101.3,"vel":0,"vac":10,"lat":17.2511,'
    b'"topic":"owntracks/maria/iphone","conn":"w","m":2,"tst":1764383020,"alt":76,"_type":"location","tid":"ma"}'
)


def test_android_location_becomes_a_provisional_unit() -> None:
    fix = decode("owntracks/jdoe/pixel", ANDROID, CTX)
    assert isinstance(fix, Fix)
    assert fix.who == UnitRef("nemo", "ot-jdoe-pixel", bound=False)
    assert fix.speed == pytest.approx(10.0)  # 36 km/h
    assert (fix.heading, fix.accuracy, fix.battery, fix.alt, fix.ts) == (90.0, 12.0, 74.0, 14.0, 1764383030.0)
    assert fix.source == "owntracks"


def test_ios_cog_minus_one_is_refused_as_out_of_range() -> None:
    # iOS sends cog -1 when the course is unknown; we refuse rather than invent a heading.
    result = decode("owntracks/maria/iphone", IOS, CTX)
    assert isinstance(result, Rejection) and result.reason is Reason.OUT_OF_RANGE


def test_ios_without_course() -> None:
    body = json.loads(IOS)
    del body["cog"]
    fix = decode("owntracks/maria/iphone", json.dumps(body).encode(), CTX)
    assert isinstance(fix, Fix) and fix.heading is None and fix.speed == 0.0


def test_bound_device_speaks_for_its_unit() -> None:
    ctx = context(NOW, devices={"jdoe/pixel": UnitRef("police", "P-107")})
    fix = decode("owntracks/jdoe/pixel", ANDROID, ctx)
    assert isinstance(fix, Fix) and fix.who == UnitRef("police", "P-107", bound=True)


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("owntracks/jdoe/pixel", b'{"_type":"transition","event":"enter","tst":1764383030}'),
        ("owntracks/jdoe/pixel", b'{"_type":"lwt","tst":1764383030}'),
        ("owntracks/jdoe/pixel/event", ANDROID),
    ],
)
def test_non_location_messages_are_ignored(topic: str, payload: bytes) -> None:
    assert isinstance(decode(topic, payload, CTX), Ignored)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"lat":17.5,"lon":-88.2,"tst":1764383030}', Reason.MISSING_FIELD),
        (b'{"_type":"location","lat":17.5,"lon":-88.2}', Reason.MISSING_FIELD),
        (b'{"_type":"location","lat":17.5,"lon":-88.2,"tst":1764383030,"vel":-5}', Reason.OUT_OF_RANGE),
        (b"not json", Reason.MALFORMED_JSON),
    ],
)
def test_bad_owntracks(payload: bytes, reason: Reason) -> None:
    result = decode("owntracks/jdoe/pixel", payload, CTX)
    assert isinstance(result, Rejection) and result.reason is reason


@given(st.binary(max_size=300), st.sampled_from(["owntracks/a/b", "owntracks/a", "owntracks/a/b/c"]))
def test_any_bytes_give_a_typed_result(payload: bytes, topic: str) -> None:
    assert isinstance(decode(topic, payload, CTX), Fix | Rejection | Ignored)


# Near-valid fuzz: one field of a real message replaced, the outcome taken from the contract written out below.
TOPIC = "owntracks/jdoe/pixel"
WHO = UnitRef("nemo", "ot-jdoe-pixel", bound=False)
SAMPLES = {"android": ANDROID, "ios": nv.mutated(IOS, "cog", nv.DELETE)}  # iOS with its course unknown (left out)
# SAMPLES as psn keeps them, decoded by hand: vel 36 km/h = 10 m/s.
EXPECTED = {
    "android": Fix(WHO, 1764383030.0, 17.4973, -88.1881, alt=14.0, speed=10.0, heading=90.0, accuracy=12.0,
                   battery=74.0, source="owntracks"),
    "ios": Fix(WHO, 1764383020.0, 17.2511, -88.7702, alt=76.0, speed=0.0, accuracy=5.0, battery=55.0,
               source="owntracks"),
}
# docs/protocol.md, field by field: the range, the Fix attribute it becomes and its conversion to SI units
# (`tst`: epoch seconds, neither stale nor ahead; `_type`: "location").
OWNTRACKS = {
    "lat": (nv.Number(-90, 90, required=True), "lat", lambda v: v),
    "lon": (nv.Number(-180, 180, required=True), "lon", lambda v: v),
    "acc": (nv.Number(0, 100_000), "accuracy", lambda v: v),
    "vel": (nv.Number(0, 1260), "speed", lambda kmh: kmh * 1000 / 3600),
    "cog": (nv.Number(0, 360), "heading", lambda deg: 0.0 if deg == 360 else deg),
    "alt": (nv.Number(-500, 20_000), "alt", lambda v: v),
    "batt": (nv.Number(0, 100), "battery", lambda v: v),
}
FIELDS = ("tst", "_type", *OWNTRACKS)


def owntracks_outcome(field: str, value: object) -> Reason | type[Ignored] | tuple[str, object]:
    """The refusal, Ignored, or the Fix attribute and the value it takes."""
    if field == "tst":
        ts = nv.timestamp_outcome(value, NOW)
        return ts if isinstance(ts, Reason) else ("ts", ts)
    if field == "_type":
        if nv.unrepresentable(value):
            return Reason.MALFORMED_JSON
        if value is nv.DELETE or value is None:
            return Reason.MISSING_FIELD
        if not isinstance(value, str):
            return Reason.BAD_FIELD
        return ("source", "owntracks") if value == "location" else Ignored
    spec, attribute, convert = OWNTRACKS[field]
    kept = nv.field_outcome(field, spec, value)
    if isinstance(kept, Reason):
        return kept
    return attribute, None if kept is None else convert(kept)


def owntracks_values(field: str) -> st.SearchStrategy[object]:
    if field == "tst":
        return nv.timestamp_values(NOW)
    if field == "_type":
        return st.sampled_from(["location", "transition", "waypoint", "Location", ""]) | nv.word_values()
    return nv.field_values(field, OWNTRACKS[field][0])


def owntracks_sweep(field: str) -> list[object]:
    if field == "tst":
        return nv.timestamp_sweep(NOW)
    if field == "_type":
        return ["location", "transition", "Location", *nv.WRONG_EXAMPLES]
    return nv.field_sweep(field, OWNTRACKS[field][0])


def check_location(sample: str, field: str, value: object) -> None:
    result = decode(TOPIC, nv.mutated(SAMPLES[sample], field, value), CTX)
    outcome = owntracks_outcome(field, value)
    nv.note(field, outcome)
    if outcome is Ignored:
        assert isinstance(result, Ignored), (field, value, result)
        return
    if nv.refused(result, outcome, WHO, (field, value)):
        return
    assert isinstance(result, Fix) and isinstance(outcome, tuple), (field, value, result)
    attribute, kept = outcome
    expected = replace(EXPECTED[sample], **{attribute: kept})
    assert replace(result, speed=None) == replace(expected, speed=None), (field, value)
    assert result.speed == (None if expected.speed is None else pytest.approx(expected.speed, rel=1e-12))
    assert NOW - nv.MAX_AGE_S <= result.ts <= NOW + nv.MAX_FUTURE_S
    assert BELIZE.contains(result.lat, result.lon)
    assert result.speed is None or 0 <= result.speed <= 350 + 1e-9  # 1,260 km/h
    assert result.heading is None or 0 <= result.heading < 360


def test_every_bound_and_kind_of_value_in_every_field_of_a_location() -> None:
    for sample in SAMPLES:
        for field in FIELDS:
            for value in owntracks_sweep(field):
                check_location(sample, field, value)


@settings(max_examples=400)
@given(st.sampled_from(sorted(SAMPLES)),
       st.sampled_from(FIELDS).flatmap(lambda f: st.tuples(st.just(f), owntracks_values(f))))
def test_one_field_of_a_real_location_replaced(sample: str, field_value: tuple[str, object]) -> None:
    check_location(sample, *field_value)


def test_a_provisional_unit_name_fits_the_64_characters_of_a_unit() -> None:
    user, device = "u" * 40, "d" * 30  # ot-…: 74 characters before capping
    fix = decode(f"owntracks/{user}/{device}", ANDROID, CTX)
    assert isinstance(fix, Fix)
    assert len(fix.who.unit) == 64 and fix.who.unit.startswith("ot-" + "u" * 40 + "-ddd-")
    other = decode(f"owntracks/{user}/{'d' * 29}e", ANDROID, CTX)
    assert isinstance(other, Fix) and other.who.unit != fix.who.unit
    short = decode("owntracks/jdoe/pixel", ANDROID, CTX)
    assert isinstance(short, Fix) and short.who.unit == "ot-jdoe-pixel"
