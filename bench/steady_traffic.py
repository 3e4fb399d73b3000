"""Steady but noisy traffic for the drop detector, shared by its tests and `bench/traffic_speeds.py`.

Each edge has its own mean speed. Vehicles arrive at random (one every 15 s on average), each drives at its own
speed (mean x lognormal, sigma 0.2; one in 20 is a lorry at 60 % of the mean) and reports a noisy (+- 1 m/s)
sample every 2 s for 10 s: samples of one vehicle agree, as they do on a real road, which is what makes a short
window noisy. Any alert raised on it is a false alarm: the truth comes from the generator, never the detector.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from traffic.detect import DetectConfig, DropDetector, TrafficAlert
from traffic.samples import SpeedSample
from traffic.speeds import SegmentSpeeds

TICK = 10.0  # s: psn's traffic_tick_s default


def steady_traffic(rng: np.random.Generator, mean: NDArray[np.float64],
                   seconds: float) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
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


def raised(edges: int, samples: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]],
           seconds: float, config: DetectConfig | None = None) -> list[TrafficAlert]:
    """The alerts SegmentSpeeds + DropDetector raise on `samples`, fed and updated every TICK up to `seconds`."""
    edge, ts, speed = samples
    speeds, detector = SegmentSpeeds(np.full(edges, 100 / 3.6)), DropDetector(edges, config or DetectConfig())
    out: list[TrafficAlert] = []
    ticks = np.arange(TICK, seconds + TICK, TICK)
    start = 0
    for tick, stop in zip(ticks, np.searchsorted(ts, ticks, side="right"), strict=True):
        speeds.add([SpeedSample(int(e), float(t), float(v), True)
                    for e, t, v in zip(edge[start:stop], ts[start:stop], speed[start:stop], strict=True)])
        start = stop
        out += [a for a in detector.update(speeds.snapshot(float(tick))) if a.cleared is None]
    return out


def false_alarms(edges: int, hours: float, seed: int, config: DetectConfig | None = None) -> int:
    """Alerts raised on `edges` edges (mean speeds 20..100 km/h) of steady traffic over `hours`."""
    rng = np.random.default_rng(seed)
    mean = rng.uniform(20, 100, edges) / 3.6
    return len(raised(edges, steady_traffic(rng, mean, hours * 3600), hours * 3600, config))
