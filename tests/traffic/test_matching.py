"""Map matching on small hand-drawn graphs: every expected edge and speed worked out by hand below.

Coordinates are UTM 16N metres from an origin near Belmopan. Roads are 20 m/s unless said otherwise.
"""

import numpy as np
import pytest

from tests.traffic.drives import accuracy, drive, run, run_many
from traffic.graph import RoadGraph
from traffic.matching import MatchConfig, Matcher, Outcome

ORIGIN = np.array([310000.0, 1900000.0])


def graph(nodes: list[tuple[float, float]], edges: list[tuple[int, int]]) -> RoadGraph:
    return RoadGraph.build(ORIGIN + np.array(nodes, dtype=float), [a for a, _ in edges], [b for _, b in edges],
                           [20.0] * len(edges), ["primary"] * len(edges), [""] * len(edges))


def two_way(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [e for a, b in pairs for e in ((a, b), (b, a))]


def edge(g: RoadGraph, a: int, b: int) -> int:
    return int(g.edge_index(np.array([a]), np.array([b]))[0])


# A straight two-way road north: 0 (0,0) - 1 (0,1000) - 2 (0,2000) - 3 (0,3000).
STRAIGHT = graph([(0, 0), (0, 1000), (0, 2000), (0, 3000)], two_way([(0, 1), (1, 2), (2, 3)]))


def test_a_noiseless_1hz_drive_gives_one_interval_sample_per_edge_at_the_speed_driven() -> None:
    g = STRAIGHT
    north = [edge(g, 0, 1), edge(g, 1, 2), edge(g, 2, 3)]
    d = drive(g, north, 20.0, 1.0, 0.0, np.random.default_rng(1))
    pushed = run(Matcher(g), "car", d, speed=20.0)
    samples = [s for p in pushed for s in p.samples]
    interval = [s for s in samples if not s.spot]
    spot = [s for s in samples if s.spot]
    # 3 km at 20 m/s from t0: fixes at 0..149 s, positions 0..2980 m; each 1 km edge is one traversal.
    assert sorted(s.edge for s in interval) == north
    assert [s.speed_mps for s in interval] == pytest.approx([20.0] * 3)
    # The first edge is driven from t0 to t0 + 50 s: its sample holds at the middle, t0 + 25 s.
    first = next(s for s in interval if s.edge == north[0])
    assert first.ts == pytest.approx(d.ts[0] + 25.0)
    assert len(spot) == 150 and {s.speed_mps for s in spot} == {20.0}
    assert accuracy(g, d, pushed) == 1.0


def test_60s_sampling_routes_through_the_edges_between_fixes() -> None:
    g = STRAIGHT
    north = [edge(g, 0, 1), edge(g, 1, 2), edge(g, 2, 3)]
    # 25 m/s, one fix a minute: at 0, 1500 and 3000 m (the last is the end node, dropped by arange's end).
    d = drive(g, north, 25.0, 60.0, 0.0, np.random.default_rng(2))
    pushed = run(Matcher(g), "car", d)
    interval = [s for p in pushed for s in p.samples if not s.spot]
    assert sorted(s.edge for s in interval) == north[:2]
    assert [s.speed_mps for s in interval] == pytest.approx([25.0, 25.0])


# A divided road: the northbound carriageway x = 0 (0 -> 1 -> 2), the southbound x = 25 m (3 -> 4 -> 5), one way
# each, joined at both ends.
DIVIDED = graph([(0, 0), (0, 1000), (0, 2000), (25, 2000), (25, 1000), (25, 0)],
                [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0)])


def test_carriageway_of_a_divided_road_over_a_drive() -> None:
    g = DIVIDED
    south = [edge(g, 3, 4), edge(g, 4, 5)]
    ds = [drive(g, south, 15.0, 1.0, 12.0, np.random.default_rng(seed)) for seed in range(5)]
    rates = [accuracy(g, d, p) for d, p in zip(ds, run_many(Matcher(g), ds, "car", speed=15.0), strict=True)]
    assert min(rates) >= 0.95, rates


