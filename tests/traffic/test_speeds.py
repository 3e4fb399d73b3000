"""SegmentSpeeds on hand-made sample streams; every expected number worked out by hand in the comments."""

import math

import numpy as np
import pytest

from traffic.samples import SpeedSample
from traffic.speeds import Added, Level, SegmentSpeeds, SpeedConfig, levels


def samples(edge: int, speeds: list[float], start: float = 0.0, step: float = 1.0) -> list[SpeedSample]:
    return [SpeedSample(edge, start + i * step, v, True) for i, v in enumerate(speeds)]


def test_the_window_mean_count_confidence_and_level() -> None:
    speeds = SegmentSpeeds(np.array([20.0, 10.0]))
    added = speeds.add([SpeedSample(0, 100, 10, True), SpeedSample(0, 200, 12, False),
                        SpeedSample(0, 350, 14, True)])
    assert added == Added(3, 0, 0, 0)
    snap = speeds.snapshot(400.0)
    # Window (100, 400]: the samples at 200 and 350: mean 13, n 2, confidence 1 - exp(-2/3) = 0.486583.
    assert snap.speed_mps[0] == 13.0 and snap.samples[0] == 2 and snap.updated[0] == 350.0
    assert snap.confidence[0] == pytest.approx(0.486583, abs=1e-6)
    assert snap.level[0] == Level.SLOW  # 13 / 20 = 0.65
    # The 60 s recent window [340, 400) holds the sample at 350 only.
    assert snap.recent is not None and snap.recent.speed_mps[0] == 14.0 and snap.recent.samples[0] == 1
    assert math.isnan(snap.speed_mps[1]) and snap.samples[1] == 0 and math.isnan(snap.updated[1])
    assert snap.level[1] == Level.UNKNOWN and snap.confidence[1] == 0.0
    # Samples later than `now` are not in the window yet.
    assert speeds.snapshot(300.0).speed_mps[0] == 11.0


def test_levels_at_their_thresholds() -> None:
    got = levels(np.array([15.0, 14.9, 10.0, 9.9, 5.0, 4.9, 0.0, np.nan]), np.full(8, 20.0))
    assert got.tolist() == [1, 2, 2, 3, 3, 4, 4, 0]
    assert [Level(v).label for v in (0, 4)] == ["unknown", "jammed"]


def test_impossible_speeds_are_refused_outright() -> None:
    # Edge 0: limit 20 -> cap 40; edge 1: limit 40 -> 2x is 80, so 200 km/h = 55.56 m/s caps it.
    speeds = SegmentSpeeds(np.array([20.0, 40.0]))
    added = speeds.add([SpeedSample(0, 1, 40.0, True), SpeedSample(0, 2, 40.01, True),
                        SpeedSample(1, 1, 55.5, True), SpeedSample(1, 2, 55.6, True)])
    assert added == Added(2, 2, 0, 0)
    assert speeds.snapshot(2).speed_mps.tolist() == [40.0, 55.5]


def test_malformed_samples_are_counted_and_the_rest_kept() -> None:
    speeds = SegmentSpeeds(np.array([20.0, 20.0]))
    batch = [SpeedSample(0, 1, math.nan, True), SpeedSample(0, math.inf, 5, True), SpeedSample(0, 1, -1, True),
             SpeedSample(-1, 1, 5, True), SpeedSample(2, 1, 5, True), SpeedSample(1.5, 1, 5, True),  # type: ignore[arg-type]
             SpeedSample("x", 1, 5, True),  # type: ignore[arg-type]
             SpeedSample(-1, 1, math.nan, True),  # bad before unknown
             SpeedSample(1, 1, 7.0, True)]
    assert speeds.add(batch) == Added(1, 0, 4, 4)
    assert speeds.snapshot(1).speed_mps[1] == 7.0


def test_a_sample_far_from_the_edge_median_is_an_outlier() -> None:
    speeds = SegmentSpeeds(np.array([30.0]))
    assert speeds.add(samples(0, [20, 21, 19, 20, 20])) == Added(5, 0, 0, 0)
    # Median 20, MAD 0 -> the 2 m/s floor: far means more than 4 x 2 = 8 m/s away.
    assert speeds.add(samples(0, [29.0], start=5)) == Added(0, 1, 0, 0)
    assert speeds.add(samples(0, [27.0], start=6)) == Added(1, 0, 0, 0)
    assert speeds.snapshot(6).speed_mps[0] == pytest.approx((20 + 21 + 19 + 20 + 20 + 27) / 6)


