"""The unit status machine of a CAD: its states, its one table of allowed transitions, the unit's own MQTT
status words mapped onto it, and the time each unit spends in each state (for the response KPIs).

    available ─▶ dispatched ─▶ en_route ─▶ on_scene ─▶ available
    any state ─▶ out_of_service ─▶ available

A dispatcher's cancellation sends a dispatched or en-route unit back to available; a unit already near the
scene may go from dispatched straight to on_scene; a unit en route may be diverted to another incident
(en_route ─▶ dispatched). Only a dispatcher dispatches: no status word a unit sends maps to `dispatched`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from dispatch.errors import DispatchError, Reason, one_of


class UnitState(enum.StrEnum):
    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    OUT_OF_SERVICE = "out_of_service"


_S = UnitState
# The one table of allowed transitions: from each state, the states a unit may go to next.
TRANSITIONS: Mapping[UnitState, frozenset[UnitState]] = {
    _S.AVAILABLE: frozenset({_S.DISPATCHED, _S.OUT_OF_SERVICE}),
    _S.DISPATCHED: frozenset({_S.EN_ROUTE, _S.ON_SCENE, _S.AVAILABLE, _S.OUT_OF_SERVICE}),
    _S.EN_ROUTE: frozenset({_S.ON_SCENE, _S.DISPATCHED, _S.AVAILABLE, _S.OUT_OF_SERVICE}),
    _S.ON_SCENE: frozenset({_S.AVAILABLE, _S.OUT_OF_SERVICE}),
    _S.OUT_OF_SERVICE: frozenset({_S.AVAILABLE}),
}

# A unit's free-form `status` word (psn/v1/{agency}/{unit}/status) → the state it declares. Words not here
# are kept as a free note on the unit and change nothing.
STATUS_WORDS: Mapping[str, UnitState] = {
    "available": _S.AVAILABLE,
    "patrol": _S.AVAILABLE,
    "in_service": _S.AVAILABLE,
    "clear": _S.AVAILABLE,
    "cleared": _S.AVAILABLE,
    "en_route": _S.EN_ROUTE,
    "en-route": _S.EN_ROUTE,
    "enroute": _S.EN_ROUTE,
    "responding": _S.EN_ROUTE,
    "on_scene": _S.ON_SCENE,
    "on-scene": _S.ON_SCENE,
    "onscene": _S.ON_SCENE,
    "arrived": _S.ON_SCENE,
    "out_of_service": _S.OUT_OF_SERVICE,
    "out-of-service": _S.OUT_OF_SERVICE,
    "oos": _S.OUT_OF_SERVICE,
    "off_duty": _S.OUT_OF_SERVICE,
}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One transition of one unit: at `ts`, from `before` to `after`."""

    ts: float
    before: UnitState
    after: UnitState


def parse_state(value: object) -> UnitState:
    """`value` as a UnitState, or a DispatchError naming the states there are."""
    return one_of(UnitState, value, Reason.UNKNOWN_STATE, "a unit state")


def transition(current: UnitState, wanted: UnitState | str, now: float) -> tuple[UnitState, StatusChange]:
    """The unit's new state and the record of the change; an illegal change is refused with both states named
    and the states that `current` may go to."""
    target = parse_state(wanted)
    if not math.isfinite(now):
        raise DispatchError(Reason.BAD_TIME, f"the time of a status change must be finite, not {now!r}")
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise DispatchError(Reason.ILLEGAL_TRANSITION,
                            f"a unit cannot go from {current} to {target}; from {current} it may go to "
                            f"{', '.join(sorted(allowed))}")
    return target, StatusChange(now, current, target)


@dataclass(frozen=True, slots=True)
class Reported:
    """What a unit's status word did: a change (`change` set), nothing (same state), or a free note."""

    state: UnitState
    change: StatusChange | None = None
    note: str | None = None  # the word itself, when it names no state


def from_status_word(current: UnitState, word: str, now: float) -> Reported:
    """Apply a unit's own status word: a known word in the state the unit is in changes nothing (units repeat
    it); a known word for another state is a transition (refused like any other if illegal); an unknown
    word is kept as a note."""
    declared = STATUS_WORDS.get(word)
    if declared is None:
        return Reported(current, note=word)
    if declared is current:
        return Reported(current)
    state, change = transition(current, declared, now)
    return Reported(state, change)


@dataclass(frozen=True, slots=True)
class StatusClock:
    """One unit's time per state: the state it is in since `since`, and the seconds of its past states."""

    state: UnitState
    since: float
    totals: Mapping[UnitState, float] = field(default_factory=dict)

    def advance(self, change: StatusChange) -> StatusClock:
        """The clock after `change`, which must leave the state the clock is in, no earlier than `since`."""
        if change.before is not self.state:
            raise DispatchError(Reason.ILLEGAL_TRANSITION,
                                f"the change leaves {change.before} but the unit is {self.state}")
        if not change.ts >= self.since:
            raise DispatchError(Reason.BAD_TIME,
                                f"a change at {change.ts} comes before the unit entered {self.state} at {self.since}")
        return StatusClock(change.after, change.ts, self._totals_until(change.ts))

    def seconds(self, now: float) -> dict[UnitState, float]:
        """Seconds in each state until `now` (the current state counts up to `now`)."""
        if not now >= self.since:
            raise DispatchError(Reason.BAD_TIME, f"{now} is before the unit entered {self.state} at {self.since}")
        return self._totals_until(now)

    def _totals_until(self, ts: float) -> dict[UnitState, float]:
        totals = dict(self.totals)
        totals[self.state] = totals.get(self.state, 0.0) + (ts - self.since)
        return totals
