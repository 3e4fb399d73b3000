"""OSM import on small extracts written here: classes, one-way rules, maxspeed, formats, and bad files.

The map, in UTM 16N metres from ORIGIN (written to the file as lon/lat to 7 decimals, about 1 cm):

    N5 (0,500) ·········· footway ·········· N4 (1000,500)
    |  footway                              /|
    N1 (0,0) ── w1: one-way east, 36 km/h ── N2 (500,0) ── w2: residential, both ways ── N3 (1000,0)
      w4: N1 - N4 diagonal, oneway=-1 (traffic N4 -> N1 only), maxspeed "30 mph";  w2 goes on N3 -> N4
"""

import bz2
import math
from pathlib import Path

import numpy as np
import osmium
import pytest

from bench.osm_town import osm_xml
from traffic.osm import RoadImportError, direction, load_osm, maxspeed_kmh
from traffic.router import Router
from traffic.utm import to_lonlat

ORIGIN = np.array([330000.0, 1920000.0])
XY = {1: (0, 0), 2: (500, 0), 3: (1000, 0), 4: (1000, 500), 5: (0, 500), 6: (3000, 3000)}
RESIDENTIAL_MPS = 25 / 3.6  # the class table's residential speed
W4_MPS = 30 * 1.609344 / 3.6


def lonlat(node: int) -> tuple[float, float]:
    lon, lat = to_lonlat(ORIGIN + np.array(XY[node], dtype=float))
    return round(float(lon), 7), round(float(lat), 7)


def town_xml(ways: list[tuple[list[int], dict[str, str]]], nodes: tuple[int, ...] = (1, 2, 3, 4, 5)) -> str:
    return osm_xml({node: lonlat(node) for node in nodes}, ways)


TOWN = [
    ([1, 2], {"highway": "residential", "oneway": "yes", "maxspeed": "36", "name": "Front Street"}),
    ([2, 3, 4], {"highway": "residential", "name": "Back Street"}),
    ([1, 5, 4], {"highway": "footway"}),
    ([1, 4], {"highway": "residential", "oneway": "-1", "maxspeed": "30 mph"}),
]


@pytest.fixture
def town(tmp_path: Path) -> Path:
    path = tmp_path / "town.osm"
    path.write_text(town_xml(TOWN))
    return path


def seconds(router: Router, source: int, target: int) -> float:
    return float(router.travel_times_to(lonlat(target), [lonlat(source)])[0])


def test_one_way_streets_are_driven_only_their_way(town: Path) -> None:
    found = load_osm(town)
    assert (found.ways, found.drivable_ways, found.oneway_ways, found.missing_nodes) == (4, 3, 2, 0)
    router = Router(found.graph)
    # Hand-worked: w1 500 m at 10 m/s = 50 s; w2 1,000 m at 25 km/h = 144 s; w4 hypot(1000, 500) at 30 mph.
    assert seconds(router, 1, 2) == pytest.approx(50.0, abs=0.05)
    assert seconds(router, 2, 1) == pytest.approx(144 + math.hypot(1000, 500) / W4_MPS, abs=0.05)  # not w1 back
    assert seconds(router, 1, 4) == pytest.approx(50 + 144, abs=0.05)  # not w4 against its traffic
    assert seconds(router, 4, 1) == pytest.approx(math.hypot(1000, 500) / W4_MPS, abs=0.05)
    assert seconds(router, 3, 4) == pytest.approx(500 / RESIDENTIAL_MPS, abs=0.05)
    # The footway is no road: N5 is not in the graph, so a unit there walks off-road to the nearest road.
    assert found.graph.nodes == 4
    assert set(found.graph.road_class) == {"residential"}
    assert "Front Street" in found.graph.name


