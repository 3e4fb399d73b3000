"""Network management's HTTP routers (`psn.net`): the inventory, cells and their KPIs, alarms, QoS and uplifts,
radio conditions at a point, faults for drills, the programme dashboard and the network view's page, one module
each, joined into the one `router` the app includes. Each part adds itself to `PARTS`."""

from types import ModuleType

from fastapi import APIRouter

from psn.api.net import alarms, cells, faults, inventory, page, programme, qos, radio

PARTS: tuple[ModuleType, ...] = (inventory, cells, alarms, qos, radio, faults, programme, page)

router = APIRouter()
for part in PARTS:
    router.include_router(part.router)

__all__ = ["router"]
