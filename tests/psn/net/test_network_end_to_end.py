"""Issue 12 end to end: `psn sim network` plays the LTE network over a real Mosquitto for a real psn. Fire crews'
live video fills cell BZE-PMD-2 (the equipment's background load); two police units at an incident there start
their body cams (real WHIP streams into psn, which puts their video bearers in the network policy) and the cell
refuses them; a police dispatcher uplifts "all units assigned to the incident" over REST; psn's stored KPIs and
link reports then show the units' uplink throughput up and fire bearers pre-empted; the uplift expires by itself
and the units are back at their agency's ARP; the audit log holds every step with who and why.

Expectations come from the contract, not from the code: police's standing profile is ARP 6, an uplift is ARP 1
(docs/network.md), a live stream asks 1.08 Mbit/s (qos_video_ul_mbps, 720p) and each unit's data bearer 0.05."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from psn.access import Role
from tests.psn.cad.incidents_http import assign, new_incident
from tests.psn.net.network_support import FieldUnits, Network, near_pmd, network
from tests.psn.net.qos_support import audit, bearer, token
from tests.support import wait_for

CELL = "BZE-PMD-2"
INCIDENT_UNITS = ("police/P-1", "police/P-2")
BYSTANDER = "police/P-3"  # in the same cell, not on the incident: never uplifted
POLICE_ARP, UPLIFT_ARP = 6, 1
VIDEO_MBPS, DATA_MBPS = 1.08, 0.05
UPLIFT_S = 12.0
REASON = "armed robbery in progress, live video needed"
SCENE = near_pmd(130, 300)  # 300 m into sector 2 of BZE-PMD
# 20 fire body cams at the same equal priority as police (ARP 6, pre-emptable, not pre-empting), established
# before psn's units: about 16 fit under the 90 % GBR ceiling, so the cell is full when police video asks.
FIRE_CREWS = {"name": "fire streams at the scene", "groups": [
    {"name": "fire-video", "org": "fire", "count": 20, "spread_m": 60, "points": [[SCENE[1], SCENE[0]]],
     "bearers": [{"qci": 67, "direction": "ul", "rate_mbps": VIDEO_MBPS, "arp": 6, "may_preempt": False,
                  "preemptable": True}]}]}


def kpi_sums(net: Network, who: str, since: float) -> dict[str, int]:
    """The cell's rejected and pre-empted bearers in psn's stored KPIs since `since`."""
    points = net.get(f"/api/v1/net/cells/{CELL}/kpi", who, step=5, **{"from": since})["points"]
    return {key: sum(p[key] for p in points) for key in ("bearers_rejected", "bearers_preempted")}


def served(links: dict[str, dict[str, Any]], units: tuple[str, ...], after: float) -> dict[str, dict[str, Any]]:
    """The units' links if every one was reported after `after` from the cell, else {}."""
    got = {u: k for u in units if (k := links.get(u)) is not None and k["ts"] > after and k["cell"] == CELL}
    return got if len(got) == len(units) else {}


def test_an_incidents_units_uplifted_through_a_congested_cell_then_restored(tmp_path: Path) -> None:
    with network(tmp_path, period_s=1.0, load=FIRE_CREWS, qos_uplift_min_s=5.0) as net:
        units = {"police/P-1": near_pmd(128, 310), "police/P-2": near_pmd(132, 290), BYSTANDER: near_pmd(130, 320)}
        field_units = FieldUnits(net.broker.url, units)
        try:
            run(net)
        finally:
            field_units.close()


