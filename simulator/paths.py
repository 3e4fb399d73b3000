"""Driving along a polyline: the cumulative distances of a route and the position and heading at a distance
along it. Shared by the demo's unit fleet (`simulator.fleet`) and its probe vehicles (`simulator.probes`)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def cumulative(path: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance (m) from the start of `path` (UTM metres, (n, 2)) to each of its points."""
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])


def segment_at(cum: NDArray[np.float64], at_m: float) -> int:
    """Index of the path segment holding distance `at_m` (the last one past the end)."""
    # Plain ints: numpy's clip on a scalar cost 70 µs a call here, most of a probe fleet's step.
    return min(max(int(cum.searchsorted(at_m, side="right")) - 1, 0), len(cum) - 2)


def position(path: NDArray[np.float64], cum: NDArray[np.float64], at_m: float) -> tuple[NDArray[np.float64], float]:
    """The point `at_m` metres along `path` (at least two points) and the heading there, degrees from north."""
    i = segment_at(cum, at_m)
    x0, y0, x1, y1 = path[i:i + 2].ravel().tolist()
    start, end = float(cum[i]), float(cum[i + 1])
    share = min(at_m - start, end - start) / max(end - start, 1e-6)
    return np.array([x0 + (x1 - x0) * share, y0 + (y1 - y0) * share]), math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360
