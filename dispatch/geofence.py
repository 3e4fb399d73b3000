"""Geofences as pure geometry: `parse_polygon` reads what a dispatcher drew (3 to 1000 [lon, lat] vertices,
closed or not, finite and in range, with an area), and `Fences` tells which of many polygons hold a point —
ray casting over every edge of every polygon at once with numpy, so a fix costs one pass whatever the count.

Boundary rule: a point exactly on an edge or a vertex (in floating point) is **inside**: a unit parked on the
line drawn round a scene counts as at the scene. Elsewhere the crossing number decides: a horizontal ray from the
point towards +lon crosses the boundary an odd number of times for a point inside. An edge counts when one end is
strictly above the point's latitude and the other is not (half-open), so a ray through a vertex counts it once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from dispatch.errors import DispatchError, Reason

MIN_VERTICES = 3
MAX_VERTICES = 1000
# Below this (in square degrees, about 0.01 m² at Belize's latitude) the vertices are on one line.
MIN_AREA_DEG2 = 1e-12

Polygon = tuple[tuple[float, float], ...]  # (lon, lat) vertices, open: the last is not a repeat of the first


def parse_polygon(points: object) -> Polygon:
    """`points` as an open polygon of (lon, lat), or a DispatchError (`bad_location`) naming the vertex and
    the rule it breaks. A closing vertex equal to the first is dropped before counting."""
    if not isinstance(points, list | tuple):
        raise DispatchError(Reason.BAD_LOCATION, "polygon must be a list of [lon, lat] pairs")
    vertices = [_vertex(i, point) for i, point in enumerate(points)]
    if len(vertices) > 1 and vertices[0] == vertices[-1]:
        vertices.pop()
    if not MIN_VERTICES <= len(vertices) <= MAX_VERTICES:
        raise DispatchError(Reason.BAD_LOCATION, f"polygon must have {MIN_VERTICES} to {MAX_VERTICES} vertices "
                                                 f"(a closing repeat of the first not counted), not {len(vertices)}")
    for i, vertex in enumerate(vertices):
        if vertex == vertices[i - 1]:
            raise DispatchError(Reason.BAD_LOCATION, f"polygon[{i}] repeats the vertex before it")
    if abs(_area(vertices)) < MIN_AREA_DEG2:
        raise DispatchError(Reason.BAD_LOCATION, "polygon has no area: its vertices lie on one line")
    return tuple(vertices)


def _vertex(i: int, point: object) -> tuple[float, float]:
    if not isinstance(point, list | tuple) or len(point) != 2:
        raise DispatchError(Reason.BAD_LOCATION, f"polygon[{i}] must be a [lon, lat] pair")
    lon, lat = point
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lon, lat)):
        raise DispatchError(Reason.BAD_LOCATION, f"polygon[{i}] must be two finite numbers [lon, lat]")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DispatchError(Reason.BAD_LOCATION,
                            f"polygon[{i}] = [{lon}, {lat}]: lon must be in [-180, 180] and lat in [-90, 90]")
    return float(lon), float(lat)


def _area(vertices: Sequence[tuple[float, float]]) -> float:
    """Signed area by the shoelace formula (square degrees)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(vertices, [*vertices[1:], vertices[0]], strict=True)) / 2


class Fences:
    """Polygons packed as one array of edges (and the index of the polygon each edge belongs to)."""

    def __init__(self, polygons: Sequence[Polygon]) -> None:
        self.count = len(polygons)
        starts = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polygons]
        ends = [np.roll(s, -1, axis=0) for s in starts]
        a = np.concatenate(starts) if starts else np.empty((0, 2))
        b = np.concatenate(ends) if ends else np.empty((0, 2))
        self._x1, self._y1, self._x2, self._y2 = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
        self._polygon = np.repeat(np.arange(self.count), [len(s) for s in starts])

    def containing(self, lon: float, lat: float) -> npt.NDArray[np.bool_]:
        """For each polygon, in order: does it hold (lon, lat), its boundary included."""
        x1, y1, x2, y2 = self._x1, self._y1, self._x2, self._y2
        cross = (x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1)
        on_edge = ((cross == 0) & (np.minimum(x1, x2) <= lon) & (lon <= np.maximum(x1, x2))
                   & (np.minimum(y1, y2) <= lat) & (lat <= np.maximum(y1, y2)))
        straddles = (y1 > lat) != (y2 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):  # horizontal edges never straddle: masked below
            x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        crosses = straddles & (lon < x_at)
        odd = np.bincount(self._polygon[crosses], minlength=self.count) % 2 == 1
        touched = np.bincount(self._polygon[on_edge], minlength=self.count) > 0
        result: npt.NDArray[np.bool_] = odd | touched
        return result


def contains(polygon: Polygon, lon: float, lat: float) -> bool:
    """Does `polygon` hold (lon, lat), its boundary included."""
    return bool(Fences([polygon]).containing(lon, lat)[0])
