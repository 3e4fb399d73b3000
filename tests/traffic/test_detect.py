"""DropDetector on hand-made snapshots and on a sample stream with a known onset (times worked out by hand)."""

import numpy as np
import pytest

from traffic.detect import DetectConfig, DropDetector, TrafficAlert
from traffic.pieces import Pieces, PieceSignal
from traffic.samples import SpeedSample
from traffic.speeds import SegmentSpeeds, SpeedSnapshot


def snap(ts: float, speed: float, n: int = 10, free: float = 30.0, learned: bool = False,
         vehicles: int = 2) -> SpeedSnapshot:
    """A one-edge snapshot whose recent (detector) speed is `speed` from `n` samples of `vehicles` vehicles."""
    v, c = np.array([speed]), np.array([n], dtype=np.int64)
    recent = PieceSignal(v, c, np.array([vehicles], dtype=np.int64), Pieces.whole(1))
    return SpeedSnapshot(ts, v, np.array([free]), np.zeros(1, np.int8), np.ones(1), c, np.array([ts]),
                         np.array([learned]), recent)


def warmed(seconds: float = 400.0, speed: float = 20.0) -> DropDetector:
    """A detector that has seen `speed` every 10 s for `seconds` (300 s of history is enough for a baseline)."""
    detector = DropDetector(1)
    for ts in np.arange(0.0, seconds + 1, 10.0):
        assert detector.update(snap(ts, speed)) == []
    return detector


def test_a_drop_is_raised_after_holding_60_s_and_cleared_with_hysteresis() -> None:
    detector = warmed()
    # Baseline 20: a drop is <= 10 m/s and >= 5.56 m/s below it, from >= 5 samples.
    assert detector.update(snap(410, 9.9)) == []
    assert detector.update(snap(420, 9.9, n=0)) == []  # no data: not confirmed, the clock starts again
    for ts in range(430, 490, 10):
        assert detector.update(snap(ts, 9.9)) == []
    [alert] = detector.update(snap(490, 9.0))  # 60 s after 430
    assert (alert.edge, alert.raised, alert.speed_mps, alert.cleared) == (0, 490.0, 9.0, None)
    assert alert.baseline_mps == pytest.approx(20.0)
    assert detector.active == [alert]
    assert detector.update(snap(500, 2.0)) == []  # one active alert per edge
    # Cleared at 0.75 x 20 = 15 m/s, held two updates; 14.9 is not back.
    assert detector.update(snap(510, 14.9)) == []
    assert detector.update(snap(520, 15.0)) == []
    assert detector.update(snap(530, 14.9)) == []
    assert detector.update(snap(540, 15.0)) == []
    [cleared] = detector.update(snap(550, 16.0))
    assert cleared.id == alert.id and cleared.cleared == 550.0 and detector.active == []


def test_too_few_samples_or_too_small_a_drop_never_alarm() -> None:
    detector = warmed()
    for ts in range(410, 600, 10):
        assert detector.update(snap(ts, 1.0, n=4)) == []  # 4 < 5 samples
    slow = warmed(speed=10.0)
    for ts in range(410, 600, 10):
        assert slow.update(snap(ts, 4.5)) == []  # 55 % down but only 5.5 m/s (19.8 km/h)


def test_a_thin_history_cannot_alarm_unless_free_flow_is_learned() -> None:
    detector = warmed(seconds=200)  # 200 s < 300 s of history
    for ts in range(210, 400, 10):
        assert detector.update(snap(ts, 1.0)) == []
    detector = warmed(seconds=200)
    for ts in range(210, 270, 10):
        assert detector.update(snap(ts, 1.0, learned=True)) == []
    [alert] = detector.update(snap(270, 1.0, learned=True))
    assert alert.baseline_mps == 30.0  # the learned free flow


def test_an_edge_nobody_drives_clears_after_stale_s() -> None:
    detector = warmed()
    for ts in range(410, 470, 10):
        detector.update(snap(ts, 2.0))
    [alert] = detector.update(snap(470, 2.0))
    assert detector.update(snap(1370, 2.0, n=0)) == []  # 900 s since the last sample: not more
    [cleared] = detector.update(snap(1380, 2.0, n=0))
    assert cleared.cleared == 1380.0 and cleared.id == alert.id


def test_time_must_advance_and_the_size_must_match() -> None:
    detector = warmed()
    assert detector.update(snap(400, 1.0)) == [] and detector.update(snap(300, 1.0)) == []
    with pytest.raises(ValueError):
        DropDetector(2).update(snap(1, 1.0))


def stream(until: float, onset: float, before: float, after: float, recover: float = np.inf) -> list[SpeedSample]:
    """One probe sample every 2 s on edge 0: `before` until `onset`, `after` until `recover`, then `before`."""
    ts = np.arange(0.0, until, 2.0)
    v = np.where((ts >= onset) & (ts < recover), after, before)
    return [SpeedSample(0, float(t), float(s), True) for t, s in zip(ts, v, strict=True)]


