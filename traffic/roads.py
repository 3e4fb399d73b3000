"""A routable road network from polylines (the Belize trunk and primary roads, shipped in `data/`).

The OSM extract is in fragments; endpoints are snapped to any vertex of another fragment within
`snap_m` (100 m joins most of the 675 km; the gaps it leaves, some real, are closed one by one by the reviewed
connectors of `traffic.connectors`, applied by `traffic.loader`). Distances are metric in UTM 16N.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from traffic.graph import RoadGraph
from traffic.utm import to_lonlat, to_utm

# OpenStreetMap extract (ODbL 1.0, © OpenStreetMap contributors; see data/ATTRIBUTION.md).
DEFAULT_ROADS: Path = Path(__file__).resolve().parent / "data" / "belize-osm-roads.json"
# Free-flow speeds by road class, m/s (used for travel times and the demo fleet).
CLASS_SPEED = {"trunk": 80 / 3.6, "primary": 60 / 3.6}


@dataclass(frozen=True, slots=True)
class Road:
    name: str
    road_class: str
    coords: Sequence[tuple[float, float]]  # (lon, lat)


class RoadNetwork:
    def __init__(self, roads: Iterable[Road], snap_m: float = 100.0) -> None:
        self.roads = list(roads)
        lonlat = np.array([c for road in self.roads for c in road.coords], dtype=float)
        self.xy: NDArray[np.float64] = to_utm(lonlat[:, 0], lonlat[:, 1])
        starts = np.cumsum([0] + [len(r.coords) for r in self.roads])
        road_of = np.repeat(np.arange(len(self.roads)), np.diff(starts))
        speed_of = np.array([CLASS_SPEED.get(r.road_class, 50 / 3.6) for r in self.roads])

        # Edges along each polyline.
        along = np.concatenate([np.arange(s, e - 1) for s, e in itertools.pairwise(starts)])
        a, b = along, along + 1
        # Snap edges: each polyline endpoint to the nearest vertex of another polyline within snap_m.
        tree = cKDTree(self.xy)
        ends = np.concatenate([starts[:-1], starts[1:] - 1])
        snap_a, snap_b = [], []
        for end in ends:
            for other in tree.query_ball_point(self.xy[end], snap_m):
                if road_of[other] != road_of[end]:
                    snap_a.append(end)
                    snap_b.append(other)
        a = np.concatenate([a, np.array(snap_a, dtype=int)])
        b = np.concatenate([b, np.array(snap_b, dtype=int)])
        length = np.linalg.norm(self.xy[a] - self.xy[b], axis=1)
        seconds = length / speed_of[road_of[a]]
        n = len(self.xy)
        self.length = _symmetric(a, b, np.maximum(length, 0.01), n)
        self.travel_s = _symmetric(a, b, np.maximum(seconds, 0.001), n)
        self.speed_of_vertex = speed_of[road_of]
        self._edges = (a, b, road_of[a], speed_of[road_of[a]])
        self.components = connected_components(self.length, directed=False)[1]

    def graph(self) -> RoadGraph:
        """The same network as a directed graph: every road (and snap join) both ways, the same travel times.

        Vertices at the same point (ways meeting at one OSM node: each polyline has its own copy) are one node.
        Kept apart, the snap step joined the copies by 0 m edges and each copy to the other's neighbours, so one
        stretch of road was two or three edges with the same ends (the Belize City clip: 84 edges of 0 m and 362 pairs
        of such twins among 782 edges), and a vehicle on one was matched to its twin at random."""
        a, b, road, speed = self._edges
        classes = [self.roads[r].road_class for r in road]
        names = [self.roads[r].name for r in road]
        xy, node = np.unique(self.xy, axis=0, return_inverse=True)
        node = node.reshape(-1)
        return RoadGraph.build(xy, np.concatenate([node[a], node[b]]), np.concatenate([node[b], node[a]]),
                               np.concatenate([speed, speed]), classes * 2, names * 2)

    @property
    def largest_component(self) -> NDArray[np.intp]:
        labels, counts = np.unique(self.components, return_counts=True)
        return np.flatnonzero(self.components == labels[np.argmax(counts)])

    def nearest_vertex(self, lon: float, lat: float) -> int:
        x, y = to_utm(lon, lat)[0]
        return int(np.argmin(np.hypot(self.xy[:, 0] - x, self.xy[:, 1] - y)))

    def route(self, source: int, target: int) -> list[int]:
        """Vertices of the shortest path by travel time; empty if unreachable."""
        _, predecessors = dijkstra(self.travel_s, indices=source, return_predecessors=True)
        if source != target and predecessors[target] < 0:
            return []
        path = [target]
        while path[-1] != source:
            path.append(int(predecessors[path[-1]]))
        return path[::-1]

    def travel_times_from(self, sources: Sequence[int]) -> NDArray[np.float64]:
        """Seconds from each source to every vertex (inf where unreachable)."""
        return np.asarray(dijkstra(self.travel_s, indices=list(sources)))

    def lonlat(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return to_lonlat(xy)


def _symmetric(a: NDArray[np.intp], b: NDArray[np.intp], w: NDArray[np.float64], n: int) -> csr_matrix:
    """Undirected sparse graph; where two edges join the same vertices, the shorter wins (CSR would sum)."""
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    weights = np.concatenate([w, w])
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return csr_matrix((weights[first], (rows[first], cols[first])), shape=(n, n))
