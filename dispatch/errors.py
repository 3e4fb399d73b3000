"""The one error of the dispatch core: `DispatchError`, with a machine-readable `Reason` and a sentence, and
`one_of`, which reads a value as a member of one of the core's enums or refuses it with the members listed.

The shell turns it into a 4xx (REST) or a rejection (MQTT) and counts it by `reason`; the core never logs.
"""

from __future__ import annotations

import enum
from typing import TypeVar


class Reason(enum.StrEnum):
    UNKNOWN_TYPE = "unknown_type"  # an incident type not in IncidentType
    BAD_PRIORITY = "bad_priority"  # not an int in 1..4
    BAD_LOCATION = "bad_location"  # lat/lon not a finite number in range
    BAD_TEXT = "bad_text"  # notes, address, place, actor, disposition: wrong type, empty or too long
    BAD_NAME = "bad_name"  # an incident id, agency or unit name the MQTT namespace could not carry
    BAD_TIME = "bad_time"  # `now` not finite, or earlier than the last entry it follows
    UNKNOWN_FIELD = "unknown_field"  # update() of a field an incident does not have or that update cannot change
    NO_CHANGE = "no_change"  # update() that changes nothing
    INCIDENT_CLOSED = "incident_closed"  # changing a closed incident (reopen it first), closing it again
    INCIDENT_OPEN = "incident_open"  # reopening an open incident
    BAD_PARTNER = "bad_partner"  # the owner as a partner, a partner twice, removing one that is not a partner
    NOT_ASSIGNED = "not_assigned"  # clearing a unit from an incident it is not on
    UNKNOWN_STATE = "unknown_state"  # a unit state not in UnitState
    ILLEGAL_TRANSITION = "illegal_transition"  # a unit state change the machine does not allow
    BAD_REQUIREMENTS = "bad_requirements"  # a requirement table that does not cover every type, or is malformed
    BAD_ETAS = "bad_etas"  # ETAs that do not line up with the candidates
    BAD_ARGUMENT = "bad_argument"  # anything else a caller passed wrong (top N < 1 …)


class DispatchError(ValueError):
    """Bad input to the dispatch core: `reason` for counters, `detail` for the person who sent it."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


Member = TypeVar("Member", bound=enum.StrEnum)


def one_of(kind: type[Member], value: object, reason: Reason, what: str) -> Member:
    """`value` as a member of `kind`, or a DispatchError that lists the members."""
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    raise DispatchError(reason, f"{value!r:.40} is not {what} (one of {', '.join(m.value for m in kind)})")