def test_a_lane_closure_in_a_sample_stream_is_raised_and_cleared_when_worked_out() -> None:
    # 22 m/s, from 1800 s 2 m/s, from 2400 s 22 m/s again; snapshots and updates every 10 s.
    speeds, detector = SegmentSpeeds(np.array([25.0])), DropDetector(1)
    samples = stream(3000, 1800, 22.0, 2.0, recover=2400)
    alerts = []
    for tick in np.arange(10.0, 3000.0, 10.0):
        speeds.add([s for s in samples if tick - 10 < s.ts <= tick])
        alerts += detector.update(speeds.snapshot(tick))
    # The detector's window is taken before the outlier test (traffic.pieces). At update T the 60 s window
    # [T-60, T) holds (1800 - (T-60))/2 fast and (T - 1800)/2 slow samples: T = 1830: 15 fast, 15 slow -> 12.0
    # m/s, above 11 (half of 22); T = 1840: 10 fast, 20 slow -> 8.67: a drop; held until 1900 (60 s): raised
    # then, 100 s after the onset, at 2 m/s (30 slow samples, no fast one).
    raised, cleared = alerts
    assert raised.raised == 1900.0 and raised.speed_mps == 2.0
    assert raised.baseline_mps == pytest.approx(22.0, abs=0.3)  # 1830 and before taught it a little
    # Recovery: T = 2440: 10 slow, 20 fast -> 15.33, under 0.75 x 21.8 = 16.35; T = 2450: 5 slow, 25 fast ->
    # 18.67: back; 2460: back again -> cleared.
    assert cleared.cleared == 2460.0 and cleared.id == raised.id


def queue_at_the_end(slow_tokens: tuple[int, int]) -> list[SpeedSample]:
    """A 3,500 m edge: every 2 s a sample of four vehicles at 20 m/s, token 1 at 250 m, 2 at 1,750 m, 3 at
    3,250 m and 4 at 3,400 m (both in the last 500 m piece); from 900 s the last two are `slow_tokens` at 1 m/s."""
    out = []
    for t in np.arange(0.0, 1200.0, 2.0):
        last, (a, b) = (1.0, slow_tokens) if t >= 900 else (20.0, (3, 4))
        out += [SpeedSample(0, t, 20.0, True, 250.0, 1), SpeedSample(0, t, 20.0, True, 1750.0, 2),
                SpeedSample(0, t, last, True, 3250.0, a), SpeedSample(0, t, last, True, 3400.0, b)]
    return out


def run(speeds: SegmentSpeeds, detector: DropDetector, samples: list[SpeedSample]) -> list[TrafficAlert]:
    alerts = []
    for tick in np.arange(10.0, 1200.0, 10.0):
        speeds.add([s for s in samples if tick - 10 < s.ts <= tick])
        alerts += detector.update(speeds.snapshot(tick))
    return alerts


def test_a_queue_at_the_end_of_a_long_edge_is_raised_on_its_last_piece() -> None:
    samples = queue_at_the_end((3, 4))
    # The whole edge's mean once the queue stands: (20 + 20 + 1 + 1) / 4 = 10.5, above half of 20: no drop.
    whole = SegmentSpeeds(np.array([25.0]))
    assert run(whole, DropDetector(whole.recent.pieces), samples) == []
    # Its last piece [3000, 3500): at T the window [T-60, T) holds (900 - (T-60))/2 fast and (T - 900)/2 slow
    # samples of each of the two vehicles: T = 930: 15 and 15 -> 10.5, no drop; T = 940: 10 fast, 20 slow ->
    # (10 x 20 + 20 x 1) / 30 = 7.33: a drop, held until 1000: raised then at 1 m/s.
    speeds = SegmentSpeeds(np.array([25.0]), length_m=np.array([3500.0]))
    [alert] = run(speeds, DropDetector(speeds.recent.pieces), samples)
    assert (alert.edge, alert.from_m, alert.to_m, alert.raised, alert.speed_mps) == (0, 3000.0, 3500.0, 1000.0, 1.0)
    assert alert.baseline_mps == pytest.approx(20.0, abs=0.3)  # 910 to 930 taught it a little


def test_one_vehicle_standing_is_no_queue() -> None:
    # The same, but from 900 s both slow samples at each time are token 3's (token 4 has left): the last piece's
    # two newest distinct vehicles are 3 and 4 while 4's last sample (898) is in the window, [T-60, T) with
    # T <= 950; the drop read at 940 and 950 is reset at 960, when only one vehicle is left: never raised.
    speeds = SegmentSpeeds(np.array([25.0]), length_m=np.array([3500.0]))
    assert run(speeds, DropDetector(speeds.recent.pieces), queue_at_the_end((3, 3))) == []
    # Allowed one vehicle, the same samples raise at 1000 as the queue of two did.
    speeds = SegmentSpeeds(np.array([25.0]), length_m=np.array([3500.0]))
    [alert] = run(speeds, DropDetector(speeds.recent.pieces, DetectConfig(min_vehicles=1)), queue_at_the_end((3, 3)))
    assert (alert.from_m, alert.raised) == (3000.0, 1000.0)


def test_slow_roads_that_are_always_slow_never_alarm() -> None:
    # Graph speed 80 km/h, each edge always driven at its own 15..40 km/h (+- 1.5 m/s), from the first sample.
    rng = np.random.default_rng(3)
    slow = np.linspace(15, 40, 10) / 3.6
    speeds, detector = SegmentSpeeds(np.full(10, 80 / 3.6)), DropDetector(10)
    for tick in np.arange(10.0, 2 * 3600.0, 10.0):
        v = np.clip(rng.normal(np.repeat(slow, 5), 1.5), 0, None)
        ts = tick - 10 + 2 * np.tile(np.arange(5), 10)
        speeds.add([SpeedSample(i // 5, float(t), float(s), True) for i, (t, s) in enumerate(zip(ts, v, strict=True))])
        assert detector.update(speeds.snapshot(tick)) == []


def test_detect_config_defaults_are_the_documented_ones() -> None:
    c = DetectConfig()
    assert (c.drop_ratio, round(c.min_drop_mps * 3.6, 6), c.confirm_s, c.clear_ratio) == (0.5, 20.0, 60.0, 0.75)
