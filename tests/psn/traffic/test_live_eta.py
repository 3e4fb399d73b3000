"""Live speeds feed dispatch ETAs: on a real psn with a three-node `roads_file`, a unit's ETA from the real
recommendation endpoint once the road it must take is measured jammed, against the hand-computed times. The segment
speeds are the stand-in's (the mean of the reported speeds on edge 0: tests/psn/traffic/standins.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyproj
import pytest

from tests.psn.traffic import standins
from tests.support import Mosquitto, RunningServer, make_settings, publish_fix, wait_for
from traffic.graph import RoadGraph

# UTM 16N metres: A — B — C on a line, 1,000 m apart, both ways, 20 m/s free flow. Nodes numbered B, A, C so that
# edge 0 (the lowest (tail, head)) is B → A: the last leg from C to an incident at A.
X0, Y0 = 300_000.0, 1_935_000.0
XY = np.array([[X0, Y0], [X0 - 1000, Y0], [X0 + 1000, Y0]])
TO_LONLAT = pyproj.Transformer.from_crs("EPSG:32616", "EPSG:4326", always_xy=True)


def lonlat(node: int) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(*XY[node])
    return float(lon), float(lat)


@pytest.fixture
def running(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[RunningServer]:
    graph = RoadGraph.build(XY, [0, 1, 0, 2], [1, 0, 2, 0], [20.0] * 4, ["primary"] * 4, ["Line Road"] * 4)
    assert (list(graph.tail), list(graph.head)) == ([0, 0, 1, 2], [1, 2, 0, 0])
    np.savez(tmp_path / "line.npz", **graph.arrays())
    server = RunningServer(make_settings(tmp_path, mosquitto.url, roads_file=tmp_path / "line.npz",
                                         traffic_enabled=True))
    server.server.traffic.build = lambda router: standins.engines(router.graph)
    server.start()
    yield server
    server.stop()


def eta(server: RunningServer, incident: str) -> float:
    answer = httpx.get(f"{server.base_url}/api/v1/incidents/{incident}/recommendation",
                       headers=server.headers("police"), timeout=30).json()
    return float({r["unit"]: r["eta_s"] for r in answer["ranked"]}["police/P-C"])


def test_a_unit_behind_a_jammed_segment_gets_the_longer_eta(running: RunningServer) -> None:
    (c_lon, c_lat), (a_lon, a_lat) = lonlat(2), lonlat(1)
    publish_fix(running.mqtt_url, "police", "P-C", c_lat, c_lon, speed=20.0)
    wait_for(lambda: running.server.traffic.live_speeds() is not None)
    body = {"type": "robbery", "priority": 1, "lat": a_lat, "lon": a_lon, "notes": "at the end of Line Road"}
    incident = httpx.post(f"{running.base_url}/api/v1/incidents", json=body, headers=running.headers("police"))
    incident_id = str(incident.json()["id"])
    # Measured at free flow: C → B 1000 m / 20 m/s + B → A 1000 m / 20 m/s = 100 s.
    assert eta(running, incident_id) == pytest.approx(100.0, abs=0.05)
    for i in range(4):  # another unit reports 1.25 m/s four times: edge 0's mean is (20 + 4 × 1.25) / 5 = 5 m/s
        publish_fix(running.mqtt_url, "police", "J-1", 17.0, -88.5, speed=1.25, ts=time.time() - 10 + i)
    wait_for(lambda: running.server.traffic.picture.engines.speeds.counts[0] == 5)
    # C → B at free flow 50 s, B → A jammed 1000 m / 5 m/s = 200 s: 250 s, 150 s more than free flow.
    assert eta(running, incident_id) == pytest.approx(250.0, abs=0.05)
