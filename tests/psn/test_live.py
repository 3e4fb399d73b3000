import asyncio
import json

from psn.live import LiveHub
from psn.state import LiveState
from telemetry import Fix, UnitRef


async def test_snapshot_then_coalesced_updates_filtered_per_client() -> None:
    state = LiveState()
    state.apply_fix(Fix(UnitRef("police", "P-1"), 1.0, 17.0, -88.0))
    hub = LiveHub(state, interval_s=3600)  # ticks driven by the test
    police: list[dict] = []
    nemo: list[dict] = []

    async def send_police(text: str) -> None:
        police.append(json.loads(text))

    async def send_nemo(text: str) -> None:
        nemo.append(json.loads(text))

    tasks = [asyncio.create_task(hub.serve(send_police, lambda u: u.agency == "police")),
             asyncio.create_task(hub.serve(send_nemo, lambda u: u.agency == "nemo"))]
    await asyncio.sleep(0.01)
    assert police[0] == {"type": "snapshot", "units": [state.snapshot()[0].to_json()]}
    assert nemo[0]["units"] == []
    state.drain()
    for i in range(50):
        state.apply_fix(Fix(UnitRef("police", "P-1"), 2.0 + i, 17.0 + i / 100, -88.0))
        state.apply_fix(Fix(UnitRef("nemo", "N-1"), 2.0 + i, 16.0, -88.0))
    hub.tick()
    await asyncio.sleep(0.01)
    assert len(police) == 2 and [u["lat"] for u in police[1]["units"]] == [17.49]
    assert [u["id"] for u in nemo[1]["units"]] == ["nemo/N-1"]
    # Two ticks before a client gets to send: the older update is merged into the newer and counted.
    for ts in (100.0, 101.0):
        state.apply_fix(Fix(UnitRef("police", "P-1"), ts, 17.6, -88.0))
        hub.tick()
    await asyncio.sleep(0.01)
    assert len(police) == 3 and hub.coalesced == 1
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
