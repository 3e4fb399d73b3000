"""The validation's scoring (bench/validation_metrics.py) and probe sampling, on hand-made tables with
hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from bench.probe_fixes import choose
from bench.sumo_output import Fcd
from bench.validation_metrics import (
    Raised,
    affected,
    detection_delay,
    distinct_vehicles,
    false_alarms,
    incident_edges,
    per_100_segment_hours,
    speed_errors,
    upstream,
)
from traffic.graph import RoadGraph

NAN = float("nan")
# Three 300 s intervals x four edges; free flow 20 m/s everywhere, so affected means below 12 m/s.
BEGIN = np.array([0.0, 300.0, 600.0])
TRUTH = np.array([[20.0, 10.0, NAN, 20.0],
                  [5.0, 10.0, 16.0, 20.0],
                  [20.0, 11.0, 11.0, 20.0]])
FREE = np.full(4, 20.0)


def test_speed_errors_use_only_cells_with_enough_samples_and_a_truth() -> None:
    estimate = np.array([[22.0, 8.0, 30.0, NAN],
                         [6.0, 10.0, 16.0, 18.0],
                         [20.0, 99.0, 8.8, 20.0]])
    samples = np.array([[3, 5, 9, 4],
                        [3, 2, 3, 3],
                        [0, 3, 3, 3]])
    # Cells: (0,0) |2|/20, (0,1) |2|/10, (1,0) |1|/5, (1,2) 0, (1,3) |2|/20, (2,1) |88|/11, (2,2) |2.2|/11, (2,3) 0.
    # Left out: (0,2) no truth, (0,3) no estimate, (1,1) 2 samples, (2,0) 0 samples.
    errors = speed_errors(estimate, samples, TRUTH)
    assert errors.cells == 8
    assert errors.mae_kmh == pytest.approx((2 + 2 + 1 + 0 + 2 + 88 + 2.2 + 0) / 8 * 3.6)
    assert errors.mape == pytest.approx((0.1 + 0.2 + 0.2 + 0 + 0.1 + 8 + 0.2 + 0) / 8)


def test_distinct_vehicles_count_each_vehicle_once_per_cell() -> None:
    # Rows (t, edge, vehicle): vehicle 7 on edge 1 at 0, 1, 2 s (one vehicle, three rows); vehicle 8 there at
    # 299 s (same interval), 300 s (the next); vehicle 9 on no edge (-1), on edge 3 (outside 3 edges), at 900 s
    # (after the last interval) and at -1 s (before the first): none counted.
    ts = np.array([0.0, 1.0, 2.0, 299.0, 300.0, 5.0, 5.0, 900.0, -1.0])
    edge = np.array([1, 1, 1, 1, 1, -1, 3, 1, 1])
    vehicle = np.array([7, 7, 7, 8, 8, 9, 9, 9, 9])
    got = distinct_vehicles(BEGIN, 300.0, ts, edge, vehicle, 3)
    assert got.tolist() == [[0, 2, 0], [0, 1, 0], [0, 0, 0]]


def test_no_qualifying_cell_gives_nan_not_zero() -> None:
    errors = speed_errors(TRUTH, np.zeros((3, 4), dtype=np.int64), TRUTH)
    assert errors.cells == 0 and np.isnan(errors.mae_kmh) and np.isnan(errors.mape)


def test_affected_is_below_sixty_percent_of_free_flow_and_never_where_sumo_saw_nothing() -> None:
    assert affected(TRUTH, FREE).tolist() == [[False, True, False, False],
                                              [True, True, False, False],
                                              [False, True, True, False]]


def test_incident_edges_are_the_closed_edge_and_those_newly_affected_while_it_lasts() -> None:
    hit = affected(TRUTH, FREE)
    # Closure in [600, 700): interval 2 and the one after (none). Edge 2 is newly affected; edge 1 already was.
    assert incident_edges(hit, BEGIN, 300.0, 3, 600.0, 700.0) == {2, 3}
    # Closure from 300: intervals 1 and 2; before it interval 0, where edge 1 was already affected.
    assert incident_edges(hit, BEGIN, 300.0, 3, 300.0, 400.0) == {0, 2, 3}


def test_detection_delay_is_the_first_alert_on_an_incident_edge_in_the_window() -> None:
    alerts = [Raised(1, 650.0), Raised(2, 590.0), Raised(2, 760.0), Raised(3, 700.0), Raised(3, 2000.0)]
    assert detection_delay(alerts, {2, 3}, 600.0, 1000.0) == 100.0
    assert detection_delay(alerts, {0}, 600.0, 1000.0) is None


def test_false_alarms_are_alerts_where_sumo_shows_no_congestion_nearby() -> None:
    hit = affected(TRUTH, FREE)
    alerts = [Raised(3, 10.0), Raised(1, 10.0), Raised(2, 100.0), Raised(2, 650.0), Raised(0, 899.0)]
    # Edge 3 is never affected; edge 2 is affected in interval 2, the neighbour of interval 1 but not of 0; edge 0
    # in interval 1, the neighbour of 2.
    assert false_alarms(alerts, hit, BEGIN) == [Raised(3, 10.0), Raised(2, 100.0)]


def test_false_alarm_rate_is_per_100_segment_hours() -> None:
    assert per_100_segment_hours(3, 50, 7200.0) == pytest.approx(3.0)
    assert np.isnan(per_100_segment_hours(0, 0, 3600.0))


def test_choose_takes_whole_vehicles_in_the_share_asked_never_the_stopped_incident() -> None:
    vehicles = np.repeat(np.arange(200), 3)
    names = tuple(f"v{i}" for i in range(190)) + tuple(f"incident.{i}" for i in range(10))
    fcd = Fcd(np.tile([0.0, 1.0, 2.0], 200), vehicles, names, np.zeros((600, 2)),
              np.zeros(600), np.zeros(600), np.zeros(600, dtype=np.intp))
    for fraction, count in ((0.01, 2), (0.05, 10), (0.1, 19), (1.0, 190)):  # of the 190 that are traffic
        rows = choose(fcd, fraction, seed=7)
        assert len(np.unique(vehicles[rows])) == count and rows.sum() == 3 * count
        assert vehicles[rows].max() < 190
    assert (choose(fcd, 0.05, seed=7) == choose(fcd, 0.05, seed=7)).all()


def test_only_edges_within_queue_reach_upstream_count_for_the_incident() -> None:
    # A road 0 - 1 - 2 - 3 - 4 of 500 m edges, both ways, closed edge 2 -> 3 (start: node 2). From the end of
    # 1 -> 2: 0 m; of 0 -> 1, 2 -> 1 (back over 1 -> 2), 4 -> 3 and 2 -> 3 itself (back over 3 -> 2): 500 m;
    # of 3 -> 4 and 1 -> 0: 1000 m. 3 -> 2 (0 m) is the closed edge's reverse: the other carriageway.
    xy = np.column_stack([500.0 * np.arange(5), np.zeros(5)])
    tail = np.array([0, 1, 2, 3, 1, 2, 3, 4])
    head = np.array([1, 2, 3, 4, 0, 1, 2, 3])
    graph = RoadGraph.build(xy, tail, head, [20.0] * 8, ["primary"] * 8, ["Road"] * 8)
    closed = int(graph.edge_index(np.array([2]), np.array([3]))[0])

    def named(within_m: float) -> set[tuple[int, int]]:
        return {(int(graph.tail[e]), int(graph.head[e])) for e in upstream(graph, closed, within_m)}

    assert named(400.0) == {(1, 2)}
    assert named(600.0) == {(1, 2), (0, 1), (2, 1), (4, 3), (2, 3)}
    # Edge 0 newly affected during the closure but not near it: not the incident's.
    hit = affected(TRUTH, FREE)
    assert incident_edges(hit, BEGIN, 300.0, 3, 300.0, 400.0, near={2}) == {2, 3}
