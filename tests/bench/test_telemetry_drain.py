"""bench/telemetry.py against a real Mosquitto and a real psn: a drain ends with every row of the burst in the
database, and a stopped psn leaves no session at the broker to queue later bursts for it."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from bench.telemetry import Psn, drain_rate
from tests.support import Mosquitto

BURST, UNITS = 3000, 300


def session_present(port: int, client_id: str) -> bool:
    """Whether the broker still holds a session for `client_id` (CONNACK's session-present flag)."""
    flags: list[bool] = []
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.on_connect = lambda _c, _u, f, _r, _p: flags.append(f.session_present)
    c.connect("127.0.0.1", port, clean_start=False)
    while not flags:
        c.loop(timeout=0.1)
    c.disconnect()
    return flags[0]


def test_a_drain_ends_with_the_whole_burst_committed_and_leaves_no_session(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # The writer commits every 1.5 s instead of 0.25 s: a drain that ended at the last *accepted* message would
    # read the database before the last commit most of the time, so this test could not pass by luck.
    monkeypatch.setenv("PSN_STORE_FLUSH_S", "1.5")
    broker = Mosquitto(tmp_path, extra="max_queued_bytes 0\n").start()
    try:
        with Psn(tmp_path, broker.port, "sqlite", True, "t") as psn:
            drain = drain_rate(mp.get_context("spawn"), psn, broker.port, BURST, UNITS)
            # Read straight from psn's SQLite file while psn still runs: what the drain saw is what is committed.
            with sqlite3.connect(tmp_path / "data-sealed-t" / "psn.db") as db:
                rows = db.execute("SELECT count(*), count(sealed) FROM fixes").fetchone()
        assert rows == (BURST, BURST)  # every fix committed, every one sealed
        assert drain.seconds > 0
        assert not session_present(broker.port, psn.client_id)
    finally:
        broker.stop()
