"""Rolling per-edge speeds from matched probe samples: window mean, outlier rejection, confidence, free flow, level.

Estimator: the speed of an edge is the mean of its accepted samples in the last `window_s` (300 s, SUMO's 5-min
edgeData interval: with samples at a fixed rate per vehicle, the sample mean estimates SUMO's time-weighted mean
speed). Each edge keeps its newest `buffer` samples in a ring (numpy, preallocated), so `add` is a few vectorised
passes over a batch and `snapshot` one pass over all edges. A second, shorter window (`recent_s`, 60 s) on
pieces of at most `piece_m` of each edge, before the outlier test (`traffic.pieces`), gives the detector
(`traffic.detect`) a signal that follows a sudden drop within a minute instead of five, where on the edge it is.

Outliers: a speed above `limit_factor` × the edge's graph speed or above `max_speed_mps` (200 km/h) is refused
outright. Once an edge holds `mad_min` samples in the window, a sample further than `mad_k` robust deviations
(1.4826 · MAD, at least `mad_floor_mps`) from their median is an outlier, unless it is the `streak`-th
consecutive one on that edge: a run of samples all far from the median is the traffic changing (a queue
forming), not noise, so from then on they are accepted (the first `streak` − 1 stay counted as outliers).

Confidence: 1 − exp(−n / `confidence_n`) for n samples in the window (3 samples: 0.63; 10: 0.96).
`live_speeds` (for `Router.with_speeds`) gives only edges with confidence ≥ `live_confidence`, floored at
`min_live_mps` so a standing queue slows the route instead of being ignored as a non-positive speed.

Free flow: each edge counts its accepted speeds in 1 m/s bins (halved when an edge passes `ff_cap` samples, so
old traffic fades); from `ff_min` samples on, free flow is their `ff_percentile` (85th) percentile, capped at
the graph speed × (1 + `ff_margin`); until then the graph's speed (limit or class speed).

Level: speed / free flow ≥ .75 FREE, ≥ .5 SLOW, ≥ .25 CONGESTED, below JAMMED; UNKNOWN without a sample.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from traffic.graph import FloatArray, IntArray
from traffic.pieces import PIECE_M, Pieces, PieceSignal, RecentPieces
from traffic.samples import SpeedSample


class Level(enum.IntEnum):
    UNKNOWN = 0
    FREE = 1
    SLOW = 2
    CONGESTED = 3
    JAMMED = 4

    @property
    def label(self) -> str:
        """The JSON name: "unknown", "free", "slow", "congested", "jammed"."""
        return self.name.lower()


# speed / free flow at or above which each level holds, best first
LEVEL_FLOORS = ((0.75, Level.FREE), (0.5, Level.SLOW), (0.25, Level.CONGESTED))


@dataclass(frozen=True, slots=True)
class SpeedConfig:
    window_s: float = 300.0
    recent_s: float = 60.0
    recent_bin_s: float = 10.0  # the recent window is recent_s / recent_bin_s time bins (traffic.pieces)
    piece_m: float = PIECE_M
    buffer: int = 32  # samples kept per edge: the window mean is over the newest `buffer` of them
    limit_factor: float = 2.0
    max_speed_mps: float = 200 / 3.6
    mad_min: int = 5
    mad_k: float = 4.0
    mad_floor_mps: float = 2.0
    streak: int = 3
    confidence_n: float = 3.0
    live_confidence: float = 0.6
    min_live_mps: float = 0.5
    ff_bin_mps: float = 1.0
    ff_min: int = 50
    ff_cap: int = 2000
    ff_percentile: float = 85.0
    ff_margin: float = 0.1
    ff_floor_mps: float = 2.0


@dataclass(frozen=True, eq=False)
class SpeedSnapshot:
    """One entry per directed edge."""

    ts: float
    speed_mps: FloatArray  # NaN where no sample in the window
    free_flow_mps: FloatArray  # learned, or the graph's speed until learned
    level: NDArray[np.int8]  # Level values
    confidence: FloatArray  # 0..1 from the sample count
    samples: NDArray[np.int64]  # accepted samples in the window
    updated: FloatArray  # ts of the newest accepted sample, NaN if none
    learned: NDArray[np.bool_] | None = None  # True where free_flow_mps is learned, not the graph's
    recent: PieceSignal | None = None  # per piece of edge, the last recent_s (traffic.detect's signal)


@dataclass(frozen=True, slots=True)
class Added:
    accepted: int
    outliers: int
    unknown_edge: int
    bad: int  # non-finite or negative speed, or non-finite time


def levels(speed_mps: FloatArray, free_flow_mps: FloatArray) -> NDArray[np.int8]:
    """Level per entry from speed / free flow (UNKNOWN where the speed is NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.asarray(speed_mps, dtype=float) / np.asarray(free_flow_mps, dtype=float)
    level = np.full(ratio.shape, Level.JAMMED, dtype=np.int8)
    for floor, name in reversed(LEVEL_FLOORS):
        level[ratio >= floor] = name
    level[np.isnan(ratio)] = Level.UNKNOWN
    return level


def as_floats(values: Sequence[object]) -> FloatArray:
    """A float per value, NaN where one is not a number (so a malformed sample is counted, never raised)."""
    try:
        return np.array(values, dtype=float).reshape(len(values))
    except (TypeError, ValueError, OverflowError):
        out = np.full(len(values), np.nan)
        for i, value in enumerate(values):
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                out[i] = float(value)  # type: ignore[arg-type]
        return out


def _ranks(group: IntArray) -> tuple[IntArray, IntArray]:
    """For a sorted key array: each entry's position in its run of equal keys, and the index of the run start."""
    idx = np.arange(len(group))
    start = np.ones(len(group), dtype=bool)
    start[1:] = group[1:] != group[:-1]
    first = np.maximum.accumulate(np.where(start, idx, 0))
    return idx - first, first


def _row_median(rows: FloatArray, n: NDArray[np.int64]) -> FloatArray:
    """Median of the first n non-NaN values of each row (np.nanmedian goes through masked arrays: 4 ms a call)."""
    ordered = np.sort(rows, axis=1)  # NaN last
    i = np.arange(len(rows))
    return (ordered[i, (n - 1) // 2] + ordered[i, n // 2]) / 2


class SegmentSpeeds:
    """Per-edge rolling speeds; `free_flow_mps` is the graph's speed per edge (its limit or class speed),
    `length_m` its length (cut into pieces for the recent window; unknown: one piece per edge)."""

    def __init__(self, free_flow_mps: FloatArray, config: SpeedConfig = SpeedConfig(),
                 length_m: FloatArray | None = None) -> None:
        self.config = config
        self.limit = np.asarray(free_flow_mps, dtype=float).copy()
        pieces = (Pieces.whole(len(self.limit)) if length_m is None else Pieces.of(length_m, config.piece_m))
        self.recent = RecentPieces(pieces, config.recent_bin_s, round(config.recent_s / config.recent_bin_s))
        edges, k = len(self.limit), config.buffer
        self._ts = np.full((edges, k), -np.inf)
        self._v = np.zeros((edges, k))
        self._head = np.zeros(edges, dtype=np.int64)
        self._streak = np.zeros(edges, dtype=np.int64)
        self._bins = int(np.ceil(config.max_speed_mps / config.ff_bin_mps)) + 1
        self._hist = np.zeros((edges, self._bins), dtype=np.int64)
        self._hist_n = np.zeros(edges, dtype=np.int64)

    @property
    def edges(self) -> int:
        return len(self.limit)

    def add(self, samples: Sequence[SpeedSample]) -> Added:
        if not samples:
            return Added(0, 0, 0, 0)
        ts = as_floats([s.ts for s in samples])
        v = as_floats([s.speed_mps for s in samples])
        e = as_floats([s.edge for s in samples])
        bad = ~np.isfinite(ts) | ~np.isfinite(v) | (v < 0)
        with np.errstate(invalid="ignore"):
            known = np.isfinite(e) & (e >= 0) & (e < self.edges) & (e == np.floor(e))
        unknown = ~bad & ~known
        ok = np.flatnonzero(~bad & known)
        edge = e[ok].astype(np.intp)
        cap = np.minimum(self.config.limit_factor * self.limit[edge], self.config.max_speed_mps)
        hard = v[ok] > cap
        keep = ok[~hard]
        pos = as_floats([samples[i].pos_m for i in keep])  # a malformed position or token: the whole edge,
        token = as_floats([samples[i].token for i in keep])  # an unknown vehicle
        with np.errstate(invalid="ignore"):
            known = np.isfinite(token) & (token >= 0)
        self.recent.add(e[keep].astype(np.intp), ts[keep], v[keep], pos,
                        np.where(known, token, -1).astype(np.int64))
        accepted, outliers = self._robust(e[keep].astype(np.intp), ts[keep], v[keep])
        self._store(e[keep][accepted].astype(np.intp), ts[keep][accepted], v[keep][accepted])
        return Added(int(accepted.sum()), int(hard.sum()) + outliers, int(unknown.sum()), int(bad.sum()))

    def _robust(self, edge: IntArray, ts: FloatArray, v: FloatArray) -> tuple[NDArray[np.bool_], int]:
        """Which samples pass the MAD test against their edge's window (runs of `streak` outliers pass)."""
        c = self.config
        if not len(edge):
            return np.zeros(0, dtype=bool), 0
        touched, inverse = np.unique(edge, return_inverse=True)
        bts, bv = self._ts[touched], self._v[touched]
        newest = bts.max(axis=1, keepdims=True)
        held = np.where(bts > newest - c.window_s, bv, np.nan)
        count = np.sum(~np.isnan(held), axis=1)
        judged = count >= c.mad_min
        median, scale = np.full(len(touched), np.nan), np.full(len(touched), np.inf)
        if judged.any():
            rows, n = held[judged], count[judged]
            median[judged] = _row_median(rows, n)
            mad = _row_median(np.abs(rows - median[judged, None]), n)
            scale[judged] = np.maximum(1.4826 * mad, c.mad_floor_mps)
        with np.errstate(invalid="ignore"):
            far = np.abs(v - median[inverse]) > c.mad_k * scale[inverse]
        # Runs of far samples per edge, in arrival order, carrying each edge's run from earlier batches.
        order = np.argsort(edge, kind="stable")
        se, sf = edge[order], far[order]
        _, first = _ranks(se)
        idx = np.arange(len(se))
        last_near = np.maximum.accumulate(np.where(~sf, idx, -1))
        run = np.where(last_near >= first, idx - last_near, idx - first + 1 + self._streak[se])
        run[~sf] = 0
        last = np.append(se[1:] != se[:-1], True)
        self._streak[se[last]] = run[last]
        passed = np.empty(len(edge), dtype=bool)
        passed[order] = (run == 0) | (run >= c.streak)
        return passed, int((~passed).sum())

    def _store(self, edge: IntArray, ts: FloatArray, v: FloatArray) -> None:
        if not len(edge):
            return
        k = self.config.buffer
        order = np.argsort(edge, kind="stable")
        se, st, sv = edge[order], ts[order], v[order]
        rank, _ = _ranks(se)
        runs, count = np.unique(se, return_counts=True)
        per = np.repeat(count, count)  # samples of the same edge in this batch, per sample
        newest = rank >= per - k  # of more than `buffer` in one batch, the last `buffer` (arrival order)
        slot = (self._head[se] + rank) % k
        self._ts[se[newest], slot[newest]] = st[newest]
        self._v[se[newest], slot[newest]] = sv[newest]
        self._head[runs] += count
        c = self.config
        b = np.minimum((sv / c.ff_bin_mps).astype(np.intp), self._bins - 1)
        flat, n = np.unique(se * self._bins + b, return_counts=True)
        self._hist.flat[flat] += n
        self._hist_n[runs] += count
        full = runs[self._hist_n[runs] > c.ff_cap]
        self._hist[full] //= 2
        self._hist_n[full] = self._hist[full].sum(axis=1)

    def free_flow(self) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Free flow per edge (learned or the graph's) and where it is learned."""
        c = self.config
        learned = self._hist_n >= c.ff_min
        free = self.limit.copy()
        rows = np.flatnonzero(learned)
        if len(rows):
            hist = self._hist[rows]
            cum = np.cumsum(hist, axis=1)
            want = c.ff_percentile / 100 * cum[:, -1]
            b = np.argmax(cum >= want[:, None], axis=1)  # the bin holding the percentile
            below = np.where(b > 0, cum[np.arange(len(rows)), b - 1], 0)
            inside = hist[np.arange(len(rows)), b]
            value = (b + (want - below) / inside) * c.ff_bin_mps  # linear within the bin
            ceiling = self.limit[rows] * (1 + c.ff_margin)
            free[rows] = np.clip(value, c.ff_floor_mps, ceiling)
        return free, learned

    def _window(self, now: float, span: float) -> tuple[FloatArray, NDArray[np.int64], NDArray[np.bool_]]:
        inside = (self._ts > now - span) & (self._ts <= now)
        n = inside.sum(axis=1).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, np.where(inside, self._v, 0.0).sum(axis=1) / n, np.nan)
        return mean, n, inside

    def snapshot(self, now: float) -> SpeedSnapshot:
        c = self.config
        speed, n, inside = self._window(now, c.window_s)
        updated = np.where(n > 0, np.where(inside, self._ts, -np.inf).max(axis=1), np.nan)
        free, learned = self.free_flow()
        confidence = 1.0 - np.exp(-n / c.confidence_n)
        return SpeedSnapshot(now, speed, free, levels(speed, free), confidence, n, updated, learned,
                             self.recent.signal(now))

    def live_speeds(self, now: float, snapshot: SpeedSnapshot | None = None) -> FloatArray:
        """m/s per edge where confidence ≥ live_confidence, NaN elsewhere (for `Router.with_speeds`); from
        `snapshot` when given (this tick's, to save a second pass over every edge)."""
        snap = snapshot if snapshot is not None and snapshot.ts == now else self.snapshot(now)
        confident = snap.confidence >= self.config.live_confidence
        return np.where(confident, np.maximum(snap.speed_mps, self.config.min_live_mps), np.nan)
