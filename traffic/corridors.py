"""Corridors: the main town-to-town routes of Belize, each direction on its own, and their live travel times.

A corridor's edges are the free-flow route between two town centres (`corridor_edges`, once per road graph);
its live time drives each edge at its live speed where measured and at its free-flow speed elsewhere
(`corridor_times`). index = live time / free-flow time (1: free flowing, 2: twice as long); coverage = the
fraction of the corridor's length that has a live speed.

Town centres: OpenStreetMap settlement centroids from the shipped places data
(psn/web/static/data/belize/places.geojson, ODbL); Corozal, which has no outline there, from GeoNames
(geonames-places.geojson, CC BY 4.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from traffic.graph import FloatArray, IntArray, RoadGraph
from traffic.router import Router


@dataclass(frozen=True, slots=True)
class Corridor:
    id: str
    name: str
    origin: str
    destination: str
    origin_lonlat: tuple[float, float]
    destination_lonlat: tuple[float, float]


TOWNS: dict[str, tuple[float, float]] = {
    "Belize City": (-88.2381, 17.5149),
    "Belmopan": (-88.7871, 17.2493),
    "San Ignacio": (-89.0725, 17.1526),  # the "San Ignacio & Santa Elena" outline: the twin town
    "Orange Walk Town": (-88.5621, 18.0835),
    "Corozal Town": (-88.38849, 18.39375),
    "Dangriga": (-88.2359, 16.9544),
    "Punta Gorda": (-88.8106, 16.0984),
}

# (origin, destination, the highway): each is a corridor both ways.
ROUTES = (
    ("Belize City", "Belmopan", "George Price Highway"),
    ("Belmopan", "San Ignacio", "George Price Highway"),
    ("Belize City", "Orange Walk Town", "Philip Goldson Highway"),
    ("Orange Walk Town", "Corozal Town", "Philip Goldson Highway"),
    ("Belmopan", "Dangriga", "Hummingbird Highway"),
    ("Dangriga", "Punta Gorda", "Southern Highway"),
)


def _slug(town: str) -> str:
    return town.lower().replace(" town", "").replace(" ", "-")


def _corridors() -> tuple[Corridor, ...]:
    rows: list[Corridor] = []
    for a, b, road in ROUTES:
        for origin, destination in ((a, b), (b, a)):
            rows.append(Corridor(f"{_slug(origin)}--{_slug(destination)}", f"{origin} – {destination} ({road})",
                                 origin, destination, TOWNS[origin], TOWNS[destination]))
    return tuple(rows)


DEFAULT_CORRIDORS: tuple[Corridor, ...] = _corridors()


@dataclass(frozen=True, slots=True)
class CorridorTime:
    id: str
    free_flow_s: float
    travel_s: float
    index: float  # travel_s / free_flow_s; 1.0 for a corridor without edges
    coverage: float  # fraction of length_m with a live speed
    length_m: float


def corridor_edges(router: Router, corridor: Corridor) -> IntArray:
    """The free-flow route's directed edges, in driving order (empty if there is none)."""
    return router.route_edges(corridor.origin_lonlat, corridor.destination_lonlat)


def corridor_times(graph: RoadGraph, edges: Mapping[str, IntArray], speeds: FloatArray) -> list[CorridorTime]:
    """Free-flow and live time of each corridor (by id) on `graph` with live `speeds` (m/s per edge, NaN or a
    non-positive value = not measured: the edge's free-flow speed stands in)."""
    speeds = np.asarray(speeds, dtype=float)
    if speeds.shape != (graph.edges,):
        raise ValueError(f"speeds must hold one speed per edge ({graph.edges}), not shape {speeds.shape}")
    with np.errstate(invalid="ignore"):
        measured = np.isfinite(speeds) & (speeds > 0)
    live = np.where(measured, speeds, graph.speed_mps)
    rows: list[CorridorTime] = []
    for corridor_id, route in edges.items():
        route = np.asarray(route, dtype=np.intp)
        length = graph.length_m[route]
        free_s = float(np.sum(length / graph.speed_mps[route]))
        live_s = float(np.sum(length / live[route]))
        total = float(length.sum())
        covered = float(length[measured[route]].sum())
        rows.append(CorridorTime(corridor_id, free_s, live_s, live_s / free_s if free_s > 0 else 1.0,
                                 covered / total if total > 0 else 0.0, total))
    return rows
