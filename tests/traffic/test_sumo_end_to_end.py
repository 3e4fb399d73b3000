"""The end-to-end variant: SUMO's probes over MQTT into a real psn (its own Mosquitto, roads_file = the
scenario's graph, a manual clock moved along with the replay), psn's REST history bins against the pure
pipeline on the same fixes and against SUMO's edgeData."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

pytest.importorskip("psn.traffic")  # issue 11 part E (the shell), with A and B under it
pytest.importorskip("traffic.detect")

from bench.probe_fixes import EPOCH0, Probes, choose, probes
from bench.probe_mqtt import publish, segment_bins
from bench.probe_replay import FORGET_S, estimate
from bench.validation_metrics import Raised, affected, false_alarms, speed_errors
from psn.access import Role
from psn.clock import ManualClock
from tests.support import Mosquitto, RunningServer, make_settings, wait_for
from tests.traffic.sumo_support import corridor_run


def test_psn_over_mqtt_gives_the_pure_pipeline_s_speeds_and_sumo_s(tmp_path: Path, mosquitto: Mosquitto) -> None:
    shared = corridor_run()
    graph, truth = shared.scenario.graph, shared.truth
    every = probes(shared.fcd, choose(shared.fcd, 0.05, seed=1))
    # The first two intervals, and a minute more so that the matcher's fixed lag has decided all of them.
    n = int(np.searchsorted(every.ts, EPOCH0 + 2 * 300.0 + 60.0))
    fixes = Probes(every.ts[:n], every.vehicle[:n], every.xy[:n], every.lonlat[:n], every.speed_mps[:n],
                   every.heading_deg[:n])
    roads = tmp_path / "corridor.npz"
    np.savez(roads, **graph.arrays())
    clock = ManualClock(EPOCH0)
    server = RunningServer(make_settings(tmp_path, mosquitto.url, roads_file=roads, traffic_enabled=True),
                           clock=clock).start()
    try:
        def advance(ts: float) -> None:
            clock.now = max(clock.now, ts)

        assert publish(fixes, mosquitto.url, advance) == len(fixes)
        advance(clock.now + 3600.0)  # psn's next tick forgets (and so flushes) every probe vehicle
        headers = server.headers("police", Role.TRAFFIC_MANAGER)
        begin = truth.begin[:2]
        expected = estimate(graph, fixes, begin)
        wait_for(lambda: (segment_bins(server.base_url, headers, begin, graph.edges)[1]
                          >= expected.samples * 0.95).all(), timeout=60, interval=0.5)
        api_speed, api_samples = segment_bins(server.base_url, headers, begin, graph.edges)
    finally:
        server.stop()
    both = (api_samples >= 3) & (expected.samples >= 3)
    assert both.sum() >= 10
    assert np.abs(api_speed[both] - expected.speed_mps[both]).max() * 3.6 <= 1.0  # km/h
    assert speed_errors(api_speed, api_samples, truth.speed_mps[:2]).mape <= 0.15  # the 5 % target


def _matched(server: RunningServer) -> int:
    """Positions psn's traffic service has had matched (every outcome, `bad` included)."""
    return int(sum(s.value for m in server.server.traffic.matched.collect() for s in m.samples
                   if s.name.endswith("_total")))


def test_psn_over_mqtt_raises_the_incident_as_the_pure_pipeline_does(tmp_path: Path, mosquitto: Mosquitto) -> None:
    """The breakdown's alert through MQTT → ingest → bus → matcher child → speeds → detector → REST: the samples
    cross the child's boundary packed (psn/traffic/packed.py), and the detector needs their position along the
    edge and vehicle token (pieces, ≥ 2 distinct vehicles), which the pure pipeline never packs."""
    shared = corridor_run()
    graph, truth, closure = shared.scenario.graph, shared.truth, shared.scenario.closure
    assert closure is not None
    every = probes(shared.fcd, choose(shared.fcd, 0.05, seed=1))
    # Up to 180 s into the breakdown (the 3-minute target): the pure pipeline raised it 130 s in (measured).
    n = int(np.searchsorted(every.ts, EPOCH0 + closure.begin + 180.0))
    fixes = Probes(every.ts[:n], every.vehicle[:n], every.xy[:n], every.lonlat[:n], every.speed_mps[:n],
                   every.heading_deg[:n])
    roads = tmp_path / "corridor.npz"
    np.savez(roads, **graph.arrays())
    clock = ManualClock(EPOCH0)
    # The tick is driven below, every 10 s of probe time as bench/probe_replay.py updates the detector; vehicles
    # are forgotten after its FORGET_S. The background tick never comes.
    settings = make_settings(tmp_path, mosquitto.url, roads_file=roads, traffic_enabled=True,
                             traffic_tick_s=1e6, probe_keep_s=FORGET_S)
    server = RunningServer(settings, clock=clock).start()
    next_tick = EPOCH0 + 10.0
    try:
        def advance(ts: float) -> None:
            nonlocal next_tick
            if next_tick <= ts:  # everything published before this second is matched before the tick
                sent = int(np.searchsorted(fixes.ts, ts))
                wait_for(lambda: _matched(server) >= sent, timeout=60, interval=0.01)
            while next_tick <= ts:
                clock.now = next_tick
                server.server.traffic.tick()
                next_tick += 10.0
            clock.now = max(clock.now, ts)

        assert publish(fixes, mosquitto.url, advance) == len(fixes)
        reply = httpx.get(f"{server.base_url}/api/v1/traffic/alerts",
                          headers=server.headers("police", Role.TRAFFIC_MANAGER), timeout=30)
        reply.raise_for_status()
        rows = reply.json()["alerts"]
    finally:
        server.stop()
    raised = [Raised(row["edge"], row["raised"] - EPOCH0) for row in rows]
    pure = estimate(graph, fixes, truth.begin[:1]).alerts
    incident = [row for row in rows if row["edge"] == closure.edge]
    assert len(incident) == 1
    # SUMO's stopped vehicle stands 20 m before the end of its edge (bench/sumo_scenario.py): on the alert's piece
    # (every corridor edge is one 400 m piece, so a lost position along the edge cannot show here)
    assert incident[0]["from_m"] <= graph.length_m[closure.edge] - 20.0 <= incident[0]["to_m"]
    # At the pure pipeline's tick exactly: this raise depends only on the pieces' recent signal and its own
    # baseline, taken before the outlier test, so not on how psn's bus batches the fixes (730 s in 20 runs of 20;
    # with the packed tokens dropped, each sample a vehicle of its own, psn raised it at 720 s)
    expected_s = [a.raised_s for a in pure if a.edge == closure.edge and a.raised_s >= closure.begin]
    assert expected_s[0] <= closure.begin + 180.0  # the pure pipeline meets the target (docs/traffic-validation.md)
    assert incident[0]["raised"] - EPOCH0 == expected_s[0]
    # Nowhere else: every other alert on an edge the pure pipeline alerted on too, and SUMO shows congested there
    # then (the lane drop's queue). Not all of the pure pipeline's: its first, short alert on the bottleneck (edge
    # 14 at 380 s, cleared at 440 s, while the pieces' baselines are thin and the edge's learned free flow stands
    # in) was missing from psn's in one run of five here: free flow is learned from the samples that pass the
    # outlier test, judged per batch (traffic/speeds.py), and psn's bus batches are not the replay's seconds (the
    # outliers counted varied 145-154 of 5,627 samples over five runs).
    assert {r.edge for r in raised} <= {a.edge for a in pure}
    assert false_alarms(raised, affected(truth.speed_mps, graph.speed_mps), truth.begin) == []
