"""The traffic shell's wiring on a real bus, with the analytics replaced by stand-ins (tests/psn/traffic/standins.py):
which positions reach the matcher under which vehicle key and in which coordinates, what each tick sends live and
to whom, the forgetting of silent vehicles, acknowledgements, and that nothing is built before a position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest

from psn.access import Principal, Role
from psn.audit import AuditLog
from psn.bus import Bus
from psn.clock import ManualClock
from psn.config import Settings
from psn.events import FixAccepted, ProbeAccepted
from psn.keys import key_dir
from psn.roads import RoadModel
from psn.stats import IngestStats
from psn.traffic import Traffic
from psn.traffic.engines import Engines
from telemetry import Fix, ProbeFix, UnitRef
from tests.psn.cad.conftest import RecordingHub
from tests.psn.traffic import standins
from tests.support import wait_for
from traffic.graph import RoadGraph
from traffic.router import Router

T0 = 1_764_400_000.0


class Shell:
    def __init__(self, tmp: Path) -> None:
        self.clock = ManualClock(T0)
        self.hub = RecordingHub()
        self.audit = AuditLog(tmp / "audit.jsonl", key_dir(tmp), self.clock)
        self.built: list[Engines] = []
        graph = standins.road()
        np.savez(tmp / "road.npz", **graph.arrays())
        self.roads = RoadModel(tmp / "road.npz")
        self.bus = Bus()
        self.traffic = Traffic(Settings(data_dir=tmp, probe_keep_s=300.0, traffic_tick_s=3600.0), self.clock,
                               self.roads, self.hub, self.audit, IngestStats(), build=self.make)
        self.traffic.subscribe(self.bus)
        self.bus.start()

    def make(self, router: Router) -> Engines:
        self.built.append(standins.engines(router.graph))
        return self.built[-1]

    @property
    def matcher(self) -> Any:
        return self.built[0].matcher

    def send(self, *events: FixAccepted | ProbeAccepted) -> None:
        for event in events:
            self.bus.publish(event)
        assert self.bus.flush()

    def events(self, kind: str) -> list[tuple[dict[str, Any], Any]]:
        return [(data, audience) for k, data, audience in self.hub.events if k == kind]


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    return Shell(tmp_path)


def fix(unit: str, ts: float, lon: float, lat: float, speed: float | None) -> FixAccepted:
    agency, name = unit.split("/")
    return FixAccepted(Fix(UnitRef(agency, name), ts, lat, lon, speed=speed, heading=90.0), ts)


def probe(vehicle: str, ts: float, lon: float, lat: float, speed: float | None) -> ProbeAccepted:
    return ProbeAccepted(ProbeFix("bus-co", vehicle, ts, lat, lon, speed=speed), ts)


def test_nothing_is_built_before_a_position(shell: Shell) -> None:
    assert shell.traffic.tick() is None and shell.traffic.live_speeds() is None
    assert not shell.roads.built and shell.built == []


def test_a_started_service_builds_before_any_position_and_only_once(shell: Shell) -> None:
    assert shell.traffic.state() == "building"
    shell.traffic.start()  # the tick every hour: what is built here is the start's build, not a tick's
    try:
        assert wait_for(lambda: shell.traffic.state() == "ready")
        assert shell.roads.built and len(shell.built) == 1
        assert shell.traffic.tick() is None and shell.hub.events == []  # no position yet: nothing to tell
        shell.send(fix("police/P-1", T0, -88.19, 17.5, 12.0))
        assert len(shell.built) == 1 and len(shell.matcher.pushes) == 1
        assert shell.traffic.tick() is not None and len(shell.events("traffic")) == 1
    finally:
        shell.traffic.stop()


def test_units_and_probes_reach_the_matcher_under_their_keys_in_utm(shell: Shell) -> None:
    shell.send(fix("police/P-1", T0, -88.19, 17.5, 12.0), probe("a9f0", T0 + 1, -88.185, 17.5, None))
    vehicles = [v for push in shell.matcher.pushes for v in push[0]]
    ts, xy = (np.concatenate([push[i] for push in shell.matcher.pushes]) for i in (1, 2))
    assert vehicles == ["police/P-1", "probe:bus-co:a9f0"]
    assert list(ts) == [T0, T0 + 1]
    # The reference: pyproj's own WGS84 → UTM 16N (EPSG:32616), not psn's wrapper of it.
    utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32616", always_xy=True)
    assert np.allclose(xy, np.array(utm.transform([-88.19, -88.185], [17.5, 17.5])).T, atol=1e-6)


def test_a_tick_sends_only_the_segments_that_changed(shell: Shell) -> None:
    shell.send(fix("police/P-1", T0, -88.19, 17.5, 12.0), fix("police/P-1", T0 + 1, -88.189, 17.5, 14.0))
    shell.clock.advance(10)
    first = shell.traffic.tick()
    assert first is not None
    assert [f["properties"]["edge"] for f in first.segments] == [0]
    props = first.segments[0]["properties"]
    # (12 + 14) / 2 = 13 m/s = 46.8 km/h; free flow 20 m/s = 72 km/h; the stand-in calls it jammed below 15 m/s.
    assert (props["speed_kmh"], props["free_flow_kmh"], props["level"], props["samples"]) == (46.8, 72.0, "jammed", 2)
    assert props["name"] == "East Road" and props["class"] == "primary" and props["updated"] == T0 + 1
    assert first.segments[0]["geometry"]["coordinates"] == [[-88.2, 17.5], [-88.18114, 17.5]]
    assert shell.traffic.tick() is not None and shell.events("traffic")[-1][0]["segments"] == []
    shell.send(fix("police/P-1", T0 + 2, -88.188, 17.5, 16.0))
    shell.traffic.tick()
    assert [f["properties"]["samples"] for f in shell.events("traffic")[-1][0]["segments"]] == [3]


def test_silent_vehicles_are_forgotten_after_probe_keep_s(shell: Shell) -> None:
    shell.send(probe("a9f0", T0, -88.19, 17.5, 10.0))
    shell.clock.advance(42)
    shell.traffic.tick()
    assert shell.matcher.forgets == [T0 + 42 - 300.0]


def test_alerts_reach_traffic_viewers_and_are_acknowledged_once(shell: Shell, tmp_path: Path) -> None:
    shell.send(fix("police/P-1", T0, -88.19, 17.5, 2.0))
    shell.traffic.tick()
    [(raised, audience)] = shell.events("traffic_alert")
    row = raised["alert"]
    assert (row["id"], row["edge"], row["state"], row["speed_kmh"], row["baseline_kmh"]) == ("a-0", 0, "active",
                                                                                             7.2, 72.0)
    assert (row["lat"], row["lon"], row["from_m"], row["to_m"]) == (17.5, -88.19057, 0.0, 2002.5)  # the edge's middle
    may = {role: audience(Principal("x", "police", frozenset({role}))) for role in Role}
    assert may == {Role.DISPATCHER: True, Role.TRAFFIC_MANAGER: True, Role.TRAINER: True, Role.ADMIN: True,
                   Role.FIELD_OFFICER: False, Role.NETWORK_ADMIN: False}
    assert shell.traffic.acknowledge("a-0", "police.tm")["acknowledged_by"] == "police.tm"
    assert shell.traffic.acknowledge("a-0", "police.other")["acknowledged_by"] == "police.tm"
    assert shell.traffic.acknowledge("nope", "police.tm") is None
    shell.audit.checkpoint()
    assert (tmp_path / "audit.jsonl").read_text().count('"traffic.alert.ack"') == 1
    shell.send(fix("police/P-1", T0 + 5, -88.189, 17.5, 40.0))  # the mean is back to 21 m/s: cleared
    shell.traffic.tick()
    assert [e[0]["alert"]["state"] for e in shell.events("traffic_alert")] == ["active", "active", "cleared"]


def test_dispatch_gets_live_speeds_only_once_measured(shell: Shell) -> None:
    assert shell.traffic.live_speeds() is None
    shell.send(fix("police/P-1", T0, -88.19, 17.5, 5.0))
    speeds = shell.traffic.live_speeds()
    assert speeds is not None and speeds[0] == 5.0 and np.isnan(speeds[1])


def test_road_graph_is_shared_and_built_once(tmp_path: Path) -> None:
    graph: RoadGraph = standins.road()
    np.savez(tmp_path / "g.npz", **graph.arrays())
    model = RoadModel(tmp_path / "g.npz")
    assert model.router() is model.router() and model.graph.edges == 2


def test_the_shipped_roads_are_built_once_per_process() -> None:
    first, second = RoadModel(), RoadModel()
    assert not first.built
    assert first.router() is second.router() and second.built


def test_a_service_stopped_as_it_starts_builds_nothing(shell: Shell) -> None:
    shell.traffic._lock.acquire()  # the start's build waits here, as behind a reader
    shell.traffic.start()
    shell.traffic._stop.set()  # what stop() does first
    shell.traffic._lock.release()
    shell.traffic.stop()
    assert shell.built == [] and shell.traffic.picture is None


def test_positions_the_bus_hands_over_after_stop_are_dropped(shell: Shell) -> None:
    """The bus may deliver what its queue held after `stop` closed the matcher's process: dropped, not sent to a
    matcher that is gone (it raised "cannot schedule new futures after shutdown" in a demo stopped under load)."""
    shell.traffic.on_positions([fix("police/P-1", T0, -88.19, 17.5, 12.0)])
    shell.traffic.stop()
    shell.traffic.on_positions([fix("police/P-1", T0 + 1, -88.189, 17.5, 12.0)])
    assert len(shell.matcher.pushes) == 1
