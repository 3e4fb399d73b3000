"""A road graph from an OpenStreetMap extract (`.osm.pbf`, `.osm`, `.osm.bz2`), read with pyosmium.

Drivable ways only (CLASS_KMH's highway classes; footway, cycleway, path, track, steps, pedestrian,
construction, proposed and the rest are left out). Direction: `oneway=yes|true|1` drives with the way,
`oneway=-1|reverse` against it, `oneway=no|false|0` both ways; without a tag, motorways, motorway links and
roundabouts are one-way (OSM's implied one-way rule), everything else two-way. Speed: `maxspeed` where it is a
number of km/h (`50`, `50 km/h`) or mph (`30 mph`), the class speed otherwise (`none`, `signals`, zone codes,
garbage). Geometry: every node of a way is a graph node (the locations come from the file's nodes); a way
node missing from the file breaks the way there and is counted, the rest of the way is kept.

A file that cannot be read as OSM, an empty one, or one without a drivable way raises RoadImportError with the
reason; nothing is returned half-built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium

from traffic.graph import RoadGraph
from traffic.utm import to_utm

# Class speeds in km/h: OSRM's car profile (profiles/car.lua, `speed_profile`), except trunk and primary, which
# keep traffic.roads.CLASS_SPEED's 80 and 60 so an imported Belize extract and the shipped network agree.
CLASS_KMH: dict[str, float] = {
    "motorway": 90, "motorway_link": 45,
    "trunk": 80, "trunk_link": 40,
    "primary": 60, "primary_link": 30,
    "secondary": 55, "secondary_link": 25,
    "tertiary": 40, "tertiary_link": 20,
    "unclassified": 25, "residential": 25, "living_street": 10, "service": 15,
}
IMPLIED_ONEWAY = frozenset({"motorway", "motorway_link"})
ONEWAY = {"yes": 1, "true": 1, "1": 1, "-1": -1, "reverse": -1, "no": 0, "false": 0, "0": 0}
KMH_PER_MPH = 1.609344
MAXSPEED = re.compile(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?")
SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz")


class RoadImportError(ValueError):
    """An OSM file that gives no road graph, with the reason."""


@dataclass(frozen=True, eq=False)
class OsmImport:
    """The graph and what was read to make it."""

    graph: RoadGraph
    ways: int  # every way in the file
    drivable_ways: int
    oneway_ways: int
    missing_nodes: int  # way nodes without a location in the file (the way is broken there)


def maxspeed_kmh(value: str | None) -> float | None:
    """A `maxspeed` tag in km/h, or None where it is not a positive number of km/h or mph."""
    match = MAXSPEED.fullmatch(value.strip()) if value else None
    if match is None or float(match[1]) <= 0:
        return None
    return float(match[1]) * (KMH_PER_MPH if match[2] == "mph" else 1.0)


def direction(road_class: str, oneway: str | None, junction: str | None) -> int:
    """1: with the way only, -1: against it only, 0: both ways."""
    if oneway is not None and oneway.strip().lower() in ONEWAY:
        return ONEWAY[oneway.strip().lower()]
    return 1 if road_class in IMPLIED_ONEWAY or junction in ("roundabout", "circular") else 0


class _Collector:
    def __init__(self) -> None:
        self.node_of: dict[int, int] = {}
        self.lonlat: list[tuple[float, float]] = []
        self.tail: list[int] = []
        self.head: list[int] = []
        self.kmh: list[float] = []
        self.road_class: list[str] = []
        self.name: list[str] = []
        self.ways = self.drivable = self.oneway = self.missing = 0

    def way(self, way: osmium.osm.Way) -> None:
        self.ways += 1
        tags = way.tags
        road_class = tags.get("highway")
        if road_class is None or road_class not in CLASS_KMH:
            return
        self.drivable += 1
        sense = direction(road_class, tags.get("oneway"), tags.get("junction"))
        self.oneway += sense != 0
        kmh = maxspeed_kmh(tags.get("maxspeed")) or CLASS_KMH[road_class]
        name = tags.get("name") or tags.get("ref") or ""
        previous: int | None = None
        for ref in way.nodes:
            if not ref.location.valid():
                self.missing += 1
                previous = None
                continue
            node = self.node_of.get(ref.ref)
            if node is None:
                node = self.node_of[ref.ref] = len(self.lonlat)
                self.lonlat.append((ref.location.lon, ref.location.lat))
            if previous is not None:
                pairs = {1: [(previous, node)], -1: [(node, previous)]}.get(sense, [(previous, node), (node, previous)])
                for tail, head in pairs:
                    self.tail.append(tail)
                    self.head.append(head)
                    self.kmh.append(kmh)
                    self.road_class.append(road_class)
                    self.name.append(name)
            previous = node


def _read(path: Path) -> _Collector:
    collector = _Collector()
    try:
        for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations():
            if isinstance(obj, osmium.osm.Way):
                collector.way(obj)
    except (RuntimeError, ValueError, KeyError) as exc:  # libosmium's parse errors arrive as RuntimeError
        raise RoadImportError(f"{path}: not a readable OpenStreetMap file ({exc})") from None
    return collector


def load_osm(path: Path | str) -> OsmImport:
    """The drivable road graph of an OSM extract; RoadImportError with the reason if there is none."""
    path = Path(path)
    if not path.name.lower().endswith(SUFFIXES):
        raise RoadImportError(f"{path}: not an OpenStreetMap file name (expected one of {', '.join(SUFFIXES)})")
    if not path.is_file():
        raise RoadImportError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise RoadImportError(f"{path}: the file is empty")
    found = _read(path)
    if not found.drivable:
        raise RoadImportError(f"{path}: no drivable road among its {found.ways} ways "
                              f"(drivable highway classes: {', '.join(CLASS_KMH)})")
    if not found.tail:
        raise RoadImportError(f"{path}: {found.drivable} drivable ways but not one segment with both node "
                              f"locations in the file ({found.missing} way nodes missing)")
    lonlat = np.array(found.lonlat)
    try:
        graph = RoadGraph.build(to_utm(lonlat[:, 0], lonlat[:, 1]), found.tail, found.head,
                                np.array(found.kmh) / 3.6, found.road_class, found.name)
    except ValueError as exc:  # e.g. every segment joins a node to itself
        raise RoadImportError(f"{path}: {exc}") from None
    return OsmImport(graph, found.ways, found.drivable, found.oneway, found.missing)
