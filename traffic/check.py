"""What an operator must look at in a road network before routing on it.

Three kinds of finding, on the network exactly as `RoadNetwork` joins the polylines (same snapping):
- a **component** cut off from the main network (its length, a point halfway along its longest road, and how far
  it is from the main network): units snapped onto it can reach nothing;
- a **gap**: two pieces of a road with the same name whose nearest ends are more than the snap radius and at most
  `gap_max_m` apart, with no road between them shorter than `detour` times that distance (on the shipped network
  pieces that are joined measure 1.0-1.2 times their gap by road, the real gaps 15 times and more);
- a **dead end** lying within `near_m` of another road (measured to its segments): a missing junction or bridge,
  or a genuine dead end. An end that is part of a reported gap is not reported again as a dead end.

`as_geojson` gives the findings (and the connectors applied) as a map layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from traffic.connectors import Connector, LonLat
from traffic.nearest import Segments
from traffic.roads import Road, RoadNetwork


class Kind(StrEnum):
    COMPONENT = "component"
    GAP = "gap"
    DEAD_END = "dead_end"


LABELS = {Kind.COMPONENT: "disconnected component", Kind.GAP: "same-named gap",
          Kind.DEAD_END: "dead end near another road"}


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    message: str
    lonlat: LonLat  # where to look
    distance_m: float  # component: to the main network; gap: between the two ends; dead end: to the other road
    roads: tuple[str, ...]  # names involved ("" for an unnamed road)
    link: tuple[LonLat, LonLat] | None = None  # gap: the two ends; dead end: the end and the nearest point
    length_km: float | None = None  # component: its length of road


def check(roads: Sequence[Road], snap_m: float = 100.0, near_m: float = 300.0, gap_max_m: float = 500.0,
          detour: float = 2.0) -> list[Finding]:
    """Components, then gaps, then dead ends; each kind in the order of the roads."""
    network = RoadNetwork(roads, snap_m)
    starts = np.cumsum([0] + [len(road.coords) for road in roads])
    lines = np.split(network.xy, starts[1:-1])
    ends = np.concatenate([starts[:-1], starts[1:] - 1])
    road_of_end = np.concatenate([np.arange(len(roads))] * 2)
    gaps = _gaps(network, roads, ends, road_of_end, snap_m, gap_max_m, detour)
    in_gap = {end for _, pair in gaps for end in pair}
    return (_components(network, roads, lines, starts[:-1])
            + [finding for finding, _ in gaps]
            + _dead_ends(network, roads, lines, ends, road_of_end, near_m, skip=in_gap))


def _components(network: RoadNetwork, roads: Sequence[Road], lines: list[NDArray[np.float64]],
                firsts: NDArray[np.intp]) -> list[Finding]:
    road_label = network.components[firsts]  # a road's vertices are all in one component
    main = network.components[network.largest_component[0]]
    main_segments = Segments([line for line, label in zip(lines, road_label, strict=True) if label == main])
    metres = [float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum()) for line in lines]
    findings = []
    for label in dict.fromkeys(road_label):  # in the order of the roads
        if label == main:
            continue
        members = np.flatnonzero(road_label == label).tolist()
        longest = max(members, key=lambda i: metres[i])
        distance = min(main_segments.nearest(p).distance for i in members for p in lines[i])
        km = sum(metres[i] for i in members) / 1000
        names = tuple(dict.fromkeys(roads[i].name for i in members))
        findings.append(Finding(
            Kind.COMPONENT, f"{km:.1f} km of road ({_names(names)}) cut off from the main network, "
            f"{distance:.0f} m from it", _lonlat(network, _halfway(lines[longest])), distance, names,
            length_km=km))
    return findings


def _gaps(network: RoadNetwork, roads: Sequence[Road], ends: NDArray[np.intp], road_of_end: NDArray[np.intp],
          snap_m: float, gap_max_m: float, detour: float) -> list[tuple[Finding, tuple[int, int]]]:
    """Same-named gaps, nearest first, each end in one gap at most; with the two end vertices of each."""
    pairs = cKDTree(network.xy[ends]).query_pairs(gap_max_m, output_type="ndarray")
    nearest: dict[tuple[int, int], tuple[float, int, int, str]] = {}  # per two roads: their nearest two ends
    for i, j in pairs:
        one, other = int(road_of_end[i]), int(road_of_end[j])
        name = roads[one].name
        if one == other or not name or name != roads[other].name:
            continue
        distance = float(np.linalg.norm(network.xy[ends[i]] - network.xy[ends[j]]))
        key = (min(one, other), max(one, other))
        if key not in nearest or distance < nearest[key][0]:
            nearest[key] = (distance, int(ends[i]), int(ends[j]), name)
    found: list[tuple[Finding, tuple[int, int]]] = []
    used: set[int] = set()
    for distance, a, b, name in sorted(nearest.values()):
        if distance <= snap_m or a in used or b in used:
            continue
        if dijkstra(network.length, indices=a, limit=detour * distance)[b] <= detour * distance:
            continue
        used.update((a, b))
        by_road = float(dijkstra(network.length, indices=a)[b])  # only for the few reported: no limit
        how = "no road joins them" if by_road == np.inf else f"by road {by_road / 1000:.1f} km"
        found.append((Finding(
            Kind.GAP, f"two pieces of {name} end {distance:.0f} m apart without joining ({how})",
            _lonlat(network, (network.xy[a] + network.xy[b]) / 2), distance, (name,),
            (_lonlat(network, network.xy[a]), _lonlat(network, network.xy[b]))), (a, b)))
    return found


def _dead_ends(network: RoadNetwork, roads: Sequence[Road], lines: list[NDArray[np.float64]],
               ends: NDArray[np.intp], road_of_end: NDArray[np.intp], near_m: float, skip: set[int]) -> list[Finding]:
    degree = np.diff(network.length.indptr)  # neighbours of each vertex: 1 at an end nothing joins
    segments = Segments(lines)
    findings = []
    for end, road in sorted(zip(ends.tolist(), road_of_end.tolist(), strict=True), key=lambda e: (e[1], e[0])):
        if degree[end] > 1 or end in skip:
            continue
        hits = segments.within(network.xy[end], near_m, skip_line=road)
        if not hits:
            continue
        hit = hits[0]
        names = (roads[road].name, roads[hit.line].name)
        findings.append(Finding(
            Kind.DEAD_END, f"{_names(names[:1])} ends {hit.distance:.0f} m from {_names(names[1:])} without "
            "joining it: a missing junction or bridge, or a genuine dead end", _lonlat(network, network.xy[end]),
            hit.distance, names, (_lonlat(network, network.xy[end]), _lonlat(network, np.array(hit.xy)))))
    return findings


def _halfway(line: NDArray[np.float64]) -> NDArray[np.float64]:
    """The point halfway along a polyline."""
    cumulative = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    half = cumulative[-1] / 2
    return np.array([np.interp(half, cumulative, line[:, 0]), np.interp(half, cumulative, line[:, 1])])


def _lonlat(network: RoadNetwork, xy: NDArray[np.float64]) -> LonLat:
    lon, lat = network.lonlat(xy)
    return round(float(lon), 6), round(float(lat), 6)  # 0.1 m


def _names(names: Sequence[str]) -> str:
    return ", ".join(name or "an unnamed road" for name in names)


def place(lonlat: LonLat) -> str:
    """A location as people read it: "17.5421 N, 88.2530 W"."""
    lon, lat = lonlat
    return f"{abs(lat):.4f} {'N' if lat >= 0 else 'S'}, {abs(lon):.4f} {'E' if lon >= 0 else 'W'}"


def as_geojson(findings: Sequence[Finding], connectors: Sequence[Connector] = ()) -> dict[str, Any]:
    """A FeatureCollection: a point per finding, a line per gap or dead end (the two points) and per connector."""
    features: list[dict[str, Any]] = []
    for f in findings:
        properties = {"kind": f.kind.value, "label": LABELS[f.kind], "message": f.message,
                      "distance_m": round(f.distance_m, 1), "roads": list(f.roads), "where": place(f.lonlat)}
        if f.length_km is not None:
            properties["length_km"] = round(f.length_km, 2)
        features.append(_feature("Point", list(f.lonlat), properties))
        if f.link:
            features.append(_feature("LineString", [list(p) for p in f.link], properties))
    for c in connectors:
        features.append(_feature("LineString", [list(p) for p in c.points],
                                 {"kind": "connector", "label": "reviewed connector", "roads": list(c.roads),
                                  "message": c.why}))
    return {"type": "FeatureCollection", "features": features}


def _feature(kind: str, coordinates: list[Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": {"type": kind, "coordinates": coordinates}}
