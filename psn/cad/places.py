"""Belize place names for the dispatcher's location box: the shipped OpenStreetMap settlements
(`places.geojson`, ODbL) and, for names OSM lacks, the GeoNames gazetteer (`geonames-places.geojson`, CC BY 4.0;
see ATTRIBUTION.md). Lookup ignores case and accents; names starting with the query come before names that
merely contain it, each group alphabetical."""

from __future__ import annotations

import difflib
import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from psn.web import STATIC_DIR

DATA = STATIC_DIR / "data" / "belize"
SOURCES = (DATA / "places.geojson", DATA / "geonames-places.geojson")  # the first naming a place wins
MAX_RESULTS = 20


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    lat: float
    lon: float
    kind: str

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "lat": self.lat, "lon": self.lon, "kind": self.kind}


def folded(text: str) -> str:
    """Lower case without accents: 'Émeri' and 'emeri' are one name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@cache
def gazetteer(sources: tuple[Path, ...] = SOURCES) -> dict[str, Place]:
    """Folded name → place, read once."""
    found: dict[str, Place] = {}
    for source in sources:
        for feature in json.loads(source.read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            lon, lat = feature["geometry"]["coordinates"][:2]
            found.setdefault(folded(props["name"]), Place(props["name"], float(lat), float(lon),
                                                          str(props.get("kind", "place"))))
    return found


def search(query: str, limit: int = MAX_RESULTS) -> list[Place]:
    wanted = folded(query)
    names = sorted(gazetteer())
    prefix = [n for n in names if n.startswith(wanted)]
    inside = [n for n in names if wanted in n and not n.startswith(wanted)]
    return [gazetteer()[n] for n in (prefix + inside)[:limit]]


def find(name: str) -> Place | None:
    """The place of exactly this name (case and accents aside)."""
    return gazetteer().get(folded(name))


def close_matches(name: str, n: int = 5) -> list[str]:
    """Names like `name`, for a refusal that helps."""
    places = gazetteer()
    return [places[m].name for m in difflib.get_close_matches(folded(name), list(places), n=n, cutoff=0.6)]