def test_heading_picks_the_carriageway_of_a_lone_fix() -> None:
    # One fix per vehicle, nothing before or after it: only the emission decides. 12 m noise across carriageways
    # 25 m apart puts a fix nearer the wrong one 15 % of the time; the heading (south) must outweigh that.
    g = DIVIDED
    rng = np.random.default_rng(7)
    m = Matcher(g)
    right = 0
    for i in range(200):
        x, y = ORIGIN + np.array([25.0, rng.uniform(100, 1900)]) + rng.normal(0, 12.0, 2)
        m.push(f"car{i}", 1000.0, float(x), float(y), 15.0, 180.0)
        decided = m.flush(f"car{i}").matched
        right += decided[0][1] in (edge(g, 3, 4), edge(g, 4, 5))
    assert right / 200 >= 0.97


def test_a_slow_vehicle_s_jitter_is_not_taken_for_u_turns() -> None:
    g = STRAIGHT
    north = [edge(g, 0, 1), edge(g, 1, 2)]
    ds = [drive(g, north, 3.0, 1.0, 10.0, np.random.default_rng(seed)) for seed in range(3)]
    rates = [accuracy(g, d, p) for d, p in zip(ds, run_many(Matcher(g), ds, "car", speed=3.0), strict=True)]
    assert min(rates) >= 0.95, rates


# A 500 m square A (0,0) B (500,0) C (500,500) D (0,500); A -> D one way, the other sides two-way.
SQUARE = graph([(0, 0), (500, 0), (500, 500), (0, 500)], [*two_way([(0, 1), (1, 2), (2, 3)]), (0, 3)])


def test_routes_between_sparse_fixes_respect_one_way_streets() -> None:
    g = SQUARE
    # From D to A the one-way street may not be driven: the way is D -> C -> B -> A, 1500 m at 20 m/s.
    around = [edge(g, 3, 2), edge(g, 2, 1), edge(g, 1, 0)]
    d = drive(g, around, 20.0, 60.0, 0.0, np.random.default_rng(3))
    # Fixes at 0 m (D) and 1200 m ((300, 0) on B -> A): 1200 m in 60 s.
    pushed = run(Matcher(g), "car", d)
    interval = [s for p in pushed for s in p.samples if not s.spot]
    assert sorted(s.edge for s in interval) == sorted(around)
    assert {round(s.speed_mps, 6) for s in interval} == {20.0}


# A straight road 0 (0,0) - 1 (0,1000) - 2 (0,2000) - 3 (0,3000) with a side road 40 m east from 1 to 2 through
# 4 (40,1000) and 5 (40,2000), joined square on: 80 m longer than the straight road.
BYPASS = graph([(0, 0), (0, 1000), (0, 2000), (0, 3000), (40, 1000), (40, 2000)],
               two_way([(0, 1), (1, 2), (2, 3), (1, 4), (4, 5), (5, 2)]))


def test_between_sparse_fixes_the_route_nearest_the_straight_line_wins() -> None:
    g = BYPASS
    m = Matcher(g)
    # One fix a minute at 20 m/s; the middle one is 22 m east of the road and 18 m from the side road: its
    # emission favours the side road by ½(22² − 18²)/10² = 0.8 nats, while the routes through the side road are
    # 40 m longer than the straight distance on each side of it: 2 × 40 / beta(10) = 8 nats against.
    pushed = [m.push("car", ts, ORIGIN[0] + x, ORIGIN[1] + y)
              for ts, x, y in ((0.0, 0.0, 0.0), (60.0, 22.0, 1200.0), (120.0, 0.0, 2400.0))]
    decided = [e for p in [*pushed, m.flush("car")] for _, e, _ in p.matched]
    assert decided == [edge(g, 0, 1), edge(g, 1, 2), edge(g, 2, 3)]


def test_a_u_turn_in_the_middle_of_an_edge() -> None:
    g = STRAIGHT
    rng = np.random.default_rng(4)
    # North 400 m on 0 -> 1 at 10 m/s, then back south on 1 -> 0 from 600 m before node 1 to 200 m before 0.
    there = drive(g, [edge(g, 0, 1)], 10.0, 1.0, 5.0, rng)
    n = 40
    back_xy = ORIGIN + np.column_stack([np.zeros(n), 400.0 - 10.0 * np.arange(1, n + 1)])
    ts = np.concatenate([there.ts[:n], there.ts[n - 1] + np.arange(1, n + 1)])
    xy = np.concatenate([there.true_xy[:n], back_xy]) + rng.normal(0, 5.0, (2 * n, 2))
    heading = np.concatenate([np.zeros(n), np.full(n, 180.0)])
    m = Matcher(g)
    pushed = [m.push("car", float(t), float(x), float(y), 10.0, float(h))
              for t, (x, y), h in zip(ts, xy, heading, strict=True)] + [m.flush("car")]
    decided = {t: e for p in pushed for t, e, _ in p.matched}
    truth = [edge(g, 0, 1)] * n + [edge(g, 1, 0)] * n
    right = sum(decided[float(t)] == e for t, e in zip(ts, truth, strict=True))
    assert right / (2 * n) >= 0.95


