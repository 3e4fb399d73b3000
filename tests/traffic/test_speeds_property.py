"""Any sample batch (NaN, inf, negative, huge, unknown edges) into SegmentSpeeds, SpeedHistory and DropDetector:
every sample is counted once in the right bin, nothing raises, and what comes out has the right shape and range.

The expected counts come from a plain per-sample reading of the rules (bad: non-finite time or speed, or a
negative speed; unknown: an edge that is not one of 0..EDGES-1; then too fast: above min(2 x limit, 200 km/h)),
not from the vectorised code under test.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from traffic.detect import DropDetector
from traffic.history import SpeedHistory
from traffic.samples import SpeedSample
from traffic.speeds import SegmentSpeeds

EDGES = 4
LIMIT = np.array([10.0, 20.0, 30.0, 40.0])
CAP = np.minimum(2 * LIMIT, 200 / 3.6)

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(0, 100), st.integers(-5, 10**20))
sample = st.builds(SpeedSample, st.one_of(st.integers(-3, EDGES + 2), st.integers(-(2**70), 2**70)),
                   st.one_of(st.floats(0, 2000), numbers), st.one_of(st.floats(0, 60), numbers), st.booleans())


def expected(batch: list[SpeedSample]) -> tuple[int, int, int, list[SpeedSample]]:
    """(bad, unknown, too fast, the known samples under the cap) by the rules, one sample at a time."""
    bad = unknown = fast = 0
    kept = []
    for s in batch:
        ts, v = float(s.ts), float(s.speed_mps)
        if not (math.isfinite(ts) and math.isfinite(v) and v >= 0):
            bad += 1
        elif not 0 <= s.edge < EDGES:
            unknown += 1
        elif v <= CAP[s.edge]:
            kept.append(s)
        else:
            fast += 1
    return bad, unknown, fast, kept


@settings(max_examples=80, deadline=None, report_multiple_bugs=False)
@given(st.lists(st.lists(sample, max_size=40), min_size=1, max_size=4), st.floats(0, 3000))
def test_any_batches_are_counted_and_snapshots_stay_in_range(batches: list[list[SpeedSample]], now: float) -> None:
    speeds, history, detector = SegmentSpeeds(LIMIT), SpeedHistory(EDGES), DropDetector(EDGES)
    for i, batch in enumerate(batches):
        added = speeds.add(batch)
        history.add(batch)
        bad, unknown, fast, kept = expected(batch)
        assert (added.bad, added.unknown_edge) == (bad, unknown)
        assert added.accepted + added.outliers == len(kept) + fast and added.outliers >= fast
        assert added.accepted + added.outliers + added.unknown_edge + added.bad == len(batch)
        snap = speeds.snapshot(now + i)
        detector.update(snap)
        for name in ("speed_mps", "free_flow_mps", "level", "confidence", "samples", "updated"):
            assert getattr(snap, name).shape == (EDGES,)
        assert set(snap.level.tolist()) <= {0, 1, 2, 3, 4}
        assert np.all((snap.confidence >= 0) & (snap.confidence <= 1))
        assert not np.any(np.isinf(snap.speed_mps))
        measured = ~np.isnan(snap.speed_mps)
        assert np.array_equal(measured, snap.samples > 0) and np.array_equal(measured, ~np.isnan(snap.updated))
        assert np.all((snap.speed_mps[measured] >= 0) & (snap.speed_mps[measured] <= CAP[measured]))
        assert np.all(snap.free_flow_mps > 0) and np.all(np.isfinite(snap.free_flow_mps))
        assert np.all((snap.level == 0) == ~measured)
        live = speeds.live_speeds(now + i)
        assert np.all(np.isnan(live) | ((live > 0) & (live <= CAP)))
        for alert in detector.active:
            assert 0 <= alert.edge < EDGES and alert.speed_mps < alert.baseline_mps


@settings(max_examples=80, deadline=None, report_multiple_bugs=False)
@given(st.lists(sample, max_size=60))
def test_history_counts_exactly_the_well_formed_samples_of_the_newest_bins(batch: list[SpeedSample]) -> None:
    history = SpeedHistory(EDGES, bin_s=300, keep_s=3600)
    history.add(batch)
    good = [s for s in batch if math.isfinite(float(s.ts)) and 0 <= float(s.ts) < 1e11
            and math.isfinite(float(s.speed_mps)) and float(s.speed_mps) >= 0 and 0 <= s.edge < EDGES]
    if not good:
        return
    newest = max(math.floor(float(s.ts) / 300) for s in good)
    held = [s for s in good if math.floor(float(s.ts) / 300) > newest - 12]
    counts = np.zeros(EDGES, dtype=int)
    for edge in range(EDGES):
        for _, mean, n in history.series(edge, -math.inf, math.inf):
            counts[edge] += n
            assert n == 0 or (math.isfinite(mean) and mean >= 0)
    assert counts.tolist() == [sum(s.edge == e for s in held) for e in range(EDGES)]
