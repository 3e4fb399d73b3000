"""The live picture: the latest state per unit, and which units changed since the last look.

Thread-safe because MQTT callbacks arrive on the client's network thread while the web layer reads
from the event loop. Changes are coalesced: a unit that moved ten times between two looks is one change.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from telemetry import Fix, StatusReport, UnitRef


@dataclass(frozen=True, slots=True)
class UnitState:
    agency: str
    unit: str
    bound: bool
    ts: float
    lat: float | None = None
    lon: float | None = None
    speed: float | None = None
    heading: float | None = None
    accuracy: float | None = None
    battery: float | None = None
    status: str | None = None
    status_ts: float | None = None
    source: str = "psn/v1"
    video: bool = False  # a live stream of this unit is on

    @property
    def id(self) -> str:
        return f"{self.agency}/{self.unit}"

    def to_json(self) -> dict[str, Any]:
        # Spelled out: asdict() deep-copies recursively and this runs for every change sent live.
        return {
            "id": self.id, "agency": self.agency, "unit": self.unit, "bound": self.bound, "ts": self.ts,
            "lat": self.lat, "lon": self.lon, "speed": self.speed, "heading": self.heading,
            "accuracy": self.accuracy, "battery": self.battery, "status": self.status,
            "status_ts": self.status_ts, "source": self.source, "video": self.video,
        }


class LiveState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._units: dict[str, UnitState] = {}
        self._changed: dict[str, None] = {}  # insertion-ordered set
        self._removed: dict[str, None] = {}
        # Live video streams per unit (a unit may stream several cameras), known or not yet seen: only units with
        # at least one are keys.
        self._streaming: Counter[str] = Counter()
        self.late = 0  # fixes and statuses older than what the unit already shows (stored, never shown)

    def apply_fix(self, fix: Fix) -> bool:
        """Moves the unit unless the fix is older than what we have: late fixes are stored, never shown."""
        who = fix.who
        key = who.id
        with self._lock:
            current = self._units.get(key)
            if current is not None and current.lat is not None and fix.ts <= current.ts:
                self.late += 1
                return False
            # Built directly rather than with dataclasses.replace: this runs once per message.
            self._units[key] = UnitState(
                who.agency,
                who.unit,
                who.bound,
                fix.ts,
                fix.lat,
                fix.lon,
                fix.speed,
                fix.heading,
                fix.accuracy,
                fix.battery if fix.battery is not None or current is None else current.battery,
                current.status if current else None,
                current.status_ts if current else None,
                fix.source,
                key in self._streaming,
            )
            self._changed[key] = None
            return True

    def apply_status(self, report: StatusReport) -> bool:
        key = report.who.id
        with self._lock:
            current = self._units.get(key)
            if current is not None and current.status_ts is not None and report.ts <= current.status_ts:
                self.late += 1
                return False
            base = current or UnitState(report.who.agency, report.who.unit, report.who.bound, report.ts,
                                        video=key in self._streaming)
            self._units[key] = replace(base, status=report.status, status_ts=report.ts)
            self._changed[key] = None
            return True

    def set_streaming(self, unit_id: str, live: bool) -> None:
        """One of a unit's video streams started or ended; the map's camera badge shows while any is live, and a
        flip counts as a change. Remembered for units not seen yet, so a camera that streams before its first
        fix gets its badge."""
        with self._lock:
            self._streaming[unit_id] += 1 if live else -1
            if self._streaming[unit_id] <= 0:
                del self._streaming[unit_id]
            on = unit_id in self._streaming
            unit = self._units.get(unit_id)
            if unit is not None and unit.video != on:
                self._units[unit_id] = replace(unit, video=on)
                self._changed[unit_id] = None

    def restore(self, unit: UnitState) -> None:
        """Puts back a unit as stored (after a restart); it counts as changed like any update."""
        with self._lock:
            self._units[unit.id] = replace(unit, video=unit.id in self._streaming)
            self._changed[unit.id] = None

    def remove(self, who: UnitRef) -> None:
        with self._lock:
            if self._units.pop(who.id, None) is not None:
                self._changed.pop(who.id, None)
                self._removed[who.id] = None

    def get(self, unit_id: str) -> UnitState | None:
        with self._lock:
            return self._units.get(unit_id)

    def snapshot(self) -> list[UnitState]:
        with self._lock:
            return list(self._units.values())

    def __len__(self) -> int:
        return len(self._units)

    def drain(self) -> tuple[list[UnitState], list[str]]:
        """Units changed and ids removed since the last drain."""
        with self._lock:
            changed = [self._units[key] for key in self._changed]
            removed = list(self._removed)
            self._changed.clear()
            self._removed.clear()
        return changed, removed
