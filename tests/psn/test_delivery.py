"""At-least-once from the broker, exactly-once stored (docs/protocol.md, "Delivery guarantee"): psn killed with
SIGKILL mid-stream, stopped with SIGTERM, or its broker restarted, and every fix the broker acknowledged to the
publisher is in PostgreSQL exactly once.

Real parts only: a private Mosquitto with persistence on, a fresh PostgreSQL database, psn as its own process
(`python -m psn serve`), a publisher in this process. The expectation is the publisher's own record of what the
broker acknowledged (its PUBACKs), compared with what a SQL query finds, never psn's counters.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support import Mosquitto, free_port, postgres_database, wait_for

UNITS = 20
FIXES = 2400  # 120 a unit, at RATE: a 2.4 s stream
RATE = 1000.0  # fixes/s: about 250 received but not yet committed at any moment (the store commits every 0.25 s)


class Publisher(threading.Thread):
    """Sends FIXES fixes from UNITS units (police/{units}-0, -1 …) at QoS 1, paced at RATE; `acked()` is what the
    broker acknowledged."""

    def __init__(self, port: int, total: int = FIXES, units: str = "D") -> None:
        super().__init__(daemon=True)
        self.total = total
        self.units = units
        self.sent: list[tuple[int, tuple[str, float]]] = []  # (packet id, record): fewer than 65,535, none reused
        self._acked: set[int] = set()  # packet ids the broker acknowledged (also those sent again after a reconnect)
        # A persistent session: what is in flight while the broker restarts is sent again, not forgotten.
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"pub-{port}",
                                  protocol=mqtt.MQTTv311, clean_session=False)
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(1, 1)
        self.client.on_publish = lambda _c, _u, mid, _rc, _p: self._acked.add(mid)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    @property
    def count(self) -> int:
        return len(self.sent)

    def run(self) -> None:
        start = time.monotonic()
        base = time.time()
        for i in range(self.total):
            unit = f"police/{self.units}-{i % UNITS}"
            ts = round(base + i / RATE, 3)  # each unit's stamps 20 ms apart: never a replay
            body = json.dumps({"ts": ts, "lat": 17.25 + i % 100 * 1e-4, "lon": -88.77}).encode()
            self.sent.append((self.client.publish(f"psn/v1/{unit}/telemetry", body, qos=1).mid, (unit, ts)))
            time.sleep(max(0.0, start + (i + 1) / RATE - time.monotonic()))

    def acked(self) -> set[tuple[str, float]]:
        return {record for mid, record in list(self.sent) if mid in self._acked}

    def done(self) -> bool:
        return len(self.acked()) == self.total

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Psn:
    """`python -m psn serve` against the broker and database, with the same MQTT client id (so the same broker
    session) every time it is started."""

    def __init__(self, work: Path, mqtt_port: int, db_url: str) -> None:
        self.port = free_port()
        self.args = [sys.executable, "-m", "psn", "serve", "--port", str(self.port), "--mqtt",
                     f"mqtt://127.0.0.1:{mqtt_port}", "--data-dir", str(work / "data"), "--db", db_url]
        self.env = {**os.environ, "PSN_LOG_LEVEL": "warning", "PSN_MQTT_CLIENT_ID": f"psn-delivery-{mqtt_port}",
                    "PSN_ENCRYPT_AT_REST": "false", "PSN_TRAFFIC_ENABLED": "false"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Psn:
        return self.spawn().ready()

    def spawn(self) -> Psn:
        self.process = subprocess.Popen(self.args, env=self.env)
        return self

    def ready(self) -> Psn:
        """Waits until it is connected to the broker (several can start meanwhile)."""
        wait_for(self._connected, timeout=60, interval=0.1)
        return self

    def _connected(self) -> bool:
        try:
            return bool(httpx.get(f"http://127.0.0.1:{self.port}/healthz").json()["mqtt"] == "connected")
        except httpx.HTTPError:
            return False

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(60)
        self.process = None


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[Mosquitto, str]]:
    # `user root`: Mosquitto started as root otherwise drops to its own user, which cannot write in tmp_path, and
    # then silently persists nothing (seen: no mosquitto.db, 35–74 of 2,400 fixes lost in a broker restart).
    broker = Mosquitto(tmp_path, extra=f"persistence true\npersistence_location {tmp_path}/\nuser root\n").start()
    try:
        with postgres_database() as db_url:
            yield broker, db_url
    finally:
        broker.stop()


def stored(db_url: str) -> list[tuple[str, float]]:
    with psycopg.connect(db_url) as conn:
        return [(unit, ts) for unit, ts in conn.execute("SELECT unit_id, ts FROM fixes")]


def settle(publisher: Publisher, db_url: str) -> list[tuple[str, float]]:
    """Waits for the publisher's last acknowledgement, then for psn to store that many (or for 30 s: a loss never
    gets there), and returns the rows."""
    publisher.join(30)
    try:
        wait_for(publisher.done, timeout=30)
    except AssertionError:
        raise AssertionError(f"the broker acknowledged {len(publisher.acked())} of {publisher.count} sent; "
                             f"{len(stored(db_url))} stored") from None
    with contextlib.suppress(AssertionError):  # a loss never gets there: `check` says how many were lost
        wait_for(lambda: len(stored(db_url)) >= publisher.total, timeout=30)
    return stored(db_url)


def check(publisher: Publisher, rows: list[tuple[str, float]]) -> None:
    acked = publisher.acked()
    lost = acked - set(rows)
    assert len(acked) == publisher.total
    assert (len(lost), len(rows) - len(set(rows))) == (0, 0), "(lost, duplicated rows)"
    assert set(rows) <= {record for _, record in publisher.sent}


def restart(psn: Psn, broker: Mosquitto, fault: str) -> None:
    if fault == "kill -9":
        psn.signal(signal.SIGKILL)
    elif fault == "sigterm":
        psn.signal(signal.SIGTERM)
    else:
        broker.stop()  # SIGTERM: Mosquitto writes its sessions and queues to its persistence file
        broker.start()
        return
    psn.start()  # the broker redelivers what the stopped one had not acknowledged, and what came meanwhile


# kill -9 at three moments of the stream; a graceful stop and a broker restart mid-stream.
@pytest.mark.parametrize(("fault", "moment"), [("kill -9", 0.2), ("kill -9", 0.5), ("kill -9", 0.8),
                                               ("sigterm", 0.5), ("broker restart", 0.5)],
                         ids=["kill-9-early", "kill-9-mid", "kill-9-late", "sigterm", "broker-restart"])
def test_a_fault_mid_stream_loses_and_duplicates_nothing(tmp_path: Path, rig: tuple[Mosquitto, str], fault: str,
                                                         moment: float) -> None:
    broker, db_url = rig
    psn, publisher = Psn(tmp_path, broker.port, db_url), Publisher(broker.port)
    try:
        psn.start()  # inside: a psn that never connects is still stopped
        publisher.start()
        wait_for(lambda: publisher.count >= FIXES * moment and len(stored(db_url)) > 0, timeout=30)
        restart(psn, broker, fault)
        check(publisher, settle(publisher, db_url))
    finally:
        publisher.close()
        if psn.process is not None:
            psn.signal(signal.SIGTERM)
