"""Changes made through one instance reach the other's memory, REST answers and consoles (PostgreSQL LISTEN/NOTIFY):
two psn instances `a` and `b` on one real PostgreSQL database and one private Mosquitto; a change is made by REST
on `a` and looked for on `b`. And the listener of `b`, its connection killed by PostgreSQL and held off for a
while, catches up with what changed meanwhile."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from psn.access import Role
from tests.psn.cad.incidents_http import add_partner, new_incident
from tests.support import Mosquitto, RunningServer, make_settings, postgres_database, publish_fix, wait_for

# Of the wire: what a console reads on /api/v1/live (docs/protocol.md), not psn's own types.
INCIDENT_EVENT, MESSAGE_EVENT, UNIT_STATUS_EVENT, COMMAND_EVENT = "incident", "message", "unit_status", "command"


class Feed:
    """Everything one console receives on /api/v1/live of one instance, collected on its own thread."""

    def __init__(self, server: RunningServer, token: str) -> None:
        self._ws = connect(f"{server.ws_url}/api/v1/live?access_token={token}")
        self.received: list[dict[str, Any]] = []
        self.arrived: list[float] = []  # time.monotonic() of each, for bench/changes.py
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for text in self._ws:
                self.arrived.append(time.monotonic())
                self.received.append(json.loads(text))
        except ConnectionClosed:
            pass

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["type"] == kind]

    def units_seen(self) -> set[str]:
        return {u["id"] for m in self.received if m["type"] in ("snapshot", "update") for u in m["units"]}

    def close(self) -> None:
        self._ws.close()


@contextmanager
def feeds(server: RunningServer, *tokens: str) -> Iterator[list[Feed]]:
    opened = [Feed(server, token) for token in tokens]
    try:
        wait_for(lambda: all(f.received for f in opened))  # each has its snapshot: registered with the hub
        yield opened
    finally:
        for feed in opened:
            feed.close()


@contextmanager
def instances(tmp: Path) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Instances a and b: one database, one broker, each its own data dir holding the same keys (a deployment
    gives every instance the same key material: what one seals the other opens)."""
    broker = Mosquitto(tmp).start()
    with postgres_database() as db_url:
        a = RunningServer(make_settings(tmp / "a", broker.url, db_url, instance="a")).start()
        try:
            shutil.copytree(tmp / "a" / "keys", tmp / "b" / "keys")
            b = RunningServer(make_settings(tmp / "b", broker.url, db_url, instance="b")).start()
            try:
                assert b.server.changes is not None
                wait_for(b.server.changes.connected.is_set)
                yield a, b
            finally:
                b.stop()
        finally:
            a.stop()
            broker.stop()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer]]:
    with instances(tmp_path) as running:
        yield running


