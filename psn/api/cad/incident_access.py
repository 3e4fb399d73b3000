"""How the incident routes find an incident for a caller and turn the core's refusals into HTTP answers.

An incident the caller may not view is answered 404 like an unknown id (the denial is still logged through
`authorize`), so incident ids of other agencies do not leak; one the caller views but may not manage (a
partner agency) is a 403 with the reason."""

from __future__ import annotations

from fastapi import HTTPException

from dispatch import DispatchError, Incident, Reason
from psn.access import Action, Principal, Resource, Target
from psn.api.deps import authorize
from psn.server import Server

# The core's refusals that are about the incident's state, not a bad field: 409.
CONFLICTS = frozenset({Reason.INCIDENT_CLOSED, Reason.INCIDENT_OPEN, Reason.BAD_PARTNER, Reason.NOT_ASSIGNED,
                       Reason.ILLEGAL_TRANSITION, Reason.NO_CHANGE})


def target(incident: Incident) -> Target:
    return Target(Resource.INCIDENT, incident.owner, incident=incident.id)


def viewable(server: Server, who: Principal, incident_id: str) -> Incident:
    incident = server.cad.incidents.get(incident_id)
    if incident is not None:
        try:
            authorize(server, who, Action.VIEW, target(incident))
            return incident
        except HTTPException:
            pass
    raise HTTPException(404, f"no incident {incident_id!r} that you may view")


def manageable(server: Server, who: Principal, incident_id: str) -> Incident:
    incident = viewable(server, who, incident_id)
    authorize(server, who, Action.MANAGE, target(incident))
    return incident


def refused(exc: DispatchError) -> HTTPException:
    return HTTPException(409 if exc.reason in CONFLICTS else 422, f"{exc.reason}: {exc.detail}")
