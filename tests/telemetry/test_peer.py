"""The peer wire format: every record kind survives encode → decode unchanged (property), a hand-written message
decodes to the records written out here, and anything else is a typed rejection, never an exception."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt.client import topic_matches_sub

from telemetry import CellKpi, Fix, LinkReport, ProbeFix, Reason, Rejection, StatusReport, UnitRef, topics
from telemetry.peer import MAX_ITEMS, AlertState, PeerBatch, PeerItem, StreamState, decode, encode

TOPIC = "psn/v1/_peer/a/fixes"
finite = st.floats(allow_nan=False, allow_infinity=False)
maybe = st.none() | finite
text = st.text(max_size=20)
names = st.from_regex(r"[A-Za-z0-9_.\-]{1,12}", fullmatch=True)
who = st.builds(UnitRef, names, names, st.booleans())
records = st.one_of(
    st.builds(Fix, who, finite, finite, finite, maybe, maybe, maybe, maybe, maybe, text),
    st.builds(StatusReport, who, finite, text, text),
    st.builds(CellKpi, names, finite, st.integers(), finite, finite, finite, finite, maybe, st.integers(),
              st.integers(), text),
    st.builds(LinkReport, who, finite, st.none() | text, maybe, maybe, finite, finite, st.none() | st.integers(),
              st.booleans(), text),
    st.builds(ProbeFix, names, text, finite, finite, finite, maybe, maybe),
    st.builds(StreamState, text, text, st.booleans()),
    st.builds(AlertState, text, text, text, text, finite, maybe, maybe, st.none() | text, finite, st.integers(),
              st.none() | text, maybe),
)
KIND = {Fix: "fixes", StatusReport: "statuses", CellKpi: "kpis", LinkReport: "links", ProbeFix: "probes",
        StreamState: "streams", AlertState: "alerts"}


@given(records.flatmap(lambda r: st.lists(st.builds(PeerItem, st.just(r), finite), min_size=1, max_size=3)))
def test_every_record_survives_a_round_trip(items: list[PeerItem]) -> None:
    kind = KIND[type(items[0].record)]
    assert decode(f"psn/v1/_peer/b/{kind}", encode(items)) == PeerBatch("b", kind, tuple(items))


@given(st.binary(max_size=300))
def test_any_bytes_give_a_batch_or_a_rejection(payload: bytes) -> None:
    assert isinstance(decode(TOPIC, payload), PeerBatch | Rejection)


@given(st.recursive(st.none() | st.booleans() | st.integers() | finite | text,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4)))
def test_any_json_in_the_items_gives_a_batch_or_a_rejection(value: object) -> None:
    payload = json.dumps({"v": 1, "items": [[1.0, value], value]}).encode()
    assert isinstance(decode(TOPIC, payload), Rejection)  # the second item is never a [received, record] pair


def test_a_written_out_fix_message() -> None:
    payload = (b'{"v":1,"items":[[1764000000.5,{"who":{"agency":"police","unit":"P-7","bound":true},'
               b'"ts":1764000000,"lat":17.25,"lon":-88.77,"speed":3,"source":"psn/v1"}]]}')
    assert decode(TOPIC, payload) == PeerBatch("a", "fixes", (
        PeerItem(Fix(UnitRef("police", "P-7"), 1764000000.0, 17.25, -88.77, speed=3.0), 1764000000.5),))


def test_no_peer_topic_matches_a_device_subscription() -> None:
    # Written out: the kinds a peer sends. A match would deliver a peer's message to an instance twice, once
    # through the peers' subscription and once through the shared device one.
    kinds = ("fixes", "statuses", "kpis", "links", "probes", "streams", "alerts")
    assert set(KIND.values()) == set(kinds)
    assert [(kind, sub) for kind in kinds for sub in topics.SUBSCRIPTIONS
            if topic_matches_sub(sub, topics.peer_topic("a", kind))] == []


def test_what_is_refused_and_why() -> None:
    good = {"who": {"agency": "police", "unit": "P-7", "bound": True}, "ts": 1.0, "lat": 17.0, "lon": -88.0}
    cases = {
        ("psn/v1/_peer/a", b"{}"): Reason.BAD_TOPIC,
        ("psn/v1/_peer/a/b/c", b"{}"): Reason.BAD_TOPIC,
        ("psn/v1/_peer/a/secret", b"{}"): Reason.UNSUPPORTED_TYPE,
        (TOPIC, b"{not json"): Reason.MALFORMED_JSON,
        (TOPIC, b"[]"): Reason.NOT_AN_OBJECT,
        (TOPIC, b'{"v":2,"items":[]}'): Reason.UNSUPPORTED_TYPE,
        (TOPIC, json.dumps({"v": 1, "items": [[1.0, good]] * (MAX_ITEMS + 1)}).encode()): Reason.BAD_FIELD,
        (TOPIC, json.dumps({"v": 1, "items": [[1.0, {**good, "lat": "17"}]]}).encode()): Reason.BAD_FIELD,
        (TOPIC, json.dumps({"v": 1, "items": [[1.0, {**good, "lat": True}]]}).encode()): Reason.BAD_FIELD,
        (TOPIC, b'{"v":1,"items":[[1.0,{"who":{"agency":"p","unit":"u"},"ts":1e999,"lat":1,"lon":1}]]}'):
            Reason.BAD_FIELD,
        (TOPIC, json.dumps({"v": 1, "items": [[1.0, {**good, "lat": 10**400}]]}).encode()): Reason.BAD_FIELD,
        (TOPIC, json.dumps({"v": 1, "items": [[1.0, {**good, "evil": 1}]]}).encode()): Reason.BAD_FIELD,
        (TOPIC, json.dumps({"v": 1, "items": [[1.0, {k: v for k, v in good.items() if k != "lon"}]]}).encode()):
            Reason.BAD_FIELD,
        (TOPIC, b'{"v":1,"items":[[null,{}]]}'): Reason.BAD_FIELD,
        (TOPIC, b"[" * 100_000): Reason.MALFORMED_JSON,
        (TOPIC, b" " * (8 * 1_048_576 + 1)): Reason.OVERSIZED,
    }
    for (topic, payload), reason in cases.items():
        result = decode(topic, payload)
        assert isinstance(result, Rejection) and result.reason == reason, (topic, payload[:80], result)


def test_the_largest_batch_a_peer_sends_is_read() -> None:
    """MAX_ITEMS alert records, each with the longest note a unit may send (1,000 characters, telemetry/psn_v1.py)
    in characters JSON escapes as 12 bytes each: one message the sending instance makes (6.2 MB), which every
    peer must take, not refuse as oversized (the alerts would be missing from their consoles)."""
    alert = AlertState("a" * 32, "police/" + "u" * 64, "police", "officer_down", 1.7e9, 17.5, -88.2,
                       "\U0001F600" * 1000, 1.7e9, 1, "d" * 64, 1.7e9)
    batch = decode("psn/v1/_peer/a/alerts", encode([PeerItem(alert, 1.7e9)] * MAX_ITEMS))
    assert isinstance(batch, PeerBatch) and len(batch.items) == MAX_ITEMS
