"""End to end with the real analytics (traffic.matching, traffic.speeds …): on a real psn and a real Mosquitto with
a 2 km straight two-way road as its `roads_file`, a unit drives east at 15 m/s and a probe vehicle west at 10 m/s,
one fix a second over MQTT; `GET /api/v1/traffic/segments` shows 54 km/h on the eastbound edge and 36 km/h on the
westbound one (15 and 10 m/s × 3.6), and the live WebSocket's traffic event carries them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from psn.access import Role
from tests.psn.traffic import standins
from tests.support import Mosquitto, RunningServer, make_settings, publish, publish_fix, wait_for

FIXES = 20


@pytest.fixture
def running(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[RunningServer]:
    np.savez(tmp_path / "road.npz", **standins.road().arrays())
    server = RunningServer(make_settings(tmp_path, mosquitto.url, roads_file=tmp_path / "road.npz",
                                         traffic_enabled=True))
    server.start()
    yield server
    server.stop()


def measured(server: RunningServer) -> dict[int, dict[str, Any]]:
    body = httpx.get(f"{server.base_url}/api/v1/traffic/segments",
                     headers=server.headers("police", Role.TRAFFIC_MANAGER), timeout=30).json()
    return {f["properties"]["edge"]: f["properties"] for f in body["features"]}


def test_a_unit_and_a_probe_driving_a_road_at_known_speeds(running: RunningServer) -> None:
    t0 = time.time() - FIXES - 5
    for i in range(FIXES):
        lon, lat = standins.along(200.0, 15.0, 1.0, i)
        publish_fix(running.mqtt_url, "police", "P-1", lat, lon, heading=90.0, speed=15.0, ts=t0 + i)
        lon, lat = standins.along(1800.0, 10.0, -1.0, i)
        publish(running.mqtt_url, "psn/v1/probes/bus-co", {"ts": t0 + i, "vehicle": "a9f0", "lat": lat, "lon": lon,
                                                            "speed": 10.0, "heading": 270.0}, mqtt5=False)
    found = wait_for(lambda: (m := measured(running)) and {0, 1} <= set(m) and m[0]["samples"] >= FIXES - 2
                     and m[1]["samples"] >= FIXES - 2 and m)
    assert found[0]["speed_kmh"] == pytest.approx(54.0, abs=0.5)
    assert found[1]["speed_kmh"] == pytest.approx(36.0, abs=0.5)
    assert (found[0]["name"], found[0]["free_flow_kmh"]) == ("East Road", 72.0)
    ticked = running.server.traffic.tick()
    assert ticked is not None
    live = {f["properties"]["edge"]: f["properties"]["speed_kmh"] for f in ticked.segments}
    assert live == {0: found[0]["speed_kmh"], 1: found[1]["speed_kmh"]}
    assert running.server.state.get("police/P-1") is not None and len(running.server.state) == 1  # no probe
