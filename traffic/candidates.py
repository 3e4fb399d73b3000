"""Map-matching candidates: the directed edges near each fix, and how likely each is (the HMM's emission).

A fix's candidates are the road segments within a search radius (at most k, nearest first, from
`traffic.snap.SegmentIndex.within`), each turned into the directed edges that may be driven on it (two on a two-way
road, one on a one-way street), of which the k likeliest are kept. The emission log-likelihood is Newson & Krumm's
Gaussian of the distance to the candidate point, plus a heading term when the fix reports where it is heading: kappa
* (cos(heading - edge bearing) - 1), 0 along the edge, -kappa across it, -2 kappa against it, which tells the two
carriageways of a divided road, or the two edges of a two-way road, apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from traffic.graph import FloatArray, IntArray, RoadGraph
from traffic.snap import SegmentIndex

# Shorter segments are no candidates: the shipped roads hold 147 zero-length joins, and a point on one is also at
# the end of the edges it joins; left in, they made 8 or more segments lie within 50 m of 70 % of the fixes of
# bench/traffic.py. Routes still go through them (traffic.transitions).
MIN_SEGMENT_M = 0.5


def candidate_index(graph: RoadGraph) -> SegmentIndex:
    """An index over the segments of `graph` that can be candidates."""
    a, b = graph.segments
    keep = np.linalg.norm(graph.xy[b] - graph.xy[a], axis=1) >= MIN_SEGMENT_M
    return SegmentIndex(graph.xy, a[keep], b[keep])


@dataclass(frozen=True, eq=False)
class Candidates:
    """(fixes, K) directed candidates, likeliest first in each row: edge (-1 pads), metres along the edge
    from its tail, and the emission log-likelihood (-inf pads)."""

    edge: IntArray
    pos_m: FloatArray
    log_p: FloatArray

    @property
    def count(self) -> IntArray:
        return (self.edge >= 0).sum(axis=1)


class CandidateFinder:
    """Directed candidates of `graph` for batches of fixes, through a `SegmentIndex` over its segments."""

    def __init__(self, graph: RoadGraph, index: SegmentIndex) -> None:
        self.graph, self.index = graph, index
        self.forward = graph.edge_index(index.a, index.b)  # per segment: the edge a -> b, or -1
        self.backward = graph.edge_index(index.b, index.a)
        vector = graph.xy[graph.head] - graph.xy[graph.tail]
        self.bearing = np.arctan2(vector[:, 0], vector[:, 1])  # radians clockwise from grid north

    def find(self, xy: FloatArray, heading_deg: FloatArray, radius_m: float, k: int, sigma_m: float,
             kappa: float) -> Candidates:
        """The k likeliest directed candidates on the k nearest segments of each fix (m, 2); `heading_deg` NaN
        where not reported (or not to be trusted)."""
        segment, fraction, distance = self.index.within(xy, radius_m, k)
        seg = np.maximum(segment, 0)
        valid = (segment >= 0) & (self.index.length[seg] >= MIN_SEGMENT_M)
        length = self.index.length[seg]
        edge = np.concatenate([np.where(valid, self.forward[seg], -1), np.where(valid, self.backward[seg], -1)],
                              axis=1)
        pos = np.concatenate([fraction * length, (1 - fraction) * length], axis=1)
        log_p = np.concatenate([-0.5 * (distance / sigma_m) ** 2] * 2, axis=1)
        log_p = np.where(edge >= 0, log_p, -np.inf)
        heading = np.radians(np.asarray(heading_deg, dtype=float))[:, None]
        turn = np.cos(heading - self.bearing[np.maximum(edge, 0)]) - 1.0
        log_p = log_p + np.where(np.isfinite(turn), kappa * turn, 0.0)
        order = np.argsort(-log_p, axis=1, kind="stable")  # likeliest first, pads (-inf) last
        width = max(1, min(k, int((edge >= 0).sum(axis=1).max(initial=0))))
        order = order[:, :width]
        return Candidates(np.take_along_axis(edge, order, axis=1), np.take_along_axis(pos, order, axis=1),
                          np.take_along_axis(log_p, order, axis=1))
