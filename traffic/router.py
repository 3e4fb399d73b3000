"""Travel times by road to one place from many: one Dijkstra from the target over the reversed graph.

A point (an incident, a unit) joins the road at its snap point on the nearest segment (`traffic.snap`), after an
off-road leg from the point itself driven at OFFROAD_MPS (15 km/h: a car on a track, a yard or a field). The snap
point splits its segment: the target is reached from the tail of each edge that contains it, at that edge's
fraction of its time (two starts on a two-way road, one on a one-way street); a unit leaves towards the head of
each edge that contains it, for the rest of that edge's time. The target's starts are the edges of a virtual node
appended to the reversed graph, so one scipy `dijkstra` from it gives every node's time to the target, and every
unit's time follows by a lookup. One-way streets count in the direction driven: a unit on one drives with it.
Unreachable gives inf; a unit without a finite position gives NaN.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from traffic.graph import FloatArray, IntArray, RoadGraph
from traffic.snap import SegmentIndex, Snaps
from traffic.utm import to_lonlat, to_utm

OFFROAD_MPS = 15 / 3.6
# A snap point this close to a node is at the node: it may leave by any edge of the node. Without it, a point
# just past a one-way street's end (fraction 1e-12 instead of 0 after a lon/lat round trip) would need the
# edge against the traffic to reach the node it stands on.
AT_NODE_M = 0.01


@dataclass(frozen=True)
class Route:
    """Seconds from a unit to the target and the way there, (lon, lat) from the unit to the target."""

    seconds: float
    path: list[tuple[float, float]]


@dataclass(frozen=True, eq=False)
class _Search:
    target: Snaps  # one row
    seconds_to: FloatArray  # per node (and the virtual node last): seconds to the target's snap point
    next_node: IntArray  # per node: the next node towards the target (the virtual node once there)
    units: Snaps
    finite: NDArray[np.bool_]
    unit_s: FloatArray  # per unit with a finite position
    exit_node: IntArray  # per unit: the node it drives to first, -1 when it drives straight to the target


class Router:
    """Routes on `graph`; `with_speeds` gives a router on live speeds that reuses the snapping index."""

    def __init__(self, graph: RoadGraph, index: SegmentIndex | None = None) -> None:
        self.graph = graph
        self.index = index or SegmentIndex(graph.xy, *graph.segments)
        n = graph.nodes
        # Reversed: an edge tail -> head becomes head -> tail; row n (the virtual node) stays empty here.
        reverse = csr_matrix((graph.travel_s, (graph.head, graph.tail)), shape=(n + 1, n + 1))
        reverse.sort_indices()
        reverse.indices, reverse.indptr = reverse.indices.astype(np.int32), reverse.indptr.astype(np.int32)
        self._reverse = reverse

    def with_speeds(self, edge_speeds: Sequence[float] | FloatArray) -> Router:
        return Router(self.graph.with_speeds(edge_speeds), self.index)

    def _edge_s(self, tail: IntArray, head: IntArray) -> FloatArray:
        """Seconds of the edge tail -> head, inf where there is none."""
        edge = self.graph.edge_index(tail, head)
        return np.where(edge >= 0, self.graph.travel_s[edge], np.inf)

    def _ends(self, snaps: Snaps, leaving: bool) -> tuple[FloatArray, FloatArray]:
        """Seconds between each snap point and its segment's ends a and b by the edges that may be driven:
        leaving the point (a unit) or arriving at it (the target); inf where no edge goes that way, 0 where the
        point is at that end (within AT_NODE_M), whatever the edge."""
        f, a, b = snaps.fraction, snaps.a, snaps.b
        length = self.index.length[snaps.segment]
        toward_a = self._edge_s(b, a) if leaving else self._edge_s(a, b)
        toward_b = self._edge_s(a, b) if leaving else self._edge_s(b, a)
        with np.errstate(invalid="ignore"):  # 0 * inf where the point is at an end: replaced by 0
            end_a = np.where(f * length <= AT_NODE_M, 0.0, f * toward_a)
            end_b = np.where((1 - f) * length <= AT_NODE_M, 0.0, (1 - f) * toward_b)
        return end_a, end_b

    def _direct(self, units: Snaps, target: Snaps) -> FloatArray:
        """Seconds from units on the target's own segment straight along it (inf for the others)."""
        seconds = np.full(len(units.segment), np.inf)
        same = np.flatnonzero(units.segment == target.segment[0])
        uf, tf = units.fraction[same], target.fraction[0]
        a, b = units.a[same], units.b[same]
        ahead = np.where(uf <= tf, self._edge_s(a, b), self._edge_s(b, a))
        gap_m = np.abs(tf - uf) * self.index.length[target.segment[0]]
        with np.errstate(invalid="ignore"):  # 0 * inf where the unit is at the target: replaced by 0
            seconds[same] = np.where(gap_m <= AT_NODE_M, 0.0, np.abs(tf - uf) * ahead)
        return seconds

    def _search(self, target_lonlat: tuple[float, float], unit_lonlats: ArrayLike, paths: bool) -> _Search:
        target_xy = to_utm(*target_lonlat)
        if not np.all(np.isfinite(target_xy)):
            raise ValueError(f"the target {target_lonlat!r} is not a finite (lon, lat)")
        target = self.index.snap(target_xy)
        start_s = np.concatenate(self._ends(target, leaving=False))
        start_node = np.concatenate([target.a, target.b])
        # A 0 s start (the target at a node) is still an edge: csgraph keeps explicit zeros of a CSR matrix (the
        # target-at-A cases of tests/traffic/test_router.py would fail otherwise).
        keep = np.isfinite(start_s)
        n = self.graph.nodes
        indptr = self._reverse.indptr.copy()
        indptr[-1] += int(keep.sum())  # the virtual node's row is the last: its edges go at the end
        matrix = csr_matrix((np.concatenate([self._reverse.data, start_s[keep]]),
                             np.concatenate([self._reverse.indices, start_node[keep].astype(np.int32)]), indptr),
                            shape=(n + 1, n + 1))
        if paths:
            seconds_to, predecessors = dijkstra(matrix, indices=n, return_predecessors=True)
        else:
            seconds_to, predecessors = dijkstra(matrix, indices=n), np.empty(0, dtype=np.intp)

        lonlat = np.asarray(unit_lonlats, dtype=float).reshape(-1, 2)
        xy = to_utm(lonlat[:, 0], lonlat[:, 1]) if len(lonlat) else np.empty((0, 2))
        finite = np.all(np.isfinite(xy), axis=1)
        units = self.index.snap(xy[finite])
        to_a, to_b = self._ends(units, leaving=True)
        via_a, via_b = to_a + seconds_to[units.a], to_b + seconds_to[units.b]
        direct = self._direct(units, target)
        road_s = np.minimum(np.minimum(via_a, via_b), direct)
        exit_node = np.where(direct <= np.minimum(via_a, via_b), -1, np.where(via_a < via_b, units.a, units.b))
        unit_s = road_s + (units.distance_m + target.distance_m[0]) / OFFROAD_MPS
        return _Search(target, np.asarray(seconds_to), np.asarray(predecessors), units, finite, unit_s, exit_node)

    def travel_times_to(self, target_lonlat: tuple[float, float], unit_lonlats: ArrayLike) -> FloatArray:
        """Seconds from each unit (lon, lat) to the target by road: inf if unreachable, NaN without a position."""
        search = self._search(target_lonlat, unit_lonlats, paths=False)
        seconds = np.full(len(search.finite), np.nan)
        seconds[search.finite] = search.unit_s
        return seconds

    def routes_to(self, target_lonlat: tuple[float, float], unit_lonlats: ArrayLike) -> list[Route]:
        """Each unit's time and path to the target, from the same one search (for the top few of a ranking)."""
        search = self._search(target_lonlat, unit_lonlats, paths=True)
        routes: list[Route] = []
        row = 0
        lonlat = np.asarray(unit_lonlats, dtype=float).reshape(-1, 2)
        for i, finite in enumerate(search.finite):
            if not finite:
                routes.append(Route(float("nan"), []))
                continue
            seconds = float(search.unit_s[row])
            if not np.isfinite(seconds):
                routes.append(Route(seconds, []))
            else:
                routes.append(Route(seconds, self._path(search, row, lonlat[i], target_lonlat)))
            row += 1
        return routes

    def route(self, from_lonlat: tuple[float, float], to_lonlat: tuple[float, float]
              ) -> tuple[float, list[tuple[float, float]]]:
        """Seconds and (lon, lat) path from one point to another; (inf, []) if there is no way."""
        found = self.routes_to(to_lonlat, [from_lonlat])[0]
        return found.seconds, found.path

    def route_edges(self, from_lonlat: tuple[float, float], to_lonlat: tuple[float, float]) -> IntArray:
        """The directed edges of the quickest way from one point to another, in driving order; the edges that
        hold the two snap points count whole. Empty if there is no way (or `from_lonlat` is not finite)."""
        search = self._search(to_lonlat, [from_lonlat], paths=True)
        if not search.finite[0] or not np.isfinite(search.unit_s[0]):
            return np.empty(0, dtype=np.intp)
        units, target, length = search.units, search.target, self.index.length
        nodes = self._nodes(search, 0)
        if not nodes:  # along the target's own segment
            ahead = units.fraction[0] <= target.fraction[0]
            pairs = [(units.a[0], units.b[0]) if ahead else (units.b[0], units.a[0])]
        else:
            # The snap point's own edge to the first node and the last node's edge to the target, unless the
            # point is at that node already.
            first, last = nodes[0], nodes[-1]
            f = units.fraction[0] if first == units.a[0] else 1 - units.fraction[0]
            g = target.fraction[0] if last == target.a[0] else 1 - target.fraction[0]
            start = [(units.a[0] + units.b[0] - first, first)] if f * length[units.segment[0]] > AT_NODE_M else []
            end = [(last, target.a[0] + target.b[0] - last)] if g * length[target.segment[0]] > AT_NODE_M else []
            pairs = start + list(itertools.pairwise(nodes)) + end
        tail, head = np.array(pairs, dtype=np.intp).reshape(-1, 2).T
        edges = self.graph.edge_index(tail, head)
        return edges[edges >= 0]

    def _nodes(self, search: _Search, row: int) -> list[int]:
        """The graph nodes a unit drives through to the target, in order (none when it drives straight there)."""
        nodes: list[int] = []
        node, virtual = int(search.exit_node[row]), self.graph.nodes
        while node >= 0 and node != virtual:
            nodes.append(node)
            node = int(search.next_node[node])
        return nodes

    def _path(self, search: _Search, row: int, unit_lonlat: FloatArray, target_lonlat: tuple[float, float]
              ) -> list[tuple[float, float]]:
        points = [search.units.xy[row], *(self.graph.xy[node] for node in self._nodes(search, row))]
        points.append(search.target.xy[0])
        middle = [(float(lon), float(lat)) for lon, lat in to_lonlat(np.array(points))]
        return [(float(unit_lonlat[0]), float(unit_lonlat[1])), *middle, (float(target_lonlat[0]),
                                                                         float(target_lonlat[1]))]
