"""The outbox fuzzed: any list of items, in any order, gets one answer per item, in order, each the reason a
hand-made table gives for it; what was accepted reaches the bus in the same order, and every refusal is counted
under its reason like an MQTT message's. Arbitrary JSON never gets a 5xx."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from psn.access import Role
from psn.events import AckAccepted, AlertAccepted, FixAccepted, StatusAccepted
from tests.phone_support import Seen, start_server
from tests.support import Mosquitto, RunningServer, make_settings

OFFICER = "police.fuzz"
Item = Callable[[float, int], Any]  # (now, a number unique to this item) → the item
# Each item (built from the time and a serial, so no two fixes share a timestamp) with the reason psn gives it:
# "ok" when accepted, else the reason the answer's detail starts with. Written by hand from docs/protocol.md.
TABLE: list[tuple[str, Item, str]] = [
    ("fix", lambda t, n: {"kind": "telemetry", "payload": {"ts": t - n / 1000, "lat": 17.5, "lon": -88.2}}, "ok"),
    ("status", lambda t, n: {"kind": "status", "payload": {"ts": t, "status": "patrol"}}, "ok"),
    ("alert", lambda t, n: {"kind": "alert", "payload": {"ts": t, "type": "emergency", "note": f"n{n}"}}, "ok"),
    ("ack", lambda t, n: {"kind": "ack", "payload": {"ts": t, "ref": f"c-{n}", "result": "done"}}, "ok"),
    ("ack bad ref", lambda t, n: {"kind": "ack", "payload": {"ts": t, "ref": "c 1", "result": "done"}},
     "bad_field"),
    ("alert half a position", lambda t, n: {"kind": "alert", "payload": {"ts": t, "type": "x", "lat": 17.5}},
     "missing_field"),
    ("future status", lambda t, n: {"kind": "status", "payload": {"ts": t + 3600, "status": "patrol"}},
     "future_timestamp"),
    ("fix outside Belize", lambda t, n: {"kind": "telemetry", "payload": {"ts": t, "lat": 40.0, "lon": -88.2}},
     "outside_service_area"),
    ("no payload", lambda t, n: {"kind": "status"}, "not_an_object"),
    ("payload a string", lambda t, n: {"kind": "status", "payload": "available"}, "not_an_object"),
    ("kind a number", lambda t, n: {"kind": 7, "payload": {}}, "bad_topic"),
    ("kind a path", lambda t, n: {"kind": "status/../cmd", "payload": {"ts": t, "status": "patrol"}}, "bad_topic"),
    ("kind cmd", lambda t, n: {"kind": "cmd", "payload": {"ts": t}}, "bad_topic"),
    ("item a list", lambda t, n: ["status", {"ts": t}], "not_an_object"),
    ("item null", lambda t, n: None, "not_an_object"),
]
EVENT = {"fix": FixAccepted, "status": StatusAccepted, "alert": AlertAccepted, "ack": AckAccepted}
RECORD: dict[type, Callable[[Any], Any]] = {FixAccepted: lambda e: e.fix, StatusAccepted: lambda e: e.report,
                                            AlertAccepted: lambda e: e.alert, AckAccepted: lambda e: e.ack}
FINITE = st.floats(allow_nan=False, allow_infinity=False)  # what JSON can carry
JSON = st.recursive(st.none() | st.booleans() | st.integers() | FINITE | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                 max_size=4), max_leaves=12)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Seen, httpx.Client]]:
    tmp = Path(tmp_path_factory.mktemp("outbox"))
    broker = Mosquitto(tmp).start()
    seen = Seen()
    running = start_server(make_settings(tmp, broker.url), seen)
    token = running.token("police", Role.FIELD_OFFICER, name=OFFICER)
    phone = httpx.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert phone.put("/api/v1/me/unit", json={"unit": "P-fz"}).status_code == 200
    try:
        yield running, seen, phone
    finally:
        running.stop()
        broker.stop()


serial = iter(range(1, 10**9))


@settings(max_examples=25)
@given(picks=st.lists(st.sampled_from(TABLE), max_size=30))
def test_each_item_gets_its_reason_in_order(served: tuple[RunningServer, Seen, httpx.Client],
                                           picks: list[tuple[str, Item, str]]) -> None:
    running, seen, phone = served
    now = time.time()
    items = [build(now, next(serial)) for _name, build, _reason in picks]
    note(f"items: {items}")
    before_rejected = Counter(running.stats()["rejected"])
    before_events = len(seen.events)
    answer = phone.post("/api/v1/me/outbox", json=items)
    assert answer.status_code == 200
    results = answer.json()["results"]
    got = ["ok" if r["ok"] else r["detail"].split(":", 1)[0] for r in results]
    assert got == [reason for _name, _build, reason in picks]
    assert all(r["detail"] == "accepted" for r in results if r["ok"])
    refused = Counter(reason for _n, _b, reason in picks if reason != "ok")
    assert Counter(running.stats()["rejected"]) - before_rejected == refused
    accepted_kinds = [EVENT[name] for name, _b, reason in picks if reason == "ok"]
    assert [type(e) for e in seen.events[before_events:]] == accepted_kinds
    assert {RECORD[type(e)](e).who.id for e in seen.events[before_events:]} <= {"police/P-fz"}


@settings(max_examples=40)
@given(body=st.lists(JSON, max_size=10) | JSON)
def test_arbitrary_json_never_fails_the_server(served: tuple[RunningServer, Seen, httpx.Client], body: Any) -> None:
    _running, _seen, phone = served
    answer = phone.post("/api/v1/me/outbox", content=json.dumps(body),
                        headers={"content-type": "application/json"})
    if not isinstance(body, list):
        assert (answer.status_code, answer.json()["detail"]) == (
            422, 'the body must be a JSON array of items {"kind", "payload"}')
        return
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert len(results) == len(body)
    for item, result in zip(body, results, strict=True):
        # Random JSON never names a valid kind with a valid payload: every item is refused, with a reason.
        assert result["ok"] is False
        reason = result["detail"].split(":", 1)[0]
        if not isinstance(item, dict):
            assert reason == "not_an_object"
        elif item.get("kind") not in ("telemetry", "status", "alert", "ack"):
            assert reason == "bad_topic"
