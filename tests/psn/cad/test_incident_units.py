"""Units' board changes on an incident go on its timeline (and into its share: partners see the units on it);
live `incident` events reach only who may view the incident, over the real WebSocket."""

from __future__ import annotations

import json
from typing import Any

import httpx
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from psn.clock import ManualClock
from tests.psn.cad.conftest import T0
from tests.support import RunningServer, wait_for

FLOOD = {"type": "flood", "priority": 2, "lat": 17.5046, "lon": -88.1962, "notes": "river over the bridge"}


def create(server: RunningServer, agency: str, body: dict[str, Any]) -> str:
    answer = httpx.post(f"{server.base_url}/api/v1/incidents", json=body,
                        headers={"Authorization": f"Bearer {server.token(agency)}"})
    assert answer.status_code == 201
    return str(answer.json()["id"])


def next_incident_event(ws: Connection) -> dict[str, Any]:
    while True:
        message = json.loads(ws.recv(timeout=5))
        if message["type"] == "incident":
            return dict(message)


def test_board_changes_go_on_the_timeline_and_the_share(server: RunningServer, clock: ManualClock) -> None:
    incident = create(server, "police", {**FLOOD, "type": "robbery", "partners": ["nemo"]})
    board, book = server.server.cad.board, server.server.cad.incidents
    board.change("police/P-7", "dispatched", T0 + 30, actor="police.test", via="console", incident=incident)
    board.change("police/P-7", "en_route", T0 + 45, actor="police/P-7", via="mqtt")
    found = wait_for(lambda: (i := book.get(incident)) is not None and len(i.timeline) == 3 and i)
    assert [(e.ts, e.actor, e.what.value, dict(e.details)) for e in found.timeline[1:]] == [
        (T0 + 30, "police.test", "unit_status", {"unit": "police/P-7", "state": "dispatched"}),
        (T0 + 45, "police/P-7", "unit_status", {"unit": "police/P-7", "state": "en_route"}),
    ]
    share = {s.incident: s for s in server.server.sharing.snapshot.incidents}[incident]
    assert (share.partners, share.units) == (frozenset({"nemo"}), frozenset({"police/P-7"}))
    board.change("police/P-7", "available", T0 + 90, actor="police.test", via="console")
    wait_for(lambda: book.get(incident).units == frozenset())  # type: ignore[union-attr]


def test_a_change_naming_an_unknown_incident_is_counted_not_raised(server: RunningServer) -> None:
    board, book = server.server.cad.board, server.server.cad.incidents
    board.change("police/P-9", "dispatched", T0, actor="police.test", via="console", incident="police-00404")
    wait_for(lambda: book.refused["unknown_incident"] == 1)
    incident = create(server, "police", FLOOD)
    httpx.post(f"{server.base_url}/api/v1/incidents/{incident}/close", json={"disposition": "gone"},
               headers={"Authorization": f"Bearer {server.token('police')}"})
    board.change("police/P-8", "dispatched", T0, actor="police.test", via="console", incident=incident)
    wait_for(lambda: book.refused["incident_closed"] == 1)
    # The bus subscriber survived both: a later change still lands.
    other = create(server, "police", FLOOD)
    board.change("police/P-8", "en_route", T0 + 5, actor="police.test", via="console", incident=other)
    wait_for(lambda: len(book.get(other).timeline) == 2)  # type: ignore[union-attr]


def test_live_incident_events_reach_only_who_may_view(server: RunningServer) -> None:
    police, nemo = server.token("police"), server.token("nemo")
    with connect(f"{server.ws_url}/api/v1/live?access_token={police}") as p_ws, \
            connect(f"{server.ws_url}/api/v1/live?access_token={nemo}") as n_ws:
        assert json.loads(p_ws.recv(timeout=5))["type"] == "snapshot"
        assert json.loads(n_ws.recv(timeout=5))["type"] == "snapshot"
        police_incident = create(server, "police", FLOOD)
        seen = next_incident_event(p_ws)
        assert (seen["incident"]["id"], seen["incident"]["state"]) == (police_incident, "open")
        nemo_incident = create(server, "nemo", FLOOD)
        # NEMO's first incident event is its own: the police one never reached it.
        assert next_incident_event(n_ws)["incident"]["id"] == nemo_incident
        httpx.put(f"{server.base_url}/api/v1/incidents/{police_incident}/partners/nemo",
                  headers={"Authorization": f"Bearer {police}"})
        shared = next_incident_event(n_ws)["incident"]
        assert (shared["id"], shared["partners"]) == (police_incident, ["nemo"])
        assert next_incident_event(p_ws)["incident"]["id"] == police_incident  # police's own change
        # Closed by its owner: the partner hears it (its grant ends with the close), and so does a removed one.
        closed = httpx.post(f"{server.base_url}/api/v1/incidents/{police_incident}/close",
                            headers={"Authorization": f"Bearer {police}"}, json={"disposition": "water gone"})
        assert closed.status_code == 200, closed.text
        last = next_incident_event(n_ws)["incident"]
        assert (last["id"], last["state"]) == (police_incident, "closed")
        other = create(server, "police", FLOOD)
        for change in ("PUT", "DELETE"):
            httpx.request(change, f"{server.base_url}/api/v1/incidents/{other}/partners/nemo",
                          headers={"Authorization": f"Bearer {police}"})
            assert next_incident_event(n_ws)["incident"]["partners"] == (["nemo"] if change == "PUT" else [])
