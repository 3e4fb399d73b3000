"""A call handled end to end over a real Mosquitto: create the incident, recommend, assign through the REST
door, the unit (a real MQTT client) receives its assignment, acknowledges, drives and reports — and the timeline
has it all. Then the assign door's refusals, each written out. Expectations are hand-written: the unit ids, the
states of the status diagram (docs/dispatch.md) and the fields of docs/protocol.md's assignment."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from psn.access import Role
from tests.psn.cad.consoles import consoles
from tests.psn.cad.incidents_http import add_partner, new_incident
from tests.psn.cad.mqtt_unit import Unit
from tests.support import publish, publish_fix, server_with_units, wait_for

# Belize City (the incident), Ladyville (about 10 min by road) and Belmopan (about an hour).
SCENE = (17.4986, -88.1986)
LADYVILLE = (17.5537, -88.2880)
BELMOPAN = (17.2514, -88.7659)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_call_from_creation_to_on_scene(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1"), ("police", "P-2")]) as server:
        base, police = server.base_url, server.token("police")
        publish_fix(server.mqtt_url, "police", "P-1", *BELMOPAN)
        publish_fix(server.mqtt_url, "police", "P-2", *LADYVILLE)
        state = server.server.state
        wait_for(lambda: (state.get("police/P-1").lat, state.get("police/P-2").lat) == (BELMOPAN[0], LADYVILLE[0]))
        incident = new_incident(server, police, type="robbery", lat=SCENE[0], lon=SCENE[1])
        ranked = httpx.get(f"{base}/api/v1/incidents/{incident}/recommendation?top=2", headers=_auth(police)).json()
        assert [r["unit"] for r in ranked["ranked"]] == ["police/P-2", "police/P-1"]
        unit = Unit(server.mqtt_url, "police", "P-2")
        try:
            with consoles(server, police=police) as seen:
                console = seen["police"]
                answer = httpx.post(f"{base}/api/v1/incidents/{incident}/assign", headers=_auth(police),
                                    json={"units": ["police/P-2"]})
                assert answer.status_code == 200, answer.text
                [assigned] = answer.json()["assigned"]
                assert answer.json()["refused"] == []
                [cmd] = wait_for(lambda: unit.received)
                assert cmd["id"] == assigned["command"] and cmd["type"] == "assignment"
                assert (cmd["incident"], cmd["incident_type"], cmd["priority"], cmd["lat"], cmd["lon"],
                        cmd["notes"]) == (incident, "robbery", 2, SCENE[0], SCENE[1], "test call")
                # The route runs from the unit (Ladyville) to the scene, by road.
                assert abs(cmd["route"][0][1] - LADYVILLE[0]) < 0.01 and abs(cmd["route"][-1][1] - SCENE[0]) < 0.01
                unit.ack(cmd["id"], "accepted")
                wait_for(lambda: console.of("command_ack"))
                for word in ("en_route", "on_scene"):
                    publish(server.mqtt_url, "psn/v1/police/P-2/status", {"ts": time.time(), "status": word})
                    wait_for(lambda w=word: server.server.cad.board.state("police/P-2") == (w, incident))
                wait_for(lambda: len(server.server.cad.incidents.get(incident).timeline) == 4)
        finally:
            unit.close()
        timeline = httpx.get(f"{base}/api/v1/incidents/{incident}", headers=_auth(police)).json()["timeline"]
        assert [(e["what"], e["details"].get("state"), e["actor"]) for e in timeline] == [
            ("created", None, "police.test"),
            ("unit_status", "dispatched", "police.test"),
            ("unit_status", "en_route", "police/P-2"),
            ("unit_status", "on_scene", "police/P-2"),
        ]
        commands = httpx.get(f"{base}/api/v1/commands?incident={incident}", headers=_auth(police)).json()
        assert [(c["unit"], c["state"], c["result"]) for c in commands["commands"]] == [
            ("police/P-2", "acknowledged", "accepted")]


def test_the_assign_door_refuses_unit_by_unit_with_reasons(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1"), ("police", "P-2"), ("nemo", "N-1")]) as server:
        base, police, nemo = server.base_url, server.token("police"), server.token("nemo")
        incident = new_incident(server, police)
        officer = server.token("police", Role.FIELD_OFFICER)

        def post(token: str, units: list[str], to: str = incident) -> httpx.Response:
            return httpx.post(f"{base}/api/v1/incidents/{to}/assign", headers=_auth(token), json={"units": units})

        first = post(police, ["police/P-1", "nemo/N-1", "police/P-9"]).json()
        assert [a["unit"] for a in first["assigned"]] == ["police/P-1"]
        assert [(r["unit"], r["reason"].split(":")[0]) for r in first["refused"]] == [
            ("nemo/N-1", "wrong_agency"), ("police/P-9", "unknown_unit")]
        again = post(police, ["police/P-1"]).json()  # dispatched already: the status diagram says no
        assert again["assigned"] == [] and again["refused"][0]["reason"].startswith("illegal_transition")
        # NEMO as a partner views the incident and dispatches its own unit, never police's.
        assert post(nemo, ["nemo/N-1"]).status_code == 404  # not a partner yet: the incident is not theirs to see
        add_partner(server, police, incident, "nemo")
        by_nemo = post(nemo, ["nemo/N-1", "police/P-2"]).json()
        assert [a["unit"] for a in by_nemo["assigned"]] == ["nemo/N-1"]
        assert [(r["unit"], r["reason"].split(":")[0]) for r in by_nemo["refused"]] == [("police/P-2", "not_allowed")]
        assert [r["unit"] for r in post(officer, ["police/P-2"]).json()["refused"]] == ["police/P-2"]
        for body, status in (({"units": []}, 422), ({"units": ["P-2"]}, 422), ({"units": ["police/P-2"] * 2}, 422),
                             ({}, 422)):
            answer = httpx.post(f"{base}/api/v1/incidents/{incident}/assign", headers=_auth(police), json=body)
            assert answer.status_code == status, (body, answer.text)
        assert post(police, ["police/P-2"], to="police-99999").status_code == 404
        closed = httpx.post(f"{base}/api/v1/incidents/{incident}/close", headers=_auth(police),
                            json={"disposition": "done"})
        assert closed.status_code == 200, closed.text
        assert post(police, ["police/P-2"]).status_code == 409
        assert server.server.cad.board.state("police/P-2") == ("available", None)  # nothing half-done
