import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry import Fix, Ignored, Reason, Rejection, UnitRef, decode
from tests.decoding import context

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
