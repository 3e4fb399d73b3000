"""The shipped Belize network with its reviewed connectors (traffic/data/connectors.json, docs/roads.md).

Expected travel times come from outside psn: straight-line distances worked out by hand from GeoNames points
(psn/web/static/data/belize/geonames-places.geojson) and the published road distances from Belize City along the
Philip Goldson (Northern) Highway: Orange Walk Town 53 mi (85 km), Corozal Town 84 mi (135 km). psn's free-flow
speeds are 80 km/h on trunk roads and 60 km/h on primary ones.
"""

from __future__ import annotations

import json

import pytest

from traffic import DEFAULT_CONNECTORS, DEFAULT_ROADS, RoadNetwork, load_roads
from traffic.check import check
from traffic.loader import load

BELIZE_CITY = (-88.1962, 17.4986)
LADYVILLE = (-88.29, 17.55427)
ORANGE_WALK = (-88.56328, 18.08124)
COROZAL = (-88.38849, 18.39375)
BELMOPAN = (-88.76401, 17.25376)


@pytest.fixture(scope="module")
def fixed() -> RoadNetwork:
    return load_roads()


@pytest.fixture(scope="module")
def raw() -> RoadNetwork:
    return RoadNetwork(load(DEFAULT_ROADS).roads)


def minutes(network: RoadNetwork, origin: tuple[float, float], destination: tuple[float, float]) -> float:
    seconds = network.travel_times_from([network.nearest_vertex(*origin)])[0][network.nearest_vertex(*destination)]
    return float(seconds) / 60


def test_belize_city_to_ladyville_takes_the_highway(fixed: RoadNetwork, raw: RoadNetwork) -> None:
    # Straight line: 0.0557° of latitude (6.16 km) and 0.0938° of longitude at 17.53° N (9.96 km): 11.7 km, which
    # takes 8.8 min at 80 km/h; a road 20 % longer at 60 km/h takes 14.1 min.
    assert 9 <= minutes(fixed, BELIZE_CITY, LADYVILLE) <= 14
    # Without the Ladyville connector the route went round by Hattieville: about 19.5 min (issue 10).
    assert minutes(raw, BELIZE_CITY, LADYVILLE) > 17


def test_the_north_is_nearer_by_the_ladyville_detour(fixed: RoadNetwork, raw: RoadNetwork) -> None:
    # 85 km ± 10 % at 80 km/h: 57-70 min; 135 km ± 10 %: 91-111 min.
    assert 57 <= minutes(fixed, BELIZE_CITY, ORANGE_WALK) <= 70
    assert 91 <= minutes(fixed, BELIZE_CITY, COROZAL) <= 111
    # Every trip north passes Ladyville, so it gains exactly what the trip to Ladyville gains.
    saved = minutes(raw, BELIZE_CITY, LADYVILLE) - minutes(fixed, BELIZE_CITY, LADYVILLE)
    for town in (ORANGE_WALK, COROZAL):
        assert minutes(raw, BELIZE_CITY, town) - minutes(fixed, BELIZE_CITY, town) == pytest.approx(saved, abs=1)


def test_belize_city_to_belmopan_still_by_the_george_price_highway(fixed: RoadNetwork) -> None:
    assert 55 <= minutes(fixed, BELIZE_CITY, BELMOPAN) <= 90  # issue 10; about 80 km of mostly trunk road


def test_one_network_and_nothing_left_to_look_at() -> None:
    loaded = load(DEFAULT_ROADS, DEFAULT_CONNECTORS)
    assert loaded.refused == []
    assert len(loaded.connectors) == len(json.loads(DEFAULT_CONNECTORS.read_text())["connectors"])
    assert check(loaded.roads) == []


# What the check must find in the extract as shipped, before the connectors (docs/roads.md judges each). Oracle: an
# independent script on the same file (equirectangular metres at 17.25° N, ends snapped as RoadNetwork does, point
# to segment distances): kind, roads, where (±0.0001°), metres (±1 % or 1 m, the two projections' difference).
GPH, PGH = "George Price Highway", "Philip Goldson Highway"
RAW_FINDINGS = [
    ("component", (GPH,), (-88.20475, 17.49825), 49),
    ("component", (GPH,), (-88.98225, 17.19235), 67),
    ("gap", ("Central American Boulevard",), (-88.1968, 17.50365), 108),
    ("gap", (PGH,), (-88.2830, 17.5451), 150),
    ("gap", (GPH,), (-88.20215, 17.49695), 417),
    ("dead_end", ("Coastal Plain Highway", GPH), (-88.5547, 17.3424), 36),
    ("dead_end", (GPH, GPH), (-88.2056, 17.4987), 77),
    ("dead_end", (GPH, GPH), (-89.0533, 17.1678), 7),
    ("dead_end", (GPH, GPH), (-88.9820, 17.1925), 74),
    ("dead_end", (GPH, GPH), (-88.9825, 17.1922), 67),
    ("dead_end", ("Hummingbird Highway", "Hummingbird Highway"), (-88.7871, 17.2599), 17),
    ("dead_end", ("Burrell Boom Road", PGH), (-88.3500, 17.5847), 171),
    ("dead_end", ("Loma Luz Boulevard", "Loma Luz Boulevard"), (-89.0587, 17.1710), 5),
    ("dead_end", ("Santa Elena Road", "Santa Elena Road"), (-88.3920, 18.4003), 41),
    ("dead_end", ("Otro Benque Road", "Otro Benque Road"), (-88.5614, 18.0927), 65),
]


def test_the_extract_as_shipped_has_the_gaps_that_were_reviewed() -> None:
    findings = check(load(DEFAULT_ROADS).roads)
    assert [(f.kind.value, f.roads) for f in findings] == [(kind, roads) for kind, roads, _, _ in RAW_FINDINGS]
    for finding, (_, _, where, metres) in zip(findings, RAW_FINDINGS, strict=True):
        assert finding.lonlat == pytest.approx(where, abs=1e-4)
        assert finding.distance_m == pytest.approx(metres, rel=0.01, abs=1)
