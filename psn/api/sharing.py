"""Sharing between agencies: standing agreements and the emergency declaration. Incident shares are read here
but made only by the incidents themselves (`/api/v1/incidents/{id}/partners/{agency}` and the units on the
incident): one notion of incident, kept by `psn.cad.incidents`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from psn.access import GRANTABLE_MANAGE, SHAREABLE, Action, Agreement, Resource, Target
from psn.api.deps import PrincipalDep, ServerDep, authorize
from psn.api.fields import Name, registered

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])
EMERGENCY_AUTHORITY = "nemo"  # the agency whose admins declare a national emergency
STORE_INT_MAX = 2**63 - 1  # the largest id PostgreSQL's BIGINT (and SQLite's INTEGER) holds


class AgreementIn(BaseModel):
    grantee: Name
    resources: list[Resource] = Field(min_length=1, max_length=len(Resource))
    only_during_emergency: bool = False


class EmergencyIn(BaseModel):
    declared: bool


@router.get("")
def sharing_state(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    snapshot = server.sharing.snapshot
    return {
        "emergency": snapshot.emergency,
        "agreements": [
            {"id": a.id, "owner": a.agreement.owner, "grantee": a.agreement.grantee,
             "resources": sorted(a.agreement.resources), "only_during_emergency": a.agreement.only_during_emergency}
            for a in server.sharing.agreements if who.agency in (a.agreement.owner, a.agreement.grantee)
        ],
        "incidents": [
            {"incident": i.incident, "owner": i.owner, "partners": sorted(i.partners), "units": sorted(i.units),
             "open": i.open}
            for i in snapshot.incidents if who.agency == i.owner or who.agency in i.partners
        ],
    }


@router.post("/agreements", status_code=201)
def add_agreement(body: AgreementIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """An agency admin opens some of the agency's data to another agency."""
    authorize(server, who, Action.MANAGE, Target(Resource.SHARING, who.agency))
    registered(server, body.grantee, 422)
    if body.grantee == who.agency:
        raise HTTPException(422, f"grantee must be another agency than {who.agency!r}")
    # QOS: the grantee's dispatchers may uplift the owner's units (psn.access.GRANTABLE_MANAGE).
    if not set(body.resources) <= SHAREABLE | GRANTABLE_MANAGE:
        raise HTTPException(422, f"only {sorted(SHAREABLE | GRANTABLE_MANAGE)} can be shared")
    agreement = Agreement(who.agency, body.grantee, frozenset(body.resources), body.only_during_emergency)
    new_id = server.sharing.add_agreement(agreement, who.name)
    server.audit.record(who.name, "sharing.agreement.add", f"{who.agency}->{body.grantee}", id=new_id,
                        resources=sorted(body.resources), only_during_emergency=body.only_during_emergency)
    return {"id": new_id}


@router.delete("/agreements/{agreement_id}")
def remove_agreement(agreement_id: Annotated[int, Path(ge=1, le=STORE_INT_MAX)], server: ServerDep,
                     who: PrincipalDep) -> dict[str, Any]:
    owned = [a for a in server.sharing.agreements if a.id == agreement_id]
    if not owned:
        raise HTTPException(404, f"no agreement {agreement_id}")
    authorize(server, who, Action.MANAGE, Target(Resource.SHARING, owned[0].agreement.owner))
    server.sharing.remove_agreement(agreement_id)
    server.audit.record(who.name, "sharing.agreement.remove", str(agreement_id))
    return {"removed": agreement_id}


@router.put("/emergency")
def declare_emergency(body: EmergencyIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    authorize(server, who, Action.MANAGE, Target(Resource.SHARING, EMERGENCY_AUTHORITY))
    server.sharing.set_emergency(body.declared)
    server.audit.record(who.name, "sharing.emergency", "national", declared=body.declared)
    return {"emergency": body.declared}
