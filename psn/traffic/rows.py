"""The JSON rows of the traffic REST and live contracts (docs/traffic.md): GeoJSON segment features, corridor rows
and alert rows, from the analytics' arrays. Speeds go out in km/h, times in epoch seconds, NaN as null."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from psn.traffic.engines import Engines
from traffic.corridors import Corridor, CorridorTime
from traffic.detect import TrafficAlert
from traffic.speeds import Level, SpeedSnapshot, levels

KMH_PER_MPS = 3.6


def level_of(speed_mps: float, free_flow_mps: float) -> str:
    """The level name of a speed that did not come with one (a history bin's mean, a corridor's time ratio)."""
    return Level(int(levels(np.array([speed_mps]), np.array([free_flow_mps]))[0])).label


def kmh(mps: float) -> float | None:
    return None if not math.isfinite(mps) else round(mps * KMH_PER_MPS, 1)


def maybe(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def geometry(engines: Engines, edge: int) -> dict[str, Any]:
    graph, lonlat = engines.graph, engines.lonlat
    ends = lonlat[[graph.tail[edge], graph.head[edge]]]
    return {"type": "LineString", "coordinates": [[round(float(lon), 6), round(float(lat), 6)] for lon, lat in ends]}


def segment_properties(engines: Engines, snapshot: SpeedSnapshot, edge: int) -> dict[str, Any]:
    graph = engines.graph
    return {
        "edge": edge,
        "name": graph.name[edge],
        "class": graph.road_class[edge],
        "speed_kmh": kmh(float(snapshot.speed_mps[edge])),
        "free_flow_kmh": kmh(float(snapshot.free_flow_mps[edge])),
        "level": Level(int(snapshot.level[edge])).label,
        "confidence": round(float(snapshot.confidence[edge]), 3),
        "samples": int(snapshot.samples[edge]),
        "updated": maybe(float(snapshot.updated[edge])),
    }


def history_properties(engines: Engines, edge: int, mean_mps: float, count: int, free: float) -> dict[str, Any]:
    """A segment as one history bin saw it (its mean speed and sample count; no confidence kept there), levelled
    against `free`, the free flow the live segments use (learned, or the graph's until learned)."""
    graph = engines.graph
    return {"edge": edge, "name": graph.name[edge], "class": graph.road_class[edge], "speed_kmh": kmh(mean_mps),
            "free_flow_kmh": kmh(free), "level": level_of(mean_mps, free), "confidence": None, "samples": count,
            "updated": None}


def feature(engines: Engines, edge: int, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry(engines, edge), "properties": properties}


def along(engines: Engines, edge: int, fraction: float) -> tuple[float, float]:
    """(lat, lon) of the point `fraction` of the way along an edge (its graph line: tail to head)."""
    graph = engines.graph
    tail, head = engines.lonlat[graph.tail[edge]], engines.lonlat[graph.head[edge]]
    lon, lat = tail + fraction * (head - tail)
    return round(float(lat), 6), round(float(lon), 6)


def corridor_row(corridor: Corridor, time: CorridorTime, history: list[list[float]]) -> dict[str, Any]:
    return {
        "id": corridor.id, "name": corridor.name, "origin": corridor.origin, "destination": corridor.destination,
        "length_km": round(time.length_m / 1000.0, 2), "free_flow_s": round(time.free_flow_s, 1),
        "travel_s": round(time.travel_s, 1), "index": round(time.index, 3), "coverage": round(time.coverage, 3),
        # The index is travel time / free-flow time, so free-flow / travel is the speed ratio the levels use.
        "level": level_of(time.free_flow_s, time.travel_s) if time.coverage > 0 else Level.UNKNOWN.label,
        "history": history,
    }


def alert_row(engines: Engines, alert: TrafficAlert, acknowledged_by: str | None) -> dict[str, Any]:
    """The alert at the middle of the piece of its edge that dropped (`from_m`, `to_m`: metres from the edge's
    start)."""
    graph = engines.graph
    length = float(graph.length_m[alert.edge])
    to_m = min(alert.to_m, length)
    lat, lon = along(engines, alert.edge, (alert.from_m + to_m) / 2 / length if length > 0 else 0.5)
    return {
        "id": alert.id, "edge": alert.edge, "name": graph.name[alert.edge], "lat": lat, "lon": lon,
        "from_m": round(alert.from_m, 1), "to_m": round(to_m, 1),
        "raised": alert.raised, "speed_kmh": kmh(alert.speed_mps), "baseline_kmh": kmh(alert.baseline_mps),
        "state": "active" if alert.cleared is None else "cleared", "cleared": alert.cleared,
        "acknowledged_by": acknowledged_by,
    }
