"""Probe fixes (bench/probe_fixes.py) run through psn's pure traffic pipeline.

`estimate` is the pure variant: `traffic.matching.Matcher` -> `traffic.speeds.SegmentSpeeds` and
`traffic.history.SpeedHistory` -> `traffic.detect.DropDetector` (updated every `tick_s` of probe time, as the psn
service ticks), the same chain psn runs, without MQTT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bench.probe_fixes import EPOCH0, Probes, seconds
from bench.validation_metrics import Raised
from traffic.detect import DropDetector
from traffic.graph import FloatArray, RoadGraph
from traffic.history import SpeedHistory
from traffic.matching import Matcher
from traffic.samples import SpeedSample
from traffic.speeds import SegmentSpeeds

FORGET_S = 60.0  # a vehicle silent this long has left the network (SUMO removes it on arrival)


@dataclass(frozen=True, eq=False)
class Estimate:
    """The pure pipeline's output, aligned with SUMO's edgeData intervals."""

    speed_mps: FloatArray  # (intervals, edges) history bin mean, NaN where no sample
    samples: NDArray[np.int64]  # (intervals, edges)
    alerts: list[Raised]  # every alert raised, in simulation seconds
    monitored_edges: int  # edges with at least one sample


def estimate(graph: RoadGraph, fixes: Probes, begin: FloatArray, tick_s: float = 10.0) -> Estimate:
    """Runs the pure pipeline over `fixes`; reads the history bin of each SUMO interval `begin` (sim s)."""
    matcher = Matcher(graph)
    speeds = SegmentSpeeds(graph.speed_mps.copy(), length_m=graph.length_m)
    history = SpeedHistory(graph.edges)
    detector = DropDetector(speeds.recent.pieces)
    alerts: list[Raised] = []
    seen = np.zeros(graph.edges, dtype=bool)
    next_tick = EPOCH0 + tick_s

    def take(batch: Sequence[SpeedSample]) -> None:
        speeds.add(batch)
        history.add(batch)
        seen[[s.edge for s in batch]] = True

    for step in seconds(fixes):
        now = float(fixes.ts[step.start])
        while next_tick <= now:
            alerts += [Raised(a.edge, a.raised - EPOCH0) for a in detector.update(speeds.snapshot(next_tick))
                       if a.cleared is None]
            take(matcher.forget(next_tick - FORGET_S))
            next_tick += tick_s
        pushed = matcher.push_many(fixes.vehicle[step], fixes.ts[step], fixes.xy[step], fixes.speed_mps[step],
                                   fixes.heading_deg[step])
        take([s for p in pushed for s in p.samples])
    take(matcher.forget(float("inf")))
    rows = [history.at(EPOCH0 + b) for b in begin]
    return Estimate(np.array([r[1] for r in rows]).reshape(len(begin), graph.edges),
                    np.array([r[2] for r in rows], dtype=np.int64).reshape(len(begin), graph.edges),
                    alerts, int(seen.sum()))