def test_a_run_of_far_samples_is_a_change_and_gets_in_from_the_third() -> None:
    speeds = SegmentSpeeds(np.array([30.0]))
    speeds.add(samples(0, [20, 21, 19, 20, 20]))
    # A queue: 5, 5 are outliers, the third 5 in a row is accepted and so is the fourth (next batch).
    assert speeds.add(samples(0, [5, 5, 5], start=5)) == Added(1, 2, 0, 0)
    assert speeds.add(samples(0, [5], start=8)) == Added(1, 0, 0, 0)
    # A near sample ends the run: the next far one is an outlier again.
    assert speeds.add(samples(0, [20, 4], start=9)) == Added(1, 1, 0, 0)


def test_only_the_newest_buffer_samples_count() -> None:
    speeds = SegmentSpeeds(np.array([30.0]), SpeedConfig(buffer=4, mad_min=100))
    speeds.add(samples(0, [1, 1, 10, 10, 10]))
    speeds.add(samples(0, [20], start=5))
    # Held: 10, 10, 10, 20 (the two 1s pushed out): mean 12.5.
    snap = speeds.snapshot(5)
    assert snap.speed_mps[0] == 12.5 and snap.samples[0] == 4


def test_live_speeds_need_confidence_and_are_floored() -> None:
    speeds = SegmentSpeeds(np.array([20.0, 20.0, 20.0]))
    speeds.add(samples(0, [10, 10]) + samples(1, [10, 12, 14]) + samples(2, [0, 0, 0]))
    # Confidence: 2 samples 0.487 < 0.6; 3 samples 0.632 >= 0.6. A standing queue (0) is floored at 0.5 m/s.
    live = speeds.live_speeds(3)
    assert math.isnan(live[0]) and live[1] == 12.0 and live[2] == 0.5
    snap = speeds.snapshot(3)
    assert np.array_equal(speeds.live_speeds(3, snap), live, equal_nan=True)


def test_free_flow_is_learned_as_the_85th_percentile_and_capped() -> None:
    speeds = SegmentSpeeds(np.array([20.0, 13.0]))
    batch = [10.5] * 40 + [14.5] * 20
    speeds.add(samples(0, batch[:49]) + samples(1, batch[:49]))
    free, learned = speeds.free_flow()
    assert free.tolist() == [20.0, 13.0] and not learned.any()  # 49 < 50: the graph's speed
    speeds.add(samples(0, batch[49:], start=49) + samples(1, batch[49:], start=49))
    # 1 m/s bins: 40 in [10, 11), 20 in [14, 15); the 85th of 60 is the 51st: 14 + (51 - 40) / 20 = 14.55.
    # Edge 1's limit 13 caps it at 13 x 1.1 = 14.3.
    free, learned = speeds.free_flow()
    assert free == pytest.approx([14.55, 14.3]) and learned.all()
    snap = speeds.snapshot(59)
    assert snap.free_flow_mps == pytest.approx([14.55, 14.3])


def test_free_flow_forgets_by_halving() -> None:
    speeds = SegmentSpeeds(np.array([30.0]), SpeedConfig(ff_cap=100, ff_min=10, mad_min=1000))
    speeds.add(samples(0, [10.5] * 100))
    speeds.add(samples(0, [20.5] * 60, start=100))
    # 160 > 100: halved to 50 at 10.5 and 30 at 20.5. The 85th of 80 is the 68th: 20 + (68 - 50) / 30 = 20.6.
    free, _ = speeds.free_flow()
    assert free[0] == pytest.approx(20.6)


def test_a_malformed_position_or_token_counts_on_the_whole_edge_as_an_unknown_vehicle() -> None:
    speeds = SegmentSpeeds(np.array([20.0]), length_m=np.array([1000.0]))  # two pieces of 500 m
    added = speeds.add([SpeedSample(0, 1, 5.0, True, "x", "y"),  # type: ignore[arg-type]
                        SpeedSample(0, 2, 7.0, True, 750.0, math.inf)])  # type: ignore[arg-type]
    assert added == Added(2, 0, 0, 0)
    recent = speeds.snapshot(10.0).recent
    assert recent is not None
    # The first on both pieces, the second (750 m) on the second: 5 and (5 + 7) / 2 = 6; each an unknown vehicle.
    assert recent.speed_mps.tolist() == [5.0, 6.0] and recent.samples.tolist() == [1, 2]
    assert recent.vehicles.tolist() == [1, 2]
