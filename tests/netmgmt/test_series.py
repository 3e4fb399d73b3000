"""netmgmt.series: bucketing, exact merging, the rollup's closing and late samples, and query planning; every
expected value is worked out by hand here."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netmgmt.series import BadQuery, Plan, Point, Retention, Rollup, downsample, merge, plan

KEEP = Retention(raw_s=48 * 3600.0, minute_s=30 * 86400.0, quarter_s=400 * 86400.0)
NOW = 1_764_567_000.0  # 2025-12-01T05:30:00Z, a multiple of 900


def sample(ts: float, dl: float = 0.5, ul: float = 0.25, ues: int = 3, rejected: int = 0, preempted: int = 0) -> Point:
    return Point(ts, dl, ul, 10 * dl, 10 * ul, ues, rejected, preempted)


def test_merge_is_means_max_and_sums() -> None:
    points = [sample(0, 0.2, 0.1, 4, 1, 0), sample(5, 0.4, 0.3, 9, 0, 2), sample(10, 0.9, 0.5, 2, 3, 1)]
    merged = merge(0.0, points)
    assert merged == Point(0.0, pytest.approx(0.5), pytest.approx(0.3), pytest.approx(5.0), pytest.approx(3.0),
                           9, 4, 3, 3)


def test_merging_aggregates_weights_by_their_sample_counts() -> None:
    # 3 samples at 0.2 and 1 sample at 0.6: the mean of the 4 samples is 0.3, not (0.2 + 0.6) / 2.
    three = Point(0.0, 0.2, 0.0, 0.0, 0.0, 1, 1, 0, n=3)
    one = Point(60.0, 0.6, 0.0, 0.0, 0.0, 5, 2, 1, n=1)
    assert merge(0.0, [three, one]) == Point(0.0, pytest.approx(0.3), 0.0, 0.0, 0.0, 5, 3, 1, n=4)


def test_downsample_aligns_buckets_to_the_epoch_and_leaves_gaps_out() -> None:
    points = [sample(NOW + 1), sample(NOW + 59), sample(NOW + 61), sample(NOW + 300)]
    assert [(p.ts, p.n) for p in downsample(points, 60)] == [(NOW, 2), (NOW + 60, 1), (NOW + 300, 1)]


def test_rollup_closes_buckets_after_their_end_and_the_grace() -> None:
    rollup = Rollup(grace_s=15.0)
    for offset in (0, 5, 10, 55, 60):
        rollup.add("C-1", sample(NOW + offset, rejected=1))
    assert rollup.close(NOW + 74) == []  # the first minute ends at +60, closes at +75
    closed = rollup.close(NOW + 75)
    assert [(cell, res, p.ts, p.n, p.bearers_rejected) for cell, res, p in closed] == [("C-1", 60, NOW, 4, 4)]
    assert [(p.ts, p.n) for p in rollup.open_points("C-1", 60)] == [(NOW + 60, 1)]
    assert [(p.ts, p.n) for p in rollup.open_points("C-1", 900)] == [(NOW, 5)]
    rollup.add("C-1", sample(NOW + 30))  # its minute was handed over: late for the minute, not for the quarter
    assert rollup.late == 1
    assert [(p.ts, p.n) for p in rollup.open_points("C-1", 900)] == [(NOW, 6)]
    everything = rollup.close(None)
    assert [(res, p.ts, p.n) for _, res, p in everything] == [(60, NOW + 60, 1), (900, NOW, 6)]


def test_rollup_forgets_a_cell_an_hour_after_its_last_bucket_closed() -> None:
    # Equipment may name any cell: what the rollup remembers of a cell's closed buckets goes an hour after the
    # last closed. A sample for such a bucket then counts again, as a second aggregate row of that bucket (rows of
    # one bucket merge exactly), instead of being late.
    rollup = Rollup(grace_s=15.0)
    rollup.add("C-1", sample(NOW))
    assert len(rollup.close(NOW + 915)) == 2  # its minute and its quarter
    rollup.add("C-1", sample(NOW + 30))
    assert rollup.late == 2  # within the hour: late for both
    rollup.close(NOW + 900 + 3601)  # the quarter ended an hour and a second ago
    rollup.add("C-1", sample(NOW + 40, rejected=3))
    assert rollup.late == 2
    assert [(res, p.ts, p.n, p.bearers_rejected) for _, res, p in rollup.close(NOW + 9000)] == [
        (60, NOW, 1, 3), (900, NOW, 1, 3)]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.floats(0, 3600), st.floats(0, 1), st.integers(0, 50), st.integers(0, 5)),
                min_size=1, max_size=60))
def test_quarters_from_minutes_equal_quarters_from_samples(rows: list[tuple[float, float, int, int]]) -> None:
    samples = [sample(NOW + t, dl=u, ues=n, rejected=r) for t, u, n, r in rows]
    direct = downsample(samples, 900)
    via_minutes = downsample(downsample(samples, 60), 900)
    assert [(p.ts, p.n, p.connected_ues, p.bearers_rejected) for p in via_minutes] == \
        [(p.ts, p.n, p.connected_ues, p.bearers_rejected) for p in direct]
    for a, b in zip(via_minutes, direct, strict=True):
        assert a.prb_util_dl == pytest.approx(b.prb_util_dl, abs=1e-12)
        assert 0 <= a.prb_util_dl <= 1


@pytest.mark.parametrize(
    ("start", "end", "step", "expected"),
    [
        (NOW - 3600, NOW, 5, Plan(0, 5)),  # raw, any step
        (NOW - 3600, NOW, 60, Plan(60, 60)),
        (NOW - 3600, NOW, 120, Plan(60, 120)),
        (NOW - 86400, NOW, 900, Plan(900, 900)),
        (NOW - 86400, NOW, 1800, Plan(900, 1800)),
        (NOW - 30 * 86400, NOW, 1800, Plan(900, 1800)),
        (NOW - 3600, NOW, None, Plan(0, 5)),  # 720 points
        (NOW - 86400, NOW, None, Plan(60, 60)),  # 17,280 raw points would be too many: 1,440 minutes
        (NOW - 30 * 86400, NOW, None, Plan(900, 1800)),  # 2,592,000 / 2000 = 1296 s at least
        (NOW - 72 * 3600, NOW - 70 * 3600, None, Plan(60, 60)),  # raw gone after 48 h
        (NOW - 60 * 86400, NOW - 59 * 86400, None, Plan(900, 900)),  # minutes gone after 30 days
        (NOW - 5 * 365 * 86400, NOW, None, Plan(900, 86400)),  # 157,680,000 s / 2000 = 78,840: a day per point
        (NOW - 10 * 365 * 86400, NOW, None, Plan(900, 158400)),  # beyond the ladder: 157,680 s → 176 × 900
    ],
)
def test_plan_picks_the_coarsest_source_dividing_the_step(start: float, end: float, step: int | None,
                                                           expected: Plan) -> None:
    assert plan(start, end, step, NOW, KEEP) == expected


@pytest.mark.parametrize(
    ("start", "end", "step", "message"),
    [
        (NOW, NOW - 1, 60, "must be after"),
        (NOW, NOW, 60, "must be after"),
        (NOW - 86400, NOW, 30, "at least 44 s"),  # 86400 / 2000 = 43.2
        (NOW - 49 * 3600, NOW, 90, "raw samples are kept 48 h"),
        (NOW - 31 * 86400, NOW, 1860, "1-min aggregates are kept 30 days"),
        (NOW - 10, NOW, 0, "at least 1 s"),
        (float("nan"), NOW, 60, "finite"),
    ],
)
def test_plan_refuses_with_the_limit_named(start: float, end: float, step: int, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        plan(start, end, step, NOW, KEEP)


def test_sources_are_named_as_the_contract_says() -> None:
    assert [Plan(r, 900).source for r in (0, 60, 900)] == ["raw", "1m", "15m"]
