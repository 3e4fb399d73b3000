"""The production shape runs: Mosquitto (mTLS, generated ACL, persistence), one PostgreSQL database, psn instances a
and b, nginx in front (tests/topology.py, the processes compose.yml describes). Through the proxy a person signs
in, calls the REST API and opens the live WebSocket; a token one instance issued holds on the other; and units
publishing to the broker with their own certificates appear on a live feed connected to a directly, to b
directly and through the proxy."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.support import wait_for
from tests.topology import ADMIN, PASSWORD, UNITS, Topology, running

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    with running() as started:
        yield started


def sign_in(base: str, topology: Topology) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/auth/login", data={"name": ADMIN[0], "password": PASSWORD},
                      verify=topology.tls_context(), timeout=30)


def units_seen(ws: ClientConnection, wanted: set[str], deadline: float) -> set[str]:
    """The unit ids of `wanted` the feed shows (snapshot or updates) before `deadline`."""
    seen: set[str] = set()
    while not wanted <= seen and time.monotonic() < deadline:
        try:
            message: dict[str, Any] = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        seen.update(unit["id"] for unit in message.get("units", ()))
    return seen & wanted


def test_sign_in_rest_and_a_token_good_on_every_instance(topology: Topology) -> None:
    answer = sign_in(topology.proxy_url, topology)
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{topology.proxy_url}/api/v1/auth/me", headers=headers, verify=topology.tls_context())
    assert me.status_code == 200 and me.json()["name"] == ADMIN[0]
    # Signed by whichever instance the proxy chose: both verify it (the token signing keys are shared).
    for instance in topology.instances.values():
        assert httpx.get(f"{instance.url}/api/v1/auth/me", headers=headers).json()["name"] == ADMIN[0]
    # And each instance by its name behind the proxy, as psn names one to a video viewer.
    for name in topology.instances:
        assert httpx.get(f"{topology.proxy_url}/instance/{name}/readyz",
                         verify=topology.tls_context()).status_code == 200


def test_video_of_one_stream_goes_to_one_instance_and_the_rest_round_robin(topology: Topology) -> None:
    """Where the proxy sends what (its access log names the upstream): every WHIP/WHEP request of a stream, the
    sessions' DELETEs too, to one instance; the streams spread over both; REST alternates; /instance/{name}/ is
    that instance. psn's answers do not matter here (no tokens: 401s), only where they came from."""
    client = httpx.Client(base_url=topology.proxy_url, verify=topology.tls_context(), timeout=30)
    start = len(topology.routes())
    streams = [f"police:P-{n}" for n in range(20)]
    for stream in streams:
        for door in ("whip", "whep", "whep"):
            client.post(f"/{door}/{stream}", content=b"v=0", headers={"Content-Type": "application/sdp"})
        client.delete(f"/whep/{stream}/0123456789abcdef")
    for _ in range(4):
        client.get("/api/v1/units")
    for name in topology.instances:
        client.get(f"/instance/{name}/healthz")
    sent = len(streams) * 4 + 4 + len(topology.instances)
    # nginx logs a request after its answer went out: the last lines may follow the answers by a moment.
    routes = wait_for(lambda: len(topology.routes()) - start >= sent and topology.routes()[start:])
    where: dict[str, set[str]] = {}
    for _method, path, instance in routes:
        if path.startswith(("/whip/", "/whep/")):
            where.setdefault(path.split("/")[2], set()).add(instance)
    assert set(where) == set(streams) and all(len(found) == 1 for found in where.values()), where
    assert {found for (found,) in where.values()} == set(topology.instances)
    rest = [instance for _m, path, instance in routes if path == "/api/v1/units"]
    assert rest in (["a", "b", "a", "b"], ["b", "a", "b", "a"])
    assert [(path, instance) for _m, path, instance in routes if path.startswith("/instance/")] == \
        [(f"/instance/{name}/healthz", name) for name in topology.instances]


def test_units_appear_on_every_instance_and_through_the_proxy(topology: Topology) -> None:
    token = sign_in(topology.proxy_url, topology).json()["token"]
    feeds = {name: connect(f"{i.ws_url}/api/v1/live?access_token={token}", open_timeout=10)
             for name, i in topology.instances.items()}
    feeds["proxy"] = connect(f"{topology.proxy_ws_url}/api/v1/live?access_token={token}",
                             ssl=topology.tls_context(), open_timeout=10)
    try:
        for ws in feeds.values():
            assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        clients = [topology.unit_client(agency, unit) for agency, unit in UNITS]
        wanted = {f"{agency}/{unit}" for agency, unit in UNITS}
        for client, (agency, unit) in zip(clients, UNITS, strict=True):
            fix = {"ts": time.time(), "lat": 17.25, "lon": -88.77}
            client.publish(f"psn/v1/{agency}/{unit}/telemetry", json.dumps(fix), qos=1).wait_for_publish(10)
        deadline = time.monotonic() + 15
        seen = {name: units_seen(ws, wanted, deadline) for name, ws in feeds.items()}
        assert seen == {name: wanted for name in feeds}
        for client in clients:
            client.disconnect()
            client.loop_stop()
    finally:
        for ws in feeds.values():
            ws.close()
