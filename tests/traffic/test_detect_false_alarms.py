"""False alarms of SegmentSpeeds + DropDetector on steady but noisy traffic: 150 edges for 2 hours (300
segment-hours; the target is at most 1 per 100 segment-hours: none are expected). `bench/traffic_detect.py`
runs the same traffic for longer.

Each edge has its own mean speed (20..100 km/h). Vehicles arrive at random (one every 15 s on average), each
drives at its own speed (mean x lognormal, sigma 0.2; one in 20 is a lorry at 60 % of the mean) and reports
a noisy (+- 1 m/s) sample every 2 s for 10 s: samples of one vehicle agree, as they do on a real road, which is
what makes a short window noisy.
"""

import numpy as np

from traffic.detect import DetectConfig, DropDetector
from traffic.samples import SpeedSample
from traffic.speeds import SegmentSpeeds

TICK = 10.0


def steady_traffic(rng: np.random.Generator, mean: np.ndarray, seconds: float) -> tuple[np.ndarray, ...]:
    """(edge, ts, speed) of every sample, in time order."""
    edges = len(mean)
    arrivals = rng.poisson(seconds / 15.0, edges)
    edge = np.repeat(np.arange(edges), arrivals)
    own = mean[edge] * rng.lognormal(0.0, 0.2, len(edge)) * np.where(rng.random(len(edge)) < 0.05, 0.6, 1.0)
    enter = rng.uniform(0, seconds, len(edge))
    edge, ts = np.tile(edge, 5), np.concatenate([enter + 2 * k for k in range(5)])
    speed = np.clip(np.tile(own, 5) + rng.normal(0, 1.0, len(ts)), 0, None)
    order = np.argsort(ts, kind="stable")
    return edge[order], ts[order], speed[order]


def false_alarms(edges: int, hours: float, seed: int, config: DetectConfig | None = None) -> int:
    """Alerts raised on `edges` edges of steady traffic over `hours`."""
    rng = np.random.default_rng(seed)
    mean = rng.uniform(20, 100, edges) / 3.6
    edge, ts, speed = steady_traffic(rng, mean, hours * 3600)
    speeds, detector = SegmentSpeeds(np.full(edges, 100 / 3.6)), DropDetector(edges, config or DetectConfig())
    raised = 0
    ticks = np.arange(TICK, hours * 3600 + TICK, TICK)
    bounds = np.searchsorted(ts, ticks, side="right")
    start = 0
    for tick, stop in zip(ticks, bounds, strict=True):
        speeds.add([SpeedSample(int(e), float(t), float(v), True)
                    for e, t, v in zip(edge[start:stop], ts[start:stop], speed[start:stop], strict=True)])
        start = stop
        raised += sum(a.cleared is None for a in detector.update(speeds.snapshot(float(tick))))
    return raised


def test_steady_noisy_traffic_raises_no_alarm_in_300_segment_hours() -> None:
    assert false_alarms(150, 2, seed=11) == 0
