"""When bench/telemetry.py calls a burst drained, and the rates it reports: hand-computed sample tables."""

from __future__ import annotations

import pytest

from bench.drain import Sample, drain_figures

# (t, accepted, stored, backlog), counters relative to before the burst of 5,000.
BURST = 5000
TABLE = [
    Sample(0.0, 0, 0, 0),
    Sample(1.0, 1000, 0, 1000),
    Sample(2.0, 3000, 0, 3000),
    Sample(3.0, 5000, 2000, 3000),  # all accepted, 3,000 still waiting for the writer
    Sample(3.5, 5000, 5000, 0),  # all committed
]


def test_the_drain_ends_when_every_row_is_committed_not_when_accepted() -> None:
    drain = drain_figures(TABLE, BURST)
    # Counted from the first sample that shows the drain (t = 1.0, 1,000 already taken): 4,000 messages.
    assert drain.committed_msgs_per_s == pytest.approx(4000 / 2.5)  # 1,600
    assert drain.accepted_msgs_per_s == pytest.approx(4000 / 2.0)  # 2,000
    assert drain.seconds == pytest.approx(2.5)


def test_a_non_empty_backlog_keeps_the_drain_open() -> None:
    samples = [*TABLE[:3], Sample(3.0, 5000, 5000, 7), Sample(4.0, 5000, 5000, 0)]
    assert drain_figures(samples, BURST).seconds == pytest.approx(3.0)


def test_records_accepted_beyond_the_burst_must_be_committed_too() -> None:
    # 5,100 accepted (a late message from elsewhere): 5,000 committed is not yet everything.
    samples = [*TABLE[:3], Sample(3.0, 5100, 5000, 0), Sample(5.0, 5100, 5100, 0)]
    drain = drain_figures(samples, BURST)
    assert drain.seconds == pytest.approx(4.0)
    assert drain.committed_msgs_per_s == pytest.approx(4100 / 4.0)
    assert drain.accepted_msgs_per_s == pytest.approx(4100 / 2.0)


@pytest.mark.parametrize(("samples", "reason"), [
    ([Sample(0.0, 0, 0, 0), Sample(1.0, 0, 0, 0)], "no message of the burst of 5000 was accepted"),
    ([Sample(0.0, 0, 0, 0), Sample(1.0, 5000, 0, 5000), Sample(2.0, 5000, 5000, 0)], "accepted between two polls"),
    (TABLE[:4], "did not drain: accepted 5000, committed 2000, backlog 3000"),
])
def test_a_burst_that_cannot_be_timed_is_an_error_with_the_reason(samples: list[Sample], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        drain_figures(samples, BURST)
