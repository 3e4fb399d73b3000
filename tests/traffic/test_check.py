"""`traffic.check` on a hand-built network (tests/traffic/synthetic.py) with one finding of each kind."""

from __future__ import annotations

import pytest

from tests.traffic.synthetic import GAP_M, ISLAND_FROM_MAIN_M, ISLAND_M, ROADS, SPUR_M
from traffic.check import Kind, as_geojson, check, place
from traffic.connectors import Connector


def test_one_finding_of_each_kind_where_and_how_far() -> None:
    component, gap, dead_end = check(ROADS)

    assert component.kind is Kind.COMPONENT and component.roads == ("Island",)
    assert component.length_km == pytest.approx(ISLAND_M / 1000, abs=5e-5)
    assert component.distance_m == pytest.approx(ISLAND_FROM_MAIN_M, abs=0.05)
    assert component.lonlat == pytest.approx((-87.0, 17.13), abs=1e-6)  # halfway along it

    assert gap.kind is Kind.GAP and gap.roads == ("Main",)
    assert gap.distance_m == pytest.approx(GAP_M, abs=0.05)
    assert gap.lonlat == pytest.approx((-87.0, 17.10075), abs=1e-6)
    assert gap.link is not None
    assert sorted(gap.link) == [pytest.approx((-87.0, 17.1), abs=1e-6), pytest.approx((-87.0, 17.1015), abs=1e-6)]

    # Main's two ends at the gap are dead ends too, but the gap already says so: only the spur is one.
    assert dead_end.kind is Kind.DEAD_END and dead_end.roads == ("Spur", "Main")
    assert dead_end.distance_m == pytest.approx(SPUR_M, abs=0.05)
    assert dead_end.lonlat == pytest.approx((-86.998, 17.025), abs=1e-6)
    assert dead_end.link is not None
    assert dead_end.link[1] == pytest.approx((-87.0, 17.025), abs=1e-6)  # the foot on Main's segment


def test_messages_say_what_and_how_far() -> None:
    component, gap, dead_end = check(ROADS)
    assert component.message == "1.1 km of road (Island) cut off from the main network, 553 m from it"
    # By road: Main 0.1° south, the loop 0.02° east, 0.12° north and 0.02° west, then Main 0.0185° south:
    # 11.06 + 2.13 + 13.27 + 2.13 + 2.05 = 30.6 km.
    assert gap.message == "two pieces of Main end 166 m apart without joining (by road 30.6 km)"
    assert dead_end.message.startswith("Spur ends 213 m from Main without joining it")


def test_thresholds_are_parameters() -> None:
    # The spur's 212.86 m is beyond a 200 m look-out; a 150 m snap leaves the 165.94 m gap as a gap, 170 m joins it.
    assert [f.kind for f in check(ROADS, near_m=200.0)] == [Kind.COMPONENT, Kind.GAP]
    assert [f.kind for f in check(ROADS, snap_m=150.0)] == [Kind.COMPONENT, Kind.GAP, Kind.DEAD_END]
    assert [f.kind for f in check(ROADS, snap_m=170.0)] == [Kind.COMPONENT, Kind.DEAD_END]
    # A 160 m upper bound on gaps: Main's pieces are no longer "same-named gap" but their ends are dead ends.
    kinds = [(f.kind, f.roads) for f in check(ROADS, gap_max_m=160.0)]
    assert kinds == [(Kind.COMPONENT, ("Island",)), (Kind.DEAD_END, ("Main", "Main")),
                     (Kind.DEAD_END, ("Main", "Main")), (Kind.DEAD_END, ("Spur", "Main"))]


def test_a_clean_network_has_no_findings() -> None:
    # The second piece of Main, the loop, and East Road with its bridge: one network, no dead end near a road.
    assert check([ROADS[1], ROADS[2], *ROADS[4:7]]) == []


def test_places_read_as_degrees_north_and_west() -> None:
    assert place((-88.253, 17.5421)) == "17.5421 N, 88.2530 W"
    assert place((151.2093, -33.8688)) == "33.8688 S, 151.2093 E"


def test_geojson_has_a_point_per_finding_and_a_line_per_gap_dead_end_and_connector() -> None:
    connector = Connector(("Main", "Main"), ((-87.0, 17.1), (-87.0, 17.1015)), "the two pieces are one road")
    layer = as_geojson(check(ROADS), [connector])
    shapes = [(f["properties"]["kind"], f["geometry"]["type"]) for f in layer["features"]]
    assert shapes == [("component", "Point"), ("gap", "Point"), ("gap", "LineString"), ("dead_end", "Point"),
                      ("dead_end", "LineString"), ("connector", "LineString")]
    assert layer["type"] == "FeatureCollection"
    island = layer["features"][0]
    assert island["properties"]["where"] == "17.1300 N, 87.0000 W"
    assert island["properties"]["length_km"] == 1.11
    assert island["geometry"]["coordinates"] == pytest.approx([-87.0, 17.13], abs=1e-6)
    assert layer["features"][-1]["properties"]["message"] == "the two pieces are one road"
    assert layer["features"][-1]["geometry"]["coordinates"] == [[-87.0, 17.1], [-87.0, 17.1015]]
