"""Travel times on a hand-drawn graph, every expected second worked out by hand below.

Nodes in UTM 16N metres from an origin near Belmopan (so the lon/lat round trip is exercised too):

    D (0,1000) ——— 20 m/s, both ways ——— C (1000,1000)
    |                                      ^
    10 m/s, both ways                      10 m/s, one way B -> C only
    |                                      |
    A (0,0) ——— 20 m/s, both ways ——— B (1000,0)          E (5000,5000) —— F (6000,5000): an island

Edge times: A-B 50 s, B->C 100 s, C-D 50 s, D-A 100 s, E-F 100 s. Off-road legs at 15 km/h: 100 m = 24 s.
"""

import math

import numpy as np
import pytest

from traffic.graph import RoadGraph
from traffic.router import Router
from traffic.utm import to_lonlat, to_utm

ORIGIN = np.array([310000.0, 1900000.0])
NODES = {"A": (0, 0), "B": (1000, 0), "C": (1000, 1000), "D": (0, 1000), "E": (5000, 5000), "F": (6000, 5000)}
NAMES = list(NODES)
# (tail, head, m/s, both ways)
ROADS = [("A", "B", 20, True), ("B", "C", 10, False), ("C", "D", 20, True), ("D", "A", 10, True),
         ("E", "F", 10, True)]


def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = to_lonlat(ORIGIN + np.array([x, y], dtype=float))
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def router() -> Router:
    tail, head, speed = [], [], []
    for t, h, mps, both in ROADS:
        for a, b in ([(t, h), (h, t)] if both else [(t, h)]):
            tail.append(NAMES.index(a))
            head.append(NAMES.index(b))
            speed.append(mps)
    xy = ORIGIN + np.array(list(NODES.values()), dtype=float)
    return Router(RoadGraph.build(xy, tail, head, speed, ["residential"] * len(tail), ["x"] * len(tail)))


# target (x, y), unit (x, y), seconds — each worked by hand
CASES = [
    # Target mid C-D: reached from C (25 s) or from D (25 s).
    ((500, 1000), (1000, 500), 75.0),  # up the one-way to C (50 s), then 25 s
    ((500, 1000), (250, 0), 137.5),  # to A 12.5 s, A-D 100 s, D->T 25 s (via B: 37.5 + 100 + 25 = 162.5)
    ((500, 1000), (500, 1100), 24.0),  # 100 m off the road beside the target: the off-road leg alone
    ((500, 1000), (200, 1000), 15.0),  # on the target's own road: 300 m at 20 m/s
    ((500, 1060), (200, 1000), 15.0 + 14.4),  # the target 60 m off the road: + 60 m at 15 km/h
    # Target mid B->C (one way): reached only from B (50 s).
    ((1000, 500), (1000, 1000), 250.0),  # from C: C-D 50, D-A 100, A-B 50, B->T 50
    ((1000, 500), (1000, 800), 270.0),  # above it on the one-way: up to C 20 s, then 250 s
    ((1000, 500), (1000, 200), 30.0),  # below it: 300 m with the traffic at 10 m/s
    ((1000, 500), (5500, 5000), math.inf),  # on the island
    # Target at node A: reached from A itself, whichever road's end it snaps to.
    ((0, 0), (1000, 0), 50.0),
    ((0, 0), (-100, 0), 24.0),  # beyond the end of the road: 100 m off-road to A
    ((0, 0), (0, 500), 50.0),  # half of D-A
    ((0, 0), (1000, 1000), 150.0),  # C-D 50 s, D-A 100 s
]


@pytest.mark.parametrize(("target", "unit", "seconds"), CASES)
def test_travel_time_by_hand(router: Router, target: tuple[float, float], unit: tuple[float, float],
                             seconds: float) -> None:
    got = router.travel_times_to(lonlat(*target), [lonlat(*unit)])
    assert got.shape == (1,)
    assert got[0] == pytest.approx(seconds, rel=1e-9, abs=1e-6)


def test_one_search_ranks_every_unit_and_keeps_their_order(router: Router) -> None:
    units = [lonlat(1000, 500), lonlat(250, 0), (float("nan"), 17.0), lonlat(5500, 5000), lonlat(200, 1000)]
    got = router.travel_times_to(lonlat(500, 1000), units)
    np.testing.assert_allclose(got[[0, 1, 4]], [75.0, 137.5, 15.0], rtol=1e-9)
    assert math.isnan(got[2])  # no position: neither a time nor "unreachable"
    assert got[3] == math.inf
    assert router.travel_times_to(lonlat(500, 1000), np.empty((0, 2))).shape == (0,)


def test_a_target_without_a_position_is_refused(router: Router) -> None:
    with pytest.raises(ValueError, match="not a finite"):
        router.travel_times_to((float("nan"), 17.0), [lonlat(0, 0)])


def test_route_geometry_follows_the_one_way(router: Router) -> None:
    seconds, path = router.route(lonlat(1000, 800), lonlat(1000, 500))
    assert seconds == pytest.approx(270.0)
    xy = to_utm([p[0] for p in path], [p[1] for p in path]) - ORIGIN
    # unit, its snap point (itself), C, D, A, B, the target's snap point, the target
    expected = [(1000, 800), (1000, 800), (1000, 1000), (0, 1000), (0, 0), (1000, 0), (1000, 500), (1000, 500)]
    np.testing.assert_allclose(xy, expected, atol=1e-3)


def test_route_on_the_target_s_own_road_and_none_from_the_island(router: Router) -> None:
    seconds, path = router.route(lonlat(200, 1100), lonlat(500, 1000))
    assert seconds == pytest.approx(24.0 + 15.0)
    xy = to_utm([p[0] for p in path], [p[1] for p in path]) - ORIGIN
    np.testing.assert_allclose(xy, [(200, 1100), (200, 1000), (500, 1000), (500, 1000)], atol=1e-3)
    assert router.route(lonlat(5500, 5000), lonlat(500, 1000)) == (math.inf, [])


def test_live_speeds_override_free_flow(router: Router) -> None:
    graph = router.graph
    speeds = np.full(graph.edges, np.nan)
    names = [(NAMES[t], NAMES[h]) for t, h in zip(graph.tail, graph.head, strict=True)]
    speeds[names.index(("C", "D"))] = 10.0  # C->D jammed to 10 m/s: 100 s, so C->T is 50 s
    speeds[names.index(("A", "B"))] = -3.0  # garbage: ignored, counted
    live = router.with_speeds(speeds)
    assert live.graph.ignored_speeds == 1
    assert live.travel_times_to(lonlat(500, 1000), [lonlat(1000, 500)])[0] == pytest.approx(100.0)
    assert live.travel_times_to(lonlat(1000, 500), [lonlat(1000, 1000)])[0] == pytest.approx(300.0)
    assert router.travel_times_to(lonlat(500, 1000), [lonlat(1000, 500)])[0] == pytest.approx(75.0)
    with pytest.raises(ValueError, match="one speed per edge"):
        router.with_speeds([1.0, 2.0])
