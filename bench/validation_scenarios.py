"""The scenarios psn's traffic estimates are validated on: a generated town and a clip of the shipped Belize roads.

Each has a bottleneck and an incident (a breakdown blocking one lane: bench/sumo_scenario.py `Closure`):
- corridor (the tests'): a straight road, a breakdown on its third edge, a lane drop at its end;
- town: a trunk avenue (2 lanes, 80 km/h) carries AVENUE_VPH eastbound; the breakdown blocks the right lane of
  its second edge for CLOSURE_S from a third of the run.
  The bottleneck: CROSS_VPH northbound up the single-lane cross street, which must yield to the avenue where
  they cross, more than the gaps in the avenue's traffic let through. Random background trips elsewhere.
- belize: the shipped roads inside BELIZE_BBOX (Belize City, Ladyville, Hattieville); the Western Highway's
  traffic from Belize City to Hattieville (BELIZE_VPH), a crash blocking both lanes of a mid-route trunk edge
  (one blocked lane slowed nothing: the ~1,500 vehicles/h that reach it fit in the other, and SUMO's speed on
  the edge stayed at 72.9-76.0 km/h in every interval, measured; both blocked: 41 and 17 km/h); the bottleneck
  is the same traffic squeezing from two trunk lanes into the one primary lane at the route's end
  (bench/sumo_scenario.py LANES: 2 for trunk, 1 otherwise).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from bench.sumo_scenario import Closure, Flow, Scenario, clip, town
from traffic.graph import IntArray, RoadGraph
from traffic.loader import load_roads
from traffic.utm import to_utm

CORRIDOR_VPH = 2200.0  # at 2,000/h one lane carried it all: the breakdown slowed nothing (measured)
AVENUE_VPH = 1600.0
CROSS_VPH = 400.0
CLOSURE_S = 600.0
BELIZE_BBOX = (345000.0, 1925000.0, 380000.0, 1945000.0)  # UTM 16N: Hattieville to Belize City and Ladyville
BELIZE_VPH = 2400.0
BELIZE_CITY, HATTIEVILLE = (-88.2, 17.5), (-88.39, 17.46)


def _straight(graph: RoadGraph, edges: IntArray) -> IntArray:
    """Of `edges` (a straight street), those heading east (north if it runs north-south), ordered along it."""
    axis = int(np.argmax(np.abs(graph.xy[graph.head[edges]] - graph.xy[graph.tail[edges]]).sum(axis=0)))
    forward = edges[graph.xy[graph.head[edges], axis] > graph.xy[graph.tail[edges], axis]]
    return forward[np.argsort(graph.xy[graph.tail[forward], axis])]


def town_scenario(size: int = 6, duration_s: float = 1800.0, seed: int = 1,
                  background_period_s: float = 2.0) -> Scenario:
    graph = town(size, seed=seed)
    classes = np.array(graph.road_class)
    avenue = _straight(graph, np.flatnonzero(classes == "trunk"))
    cross = _straight(graph, np.flatnonzero(classes == "primary"))
    start = round(duration_s / 3 / 60) * 60.0
    flows = (Flow(int(avenue[0]), int(avenue[-1]), 0.0, duration_s, AVENUE_VPH),
             Flow(int(cross[0]), int(cross[-1]), 0.0, duration_s, CROSS_VPH))
    closure = Closure(int(avenue[1]), start, start + CLOSURE_S)
    return Scenario(graph, duration_s, flows, closure, background_period_s, seed)


def corridor(edges: int = 8, edge_m: float = 400.0, narrow: int = 2, vph: float = CORRIDOR_VPH,
             duration_s: float = 1200.0, closure_s: tuple[float, float] = (600.0, 900.0)) -> Scenario:
    """The smallest scenario with both: a straight two-way road east from Belize City, `edges` trunk edges (2 lanes,
    80 km/h) then `narrow` primary ones (1 lane, 60 km/h: the bottleneck), `vph` eastbound; the incident blocks
    the right lane of the third edge for `closure_s` (after 10 minutes: psn's drop detector learns a baseline
    over its first 5)."""
    x = 373000.0 + edge_m * np.arange(edges + narrow + 1)
    xy = np.column_stack([x, np.full(len(x), 1935000.0)])
    tail = np.arange(edges + narrow)
    classes = ["trunk"] * edges + ["primary"] * narrow
    speed = [80 / 3.6] * edges + [60 / 3.6] * narrow
    graph = RoadGraph.build(xy, np.concatenate([tail, tail + 1]), np.concatenate([tail + 1, tail]), speed * 2,
                            classes * 2, ["Corridor"] * 2 * (edges + narrow))
    east = graph.edge_index(tail, tail + 1)
    return Scenario(graph, duration_s, (Flow(int(east[0]), int(east[-1]), 0.0, duration_s, vph),),
                    Closure(int(east[2]), *closure_s))


def path_edges(graph: RoadGraph, source: int, target: int) -> IntArray:
    """The edges of the quickest free-flow path from node `source` to node `target`, in order."""
    matrix = csr_matrix((graph.travel_s, (graph.tail, graph.head)), shape=(graph.nodes, graph.nodes))
    _, previous = dijkstra(matrix, indices=source, return_predecessors=True)
    nodes = [target]
    while nodes[-1] != source:
        if previous[nodes[-1]] < 0:
            raise ValueError(f"node {target} cannot be reached from node {source}")
        nodes.append(int(previous[nodes[-1]]))
    nodes.reverse()
    return graph.edge_index(np.array(nodes[:-1]), np.array(nodes[1:]))


def nearest_node(graph: RoadGraph, lonlat: tuple[float, float]) -> int:
    return int(np.argmin(np.linalg.norm(graph.xy - to_utm(*lonlat)[0], axis=1)))


def belize(duration_s: float = 3600.0, seed: int = 1) -> Scenario:
    graph, shipped = clip(load_roads().graph(), BELIZE_BBOX)
    route = path_edges(graph, nearest_node(graph, BELIZE_CITY), nearest_node(graph, HATTIEVILLE))
    two_lane = [int(e) for e in route[len(route) // 3:2 * len(route) // 3] if graph.road_class[e] == "trunk"]
    if not two_lane:
        raise ValueError("no trunk edge in the middle third of the Belize City - Hattieville route to close")
    start = round(duration_s / 3 / 60) * 60.0
    closure = Closure(max(two_lane, key=lambda e: graph.length_m[e]), start, start + CLOSURE_S, (0, 1))
    flows = (Flow(int(route[0]), int(route[-1]), 0.0, duration_s, BELIZE_VPH),)
    return Scenario(graph, duration_s, flows, closure, 4.0, seed, shipped)
