"""Cell KPI time series: bucketing samples into 1-min and 15-min aggregates, and choosing what answers a query.

A `Point` is either one raw sample (`n` = 1) or the aggregate of `n` samples over a bucket starting at `ts`:
utilisations and throughputs are means, connected UEs the maximum, rejected and pre-empted bearers the sums.
Aggregates merge exactly (`merge`: means weighted by `n`), so a 15-min bucket from fifteen 1-min buckets equals one
from the raw samples, two rows for one bucket (a restart closed it twice) read as one, and a query's `step` can
be answered from the coarsest stored resolution that divides it (`plan`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MINUTE, QUARTER = 60, 900
RESOLUTIONS = (MINUTE, QUARTER)  # what `Rollup` keeps, in seconds
MAX_POINTS = 2000  # per query: a chart's width in points, and what one answer may cost the database
# Default steps, finest first: the first that the window and the retention allow is taken.
STEP_LADDER = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
MEANS = ("prb_util_dl", "prb_util_ul", "thr_dl_mbps", "thr_ul_mbps")


@dataclass(frozen=True, slots=True)
class Point:
    """A sample (n = 1, ts its time) or an aggregate of n samples over the bucket starting at ts."""

    ts: float
    prb_util_dl: float
    prb_util_ul: float
    thr_dl_mbps: float
    thr_ul_mbps: float
    connected_ues: int
    bearers_rejected: int
    bearers_preempted: int
    n: int = 1


def merge(ts: float, points: Sequence[Point]) -> Point:
    """One aggregate of `points` (non-empty) over the bucket starting at `ts`."""
    n = sum(p.n for p in points)
    dl, ul, thr_dl, thr_ul = (math.fsum(getattr(p, name) * p.n for p in points) / n for name in MEANS)
    return Point(ts, dl, ul, thr_dl, thr_ul, max(p.connected_ues for p in points),
                 sum(p.bearers_rejected for p in points), sum(p.bearers_preempted for p in points), n)


def bucket_start(ts: float, step: float) -> float:
    return math.floor(ts / step) * step


def downsample(points: Iterable[Point], step: float) -> list[Point]:
    """Points grouped into buckets of `step` seconds (aligned to the epoch), in time order; empty ones left out."""
    groups: dict[float, list[Point]] = {}
    for point in points:
        groups.setdefault(bucket_start(point.ts, step), []).append(point)
    return [merge(start, groups[start]) for start in sorted(groups)]


class Rollup:
    """Running aggregates per (cell, resolution, bucket); `close(now)` hands over those whose bucket ended more
    than `grace_s` ago. A sample for a bucket already handed over is late: left out of the aggregates and
    counted (the raw sample is still stored). What it remembers of a cell's handed-over buckets goes `forget_s`
    after the last one ended (equipment may name any cell): a sample for such a bucket then makes a second aggregate
    row of it, which merges exactly. Not thread-safe: one caller (the KPI writer's thread)."""

    def __init__(self, grace_s: float = 15.0, forget_s: float = 3600.0) -> None:
        self.grace_s, self.forget_s = grace_s, forget_s
        self._forgot_at = -math.inf  # when `close` last forgot: once a minute (it reads every cell's marker)
        self._open: dict[tuple[str, int, float], list[Point]] = {}
        self._closed_before: dict[tuple[str, int], float] = {}  # buckets starting before this are handed over
        self.late = 0

    def add(self, cell: str, sample: Point) -> None:
        for resolution in RESOLUTIONS:
            start = bucket_start(sample.ts, resolution)
            if start < self._closed_before.get((cell, resolution), -math.inf):
                self.late += 1
                continue
            self._open.setdefault((cell, resolution, start), []).append(sample)

    def close(self, now: float | None) -> list[tuple[str, int, Point]]:
        """(cell, resolution, aggregate) of every bucket that ended before `now - grace_s`; all of them for None
        (shutdown)."""
        done = [key for key in self._open if now is None or key[2] + key[1] + self.grace_s <= now]
        closed = []
        for key in sorted(done):
            cell, resolution, start = key
            closed.append((cell, resolution, merge(start, self._open.pop(key))))
            marker = (cell, resolution)
            self._closed_before[marker] = max(self._closed_before.get(marker, -math.inf), start + resolution)
        if now is not None and now - self._forgot_at >= MINUTE:
            self._forgot_at = now
            self._closed_before = {k: end for k, end in self._closed_before.items() if end > now - self.forget_s}
        return closed

    def open_points(self, cell: str, resolution: int) -> list[Point]:
        """The aggregates so far of `cell`'s buckets still open, so a query sees the current minute too."""
        return [merge(start, points) for (c, r, start), points in sorted(self._open.items())
                if c == cell and r == resolution]


@dataclass(frozen=True, slots=True)
class Retention:
    raw_s: float
    minute_s: float
    quarter_s: float


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a query's answer comes from: `resolution` 0 for raw samples, else 60 or 900; `step` in seconds."""

    resolution: int
    step: int

    @property
    def source(self) -> str:
        return {0: "raw", MINUTE: "1m", QUARTER: "15m"}[self.resolution]


class BadQuery(ValueError):
    """A query no source can answer as asked; the message says which limit it crossed."""


def plan(start: float, end: float, step: int | None, now: float, keep: Retention) -> Plan:
    """The source and step for points over [start, end): the coarsest stored resolution that divides the step
    (fewest rows, the same answer), raw samples only while they are kept. Without a step, the finest of
    `STEP_LADDER` that the window and the retention allow."""
    if not (math.isfinite(start) and math.isfinite(end)):
        raise BadQuery("from and to must be finite epoch seconds")
    if end <= start:
        raise BadQuery(f"'to' ({end}) must be after 'from' ({start})")
    window = end - start
    if step is None:
        for candidate in STEP_LADDER:
            try:
                return plan(start, end, candidate, now, keep)
            except BadQuery:
                continue
        step = math.ceil(window / MAX_POINTS / QUARTER) * QUARTER
    if step < 1:
        raise BadQuery(f"step must be at least 1 s, got {step}")
    if window / step > MAX_POINTS:
        finest = math.ceil(window / MAX_POINTS)
        raise BadQuery(f"step {step} s is too fine for a {window:.0f} s window: at most {MAX_POINTS} points, "
                       f"so a step of at least {finest} s")
    resolution = QUARTER if step % QUARTER == 0 else MINUTE if step % MINUTE == 0 else 0
    if resolution == 0 and start < now - keep.raw_s:
        raise BadQuery(f"raw samples are kept {keep.raw_s / 3600:g} h: a window reaching back further needs a "
                       f"step that is a multiple of {MINUTE} s")
    if resolution == MINUTE and start < now - keep.minute_s:
        raise BadQuery(f"1-min aggregates are kept {keep.minute_s / 86400:g} days: a window reaching back "
                       f"further needs a step that is a multiple of {QUARTER} s")
    return Plan(resolution, step)
