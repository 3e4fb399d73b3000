"""One server's live traffic picture on top of the analytics (`Engines`): each tick a speed snapshot, the drop
detector's alerts (with who acknowledged them), corridor times and their 5-minute history, and which segments
changed since the last tick (the live event carries only those). The live event's corridor rows carry their 6 h
`history` only on the first tick and when a 5-minute bin has closed since the last one; the other ticks send the
current values alone (the page extends its own copy): with the history on every tick, each event carried 72
points per corridor, the same 6 h again every `traffic_tick_s`. Not thread-safe: the service holds its lock."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from psn.traffic import rows
from psn.traffic.engines import Engines
from traffic.detect import TrafficAlert
from traffic.speeds import SpeedSnapshot

CORRIDOR_BIN_S = 300.0
HISTORY_S = 6 * 3600.0  # corridor bins and cleared alerts are kept this long
_SEGMENT_FIELDS = ("speed_mps", "level", "samples", "updated")  # a change in any of these is news


@dataclass
class Ticked:
    """What one tick tells the live clients."""

    ts: float
    segments: list[dict[str, Any]]
    corridors: list[dict[str, Any]]  # with `history` only when a bin closed (or on the first tick)
    alerts: list[dict[str, Any]] = field(default_factory=list)


class Picture:
    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self.snapshot: SpeedSnapshot | None = None
        self._sent: dict[str, np.ndarray[Any, Any]] | None = None
        self.alerts: dict[str, TrafficAlert] = {}
        self.acknowledged: dict[str, str] = {}
        # bin start → corridor id → (sum of travel times, count)
        self._corridor_bins: collections.OrderedDict[float, dict[str, tuple[float, int]]] = collections.OrderedDict()
        self.corridors: list[dict[str, Any]] = []  # the last tick's rows, with their history (REST)
        self._bin_sent: float | None = None  # the corridor bin the last live event's history was sent in

    def tick(self, now: float) -> Ticked:
        engines = self.engines
        snapshot = engines.speeds.snapshot(now)
        self.snapshot = snapshot
        changed = self._changed(snapshot)
        alerts = [self._alert_row(alert.id) for alert in self._detect(snapshot)]
        self._forget_cleared(now)
        self.corridors = self._corridors(now, snapshot)
        segments = [rows.feature(engines, int(e), rows.segment_properties(engines, snapshot, int(e)))
                    for e in changed]
        return Ticked(now, segments, self._live_corridors(now), alerts)

    def _live_corridors(self, now: float) -> list[dict[str, Any]]:
        """This tick's corridor rows for the live event: their history only when a bin closed since the last."""
        current = now - now % CORRIDOR_BIN_S
        if current != self._bin_sent:
            self._bin_sent = current
            return self.corridors
        return [{key: value for key, value in row.items() if key != "history"} for row in self.corridors]

    def _changed(self, snapshot: SpeedSnapshot) -> np.ndarray[Any, Any]:
        now = {name: np.asarray(getattr(snapshot, name)) for name in _SEGMENT_FIELDS}
        before, self._sent = self._sent, now
        if before is None:
            return np.flatnonzero(now["samples"] > 0)
        differs = np.zeros(len(now["samples"]), dtype=bool)
        for name, values in now.items():
            old = before[name]
            differs |= ~((values == old) | (np.isnan(values) & np.isnan(old)) if values.dtype.kind == "f"
                         else values == old)
        return np.flatnonzero(differs)

    def _detect(self, snapshot: SpeedSnapshot) -> list[TrafficAlert]:
        news = list(self.engines.detector.update(snapshot))
        for alert in news:
            self.alerts[alert.id] = alert
        return news

    def _forget_cleared(self, now: float) -> None:
        for key in [k for k, a in self.alerts.items() if a.cleared is not None and a.cleared < now - HISTORY_S]:
            del self.alerts[key]
            self.acknowledged.pop(key, None)

    def _alert_row(self, alert_id: str) -> dict[str, Any]:
        return rows.alert_row(self.engines, self.alerts[alert_id], self.acknowledged.get(alert_id))

    def alert_rows(self) -> list[dict[str, Any]]:
        return [self._alert_row(key) for key in sorted(self.alerts, key=lambda k: self.alerts[k].raised)]

    def acknowledge(self, alert_id: str, who: str) -> tuple[dict[str, Any], bool] | None:
        """The alert's row, and whether this acknowledgement was the first (the one that stands)."""
        if alert_id not in self.alerts:
            return None
        first = alert_id not in self.acknowledged
        self.acknowledged.setdefault(alert_id, who)
        return self._alert_row(alert_id), first

    def _corridors(self, now: float, snapshot: SpeedSnapshot) -> list[dict[str, Any]]:
        engines = self.engines
        if not engines.corridors:
            return []
        times = engines.corridor_times(engines.graph, engines.corridor_edges, engines.speeds.live_speeds(now, snapshot))
        start = now - now % CORRIDOR_BIN_S
        current = self._corridor_bins.setdefault(start, {})
        for time in times:
            if time.coverage > 0:
                total, count = current.get(time.id, (0.0, 0))
                current[time.id] = (total + time.travel_s, count + 1)
        while self._corridor_bins and next(iter(self._corridor_bins)) < now - HISTORY_S:
            self._corridor_bins.popitem(last=False)
        return [rows.corridor_row(engines.corridors[time.id], time, self._history(time.id)) for time in times]

    def _history(self, corridor: str) -> list[list[float]]:
        return [[start, round(total / count, 1)] for start, by_id in self._corridor_bins.items()
                if (entry := by_id.get(corridor)) is not None for total, count in [entry]]