def test_pbf_and_bz2_give_the_same_graph(town: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "town.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(town)):
            writer.add(obj)
    packed = tmp_path / "town.osm.bz2"
    packed.write_bytes(bz2.compress(town.read_bytes()))
    xml = load_osm(town).graph
    for other in (load_osm(pbf).graph, load_osm(packed).graph):
        np.testing.assert_array_equal(other.xy, xml.xy)
        np.testing.assert_array_equal(other.tail, xml.tail)
        np.testing.assert_array_equal(other.head, xml.head)
        np.testing.assert_array_equal(other.speed_mps, xml.speed_mps)


def test_implied_one_ways_motorway_and_roundabout(tmp_path: Path) -> None:
    path = tmp_path / "implied.osm"
    path.write_text(town_xml([([1, 2], {"highway": "motorway"}),
                             ([2, 3], {"highway": "tertiary", "junction": "roundabout"}),
                             ([3, 4], {"highway": "motorway", "oneway": "no"})]))
    graph = load_osm(path).graph
    pairs = {(int(t), int(h)) for t, h in zip(graph.tail, graph.head, strict=True)}
    # node indices follow first appearance: N1 0, N2 1, N3 2, N4 3
    assert pairs == {(0, 1), (1, 2), (2, 3), (3, 2)}


def test_a_way_node_missing_from_the_file_breaks_the_way_there(tmp_path: Path) -> None:
    path = tmp_path / "partial.osm"
    path.write_text(town_xml([([1, 2, 99, 3, 4], {"highway": "service"})]))
    found = load_osm(path)
    assert found.missing_nodes == 1
    pairs = {(int(t), int(h)) for t, h in zip(found.graph.tail, found.graph.head, strict=True)}
    assert pairs == {(0, 1), (1, 0), (2, 3), (3, 2)}  # N1-N2 and N3-N4 kept, nothing across the gap
    np.testing.assert_allclose(found.graph.speed_mps, 15 / 3.6)


@pytest.mark.parametrize(("value", "kmh"), [
    ("50", 50.0), ("50 km/h", 50.0), ("80kmh", 80.0), ("30 mph", 48.28032), ("30mph", 48.28032), (" 45 ", 45.0),
    ("none", None), ("signals", None), ("walk", None), ("BZ:urban", None), ("50;30", None), ("mph", None),
    ("0", None), ("-20", None), ("", None), (None, None),
])
def test_maxspeed(value: str | None, kmh: float | None) -> None:
    got = maxspeed_kmh(value)
    assert got == (None if kmh is None else pytest.approx(kmh))


@pytest.mark.parametrize(("road_class", "oneway", "junction", "sense"), [
    ("residential", None, None, 0), ("residential", "yes", None, 1), ("residential", "true", None, 1),
    ("residential", "1", None, 1), ("residential", "-1", None, -1), ("residential", "no", None, 0),
    ("motorway", None, None, 1), ("motorway_link", None, None, 1), ("motorway", "no", None, 0),
    ("primary", None, "roundabout", 1), ("primary", "reversible", None, 0), ("trunk", None, None, 0),
])
def test_direction(road_class: str, oneway: str | None, junction: str | None, sense: int) -> None:
    assert direction(road_class, oneway, junction) == sense


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.osm", b"", "the file is empty"),
    ("text.osm", b"this is not xml at all\n", "not a readable OpenStreetMap file"),
    ("other.osm", b'<?xml version="1.0"?><gpx version="1.1"><trk/></gpx>\n', "not a readable OpenStreetMap file"),
    ("noise.osm.pbf", bytes(range(256)) * 8, "not a readable OpenStreetMap file"),
    ("noise.osm.bz2", b"BZh9" + bytes(200), "not a readable OpenStreetMap file"),
    ("footways.osm", town_xml([([1, 2], {"highway": "footway"}), ([2, 3], {"highway": "cycleway"}),
                              ([3, 4], {"highway": "track"}), ([4, 5], {"highway": "proposed"}),
                              ([1, 5], {"building": "yes"})]).encode(), "no drivable road among its 5 ways"),
    ("nodes-only.osm", town_xml([]).encode(), "no drivable road among its 0 ways"),
    ("lonely.osm", town_xml([([1, 98], {"highway": "primary"})]).encode(), "not one segment"),
    ("roads.json", b'{"roads": []}', "not an OpenStreetMap file name"),
])
def test_bad_files_are_refused_with_the_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RoadImportError, match=reason):
        load_osm(path)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RoadImportError, match="no such file"):
        load_osm(tmp_path / "absent.osm.pbf")
