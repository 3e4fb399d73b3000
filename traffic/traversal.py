"""Interval speed samples from matched traces: one sample per edge per traversal, not one per fix.

Between two decided consecutive fixes the vehicle drove a known route (pieces: the metres covered on each edge,
in order) in a known time; the speed over it is route length / time, and each piece took its share of the time.
An edge crossed whole inside one interval gets one sample at that speed. The edge a vehicle is on is
accumulated over the intervals it spends there (metres and seconds, signed on the same edge so GPS jitter back
and forth cancels out) and gives one sample, metres / seconds, when the vehicle leaves it or the trace ends:
a 1 Hz trace along a 220 m edge gives one sample for it, not eleven, so the estimator downstream, which
averages samples per edge, weighs every traversal once (a space-mean speed, not biased towards slow vehicles).

A sample is only given for a distance of at least `timed_m`: GPS noise moves each end of the distance timed by
about sigma, so a traversal of 15 m (measured over its own metres) or an edge crossed within one 20 m interval
(measured over that interval's route) is timed by the noise more than by the drive. Edges crossed wholly between
sparse fixes keep their sample: the route they are measured over is long.
"""

from __future__ import annotations

import numpy as np

from traffic.graph import FloatArray, IntArray
from traffic.samples import SpeedSample


class Traversals:
    """Per vehicle slot: the edge being driven and the metres and seconds spent on it so far."""

    def __init__(self, capacity: int, timed_m: float) -> None:
        self.timed_m = timed_m
        self.edge: IntArray = np.full(capacity, -1, dtype=np.intp)
        self.metres: FloatArray = np.zeros(capacity)
        self.seconds: FloatArray = np.zeros(capacity)
        self.since: FloatArray = np.zeros(capacity)

    def grow(self, capacity: int) -> None:
        extra = capacity - len(self.edge)
        self.edge = np.concatenate([self.edge, np.full(extra, -1, dtype=np.intp)])
        self.metres, self.seconds, self.since = (np.concatenate([a, np.zeros(extra)])
                                                 for a in (self.metres, self.seconds, self.since))

    def start(self, slot: int, edge: int, ts: float) -> None:
        self.edge[slot], self.metres[slot], self.seconds[slot], self.since[slot] = edge, 0.0, 0.0, ts

    def same_edge(self, slots: IntArray, metres: FloatArray, seconds: FloatArray) -> None:
        """Intervals that stayed on the slots' current edges (vectorised: the common case at 1 Hz)."""
        np.add.at(self.metres, slots, metres)
        np.add.at(self.seconds, slots, seconds)

    def close(self, slot: int) -> list[SpeedSample]:
        """The sample of the edge being driven (none if no time was spent on it); the slot then holds none."""
        edge, seconds, metres = int(self.edge[slot]), float(self.seconds[slot]), float(self.metres[slot])
        self.edge[slot] = -1
        if edge < 0 or seconds <= 0 or max(metres, 0.0) < self.timed_m:
            return []
        speed = max(metres, 0.0) / seconds
        return [SpeedSample(edge, float(self.since[slot]) + seconds / 2, speed, False)]

    def interval(self, slot: int, pieces: list[tuple[int, float]], t0: float, t1: float) -> list[SpeedSample]:
        """The samples of an interval from t0 to t1 over `pieces` ((edge, metres) in driving order, the first
        on the edge the slot is driving); the slot then drives the last piece's edge."""
        seconds = t1 - t0
        if len(pieces) == 1:
            self.metres[slot] += pieces[0][1]
            self.seconds[slot] += seconds
            return []
        metres = np.maximum([m for _, m in pieces], 0.0)
        total = float(metres.sum())
        share = metres / total if total > 0 else np.full(len(pieces), 1.0 / len(pieces))
        spent = share * seconds
        self.metres[slot] += metres[0]
        self.seconds[slot] += spent[0]
        out = self.close(slot)
        speed, at = total / seconds, t0 + spent[0]
        for (edge, _), metre, took in zip(pieces[1:-1], metres[1:-1], spent[1:-1], strict=True):
            if metre > 0 and total >= self.timed_m:
                out.append(SpeedSample(edge, at + took / 2, speed, False))
            at += took
        self.start(slot, pieces[-1][0], t1 - spent[-1])
        self.metres[slot], self.seconds[slot] = metres[-1], spent[-1]
        return out
