"""The field officer's own endpoints (`/api/v1/me…`): signing on to a unit for the shift, who they are and
what their unit is doing, and the outbox their phone flushes — each item ingested as the crewed unit's own
MQTT message would be (`psn.gateways.http_units`)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from psn.access import Principal, Role
from psn.api.deps import PrincipalDep, ServerDep
from psn.gateways.http_units import MAX_BODY, MAX_ITEMS, HttpUnits
from psn.server import Server
from telemetry.topics import NAME_PART

router = APIRouter(prefix="/api/v1/me", tags=["phone"])
CREW_ROLES = frozenset({Role.FIELD_OFFICER, Role.DISPATCHER})
NOT_SIGNED_ON = "sign on to a unit first: PUT /api/v1/me/unit {\"unit\": \"P-12\"}"


class SignOn(BaseModel):
    unit: Annotated[str, Field(pattern=rf"^(?:{NAME_PART}/)?{NAME_PART}$",
                               description="a unit of the caller's agency: 'P-12' (or 'police/P-12')")]


def me_json(server: Server, who: Principal) -> dict[str, Any]:
    unit = server.cad.crew.unit_of(who.name)
    state, incident = server.cad.board.state(unit) if unit is not None else (None, None)
    return {"user": who.name, "agency": who.agency, "roles": sorted(who.roles), "unit": unit,
            "state": state.value if state is not None else None, "incident": incident}


def _crew_member(who: Principal) -> None:
    if who.is_device or not who.roles & CREW_ROLES:
        raise HTTPException(403, "not allowed: crewing a unit needs a person with the field_officer or "
                                 "dispatcher role")


def _crewed(server: Server, who: Principal) -> str:
    _crew_member(who)
    unit = server.cad.crew.unit_of(who.name)
    if unit is None:
        raise HTTPException(409, NOT_SIGNED_ON)
    return unit


@router.get("")
def get_me(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    return me_json(server, who)


@router.put("/unit")
def sign_on(body: SignOn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """The caller crews `unit` of their own agency from now on (until signed off or the server restarts)."""
    _crew_member(who)
    agency, _, name = body.unit.rpartition("/")
    if agency and agency != who.agency:
        raise HTTPException(403, f"not allowed: an officer of {who.agency} signs on to a unit of {who.agency}, "
                                 f"not {body.unit}")
    if name.startswith("_"):
        raise HTTPException(422, f"unit {name!r}: names starting with '_' are psn's own")
    unit = f"{who.agency}/{name}"
    before = server.cad.crew.sign_on(who.name, unit)
    server.audit.record(who.name, "crew.sign_on", unit, before=before)
    return me_json(server, who)


@router.delete("/unit")
def sign_off(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    unit = _crewed(server, who)
    server.cad.crew.sign_off(who.name)
    server.audit.record(who.name, "crew.sign_off", unit)
    return me_json(server, who)


@router.post("/outbox")
async def outbox(request: Request, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """`[{"kind": "telemetry"|"status"|"alert"|"ack", "payload": {…}}, …]`, handled in order as the crewed
    unit's messages → `{"results": [{"ok", "detail"}, …]}`, one per item, in the same order."""
    unit = _crewed(server, who)
    body = bytearray()
    async for chunk in request.stream():  # counted as it arrives: a huge body is refused, never held
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"the outbox body is over {MAX_BODY} bytes: send fewer items at a time")
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(422, f"the body must be JSON: {exc}") from None
    if not isinstance(items, list):
        raise HTTPException(422, "the body must be a JSON array of items {\"kind\", \"payload\"}")
    if len(items) > MAX_ITEMS:
        raise HTTPException(413, f"at most {MAX_ITEMS} items per request, not {len(items)}")
    gateway = HttpUnits(server.ingest.handle, server.stats.reject)
    results = await run_in_threadpool(gateway.handle, unit, items)
    return {"results": [result.to_json() for result in results]}
