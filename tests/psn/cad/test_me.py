"""The officer's phone over HTTP: signing on to a unit, `GET /api/v1/me`, and the outbox, whose items become the
same bus events, board changes and live positions as the unit's own MQTT messages."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from psn.access import Role
from psn.events import AckAccepted, AlertAccepted, FixAccepted, StatusAccepted, UnitStatusChanged
from tests.phone_support import Seen
from tests.support import RunningServer, publish, wait_for

OFFICER = "police.officer-12"


def officer(phone_server: RunningServer, agency: str = "police", name: str = OFFICER,
            role: Role = Role.FIELD_OFFICER) -> httpx.Client:
    token = phone_server.token(agency, role, name=name)
    return httpx.Client(base_url=phone_server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=20)


def test_sign_on_me_and_sign_off(phone_server: RunningServer, tmp_path: Path) -> None:
    phone = officer(phone_server)
    assert phone.get("/api/v1/me").json() == {"user": OFFICER, "agency": "police", "roles": ["field_officer"],
                                              "unit": None, "state": None, "incident": None}
    for refused in (phone.post("/api/v1/me/outbox", json=[]), phone.delete("/api/v1/me/unit")):
        assert refused.status_code == 409
        assert refused.json()["detail"].startswith("sign on to a unit first")

    signed = phone.put("/api/v1/me/unit", json={"unit": "P-12"})
    assert signed.status_code == 200
    assert signed.json() == {"user": OFFICER, "agency": "police", "roles": ["field_officer"],
                             "unit": "police/P-12", "state": "available", "incident": None}
    assert phone_server.server.cad.crew.users_of("police/P-12") == {OFFICER}
    phone_server.server.cad.board.change("police/P-12", "dispatched", time.time(), actor="police.dispatch",
                                    via="test", incident="police-00007")
    me = phone.get("/api/v1/me").json()
    assert (me["unit"], me["state"], me["incident"]) == ("police/P-12", "dispatched", "police-00007")

    off = phone.delete("/api/v1/me/unit")
    assert (off.status_code, off.json()["unit"], off.json()["state"]) == (200, None, None)
    assert phone_server.server.cad.crew.unit_of(OFFICER) is None
    audit = [json.loads(line).get("entry", {}) for line in
             (tmp_path / "audit" / "audit.jsonl").read_text().splitlines()]
    assert [(e["actor"], e["action"], e["target"]) for e in audit if e.get("action", "").startswith("crew.")] == [
        (OFFICER, "crew.sign_on", "police/P-12"), (OFFICER, "crew.sign_off", "police/P-12")]


@pytest.mark.parametrize(("role", "agency", "unit", "status", "detail"), [
    (Role.FIELD_OFFICER, "police", "fire/F-1", 403, "not allowed: an officer of police signs on to a unit of "
                                                    "police, not fire/F-1"),
    (Role.FIELD_OFFICER, "police", "_broadcast", 422, "unit '_broadcast': names starting with '_' are psn's own"),
    (Role.TRAINER, "police", "P-12", 403, "not allowed: crewing a unit needs a person with the field_officer "
                                          "or dispatcher role"),
])
def test_sign_on_refusals(phone_server: RunningServer, role: Role, agency: str, unit: str, status: int,
                          detail: str) -> None:
    phone = officer(phone_server, agency, f"{agency}.someone", role)
    answer = phone.put("/api/v1/me/unit", json={"unit": unit})
    assert (answer.status_code, answer.json()["detail"]) == (status, detail)
    assert phone_server.server.cad.crew.unit_of(f"{agency}.someone") is None


@pytest.mark.parametrize("unit", ["a/b/c", "", "P 12", "x" * 65, "police/", 12, None])
def test_sign_on_bad_unit_names_are_422(phone_server: RunningServer, unit: Any) -> None:
    answer = officer(phone_server).put("/api/v1/me/unit", json={"unit": unit})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "unit"]


def test_own_agency_prefix_and_dispatcher_may_sign_on(phone_server: RunningServer) -> None:
    assert officer(phone_server).put("/api/v1/me/unit", json={"unit": "police/P-3"}).json()["unit"] == "police/P-3"
    nemo = officer(phone_server, "nemo", "nemo.dispatch", Role.DISPATCHER)
    assert nemo.put("/api/v1/me/unit", json={"unit": "N-1"}).json()["unit"] == "nemo/N-1"


def test_outbox_items_in_order_like_mqtt(phone_server: RunningServer, phone_seen: Seen) -> None:
    phone = officer(phone_server)
    phone.put("/api/v1/me/unit", json={"unit": "P-12"})
    board = phone_server.server.cad.board
    now = time.time()
    for unit in ("police/P-12", "police/P-13"):
        board.change(unit, "dispatched", now - 60, actor="police.dispatch", via="test", incident="police-00001")
    items: list[Any] = [
        {"kind": "telemetry", "payload": {"ts": now - 30, "lat": 17.2510, "lon": -88.7590, "battery": 80}},
        {"kind": "status", "payload": {"ts": now - 20, "status": "en_route"}},
        {"kind": "alert", "payload": {"ts": now - 15, "type": "emergency", "lat": 17.2510, "lon": -88.7590}},
        {"kind": "ack", "payload": {"ts": now - 14, "ref": "cmd-1", "result": "accepted"}},
        {"kind": "cmd", "payload": {"ts": now}},
        ["telemetry", {}],
        {"kind": "telemetry", "payload": [1, 2]},
        {"kind": "telemetry", "payload": {"ts": now - 12, "lat": 17.25}},
        {"kind": "alert"},
        {"kind": "status", "payload": {"ts": now - 10, "status": "on_scene"}},
        {"kind": "telemetry", "payload": {"ts": now - 30, "lat": 17.2510, "lon": -88.7590}},
    ]
    answer = phone.post("/api/v1/me/outbox", json=items)
    assert answer.status_code == 200
    # Answered once stored, like MQTT's QoS 1 acknowledgement: the fix is in the database already.
    assert phone_server.server.db.track("police/P-12", 0, None, 10) == [(now - 30, 17.2510, -88.7590)]
    assert answer.json()["results"] == [
        {"ok": True, "detail": "accepted"},
        {"ok": True, "detail": "accepted"},
        {"ok": True, "detail": "accepted"},
        {"ok": True, "detail": "accepted"},
        {"ok": False, "detail": "bad_topic: 'kind' must be one of telemetry, status, alert, ack, not 'cmd'"},
        {"ok": False, "detail": "not_an_object: each item must be an object {\"kind\", \"payload\"}"},
        {"ok": False, "detail": "not_an_object: expected a JSON object, got list"},
        {"ok": False, "detail": "missing_field: field 'lon' is required"},
        {"ok": False, "detail": "not_an_object: expected a JSON object, got NoneType"},
        {"ok": True, "detail": "accepted"},
        {"ok": False, "detail": f"duplicate: police/P-12 already reported ts {now - 30}"},
    ]
    # The same status word over MQTT from another unit in the same state: the board treats both alike.
    publish(phone_server.mqtt_url, "psn/v1/police/P-13/status", {"ts": now - 20, "status": "en_route"}, mqtt5=False)
    wait_for(lambda: board.state("police/P-13")[0] == "en_route")
    assert board.state("police/P-12") == ("on_scene", "police-00001")
    assert board.state("police/P-13") == ("en_route", "police-00001")
    changes = [(e.unit, e.change.before.value, e.change.after.value, e.change.ts, e.actor, e.via)
               for e in phone_seen.of(UnitStatusChanged) if e.via != "test"]
    assert changes == [
        ("police/P-12", "dispatched", "en_route", now - 20, "police/P-12", "mqtt"),
        ("police/P-12", "en_route", "on_scene", now - 10, "police/P-12", "mqtt"),
        ("police/P-13", "dispatched", "en_route", now - 20, "police/P-13", "mqtt"),
    ]
    [alert] = phone_seen.of(AlertAccepted)
    assert (alert.alert.who.id, alert.alert.type, alert.alert.lat, alert.alert.lon) == (
        "police/P-12", "emergency", 17.2510, -88.7590)
    [ack] = phone_seen.of(AckAccepted)
    assert (ack.ack.who.id, ack.ack.ref, ack.ack.result) == ("police/P-12", "cmd-1", "accepted")
    assert [e.report.status for e in phone_seen.of(StatusAccepted)] == ["en_route", "on_scene", "en_route"]
    unit = wait_for(lambda: phone_server.units().get("police/P-12"))
    assert (unit["lat"], unit["lon"], unit["battery"]) == (17.2510, -88.7590, 80)
    rejected = phone_server.stats()["rejected"]
    assert rejected == {"bad_topic": 1, "not_an_object": 3, "missing_field": 1, "duplicate": 1}


def test_outbox_speaks_only_for_the_crewed_unit(phone_server: RunningServer, phone_seen: Seen) -> None:
    phone = officer(phone_server)
    phone.put("/api/v1/me/unit", json={"unit": "P-12"})
    # A payload naming another unit or agency changes nothing: the topic comes from the sign-on.
    phone.post("/api/v1/me/outbox", json=[{"kind": "telemetry", "payload": {
        "ts": time.time(), "lat": 17.5, "lon": -88.2, "unit": "F-1", "agency": "fire"}}])
    assert [e.fix.who.id for e in phone_seen.of(FixAccepted)] == ["police/P-12"]


def test_outbox_limits(phone_server: RunningServer, phone_seen: Seen) -> None:
    phone = officer(phone_server)
    phone.put("/api/v1/me/unit", json={"unit": "P-12"})
    fix = {"kind": "telemetry", "payload": {"ts": time.time(), "lat": 17.5, "lon": -88.2}}
    cases = [
        (json.dumps([fix] * 501), 413, "at most 500 items per request, not 501"),
        (json.dumps([fix, {"kind": "status", "payload": {"note": "x" * 300_000}}]), 413,
         "the outbox body is over 262144 bytes: send fewer items at a time"),
        ('{"kind": "telemetry"}', 422, 'the body must be a JSON array of items {"kind", "payload"}'),
        ("[", 422, "the body must be JSON: unexpected end of data: line 1 column 2 (char 1)"),
    ]
    for body, status, detail in cases:
        answer = phone.post("/api/v1/me/outbox", content=body, headers={"content-type": "application/json"})
        assert (answer.status_code, answer.json()["detail"]) == (status, detail)
    assert phone_seen.of(FixAccepted) == []  # nothing half-handled
    assert len(phone.post("/api/v1/me/outbox", json=[fix] * 500).json()["results"]) == 500
