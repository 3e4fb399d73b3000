"""The traffic REST API on a real psn and a real Mosquitto, positions sent over MQTT, the analytics replaced by
stand-ins (tests/psn/traffic/standins.py) on a two-edge `roads_file`: who may read and acknowledge, the GeoJSON
contract, history bins, validation, and bad probes counted while the good ones around them are kept."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from psn.access import Role
from tests.psn.traffic import standins
from tests.support import Mosquitto, RunningServer, make_settings, publish, publish_fix, wait_for

API = "/api/v1/traffic"


@pytest.fixture
def running(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[RunningServer]:
    np.savez(tmp_path / "road.npz", **standins.road().arrays())
    server = RunningServer(make_settings(tmp_path, mosquitto.url, roads_file=tmp_path / "road.npz",
                                         traffic_enabled=True))
    server.server.traffic.build = lambda router: standins.engines(router.graph)
    server.start()
    yield server
    server.stop()


def get(server: RunningServer, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    return httpx.get(f"{server.base_url}{API}{path}", headers=headers, params=params, timeout=30)


def drive(server: RunningServer, speeds: list[float]) -> None:
    now = time.time()
    for i, speed in enumerate(speeds):
        publish_fix(server.mqtt_url, "police", "P-1", 17.5, -88.19 + i * 1e-3, speed=speed, ts=now - 10 + i)
    wait_for(lambda: server.server.traffic.picture is not None
             and server.server.traffic.picture.engines.speeds.counts[0] == len(speeds))


def test_who_may_read_and_who_may_acknowledge(running: RunningServer) -> None:
    device = {"Authorization": f"Bearer {running.server.auth.issue_device('police', 'P-1', 600).token}"}
    callers = {role: running.headers("police", role) for role in Role}
    expected = {Role.DISPATCHER: 200, Role.TRAFFIC_MANAGER: 200, Role.TRAINER: 200, Role.ADMIN: 200,
                Role.FIELD_OFFICER: 403, Role.NETWORK_ADMIN: 403}
    for path in ("/segments", "/corridors", "/alerts"):
        assert {role: get(running, path, h).status_code for role, h in callers.items()} == expected, path
        assert get(running, path, device).status_code == 403
        assert get(running, path, {}).status_code == 401
    refused = get(running, "/alerts", callers[Role.FIELD_OFFICER]).json()["detail"]
    assert refused.startswith("not allowed:") and "traffic" in refused
    drive(running, [2.0])
    running.server.traffic.tick()
    ack = {role: httpx.post(f"{running.base_url}{API}/alerts/a-0/ack", headers=h).status_code
           for role, h in callers.items()}
    assert ack == {Role.DISPATCHER: 403, Role.TRAFFIC_MANAGER: 200, Role.TRAINER: 403, Role.ADMIN: 403,
                   Role.FIELD_OFFICER: 403, Role.NETWORK_ADMIN: 403}
    assert httpx.post(f"{running.base_url}{API}/alerts/a-9/ack", headers=callers[Role.TRAFFIC_MANAGER]).status_code \
        == 404
    [alert] = get(running, "/alerts", callers[Role.DISPATCHER]).json()["alerts"]
    assert (alert["id"], alert["state"], alert["acknowledged_by"]) == ("a-0", "active", "police.traffic_manager")


def test_segments_as_geojson_now_and_in_a_history_bin(running: RunningServer) -> None:
    headers = running.headers("police", Role.TRAFFIC_MANAGER)
    assert get(running, "/segments", headers).json()["features"] == []  # nothing measured
    # The time slider: a bin outside the kept window is refused (the stand-in history holds every bin inside).
    before = time.time()
    assert get(running, "/segments", headers, at=before + 3600).status_code == 400
    drive(running, [10.0, 12.0, 14.0])
    body = get(running, "/segments", headers).json()
    assert body["type"] == "FeatureCollection"
    [feature] = body["features"]
    assert feature["geometry"] == {"type": "LineString", "coordinates": [[-88.2, 17.5], [-88.18114, 17.5]]}
    # Mean of 10, 12, 14 m/s = 12 m/s = 43.2 km/h; free flow 20 m/s = 72 km/h.
    assert {k: feature["properties"][k] for k in ("edge", "name", "class", "speed_kmh", "free_flow_kmh",
                                                   "samples")} == {"edge": 0, "name": "East Road",
                                                                   "class": "primary", "speed_kmh": 43.2,
                                                                   "free_flow_kmh": 72.0, "samples": 3}
    assert len(get(running, "/segments", headers, all="true").json()["features"]) == 2
    now = time.time()
    past = get(running, "/segments", headers, at=now - 600).json()
    # The stand-in history's bin: 10 m/s over 3 samples on edge 0; 10/20 of free flow is "slow" (>= .5, < .75).
    assert (past["ts"], past["bin_s"]) == (pytest.approx((now - 600) - (now - 600) % 300, abs=1), 300.0)
    assert [(f["properties"]["speed_kmh"], f["properties"]["level"], f["properties"]["samples"])
            for f in past["features"]] == [(36.0, "slow", 3)]
    for at in (now - 6 * 3600 - 60, now + 3600):
        refused = get(running, "/segments", headers, at=at)
        assert refused.status_code == 400 and "outside the kept history" in refused.json()["detail"]
    for at in ("NaN", "inf", "-1", "x"):
        assert get(running, "/segments", headers, at=at).status_code == 422
    series = get(running, "/segments/0/history", headers, since=now - 60).json()
    assert (series["edge"], series["name"], series["bins"]) == (0, "East Road",
                                                                [[pytest.approx(now - 60 - (now - 60) % 300), 36.0,
                                                                  3]])
    missing = get(running, "/segments/2/history", headers)
    assert missing.status_code == 404 and "no segment 2" in missing.json()["detail"]
    assert get(running, "/segments/-1/history", headers).status_code == 422


def test_bad_probes_are_counted_and_the_good_ones_around_them_kept(running: RunningServer) -> None:
    now = time.time()
    good = [{"ts": now - 3 + i, "vehicle": "a9f0", "lat": 17.5, "lon": -88.19 + i * 1e-3, "speed": 10.0}
            for i in range(3)]
    bad = [b'{"ts": 1, "vehicle": "a9f0", "lat": 17.5, "lon": -88.19}', b"not json",
           {"ts": now, "vehicle": "plate 123", "lat": 17.5, "lon": -88.19},
           {"ts": now, "vehicle": "a9f0", "lat": 17.5, "lon": -88.19, "speed": 400}]
    for payload in (good[0], bad[0], bad[1], good[1], bad[2], bad[3], good[2]):
        publish(running.mqtt_url, "psn/v1/probes/bus-co", payload, mqtt5=False)
    wait_for(lambda: running.stats()["probes"]["accepted"] == 3 and sum(running.stats()["probes"]["rejected"]
                                                                        .values()) == 4)
    assert running.stats()["probes"]["rejected"] == {"stale_timestamp": 1, "malformed_json": 1, "bad_field": 1,
                                                     "out_of_range": 1}
    wait_for(lambda: running.server.traffic.picture is not None
             and running.server.traffic.picture.engines.speeds.counts[0] == 3)
    assert running.server.traffic.picture.engines.matcher.vehicles == {"probe:bus-co:a9f0"}
    assert running.server.state.snapshot() == []  # never on the live map
    metrics = httpx.get(f"{running.base_url}/metrics", headers=running.headers("police", Role.NETWORK_ADMIN)).text
    assert 'psn_probes_rejected_total{reason="out_of_range"} 1.0' in metrics
    assert 'psn_traffic_match_total{outcome="matched"} 3.0' in metrics


def traffic_events(ws: Any, wanted: int) -> list[dict[str, Any]]:
    """The traffic events a live WebSocket receives until `wanted` of them or a quiet second."""
    found: list[dict[str, Any]] = []
    while len(found) < wanted:
        try:
            message = json.loads(ws.recv(timeout=1))
        except TimeoutError:
            break
        if str(message.get("type", "")).startswith("traffic"):
            found.append(message)
    return found


def test_live_traffic_events_reach_those_who_may_view_traffic(running: RunningServer) -> None:
    drive(running, [2.0])
    url = f"{running.ws_url}/api/v1/live?access_token="
    with connect(url + running.token("police", Role.DISPATCHER), max_size=None) as dispatcher, \
            connect(url + running.token("police", Role.FIELD_OFFICER), max_size=None) as officer:
        dispatcher.recv(timeout=10), officer.recv(timeout=10)  # the snapshots on connecting
        running.server.traffic.tick()
        events = traffic_events(dispatcher, 2)
        assert [e["type"] for e in events] == ["traffic", "traffic_alert"]
        assert [f["properties"]["edge"] for f in events[0]["segments"]] == [0]
        assert (events[1]["alert"]["id"], events[1]["alert"]["state"]) == ("a-0", "active")
        assert traffic_events(officer, 1) == []