def run(net: Network) -> None:
    psn = net.psn
    dispatcher = token(psn, "police", Role.DISPATCHER)
    netops = token(psn, "nemo", Role.NETWORK_ADMIN)
    everyone = (*INCIDENT_UNITS, BYSTANDER)
    start = psn.server.clock.time()
    wait_for(lambda: served(net.links(dispatcher), everyone, start), timeout=30)

    # The incident's units stream: psn learns it from the WHIP sessions, the equipment from psn's policy. The
    # fire streams the cell refused were refused in its first period, counted then and not again.
    streaming = psn.server.clock.time()
    for unit_id in INCIDENT_UNITS:
        net.body_cam(*unit_id.split("/"))
    wait_for(lambda: {u["id"] for u in psn.units().values() if u["video"]} == set(INCIDENT_UNITS), timeout=30)
    # The full cell refuses both video bearers (equal ARP, the fire streams were there first).
    wait_for(lambda: kpi_sums(net, netops, streaming)["bearers_rejected"] >= 2, timeout=20)
    refused = psn.server.clock.time()
    before = wait_for(lambda: served(net.links(dispatcher), everyone, refused))
    for unit_id in everyone:
        assert (before[unit_id]["arp"], before[unit_id]["uplifted"]) == (POLICE_ARP, False), before[unit_id]
        assert before[unit_id]["ul_mbps"] <= DATA_MBPS  # its data bearer only: no room for the video

    incident = new_incident(net.psn, dispatcher, "robbery", *SCENE)
    assign(net.psn, dispatcher, incident, *INCIDENT_UNITS)
    asked = httpx.post(f"{psn.base_url}/api/v1/net/uplifts", headers=bearer(dispatcher),
                       json={"incident": incident, "reason": REASON, "duration_s": UPLIFT_S})
    assert asked.status_code == 201, asked.text
    uplift = asked.json()
    assert (uplift["units"], uplift["incident"], uplift["arp"]) == (list(INCIDENT_UNITS), incident, UPLIFT_ARP)

    def lifted() -> dict[str, dict[str, Any]]:
        links = served(net.links(dispatcher), everyone, uplift["started"])
        return links if links and all(links[u]["uplifted"] for u in INCIDENT_UNITS) else {}

    during = wait_for(lifted, timeout=UPLIFT_S)
    for unit_id in INCIDENT_UNITS:
        assert during[unit_id]["arp"] == UPLIFT_ARP
        assert during[unit_id]["ul_mbps"] >= VIDEO_MBPS  # the video bearer now carried, beside the data
    assert (during[BYSTANDER]["arp"], during[BYSTANDER]["uplifted"]) == (POLICE_ARP, False)
    # The fire streams the police video displaced, in the cell's stored KPIs and as an alarm on the cell.
    assert wait_for(lambda: kpi_sums(net, netops, uplift["started"])["bearers_preempted"], timeout=10) >= 1
    wait_for(lambda: any(a["kind"] == "preempted" and a["target"] == CELL
                         for a in net.get("/api/v1/net/alarms", netops, state="all")["alarms"]))

    # Expiry: psn's timer ends it at `until` and says so in its policy; the equipment drops the priority.
    ended = wait_for(lambda: (row := net.get(f"/api/v1/net/uplifts/{uplift['id']}", dispatcher))["ended"]
                     is not None and row, timeout=UPLIFT_S + 10)
    assert (ended["state"], ended["ended"], ended["end_reason"]) == ("expired", uplift["until"], "expired")
    after = wait_for(lambda: served(net.links(dispatcher), everyone, uplift["until"] + 1))
    for unit_id in everyone:
        assert (after[unit_id]["arp"], after[unit_id]["uplifted"]) == (POLICE_ARP, False), after[unit_id]

    psn.server.audit.checkpoint()
    [requested] = [e for e in audit(psn, "qos.uplift_requested") if e["target"] == incident]
    assert (requested["actor"], requested["reason"], requested["duration_s"]) == ("police.dispatcher", REASON,
                                                                                  UPLIFT_S)
    [started] = [e for e in audit(psn, "qos.uplift_started") if e["target"] == uplift["id"]]
    assert (started["actor"], started["units"], started["incident"], started["reason"], started["until"]) == (
        "police.dispatcher", list(INCIDENT_UNITS), incident, REASON, uplift["until"])
    [expired] = [e for e in audit(psn, "qos.uplift_expired") if e["target"] == uplift["id"]]
    assert (expired["actor"], expired["units"], expired["requested_by"]) == ("psn", list(INCIDENT_UNITS),
                                                                            "police.dispatcher")
