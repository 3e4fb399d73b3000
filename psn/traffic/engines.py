"""The pure traffic analytics one server runs (`traffic.matching`, `traffic.speeds`, `traffic.history`,
`traffic.detect`, `traffic.corridors`), built together on one road graph.

The service takes a factory (`Build`), so the shell can be tested with any objects honouring those contracts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from psn.traffic.matcher_process import MatcherProcess
from psn.traffic.packed import Packed
from traffic.corridors import DEFAULT_CORRIDORS, Corridor, CorridorTime, corridor_edges, corridor_times
from traffic.detect import DropDetector
from traffic.graph import FloatArray, IntArray, RoadGraph
from traffic.history import SpeedHistory
from traffic.router import Router
from traffic.samples import SpeedSample
from traffic.speeds import SegmentSpeeds
from traffic.utm import to_lonlat, to_utm

log = logging.getLogger(__name__)
# A corridor whose town is farther than this from every road of the graph is not on it (a city-only roads_file).
CORRIDOR_REACH_M = 2000.0
HISTORY_BIN_S = 300.0  # segment history: 5-minute bins (traffic.history's default), 6 h of them
CorridorTimes = Callable[[RoadGraph, Mapping[str, IntArray], FloatArray], list[CorridorTime]]


class Matching(Protocol):
    """What the service asks of a map matcher (`traffic.matching.Matcher`'s calls, `push_many` packed into arrays:
    `MatcherProcess` runs one in a process of its own)."""

    @property
    def active(self) -> int: ...

    def push_packed(self, vehicles: Sequence[str], ts: FloatArray, xy: FloatArray, speed_mps: FloatArray,
                    heading_deg: FloatArray) -> Packed: ...

    def forget(self, silent_since: float) -> list[SpeedSample]: ...


@dataclass(eq=False)
class Engines:
    graph: RoadGraph
    matcher: Matching
    speeds: SegmentSpeeds
    history: SpeedHistory
    detector: DropDetector
    corridors: Mapping[str, Corridor]  # by id: those the graph routes
    corridor_edges: Mapping[str, IntArray]  # the free-flow route of each, in order
    corridor_times: CorridorTimes  # traffic.corridors.corridor_times
    lonlat: FloatArray  # (nodes, 2) the graph's nodes in degrees, for GeoJSON

    @classmethod
    def on(cls, graph: RoadGraph, matcher: Matching, speeds: SegmentSpeeds, history: SpeedHistory,
           detector: DropDetector, corridors: Mapping[str, Corridor], edges: Mapping[str, IntArray],
           times: CorridorTimes) -> Engines:
        return cls(graph, matcher, speeds, history, detector, corridors, edges, times,
                   np.asarray(to_lonlat(graph.xy)))

    def start(self) -> None:
        """Starts the matcher's process now, if it has one (else its first batch waits for it)."""
        if isinstance(self.matcher, MatcherProcess):
            self.matcher.start()

    def close(self) -> None:
        """Ends the matcher's process, if it has one."""
        if isinstance(self.matcher, MatcherProcess):
            self.matcher.close()


Build = Callable[[Router], Engines]


def build(router: Router) -> Engines:
    """The shipped analytics with their default settings on `router`'s graph; the default corridors whose towns
    the graph reaches (a custom `roads_file` may not reach every town: those are left out, and logged)."""
    graph = router.graph
    corridors: dict[str, Corridor] = {}
    edges: dict[str, IntArray] = {}
    for corridor in DEFAULT_CORRIDORS:
        ends = to_utm([corridor.origin_lonlat[0], corridor.destination_lonlat[0]],
                      [corridor.origin_lonlat[1], corridor.destination_lonlat[1]])
        off = float(router.index.snap(ends).distance_m.max())
        if off > CORRIDOR_REACH_M:
            log.info("corridor %s left out: a town is %.0f m from the nearest road of the graph", corridor.id, off)
            continue
        try:
            route = corridor_edges(router, corridor)
        except ValueError as exc:
            log.warning("corridor %s left out: %s", corridor.id, exc)
            continue
        if len(route):
            corridors[corridor.id], edges[corridor.id] = corridor, route
    speeds = SegmentSpeeds(graph.speed_mps, length_m=graph.length_m)
    return Engines.on(graph, MatcherProcess(graph), speeds, SpeedHistory(graph.edges, HISTORY_BIN_S),
                      DropDetector(speeds.recent.pieces), corridors, edges, corridor_times)
