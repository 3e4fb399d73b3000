"""Emergency alerts end to end: published over real MQTT (Mosquitto), pushed to exactly the consoles that may
see the unit, merged while open, listed, acknowledged once, sealed at rest. Expectations written out by hand."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from psn.access import Role
from psn.store.schema import alerts
from tests.psn.cad.consoles import consoles, settle
from tests.psn.cad.incidents_http import add_partner, assign, new_incident
from tests.support import Mosquitto, RunningServer, make_settings, publish, publish_fix, server_with_units, wait_for

P1 = {"unit": "police/P-1", "agency": "police", "type": "emergency"}


def _alert(server: RunningServer, unit: str, body: dict) -> None:
    publish(server.mqtt_url, f"psn/v1/{unit}/alert", {"ts": time.time(), **body})


def _open(server: RunningServer, token: str) -> list[dict]:
    answer = httpx.get(f"{server.base_url}/api/v1/alerts?open=true", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["alerts"]


def _ack(server: RunningServer, token: str, alert_id: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/v1/alerts/{alert_id}/ack", headers={"Authorization": f"Bearer {token}"})


def test_an_emergency_reaches_who_may_see_the_unit_merges_and_is_acknowledged_once(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1"), ("nemo", "N-1")]) as server:
        police, nemo = server.token("police"), server.token("nemo")
        admin = server.token("police", Role.ADMIN)
        with consoles(server, police=police, admin=admin, nemo=nemo) as seen:
            _alert(server, "police/P-1", {"type": "emergency", "note": "shots fired at Albert St"})
            wait_for(lambda: seen["police"].of("alert") and seen["admin"].of("alert"))
            settle(server, *seen.values())
            first = seen["police"].of("alert")[0]["alert"]
            # No position in the alert: the unit's live one (its one fix, server_with_units: 17.5, -88.2).
            assert {k: first[k] for k in ("unit", "agency", "type", "lat", "lon", "note", "count", "open",
                                          "acknowledged_by")} == {
                **P1, "lat": 17.5, "lon": -88.2, "note": "shots fired at Albert St", "count": 1, "open": True,
                "acknowledged_by": None}
            assert seen["admin"].of("alert")[0]["alert"] == first
            assert seen["nemo"].of("alert") == []

            # Pressed again while open: the same alert, moved, counted; not a second one.
            _alert(server, "police/P-1", {"type": "emergency", "lat": 17.51, "lon": -88.21})
            wait_for(lambda: len(seen["police"].of("alert")) == 2)
            again = seen["police"].of("alert")[1]["alert"]
            assert (again["id"], again["count"], again["lat"], again["lon"], again["note"]) == (
                first["id"], 2, 17.51, -88.21, "shots fired at Albert St")
            assert [(a["id"], a["count"]) for a in _open(server, police)] == [(first["id"], 2)]
            assert _open(server, nemo) == []

            # Police share an incident with P-1 on it with NEMO: from then on NEMO sees P-1's alerts.
            incident = new_incident(server, police)
            add_partner(server, police, incident, "nemo")
            assign(server, police, incident, "police/P-1")
            # The assignment takes effect on the bus's incident thread, after the request returns: NEMO's console
            # showing P-1 on the incident is when the grant holds (pressed before it, NEMO would rightly not hear).
            wait_for(lambda: any("police/P-1" in e["incident"]["units"] for e in seen["nemo"].of("incident")))
            _alert(server, "police/P-1", {"type": "emergency"})
            wait_for(lambda: seen["nemo"].of("alert"))
            assert seen["nemo"].of("alert")[0]["alert"]["id"] == first["id"]
            assert seen["nemo"].of("alert")[0]["alert"]["count"] == 3
            assert [a["id"] for a in _open(server, nemo)] == [first["id"]]

            done = _ack(server, police, first["id"])
            assert done.status_code == 200, done.text
            assert done.json()["alert"]["acknowledged_by"] == "police.test"
            again_ack = _ack(server, nemo, first["id"])
            assert again_ack.status_code == 409 and "already acknowledged by police.test" in again_ack.text
            wait_for(lambda: seen["nemo"].of("alert_acknowledged") and seen["police"].of("alert_acknowledged"))
            assert seen["nemo"].of("alert_acknowledged")[0]["alert"]["id"] == first["id"]
            assert _open(server, police) == [] and _open(server, nemo) == []
        closed = httpx.get(f"{server.base_url}/api/v1/alerts?open=false",
                           headers={"Authorization": f"Bearer {police}"}).json()["alerts"]
        assert [(a["id"], a["count"], a["open"], a["acknowledged_by"]) for a in closed] == [
            (first["id"], 3, False, "police.test")]
        assert first["id"] in (server.settings.data_dir / "audit" / "audit.jsonl").read_text()
        with server.server.db.engine.connect() as conn:
            row = conn.execute(sa.select(alerts)).one()
        assert (row.note, row.lat, row.lon, row.count) == (None, None, None, 3)
        assert row.sealed is not None and b"Albert" not in row.sealed


def test_who_may_acknowledge_and_what_is_refused(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1"), ("nemo", "N-1")]) as server:
        police, nemo = server.token("police"), server.token("nemo")
        _alert(server, "police/P-1", {"type": "officer_down"})
        _alert(server, "police/P-1", {"type": "low_battery"})  # not sticky: shown, never open
        wait_for(lambda: server.server.bus.flush() and len(server.server.cad.alerts.recent()) == 2)
        (down,) = _open(server, police)
        low = next(r for r in server.server.cad.alerts.recent() if r.type == "low_battery")
        assert down["type"] == "officer_down"
        cases = [
            (nemo, down["id"], 403, "not shared with nemo"),
            (server.token("police", Role.ADMIN), down["id"], 403, "only a dispatcher acknowledges"),
            (police, low.id, 409, "only emergency, officer_down alerts stay open"),
            (police, "0" * 32, 404, "no alert"),
            (police, "not-an-id", 422, "pattern"),
        ]
        for token, alert_id, status, words in cases:
            answer = _ack(server, token, alert_id)
            assert (answer.status_code, words in answer.text) == (status, True), (alert_id, answer.text)
        assert [a["id"] for a in _open(server, police)] == [down["id"]]  # nothing was acknowledged


def test_an_open_alert_survives_a_restart_and_is_acknowledged_after_it(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path).start()
    try:
        first = RunningServer(make_settings(tmp_path, broker.url)).start()
        publish_fix(broker.url, "police", "P-1", 17.25, -88.75)
        wait_for(lambda: first.server.state.get("police/P-1"))
        _alert(first, "police/P-1", {"type": "emergency", "note": "ambush"})
        wait_for(lambda: first.server.bus.flush() and _open(first, first.token("police")))
        (before,) = _open(first, first.token("police"))
        assert (before["lat"], before["lon"], before["note"]) == (17.25, -88.75, "ambush")
        first.stop()
        again = RunningServer(make_settings(tmp_path, broker.url)).start()
        try:
            police = again.token("police")
            assert _open(again, police) == [before]
            assert _ack(again, police, before["id"]).status_code == 200
            assert _open(again, police) == []
        finally:
            again.stop()
    finally:
        broker.stop()
