"""The programme dashboard over REST: `GET /api/v1/kpi/programme` (the national strategy's indicators, each with
its source, or why it is not available), `POST /api/v1/kpi/programme/training` (a trainer records an officer's
completed training; audited), and the page `/programme`.

Who sees what (psn.access, Resource.PROGRAMME): network admins and trainers the national figures (with the
count per agency), an agency admin its own agency's (national-only figures — agencies on the network, traffic,
security events, the network — stay national and say so in `scope`); a trainer records trainings for any
agency's officers. Everyone else gets 403."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import Response

from netmgmt.programme import TrainingError, scope_name
from psn.access import Action, Resource, Target, visible_agencies
from psn.api.deps import PrincipalDep, ServerDep, authorize, page_for_signed_in
from psn.net.programme import DuplicateTraining, figures_json
from psn.web import STATIC_DIR

router = APIRouter(tags=["kpi"])
PAGE = "/programme"


@router.get("/api/v1/kpi/programme")
def programme(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    scope = visible_agencies(who, Resource.PROGRAMME, server.sharing.snapshot)
    if scope is not None and not scope:
        authorize(server, who, Action.VIEW, Target(Resource.PROGRAMME, who.agency))  # raises 403 with the reason
    return {"generated": server.clock.time(), "scope": scope_name(scope),
            "figures": figures_json(server.programme.figures(scope))}


@router.post("/api/v1/kpi/programme/training", status_code=201)
def record_training(server: ServerDep, who: PrincipalDep, body: Annotated[Any, Body()]) -> dict[str, Any]:
    authorize(server, who, Action.MANAGE, Target(Resource.PROGRAMME, who.agency))

    def may_record(agency: str) -> None:
        authorize(server, who, Action.MANAGE, Target(Resource.PROGRAMME, agency))

    try:
        record = server.programme.record_training(body, who.name, may_record)
    except TrainingError as exc:
        raise HTTPException(422, str(exc)) from None
    except DuplicateTraining as exc:
        raise HTTPException(409, str(exc)) from None
    return {"officer": record.officer, "agency": record.agency, "course": record.course,
            "completed": record.completed, "recorded_by": who.name}


@router.get(PAGE, include_in_schema=False)
def page(request: Request) -> Response:
    return page_for_signed_in(request, PAGE, STATIC_DIR / "programme.html")
