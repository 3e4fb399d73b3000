"""The live demo scenario: police and NEMO units patrolling real Belize roads and answering dispatch, over MQTT.

The motion model (`Fleet`) is pure and stepped by the caller; `main` is the shell that publishes each unit's
fix once a second exactly as a field unit would (`psn/v1/{agency}/{unit}/telemetry`, QoS 1), listens on each
unit's `cmd` topic and publishes what its `Responder` answers (acks, then `en_route`, `on_scene`, `available`).
Every twelfth unit is out of service and parked.
"""

from __future__ import annotations

import argparse
import json
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from numpy.typing import NDArray
from paho.mqtt.enums import CallbackAPIVersion

from simulator.paths import cumulative, position
from simulator.responder import ON_SCENE_S, RESPONSE_SPEEDUP, Outgoing, Responder
from simulator.stopping import stop_on_signals
from telemetry.topics import UnitKind, cmd_topic, unit_topic
from traffic import DEFAULT_ROADS, RoadNetwork, load_roads

# Where units are based (lon, lat) and which agencies patrol there.
BASES = {
    "Belize City": ((-88.1960, 17.5000), ("police", "police", "nemo")),
    "Belmopan": ((-88.7700, 17.2510), ("police", "nemo", "nemo")),
    "Ladyville": ((-88.2920, 17.5540), ("police",)),
    "San Ignacio": ((-89.0700, 17.1590), ("police", "nemo")),
}
OUT_OF_SERVICE_EVERY = 12  # units 12, 24 … are out of service (parked) for the whole demo


@dataclass
class SimUnit:
    agency: str
    unit: str
    home: int
    path: NDArray[np.float64]  # (n, 2) UTM metres along the current route
    cum: NDArray[np.float64]  # cumulative distance along path
    at_m: float
    speed: float
    status: str  # its state word: available, out_of_service, en_route, on_scene
    responder: Responder = field(default_factory=Responder)


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
            status = "out_of_service" if (i + 1) % OUT_OF_SERVICE_EVERY == 0 else "available"
            unit = SimUnit(agency, f"{prefix}-{100 + counters[agency]}", home, np.empty((0, 2)), np.empty(0), 0.0,
                           0.0, status)
            self._new_route(unit, i % len(base_list), start=home)
            unit.at_m = float(rng.uniform(0, unit.cum[-1]))
            self.units.append(unit)

    def _new_route(self, unit: SimUnit, base_index: int, start: int,
                   here: NDArray[np.float64] | None = None) -> None:
        """A patrol route from vertex `start` (from `here` first, when the unit is off the network: a scene)."""
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
        path = self.network.xy[vertices]
        _follow(unit, path if here is None else np.vstack([here.reshape(1, 2), path]))
        unit.speed = float(self.network.speed_of_vertex[vertices[0]] * self.rng.uniform(0.6, 1.05))

    def step(self, dt: float, now: float = 0.0) -> list[tuple[SimUnit, str, dict[str, Any]]]:
        """Moves every unit on by `dt` seconds; returns the status messages that produced (arrivals, clears)."""
        out: list[tuple[SimUnit, str, dict[str, Any]]] = []
        for index, unit in enumerate(self.units):
            task = unit.responder.task
            if unit.status == "out_of_service" or (task is not None and task.clear_at is not None):
                if task is not None and task.clear_at is not None and now >= task.clear_at:
                    out += self._report(unit, unit.responder.cleared(now))
                    here = self._where(unit)[0]
                    end = self.network.nearest_vertex(*self.network.lonlat(here))
                    self._new_route(unit, index % len(BASES), start=end, here=here)
                continue
            unit.at_m += unit.speed * dt
            if unit.at_m >= unit.cum[-1]:
                if task is not None:
                    unit.at_m = float(unit.cum[-1])
                    out += self._report(unit, unit.responder.arrived(now, float(self.rng.uniform(*ON_SCENE_S))))
                else:
                    end = self.network.nearest_vertex(*self.network.lonlat(unit.path[-1]))
                    self._new_route(unit, index % len(BASES), start=end)
        return out

    def command(self, unit: SimUnit, cmd: Any, now: float) -> list[tuple[SimUnit, str, dict[str, Any]]]:
        """The unit's answer to a command from psn; an assignment sets it driving to the scene."""
        before = unit.responder.task
        out = self._report(unit, unit.responder.command(cmd, self._where(unit)[0], now))
        task = unit.responder.task
        if task is not None and task is not before:
            _follow(unit, task.path)
            unit.speed = max(unit.speed, 8.0) * RESPONSE_SPEEDUP
        return out

    @staticmethod
    def _report(unit: SimUnit, messages: Outgoing) -> list[tuple[SimUnit, str, dict[str, Any]]]:
        for kind, payload in messages:
            if kind == "status":
                unit.status = payload["status"]
        return [(unit, kind, payload) for kind, payload in messages]

    @staticmethod
    def _where(unit: SimUnit) -> tuple[NDArray[np.float64], float]:
        """The unit's position (UTM metres) and heading (degrees from north)."""
        return position(unit.path, unit.cum, unit.at_m)

    def fix(self, unit: SimUnit, now: float) -> dict[str, Any]:
        xy, heading = self._where(unit)
        lon, lat = self.network.lonlat(xy)
        return {"ts": round(now, 3), "lat": round(float(lat), 6), "lon": round(float(lon), 6),
                "speed": round(unit.speed, 1), "heading": round(heading, 1), "accuracy": 8.0,
                "battery": 80 + (hash(unit.unit) % 20)}


def _follow(unit: SimUnit, path: NDArray[np.float64]) -> None:
    """Sets the unit at the start of `path` (UTM metres, at least one point)."""
    if len(path) == 1:
        path = np.vstack([path, path])
    unit.path = path
    unit.cum = cumulative(path)
    unit.at_m = 0.0


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
    by_topic = {cmd_topic(u.agency, u.unit): u for u in fleet.units}
    commands: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
    # Commands arrive on paho's thread; the loop below handles them between steps (within a second).
    client.on_message = lambda _c, _u, message: commands.put((message.topic, bytes(message.payload)))
    client.on_connect = lambda c, *_: c.subscribe([(topic, 1) for topic in by_topic])
    client.connect_async(host, int(port))
    client.loop_start()
    stopped = stop_on_signals()
    period = 1.0 / args.rate
    last = time.time()
    outgoing = [(unit, "status", {"ts": last, "status": unit.status}) for unit in fleet.units]
    while not stopped.is_set():
        now = time.time()
        while not commands.empty():
            topic, payload = commands.get()
            outgoing += fleet.command(by_topic[topic], _json(payload), now) if topic in by_topic else []
        outgoing += fleet.step(now - last, now)
        last = now
        for unit in fleet.units:
            client.publish(unit_topic(unit.agency, unit.unit, UnitKind.TELEMETRY), json.dumps(fleet.fix(unit, now)),
                           qos=1)
        for unit, kind, message in outgoing:
            client.publish(unit_topic(unit.agency, unit.unit, kind), json.dumps(message), qos=1)
        outgoing = []
        stopped.wait(max(0.0, period - (time.time() - now)))
    client.loop_stop()
    return 0


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None  # the responder ignores what is not a command


if __name__ == "__main__":
    raise SystemExit(main())
