"""Which of Belize's six districts a point lies in, from the shipped geoBoundaries outlines
(`districts.geojson`, simplified): the response KPIs group incidents by it. A point in none (at sea, or in one of
the small gaps the simplification leaves between borders) is in no district: `dispatch.kpi` calls it "outside"."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import shapely
from shapely.geometry import shape

from psn.web import STATIC_DIR

DISTRICTS = STATIC_DIR / "data" / "belize" / "districts.geojson"


@cache
def _outlines(path: Path = DISTRICTS) -> tuple[tuple[str, shapely.Geometry], ...]:
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    outlines = tuple((f["properties"]["name"], shape(f["geometry"])) for f in features)
    for _, outline in outlines:
        shapely.prepare(outline)
    return outlines


def district_of(lat: float, lon: float) -> str | None:
    point = shapely.Point(lon, lat)
    for name, outline in _outlines():
        if outline.contains(point):
            return name
    return None
