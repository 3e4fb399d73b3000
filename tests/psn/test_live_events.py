"""Events on the live hub: delivered to the audience only, in order, from any thread, never coalesced, bounded."""

import asyncio
import json
import threading

from psn import live
from psn.access import Principal, Role
from psn.live import LiveHub
from psn.state import LiveState

POLICE = Principal("p.dispatch", "police", frozenset({Role.DISPATCHER}))
NEMO = Principal("n.dispatch", "nemo", frozenset({Role.DISPATCHER}))
SLOW = Principal("p.slow", "police", frozenset({Role.DISPATCHER}))


async def _clients(hub: LiveHub) -> tuple[list[dict], list[dict], list[asyncio.Task[None]]]:
    police: list[dict] = []
    nemo: list[dict] = []

    async def send_police(text: str) -> None:
        police.append(json.loads(text))

    async def send_nemo(text: str) -> None:
        nemo.append(json.loads(text))

    tasks = [asyncio.create_task(hub.serve(send_police, lambda _u: True, POLICE)),
             asyncio.create_task(hub.serve(send_nemo, lambda _u: True, NEMO))]
    await asyncio.sleep(0.01)
    return police, nemo, tasks


async def _end(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_events_reach_their_audience_in_order_and_are_not_coalesced() -> None:
    hub = LiveHub(LiveState(), interval_s=3600)
    await hub.start()
    police, nemo, tasks = await _clients(hub)
    for n in range(3):
        hub.notify("alert", {"n": n}, lambda who: who.agency == "police")
    hub.notify("message", {"text": "to both"}, lambda _who: True)
    await asyncio.sleep(0.01)
    assert police[1:] == [{"type": "alert", "n": 0}, {"type": "alert", "n": 1}, {"type": "alert", "n": 2},
                          {"type": "message", "text": "to both"}]
    assert nemo[1:] == [{"type": "message", "text": "to both"}]
    assert hub.events_sent == 5
    await _end(tasks)
    await hub.stop()


async def test_notify_from_another_thread_is_delivered_on_the_loop() -> None:
    hub = LiveHub(LiveState(), interval_s=3600)
    await hub.start()
    police, _nemo, tasks = await _clients(hub)
    thread = threading.Thread(target=hub.notify, args=("alert", {"from": "mqtt"}, lambda _w: True))
    thread.start()
    thread.join()
    await asyncio.sleep(0.05)
    assert police[-1] == {"type": "alert", "from": "mqtt"}
    await _end(tasks)
    await hub.stop()
    hub.notify("alert", {}, lambda _w: True)  # after stop: nobody to tell, and no error


async def test_a_faulty_audience_skips_nobody_else_and_a_client_far_behind_is_ended_not_sent_a_gap(
        monkeypatch) -> None:
    monkeypatch.setattr(live, "EVENT_QUEUE", 3)
    hub = LiveHub(LiveState(), interval_s=3600)
    await hub.start()
    police, nemo, tasks = await _clients(hub)

    def audience(who: Principal) -> bool:
        if who.agency == "police":
            raise RuntimeError("broken check")
        return True

    hub.notify("alert", {"n": -1}, audience)
    await asyncio.sleep(0.01)
    assert police[1:] == [] and nemo[1:] == [{"type": "alert", "n": -1}]
    gate = asyncio.Event()
    blocked: list[dict] = []

    async def slow(text: str) -> None:
        blocked.append(json.loads(text))
        await gate.wait()

    slow_task = asyncio.create_task(hub.serve(slow, lambda _u: True, SLOW))
    await asyncio.sleep(0.01)  # the snapshot send blocks on the gate
    for n in range(3):
        hub.notify("alert", {"n": n}, lambda _w: True)
    await asyncio.sleep(0.01)
    gate.set()
    await asyncio.sleep(0.01)
    # Three behind is the limit, not past it: the slow client gets every one, in order.
    assert [m.get("n") for m in blocked[1:]] == [0, 1, 2] and not slow_task.done()
    gate.clear()
    hub.notify("alert", {"n": 3}, lambda w: w is SLOW)  # its send blocks again
    await asyncio.sleep(0.01)
    for n in range(4, 8):
        hub.notify("alert", {"n": n}, lambda w: w is SLOW)
    gate.set()
    await asyncio.wait_for(slow_task, 1)  # ended: no event after a gap, it reconnects and reads again
    assert [m.get("n") for m in blocked[1:]] == [0, 1, 2, 3]
    assert hub.clients_behind == 1 and len(hub.clients) == 2
    await _end(tasks)
    await hub.stop()


def test_a_console_too_far_behind_is_closed_with_1013_and_may_reconnect(monkeypatch, psn_server) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    token = psn_server.token("police")
    monkeypatch.setattr(live, "EVENT_QUEUE", 0)  # any event finds the client "behind"
    with connect(f"{psn_server.ws_url}/api/v1/live?access_token={token}") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        psn_server.server.hub.notify("alert", {"n": 1}, lambda _w: True)
        try:
            ws.recv(timeout=5)
            raise AssertionError("the feed went on after a gap")
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1013
    monkeypatch.setattr(live, "EVENT_QUEUE", 1000)
    with connect(f"{psn_server.ws_url}/api/v1/live?access_token={token}") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
    assert psn_server.stats()["live_clients_behind"] == 1
