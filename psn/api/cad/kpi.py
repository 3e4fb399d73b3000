"""Response KPIs over REST: `GET /api/v1/kpi/response?since&until`, over the incidents opened in the window that
the caller may view, by owning agency, priority and district (median and 90th percentile per stage)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

import dispatch
from dispatch import Incident, Stage, Summary
from psn.access import Action, Resource, Target, decide
from psn.api.deps import PrincipalDep, ServerDep
from psn.api.fields import EpochQuery
from psn.cad.districts import district_of

router = APIRouter(prefix="/api/v1/kpi", tags=["kpi"])
Groups = dict[str, dict[Stage, Summary]]


@router.get("/response")
def response_kpis(server: ServerDep, who: PrincipalDep, since: EpochQuery = None,
                  until: EpochQuery = None) -> dict[str, Any]:
    if since is not None and until is not None and until < since:
        raise HTTPException(422, f"until ({until}) is before since ({since})")
    snapshot = server.sharing.snapshot
    chosen: list[Incident] = [
        i for i in server.cad.incidents.all()
        if (since is None or i.opened >= since) and (until is None or i.opened <= until)
        and decide(who, Action.VIEW, Target(Resource.INCIDENT, i.owner, incident=i.id), snapshot)]
    kpis = dispatch.response_kpis(chosen, district_of)
    overall = dispatch.by_group(chosen, lambda _: "all").get("all", {})
    return {"stages": [s.value for s in Stage], "overall": _stages(overall),
            "by_agency": _groups(kpis.by_agency), "by_priority": _groups(kpis.by_priority),
            "by_district": _groups(kpis.by_district)}


def _stages(stages: dict[Stage, Summary]) -> dict[str, Any]:
    return {stage.value: {"median_s": s.median_s, "p90_s": s.p90_s, "count": s.count} for stage, s in stages.items()}


def _groups(groups: Groups) -> dict[str, Any]:
    return {name: _stages(stages) for name, stages in groups.items()}
