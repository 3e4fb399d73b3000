"""Incident detection: a sudden speed drop on an edge relative to that edge's own recent speeds.

Signal: the snapshot's short-window speed (`recent_mps`, the last 60 s) where it has at least `min_samples`
samples, so a queue shows within a minute rather than the five the 300 s window takes to fill.

Baseline: per edge, an exponentially weighted mean of that signal over the last `tau_s` (30 min), learned only
while the edge is neither alarmed nor pending (an incident never teaches its own baseline). Its weight
1 − exp(−observed / tau_s) says how much recent history there is (each update adds at most `max_step_s` of it,
so one update after a long pause is not half an hour of history); below `baseline_min_s` of it the baseline is
thin and the edge's learned free flow stands in (`SpeedSnapshot.learned`); with neither, the edge cannot alarm.
A slow road stays slow in its own history, so it never alarms for being slow.

False-alarm controls: a drop is the signal at or below (1 − `drop_ratio`) × baseline *and* at least
`min_drop_mps` below it (50 % and 20 km/h), from at least `min_samples` samples; it must hold in every update
for `confirm_s` (60 s, the length of the signal's window, so that the evidence that raises an alert is not the
samples that first showed the drop: on steady traffic with a vehicle every 15 s, confirming over two updates
10 s apart gave 22 false alarms in 900 segment-hours, mostly one slow lorry alone in the window); one active
alert per edge; the alert clears when the signal is back to `clear_ratio` × the baseline it was raised against
for `confirm` consecutive updates (hysteresis: raised below 50 %, cleared above 75 %), or after `stale_s` without
a sample (an edge nobody drives any more says nothing). Updates whose time does not advance are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from traffic.speeds import SpeedSnapshot


@dataclass(frozen=True, slots=True)
class TrafficAlert:
    id: str
    edge: int
    raised: float
    speed_mps: float  # the signal when raised
    baseline_mps: float  # what it dropped from
    cleared: float | None = None


@dataclass(frozen=True, slots=True)
class DetectConfig:
    min_samples: int = 5
    drop_ratio: float = 0.5
    min_drop_mps: float = 20 / 3.6
    confirm: int = 2  # updates in a row that clear an alert
    confirm_s: float = 60.0  # how long a drop must hold, updates in a row, before it is raised
    clear_ratio: float = 0.75
    stale_s: float = 900.0
    tau_s: float = 1800.0
    baseline_min_s: float = 300.0
    max_step_s: float = 60.0


class DropDetector:
    def __init__(self, edges: int, config: DetectConfig = DetectConfig()) -> None:
        self.edges, self.config = edges, config
        self._sum = np.zeros(edges)
        self._weight = np.zeros(edges)
        self._pending = np.full(edges, np.nan)  # since when the edge has dropped, NaN when it has not
        self._clearing = np.zeros(edges, dtype=np.int64)
        self._seen = np.full(edges, -np.inf)
        self._active: dict[int, TrafficAlert] = {}
        self._last: float | None = None

    @property
    def active(self) -> list[TrafficAlert]:
        return sorted(self._active.values(), key=lambda a: (a.raised, a.edge))

    def baseline(self, snapshot: SpeedSnapshot) -> NDArray[np.float64]:
        """Per edge: what a drop is measured from (recent history, else learned free flow, else NaN)."""
        c = self.config
        thin = self._weight < 1 - np.exp(-c.baseline_min_s / c.tau_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(thin, np.nan, self._sum / self._weight)
        if snapshot.learned is not None:
            own = np.where(thin & snapshot.learned, snapshot.free_flow_mps, own)
        return own

    def update(self, snapshot: SpeedSnapshot) -> list[TrafficAlert]:
        """Alerts raised or cleared by this snapshot (cleared ones carry their `cleared` time)."""
        c, ts = self.config, float(snapshot.ts)
        if len(snapshot.speed_mps) != self.edges:
            raise ValueError(f"a snapshot of {len(snapshot.speed_mps)} edges for a detector of {self.edges}")
        if not np.isfinite(ts) or (self._last is not None and ts <= self._last):
            return []
        step = 0.0 if self._last is None else ts - self._last
        self._last = ts
        if snapshot.recent_mps is not None and snapshot.recent_samples is not None:
            signal, count = snapshot.recent_mps, snapshot.recent_samples
        else:
            signal, count = snapshot.speed_mps, snapshot.samples
        seen = (count >= c.min_samples) & np.isfinite(signal)
        self._seen[seen] = ts
        base = self.baseline(snapshot)
        with np.errstate(invalid="ignore"):
            drop = seen & (signal <= (1 - c.drop_ratio) * base) & (base - signal >= c.min_drop_mps)
        active = np.zeros(self.edges, dtype=bool)
        active[list(self._active)] = True
        self._pending = np.where(drop & ~active, np.fmin(self._pending, ts), np.nan)
        changed = self._clear(ts, signal, seen)
        for edge in np.flatnonzero(ts - self._pending >= c.confirm_s):
            alert = TrafficAlert(f"{edge}-{round(ts * 1000)}", int(edge), ts, float(signal[edge]), float(base[edge]))
            self._active[int(edge)] = alert
            self._pending[edge] = np.nan
            changed.append(alert)
        self._learn(step, signal, seen & ~active & ~drop)
        return changed

    def _clear(self, ts: float, signal: NDArray[np.float64], seen: NDArray[np.bool_]) -> list[TrafficAlert]:
        c = self.config
        cleared: list[TrafficAlert] = []
        for edge, alert in list(self._active.items()):
            back = bool(seen[edge]) and signal[edge] >= c.clear_ratio * alert.baseline_mps
            self._clearing[edge] = self._clearing[edge] + 1 if back else 0
            if self._clearing[edge] >= c.confirm or ts - self._seen[edge] > c.stale_s:
                self._clearing[edge] = 0
                cleared.append(replace(alert, cleared=ts))
                del self._active[edge]
        return cleared

    def _learn(self, step: float, signal: NDArray[np.float64], learn: NDArray[np.bool_]) -> None:
        c = self.config
        decay = np.exp(-step / c.tau_s)
        gain = 1 - np.exp(-min(step, c.max_step_s) / c.tau_s)
        self._sum *= decay
        self._weight *= decay
        self._sum[learn] += gain * signal[learn]
        self._weight[learn] += gain