def test_bad_input_gets_its_outcome_and_the_trace_goes_on() -> None:
    g = STRAIGHT
    m = Matcher(g, MatchConfig(max_gap_s=90.0, max_speed_mps=70.0))
    x0, y0 = ORIGIN
    table = [  # (ts, x, y, expected)
        (100.0, x0, y0 + 100, Outcome.MATCHED),
        (100.0, x0, y0 + 100, Outcome.DUPLICATE),
        (99.0, x0, y0 + 90, Outcome.OUT_OF_ORDER),
        (101.0, float("nan"), y0 + 120, Outcome.BAD),
        (float("inf"), x0, y0 + 120, Outcome.BAD),
        (102.0, x0 + 500, y0 + 140, Outcome.OFF_NETWORK),  # 500 m off the road
        (103.0, x0, y0 + 160, Outcome.MATCHED),  # 60 m in 3 s after the last accepted fix
        (104.0, x0, y0 + 2000, Outcome.TELEPORT),  # 1840 m in 1 s
        (300.0, x0, y0 + 2100, Outcome.GAP),  # 196 s later
        (301.0, x0, y0 + 2120, Outcome.MATCHED),
    ]
    for ts, x, y, expected in table:
        assert m.push("car", ts, x, y, 20.0, 0.0).outcome == expected, (ts, x, y)
    assert m.counts == {Outcome.MATCHED: 3, Outcome.DUPLICATE: 1, Outcome.OUT_OF_ORDER: 1, Outcome.BAD: 2,
                        Outcome.OFF_NETWORK: 1, Outcome.TELEPORT: 1, Outcome.GAP: 1}
    assert m.active == 1
    assert m.forget(silent_since=302.0) != [] and m.active == 0


def test_push_many_matches_like_push_one_by_one() -> None:
    g = STRAIGHT
    north = [edge(g, 0, 1), edge(g, 1, 2)]
    drives = [drive(g, north, v, 1.0, 8.0, np.random.default_rng(10 + i)) for i, v in enumerate((10.0, 15.0))]
    one, many = Matcher(g), Matcher(g)
    singles, batched = [], []
    for i in range(min(len(d.ts) for d in drives)):
        for name, d in zip(("a", "b"), drives, strict=True):
            singles.append(one.push(name, float(d.ts[i]), *map(float, d.xy[i]), 12.0, float(d.heading[i])))
        batched += many.push_many(["a", "b"], np.array([d.ts[i] for d in drives]),
                                  np.array([d.xy[i] for d in drives]), np.full(2, 12.0),
                                  np.array([d.heading[i] for d in drives]))
    assert singles == batched


def test_a_stopped_car_keeps_its_heading_and_its_road() -> None:
    # Two parallel two-way roads 7 m apart, not connected: A 0 (0,0) - 1 (500,0), B 2 (0,7) - 3 (500,7). A car
    # drives east along A at 10 m/s reporting heading 90, then stops 4.5 m north of A's line (2.5 m from B) and
    # reports speed 0 (heading noise). With k = 2 the two likeliest directed candidates are kept: without a
    # heading B's two directions (2.5 m) beat A's (4.5 m), so A would leave the candidates and, B being out of
    # reach, the trace would restart on B. With the heading it drove with, A east (4.5 m, along) and B east
    # (2.5 m, along; unreachable from A) are kept, and A east is decided.
    g = graph([(0, 0), (500, 0), (0, 7), (500, 7)], two_way([(0, 1), (2, 3)]))
    m = Matcher(g, MatchConfig(k=2))
    decided: list[int] = []
    for t in range(10):
        x, y = ORIGIN + np.array([300.0 + 10 * t, 0.0])
        decided += [e for _, e, _ in m.push("car", float(t), x, y, 10.0, 90.0).matched]
    for t in range(10, 16):
        p = m.push("car", float(t), *(ORIGIN + np.array([392.0, 4.5])), 0.0, 270.0)
        assert p.outcome is Outcome.MATCHED
        decided += [e for _, e, _ in p.matched]
    decided += [e for _, e, _ in m.flush("car").matched]
    assert decided == [edge(g, 0, 1)] * 16
