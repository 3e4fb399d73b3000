"""psn's pure traffic pipeline against SUMO on the small corridor (a lane-blocking breakdown, then a lane drop):
the issue's targets, with SUMO's edgeData as the truth (bench/traffic_validation.py scores, pipeline as psn's)."""

from __future__ import annotations

import pytest

pytest.importorskip("traffic.matching")  # issue 11 parts A (matching) and B (speeds, history, detection)
pytest.importorskip("traffic.detect")

from bench.traffic_validation import score
from tests.traffic.sumo_support import corridor_run


@pytest.mark.parametrize(("penetration", "mape"), [(0.05, 0.15), (0.10, 0.10)])
def test_speed_error_detection_and_false_alarms_meet_the_targets(penetration: float, mape: float) -> None:
    shared = corridor_run()
    result = score(shared.scenario, shared.fcd, shared.truth, penetration, seed=1)
    assert result.cells >= 10  # enough (interval, edge) cells with ≥ 3 probe samples to mean something
    assert result.mape <= mape
    assert result.detection_s is not None and result.detection_s <= 180.0
    assert result.false_per_100_seg_h <= 1.0  # on 20 edges x 0.25 h: no false alarm at all
