"""Dispatch core: incidents, the unit status machine, which unit to send, and response KPIs — pure functions on
plain typed data (no I/O, no clock, no psn), so the psn shell can call them from any way in.

The core: `incident` (create, update, partners, unit status on the incident, close, reopen — each returns a
new incident and its timeline entry), `status` (the one table of unit transitions, units' MQTT status words,
time per state), `recommend` (available units of the right agencies and capabilities ranked by the ETAs the
caller computed, the others with a reason) and `kpi` (call → dispatch → en route → on scene by agency,
priority and district). Bad input is a `DispatchError` with a `Reason`.

The shell (psn, later): stores incidents with their notes sealed by the owner's key, writes timelines to the
audit log, turns partners into the access model's incident grants, gives the clock's `now`, routes (one
reverse search from the incident over `traffic`'s road graph) for the ETAs, sends assignments over MQTT,
feeds units' status messages through `from_status_word`, and names districts from the shipped boundaries.
See docs/dispatch.md.
"""

from dispatch.errors import DispatchError, Reason
from dispatch.incident import (
    LEAST_URGENT,
    MOST_URGENT,
    NOTES_MAX_BYTES,
    Change,
    Incident,
    IncidentState,
    IncidentType,
    Location,
    TimelineEntry,
    add_partner,
    close,
    create,
    remove_partner,
    reopen,
    unit_status,
    update,
)
from dispatch.kpi import ResponseKpis, Stage, Summary, by_group, milestones, response_kpis, stage_times, summarise
from dispatch.recommend import (
    DEFAULT_REQUIREMENTS,
    Candidate,
    Excluded,
    Exclusion,
    Ranked,
    Recommendation,
    Requirement,
    parse_requirements,
    recommend,
)
from dispatch.status import (
    STATUS_WORDS,
    TRANSITIONS,
    Reported,
    StatusChange,
    StatusClock,
    UnitState,
    from_status_word,
    parse_state,
    transition,
)

__all__ = [
    "DEFAULT_REQUIREMENTS",
    "LEAST_URGENT",
    "MOST_URGENT",
    "NOTES_MAX_BYTES",
    "STATUS_WORDS",
    "TRANSITIONS",
    "Candidate",
    "Change",
    "DispatchError",
    "Excluded",
    "Exclusion",
    "Incident",
    "IncidentState",
    "IncidentType",
    "Location",
    "Ranked",
    "Reason",
    "Recommendation",
    "Reported",
    "Requirement",
    "ResponseKpis",
    "Stage",
    "StatusChange",
    "StatusClock",
    "Summary",
    "TimelineEntry",
    "UnitState",
    "add_partner",
    "by_group",
    "close",
    "create",
    "from_status_word",
    "milestones",
    "parse_requirements",
    "parse_state",
    "recommend",
    "remove_partner",
    "reopen",
    "response_kpis",
    "stage_times",
    "summarise",
    "transition",
    "unit_status",
    "update",
]
