"""Messages: post to an incident's thread, an agency or a unit (a unit's goes out as an acknowledged `cmd`), and
read a thread — each decided by the one rule of psn.cad.messages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from psn.access import Decision, Principal
from psn.api.deps import PrincipalDep, ServerDep
from psn.api.fields import Name, UnitId, registered
from psn.cad.messages import TEXT_MAX, may_post, may_read
from psn.security_events import Kind
from psn.server import Server
from telemetry.topics import NAME, NAME_PART

router = APIRouter(prefix="/api/v1", tags=["messages"])


class MessageIn(BaseModel):
    incident: Name | None = None
    agency: Name | None = None
    unit: UnitId | None = None
    text: str = Field(min_length=1, max_length=TEXT_MAX)


def _addressee(incident: str | None, agency: str | None, unit: str | None) -> tuple[str, str]:
    given = [(kind, to) for kind, to in (("incident", incident), ("agency", agency), ("unit", unit))
             if to is not None]
    if len(given) != 1:
        raise HTTPException(422, f"incident, agency, unit: exactly one is needed, not {len(given)}")
    return given[0]


def _owner(server: Server, who: Principal, kind: str, to: str) -> str:
    """Whose key seals the thread: an incident's owner (404 for no such incident), else the caller's agency."""
    if kind == "incident":
        owner = server.cad.messages.owner_of(to)
        if owner is None:
            raise HTTPException(404, f"no incident {to}")
        return owner
    registered(server, to.split("/", 1)[0], 422)
    return who.agency


def _allowed(server: Server, who: Principal, kind: str, to: str, owner: str, decision: Decision) -> None:
    """A denial is a 403 with its reason; across agencies also a security event, as `authorize` does."""
    if decision:
        return
    agency = owner if kind == "incident" else to.split("/", 1)[0]
    if agency != who.agency:
        server.security.report(Kind.ACCESS_DENIED, who.name, action="message", resource=kind, agency=agency,
                               target=to, reason=decision.reason)
    raise HTTPException(403, f"not allowed: {decision.reason}")


@router.post("/messages", status_code=201)
def post_message(body: MessageIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    kind, to = _addressee(body.incident, body.agency, body.unit)
    if not body.text.strip():
        raise HTTPException(422, "text: must hold more than white space")
    if "\x00" in body.text:  # PostgreSQL's text cannot hold NUL (the column holds text in clear without keys)
        raise HTTPException(422, "text: must not contain NUL characters")
    owner = _owner(server, who, kind, to)
    _allowed(server, who, kind, to, owner, may_post(who, kind, to, owner, server.sharing.snapshot))
    if kind == "unit" and server.state.get(to) is None:
        raise HTTPException(404, f"no unit {to}: psn has never heard from it")
    return server.cad.messages.post(who, kind, to, owner, body.text).to_json()


@router.get("/messages")
def list_messages(server: ServerDep, who: PrincipalDep,
                  incident: Annotated[str | None, Query(pattern=NAME.pattern)] = None,
                  agency: Annotated[str | None, Query(pattern=NAME.pattern)] = None,
                  unit: Annotated[str | None, Query(pattern=rf"^{NAME_PART}/{NAME_PART}$")] = None,
                  ) -> dict[str, Any]:
    """One thread, oldest first (its newest 500), as far as the caller may read it."""
    kind, to = _addressee(incident, agency, unit)
    owner = _owner(server, who, kind, to)
    _allowed(server, who, kind, to, owner, may_read(who, kind, to, owner, who.agency, server.sharing.snapshot))
    return {"messages": [m.to_json() for m in server.cad.messages.thread(who, kind, to)]}
