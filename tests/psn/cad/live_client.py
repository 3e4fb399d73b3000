"""Test clients for the dispatch shell end to end: a unit as a real paho client on its `cmd` topic, and a
console on `/api/v1/live` that keeps every event it receives."""

from __future__ import annotations

import json
import threading
import time
from types import TracebackType
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.support import RunningServer, publish, publisher, wait_for


class Unit:
    """A unit's MQTT client: receives its commands, answers on its own `ack` topic."""

    def __init__(self, mqtt_url: str, agency: str, unit: str) -> None:
        self.url, self.agency, self.unit = mqtt_url, agency, unit
        self.received: list[dict[str, Any]] = []
        self._subscribed = threading.Event()
        self.client = publisher(mqtt_url)
        self.client.on_message = lambda _c, _u, msg: self.received.append(json.loads(msg.payload))
        self.client.on_subscribe = lambda *_args: self._subscribed.set()
        self.client.subscribe(f"psn/v1/{agency}/{unit}/cmd", qos=1)
        wait_for(self._subscribed.is_set)

    def ack(self, ref: str, result: str, note: str | None = None) -> None:
        body: dict[str, Any] = {"ts": time.time(), "ref": ref, "result": result}
        if note is not None:
            body["note"] = note
        publish(self.url, f"psn/v1/{self.agency}/{self.unit}/ack", body)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class Console:
    """A live WebSocket of one principal; `events(kind)` lists what arrived of that kind so far."""

    def __init__(self, running: RunningServer, token: str) -> None:
        self.ws: ClientConnection = connect(f"{running.ws_url}/api/v1/live?access_token={token}")
        self.seen: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for text in self.ws:
                self.seen.append(json.loads(text))
        except Exception:  # the connection closed: the test is over
            return

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in list(self.seen) if event["type"] == kind]

    def __enter__(self) -> Console:
        wait_for(lambda: self.events("snapshot"))
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.ws.close()
        self._reader.join(timeout=5)
