"""The demo's anonymous probe vehicles: buses and taxis (not public-safety units) reporting where they are.

`ProbeFleet` is the pure motion model, stepped by the caller with an injected rng: buses shuttle between Belize
City and the other towns, some taxis run between the city and the airport (through the scripted crash, see
`simulator.slowdowns`), the rest drive short trips around the city. Each vehicle drives its road class's speed
times its own driver factor, slowed where a scripted slowdown is on. A vehicle reports every 5–30 s (its own
pace, jittered), with GPS noise, under a pseudonym drawn afresh for every trip.

`main` is the shell: it publishes each report on `psn/v1/probes/{source}` (`buses` or `taxis`), QoS 0, in one
burst per second on one MQTT connection, until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from numpy.typing import NDArray
from paho.mqtt.enums import CallbackAPIVersion

from simulator.paths import cumulative, position, segment_at
from simulator.slowdowns import SLOWDOWNS, Slowdown, slowed
from simulator.stopping import stop_on_signals
from telemetry.topics import probe_topic
from traffic import DEFAULT_ROADS, RoadNetwork, load_roads

CITY = (-88.1960, 17.5000)  # Belize City centre (lon, lat)
AIRPORT = (-88.2981, 17.5388)  # Airport Roundabout, Philip Goldson International
TOWNS = {  # where buses go from Belize City (lon, lat)
    "Ladyville": (-88.2920, 17.5540), "Orange Walk": (-88.5630, 18.0810), "Corozal": (-88.3900, 18.3930),
    "Belmopan": (-88.7700, 17.2510), "San Ignacio": (-89.0700, 17.1590), "Dangriga": (-88.2200, 16.9700),
}
KINDS = ("bus", "airport taxi", "taxi")
SOURCE = {"bus": "buses", "airport taxi": "taxis", "taxi": "taxis"}


@dataclass(frozen=True, slots=True)
class ProbeConfig:
    vehicles: int = 300
    shares: tuple[float, float, float] = (0.3, 0.25, 0.45)  # of KINDS
    report_s: tuple[float, float] = (5.0, 30.0)  # each vehicle's reporting pace is drawn in this range
    jitter: float = 0.2  # each interval: the pace ± this fraction, kept inside report_s
    driver: tuple[float, float] = (0.85, 1.05)  # fraction of the road class's speed a driver keeps
    speed_noise: float = 0.05  # relative error of a reported speed (1 sigma)
    gps_sigma_m: float = 4.0  # per coordinate (Valhalla Meili's default GPS sigma)
    city_trip_s: tuple[float, float] = (120.0, 900.0)  # taxi destinations: free-flow time from the centre


@dataclass
class Probe:
    kind: str
    vehicle: str  # this trip's pseudonym
    vertices: NDArray[np.intp]  # route, network vertices
    path: NDArray[np.float64]  # its points, UTM metres
    cum: NDArray[np.float64]
    at_m: float
    driver: float
    crawl_draw: float  # where in a crash's crawl range this driver sits
    pace_s: float
    next_report: float
    speed: float = 0.0  # m/s, after the last step

    @property
    def source(self) -> str:
        return SOURCE[self.kind]


class ProbeFleet:
    def __init__(self, network: RoadNetwork, rng: np.random.Generator, start: float,
                 config: ProbeConfig = ProbeConfig(), slowdowns: tuple[Slowdown, ...] = SLOWDOWNS) -> None:
        """`start`: the epoch second at which the slowdowns' clock reads 0."""
        self.network = network
        self.rng = rng
        self.start = start
        self.config = config
        self.slowdowns = slowdowns
        self.city = network.nearest_vertex(*CITY)
        self.airport = network.nearest_vertex(*AIRPORT)
        self.towns = [network.nearest_vertex(*lonlat) for lonlat in TOWNS.values()]
        reachable = network.largest_component
        times = network.travel_times_from([self.city])[0][reachable]
        low, high = config.city_trip_s
        self.city_targets = reachable[(times > low) & (times < high)]
        self.probes: list[Probe] = []
        counts = np.floor(np.array(config.shares) * config.vehicles).astype(int)
        counts[-1] = config.vehicles - counts[:-1].sum()
        for kind, count in zip(KINDS, counts, strict=True):
            for _ in range(count):
                home = self.city if rng.random() < 0.5 or kind != "bus" else int(rng.choice(self.towns))
                probe = self.add(kind, self._trip(kind, home))
                probe.at_m = float(rng.uniform(0, probe.cum[-1]))
                probe.speed = self._speed(probe, 0.0)[0]
                probe.next_report = start + float(rng.uniform(0, probe.pace_s))

    def add(self, kind: str, vertices: list[int] | NDArray[np.intp]) -> Probe:
        """A new vehicle at the start of the route `vertices` (at least two)."""
        low, high = self.config.report_s
        probe = Probe(kind, "", np.empty(0, dtype=np.intp), np.empty((0, 2)), np.empty(0), 0.0,
                      float(self.rng.uniform(*self.config.driver)), float(self.rng.random()),
                      float(self.rng.uniform(low, high)), self.start)
        self._drive(probe, vertices)
        probe.speed = self._speed(probe, 0.0)[0]
        self.probes.append(probe)
        return probe

    def _drive(self, probe: Probe, vertices: list[int] | NDArray[np.intp]) -> None:
        probe.vertices = np.asarray(vertices, dtype=np.intp)
        probe.path = self.network.xy[probe.vertices]
        probe.cum = cumulative(probe.path)
        probe.at_m = 0.0
        # A new pseudonym per trip: a trace can be followed for one trip, never from one trip to the next.
        probe.vehicle = f"{int(self.rng.integers(1 << 48)):012x}"

    def _trip(self, kind: str, start: int) -> list[int]:
        """A route from `start`: buses between the city and a town, airport taxis between the city and the
        airport, taxis to a place in the city."""
        for _ in range(20):
            if kind == "bus":
                target = int(self.rng.choice(self.towns)) if start == self.city else self.city
            elif kind == "airport taxi":
                target = self.airport if start == self.city else self.city
            else:
                target = int(self.rng.choice(self.city_targets))
            vertices = self.network.route(start, target)
            if len(vertices) >= 2:
                return vertices
            start = self.city
        raise ValueError("no route from Belize City: the road network lacks the demo's towns")

    def _speed(self, probe: Probe, t: float) -> tuple[float, NDArray[np.float64], float]:
        """The vehicle's speed where it is now, with its position (UTM metres) and heading there."""
        xy, heading = position(probe.path, probe.cum, probe.at_m)
        free = float(self.network.speed_of_vertex[probe.vertices[segment_at(probe.cum, probe.at_m)]]) * probe.driver
        return slowed(free, xy, t, probe.crawl_draw, self.slowdowns), xy, heading

    def step(self, dt: float, now: float) -> list[tuple[str, dict[str, Any]]]:
        """Moves every vehicle on by `dt` seconds; returns the reports due at `now`: (source, payload)."""
        t = now - self.start
        out: list[tuple[str, dict[str, Any]]] = []
        for probe in self.probes:
            probe.at_m += probe.speed * dt  # the speed where the last step left it
            if probe.at_m >= probe.cum[-1]:
                self._drive(probe, self._trip(probe.kind, int(probe.vertices[-1])))
            probe.speed, xy, heading = self._speed(probe, t)
            if now >= probe.next_report:
                out.append((probe.source, self._report(probe, xy, heading, now)))
                low, high = self.config.report_s
                jitter = self.config.jitter
                pace = probe.pace_s * float(self.rng.uniform(1 - jitter, 1 + jitter))
                probe.next_report = now + min(max(pace, low), high)
        return out

    def _report(self, probe: Probe, xy: NDArray[np.float64], heading: float, now: float) -> dict[str, Any]:
        noisy = xy + self.rng.normal(0.0, self.config.gps_sigma_m, 2)
        lon, lat = self.network.lonlat(noisy.reshape(1, 2))[0]
        speed = max(0.0, probe.speed * (1 + float(self.rng.normal(0.0, self.config.speed_noise))))
        return {"ts": round(now, 3), "vehicle": probe.vehicle, "lat": round(float(lat), 6),
                "lon": round(float(lon), 6), "speed": round(speed, 2), "heading": round(heading, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.probes", description=__doc__)
    parser.add_argument("--mqtt", default="mqtt://127.0.0.1:1883", help="broker URL")
    parser.add_argument("--vehicles", type=int, default=ProbeConfig().vehicles)
    parser.add_argument("--roads", type=Path, default=DEFAULT_ROADS, help="OSM road extract (JSON)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--start", type=float, help="epoch second the slowdown schedule starts at (default: now)")
    args = parser.parse_args(argv)
    host, port = args.mqtt.split("://", 1)[1].rsplit(":", 1)
    now = time.time()
    fleet = ProbeFleet(load_roads(args.roads), np.random.default_rng(args.seed),
                       now if args.start is None else args.start, ProbeConfig(vehicles=args.vehicles))
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"psn-demo-probes-{args.seed}",
                         protocol=mqtt.MQTTv311)
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    client.connect_async(host, int(port))
    client.loop_start()
    stopped = stop_on_signals()
    connected.wait(10)  # QoS 0 reports published before the connection would be dropped
    now = last = time.time()
    while not stopped.is_set():
        now = time.time()
        for source, payload in fleet.step(now - last, now):
            client.publish(probe_topic(source), json.dumps(payload), qos=0)
        last = now
        stopped.wait(max(0.0, 1.0 - (time.time() - now)))
    client.disconnect()
    client.loop_stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
