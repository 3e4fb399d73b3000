"""Which units to send: the available units of the agencies and capabilities an incident type needs, ranked by
their road ETA to the incident, and every other unit with the reason it is left out.

The ETAs come from the caller (one reverse search from the incident over the road graph gives every unit's
at once): an array aligned with the candidates, or a function of a candidate. This module never routes.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from dispatch.errors import DispatchError, Reason
from dispatch.incident import Incident, IncidentState, IncidentType
from dispatch.status import UnitState


@dataclass(frozen=True, slots=True)
class Requirement:
    """A unit fits when its agency is one of `agencies` and it has every one of `capabilities`."""

    agencies: frozenset[str]
    capabilities: frozenset[str] = frozenset()


_T = IncidentType
# Which agencies answer each incident type by default (no capability required: units declare none yet).
DEFAULT_REQUIREMENTS: Mapping[IncidentType, Requirement] = {
    _T.TRAFFIC_COLLISION: Requirement(frozenset({"police", "ems", "fire"})),
    _T.ASSAULT: Requirement(frozenset({"police"})),
    _T.ROBBERY: Requirement(frozenset({"police"})),
    _T.FIRE: Requirement(frozenset({"fire"})),
    _T.FLOOD: Requirement(frozenset({"nemo", "fire", "bdf"})),
    _T.MEDICAL: Requirement(frozenset({"ems", "fire"})),
    _T.MISSING_PERSON: Requirement(frozenset({"police", "nemo"})),
    _T.HURRICANE_SHELTER: Requirement(frozenset({"nemo", "police", "bdf"})),
    _T.OTHER: Requirement(frozenset({"police", "nemo", "fire", "ems", "bdf"})),
}


class Exclusion(enum.StrEnum):
    """Why a unit is not recommended, in the order they are checked (the first that applies is given)."""

    WRONG_AGENCY = "wrong_agency"  # its agency is not needed for the type, or not on the incident
    LACKS_CAPABILITY = "lacks_capability"
    OUT_OF_SERVICE = "out_of_service"
    ASSIGNED_HERE = "assigned_here"  # already dispatched to, en route to or on scene at this incident
    ASSIGNED_ELSEWHERE = "assigned_elsewhere"
    NO_POSITION = "no_position"
    BAD_ETA = "bad_eta"  # the caller's ETA is NaN or negative
    UNREACHABLE = "unreachable"  # no road path (infinite ETA)


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str  # "agency/unit"
    agency: str
    status: UnitState
    position: tuple[float, float] | None  # (lat, lon); None until the unit reports one
    capabilities: frozenset[str] = frozenset()
    incident: str | None = None  # the incident it is assigned to, if any


@dataclass(frozen=True, slots=True)
class Ranked:
    unit: Candidate
    eta_s: float


@dataclass(frozen=True, slots=True)
class Excluded:
    unit: Candidate
    reason: Exclusion
    detail: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    ranked: tuple[Ranked, ...]  # at most `top`, fastest first, ties by unit id
    more: int  # units that fit but rank below the top N
    excluded: tuple[Excluded, ...]  # by unit id


Etas = ArrayLike | Callable[[Candidate], float]


def recommend(incident: Incident, units: Sequence[Candidate], etas: Etas, *, top: int = 5,
              requirements: Mapping[IncidentType, Requirement] = DEFAULT_REQUIREMENTS) -> Recommendation:
    """The `top` units to send to `incident`, by ETA in seconds, and the rest with their reasons."""
    if incident.state is not IncidentState.OPEN:
        raise DispatchError(Reason.INCIDENT_CLOSED, f"incident {incident.id} is closed: nothing to send")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise DispatchError(Reason.BAD_ARGUMENT, f"top must be an integer of at least 1, not {top!r}")
    if incident.type not in requirements:
        raise DispatchError(Reason.BAD_REQUIREMENTS, f"the requirement table has no entry for {incident.type}")
    twice = sorted(uid for uid, n in Counter(u.id for u in units).items() if n > 1)
    if twice:
        raise DispatchError(Reason.BAD_ARGUMENT, f"units listed more than once: {', '.join(twice)}")
    need = requirements[incident.type]
    eta_of = _eta_source(units, etas)
    allowed = need.agencies & (incident.partners | {incident.owner})
    fits: list[Ranked] = []
    excluded: list[Excluded] = []
    for index, unit in enumerate(units):
        why = _unfit(unit, incident, need, allowed)
        if why is None:
            eta = eta_of(index, unit)  # asked only of the units that fit
            why = _unreached(eta)
            if why is None:
                fits.append(Ranked(unit, eta))
                continue
        excluded.append(Excluded(unit, *why))
    fits.sort(key=lambda r: (r.eta_s, r.unit.id))
    excluded.sort(key=lambda e: e.unit.id)
    return Recommendation(tuple(fits[:top]), max(0, len(fits) - top), tuple(excluded))


def parse_requirements(raw: Mapping[str, object]) -> dict[IncidentType, Requirement]:
    """A requirement table from configuration: `{type: {"agencies": [...], "capabilities": [...]}}`, one entry
    for every incident type, each with at least one agency."""
    unknown = sorted(set(raw) - {t.value for t in IncidentType})
    missing = sorted({t.value for t in IncidentType} - set(raw))
    if unknown or missing:
        raise DispatchError(Reason.BAD_REQUIREMENTS, f"unknown types: {', '.join(unknown) or 'none'}; "
                                                     f"missing types: {', '.join(missing) or 'none'}")
    table: dict[IncidentType, Requirement] = {}
    for name, entry in raw.items():
        if not isinstance(entry, Mapping) or set(entry) - {"agencies", "capabilities"}:
            raise DispatchError(Reason.BAD_REQUIREMENTS,
                                f"{name}: expected a table with 'agencies' and optionally 'capabilities'")
        agencies = _names(entry.get("agencies"), f"{name}.agencies")
        if not agencies:
            raise DispatchError(Reason.BAD_REQUIREMENTS, f"{name}.agencies: at least one agency answers a type")
        capabilities = _names(entry.get("capabilities", []), f"{name}.capabilities")
        table[IncidentType(name)] = Requirement(agencies, capabilities)
    return table


def _names(value: object, where: str) -> frozenset[str]:
    if (not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value)
            or len(set(value)) != len(value)):
        raise DispatchError(Reason.BAD_REQUIREMENTS, f"{where}: expected a list of distinct non-empty names")
    return frozenset(value)


def _eta_source(units: Sequence[Candidate], etas: Etas) -> Callable[[int, Candidate], float]:
    """The ETA of the i-th candidate, from the caller's function or array (checked to line up)."""
    if callable(etas):
        function = etas
        return lambda _, unit: float(function(unit))
    array = np.asarray(etas, dtype=float)
    if array.shape != (len(units),):
        raise DispatchError(Reason.BAD_ETAS, f"{array.shape} ETAs for {len(units)} candidates: one per candidate")
    return lambda index, _: float(array[index])


