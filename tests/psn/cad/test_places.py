"""Belize place lookup against a literal table read off the shipped GeoJSON files."""

from __future__ import annotations

import unicodedata

import httpx
import pytest

from tests.support import RunningServer

BELIZE_CITY = {"name": "Belize City", "lat": 17.5149, "lon": -88.2381, "kind": "city"}  # places.geojson (OSM)
BELLA_VISTA = {"name": "Bella Vista", "lat": 16.50948, "lon": -88.53169, "kind": "town"}  # geonames only
BELMOPAN = {"name": "Belmopan", "lat": 17.2493, "lon": -88.7871, "kind": "city"}  # OSM wins over GeoNames

TABLE = [
    ("bel", [BELIZE_CITY, BELLA_VISTA, BELMOPAN]),
    ("BEL", [BELIZE_CITY, BELLA_VISTA, BELMOPAN]),
    ("river", ["Riversdale", "Monkey River Town", "Sittee River"]),  # prefix first, then substring
    ("emeri", ["Émeri", "Yemeri Grove"]),  # accents ignored; then the GeoNames name that contains it
    ("ÉMERI", ["Émeri", "Yemeri Grove"]),
    ("walk", ["Orange Walk", "Orange Walk Town"]),
    ("qqq", []),
]


def lookup(server: RunningServer, q: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/api/v1/places", params={"q": q},
                     headers={"Authorization": f"Bearer {server.token('police')}"})


@pytest.mark.parametrize(("q", "expected"), TABLE)
def test_lookup_table(server: RunningServer, q: str, expected: list[object]) -> None:
    found = lookup(server, q).json()["places"]
    if expected and isinstance(expected[0], str):
        assert [p["name"] for p in found] == expected
    else:
        assert found == expected


def test_at_most_twenty_and_bad_queries(server: RunningServer) -> None:
    found = lookup(server, "san").json()["places"]
    plain = [unicodedata.normalize("NFKD", p["name"]).encode("ascii", "ignore").decode().lower() for p in found]
    assert len(found) == 20 and all(name.startswith("san") for name in plain)
    assert lookup(server, "").status_code == 422
    assert lookup(server, "x" * 101).status_code == 422
    assert httpx.get(f"{server.base_url}/api/v1/places?q=bel").status_code == 401
