"""Incidents over REST: create (by position or Belize place name), list, read with its timeline (an audited read
of the caller's notes), change, close, reopen and share with partner agencies; and the units to send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from dispatch import DispatchError, Incident, IncidentState, IncidentType
from psn.access import Action, Resource, Target, decide
from psn.api.cad.incident_access import manageable, refused, viewable
from psn.api.deps import PrincipalDep, ServerDep, authorize
from psn.api.fields import MAX_PARTNERS, Name, NamePath, registered
from psn.cad import places
from psn.cad.incident_json import incident_json

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
Latitude = Annotated[StrictFloat | StrictInt, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[StrictFloat | StrictInt, Field(ge=-180, le=180, allow_inf_nan=False)]
Text = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Notes = Annotated[StrictStr, Field(min_length=1, max_length=4096, description="at most 4096 bytes of UTF-8")]
# Closed incidents one list answers with (the most recently opened): closed ones pile up for years, and each
# listed one is an audited read of its notes.
CLOSED_LISTED = 500
Priority = Annotated[StrictInt, Field(ge=1, le=4, description="1 most urgent … 4 least")]


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: IncidentType
    priority: Priority
    lat: Latitude | None = None
    lon: Longitude | None = None
    place: Text | None = None
    address: Text | None = None
    notes: Notes
    partners: list[Name] = Field(default=[], max_length=MAX_PARTNERS)


class IncidentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: IncidentType | None = None
    priority: Priority | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    place: Text | None = None
    address: Text | None = None
    notes: Notes | None = None


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: Text


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


@router.post("", status_code=201)
def create_incident(body: IncidentIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    authorize(server, who, Action.MANAGE, Target(Resource.INCIDENT, who.agency))
    for partner in body.partners:
        registered(server, partner, 422)
    lat, lon = _position(body)
    return _changed(lambda: server.cad.incidents.create(
        who.agency, who.name, type=body.type.value, priority=body.priority, lat=lat, lon=lon, notes=body.notes,
        address=body.address, place=body.place, partners=body.partners))


@router.get("")
def list_incidents(server: ServerDep, who: PrincipalDep,
                   state: Literal["open", "closed", "all"] = "open") -> dict[str, Any]:
    """Most urgent first, then oldest first; only those the caller may view, and of the closed ones only the
    `CLOSED_LISTED` most recently opened."""
    snapshot = server.sharing.snapshot
    chosen = [i for i in server.cad.incidents.all()
              if (state == "all" or i.state is IncidentState(state))
              and decide(who, Action.VIEW, Target(Resource.INCIDENT, i.owner, incident=i.id), snapshot)]
    closed = sorted((i for i in chosen if i.state is IncidentState.CLOSED), key=lambda i: (i.opened, i.id))
    left = {i.id for i in closed[:-CLOSED_LISTED]}
    chosen = sorted((i for i in chosen if i.id not in left), key=lambda i: (i.priority, i.opened, i.id))
    if chosen:  # a read of their notes: one audit record per answer (consoles poll), naming every incident
        server.audit.record(who.name, "incident.view", "list", agency=who.agency,
                            incidents=",".join(i.id for i in chosen))
    return {"incidents": [incident_json(i) for i in chosen]}


@router.get("/{incident_id}")
def get_incident(incident_id: NamePath, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    incident = viewable(server, who, incident_id)
    server.audit.record(who.name, "incident.view", incident.id, agency=who.agency)  # a read of the caller's notes
    return incident_json(incident, timeline=True)


@router.patch("/{incident_id}")
def patch_incident(incident_id: NamePath, body: IncidentPatch, server: ServerDep,
                   who: PrincipalDep) -> dict[str, Any]:
    manageable(server, who, incident_id)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if isinstance(changes.get("type"), IncidentType):
        changes["type"] = changes["type"].value
    if not changes:
        raise HTTPException(422, "a patch names at least one of type, priority, lat, lon, address, place, notes")
    return _changed(lambda: server.cad.incidents.update(incident_id, who.name, **changes))


@router.post("/{incident_id}/close")
def close_incident(incident_id: NamePath, body: CloseIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    manageable(server, who, incident_id)
    return _changed(lambda: server.cad.incidents.close(incident_id, who.name, body.disposition))


@router.post("/{incident_id}/reopen")
def reopen_incident(incident_id: NamePath, body: ReopenIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    manageable(server, who, incident_id)
    return _changed(lambda: server.cad.incidents.reopen(incident_id, who.name, body.reason))


@router.put("/{incident_id}/partners/{agency}")
def add_partner(incident_id: NamePath, agency: NamePath, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    manageable(server, who, incident_id)
    registered(server, agency)
    return _changed(lambda: server.cad.incidents.add_partner(incident_id, who.name, agency))


@router.delete("/{incident_id}/partners/{agency}")
def remove_partner(incident_id: NamePath, agency: NamePath, server: ServerDep,
                   who: PrincipalDep) -> dict[str, Any]:
    manageable(server, who, incident_id)
    registered(server, agency)
    return _changed(lambda: server.cad.incidents.remove_partner(incident_id, who.name, agency))


@router.get("/{incident_id}/recommendation")
async def recommendation(incident_id: NamePath, server: ServerDep, who: PrincipalDep,
                         top: Annotated[int, Query(ge=1, le=50)] = 5) -> dict[str, Any]:
    """The `top` units the caller may see, by road ETA, and why the others are left out."""
    incident = await run_in_threadpool(viewable, server, who, incident_id)
    snapshot = server.sharing.snapshot

    def visible(agency: str, unit: str) -> bool:
        return bool(decide(who, Action.VIEW, Target(Resource.UNIT, agency, unit_id=unit), snapshot))

    try:
        return await run_in_threadpool(server.cad.recommender.recommend, incident, visible, top)
    except DispatchError as exc:
        raise refused(exc) from None


def _changed(change: Callable[[], Incident]) -> dict[str, Any]:
    """The created or changed incident's JSON; the core's refusal as a 422 or 409 naming its reason."""
    try:
        return incident_json(change())
    except DispatchError as exc:
        raise refused(exc) from None


def _position(body: IncidentIn) -> tuple[float, float]:
    """The incident's position: lat and lon as given, else the position of the named Belize place."""
    if body.lat is not None and body.lon is not None:
        return float(body.lat), float(body.lon)
    if body.lat is not None or body.lon is not None:
        raise HTTPException(422, "lat and lon: give both, or neither and a place")
    if body.place is None:
        raise HTTPException(422, "location: give lat and lon, or a Belize place name in place")
    found = places.find(body.place)
    if found is None:
        near = places.close_matches(body.place)
        raise HTTPException(422, f"place: no Belize place {body.place!r}"
                                 + (f"; did you mean {', '.join(near)}?" if near else ""))
    return found.lat, found.lon
