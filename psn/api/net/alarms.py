"""Network alarms over REST: list (`state=active|all`, `since`), one with its history (NETWORK view), and the
acknowledgement (NETWORK manage; audited with who). A unit_no_coverage alarm's unit shows as `{agency}/…` to
whoever may not view that unit."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from netmgmt.alarms import AlarmError
from psn.access import Action, Resource
from psn.api.deps import PrincipalDep, ServerDep, require_role_right
from psn.api.fields import EpochQuery
from psn.net.alarms import visible_json

router = APIRouter(prefix="/api/v1/net/alarms", tags=["network"])
AlarmId = Annotated[str, Path(pattern=r"^AL-[0-9]{1,12}$", description="an alarm id, e.g. AL-12")]
# A day of a flapping network is a few hundred alarms; a page far larger only slows the console.
MAX_LIMIT = 5000


class Which(enum.StrEnum):
    ACTIVE = "active"
    ALL = "all"


@router.get("")
def list_alarms(server: ServerDep, who: PrincipalDep, state: Which = Which.ACTIVE, since: EpochQuery = None,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="newest changes first")] = 500,
                ) -> dict[str, Any]:
    """Alarms newest change first: the active ones (raised or acknowledged), or all, changed at or after `since`."""
    require_role_right(server, who, Action.VIEW, Resource.NETWORK)
    sharing = server.sharing.snapshot
    alarms = server.alarms.alarms(state is Which.ACTIVE, since, limit)
    return {"alarms": [visible_json(alarm, who, sharing) for alarm in alarms]}


@router.get("/{alarm_id}")
def one_alarm(alarm_id: AlarmId, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    """The alarm and its history, every transition oldest first."""
    require_role_right(server, who, Action.VIEW, Resource.NETWORK)
    found = server.alarms.alarm(alarm_id)
    if found is None:
        raise HTTPException(404, f"no alarm {alarm_id!r}")
    alarm, history = found
    return {**visible_json(alarm, who, server.sharing.snapshot), "history": history}


@router.post("/{alarm_id}/ack")
def acknowledge(alarm_id: AlarmId, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.MANAGE, Resource.NETWORK)
    try:
        alarm = server.alarms.acknowledge(alarm_id, who)
    except KeyError:
        raise HTTPException(404, f"no alarm {alarm_id!r}") from None
    except AlarmError as exc:
        raise HTTPException(409, str(exc)) from None
    return visible_json(alarm, who, server.sharing.snapshot)
