"""Vehicle counting on the synthetic camera: true counts come from the scene's generator, never the counter."""

from __future__ import annotations

import pytest

from bench.camera_scene import DIRECTION, LINE, Scene, Vehicle, true_counts, vehicles
from traffic.camera import Crossing, MinuteCounts, VehicleCounter
from traffic.tracking import CentroidTracker, CountingLine, TrackerConfig


def count(entries: list[Vehicle], seed: int) -> VehicleCounter:
    scene = Scene(entries, seed)
    counter = VehicleCounter(LINE)
    for i in range(scene.frames):
        counter.feed(scene.frame(i), 1_000_000.0 + i / scene.fps)
    return counter


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_each_direction_within_five_percent(seed: int) -> None:
    entries = vehicles(seed, 20)
    truth = true_counts(entries)
    assert truth == {"a_to_b": 20, "b_to_a": 20}
    counter = count(entries, seed)
    for direction in ("a_to_b", "b_to_a"):
        assert counter.counts[direction] <= truth[direction]  # a vehicle is never counted twice
        assert counter.counts[direction] >= 0.95 * truth[direction], (direction, counter.counts)
    assert counter.statuses["bad_frame"] == counter.statuses["black"] == 0


def test_a_lone_vehicle_counts_once_in_its_own_direction() -> None:
    for lane in (0, 1):
        lone = [Vehicle(lane, 2.0, 90.0, 30, 16, (235, 235, 235))]
        counter = count(lone, 7)
        assert dict(counter.counts) == {DIRECTION[lane]: 1}


def test_a_vehicle_stopping_on_the_line_counts_once() -> None:
    # Jitter on the line: a stopped vehicle's centroid wobbling 3 px either side of it (the dead band), then on.
    line = CountingLine((0.0, 100.0), (200.0, 100.0), dead_band_px=3.0)
    tracker = CentroidTracker(line, TrackerConfig(max_jump_px=40.0, settled_jump_px=16.0))
    path = [80.0, 88.0, 95.0] + [97.0, 103.0, 99.0, 97.0, 103.0, 101.0] * 3 + [110.0, 118.0]
    crossings = [d for y in path for d in tracker.update([(50.0, y)])]
    assert crossings == ["b_to_a"]


def test_the_line_sides_follow_the_cross_product() -> None:
    # Hand-computed: a = (0, 0), b = (10, 0); cross(b - a, p - a) = 10 * p_y.
    line = CountingLine((0.0, 0.0), (10.0, 0.0), dead_band_px=1.0)
    assert [line.side(p) for p in [(5.0, 3.0), (5.0, -3.0), (5.0, 0.5), (30.0, 3.0)]] == [1, -1, 0, 0]


def test_minute_counts_bin_by_minute_and_forget_old_ones() -> None:
    minutes = MinuteCounts(keep_s=120.0)
    minutes.add([Crossing(59.9, "a_to_b"), Crossing(60.0, "b_to_a"), Crossing(119.0, "b_to_a"),
                 Crossing(200.0, "a_to_b")])
    assert minutes.rows() == [[0.0, 1, 0], [60.0, 0, 2], [180.0, 1, 0]]
    minutes.prune(now=200.0)
    assert minutes.rows() == [[180.0, 1, 0]]


def test_the_last_minute_is_zero_once_nothing_crossed_for_over_a_minute() -> None:
    minutes = MinuteCounts()
    minutes.add([Crossing(130.0, "a_to_b"), Crossing(135.0, "b_to_a"), Crossing(140.0, "b_to_a")])
    # The minute 120-180 while it runs, and as the previous minute during 180-240; from 240 on, a stopped road.
    assert [minutes.last(now) for now in (150.0, 200.0, 239.9, 240.0, 4000.0)] == [(1, 2), (1, 2), (1, 2), (0, 0),
                                                                                  (0, 0)]
    assert MinuteCounts().last(100.0) == (0, 0)


@pytest.mark.parametrize("line", [((0.5, 0.5), (0.5, 0.5)), ((0.0, 0.0), (1.2, 0.5)), ((-0.1, 0.0), (1.0, 0.5)),
                                  ((float("nan"), 0.0), (1.0, 0.5))])
def test_a_bad_line_is_refused(line: tuple[tuple[float, float], tuple[float, float]]) -> None:
    with pytest.raises(ValueError, match="line"):
        VehicleCounter(line)
