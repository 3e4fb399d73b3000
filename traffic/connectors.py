"""Reviewed connectors: gaps in a road extract that are real junctions or continuations, closed one by one.

Raising the snap radius would join every pair of ends that happen to be close (false junctions); a connector
joins two named points, each checked against the geometry: it must lie on a road of the name given (an existing
vertex, or a point on a segment, where the road is split), and the two points at most `MAX_M` apart. Each is
added as a two-point road of the class of the road it starts on. Why each shipped one exists: docs/roads.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from traffic.entries import entries, sort_out
from traffic.nearest import Hit, Segments
from traffic.roads import Road
from traffic.utm import to_lonlat, to_utm

LonLat = tuple[float, float]
MAX_M = 500.0
# How close a connector's point must be to its road: vertices are stored to 4 decimals (exact), points on a
# segment to 6 decimals (0.1 m).
ON_ROAD_M = 1.0


@dataclass(frozen=True, slots=True)
class Connector:
    roads: tuple[str, str]  # the road each point lies on
    points: tuple[LonLat, LonLat]
    why: str


@dataclass(frozen=True, slots=True)
class Joined:
    roads: list[Road]  # the input roads, split at the connectors' points, then one road per connector
    connectors: list[Connector]  # those applied
    refused: list[str]  # one reason per connector that was not


def read_connectors(raw: Any) -> tuple[list[Connector], list[str]]:
    """The well-formed connectors of a parsed connectors file, and a reason for each one that is not."""
    return sort_out(entries(raw, "connectors", "connector list"), _malformed, _connector, lambda i, _: f"connector {i}")


def _connector(entry: dict[str, Any]) -> Connector:
    (one, other), (a, b) = entry["roads"], entry["points"]
    return Connector((one, other), ((a[0], a[1]), (b[0], b[1])), entry["why"])


def _malformed(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    roads, points, why = entry.get("roads"), entry.get("points"), entry.get("why")
    if not (isinstance(roads, list) and len(roads) == 2 and all(isinstance(r, str) and r for r in roads)):
        return '"roads" must be the two road names'
    if not (isinstance(points, list) and len(points) == 2 and all(is_lonlat(p) for p in points)):
        return '"points" must be two [lon, lat] points'
    if not (isinstance(why, str) and why.strip()):
        return '"why" must say why the gap is real'
    return None


def is_lonlat(value: Any) -> bool:
    """A [lon, lat] pair of finite numbers within range (booleans are not numbers here)."""
    return (isinstance(value, list | tuple) and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            and -180 <= value[0] <= 180 and -90 <= value[1] <= 90)


def join(roads: Sequence[Road], connectors: Sequence[Connector]) -> Joined:
    """`roads` joined by each connector that checks out against their geometry."""
    segments = Segments(_utm_lines(roads))
    splits: dict[int, list[tuple[int, float, LonLat]]] = defaultdict(list)
    added: list[Road] = []
    applied: list[Connector] = []
    refused: list[str] = []
    for i, connector in enumerate(connectors):
        xy = to_utm([p[0] for p in connector.points], [p[1] for p in connector.points])
        gap = float(np.linalg.norm(xy[0] - xy[1]))
        found = [_on_road(segments, roads, name, point) for name, point in zip(connector.roads, xy, strict=True)]
        hits = [hit for hit in found if isinstance(hit, Hit)]
        problems = [hit for hit in found if isinstance(hit, str)]
        if gap > MAX_M:
            problems.insert(0, f"its points are {gap:.0f} m apart, more than {MAX_M:.0f} m")
        if problems:
            refused.append(f"connector {i} ({' / '.join(connector.roads)}): " + "; ".join(problems))
            continue
        for hit, lonlat in zip(hits, connector.points, strict=True):
            if ON_ROAD_M < hit.along < hit.span - ON_ROAD_M:  # not at a vertex: split the segment there
                splits[hit.line].append((hit.segment, hit.along, lonlat))
        added.append(Road(connector.roads[0], roads[hits[0].line].road_class, list(connector.points)))
        applied.append(connector)
    split = [_split(road, splits.get(i, [])) for i, road in enumerate(roads)]
    return Joined(split + added, applied, refused)


def _utm_lines(roads: Sequence[Road]) -> list[NDArray[np.float64]]:
    lonlat = np.array([c for road in roads for c in road.coords], dtype=float)
    xy = to_utm(lonlat[:, 0], lonlat[:, 1])
    return np.split(xy, np.cumsum([len(road.coords) for road in roads])[:-1])


def _on_road(segments: Segments, roads: Sequence[Road], name: str, point: NDArray[np.float64]) -> Hit | str:
    """Where `point` lies on a road named `name`, or why it does not."""
    named = [hit for hit in segments.within(point, MAX_M) if roads[hit.line].name == name]
    if named and named[0].distance <= ON_ROAD_M:
        return named[0]
    lon, lat = to_lonlat(point)
    where = f"{named[0].distance:.0f} m from it" if named else f"none within {MAX_M:.0f} m"
    return f"({lon:.6f}, {lat:.6f}) is not on a road named {name!r} ({where})"


def _split(road: Road, at: list[tuple[int, float, LonLat]]) -> Road:
    """`road` with a vertex added at each (segment, metres along it, point)."""
    if not at:
        return road
    coords = list(road.coords)
    for segment, _, lonlat in sorted(at, reverse=True):  # from the end, so earlier indices stay valid
        coords.insert(segment + 1, lonlat)
    return Road(road.name, road.road_class, coords)
