"""SpeedHistory: sums and counts per edge per 300 s bin, 6 hours kept; expected values worked out by hand."""

import math

import numpy as np
import pytest

from traffic.history import SpeedHistory
from traffic.samples import SpeedSample


def s(edge: int, ts: float, v: float) -> SpeedSample:
    return SpeedSample(edge, ts, v, True)


def test_bins_hold_the_mean_and_count_of_their_samples() -> None:
    history = SpeedHistory(3)
    # Bin [3000, 3300): edge 0 gets 10 and 20, edge 2 gets 7; bin [3300, 3600): edge 0 gets 30.
    history.add([s(0, 3000, 10), s(0, 3299.9, 20), s(2, 3100, 7), s(0, 3300, 30)])
    start, mean, count = history.at(3150)
    assert start == 3000.0 and count.tolist() == [2, 0, 1]
    assert mean[0] == 15.0 and math.isnan(mean[1]) and mean[2] == 7.0
    start, mean, count = history.at(3300)
    assert start == 3300.0 and mean[0] == 30.0 and count.tolist() == [1, 0, 0]
    # The span: 72 bins back from the newest, [3300 - 71 x 300, 3600).
    assert history.span == (3300 - 71 * 300, 3600)


def test_series_gives_every_held_bin_in_the_range() -> None:
    history = SpeedHistory(2)
    history.add([s(1, 600, 10), s(1, 650, 14), s(1, 1250, 5)])
    rows = history.series(1, 600, 1500)
    assert [(a, n) for a, _, n in rows] == [(600.0, 2), (900.0, 0), (1200.0, 1)]
    assert rows[0][1] == 12.0 and math.isnan(rows[1][1]) and rows[2][1] == 5.0
    assert history.series(1, 1500, 600) == []
    with pytest.raises(IndexError):
        history.series(2, 0, 1000)


def test_six_hours_are_kept_and_older_bins_are_dropped() -> None:
    history = SpeedHistory(1, bin_s=300, keep_s=900)  # 3 bins
    history.add([s(0, 0, 10), s(0, 300, 20), s(0, 600, 30)])
    assert history.at(0)[2].tolist() == [1]
    history.add([s(0, 900, 40)])  # bin 3 evicts bin 0
    with pytest.raises(ValueError):
        history.at(0)
    assert history.at(300)[1].tolist() == [20.0]
    history.add([s(0, 100, 99)])  # older than what is held: dropped
    assert [n for _, _, n in history.series(0, 0, 1200)] == [1, 1, 1]
    history.add([s(0, 3000, 50)])  # far ahead: the ring is wiped and holds bins 8, 9, 10
    assert history.span == (2400.0, 3300.0)
    assert [(a, n) for a, _, n in history.series(0, 0, 1e9)] == [(2400.0, 0), (2700.0, 0), (3000.0, 1)]


def test_malformed_samples_are_skipped() -> None:
    history = SpeedHistory(2)
    assert history.span is None
    with pytest.raises(ValueError):
        history.at(0)
    history.add([s(0, math.nan, 1), s(0, 10, math.inf), s(0, 10, -1), s(5, 10, 1), s(-1, 10, 1),
                 s(1, 10, 4), s(1, 1e300, 4)])
    _, mean, count = history.at(10)
    assert count.tolist() == [0, 1] and mean[1] == 4.0
    assert np.isnan(mean[0])