def _get(server: RunningServer, token: str, path: str) -> Any:
    answer = httpx.get(f"{server.base_url}{path}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _send(server: RunningServer, token: str, method: str, path: str, body: Any = None) -> Any:
    answer = httpx.request(method, f"{server.base_url}{path}", json=body,
                           headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _incidents(server: RunningServer, token: str) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in _get(server, token, "/api/v1/incidents?state=all")["incidents"]}


def test_an_incident_changed_on_a_is_on_b_consoles_and_rest_and_its_thread_too(
        pair: tuple[RunningServer, RunningServer]) -> None:
    a, b = pair
    police, fire = a.token("police"), a.token("fire")  # accounts are in the shared database: valid on both
    with feeds(b, police, fire) as (police_on_b, fire_on_b), feeds(a, police) as (police_on_a,):
        incident = new_incident(a, police)
        wait_for(lambda: any(e["incident"]["id"] == incident for e in police_on_b.events(INCIDENT_EVENT)))
        assert wait_for(lambda: incident in _incidents(b, police))
        assert incident not in _incidents(b, fire)  # not fire's until it is a partner
        # a skips its own announcement: once a has heard of a later change made on b (its listener takes them in
        # commit order), its console has had the creation once, from a itself.
        _send(b, police, "PATCH", f"/api/v1/incidents/{incident}", {"priority": 3})
        wait_for(lambda: [e["incident"]["priority"] for e in police_on_a.events(INCIDENT_EVENT)] == [2, 3])

        add_partner(a, police, incident, "fire")  # the share, through which fire views it
        wait_for(lambda: any(e["incident"]["partners"] == ["fire"] for e in fire_on_b.events(INCIDENT_EVENT)))
        assert _incidents(b, fire)[incident]["partners"] == ["fire"]
        shares = _get(b, fire, "/api/v1/sharing")["incidents"]
        assert [(s["incident"], s["partners"], s["open"]) for s in shares] == [(incident, ["fire"], True)]

        _send(a, police, "PATCH", f"/api/v1/incidents/{incident}", {"priority": 1})
        wait_for(lambda: _incidents(b, police)[incident]["priority"] == 1)

        # A message on the incident's thread, sent on a, reaches fire's dispatcher connected to b.
        sent = _send(a, police, "POST", "/api/v1/messages", {"incident": incident, "text": "road closed at mile 12"})
        got = wait_for(lambda: fire_on_b.events(MESSAGE_EVENT))
        assert got[0]["message"] == sent

        _send(a, police, "POST", f"/api/v1/incidents/{incident}/close", {"disposition": "cleared"})
        wait_for(lambda: _incidents(b, police)[incident]["state"] == "closed")  # a partner views it while open
        wait_for(lambda: any(e["incident"]["state"] == "closed" for e in fire_on_b.events(INCIDENT_EVENT)))


def test_an_agreement_made_on_a_opens_the_owners_units_to_the_grantee_on_b_and_an_emergency_is_declared_there(
        pair: tuple[RunningServer, RunningServer]) -> None:
    a, b = pair
    fire = a.token("fire")
    publish_fix(a.mqtt_url, "police", "P-7", 17.25, -88.77)
    wait_for(lambda: b.server.state.get("police/P-7") is not None)
    listener = b.server.changes
    assert listener is not None
    # What is not psn's on the channel (another program, a newer psn) is counted and skipped; a change naming
    # what cannot be read back is counted as failed; neither stops the listener.
    with psycopg.connect(listener.url, autocommit=True) as other:
        other.execute("SELECT pg_notify('psn_changes', 'agreement added')")
        other.execute("""SELECT pg_notify('psn_changes', '{"v":1,"from":"c","kind":"uplift","id":"UP-x"}')""")
    wait_for(lambda: (listener.bad, listener.failed) == (1, 1))
    metrics = httpx.get(f"{b.base_url}/metrics", headers=b.headers("police", Role.NETWORK_ADMIN)).text
    for line in ('psn_changes{what="bad"} 1.0', 'psn_changes{what="failed"} 1.0', "psn_changes_listening 1.0"):
        assert line in metrics.splitlines()
    with feeds(b, fire) as (fire_on_b,):
        assert "police/P-7" not in fire_on_b.units_seen()
        made = _send(a, a.token("police", Role.ADMIN), "POST", "/api/v1/sharing/agreements",
                     {"grantee": "fire", "resources": ["unit"]})
        wait_for(lambda: [x["id"] for x in _get(b, fire, "/api/v1/sharing")["agreements"]] == [made["id"]])
        publish_fix(a.mqtt_url, "police", "P-7", 17.26, -88.76)  # the next position goes to fire's map on b
        wait_for(lambda: "police/P-7" in fire_on_b.units_seen())

    _send(a, a.token("nemo", Role.ADMIN), "PUT", "/api/v1/sharing/emergency", {"declared": True})
    wait_for(lambda: _get(b, fire, "/api/v1/sharing")["emergency"] is True)


def test_board_geofences_messages_commands_cameras_and_uplifts_made_on_one_reach_the_other(
        pair: tuple[RunningServer, RunningServer]) -> None:
    a, b = pair
    police = a.token("police")
    publish_fix(a.mqtt_url, "police", "P-3", 17.25, -88.77)
    wait_for(lambda: a.server.state.get("police/P-3") is not None and b.server.state.get("police/P-3") is not None)
    with feeds(b, police) as (police_on_b,):
        _send(a, police, "POST", "/api/v1/units/police/P-3/status", {"state": "out_of_service"})
        told = wait_for(lambda: police_on_b.events(UNIT_STATUS_EVENT))
        assert (told[0]["entry"]["unit"], told[0]["entry"]["state"], told[0]["via"], told[0]["actor"]) == (
            "police/P-3", "out_of_service", "console", "police.test")
        board = {u["unit"]: u["state"] for u in _get(b, police, "/api/v1/board")["units"]}
        assert board["police/P-3"] == "out_of_service"

        fence = _send(a, police, "POST", "/api/v1/geofences", {
            "name": "Belmopan", "units": ["police/P-3"],
            "polygon": [[-88.8, 17.2], [-88.7, 17.2], [-88.7, 17.3], [-88.8, 17.3]]})
        wait_for(lambda: [f["id"] for f in _get(b, police, "/api/v1/geofences")["geofences"]] == [fence["id"]])
        _send(a, police, "DELETE", f"/api/v1/geofences/{fence['id']}")
        wait_for(lambda: _get(b, police, "/api/v1/geofences")["geofences"] == [])

        sent = _send(a, police, "POST", "/api/v1/messages", {"agency": "police", "text": "shift change at 18:00"})
        assert wait_for(lambda: police_on_b.events(MESSAGE_EVENT))[0]["message"] == sent

        # A message to the unit goes out as a command: the officer crewing it from a phone on b sees it.
        officer = a.token("police", Role.FIELD_OFFICER)
        _send(b, officer, "PUT", "/api/v1/me/unit", {"unit": "P-3"})
        with feeds(b, officer) as (phone_on_b,):
            sent = _send(a, police, "POST", "/api/v1/messages", {"unit": "police/P-3", "text": "call the station"})
            got = wait_for(lambda: phone_on_b.events(COMMAND_EVENT))
            assert (got[0]["unit"], got[0]["command"]["id"], got[0]["command"]["text"]) == (
                "police/P-3", sent["command"], "call the station")

        # A traffic camera registered on a is registered on b (its stream may be live there); removed, gone.
        traffic = a.token("police", Role.TRAFFIC_MANAGER)
        _send(a, traffic, "POST", "/api/v1/traffic/cameras", {
            "id": "cam-7", "name": "Northern Hwy at Ladyville", "lat": 17.55, "lon": -88.3, "bearing_deg": 200.0,
            "stream": "police:CAM-7:north", "line": [[0.1, 0.6], [0.9, 0.55]]})
        wait_for(lambda: [c["id"] for c in _get(b, traffic, "/api/v1/traffic/cameras")["cameras"]] == ["cam-7"])
        _send(a, traffic, "DELETE", "/api/v1/traffic/cameras/cam-7")
        wait_for(lambda: _get(b, traffic, "/api/v1/traffic/cameras")["cameras"] == [])

        # An uplift started on a is in force on b (its REST view); cancelled on b, it is gone from a's.
        up = _send(a, police, "POST", "/api/v1/net/uplifts", {"units": ["police/P-3"], "duration_s": 600,
                                                              "reason": "armed robbery in progress"})
        wait_for(lambda: [u["id"] for u in _get(b, police, "/api/v1/net/uplifts")["uplifts"]] == [up["id"]])
        _send(b, police, "DELETE", f"/api/v1/net/uplifts/{up['id']}")
        wait_for(lambda: _get(a, police, "/api/v1/net/uplifts")["uplifts"] == [])


@contextmanager
def deaf(b: RunningServer) -> Iterator[None]:
    """b's listener cut off by PostgreSQL (`pg_terminate_backend`) and kept from reconnecting until the block
    ends: what is announced meanwhile, b never hears (only its reload after reconnecting reads it)."""
    listener = b.server.changes
    assert listener is not None and listener.pid is not None
    may_connect = threading.Event()
    real_connect = listener.connect

    def held_connect(url: str) -> psycopg.Connection[Any]:
        may_connect.wait(30)
        return real_connect(url)

    listener.connect = held_connect
    with psycopg.connect(listener.url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (listener.pid,)).fetchone() == (True,)
    wait_for(lambda: not listener.connected.is_set())
    try:
        yield
    finally:
        may_connect.set()
    wait_for(listener.connected.is_set)


def test_a_killed_listener_reconnects_and_catches_up_with_what_changed_meanwhile(
        pair: tuple[RunningServer, RunningServer]) -> None:
    a, b = pair
    police = a.token("police")
    with feeds(b, police) as (police_on_b,):
        with deaf(b):
            incident = new_incident(a, police)
            made = _send(a, a.token("police", Role.ADMIN), "POST", "/api/v1/sharing/agreements",
                         {"grantee": "ems", "resources": ["unit"]})
        wait_for(lambda: incident in _incidents(b, police))
        wait_for(lambda: any(e["incident"]["id"] == incident for e in police_on_b.events(INCIDENT_EVENT)))
        assert [x["id"] for x in _get(b, police, "/api/v1/sharing")["agreements"]] == [made["id"]]
    assert b.server.changes is not None and b.server.changes.reconnects == 1


def test_a_change_made_on_an_instance_that_missed_another_change_does_not_undo_it(
        pair: tuple[RunningServer, RunningServer]) -> None:
    a, b = pair
    police = a.token("police")
    incident = new_incident(a, police)  # priority 2
    wait_for(lambda: incident in _incidents(b, police))
    with deaf(b):
        _send(a, police, "PATCH", f"/api/v1/incidents/{incident}", {"priority": 1})
        # b still holds priority 2: its change is made on the stored version, not on what it held.
        changed = _send(b, police, "PATCH", f"/api/v1/incidents/{incident}", {"notes": "two vehicles, one on fire"})
        assert (changed["priority"], changed["notes"]) == (1, "two vehicles, one on fire")
    def both_kept(server: RunningServer) -> bool:
        now = _incidents(server, police)[incident]
        return (now["priority"], now["notes"]) == (1, "two vehicles, one on fire")

    wait_for(lambda: both_kept(a) and both_kept(b))
    timeline = _get(a, police, f"/api/v1/incidents/{incident}")["timeline"]
    assert [e["what"] for e in timeline] == ["created", "updated", "updated"]
