"""The end-to-end variant: SUMO's probes over MQTT into a real psn (its own Mosquitto, roads_file = the
scenario's graph, a manual clock moved along with the replay), psn's REST history bins against the pure
pipeline on the same fixes and against SUMO's edgeData."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("psn.traffic")  # issue 11 part E (the shell), with A and B under it
pytest.importorskip("traffic.detect")

from bench.probe_fixes import EPOCH0, Probes, choose, probes
from bench.probe_mqtt import publish, segment_bins
from bench.probe_replay import estimate
from bench.validation_metrics import speed_errors
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
