"""The live WebSocket under abuse from one client (binary, garbage, invalid UTF-8, oversized and floods of
frames): each abusive connection is closed with its RFC 6455 code, while a well-behaved client on the same
server keeps receiving updates, and nothing is logged as an unhandled error."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from psn.access import Role
from tests.support import RunningServer, publisher, server_with_units, wait_for

pytestmark = pytest.mark.timeout(120)


class Errors(logging.Handler):
    """Every record at ERROR or above, from any logger and thread (uvicorn logs unhandled ones as errors)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with server_with_units(Path(tmp_path_factory.mktemp("live-abuse")), [("police", "P-1")]) as running:
        yield running


@pytest.fixture
def errors() -> Iterator[Errors]:
    handler = Errors()
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "psn")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def close_code(ws: ClientConnection, abuse: Callable[[ClientConnection], None]) -> int | None:
    """The code the server closed with within 5 s of `abuse` (None: still open; sends that hit a closed
    connection end the abuse)."""
    ws.recv(timeout=5)  # the snapshot: the connection is live before the abuse starts
    deadline = time.monotonic() + 5
    try:
        abuse(ws)
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))  # updates may still come before the close
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None
    except TimeoutError:
        pass
    return None


def flood(ws: ClientConnection) -> None:
    for i in range(5000):
        ws.send(f'{{"n": {i}}}')


ABUSES: dict[str, tuple[Callable[[ClientConnection], None], int]] = {
    # abuse -> the close code RFC 6455 gives it
    "binary frame": (lambda ws: ws.send(b"\x00\x01\x02"), 1003),
    "JSON garbage": (lambda ws: ws.send('{"type": "subscribe", "agency": ["'), 1008),
    "well-formed JSON": (lambda ws: ws.send('{"type": "ping"}'), 1008),
    "invalid UTF-8 in a text frame": (lambda ws: ws.send(b"\xc3\x28\xff", text=True), 1007),
    "text of 1 MiB and a byte": (lambda ws: ws.send("x" * (1024 * 1024 + 1)), 1009),
    "binary of 8 MiB": (lambda ws: ws.send(bytes(8 * 1024 * 1024)), 1009),
    "5,000 frames at once": (flood, 1008),
}


def test_abusive_clients_are_closed_and_others_keep_their_feed(server: RunningServer, errors: Errors) -> None:
    token = server.token("police", Role.DISPATCHER)
    url = f"{server.ws_url}/api/v1/live?access_token={token}"
    updates: list[float] = []  # arrival times of updates at the well-behaved client
    stop = threading.Event()

    def watch() -> None:
        with connect(url) as good:
            assert json.loads(good.recv(timeout=5))["type"] == "snapshot"
            while not stop.is_set():
                try:
                    message = json.loads(good.recv(timeout=1))
                except TimeoutError:
                    continue
                if message["type"] == "update":
                    updates.append(time.monotonic())

    def move() -> None:
        client = publisher(server.mqtt_url, mqtt5=False)
        step = 0
        while not stop.is_set():
            step += 1
            fix = {"ts": time.time(), "lat": 17.5 + step / 10_000, "lon": -88.2}
            client.publish("psn/v1/police/P-1/telemetry", json.dumps(fix), qos=1)
            time.sleep(0.1)
        client.disconnect()
        client.loop_stop()

    threads = [threading.Thread(target=watch, daemon=True), threading.Thread(target=move, daemon=True)]
    for thread in threads:
        thread.start()
    codes: dict[str, int | None] = {}
    served: dict[str, bool] = {}
    try:
        wait_for(lambda: len(updates) >= 3)
        for name, (abuse, _) in ABUSES.items():
            started = time.monotonic()
            with connect(url, max_size=None) as bad:
                codes[name] = close_code(bad, abuse)
            # The well-behaved client was served while this abuse went on, and after it.
            served[name] = bool(wait_for(lambda started=started: [t for t in updates if t > started], timeout=5))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    assert codes == {name: code for name, (_, code) in ABUSES.items()}
    assert [r.getMessage() for r in errors.records] == []
    assert wait_for(lambda: len(server.server.hub.clients) == 0), "every connection let go"
    refused = httpx.get(f"{server.base_url}/api/v1/stats",
                        headers=server.headers("police", Role.NETWORK_ADMIN)).json()["http_refused"]
    assert {code: refused.get(code) for code in ("ws_1003", "ws_1007", "ws_1008", "ws_1009")} == {
        "ws_1003": 1, "ws_1007": 1, "ws_1008": 3, "ws_1009": 2}