def _unfit(unit: Candidate, incident: Incident, need: Requirement,
           allowed: frozenset[str]) -> tuple[Exclusion, str] | None:
    """Why the unit cannot be sent whatever its ETA, or None."""
    if unit.agency not in allowed:
        if unit.agency not in need.agencies:
            return Exclusion.WRONG_AGENCY, f"{incident.type} needs {_listed(need.agencies)}, not {unit.agency}"
        return Exclusion.WRONG_AGENCY, (f"{unit.agency} is not on incident {incident.id} (owner {incident.owner}, "
                                        f"partners {_listed(incident.partners) or 'none'})")
    lacking = need.capabilities - unit.capabilities
    if lacking:
        return Exclusion.LACKS_CAPABILITY, f"{incident.type} needs {_listed(lacking)}"
    if unit.status is UnitState.OUT_OF_SERVICE:
        return Exclusion.OUT_OF_SERVICE, "out of service"
    if unit.status is not UnitState.AVAILABLE:
        if unit.incident == incident.id:
            return Exclusion.ASSIGNED_HERE, f"{unit.status} on this incident"
        return Exclusion.ASSIGNED_ELSEWHERE, f"{unit.status} on incident {unit.incident or 'unknown'}"
    if unit.position is None:
        return Exclusion.NO_POSITION, "no position reported"
    return None


def _unreached(eta: float) -> tuple[Exclusion, str] | None:
    if math.isnan(eta) or eta < 0:
        return Exclusion.BAD_ETA, f"ETA {eta} s is not a travel time"
    if math.isinf(eta):
        return Exclusion.UNREACHABLE, "no road path to the incident"
    return None


def _listed(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))
