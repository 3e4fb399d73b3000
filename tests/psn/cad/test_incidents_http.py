"""Incidents over HTTP on a real psn: create, read, list, change, close, reopen with exact JSON; partners and
who sees what; notes sealed at rest; the timeline in the audit log; bad input refused with nothing written."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from psn.access import Role
from psn.clock import ManualClock
from psn.store.schema import incident_shares, incident_timeline, incidents
from tests.psn.cad.conftest import T0
from tests.support import Mosquitto, RunningServer, make_settings

NOTES = "Caller Maria Q. says two men with a machete, blue pickup plate BZ-4471"
ROBBERY = {"type": "robbery", "priority": 2, "lat": 17.5046, "lon": -88.1962, "address": "12 Albert St",
           "notes": NOTES}


def call(server: RunningServer, method: str, path: str, agency: str = "police", body: Any = None,
         role: Role = Role.DISPATCHER) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.token(agency, role)}"}
    return httpx.request(method, f"{server.base_url}{path}", headers=headers, json=body)


def rows(server: RunningServer) -> tuple[int, int]:
    with server.server.db.engine.connect() as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(incidents)).scalar_one(),
                conn.execute(sa.select(sa.func.count()).select_from(incident_timeline)).scalar_one())


def test_create_read_list_patch_close_reopen(server: RunningServer, clock: ManualClock) -> None:
    created = call(server, "POST", "/api/v1/incidents", body=ROBBERY)
    assert created.status_code == 201
    expected = {"id": "police-00001", "type": "robbery", "priority": 2, "lat": 17.5046, "lon": -88.1962,
                "address": "12 Albert St", "place": None, "notes": NOTES, "owner": "police", "partners": [],
                "state": "open", "units": [], "opened": T0, "updated": T0}
    assert created.json() == expected
    clock.advance(60)
    patched = call(server, "PATCH", "/api/v1/incidents/police-00001", body={"priority": 1, "notes": "Two men."})
    assert patched.json() == {**expected, "priority": 1, "notes": "Two men.", "updated": T0 + 60}
    clock.advance(60)
    closed = call(server, "POST", "/api/v1/incidents/police-00001/close", body={"disposition": "arrest made"})
    assert closed.json() == {**expected, "priority": 1, "notes": "Two men.", "state": "closed",
                             "updated": T0 + 120}
    assert call(server, "GET", "/api/v1/incidents").json() == {"incidents": []}
    assert [i["id"] for i in call(server, "GET", "/api/v1/incidents?state=closed").json()["incidents"]] == [
        "police-00001"]
    clock.advance(30)
    reopened = call(server, "POST", "/api/v1/incidents/police-00001/reopen", body={"reason": "suspect fled"})
    assert reopened.json()["state"] == "open"
    one = call(server, "GET", "/api/v1/incidents/police-00001").json()
    user = "police.dispatcher"
    assert one["timeline"] == [
        {"ts": T0, "actor": user, "what": "created",
         "details": {"type": "robbery", "priority": 2, "lat": 17.5046, "lon": -88.1962, "owner": "police",
                     "partners": "", "notes_bytes": len(NOTES.encode())}},
        {"ts": T0 + 60, "actor": user, "what": "updated",
         "details": {"priority": "2 → 1", "notes_bytes": f"{len(NOTES.encode())} → 8"}},
        {"ts": T0 + 120, "actor": user, "what": "closed",
         "details": {"disposition": "arrest made", "units_cleared": ""}},
        {"ts": T0 + 150, "actor": user, "what": "reopened", "details": {"reason": "suspect fled"}},
    ]


def test_list_is_most_urgent_then_oldest(server: RunningServer, clock: ManualClock) -> None:
    for priority in (3, 1, 3, 2):
        assert call(server, "POST", "/api/v1/incidents", body={**ROBBERY, "priority": priority}).status_code == 201
        clock.advance(10)
    listed = call(server, "GET", "/api/v1/incidents").json()["incidents"]
    assert [(i["id"], i["priority"]) for i in listed] == [
        ("police-00002", 1), ("police-00004", 2), ("police-00001", 3), ("police-00003", 3)]


def test_a_list_holds_only_the_most_recently_opened_closed_ones(server: RunningServer, clock: ManualClock,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("psn.api.cad.incidents.CLOSED_LISTED", 2)
    for priority in (1, 2, 3, 4):
        assert call(server, "POST", "/api/v1/incidents", body={**ROBBERY, "priority": priority}).status_code == 201
        clock.advance(10)
    for n in (1, 2, 3):
        closing = call(server, "POST", f"/api/v1/incidents/police-0000{n}/close", body={"disposition": "done"})
        assert closing.status_code == 200, closing.text

    def listed(state: str) -> list[str]:
        return [i["id"] for i in call(server, "GET", f"/api/v1/incidents?state={state}").json()["incidents"]]

    assert listed("closed") == ["police-00002", "police-00003"]  # police-00001, opened first, left off
    assert listed("all") == ["police-00002", "police-00003", "police-00004"]
    assert listed("open") == ["police-00004"]


def test_a_place_name_gives_the_position(server: RunningServer) -> None:
    body = {"type": "flood", "priority": 2, "place": "ladyville", "notes": "water in the houses"}
    created = call(server, "POST", "/api/v1/incidents", "nemo", body).json()
    # places.geojson: Ladyville at (17.557, -88.2987), the OSM outline's centroid.
    assert (created["id"], created["lat"], created["lon"], created["place"]) == (
        "nemo-00001", 17.557, -88.2987, "ladyville")
    unknown = call(server, "POST", "/api/v1/incidents", "nemo", {**body, "place": "Belmopn"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == "place: no Belize place 'Belmopn'; did you mean Belmopan?"


def test_partners_see_and_read_notes_but_never_manage(server: RunningServer) -> None:
    call(server, "POST", "/api/v1/incidents", body=ROBBERY)
    path = "/api/v1/incidents/police-00001"
    assert call(server, "GET", path, "nemo").status_code == 404  # not even that it exists
    assert call(server, "GET", "/api/v1/incidents", "nemo").json() == {"incidents": []}
    assert call(server, "PATCH", path, "nemo", {"priority": 1}).status_code == 404
    assert call(server, "PUT", f"{path}/partners/nemo").json()["partners"] == ["nemo"]
    seen = call(server, "GET", path, "nemo")
    assert seen.status_code == 200 and seen.json()["notes"] == NOTES
    refused = call(server, "PATCH", path, "nemo", {"priority": 1})
    assert refused.status_code == 403 and "not shareable for manage" in refused.json()["detail"]
    assert call(server, "POST", f"{path}/close", "nemo", {"disposition": "x"}).status_code == 403
    assert call(server, "GET", path, "fire").status_code == 404
    assert call(server, "PUT", f"{path}/partners/nemo").status_code == 409  # already a partner
    assert call(server, "DELETE", f"{path}/partners/nemo").json()["partners"] == []
    assert call(server, "GET", path, "nemo").status_code == 404
    share = {s.incident: s for s in server.server.sharing.snapshot.incidents}["police-00001"]
    assert (share.owner, share.partners, share.open) == ("police", frozenset(), True)
    officer = call(server, "GET", path, role=Role.FIELD_OFFICER)
    assert officer.status_code == 200
    assert call(server, "PATCH", path, body={"priority": 1}, role=Role.FIELD_OFFICER).status_code == 403


def test_notes_and_address_are_sealed_at_rest(server: RunningServer) -> None:
    call(server, "POST", "/api/v1/incidents", body=ROBBERY)
    with server.server.db.engine.connect() as conn:
        row = conn.execute(sa.select(incidents)).one()
    assert (row.notes, row.address) == (None, None)
    assert row.sealed_notes and row.key_id and NOTES.encode() not in row.sealed_notes
    server.server.db.engine.dispose()  # the WAL checkpointed into the file: every byte written is on disk
    data = b"".join(p.read_bytes() for p in server.settings.data_dir.glob("*.db*"))
    assert data and b"machete" not in data and b"Albert St" not in data
    # Restart-equivalent: a new book reads the row back through the keyring.
    [loaded] = server.server.cad.incidents.store.load()
    assert (loaded.notes, loaded.address) == (NOTES, "12 Albert St")


def test_the_timeline_is_audited_without_the_callers_text(server: RunningServer) -> None:
    call(server, "POST", "/api/v1/incidents", body=ROBBERY)
    call(server, "PATCH", "/api/v1/incidents/police-00001", body={"address": "14 Albert St"})
    call(server, "GET", "/api/v1/incidents/police-00001")
    call(server, "GET", "/api/v1/incidents")
    log = (server.settings.data_dir / "audit" / "audit.jsonl").read_text()
    entries = [json.loads(line)["entry"] for line in log.splitlines() if line.startswith('{"entry"')]
    mine = [(e["action"], e["target"], e["detail"]) for e in entries if e["target"] == "police-00001"]
    assert mine == [
        ("incident.created", "police-00001", {"type": "robbery", "priority": 2, "lat": 17.5046, "lon": -88.1962,
                                              "owner": "police", "partners": "", "notes_bytes": len(NOTES)}),
        ("incident.updated", "police-00001", {"address": "changed"}),
        ("incident.view", "police-00001", {"agency": "police"}),
    ]
    listed = [(e["action"], e["detail"]) for e in entries if e["target"] == "list"]
    assert listed == [("incident.view", {"agency": "police", "incidents": "police-00001"})]
    assert "machete" not in log and "Albert St" not in log


def test_two_creates_at_once_get_two_ids(server: RunningServer) -> None:
    results: list[str] = []

    def create() -> None:
        results.append(call(server, "POST", "/api/v1/incidents", body=ROBBERY).json()["id"])

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [f"police-{n:05d}" for n in range(1, 9)]


BAD = [
    ({**ROBBERY, "type": "burglary"}, 422),
    ({**ROBBERY, "priority": 0}, 422),
    ({**ROBBERY, "priority": 5}, 422),
    ({**ROBBERY, "priority": "1"}, 422),
    ({**ROBBERY, "priority": True}, 422),
    ({**ROBBERY, "lat": 91}, 422),
    ({**ROBBERY, "lat": None}, 422),  # lon alone
    ({**ROBBERY, "notes": "x" * 4097}, 422),
    ({**ROBBERY, "notes": "é" * 2049}, 422),  # 4098 bytes in 2049 characters
    ({**ROBBERY, "notes": ""}, 422),
    ({**ROBBERY, "partners": ["atlantis"]}, 422),
    ({**ROBBERY, "partners": ["police"]}, 409),  # the owner is no partner of its own
    ({**ROBBERY, "colour": "red"}, 422),
]


@pytest.mark.parametrize(("body", "status"), BAD)
def test_bad_input_is_refused_and_nothing_is_written(server: RunningServer, body: dict[str, Any],
                                                     status: int) -> None:
    answer = call(server, "POST", "/api/v1/incidents", body=body)
    assert answer.status_code == status and answer.json()["detail"]
    assert rows(server) == (0, 0)
    assert server.server.sharing.snapshot.incidents == ()


def test_bad_changes_are_refused_and_nothing_is_written(server: RunningServer) -> None:
    call(server, "POST", "/api/v1/incidents", body=ROBBERY)
    path = "/api/v1/incidents/police-00001"
    assert call(server, "PATCH", path, body={"priority": 9}).status_code == 422
    assert call(server, "PATCH", path, body={"priority": 2}).status_code == 409  # changes nothing
    assert call(server, "PATCH", path, body={}).status_code == 422
    assert call(server, "GET", "/api/v1/incidents/police-00077").status_code == 404
    assert call(server, "POST", f"{path}/reopen", body={"reason": "x"}).status_code == 409  # it is open
    assert call(server, "POST", f"{path}/close", body={"disposition": "done"}).status_code == 200
    again = call(server, "POST", f"{path}/close", body={"disposition": "done"})
    assert again.status_code == 409 and "already closed" in again.json()["detail"]
    assert call(server, "PATCH", path, body={"priority": 1}).status_code == 409
    assert call(server, "PUT", f"{path}/partners/atlantis").status_code == 404
    assert rows(server) == (1, 2)  # created and closed, nothing else


def test_incidents_survive_a_restart(tmp_path: Path, mosquitto: Mosquitto) -> None:
    first = RunningServer(make_settings(tmp_path, mosquitto.url)).start()
    try:
        call(first, "POST", "/api/v1/incidents", body={**ROBBERY, "partners": ["nemo"]})
        before = call(first, "GET", "/api/v1/incidents/police-00001").json()
    finally:
        first.stop()
    with first.server.db.engine.begin() as conn:  # as if psn died between the incident's write and its share's
        conn.execute(incident_shares.delete())
    second = RunningServer(make_settings(tmp_path, mosquitto.url)).start()
    try:
        assert call(second, "GET", "/api/v1/incidents/police-00001").json() == before
        assert call(second, "GET", "/api/v1/incidents/police-00001", "nemo").status_code == 200  # share restored
        assert call(second, "POST", "/api/v1/incidents", body=ROBBERY).json()["id"] == "police-00002"
    finally:
        second.stop()


CHANGES = [
    ("PATCH", "", {"lat": 91}, 422),
    ("PATCH", "", {"lon": -180.5}, 422),
    ("PATCH", "", {"type": None}, 422),
    ("PATCH", "", {"type": "burglary"}, 422),
    ("PATCH", "", {"priority": True}, 422),
    ("PATCH", "", {"notes": "é" * 2049}, 422),
    ("PATCH", "", {"notes": "   "}, 422),
    ("PATCH", "", {"colour": "red"}, 422),
    ("PATCH", "", [1, 2], 422),
    ("POST", "/close", {}, 422),
    ("POST", "/close", {"disposition": ""}, 422),
    ("POST", "/close", {"disposition": "x" * 201}, 422),
    ("POST", "/reopen", {"reason": 5}, 422),
    ("PUT", "/partners/police", None, 409),  # the owner
    ("DELETE", "/partners/fire", None, 409),  # not a partner
    ("PUT", "/partners/" + "x" * 65, None, 422),
]


@pytest.mark.parametrize(("method", "suffix", "body", "status"), CHANGES)
def test_bad_changes_write_nothing(server: RunningServer, method: str, suffix: str, body: Any,
                                   status: int) -> None:
    call(server, "POST", "/api/v1/incidents", body=ROBBERY)
    before = call(server, "GET", "/api/v1/incidents/police-00001").json()
    answer = call(server, method, f"/api/v1/incidents/police-00001{suffix}", body=body)
    assert answer.status_code == status and answer.json()["detail"]
    assert rows(server) == (1, 1)
    assert call(server, "GET", "/api/v1/incidents/police-00001").json() == before


def test_clearing_the_address(server: RunningServer) -> None:
    call(server, "POST", "/api/v1/incidents", body=ROBBERY)
    cleared = call(server, "PATCH", "/api/v1/incidents/police-00001", body={"address": None}).json()
    assert cleared["address"] is None
    [loaded] = server.server.cad.incidents.store.load()
    assert loaded.address is None
