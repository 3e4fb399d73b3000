"""Edges too short to time get spot samples but no interval sample (MatchConfig.interval_min_m, 50 m).

One straight road north, one way: 0 (0,0) - 1 (0,503) - 2 (0,518) - 3 (0,1000); the middle edge is 15 m long.
A car drives it at 10 m/s from node 0, noiseless, reporting its speed; every figure below is worked out by hand.
"""

import numpy as np
import pytest

from tests.traffic.drives import drive, run
from tests.traffic.test_matching import edge, graph
from traffic.matching import Matcher
from traffic.samples import SpeedSample

ROAD = graph([(0, 0), (0, 503), (0, 518), (0, 1000)], [(0, 1), (1, 2), (2, 3)])
LONG_IN, SHORT, LONG_OUT = edge(ROAD, 0, 1), edge(ROAD, 1, 2), edge(ROAD, 2, 3)


def samples(route: list[int], every_s: float) -> list[SpeedSample]:
    d = drive(ROAD, route, 10.0, every_s, 0.0, np.random.default_rng(1))
    return [s for p in run(Matcher(ROAD), "car", d, speed=10.0) for s in p.samples]


def test_a_1hz_drive_over_a_15m_edge_gives_it_its_spot_sample_only() -> None:
    # Fixes every 10 m: 0 .. 990. Only the fix at 510 m lies on the 15 m edge (503-518): one spot sample there;
    # the two long edges get one interval sample each, at 10 m/s.
    got = samples([LONG_IN, SHORT, LONG_OUT], 1.0)
    interval = [(s.edge, s.speed_mps) for s in got if not s.spot]
    assert [e for e, _ in interval] == [LONG_IN, LONG_OUT]
    assert [v for _, v in interval] == pytest.approx([10.0, 10.0])
    assert [(s.edge, s.speed_mps) for s in got if s.spot and s.edge == SHORT] == [(SHORT, 10.0)]


def test_a_trace_ending_on_a_15m_edge_gives_it_no_interval_sample() -> None:
    # Fixes at 0 .. 510 m: the last one, on the short edge, closes it when the trace is flushed.
    got = samples([LONG_IN, SHORT], 1.0)
    assert [s.edge for s in got if not s.spot] == [LONG_IN]
    assert [s.edge for s in got if s.spot].count(SHORT) == 1


def test_a_15m_edge_crossed_between_two_sparse_fixes_gets_no_sample() -> None:
    # One fix every 30 s: 0, 300, 600 and 900 m. The short edge lies wholly between the fixes at 300 and 600 m
    # (a route piece, no fix on it): the long edges get their traversal at 10 m/s, the short one nothing.
    got = samples([LONG_IN, SHORT, LONG_OUT], 30.0)
    assert SHORT not in {s.edge for s in got}
    assert [(s.edge, s.speed_mps) for s in got if not s.spot] == [(LONG_IN, pytest.approx(10.0)),
                                                                  (LONG_OUT, pytest.approx(10.0))]
