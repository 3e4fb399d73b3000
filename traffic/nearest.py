"""Nearest points on polylines, in metres (UTM 16N): which lines pass within a distance of a point, and where.

A junction in the shipped roads often lies in the middle of a long segment (the extract is simplified to about
220 m, so the nearest *vertex* of the other road can be 770 m away while the road itself is 36 m away): distances
to roads are measured to segments, not vertices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

# Candidate segments are found through points sampled along them at most this far apart; the exact distance is
# then measured to each candidate segment.
SAMPLE_M = 25.0


@dataclass(frozen=True, slots=True)
class Hit:
    distance: float
    line: int  # which polyline
    segment: int  # between its vertices segment and segment + 1
    along: float  # metres from the segment's first vertex to the nearest point
    span: float  # the segment's length
    xy: tuple[float, float]  # the nearest point


class Segments:
    """Every segment of some polylines ((k, 2) metre arrays, k >= 2), indexed for nearest-point questions."""

    def __init__(self, lines: Sequence[NDArray[np.float64]]) -> None:
        self.a = np.concatenate([line[:-1] for line in lines])
        self.b = np.concatenate([line[1:] for line in lines])
        self.line = np.repeat(np.arange(len(lines)), [len(line) - 1 for line in lines])
        self.index = np.concatenate([np.arange(len(line) - 1) for line in lines])
        self.length = np.linalg.norm(self.b - self.a, axis=1)
        per_segment = np.maximum(np.ceil(self.length / SAMPLE_M), 1).astype(int) + 1  # both ends included
        self._sample_of = np.repeat(np.arange(len(self.a)), per_segment)
        first = np.repeat(np.cumsum(per_segment) - per_segment, per_segment)
        t = (np.arange(len(self._sample_of)) - first) / (per_segment[self._sample_of] - 1)
        ab = self.b - self.a
        self._tree = cKDTree(self.a[self._sample_of] + t[:, None] * ab[self._sample_of])

    def within(self, point: NDArray[np.float64], radius: float, skip_line: int | None = None) -> list[Hit]:
        """Each segment within `radius` metres of `point` (not those of `skip_line`), nearest first."""
        # A segment's nearest point has a sample within SAMPLE_M / 2 of it.
        near = self._tree.query_ball_point(point, radius + SAMPLE_M / 2 + 1e-6)
        candidates = np.unique(self._sample_of[np.asarray(near, dtype=int)])
        if skip_line is not None:
            candidates = candidates[self.line[candidates] != skip_line]
        a, ab = self.a[candidates], self.b[candidates] - self.a[candidates]
        squared = np.einsum("ij,ij->i", ab, ab)
        t = np.clip(np.einsum("ij,ij->i", point - a, ab) / np.where(squared > 0, squared, 1.0), 0.0, 1.0)
        nearest = a + t[:, None] * ab
        distance = np.linalg.norm(nearest - point, axis=1)
        order = [i for i in np.argsort(distance, kind="stable") if distance[i] <= radius]
        span = self.length[candidates]
        return [Hit(float(distance[i]), int(self.line[candidates[i]]), int(self.index[candidates[i]]),
                    float(t[i] * span[i]), float(span[i]), (float(nearest[i, 0]), float(nearest[i, 1])))
                for i in order]

    def nearest(self, point: NDArray[np.float64]) -> Hit:
        """The nearest segment of all."""
        sampled, _ = self._tree.query(point)  # no segment is farther than its nearest sample
        return self.within(point, float(sampled))[0]
