"""Stand-ins for the pure analytics (tests only): objects honouring the contracts of traffic.matching,
traffic.speeds, traffic.history and traffic.detect with trivial algorithms, so the shell's wiring is tested apart
from them. Every position "matches" edge 0 with its reported speed; a segment's speed is the mean of its samples;
an alert is raised when edge 0 falls below 5 m/s and cleared when it is back above."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyproj

from psn.traffic.engines import Engines
from psn.traffic.packed import Packed
from traffic.graph import RoadGraph
from traffic.samples import SpeedSample
from traffic.utm import to_utm

# A 2 km straight road east out of Belize City (lon, lat), both ways: edges 0 (west→east) and 1 (back).
WEST, EAST = (-88.20, 17.50), (-88.18114, 17.50)


# pyproj itself, not traffic.utm: where a test puts a vehicle does not come from the code under test.
TO_LONLAT = pyproj.Transformer.from_crs("EPSG:32616", "EPSG:4326", always_xy=True)
TO_UTM = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32616", always_xy=True)


def along(start_m: float, speed: float, direction: float, i: int) -> tuple[float, float]:
    """(lon, lat) `start_m + direction × speed × i` metres east of the road's west end, on the road."""
    x0, y0 = TO_UTM.transform(*WEST)
    lon, lat = TO_LONLAT.transform(x0 + start_m + direction * speed * i, y0)
    return float(lon), float(lat)


def road() -> RoadGraph:
    xy = to_utm([WEST[0], EAST[0]], [WEST[1], EAST[1]])
    return RoadGraph.build(xy, [0, 1], [1, 0], [20.0, 20.0], ["primary", "primary"], ["East Road", "East Road"])


@dataclass
class Matcher:
    pushes: list[tuple[list[str], np.ndarray[Any, Any], np.ndarray[Any, Any]]] = field(default_factory=list)
    forgets: list[float] = field(default_factory=list)
    vehicles: set[str] = field(default_factory=set)

    def push_packed(self, vehicles: list[str], ts: Any, xy: Any, speed: Any, heading: Any) -> Packed:
        self.pushes.append((list(vehicles), np.array(ts), np.array(xy)))
        self.vehicles.update(vehicles)
        n = len(vehicles)
        return Packed(np.zeros(n, dtype=np.int8), np.arange(n), np.zeros(n, dtype=np.int64), np.array(ts, dtype=float),
                      np.array(speed, dtype=float), np.ones(n, dtype=np.int8), np.full(n, np.nan),
                      np.full(n, -1, dtype=np.int64))  # outcome 0: matched; whole edge, vehicle unknown

    def forget(self, silent_since: float) -> list[SpeedSample]:
        self.forgets.append(silent_since)
        self.vehicles.clear()
        return []

    @property
    def active(self) -> int:
        return len(self.vehicles)


class Speeds:
    def __init__(self, edges: int) -> None:
        self.sums, self.counts = np.zeros(edges), np.zeros(edges, dtype=np.int64)
        self.updated = np.full(edges, np.nan)

    def add(self, samples: list[SpeedSample]) -> Any:
        for s in samples:
            self.sums[s.edge] += s.speed_mps
            self.counts[s.edge] += 1
            self.updated[s.edge] = s.ts
        return SimpleNamespace(accepted=len(samples), outliers=0, unknown_edge=0, bad=0)

    def live_speeds(self, now: float, snapshot: Any = None) -> np.ndarray[Any, Any]:
        with np.errstate(invalid="ignore"):
            return np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1), np.nan)

    def free_flow(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        return np.full(len(self.sums), 20.0), np.zeros(len(self.sums), dtype=bool)

    def snapshot(self, now: float) -> Any:
        speed = self.live_speeds(now)
        level = np.where(np.isnan(speed), 0, np.where(speed >= 15, 1, 4)).astype(np.int8)
        return SimpleNamespace(ts=now, speed_mps=speed, free_flow_mps=np.full(len(speed), 20.0), level=level,
                               confidence=np.minimum(self.counts / 10, 1.0), samples=self.counts.copy(),
                               updated=self.updated.copy())


class History:
    def __init__(self) -> None:
        self.added: list[SpeedSample] = []

    def add(self, samples: list[SpeedSample]) -> None:
        self.added.extend(samples)

    def at(self, ts: float) -> tuple[float, Any, Any]:
        return ts - ts % 300, np.array([10.0, np.nan]), np.array([3, 0])

    def series(self, edge: int, since: float, until: float) -> list[tuple[float, float, int]]:
        return [(since - since % 300, 10.0, 3)] if edge == 0 else []


class Detector:
    def __init__(self) -> None:
        self.active: dict[str, Any] = {}

    def update(self, snapshot: Any) -> list[Any]:
        speed = float(snapshot.speed_mps[0])
        if speed < 5 and "a-0" not in self.active:
            self.active["a-0"] = SimpleNamespace(id="a-0", edge=0, raised=snapshot.ts, speed_mps=speed,
                                                 baseline_mps=20.0, cleared=None, from_m=0.0, to_m=float("inf"))
            return [self.active["a-0"]]
        if speed >= 5 and "a-0" in self.active:
            cleared = SimpleNamespace(**{**vars(self.active.pop("a-0")), "cleared": snapshot.ts})
            return [cleared]
        return []


def engines(graph: RoadGraph) -> Engines:
    return Engines.on(graph, Matcher(), Speeds(graph.edges), History(), Detector(), {}, {}, lambda *_: [])
