"""The demo's probe vehicles: motion against hand-computed distances, the scripted slowdowns where and when they
are scripted, pseudonyms per trip, payloads valid against docs/schemas/probe.json, and a real run over MQTT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import paho.mqtt.client as mqtt
import pytest
from numpy.typing import NDArray
from paho.mqtt.enums import CallbackAPIVersion

from simulator.probes import ProbeConfig, ProbeFleet
from simulator.slowdowns import CRASH, RUSH_HOUR
from tests.support import Mosquitto, wait_for
from traffic import Road, RoadNetwork, load_roads
from traffic.utm import to_utm

VALID = jsonschema.Draft202012Validator(
    json.loads((Path(__file__).parents[2] / "docs" / "schemas" / "probe.json").read_text()))
START = 1_764_590_400.0  # 2025-12-01 12:00 UTC
EXACT = ProbeConfig(vehicles=0, jitter=0.0, driver=(1.0, 1.0), speed_noise=0.0, gps_sigma_m=0.0)
CRASH_LONLAT = (-88.2399, 17.5306)  # the crash's centre on the Philip Goldson Highway (written out, not imported)
RUSH_LONLAT = (-88.2050, 17.5030)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    xy = to_utm(np.array([a[0], b[0]]), np.array([a[1], b[1]]))
    return float(np.hypot(*(xy[1] - xy[0])))


@pytest.mark.parametrize(("road_class", "kmh"), [("trunk", 80.0), ("primary", 60.0)])
def test_a_vehicle_drives_its_road_class_speed_along_the_road(road_class: str, kmh: float) -> None:
    south, north = (-88.5, 17.0), (-88.5, 17.05)  # 5.5 km due north, far from every scripted slowdown
    fleet = ProbeFleet(RoadNetwork([Road("Test Road", road_class, [south, north])]), np.random.default_rng(0),
                       START, EXACT)
    probe = fleet.add("bus", [0, 1])
    probe.pace_s = 30.0
    reports = [r for k in range(1, 91) for _, r in fleet.step(1.0, START + k)]
    # Reports at 0 s (due at once), 30, 60 and 90 s: kmh / 3.6 metres a second north of the start.
    assert [r["ts"] - START for r in reports] == [1.0, 31.0, 61.0]  # pace 30 s from the first
    for report in reports:
        assert distance_m(south, (report["lon"], report["lat"])) == pytest.approx(kmh / 3.6 * (report["ts"] - START),
                                                                                 abs=0.5)
        assert report["speed"] == pytest.approx(kmh / 3.6, abs=0.01)
        assert min(report["heading"], 360 - report["heading"]) < 1.5  # grid north, 1.5° off true north here


def test_the_crash_is_sudden_and_scripted_and_rush_hour_builds_up() -> None:
    # Hand-written schedule: crash 600-1200 s, then every 1800 s; rush hour 1200-2100 s, 5 min ramps.
    assert [CRASH.strength(t) for t in (0, 599.9, 600, 1199.9, 1200, 2399.9, 2400, 3000)] == [0, 0, 1, 1, 0, 0, 1, 0]
    assert [RUSH_HOUR.strength(t) for t in (1199, 1200, 1350, 1500, 1800, 1950, 2100)] == [0, 0, 0.5, 1, 1, 0.5, 0]
    on_road = to_utm(*CRASH_LONLAT)[0]
    north = np.array([0.0, 1.0])
    assert CRASH.covers(on_road) and CRASH.covers(on_road + 480 * north) and not CRASH.covers(on_road + 520 * north)
    assert CRASH.speed(80 / 3.6, 0.0) == pytest.approx(10 / 3.6) and CRASH.speed(80 / 3.6, 1.0) == pytest.approx(
        15 / 3.6)
    assert RUSH_HOUR.speed(60 / 3.6, 0.3) == pytest.approx(36 / 3.6)


@dataclass(frozen=True)
class Run:
    reports: list[tuple[str, dict[str, Any]]]
    t: NDArray[np.float64]  # seconds into the demo
    kmh: NDArray[np.float64]
    to_crash: NDArray[np.float64]  # metres from the crash's centre
    to_rush: NDArray[np.float64]  # metres from rush hour's centre


@pytest.fixture(scope="module")
def run() -> Run:
    """Half an hour of 120 vehicles on the shipped roads, 3 s steps, the default noise."""
    fleet = ProbeFleet(load_roads(), np.random.default_rng(3), START, ProbeConfig(vehicles=120))
    reports = [report for k in range(1, 601) for report in fleet.step(3.0, START + 3 * k)]
    rows = np.array([(r["ts"] - START, r["speed"] * 3.6, r["lon"], r["lat"]) for _, r in reports])
    xy = to_utm(rows[:, 2], rows[:, 3])
    return Run(reports, rows[:, 0], rows[:, 1], np.hypot(*(xy - to_utm(*CRASH_LONLAT)).T),
               np.hypot(*(xy - to_utm(*RUSH_LONLAT)).T))


def test_vehicles_crawl_on_the_crash_stretch_only_while_it_is_on(run: Run) -> None:
    on = (run.t >= 600) & (run.t < 1200)
    during, before = run.kmh[(run.to_crash < 480) & on], run.kmh[(run.to_crash < 480) & (run.t < 600)]
    assert len(during) >= 30 and len(before) >= 5
    assert during.min() > 10 * 0.8 and during.max() < 15 * 1.2  # 10-15 km/h, 5 % speed noise
    assert before.min() > 80 * 0.85 * 0.8  # trunk speed, the slowest driver, noise
    assert run.kmh[(run.to_crash > 520) & on].min() > 30  # nowhere else is anyone crawling


def test_rush_hour_slows_city_traffic_to_60_percent_at_its_height(run: Run) -> None:
    city = run.to_rush < 850
    before, height = run.kmh[city & (run.t < 1200)], run.kmh[city & (run.t >= 1500) & (run.t < 1800)]
    assert len(before) >= 20 and len(height) >= 10
    assert 0.5 < height.mean() / before.mean() < 0.7


def test_payloads_are_valid_probe_messages_on_both_sources(run: Run) -> None:
    assert {source for source, _ in run.reports} == {"buses", "taxis"}
    for _, report in run.reports[::5]:  # every kind of vehicle, place and phase; the validator is slow
        VALID.validate(report)
        assert set(report) == {"ts", "vehicle", "lat", "lon", "speed", "heading"}
        assert 15.8 < report["lat"] < 18.6 and -89.3 < report["lon"] < -87.4


def test_each_vehicle_reports_every_5_to_30_seconds(run: Run) -> None:
    times: dict[str, list[float]] = defaultdict(list)
    for _, r in run.reports:
        times[r["vehicle"]].append(r["ts"])
    gaps = np.concatenate([np.diff(t) for t in times.values() if len(t) > 1])
    assert gaps.min() >= 5 and gaps.max() <= 33  # 3 s steps: a report is due at most one step late
    assert np.percentile(gaps, 90) - np.percentile(gaps, 10) > 10  # paces vary between vehicles


def test_a_vehicle_takes_a_new_pseudonym_for_every_trip() -> None:
    fleet = ProbeFleet(load_roads(), np.random.default_rng(4), START, ProbeConfig(vehicles=30))
    names: list[list[str]] = [[p.vehicle] for p in fleet.probes]
    for k in range(1, 361):  # an hour
        fleet.step(10.0, START + 10 * k)
        for seen, probe in zip(names, fleet.probes, strict=True):
            if probe.vehicle != seen[-1]:
                assert probe.at_m <= 10.0 * 30  # a new name only at the start of a trip
                seen.append(probe.vehicle)
    assert sum(len(seen) > 1 for seen in names) >= 20  # most finished a trip within the hour
    every = [name for seen in names for name in seen]
    assert len(every) == len(set(every))  # never reused, never shared


def test_a_real_run_publishes_on_the_probe_topics_and_stops_on_sigterm(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path).start()
    got: list[tuple[str, bytes]] = []
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.on_message = lambda _c, _u, m: got.append((m.topic, bytes(m.payload)))
    client.connect("127.0.0.1", broker.port)
    client.subscribe("#")
    client.loop_start()
    process = subprocess.Popen([sys.executable, "-m", "simulator.probes", "--mqtt", broker.url, "--vehicles", "80"])
    try:
        wait_for(lambda: {t for t, _ in got} == {"psn/v1/probes/buses", "psn/v1/probes/taxis"}, timeout=30)
        for _, payload in got:
            VALID.validate(json.loads(payload))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        client.loop_stop()
        broker.stop()

