"""Reviewed connectors and road files: each bad entry is refused with its reason, the good ones around it kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.traffic.synthetic import ROADS, as_file
from traffic import Road
from traffic.check import Kind, check
from traffic.connectors import Connector, join, read_connectors
from traffic.loader import load, read_roads

GAP = Connector(("Main", "Main"), ((-87.0, 17.1), (-87.0, 17.1015)), "one road: the piece between is missing")
# From the spur's dead end to the foot of the perpendicular on Main's first segment (no vertex there).
JUNCTION = Connector(("Spur", "Main"), ((-86.998, 17.025), (-87.0, 17.025)), "the spur meets Main here")


def test_connectors_close_the_gap_and_the_junction() -> None:
    joined = join(ROADS, [GAP, JUNCTION])
    assert joined.refused == [] and joined.connectors == [GAP, JUNCTION]
    assert [f.kind for f in check(joined.roads)] == [Kind.COMPONENT]  # the island stays cut off
    # Main's first piece gains a vertex where the spur meets it; each connector is a two-point road.
    assert list(joined.roads[0].coords) == [(-87.0, 17.0), (-87.0, 17.025), (-87.0, 17.05), (-87.0, 17.1)]
    assert joined.roads[len(ROADS):] == [
        Road("Main", "trunk", [(-87.0, 17.1), (-87.0, 17.1015)]),
        Road("Spur", "primary", [(-86.998, 17.025), (-87.0, 17.025)]),
    ]


def test_a_connector_off_its_road_or_too_long_is_refused_with_the_reason() -> None:
    # 0.0005° east of Main at 17.05° N: k0 · N · cos φ · 0.0005° = 53.2 m off the road.
    off = Connector(("Main", "Main"), ((-86.9995, 17.05), (-87.0, 17.05)), "x")
    wrong_name = Connector(("Loop", "Main"), ((-87.0, 17.05), (-87.0, 17.051)), "x")
    # The island's south end is 553.13 m from Main's north end (tests/traffic/synthetic.py).
    too_long = Connector(("Island", "Main"), ((-87.0, 17.125), (-87.0, 17.12)), "x")
    joined = join(ROADS, [off, GAP, wrong_name, too_long])
    assert joined.connectors == [GAP]
    assert joined.refused == [
        "connector 0 (Main / Main): (-86.999500, 17.050000) is not on a road named 'Main' (53 m from it)",
        "connector 2 (Loop / Main): (-87.000000, 17.050000) is not on a road named 'Loop' (none within 500 m)",
        "connector 3 (Island / Main): its points are 553 m apart, more than 500 m",
    ]


def test_malformed_connectors_are_refused_and_the_rest_kept() -> None:
    raw = {"connectors": [
        {"roads": ["Main", "Main"], "points": [[-87.0, 17.1], [-87.0, 17.1015]], "why": "one road"},
        {"roads": ["Main"], "points": [[-87.0, 17.1], [-87.0, 17.1015]], "why": "one road"},
        {"roads": ["Main", "Main"], "points": [[-87.0, 17.1], [True, 17.1015]], "why": "one road"},
        {"roads": ["Main", "Main"], "points": [[-87.0, 17.1], [-87.0, float("nan")]], "why": "one road"},
        {"roads": ["Main", "Main"], "points": [[-87.0, 17.1], [-87.0, 17.1015]], "why": " "},
        "Main",
    ]}
    connectors, refused = read_connectors(raw)
    assert connectors == [Connector(("Main", "Main"), ((-87.0, 17.1), (-87.0, 17.1015)), "one road")]
    assert refused == ['connector 1: "roads" must be the two road names',
                       'connector 2: "points" must be two [lon, lat] points',
                       'connector 3: "points" must be two [lon, lat] points',
                       'connector 4: "why" must say why the gap is real',
                       "connector 5: not an object"]
    with pytest.raises(ValueError, match="not a connector list"):
        read_connectors([raw["connectors"][0]])


def test_malformed_roads_are_refused_and_the_rest_kept() -> None:
    raw = as_file(ROADS[:2])
    raw["roads"] += [  # type: ignore[operator]
        {"n": "One point", "c": "primary", "g": [[-88.0, 17.0]]},
        {"n": "Far away", "c": "primary", "g": [[-88.0, 17.0], [-88.0, 95.0]]},
        {"n": 7, "c": "primary", "g": [[-88.0, 17.0], [-88.0, 17.1]]},
        [[-88.0, 17.0], [-88.0, 17.1]],
    ]
    roads, refused = read_roads(raw)
    assert roads == ROADS[:2]
    assert refused == ["road 2 ('One point'): \"g\" must list at least two [lon, lat] points",
                       "road 3 ('Far away'): point 1 of \"g\" is not a [lon, lat] pair of numbers in range",
                       'road 4: "n" (name) and "c" (class) must be strings',
                       "road 5: not an object"]
    for bad, reason in [({"road": []}, "not a road network"), ({"roads": []}, "no roads")]:
        with pytest.raises(ValueError, match=reason):
            read_roads(bad)


def test_load_reads_both_files_and_says_which_is_not_json(tmp_path: Path) -> None:
    roads, connectors = tmp_path / "roads.json", tmp_path / "connectors.json"
    roads.write_text(json.dumps(as_file(ROADS)))
    connectors.write_text(json.dumps({"connectors": [
        {"roads": list(c.roads), "points": [list(p) for p in c.points], "why": c.why} for c in (GAP, JUNCTION)]}))
    loaded = load(roads, connectors)
    assert loaded.refused == [] and loaded.connectors == [GAP, JUNCTION]
    assert load(roads).connectors == [] and len(load(roads).roads) == len(ROADS)
    connectors.write_text("{not json")
    with pytest.raises(ValueError, match=r"connectors\.json: not JSON"):
        load(roads, connectors)
