"""Live cells, a cell's KPI history and the units' links (psn.net.kpis): cells and KPIs need NETWORK view
(unowned), each unit's link UNIT view of the unit's agency, decided per unit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from netmgmt.series import BadQuery
from psn.access import Action, Resource
from psn.api.deps import PrincipalDep, ServerDep, require_role_right
from psn.api.fields import LATEST_EPOCH_S, EpochQuery, NamePath

router = APIRouter(prefix="/api/v1/net", tags=["network"])
DEFAULT_WINDOW_S = 3600.0
MAX_STEP_S = 366 * 86400  # a year per point is coarser than any chart needs

FromQuery = Annotated[float | None, Query(alias="from", ge=0, le=LATEST_EPOCH_S, allow_inf_nan=False,
                                         description="epoch seconds (finite, 1970 to 9999)")]
StepQuery = Annotated[int | None, Query(ge=1, le=MAX_STEP_S, description="seconds per point")]


@router.get("/cells")
def list_cells(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.VIEW, Resource.NETWORK)
    return {"cells": server.net_kpis.cells()}


@router.get("/cells/{cell_id}/kpi")
def cell_kpi(cell_id: NamePath, server: ServerDep, who: PrincipalDep, start: FromQuery = None,
             to: EpochQuery = None, step: StepQuery = None) -> dict[str, Any]:
    """Points over [from, to) (default: the last hour) at `step` seconds (default: the finest that fits)."""
    require_role_right(server, who, Action.VIEW, Resource.NETWORK)
    if not server.net_kpis.knows(cell_id):
        raise HTTPException(404, f"no cell {cell_id!r}: neither in the inventory nor reporting KPIs")
    end = to if to is not None else server.clock.time()
    begin = start if start is not None else end - DEFAULT_WINDOW_S
    try:
        return server.net_kpis.series(cell_id, begin, end, step)
    except BadQuery as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/links")
def list_links(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """The latest link of every unit the principal may view."""
    return {"links": server.net_kpis.links(who), "period_s": server.net_kpis.period_s}
