"""Speed history for the time slider and the charts: per edge per time bin, only a sum and a count (probe privacy:
no sample, vehicle or trace is kept).

Bins are `bin_s` long (300 s) and aligned on multiples of it (epoch seconds); the newest bin seen and the
`keep_s` (6 h) before it are held in a ring of preallocated arrays, so a sample older than that is dropped, and
a bin is cleared when the ring comes round to it. Malformed samples (non-finite or negative speed, a time that
is not finite or past MAX_TS, an edge outside the graph) are skipped: `SegmentSpeeds.add` is where they are
counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from traffic.graph import FloatArray
from traffic.samples import SpeedSample
from traffic.speeds import as_floats

# Epoch seconds beyond this (the year 5138) are not a time: one would move the ring past every real bin.
MAX_TS = 1e11


class SpeedHistory:
    def __init__(self, edges: int, bin_s: float = 300.0, keep_s: float = 6 * 3600.0) -> None:
        if not (bin_s > 0 and keep_s >= bin_s and edges >= 0):
            raise ValueError("a history needs bin_s > 0, keep_s >= bin_s and edges >= 0")
        self.edges, self.bin_s = edges, bin_s
        self.slots = math.ceil(keep_s / bin_s)
        self._sum = np.zeros((self.slots, edges))
        self._count = np.zeros((self.slots, edges), dtype=np.int64)
        self._bin = np.full(self.slots, -1, dtype=np.int64)  # which bin number each slot holds, -1: none
        self._newest = -1

    def add(self, samples: Sequence[SpeedSample]) -> None:
        if not samples:
            return
        ts = as_floats([s.ts for s in samples])
        v = as_floats([s.speed_mps for s in samples])
        e = as_floats([s.edge for s in samples])
        with np.errstate(invalid="ignore"):
            ok = (np.isfinite(ts) & (ts >= 0) & np.isfinite(v) & (v >= 0) & np.isfinite(e) & (e >= 0)
                  & (e < self.edges) & (e == np.floor(e)) & (ts < MAX_TS))
        if not ok.any():
            return
        number = np.floor(ts[ok] / self.bin_s).astype(np.int64)
        newest = max(self._newest, int(number.max()))
        self._advance(newest)
        fresh = number > newest - self.slots
        number, edge, speed = number[fresh], e[ok][fresh].astype(np.intp), v[ok][fresh]
        slot = number % self.slots
        np.add.at(self._sum, (slot, edge), speed)
        np.add.at(self._count, (slot, edge), 1)

    def _advance(self, newest: int) -> None:
        """Make the ring hold bins newest - slots + 1 .. newest, clearing the slots that leave it."""
        if newest <= self._newest:
            return
        first = max(self._newest + 1, newest - self.slots + 1)
        for number in range(first, newest + 1):
            slot = number % self.slots
            self._sum[slot] = 0.0
            self._count[slot] = 0
            self._bin[slot] = number
        self._newest = newest

    @property
    def span(self) -> tuple[float, float] | None:
        """(start of the oldest bin held, end of the newest), None before any sample."""
        if self._newest < 0:
            return None
        return ((self._newest - self.slots + 1) * self.bin_s, (self._newest + 1) * self.bin_s)

    def at(self, ts: float) -> tuple[float, FloatArray, NDArray[np.int64]]:
        """(bin start, mean speed per edge (NaN without samples), sample count per edge) of the bin holding ts;
        ValueError when that bin is not held (before the history or older than keep_s)."""
        span = self.span
        if span is None or not (math.isfinite(ts) and span[0] <= ts < span[1]):
            raise ValueError(f"no history at {ts!r}: it holds {span!r}")
        number = math.floor(ts / self.bin_s)
        slot = number % self.slots
        count = self._count[slot].copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, self._sum[slot] / count, np.nan)
        return number * self.bin_s, mean, count

    def series(self, edge: int, since: float, until: float) -> list[tuple[float, float, int]]:
        """(bin start, mean speed or NaN, count) of every held bin of `edge` overlapping [since, until), oldest
        first; IndexError for an edge outside the graph."""
        if not 0 <= edge < self.edges:
            raise IndexError(f"edge {edge} is not in 0..{self.edges - 1}")
        span = self.span
        if span is None or not (since < until):
            return []
        lo = max(span[0], since)
        hi = min(span[1], until)
        rows: list[tuple[float, float, int]] = []
        number = math.floor(lo / self.bin_s)
        while number * self.bin_s < hi:
            slot = number % self.slots
            n = int(self._count[slot, edge])
            rows.append((number * self.bin_s, float(self._sum[slot, edge] / n) if n else math.nan, n))
            number += 1
        return rows
