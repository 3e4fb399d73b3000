"""The live demo scenario: police and NEMO units driving real Belize roads, publishing over MQTT.

The motion model (`Fleet`) is pure and stepped by the caller; `main` is the shell that publishes each unit's
fix once a second exactly as a field unit would (`psn/v1/{agency}/{unit}/telemetry`, QoS 1).
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from numpy.typing import NDArray
from paho.mqtt.enums import CallbackAPIVersion

from telemetry.topics import UnitKind, unit_topic
from traffic import DEFAULT_ROADS, RoadNetwork, load_roads

# Where units are based (lon, lat) and which agencies patrol there.
BASES = {
    "Belize City": ((-88.1960, 17.5000), ("police", "police", "nemo")),
    "Belmopan": ((-88.7700, 17.2510), ("police", "nemo", "nemo")),
    "Ladyville": ((-88.2920, 17.5540), ("police",)),
    "San Ignacio": ((-89.0700, 17.1590), ("police", "nemo")),
}
STATUSES = ("patrol", "responding", "on_scene", "available")


@dataclass
class SimUnit:
    agency: str
    unit: str
    home: int
    path: NDArray[np.float64]  # (n, 2) UTM metres along the current route
    cum: NDArray[np.float64]  # cumulative distance along path
    at_m: float
    speed: float
    status: str


class Fleet:
    def __init__(self, network: RoadNetwork, units: int, rng: np.random.Generator) -> None:
        self.network = network
        self.rng = rng
        reachable = network.largest_component
        self._reachable = reachable
        self._times = network.travel_times_from([network.nearest_vertex(*lonlat) for lonlat, _ in BASES.values()])
        self.units: list[SimUnit] = []
        counters: dict[str, int] = {}
        base_list = list(BASES.values())
        for i in range(units):
            lonlat, agencies = base_list[i % len(base_list)]
            agency = agencies[(i // len(base_list)) % len(agencies)]
            counters[agency] = counters.get(agency, 0) + 1
            prefix = {"police": "P", "nemo": "N"}.get(agency, agency[:1].upper())
            home = network.nearest_vertex(*lonlat)
            unit = SimUnit(agency, f"{prefix}-{100 + counters[agency]}", home, np.empty((0, 2)), np.empty(0), 0.0,
                           0.0, str(rng.choice(STATUSES)))
            self._new_route(unit, i % len(base_list), start=home)
            unit.at_m = float(rng.uniform(0, unit.cum[-1]))
            self.units.append(unit)

    def _new_route(self, unit: SimUnit, base_index: int, start: int) -> None:
        # A destination 3-40 minutes from the base keeps units around their town and its highway.
        times = self._times[base_index][self._reachable]
        candidates = self._reachable[(times > 180) & (times < 2400)]
        for _ in range(20):
            target = int(self.rng.choice(candidates)) if len(candidates) else unit.home
            vertices = self.network.route(start, target)
            if len(vertices) >= 2:
                break
        else:
            vertices = [start, start]
        unit.path = self.network.xy[vertices]
        steps = np.linalg.norm(np.diff(unit.path, axis=0), axis=1)
        unit.cum = np.concatenate([[0.0], np.cumsum(steps)])
        unit.at_m = 0.0
        unit.speed = float(self.network.speed_of_vertex[vertices[0]] * self.rng.uniform(0.6, 1.05))

    def step(self, dt: float) -> None:
        for index, unit in enumerate(self.units):
            unit.at_m += unit.speed * dt
            if unit.at_m >= unit.cum[-1]:
                end = self.network.nearest_vertex(*self.network.lonlat(unit.path[-1]))
                self._new_route(unit, index % len(BASES), start=end)
            if self.rng.random() < dt / 300:  # a status change every five minutes or so
                unit.status = str(self.rng.choice(STATUSES))

    def fix(self, unit: SimUnit, now: float) -> dict[str, Any]:
        i = int(np.clip(np.searchsorted(unit.cum, unit.at_m, side="right") - 1, 0, len(unit.cum) - 2))
        a, b = unit.path[i], unit.path[i + 1]
        span = max(unit.cum[i + 1] - unit.cum[i], 1e-6)
        xy = a + (b - a) * ((unit.at_m - unit.cum[i]) / span)
        lon, lat = self.network.lonlat(xy)
        heading = math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360
        return {"ts": round(now, 3), "lat": round(float(lat), 6), "lon": round(float(lon), 6),
                "speed": round(unit.speed, 1), "heading": round(heading, 1), "accuracy": 8.0,
                "battery": 80 + (hash(unit.unit) % 20)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.fleet", description=__doc__)
    parser.add_argument("--mqtt", default="mqtt://127.0.0.1:1883", help="broker URL")
    parser.add_argument("--units", type=int, default=36)
    parser.add_argument("--roads", type=Path, default=DEFAULT_ROADS, help="OSM road extract (JSON)")
    parser.add_argument("--rate", type=float, default=1.0, help="fixes per unit per second")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    host, port = args.mqtt.split("://", 1)[1].rsplit(":", 1)
    fleet = Fleet(load_roads(args.roads), args.units, np.random.default_rng(args.seed))
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"psn-demo-fleet-{args.seed}",
                         protocol=mqtt.MQTTv311)
    client.connect_async(host, int(port))
    client.loop_start()
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    period = 1.0 / args.rate
    last = time.time()
    statuses: dict[str, str] = {}
    while running:
        now = time.time()
        fleet.step(now - last)
        last = now
        for unit in fleet.units:
            client.publish(unit_topic(unit.agency, unit.unit, UnitKind.TELEMETRY), json.dumps(fleet.fix(unit, now)),
                           qos=1)
            if statuses.get(unit.unit) != unit.status:
                statuses[unit.unit] = unit.status
                client.publish(unit_topic(unit.agency, unit.unit, UnitKind.STATUS),
                               json.dumps({"ts": now, "status": unit.status}), qos=1)
        time.sleep(max(0.0, period - (time.time() - now)))
    client.loop_stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
