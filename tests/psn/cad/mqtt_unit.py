"""A unit for the dispatch shell's tests end to end: a real paho client on its `cmd` topic that answers on its
`ack` topic (consoles on `/api/v1/live` are tests/psn/cad/consoles.py)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from tests.support import publish, publisher, wait_for


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
        self.client.disconnect()
        self.client.loop_stop()
