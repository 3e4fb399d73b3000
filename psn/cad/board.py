"""The unit board: every unit's dispatch state (available, dispatched, en route, on scene, out of service), the
incident it is on, and its time per state — the one place a unit's state changes, whoever changes it.

A change goes through `dispatch.transition` (an illegal one is a `DispatchError` with its reason, nothing
changed) and is published on the bus as `UnitStatusChanged`, which incidents, the KPIs and the consoles follow.
A unit the board has never seen is available. Thread-safe: the console (HTTP threads) and the unit's own MQTT
status words (bus threads) change it concurrently.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from dispatch import (
    DispatchError,
    Reason,
    Reported,
    StatusChange,
    StatusClock,
    UnitState,
    from_status_word,
    transition,
)
from psn.bus import Bus
from psn.events import UnitStatusChanged

ENGAGED = frozenset({UnitState.DISPATCHED, UnitState.EN_ROUTE, UnitState.ON_SCENE})


@dataclass(frozen=True, slots=True)
class BoardEntry:
    unit: str  # "agency/unit"
    state: UnitState
    incident: str | None  # set while dispatched, en route or on scene
    clock: StatusClock

    def to_json(self) -> dict[str, object]:
        return {"unit": self.unit, "state": self.state.value, "incident": self.incident, "since": self.clock.since}


class UnitBoard:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._lock = threading.Lock()
        self._entries: dict[str, BoardEntry] = {}

    def get(self, unit: str) -> BoardEntry | None:
        """The unit's entry; None for a unit never changed (it counts as available)."""
        with self._lock:
            return self._entries.get(unit)

    def state(self, unit: str) -> tuple[UnitState, str | None]:
        entry = self.get(unit)
        return (entry.state, entry.incident) if entry is not None else (UnitState.AVAILABLE, None)

    def snapshot(self) -> list[BoardEntry]:
        with self._lock:
            return list(self._entries.values())

    def restore(self, entries: Iterable[BoardEntry]) -> None:
        """Puts back entries as stored (after a restart); publishes nothing."""
        with self._lock:
            for entry in entries:
                self._entries[entry.unit] = entry

    def change(self, unit: str, wanted: UnitState | str, now: float, *, actor: str, via: str,
               incident: str | None = None) -> BoardEntry:
        """Moves `unit` to `wanted` (dispatching names the incident; en route and on scene stay on the unit's
        incident unless one is named; available and out of service clear it) and publishes the change."""
        with self._lock:
            before = self._entries.get(unit)
            current = before.state if before is not None else UnitState.AVAILABLE
            state, change = transition(current, wanted, now)
            entry = self._next(unit, before, state, change.ts, incident)
            self._entries[unit] = entry
        self.bus.publish(UnitStatusChanged(unit, change, entry.incident or (before.incident if before else None),
                                           actor, via))
        return entry

    def report_word(self, unit: str, word: str, now: float) -> Reported:
        """A unit's own MQTT status word: a change (published as by `change`), nothing, or a free note. An
        illegal change raises DispatchError like any other."""
        with self._lock:
            before = self._entries.get(unit)
            current = before.state if before is not None else UnitState.AVAILABLE
            reported = from_status_word(current, word, now)
            if reported.change is None:
                return reported
            entry = self._next(unit, before, reported.state, now, None)
            self._entries[unit] = entry
        self.bus.publish(UnitStatusChanged(unit, reported.change,
                                           entry.incident or (before.incident if before else None), unit, "mqtt"))
        return reported

    @staticmethod
    def _next(unit: str, before: BoardEntry | None, state: UnitState, ts: float,
              incident: str | None) -> BoardEntry:
        if state is UnitState.DISPATCHED and incident is None:
            raise DispatchError(Reason.BAD_ARGUMENT, f"dispatching {unit} needs the incident it is sent to")
        kept = before.incident if before is not None else None
        incident = (incident or kept) if state in ENGAGED else None
        if before is None:
            return BoardEntry(unit, state, incident, StatusClock(state, ts))
        # A unit's clock may run behind psn's: its change never counts as earlier than the state it leaves.
        change = StatusChange(max(ts, before.clock.since), before.state, state)
        return BoardEntry(unit, state, incident, before.clock.advance(change))
