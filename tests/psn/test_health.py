"""Readiness check by check, on real parts (an SQLite database, a batch writer) with the one fault each check is
about put in by hand: the broker gone, a database that hangs, a full disk, a store backlog at its bound."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from psn.clock import ManualClock
from psn.config import Settings
from psn.health import Health
from psn.store import BatchWriter, Database
from telemetry import Fix, UnitRef


class HangingDatabase(Database):
    """A database whose `SELECT 1` does not come back until released: a server that accepts and never answers."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.hang = threading.Event()
        self.released = threading.Event()

    def ping(self) -> None:
        if self.hang.is_set():
            self.released.wait(30)
        super().ping()


class Parts:
    def __init__(self, tmp: Path, **settings: float) -> None:
        self.db = HangingDatabase(f"sqlite:///{tmp / 'psn.db'}")
        self.writer = BatchWriter(self.db, capacity=2)  # never started: what is put stays in its backlog
        self.broker = True
        self.traffic = "off"
        self.clock = ManualClock()
        self.registry = CollectorRegistry()
        self.loop = asyncio.new_event_loop()  # one loop throughout, as in the server: a probe outlives a report
        self.health = Health(Settings(data_dir=tmp, health_cache_s=0.0, **settings), self.db, self.writer,
                             lambda: self.broker, lambda: self.traffic, self.registry, self.clock)

    def report(self) -> tuple[bool, dict[str, dict[str, object]]]:
        body = self.loop.run_until_complete(self.health.report()).to_json()
        return body["status"] == "ready", body["checks"]

    def gauge(self, name: str, check: str | None = None) -> float | None:
        return self.registry.get_sample_value(name, {"check": check} if check else {})


    def close(self) -> None:
        self.db.released.set()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    made = Parts(tmp_path, db_timeout_s=0.5)
    yield made
    made.close()


def test_all_green_then_the_broker_goes(parts: Parts) -> None:
    ready, checks = parts.report()
    assert ready and {name for name, c in checks.items() if c["ok"]} == {"broker", "database", "disk", "store",
                                                                        "traffic"}
    assert checks["database"]["state"] == "reachable" and checks["store"]["state"] == "writing"
    started = parts.clock.time()
    assert all(c["since"] == started for c in checks.values())
    assert parts.gauge("psn_ready") == 1 and parts.gauge("psn_health_check_ok", "broker") == 1

    parts.clock.advance(30)
    parts.broker = False
    ready, checks = parts.report()
    assert not ready and checks["broker"] == {"ok": False, "state": "disconnected", "since": started + 30,
                                              "required": True}
    assert checks["database"]["since"] == started  # unchanged states keep their time
    assert parts.gauge("psn_ready") == 0 and parts.gauge("psn_health_check_ok", "broker") == 0
    assert parts.gauge("psn_health_check_since_seconds", "broker") == started + 30


def test_traffic_being_built_is_shown_but_does_not_take_psn_out(parts: Parts) -> None:
    parts.traffic = "building"
    ready, checks = parts.report()
    assert ready and checks["traffic"] == {"ok": False, "state": "building", "since": parts.clock.time(),
                                           "required": False}


def test_a_database_that_hangs_is_red_within_the_timeout_and_the_loop_runs_on(parts: Parts) -> None:
    parts.db.hang.set()

    async def drill() -> tuple[int, dict[str, object]]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(tick())
        report = await parts.health.report()
        ticking.cancel()
        return ticks, report.to_json()

    ticks, body = parts.loop.run_until_complete(drill())
    assert body["status"] == "not ready" and ticks > 5  # the probe waited on a thread, not on the loop
    assert body["checks"]["database"]["reason"] == "no answer within 0.5 s"
    parts.db.released.set()
    parts.db.hang.clear()
    ready, checks = parts.report()
    assert ready and checks["database"]["state"] == "reachable"


def test_one_probe_at_a_time_however_many_ask(parts: Parts) -> None:
    parts.db.hang.set()

    async def many() -> list[bool]:
        reports = await asyncio.gather(*(parts.health.report() for _ in range(20)))
        return [r.ready for r in reports]

    threads = threading.active_count()
    assert parts.loop.run_until_complete(many()) == [False] * 20
    assert threading.active_count() <= threads + 1  # the one probe still hanging


def test_low_disk_is_red(tmp_path: Path) -> None:
    parts = Parts(tmp_path, health_min_free_mb=1e12)  # a petabyte free: no disk here has that
    ready, checks = parts.report()
    parts.close()
    assert not ready and checks["disk"]["state"] == "low" and checks["disk"]["min_free_mb"] == 1e12


def test_store_backlog_at_its_bound_is_red_and_says_it_blocks(parts: Parts) -> None:
    fix = Fix(UnitRef("police", "P-1"), 1.0, 17.5, -88.2)
    parts.writer.put(fix, 1.0)
    ready, checks = parts.report()
    assert ready and checks["store"]["backlog"] == 1
    parts.writer.put(fix, 1.0)
    ready, checks = parts.report()
    assert not ready and checks["store"]["state"] == "blocking" and checks["store"]["backlog"] == 2
