"""Uplifts over real HTTP against psn on a real Mosquitto, its clock manual: who may uplift whose units, the
retained policy document the network equipment reads, the audit log, expiry, cancelling, an incident's units,
live video rates and the profiles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from psn.access import Role
from psn.clock import ManualClock
from psn.events import StreamEnded, StreamStarted
from tests.psn.cad.consoles import consoles, settle
from tests.psn.cad.incidents_http import assign, new_incident
from tests.psn.net.qos_support import Equipment, audit, bearer, known, qos_server, token, uplift
from tests.support import RunningServer, publish_fix, wait_for

UPLIFTED = {"arp": 1, "pci": True, "pvi": False}
# The units the tests uplift, each with a fix first (psn uplifts only units it knows).
UNITS = ("police/P-101", "police/P-102", "police/P-111", "fire/E-7", "police/P-121", "police/P-122", "fire/E-8",
         "nemo/N-1", "police/P-131", "police/P-141", "police/P-171", "police/P-191", "fire/E-19", "police/P-192",
         "nemo/N-201", "fire/E-31")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, ManualClock, Equipment]]:
    with qos_server(Path(tmp_path_factory.mktemp("qos"))) as (running, clock, broker):
        known(running, *UNITS)
        equipment = Equipment(broker.url)
        yield running, clock, equipment
        equipment.close()


@pytest.fixture
def server(world: tuple[RunningServer, ManualClock, Equipment]) -> RunningServer:
    return world[0]


@pytest.fixture
def clock(world: tuple[RunningServer, ManualClock, Equipment]) -> ManualClock:
    return world[1]


@pytest.fixture
def equipment(world: tuple[RunningServer, ManualClock, Equipment]) -> Equipment:
    return world[2]


def units_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    units: dict[str, dict[str, Any]] = document["units"]
    return units


def test_the_policy_is_retained_from_the_start(server: RunningServer, equipment: Equipment) -> None:
    first = equipment.latest()
    assert equipment.retained[0] is True  # read back on subscribing: equipment that restarts gets it at once
    assert first["default"] == {"qci": 70, "video_qci": 67, "voice_qci": 65, "arp": 9, "pci": False, "pvi": True}
    assert first["agencies"]["police"] == {"qci": 69, "video_qci": 67, "voice_qci": 65, "arp": 6, "pci": False,
                                           "pvi": True}


def test_a_dispatcher_uplifts_its_units(server: RunningServer, clock: ManualClock, equipment: Equipment) -> None:
    dispatcher = token(server, "police", Role.DISPATCHER)
    now = clock.time()
    answer = uplift(server, dispatcher, units=["police/P-101", "police/P-102"], duration_s=900)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["units"] == ["police/P-101", "police/P-102"] and body["state"] == "active"
    assert (body["started"], body["until"], body["requested_by"]) == (now, now + 900, "police.dispatcher")
    assert body["id"].startswith("UP-")
    document = equipment.wait(lambda d: "police/P-102" in d["units"])
    assert units_of(document)["police/P-101"] == {"uplift": body["id"], "until": now + 900, **UPLIFTED}
    assert units_of(document)["police/P-102"] == {"uplift": body["id"], "until": now + 900, **UPLIFTED}
    [started] = [e for e in audit(server, "qos.uplift_started") if e["target"] == body["id"]]
    assert (started["actor"], started["units"], started["until"]) == ("police.dispatcher",
                                                                        ["police/P-101", "police/P-102"], now + 900)
    assert any(e["units"] == ["police/P-101", "police/P-102"] and e["reason"] == "armed robbery in progress"
               for e in audit(server, "qos.uplift_requested"))
    listed = httpx.get(f"{server.base_url}/api/v1/net/uplifts", headers=bearer(dispatcher)).json()["uplifts"]
    assert body["id"] in [u["id"] for u in listed]
    # Another agency's dispatcher sees no uplift of police units; the network operator sees every one.
    fire = httpx.get(f"{server.base_url}/api/v1/net/uplifts", headers=bearer(token(server, "fire", Role.DISPATCHER)))
    assert body["id"] not in [u["id"] for u in fire.json()["uplifts"]]
    operator = httpx.get(f"{server.base_url}/api/v1/net/uplifts/{body['id']}",
                         headers=bearer(token(server, "police", Role.NETWORK_ADMIN)))
    assert operator.status_code == 200 and operator.json()["units"] == body["units"]


def test_a_field_officer_may_not_uplift(server: RunningServer, equipment: Equipment) -> None:
    answer = uplift(server, token(server, "police", Role.FIELD_OFFICER), units=["police/P-111"])
    assert answer.status_code == 403
    assert answer.json()["detail"].startswith("not allowed to uplift police/P-111: no role of police.field_officer")
    assert [e["units"] for e in audit(server, "qos.uplift_refused") if e["actor"] == "police.field_officer"] == [
        ["police/P-111"]]
    assert "police/P-111" not in units_of(equipment.latest())


def test_another_agency_needs_an_agreement_naming_qos(server: RunningServer, equipment: Equipment) -> None:
    fire = token(server, "fire", Role.DISPATCHER)
    refused = uplift(server, fire, units=["fire/E-7", "police/P-121", "police/P-122"])
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("not allowed to uplift police/P-121, police/P-122: ")
    grant = httpx.post(f"{server.base_url}/api/v1/sharing/agreements", headers=bearer(token(server, "police",
                                                                                              Role.ADMIN)),
                       json={"grantee": "fire", "resources": ["qos"]})
    assert grant.status_code == 201, grant.text
    try:
        allowed = uplift(server, fire, units=["fire/E-7", "police/P-121", "police/P-122"])
        assert allowed.status_code == 201, allowed.text
        assert allowed.json()["units"] == ["fire/E-7", "police/P-121", "police/P-122"]
        document = equipment.wait(lambda d: "police/P-122" in d["units"])
        assert units_of(document)["fire/E-7"]["uplift"] == allowed.json()["id"]
        # The grant is police's only: nemo's units stay refused, and the request with them is refused whole.
        mixed = uplift(server, fire, units=["fire/E-8", "nemo/N-1"])
        assert mixed.status_code == 403 and "nemo/N-1" in mixed.json()["detail"]
        assert "fire/E-8" not in units_of(equipment.latest())
    finally:
        grant_id = grant.json()["id"]
        httpx.delete(f"{server.base_url}/api/v1/sharing/agreements/{grant_id}",
                     headers=bearer(token(server, "police", Role.ADMIN)))


def test_an_uplift_expires_by_itself(server: RunningServer, clock: ManualClock, equipment: Equipment) -> None:
    answer = uplift(server, token(server, "police", Role.DISPATCHER), units=["police/P-131"], duration_s=60)
    assert answer.status_code == 201
    uplift_id, until = answer.json()["id"], answer.json()["until"]
    equipment.wait(lambda d: "police/P-131" in d["units"])
    clock.advance(59)
    server.server.qos.tick(clock.time())  # what the timer does each second: nothing is due yet
    assert not any(e["target"] == uplift_id for e in audit(server, "qos.uplift_expired"))
    clock.advance(1.5)
    document = equipment.wait(lambda d: d["ts"] >= until)  # the timer's round, on its own
    assert "police/P-131" not in units_of(document)
    [expired] = [e for e in audit(server, "qos.uplift_expired") if e["target"] == uplift_id]
    assert (expired["actor"], expired["units"]) == ("psn", ["police/P-131"])
    row = httpx.get(f"{server.base_url}/api/v1/net/uplifts/{uplift_id}",
                    headers=bearer(token(server, "police", Role.DISPATCHER))).json()
    assert (row["state"], row["ended"], row["end_reason"]) == ("expired", until, "expired")


def test_cancel(server: RunningServer, equipment: Equipment) -> None:
    dispatcher = token(server, "police", Role.DISPATCHER)
    uplift_id = uplift(server, dispatcher, units=["police/P-141"]).json()["id"]
    equipment.wait(lambda d: "police/P-141" in d["units"])
    url = f"{server.base_url}/api/v1/net/uplifts/{uplift_id}"
    assert httpx.delete(url, headers=bearer(token(server, "nemo", Role.DISPATCHER))).status_code == 404
    assert httpx.delete(url, headers=bearer(token(server, "police", Role.FIELD_OFFICER))).status_code == 403
    # The network operator sees every uplift but manages none: refused, and audited.
    assert httpx.delete(url, headers=bearer(token(server, "police", Role.NETWORK_ADMIN))).status_code == 403
    assert [(e["actor"], e["units"]) for e in audit(server, "qos.uplift_cancel_refused") if e["target"] == uplift_id] \
        == [("police.network_admin", ["police/P-141"])]
    answer = httpx.delete(url, headers=bearer(dispatcher))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["state"], answer.json()["end_reason"]) == ("cancelled", "cancelled by police.dispatcher")
    equipment.wait(lambda d: "police/P-141" not in d["units"])
    assert [e["actor"] for e in audit(server, "qos.uplift_cancelled") if e["target"] == uplift_id] == [
        "police.dispatcher"]
    assert httpx.delete(url, headers=bearer(dispatcher)).status_code == 409
    active = httpx.get(f"{server.base_url}/api/v1/net/uplifts?state=active", headers=bearer(dispatcher)).json()
    assert uplift_id not in [u["id"] for u in active["uplifts"]]
    every = httpx.get(f"{server.base_url}/api/v1/net/uplifts?state=all", headers=bearer(dispatcher)).json()
    assert [u["state"] for u in every["uplifts"] if u["id"] == uplift_id] == ["cancelled"]


def test_an_incident_uplifts_the_units_assigned_to_it_now(server: RunningServer, clock: ManualClock,
                                                          equipment: Equipment) -> None:
    for unit in ("P-151", "P-152"):  # dispatch sends only units that have reported
        publish_fix(server.mqtt_url, "police", unit, 17.5, -88.2, ts=clock.time())
    wait_for(lambda: server.server.state.get("police/P-151") and server.server.state.get("police/P-152"))
    dispatcher = token(server, "police", Role.DISPATCHER)
    incident = new_incident(server, dispatcher)
    assert uplift(server, dispatcher, incident=incident).status_code == 409  # nobody on it yet
    assign(server, dispatcher, incident, "police/P-152", "police/P-151")
    answer = uplift(server, dispatcher, incident=incident)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["units"], answer.json()["incident"]) == (["police/P-151", "police/P-152"], incident)
    equipment.wait(lambda d: {"police/P-151", "police/P-152"} <= set(d["units"]))
    # Another agency's dispatcher cannot see the incident: answered as an unknown one, and audited.
    assert uplift(server, token(server, "nemo", Role.DISPATCHER), incident=incident).status_code == 404
    assert any(e["actor"] == "nemo.dispatcher" and e["target"] == incident
               for e in audit(server, "qos.uplift_refused"))
    both = uplift(server, dispatcher, incident=incident, units=["police/P-151"])
    assert both.status_code == 422 and "either" in both.json()["detail"]


def test_live_video_gets_its_rate_in_the_policy(server: RunningServer, equipment: Equipment) -> None:
    bus = server.server.bus
    bus.publish(StreamStarted("police:P-161", "police/P-161"))
    bus.publish(StreamStarted("police:P-161:dash", "police/P-161"))
    equipment.wait(lambda d: d["units"].get("police/P-161") == {"video_ul_mbps": 2.16})
    bus.publish(StreamEnded("police:P-161", "police/P-161"))
    equipment.wait(lambda d: d["units"].get("police/P-161") == {"video_ul_mbps": 1.08})
    bus.publish(StreamEnded("police:P-161:dash", "police/P-161"))
    equipment.wait(lambda d: "police/P-161" not in d["units"])


def test_live_video_held_by_another_instance_gets_its_rate_too(server: RunningServer, equipment: Equipment) -> None:
    """Several instances: the stream lives on instance "b" (the peer channel delivers its events with `origin`),
    and this instance, holding the policy job, gives the unit its video rate all the same."""
    bus = server.server.bus
    bus.publish(StreamStarted("police:P-162", "police/P-162", origin="b"))
    equipment.wait(lambda d: d["units"].get("police/P-162") == {"video_ul_mbps": 1.08})
    bus.publish(StreamEnded("police:P-162", "police/P-162", origin="b"))
    equipment.wait(lambda d: "police/P-162" not in d["units"])


def test_uplift_rows_go_live_to_who_may_view_them(server: RunningServer) -> None:
    dispatcher = token(server, "police", Role.DISPATCHER)
    with consoles(server, police=dispatcher, fire=token(server, "fire", Role.DISPATCHER)) as seen:
        uplift_id = uplift(server, dispatcher, units=["police/P-171"]).json()["id"]
        settle(server, seen["police"], seen["fire"])
        assert [e["uplift"]["id"] for e in seen["police"].of("net_uplift")] == [uplift_id]
        assert seen["fire"].of("net_uplift") == []


def test_an_uplift_names_to_each_viewer_only_the_units_it_may_see(server: RunningServer) -> None:
    police, netops = token(server, "police", Role.DISPATCHER), token(server, "police", Role.NETWORK_ADMIN)
    fire_admin = token(server, "fire", Role.ADMIN)

    def listed(who: str, uplift_id: str) -> list[list[str]]:
        rows = httpx.get(f"{server.base_url}/api/v1/net/uplifts?state=all", headers=bearer(who)).json()["uplifts"]
        return [u["units"] for u in rows if u["id"] == uplift_id]

    def one(who: str, uplift_id: str) -> httpx.Response:
        return httpx.get(f"{server.base_url}/api/v1/net/uplifts/{uplift_id}", headers=bearer(who))

    def live(console: Any, uplift_id: str) -> list[list[str]]:
        return [e["uplift"]["units"] for e in console.of("net_uplift") if e["uplift"]["id"] == uplift_id]

    grant = None
    with consoles(server, police=police, netops=netops, fire_admin=fire_admin) as seen:
        own = uplift(server, police, units=["police/P-191"], reason="pursuit on the Western Highway").json()["id"]
        # Another agency's admin views the network's cells and alarms, not police's QoS: nothing of this uplift.
        settle(server, seen["police"], seen["netops"], seen["fire_admin"])
        assert (listed(fire_admin, own), one(fire_admin, own).status_code, live(seen["fire_admin"], own)) == (
            [], 404, [])
        assert listed(netops, own) == live(seen["netops"], own) == [["police/P-191"]]
        grant = httpx.post(f"{server.base_url}/api/v1/sharing/agreements",
                           headers=bearer(token(server, "police", Role.ADMIN)), json={"grantee": "fire",
                                                                                        "resources": ["qos"]})
        assert grant.status_code == 201, grant.text
        try:
            mixed = uplift(server, token(server, "fire", Role.DISPATCHER), units=["fire/E-19", "police/P-192"])
            assert mixed.status_code == 201, mixed.text
            mixed_id = mixed.json()["id"]
            settle(server, seen["police"], seen["netops"], seen["fire_admin"])
        finally:
            httpx.delete(f"{server.base_url}/api/v1/sharing/agreements/{grant.json()['id']}",
                         headers=bearer(token(server, "police", Role.ADMIN)))
    # Police sees its own unit in fire's uplift, and no more of fire's than that there is one.
    assert listed(police, mixed_id) == live(seen["police"], mixed_id) == [["fire/…", "police/P-192"]]
    assert one(police, mixed_id).json()["units"] == ["fire/…", "police/P-192"]
    assert listed(netops, mixed_id) == live(seen["netops"], mixed_id) == [["fire/E-19", "police/P-192"]]
    assert live(seen["fire_admin"], mixed_id) == [["fire/E-19", "police/P-192"]]  # under police's grant then


def test_sharing_units_does_not_share_their_uplifts(server: RunningServer) -> None:
    """An agreement naming units (not QoS) shows the owner's units to the grantee, not the owner's uplifts, their
    reasons and who asked (docs/network.md: those with a unit of an agency whose QoS the caller may view)."""
    police = token(server, "police", Role.DISPATCHER)
    fire_admin = token(server, "fire", Role.ADMIN)
    grant = httpx.post(f"{server.base_url}/api/v1/sharing/agreements", headers=bearer(fire_admin),
                       json={"grantee": "police", "resources": ["unit", "track"]})
    assert grant.status_code == 201, grant.text
    try:
        with consoles(server, police=police) as seen:
            asked = uplift(server, token(server, "fire", Role.DISPATCHER), units=["fire/E-31"],
                           reason="warehouse fire, crews inside")
            assert asked.status_code == 201, asked.text
            fires = asked.json()["id"]
            ours = uplift(server, police, units=["police/P-131"]).json()["id"]  # marks the feed as settled
            wait_for(lambda: any(e["uplift"]["id"] == ours for e in seen["police"].of("net_uplift")))
            rows = httpx.get(f"{server.base_url}/api/v1/net/uplifts?state=all", headers=bearer(police)).json()
            assert [u["id"] for u in rows["uplifts"] if u["id"] == fires] == []
            assert httpx.get(f"{server.base_url}/api/v1/net/uplifts/{fires}", headers=bearer(police)).status_code == 404
            assert [e for e in seen["police"].of("net_uplift") if e["uplift"]["id"] == fires] == []
    finally:
        httpx.delete(f"{server.base_url}/api/v1/sharing/agreements/{grant.json()['id']}", headers=bearer(fire_admin))


def test_profiles(server: RunningServer, equipment: Equipment) -> None:
    url = f"{server.base_url}/api/v1/net/qos/profiles"
    dispatcher, admin = token(server, "police", Role.DISPATCHER), token(server, "police", Role.NETWORK_ADMIN)
    assert httpx.get(url, headers=bearer(dispatcher)).status_code == 200
    assert httpx.get(url, headers=bearer(token(server, "police", Role.FIELD_OFFICER))).status_code == 403
    current = httpx.get(url, headers=bearer(admin)).json()
    assert [q["qci"] for q in current["qcis"]] == [65, 66, 67, 69, 70]
    wanted = {"agencies": {**current["agencies"], "nemo": {"qci": 70, "video_qci": 67, "voice_qci": 66, "arp": 7,
                                                           "pci": False, "pvi": True}},
              "default": current["default"]}
    assert httpx.put(url, json=wanted, headers=bearer(dispatcher)).status_code == 403
    answer = httpx.put(url, json=wanted, headers=bearer(admin))
    assert answer.status_code == 200, answer.text
    assert answer.json()["agencies"]["nemo"]["arp"] == 7
    equipment.wait(lambda d: d["agencies"].get("nemo", {}).get("arp") == 7)
    assert [e["after"]["agencies"]["nemo"]["voice_qci"] for e in audit(server, "qos.profiles_changed")] == [66]
    reserved = {**wanted, "default": {**wanted["default"], "arp": 2}}
    refused = httpx.put(url, json=reserved, headers=bearer(admin))
    assert (refused.status_code, refused.json()["detail"]) == (422, "default.arp: levels 1–2 are reserved for uplifts")



def test_a_small_agency_sees_its_older_uplifts_under_many_of_others(server: RunningServer, clock: ManualClock) -> None:
    from psn.store.net_qos_schema import qos_uplifts

    nemo = token(server, "nemo", Role.DISPATCHER)
    own = uplift(server, nemo, units=["nemo/N-201"], reason="flood shelter convoy").json()["id"]
    t = clock.time()
    with server.server.db.engine.begin() as conn:  # then 1,200 of police's (more than a history read returns)
        conn.execute(qos_uplifts.insert(), [
            {"units": f"police/P-{i}", "reason": "patrol", "requested_by": "police.dispatcher", "started": t + i,
             "until": t + i + 60, "ended": t + i + 60, "end_reason": "expired"} for i in range(1, 1201)])
    rows = httpx.get(f"{server.base_url}/api/v1/net/uplifts?state=all", headers=bearer(nemo)).json()["uplifts"]
    assert own in [u["id"] for u in rows]
    assert {u["units"][0].split("/")[0] for u in rows} == {"nemo"}
    police = httpx.get(f"{server.base_url}/api/v1/net/uplifts?state=all",
                       headers=bearer(token(server, "police", Role.DISPATCHER))).json()["uplifts"]
    assert len(police) == 1000 and police[-1]["units"] == ["police/P-1200"]  # the newest 1,000, oldest first
