"""What the traffic REST endpoints read, from the live picture (the service holds its lock around each): segment
features now or in a history bin, one segment's history, corridors, alerts. Bad requests raise `Refused` with
the HTTP status and the reason."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from psn.traffic import rows
from psn.traffic.engines import HISTORY_BIN_S
from psn.traffic.tick import HISTORY_S, Picture


class Refused(ValueError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def collection(ts: float, features: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "ts": ts, **extra, "features": features}


def segments(picture: Picture, now: float, everything: bool) -> dict[str, Any]:
    """Every measured segment (every segment with `everything`) as the speeds stand now."""
    engines = picture.engines
    snapshot = engines.speeds.snapshot(now)
    edges = range(engines.graph.edges) if everything else (int(e) for e in np.flatnonzero(snapshot.samples > 0))
    return collection(now, [rows.feature(engines, e, rows.segment_properties(engines, snapshot, e)) for e in edges])


def _within_history(now: float, at: float) -> None:
    if not now - HISTORY_S <= at <= now:
        raise Refused(400, f"at={at:.0f} is outside the kept history: {now - HISTORY_S:.0f} to {now:.0f} "
                           f"(the last {HISTORY_S / 3600:.0f} h)")


def empty_bin(now: float, at: float) -> dict[str, Any]:
    """The history bin holding `at` before anything was built: no segments, the same window rule."""
    _within_history(now, at)
    return collection(at - at % HISTORY_BIN_S, [], bin_s=HISTORY_BIN_S)


def segments_at(picture: Picture, now: float, at: float, everything: bool) -> dict[str, Any]:
    """The segments as the history bin holding `at` saw them (mean speed and count; last 6 h only; an empty bin
    where the history holds none)."""
    _within_history(now, at)
    engines = picture.engines
    try:
        start, mean, counts = engines.history.at(at)
    except ValueError:  # a bin no sample reached (before the first, or older than the ring): nothing measured
        start, mean = at - at % HISTORY_BIN_S, np.full(engines.graph.edges, math.nan)
        counts = np.zeros(engines.graph.edges, dtype=np.int64)
    edges = range(engines.graph.edges) if everything else (int(e) for e in np.flatnonzero(counts > 0))
    free, _ = engines.speeds.free_flow()
    features = [rows.feature(engines, e, rows.history_properties(engines, e, float(mean[e]), int(counts[e]),
                                                                 float(free[e]))) for e in edges]
    return collection(float(start), features, bin_s=HISTORY_BIN_S)


def history(picture: Picture, now: float, edge: int, since: float | None, until: float | None) -> dict[str, Any]:
    engines = picture.engines
    if not 0 <= edge < engines.graph.edges:
        raise Refused(404, f"no segment {edge}: edges are 0 to {engines.graph.edges - 1}")
    until = now if until is None else until
    since = until - HISTORY_S if since is None else since
    if until < since:
        raise Refused(422, f"until ({until}) is before since ({since})")
    bins = [[start, rows.kmh(mean) if math.isfinite(mean) else None, count]
            for start, mean, count in engines.history.series(edge, since, until)]
    return {"edge": edge, "name": engines.graph.name[edge], "bins": bins}


def corridors(picture: Picture) -> list[dict[str, Any]]:
    """The corridor rows of the last tick, each with its free-flow route's directed edges in driving order (the
    page highlights them on the map; the live event's rows leave them out: they do not change)."""
    edges = picture.engines.corridor_edges
    return [{**row, "edges": [int(e) for e in edges.get(row["id"], ())]} for row in picture.corridors]
