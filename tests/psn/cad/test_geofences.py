"""Geofences end to end: drawn over HTTP, crossed by real fixes over MQTT, announced to the owner agency only,
surviving a restart; malformed ones refused with nothing written. Expected events written out by hand."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from psn.access import Role
from psn.store.schema import geofence_events, geofences
from tests.psn.cad.consoles import consoles, settle
from tests.support import Mosquitto, RunningServer, make_settings, publish_fix, server_with_units, wait_for

# Round the Belize City police station: lon -88.19..-88.17, lat 17.49..17.51.
SQUARE = [[-88.19, 17.49], [-88.17, 17.49], [-88.17, 17.51], [-88.19, 17.51]]


def _post(server: RunningServer, token: str, body: Any) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/v1/geofences", json=body, headers={"Authorization": f"Bearer {token}"})


def _list(server: RunningServer, token: str) -> list[dict]:
    answer = httpx.get(f"{server.base_url}/api/v1/geofences", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["geofences"]


def _count(server: RunningServer, table: sa.Table) -> int:
    with server.server.db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_real_fixes_cross_a_geofence_and_only_its_agency_hears_of_it(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path).start()
    try:
        server = RunningServer(make_settings(tmp_path, broker.url)).start()
        police, nemo = server.token("police"), server.token("nemo")
        made = _post(server, police, {"name": "Station", "polygon": [*SQUARE, SQUARE[0]], "units": ["police/P-1"]})
        assert made.status_code == 201, made.text
        fence = made.json()
        assert (fence["owner"], fence["polygon"], fence["units"]) == ("police", SQUARE, ["police/P-1"])
        t = time.time() - 60
        # (unit, ts, lat, lon): the first fix only sets P-1 outside; P-2 is not watched; one late fix.
        fixes = [("P-1", t, 17.50, -88.20), ("P-1", t + 1, 17.50, -88.18), ("P-1", t + 2, 17.50, -88.185),
                 ("P-2", t + 2, 17.50, -88.18), ("P-1", t + 3, 17.50, -88.16), ("P-1", t + 2.5, 17.50, -88.18),
                 ("P-1", t + 4, 17.51, -88.18)]  # the last on the north edge: inside
        with consoles(server, police=police, nemo=nemo) as seen:
            for unit, ts, lat, lon in fixes:
                publish_fix(broker.url, "police", unit, lat, lon, ts=ts)
            wait_for(lambda: len(seen["police"].of("geofence")) == 3)
            settle(server, *seen.values())
            assert [e["event"] for e in seen["police"].of("geofence")] == [
                {"geofence": fence["id"], "name": "Station", "unit": "police/P-1", "crossing": "enter",
                 "ts": t + 1, "lat": 17.50, "lon": -88.18},
                {"geofence": fence["id"], "name": "Station", "unit": "police/P-1", "crossing": "exit",
                 "ts": t + 3, "lat": 17.50, "lon": -88.16},
                {"geofence": fence["id"], "name": "Station", "unit": "police/P-1", "crossing": "enter",
                 "ts": t + 4, "lat": 17.51, "lon": -88.18},
            ]
            assert seen["nemo"].of("geofence") == []
        assert _count(server, geofence_events) == 3
        with server.server.db.engine.connect() as conn:
            assert {(r.lat, r.lon) for r in conn.execute(sa.select(geofence_events))} == {(None, None)}  # sealed
        assert [f["id"] for f in _list(server, police)] == [fence["id"]] and _list(server, nemo) == []
        server.stop()

        again = RunningServer(make_settings(tmp_path, broker.url)).start()
        try:
            assert [(f["id"], f["name"], f["polygon"]) for f in _list(again, again.token("police"))] == [
                (fence["id"], "Station", SQUARE)]
            gone = httpx.delete(f"{again.base_url}/api/v1/geofences/{fence['id']}",
                                headers={"Authorization": f"Bearer {again.token('police')}"})
            assert gone.status_code == 200 and _list(again, again.token("police")) == []
        finally:
            again.stop()
    finally:
        broker.stop()


BAD = [
    ({"name": "x", "polygon": [[0, 0], [1, 0]], "units": ["police/P-1"]}, 422, "polygon"),
    ({"name": "x", "polygon": [[-88.2, 17.5], [-88.1, 17.5], [-88.2, 17.5]], "units": ["police/P-1"]}, 422,
     "3 to 1000 vertices"),
    ({"name": "x", "polygon": [[-88.2, 17.5], [-88.1, 17.6], [-88.0, 17.7]], "units": ["police/P-1"]}, 422,
     "no area"),
    ({"name": "x", "polygon": [[-88.2, 17.5], [-88.1, 17.5], [-88.1, 95]], "units": ["police/P-1"]}, 422,
     "lat in [-90, 90]"),
    ({"name": "x", "polygon": [[-88.2, 17.5, 3], [-88.1, 17.5], [-88.1, 17.6]], "units": ["police/P-1"]}, 422,
     "polygon"),
    ({"name": "x", "polygon": [[i / 1e4, (i % 2) / 1e4] for i in range(1002)], "units": ["police/P-1"]}, 422,
     "polygon"),
    ({"name": "x", "polygon": SQUARE}, 422, "at least one unit or agency"),
    ({"name": "  ", "polygon": SQUARE, "units": ["police/P-1"]}, 422, "name"),
    ({"name": "x", "polygon": SQUARE, "agencies": ["coastguard"]}, 422, "no agency 'coastguard'"),
    ({"name": "x", "polygon": SQUARE, "agencies": ["nemo"]}, 403, "may not view every unit of nemo"),
    ({"name": "x", "polygon": SQUARE, "units": ["nemo/N-1"]}, 403, "not shared with police"),
    ({"name": "x", "polygon": "square", "units": ["police/P-1"]}, 422, "polygon"),
]


def test_malformed_or_forbidden_geofences_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1"), ("nemo", "N-1")]) as server:
        police = server.token("police")
        for body, status, words in BAD:
            answer = _post(server, police, body)
            assert (answer.status_code, words in answer.text) == (status, True), (body, answer.text)
        nan = httpx.post(f"{server.base_url}/api/v1/geofences", headers={"Authorization": f"Bearer {police}",
                         "Content-Type": "application/json"},
                         content='{"name": "x", "units": ["police/P-1"], "polygon": [[0, 0], [NaN, 1], [1, 1]]}')
        assert nan.status_code == 422, nan.text
        officer = _post(server, server.token("police", Role.FIELD_OFFICER),
                        {"name": "x", "polygon": SQUARE, "units": ["police/P-1"]})
        assert officer.status_code == 403 and "only a dispatcher draws" in officer.text
        assert _count(server, geofences) == 0
        made = _post(server, police, {"name": "x", "polygon": SQUARE, "agencies": ["police"]}).json()
        for token, fence_id, status in [(server.token("nemo"), made["id"], 404), (police, "f" * 32, 404),
                                        (police, "nope", 422)]:
            answer = httpx.delete(f"{server.base_url}/api/v1/geofences/{fence_id}",
                                  headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == status, answer.text
        assert _count(server, geofences) == 1


vertex = st.tuples(st.floats(-200, 200, allow_nan=False), st.floats(-100, 100, allow_nan=False))


@settings(max_examples=60, deadline=None, database=None)
@given(polygon=st.lists(vertex, min_size=0, max_size=8))
def _check_polygon(server: RunningServer, token: str, polygon: list[tuple[float, float]]) -> None:
    answer = _post(server, token, {"name": "fuzz", "polygon": [list(p) for p in polygon], "units": ["police/P-1"]})
    in_range = all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in polygon)
    if answer.status_code == 201:
        kept = answer.json()["polygon"]
        assert in_range and 3 <= len(kept) <= len(polygon)
        assert kept == [list(p) for p in polygon[:len(kept)]]  # as sent, at most without its closing repeat
    else:
        assert answer.status_code == 422 and answer.json()["detail"], answer.text
        vertices = len(polygon) - (len(polygon) > 1 and polygon[0] == polygon[-1])  # a closing repeat is no vertex
        assert not in_range or vertices < 3 or "no area" in answer.text or "repeats" in answer.text


def test_any_polygon_is_stored_as_sent_or_refused_with_a_reason(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1")]) as server:
        _check_polygon(server, server.token("police"))


def test_a_whole_agency_is_watched_and_another_agency_sees_only_what_an_agreement_opens(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1")]) as server:
        police, nemo, admin = server.token("police"), server.token("nemo"), server.token("police", Role.ADMIN)
        auth = {"Authorization": f"Bearer {admin}"}
        agreement = httpx.post(f"{server.base_url}/api/v1/sharing/agreements", headers=auth,
                               json={"grantee": "nemo", "resources": ["unit"]})
        assert agreement.status_code == 201, agreement.text
        ours = _post(server, police, {"name": "Ours", "polygon": SQUARE, "agencies": ["police"]}).json()
        theirs = _post(server, nemo, {"name": "Theirs", "polygon": SQUARE, "agencies": ["police"]})
        assert theirs.status_code == 201, theirs.text
        t = time.time() - 60
        with consoles(server, police=police, nemo=nemo) as seen:
            for i, lon in enumerate([-88.20, -88.18]):  # outside (first: no event), then inside
                publish_fix(server.mqtt_url, "police", "P-2", 17.50, lon, ts=t + i)
            wait_for(lambda: seen["police"].of("geofence") and seen["nemo"].of("geofence"))
            settle(server, *seen.values())
            assert [(e["event"]["name"], e["event"]["unit"], e["event"]["crossing"])
                    for e in seen["police"].of("geofence")] == [("Ours", "police/P-2", "enter")]
            assert [(e["event"]["name"], e["event"]["unit"], e["event"]["crossing"])
                    for e in seen["nemo"].of("geofence")] == [("Theirs", "police/P-2", "enter")]
            removed = httpx.delete(f"{server.base_url}/api/v1/sharing/agreements/{agreement.json()['id']}",
                                   headers=auth)
            assert removed.status_code == 200, removed.text
            publish_fix(server.mqtt_url, "police", "P-2", 17.50, -88.16, ts=t + 2)  # out again
            wait_for(lambda: len(seen["police"].of("geofence")) == 2)
            settle(server, *seen.values())
            assert seen["police"].of("geofence")[1]["event"]["geofence"] == ours["id"]
            assert len(seen["nemo"].of("geofence")) == 1  # the agreement is gone: NEMO's fence no longer fires
        with server.server.db.engine.connect() as conn:
            fired = conn.execute(sa.select(geofence_events.c.geofence, geofence_events.c.crossing)
                                 .order_by(geofence_events.c.ts)).all()
        assert [tuple(r) for r in fired] == [(ours["id"], "enter"), (theirs.json()["id"], "enter"),
                                             (ours["id"], "exit")]
