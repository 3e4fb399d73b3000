"""Incident detection: a sudden speed drop on a piece of an edge relative to that piece's own recent speeds.

Signal: the snapshot's short-window speed per piece of edge (`SpeedSnapshot.recent`, the last 60 s on pieces
of at most 500 m: `traffic.pieces`) where it has at least `min_samples` samples from at least `min_vehicles`
vehicles, so a queue shows within a minute rather than the five the 300 s window takes to fill, and a queue at
the end of a long edge is not averaged away by the free-flowing rest of it.

Baseline: per piece, an exponentially weighted mean of that signal over the last `tau_s` (30 min), learned only
while its edge is not alarmed and it is not dropping (an incident never teaches its own baseline). Its weight
1 − exp(−observed / tau_s) says how much recent history there is (each update adds at most `max_step_s` of it,
so one update after a long pause is not half an hour of history); below `baseline_min_s` of it the baseline is
thin and its edge's learned free flow stands in (`SpeedSnapshot.learned`); with neither, the piece cannot alarm.
A slow road stays slow in its own history, so it never alarms for being slow.

False-alarm controls: a drop is the signal at or below (1 − `drop_ratio`) × baseline *and* at least
`min_drop_mps` below it (50 % and 20 km/h), from at least `min_samples` samples of at least `min_vehicles`
(2) vehicles (one probe standing for a minute gives 60 samples on its own: the town's false alarm at 5 %); it
must hold in every update for `confirm_s` (60 s, the length of the signal's window, so that the evidence that
raises an alert is not the samples that first showed the drop: on steady traffic with a vehicle every 15 s,
confirming over two updates 10 s apart gave 22 false alarms in 900 segment-hours, mostly one slow lorry alone
in the window). An update without that evidence resets a pending drop (letting it stand through such updates
for up to 120 s moved nothing in the SUMO validation once two vehicles are required: town 5 % 630 s either
way, Belize unchanged). One active alert per edge: a queue over several pieces is one alert, on the piece that
confirmed first. The alert clears when its piece's signal is back to `clear_ratio` × the baseline it was raised
against for `confirm` consecutive updates (hysteresis: raised below 50 %, cleared above 75 %), or after
`stale_s` without a sample (a piece nobody drives any more says nothing). Updates whose time does not advance
are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from traffic.pieces import Pieces
from traffic.speeds import SpeedSnapshot


@dataclass(frozen=True, slots=True)
class TrafficAlert:
    id: str
    edge: int
    raised: float
    speed_mps: float  # the signal when raised
    baseline_mps: float  # what it dropped from
    cleared: float | None = None
    from_m: float = 0.0  # the piece of the edge that dropped: metres from its tail
    to_m: float = float("inf")


@dataclass(frozen=True, slots=True)
class DetectConfig:
    min_samples: int = 5
    min_vehicles: int = 2  # at most 2 (traffic.pieces counts the two newest distinct vehicles)
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
    """Over the pieces of `layout` (an int: that many edges, one piece each), those of `SegmentSpeeds`'
    snapshots (`SegmentSpeeds.recent.pieces`)."""

    def __init__(self, layout: Pieces | int, config: DetectConfig = DetectConfig()) -> None:
        self.pieces = Pieces.whole(layout) if isinstance(layout, int) else layout
        self.config = config
        n = len(self.pieces)
        self._sum = np.zeros(n)
        self._weight = np.zeros(n)
        self._pending = np.full(n, np.nan)  # since when the piece has dropped, NaN when it has not
        self._clearing = np.zeros(n, dtype=np.int64)
        self._seen = np.full(n, -np.inf)
        self._active: dict[int, TrafficAlert] = {}  # by piece
        self._last: float | None = None

    @property
    def active(self) -> list[TrafficAlert]:
        return sorted(self._active.values(), key=lambda a: (a.raised, a.edge, a.from_m))

    def baseline(self, snapshot: SpeedSnapshot) -> NDArray[np.float64]:
        """Per piece: what a drop is measured from (recent history, else its edge's learned free flow, else
        NaN)."""
        c, edge = self.config, self.pieces.edge
        thin = self._weight < 1 - np.exp(-c.baseline_min_s / c.tau_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(thin, np.nan, self._sum / self._weight)
        if snapshot.learned is not None:
            own = np.where(thin & snapshot.learned[edge], snapshot.free_flow_mps[edge], own)
        return own

    def update(self, snapshot: SpeedSnapshot) -> list[TrafficAlert]:
        """Alerts raised or cleared by this snapshot (cleared ones carry their `cleared` time)."""
        c, ts, p = self.config, float(snapshot.ts), self.pieces
        recent = snapshot.recent
        if recent is None or len(recent.speed_mps) != len(p) or len(snapshot.speed_mps) != len(p.first):
            raise ValueError(f"a snapshot of {len(snapshot.speed_mps)} edges and "
                             f"{None if recent is None else len(recent.speed_mps)} pieces for a detector of "
                             f"{len(p.first)} edges and {len(p)} pieces")
        if not np.isfinite(ts) or (self._last is not None and ts <= self._last):
            return []
        step = 0.0 if self._last is None else ts - self._last
        self._last = ts
        signal = recent.speed_mps
        seen = (recent.samples >= c.min_samples) & (recent.vehicles >= c.min_vehicles) & np.isfinite(signal)
        self._seen[seen] = ts
        base = self.baseline(snapshot)
        with np.errstate(invalid="ignore"):
            drop = seen & (signal <= (1 - c.drop_ratio) * base) & (base - signal >= c.min_drop_mps)
        alarmed = np.zeros(len(p.first), dtype=bool)  # per edge
        alarmed[[a.edge for a in self._active.values()]] = True
        self._pending = np.where(drop & ~alarmed[p.edge], np.fmin(self._pending, ts), np.nan)
        changed = self._clear(ts, signal, seen)
        for piece in np.flatnonzero(ts - self._pending >= c.confirm_s):
            edge = int(p.edge[piece])
            if alarmed[edge]:  # another piece of this edge confirmed in this update
                continue
            alarmed[edge] = True
            alert = TrafficAlert(f"{edge}-{round(float(p.from_m[piece]))}-{round(ts * 1000)}", edge, ts,
                                 float(signal[piece]), float(base[piece]), None, float(p.from_m[piece]),
                                 float(p.to_m[piece]))
            self._active[int(piece)] = alert
            self._pending[piece] = np.nan
            changed.append(alert)
        self._learn(step, signal, seen & ~alarmed[p.edge] & ~drop)
        return changed

    def _clear(self, ts: float, signal: NDArray[np.float64], seen: NDArray[np.bool_]) -> list[TrafficAlert]:
        c = self.config
        cleared: list[TrafficAlert] = []
        for piece, alert in list(self._active.items()):
            back = bool(seen[piece]) and signal[piece] >= c.clear_ratio * alert.baseline_mps
            self._clearing[piece] = self._clearing[piece] + 1 if back else 0
            if self._clearing[piece] >= c.confirm or ts - self._seen[piece] > c.stale_s:
                self._clearing[piece] = 0
                cleared.append(replace(alert, cleared=ts))
                del self._active[piece]
        return cleared

    def _learn(self, step: float, signal: NDArray[np.float64], learn: NDArray[np.bool_]) -> None:
        c = self.config
        decay = np.exp(-step / c.tau_s)
        gain = 1 - np.exp(-min(step, c.max_step_s) / c.tau_s)
        self._sum *= decay
        self._weight *= decay
        self._sum[learn] += gain * signal[learn]
        self._weight[learn] += gain
