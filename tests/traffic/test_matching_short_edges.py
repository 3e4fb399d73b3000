"""Interval samples need a distance long enough to time (MatchConfig.interval_min_m, 50 m) and a speed their
edge allows (MatchConfig.limit_factor, twice its free-flow speed); spot samples are kept either way.

One straight road north, one way, 20 m/s: 0 (0,0) - 1 (0,503) - 2 (0,518) - 3 (0,1000); the middle edge is 15 m
long. A car drives it from node 0, noiseless, reporting its speed; every figure below is worked out by hand.
"""

import numpy as np
import pytest

from tests.traffic.drives import drive, run
from tests.traffic.test_matching import edge, graph
from traffic.matching import Matcher
from traffic.samples import SpeedSample

ROAD = graph([(0, 0), (0, 503), (0, 518), (0, 1000)], [(0, 1), (1, 2), (2, 3)])
LONG_IN, SHORT, LONG_OUT = edge(ROAD, 0, 1), edge(ROAD, 1, 2), edge(ROAD, 2, 3)


def samples(route: list[int], speed: float, every_s: float) -> list[SpeedSample]:
    d = drive(ROAD, route, speed, every_s, 0.0, np.random.default_rng(1))
    return [s for p in run(Matcher(ROAD), "car", d, speed=speed) for s in p.samples]


def intervals(got: list[SpeedSample]) -> list[tuple[int, float]]:
    return [(s.edge, s.speed_mps) for s in got if not s.spot]


def test_a_1hz_drive_over_a_15m_edge_gives_it_its_spot_sample_only() -> None:
    # 10 m/s, fixes every 10 m: 0 .. 990. Only the fix at 510 m lies on the 15 m edge (503-518): one spot
    # sample there; its traversal (15 m) is too short to time. The long edges get one interval sample each.
    got = samples([LONG_IN, SHORT, LONG_OUT], 10.0, 1.0)
    assert intervals(got) == [(LONG_IN, pytest.approx(10.0)), (LONG_OUT, pytest.approx(10.0))]
    assert [(s.edge, s.speed_mps) for s in got if s.spot and s.edge == SHORT] == [(SHORT, 10.0)]


def test_a_trace_ending_on_a_15m_edge_gives_it_no_interval_sample() -> None:
    # Fixes at 0 .. 510 m: the last one, on the short edge (7 m into it), closes it when the trace is flushed.
    got = samples([LONG_IN, SHORT], 10.0, 1.0)
    assert [e for e, _ in intervals(got)] == [LONG_IN]
    assert [s.edge for s in got if s.spot].count(SHORT) == 1


def test_a_15m_edge_crossed_within_one_20m_interval_gets_no_sample() -> None:
    # 20 m/s, fixes at 0, 20 .. 500, 520 ..: the short edge lies wholly inside the 20 m route from 500 to 520 m.
    got = samples([LONG_IN, SHORT, LONG_OUT], 20.0, 1.0)
    assert SHORT not in {s.edge for s in got}
    assert intervals(got) == [(LONG_IN, pytest.approx(20.0)), (LONG_OUT, pytest.approx(20.0))]


def test_a_15m_edge_crossed_between_two_sparse_fixes_gets_the_route_s_speed() -> None:
    # 10 m/s, one fix every 30 s: 0, 300, 600 and 900 m. The short edge lies inside the 300 m route from 300 to
    # 600 m: long enough to time, so it gets that route's speed like the long edges.
    got = samples([LONG_IN, SHORT, LONG_OUT], 10.0, 30.0)
    assert intervals(got) == [(e, pytest.approx(10.0)) for e in (LONG_IN, SHORT, LONG_OUT)]


@pytest.mark.parametrize(("speed", "timed"), [(39.0, [LONG_IN, LONG_OUT]), (45.0, [])])
def test_an_interval_sample_over_twice_its_edge_s_limit_is_dropped(speed: float, timed: list[int]) -> None:
    # The road is limited to 20 m/s: 39 m/s is under twice that, 45 m/s over it. The reported speeds stay.
    got = samples([LONG_IN, SHORT, LONG_OUT], speed, 1.0)
    assert intervals(got) == [(e, pytest.approx(speed)) for e in timed]
    assert {s.speed_mps for s in got if s.spot} == {speed}
