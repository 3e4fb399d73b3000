"""Response KPIs from incident timelines: call → dispatch → en route → on scene, per incident, and their
median and 90th percentile by owning agency, by priority and by district.

The call is the incident's `created` entry; dispatch, en route and on scene are the first `unit_status`
entries with that state (any unit). A stage counts only when both its ends are in the timeline, in order
(an incident still waiting for a unit has no dispatch → en route time yet). Percentiles interpolate
linearly between the closest ranks (numpy's default, Hyndman & Fan type 7, as spreadsheets' PERCENTILE).
The district of an incident comes from the caller's function of (lat, lon): this module reads no boundaries.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from dispatch.incident import Change, Incident
from dispatch.status import UnitState


class Stage(enum.StrEnum):
    CALL_TO_DISPATCH = "call_to_dispatch"
    DISPATCH_TO_EN_ROUTE = "dispatch_to_en_route"
    EN_ROUTE_TO_ON_SCENE = "en_route_to_on_scene"
    CALL_TO_ON_SCENE = "call_to_on_scene"


CALL = "call"
# Each stage runs from one moment to another: the call, or the first unit in a state.
_ENDS: Mapping[Stage, tuple[str, str]] = {
    Stage.CALL_TO_DISPATCH: (CALL, UnitState.DISPATCHED),
    Stage.DISPATCH_TO_EN_ROUTE: (UnitState.DISPATCHED, UnitState.EN_ROUTE),
    Stage.EN_ROUTE_TO_ON_SCENE: (UnitState.EN_ROUTE, UnitState.ON_SCENE),
    Stage.CALL_TO_ON_SCENE: (CALL, UnitState.ON_SCENE),
}
_MOMENTS = frozenset({UnitState.DISPATCHED, UnitState.EN_ROUTE, UnitState.ON_SCENE})
OUTSIDE = "outside"  # the district of an incident the caller's function places in none


@dataclass(frozen=True, slots=True)
class Summary:
    count: int
    median_s: float
    p90_s: float


Kpis = dict[str, dict[Stage, Summary]]  # group (agency, priority "1".."4", district) → stage → summary


@dataclass(frozen=True, slots=True)
class ResponseKpis:
    by_agency: Kpis
    by_priority: Kpis
    by_district: Kpis


def milestones(incident: Incident) -> dict[str, float]:
    """When the call came in and when the first unit was dispatched, en route and on scene (those reached)."""
    found = {CALL: incident.opened}
    for entry in incident.timeline:
        state = entry.details.get("state") if entry.what is Change.UNIT_STATUS else None
        if state in _MOMENTS and state not in found:
            found[str(state)] = entry.ts
    return found


def stage_times(incident: Incident) -> dict[Stage, float]:
    """Seconds of each stage the incident has completed."""
    moments = milestones(incident)
    return {stage: moments[end] - moments[start] for stage, (start, end) in _ENDS.items()
            if start in moments and end in moments and moments[end] >= moments[start]}


def summarise(seconds: Iterable[float]) -> Summary:
    """Count, median and 90th percentile of at least one duration."""
    values = np.fromiter(seconds, dtype=float)
    return Summary(len(values), float(np.median(values)), float(np.percentile(values, 90)))


def by_group(incidents: Iterable[Incident], group: Callable[[Incident], str]) -> Kpis:
    """Per group, each stage's summary over the incidents of the group that completed it."""
    samples: defaultdict[str, defaultdict[Stage, list[float]]] = defaultdict(lambda: defaultdict(list))
    for incident in incidents:
        for stage, seconds in stage_times(incident).items():
            samples[group(incident)][stage].append(seconds)
    return {name: {stage: summarise(stages[stage]) for stage in Stage if stage in stages}
            for name, stages in sorted(samples.items())}


def response_kpis(incidents: Iterable[Incident], district: Callable[[float, float], str | None]) -> ResponseKpis:
    """The KPIs by owning agency, by priority and by the district `district(lat, lon)` names."""
    chosen = list(incidents)
    return ResponseKpis(
        by_agency=by_group(chosen, lambda i: i.owner),
        by_priority=by_group(chosen, lambda i: str(i.priority)),
        by_district=by_group(chosen, lambda i: district(i.location.lat, i.location.lon) or OUTSIDE),
    )
