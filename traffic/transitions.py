"""Road distances between map-matching candidates: an upper-bounded table of node-to-node shortest paths.

Like FMM's UBODT: every node pair closer than `limit_m` by road (along the directed graph, so one-way streets
count) is computed once, up front, with scipy's bounded Dijkstra, and kept as sorted keys (tail * nodes + head)
with the distance and the last node before the head; a lookup is one vectorised `searchsorted`. Pairs farther
apart than the limit read as inf: the matcher bounds every route by the speed limit times the time between
fixes, so a route longer than the table's limit is one it would refuse anyway.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from traffic.graph import FloatArray, IntArray, RoadGraph

# Sources per Dijkstra call: each call returns dense (chunk, nodes) arrays, so this bounds the memory.
CHUNK = 256
# csgraph drops nothing, but a zero weight would make a snap join free; a millimetre keeps it an edge.
MIN_EDGE_M = 0.001


class RouteTable:
    """Shortest distances (m) along `graph` between node pairs at most `limit_m` apart by road."""

    def __init__(self, graph: RoadGraph, limit_m: float) -> None:
        self.graph, self.limit_m, n = graph, limit_m, graph.nodes
        matrix = csr_matrix((np.maximum(graph.length_m, MIN_EDGE_M), (graph.tail, graph.head)), shape=(n, n))
        keys: list[NDArray[np.int64]] = []
        distances: list[FloatArray] = []
        previous: list[IntArray] = []
        for first in range(0, n, CHUNK):
            sources = np.arange(first, min(n, first + CHUNK))
            dist, pred = dijkstra(matrix, indices=sources, limit=limit_m, return_predecessors=True)
            row, col = np.nonzero(np.isfinite(dist))
            keys.append(sources[row].astype(np.int64) * n + col)
            distances.append(dist[row, col])
            previous.append(pred[row, col].astype(np.intp))
        self._keys = np.concatenate(keys)  # sorted: sources ascend, and columns within each source
        self._distance = np.concatenate(distances)
        self._previous = np.concatenate(previous)

    @property
    def pairs(self) -> int:
        return len(self._keys)

    def _find(self, tail: IntArray, head: IntArray) -> tuple[IntArray, NDArray[np.bool_]]:
        wanted = np.asarray(tail, dtype=np.int64) * self.graph.nodes + np.asarray(head, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._keys, wanted), len(self._keys) - 1)
        return at, self._keys[at] == wanted

    def distance(self, tail: IntArray, head: IntArray) -> FloatArray:
        """Metres by road from each node `tail` to `head` (any shape), inf beyond the limit or unreachable."""
        at, found = self._find(tail, head)
        return np.where(found, self._distance[at], np.inf)

    def edges(self, tail: int, head: int) -> list[int]:
        """The edges of the shortest way from node `tail` to node `head`, in order ([] if the same node);
        ValueError if the pair is not in the table."""
        nodes = [head]
        while nodes[-1] != tail:
            at, found = self._find(np.array([tail]), np.array([nodes[-1]]))
            if not found[0] or len(nodes) > self.graph.nodes:
                raise ValueError(f"no route from node {tail} to node {head} within {self.limit_m} m")
            nodes.append(int(self._previous[at[0]]))
        nodes.reverse()
        edge = self.graph.edge_index(np.array(nodes[:-1]), np.array(nodes[1:]))
        return [int(e) for e in edge]
