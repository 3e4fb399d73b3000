"""Real components for tests: Mosquitto brokers on free ports, PostgreSQL databases, a running psn server."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import psycopg
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion

from psn.access import Principal, Role
from psn.api import create_app
from psn.api.live import MAX_CLIENT_FRAME
from psn.clock import Clock
from psn.config import Settings
from psn.mqtt import BrokerURL, free_port
from psn.server import Server
from psn.store.schema import users

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@dataclass
class Mosquitto:
    """A private Mosquitto on a free loopback port: never the system broker, never shared between tests."""

    workdir: Path
    port: int = field(default_factory=free_port)
    extra: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Mosquitto:
        conf = self.workdir / f"mosquitto-{self.port}.conf"
        # set_tcp_nodelay: without it each small reply (a PUBACK) can wait out Nagle's algorithm against the
        # client's delayed ACK, about 40 ms: bench.probe_mqtt.publish waits for the acks of each simulated second,
        # and tests/traffic/test_sumo_end_to_end.py took 32.1 s with the default and 11.8 s with it (same session).
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 100000\nmax_inflight_messages 1000\nset_tcp_nodelay true\n" + self.extra
        )
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stderr=subprocess.PIPE)
        wait_for(self._listening, timeout=10)
        return self

    def _listening(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"psn_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RunningServer:
    """psn really started (uvicorn on a free port, in a thread), with handles for tests."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.server = Server(settings) if clock is None else Server(settings, clock)
        self.web = uvicorn.Server(
            uvicorn.Config(create_app(self.server), host="127.0.0.1", port=settings.port, log_level="warning",
                           ws_max_size=MAX_CLIENT_FRAME)
        )
        self._thread = threading.Thread(target=self.web.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings.port}"

    @property
    def mqtt_url(self) -> str:
        return str(self.server.broker_url)

    def token(self, agency: str = "police", *roles: Role, name: str | None = None) -> str:
        """A signed token for an account of `agency` (dispatcher unless roles are given), created if needed.
        The account gets no usable password (tests sign in by token; argon2 for each would be slow)."""
        who = Principal(name or f"{agency}.{'-'.join(sorted(roles)) or 'test'}", agency,
                        frozenset(roles or (Role.DISPATCHER,)))
        with self.server.db.engine.begin() as conn:
            conn.execute(users.delete().where(users.c.name == who.name))
            conn.execute(users.insert().values(name=who.name, agency=agency, roles=",".join(sorted(who.roles)),
                                               password_hash="!", failed_logins=0, locked_until=0.0,
                                               disabled=False, created=0.0))
        return self.server.auth.issue_user(who).token

    def headers(self, agency: str = "police", *roles: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(agency, *roles)}"}

    def units(self) -> dict[str, dict[str, Any]]:
        """Every unit, as the dispatchers of all agencies together see them."""
        found: dict[str, dict[str, Any]] = {}
        for agency in self.settings.agencies:
            body = httpx.get(f"{self.base_url}/api/v1/units", headers=self.headers(agency)).json()
            found.update({u["id"]: u for u in body["units"]})
        return found

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = httpx.get(f"{self.base_url}/api/v1/stats",
                                           headers=self.headers("police", Role.NETWORK_ADMIN)).json()
        return result

    def start(self) -> RunningServer:
        self._thread.start()
        wait_for(lambda: self.web.started, timeout=20)
        assert self.server.mqtt is not None
        wait_for(self.server.mqtt.connected.is_set, timeout=10)
        return self

    def stop(self) -> None:
        self.web.should_exit = True
        self._thread.join(timeout=20)


@contextlib.contextmanager
def server_with_units(tmp: Path, units: list[tuple[str, str]], **settings: Any) -> Iterator[RunningServer]:
    """psn on its own Mosquitto, with each (agency, unit) of `units` in its live picture (one fix each)."""
    broker = Mosquitto(tmp).start()
    running = RunningServer(make_settings(tmp, broker.url, **settings)).start()
    try:
        for agency, unit in units:
            publish_fix(broker.url, agency, unit, 17.5, -88.2)
        wait_for(lambda: len(running.server.state) == len(units))
        yield running
    finally:
        running.stop()
        broker.stop()


def make_settings(tmp: Path, mqtt_url: str | None, db_url: str | None = None, **extra: Any) -> Settings:
    """Settings for a test server. Without the traffic service unless the test asks (`traffic_enabled=True`):
    with it, a server's first fix builds the traffic analytics, whose map matcher starts a forkserver child that
    indexes the shipped graph before its first answer (2.0–3.1 s a server measured on the 2-core machine), paid
    by every test that publishes a fix, and more CPU taken from the other tests' servers on those two cores."""
    extra.setdefault("traffic_enabled", False)
    return Settings(port=free_port(), mqtt_url=mqtt_url, db_url=db_url, data_dir=tmp,
                    mqtt_client_id=f"psn-test-{uuid.uuid4().hex[:8]}", **extra)


def publisher(mqtt_url: str, mqtt5: bool = True) -> mqtt.Client:
    url = BrokerURL.parse(mqtt_url)
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                         protocol=mqtt.MQTTv5 if mqtt5 else mqtt.MQTTv311)
    client.connect(url.host, url.port)
    client.loop_start()
    return client


def publish(mqtt_url: str, topic: str, payload: bytes | str | dict[str, Any], mqtt5: bool = True) -> None:
    body = json.dumps(payload) if isinstance(payload, dict) else payload
    client = publisher(mqtt_url, mqtt5)
    client.publish(topic, body, qos=1).wait_for_publish(timeout=10)
    # Disconnect first: loop_stop before it waits out the network loop's 1 s select (measured: 1.0 s a publish,
    # a second on every test that publishes).
    client.disconnect()
    client.loop_stop()


def publish_fix(mqtt_url: str, agency: str, unit: str, lat: float, lon: float,
                heading: float | None = None, speed: float | None = None, ts: float | None = None) -> None:
    payload: dict[str, Any] = {"ts": time.time() if ts is None else ts, "lat": lat, "lon": lon}
    if heading is not None:
        payload["heading"] = heading
    if speed is not None:
        payload["speed"] = speed
    # 3.1.1 works with both Mosquitto and the embedded amqtt broker.
    publish(mqtt_url, f"psn/v1/{agency}/{unit}/telemetry", payload, mqtt5=False)


class Feed:
    """Every message published below a topic filter, decoded: (topic, JSON), in arrival order."""

    def __init__(self, url: str, topic: str) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        subscribed = threading.Event()
        self.client = publisher(url)
        self.client.on_message = self._message
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.subscribe(topic, qos=1)
        wait_for(subscribed.is_set)

    def _message(self, _c: Any, _u: Any, m: Any) -> None:
        with self._lock:
            self.messages.append((m.topic, json.loads(m.payload)))

    def copy(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
