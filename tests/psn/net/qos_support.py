"""The QoS tests' real pieces: psn on its own Mosquitto with a manual clock, and the network equipment's side of
the retained policy topic (a paho client that keeps every policy document it receives)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from psn.access import Role
from psn.clock import ManualClock
from telemetry.topics import NET_POLICY_TOPIC
from tests.support import Mosquitto, RunningServer, make_settings, publish_fix, publisher, wait_for

T0 = 1_764_612_000.0


class Equipment:
    """Subscribes the policy topic as the network equipment does; `documents` in arrival order, with whether each
    came as the retained copy (sent on subscribing) or live."""

    def __init__(self, mqtt_url: str) -> None:
        self.documents: list[dict[str, Any]] = []
        self.retained: list[bool] = []
        self._subscribed = threading.Event()
        self.client = publisher(mqtt_url)
        self.client.on_message = self._message
        self.client.on_subscribe = lambda *_args: self._subscribed.set()
        self.client.subscribe(NET_POLICY_TOPIC, qos=1)
        wait_for(self._subscribed.is_set)

    def _message(self, _client: object, _userdata: object, message: Any) -> None:
        self.retained.append(bool(message.retain))
        self.documents.append(json.loads(message.payload))

    def latest(self) -> dict[str, Any]:
        wait_for(lambda: self.documents)
        return self.documents[-1]

    def wait(self, predicate: Any) -> dict[str, Any]:
        """The latest document, once it satisfies `predicate` (each is the whole policy in force)."""
        found: dict[str, Any] = wait_for(lambda: self.documents and predicate(self.documents[-1])
                                         and self.documents[-1])
        return found

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def qos_server(tmp: Path, **settings: Any) -> Iterator[tuple[RunningServer, ManualClock, Mosquitto]]:
    broker = Mosquitto(tmp).start()
    clock = ManualClock(T0)
    running = RunningServer(make_settings(tmp, broker.url, **settings), clock).start()
    try:
        yield running, clock, broker
    finally:
        running.stop()
        broker.stop()


def known(server: RunningServer, *units: str) -> None:
    """Each unit reports a fix over MQTT, so psn knows it (an uplift names only units psn knows)."""
    for unit in units:
        agency, name = unit.split("/")
        publish_fix(server.mqtt_url, agency, name, 17.5, -88.2, ts=server.server.clock.time())
    wait_for(lambda: all(server.server.state.get(unit) for unit in units))


def audit(server: RunningServer, action: str) -> list[dict[str, Any]]:
    """The audit log's entries of `action` (as written: actor, target, detail)."""
    return [{"actor": e.actor, "target": e.target, **e.detail}
            for e in server.server.audit.file.read().entries if e.action == action]


def uplift(server: RunningServer, token: str, **body: Any) -> httpx.Response:
    body.setdefault("reason", "armed robbery in progress")
    return httpx.post(f"{server.base_url}/api/v1/net/uplifts", json=body, headers=bearer(token))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token(server: RunningServer, agency: str, role: Role) -> str:
    return server.token(agency, role, name=f"{agency}.{role}")
