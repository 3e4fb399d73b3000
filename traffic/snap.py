"""Snapping points to the nearest piece of road: the point on the segment, not the nearest vertex.

Candidates come from a KD-tree over points sampled along every segment at most `spacing_m` apart; the exact
point-to-segment distance decides. The answer is exact, not a heuristic: the point of a segment nearest to P lies
within spacing_m / 2 of one of that segment's samples, so every segment closer than the best candidate found has
a sample within best + spacing_m / 2 of P; where the k nearest samples do not reach that far (overlapping or
dense roads), the search widens to 4k samples, and so on, for those points only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from traffic.graph import FloatArray, IntArray

SPACING_M = 50.0
CANDIDATES = 16


@dataclass(frozen=True, eq=False)
class Snaps:
    """Where each point meets the road: segment `a[i]`-`b[i]` at `fraction[i]` (0 at a, 1 at b)."""

    segment: IntArray
    a: IntArray
    b: IntArray
    fraction: FloatArray
    xy: FloatArray  # the snap points
    distance_m: FloatArray  # from each point to its snap point


class SegmentIndex:
    """Undirected segments `a[i]`-`b[i]` between nodes `xy`, ready to snap points (UTM metres) onto."""

    def __init__(self, xy: FloatArray, a: IntArray, b: IntArray, spacing_m: float = SPACING_M) -> None:
        if not len(a):
            raise ValueError("nothing to snap to: no segments")
        a, b = np.asarray(a), np.asarray(b)
        length = np.linalg.norm(xy[b] - xy[a], axis=1)
        # A zero-length segment (coincident vertices of two roads joined by a snap edge) is never nearer than a
        # real segment at the same node, but its samples crowd the candidates (the shipped network: half the
        # units needed a wider search): left out unless its node has no other segment.
        real = np.zeros(len(xy), dtype=bool)
        real[a[length > 0]] = real[b[length > 0]] = True
        keep = (length > 0) | ~(real[a] | real[b])
        self.xy, self.a, self.b, self.spacing_m, self.length = xy, a[keep], b[keep], spacing_m, length[keep]
        self._start, self._vector = xy[self.a], xy[self.b] - xy[self.a]
        pieces = np.maximum(1, np.ceil(self.length / spacing_m)).astype(np.intp)
        self._sample_segment = np.repeat(np.arange(len(self.a)), pieces + 1)
        first = np.repeat(np.cumsum(pieces + 1) - (pieces + 1), pieces + 1)
        step = (np.arange(len(self._sample_segment)) - first) / np.repeat(pieces, pieces + 1)
        samples = self._start[self._sample_segment] + step[:, None] * self._vector[self._sample_segment]
        self._tree = cKDTree(samples)
        self._k = min(CANDIDATES, len(samples))

    def _project(self, points: FloatArray, segments: IntArray) -> tuple[FloatArray, FloatArray]:
        """Fraction along each segment of the point nearest to each point, and the distance to it."""
        start, vector = self._start[segments], self._vector[segments]
        squared = np.einsum("...i,...i->...", vector, vector)
        along = np.einsum("...i,...i->...", points - start, vector)
        fraction = np.clip(np.divide(along, squared, out=np.zeros_like(along), where=squared > 0), 0.0, 1.0)
        distance = np.linalg.norm(points - (start + fraction[..., None] * vector), axis=-1)
        return fraction, distance

    def _nearest(self, points: FloatArray, k: int) -> tuple[IntArray, FloatArray, FloatArray, NDArray[np.bool_]]:
        """Best of the segments of the k nearest samples, and whether that is provably the nearest segment."""
        sample_d, sample_i = self._tree.query(points, k=k)
        sample_d, sample_i = sample_d.reshape(len(points), k), sample_i.reshape(len(points), k)
        candidates = self._sample_segment[sample_i]
        fraction, distance = self._project(points[:, None, :], candidates)
        best = np.argmin(distance, axis=1)
        rows = np.arange(len(points))
        dist = distance[rows, best]
        exact = (k == len(self._sample_segment)) | (sample_d[:, -1] > dist + self.spacing_m / 2)
        return candidates[rows, best], fraction[rows, best], dist, exact

    def snap(self, points: FloatArray) -> Snaps:
        """The nearest segment of each of `points` (m, 2); every point must be finite."""
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        segment, frac, dist, exact = self._nearest(points, self._k)
        k = self._k
        while not exact.all():  # dense or overlapping roads: widen the candidates where it is not proven yet
            k = min(4 * k, len(self._sample_segment))
            redo = np.flatnonzero(~exact)
            segment[redo], frac[redo], dist[redo], exact[redo] = self._nearest(points[redo], k)
        xy = self._start[segment] + frac[:, None] * self._vector[segment]
        return Snaps(segment, self.a[segment], self.b[segment], frac, xy, dist)
