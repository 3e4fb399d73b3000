"""`AlarmService` on a real bus and store (SQLite), its publishes recorded: a flood of link reports never costs a
cell's KPI (each has its own queue), and stopping waits for a round already running in the ticker's thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from psn.audit import AuditLog
from psn.bus import DEFAULT_CAPACITY, Bus
from psn.clock import ManualClock
from psn.events import KpiAccepted, LinkAccepted
from psn.keys import key_dir
from psn.live import LiveHub
from psn.net.alarms import AlarmService
from psn.sharing import SharingStore
from psn.state import LiveState
from psn.store import Database
from telemetry import LinkReport, UnitRef
from telemetry.fix import CellKpi

T0 = 1_764_612_000.0


@pytest.fixture
def service(tmp_path: Path) -> Iterator[AlarmService]:
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}")
    db.migrate()
    clock = ManualClock(T0)
    sharing = SharingStore(db, clock)
    yield AlarmService(db, clock, LiveHub(LiveState(), 3600), lambda *_a: None,
                       AuditLog(tmp_path / "audit.jsonl", key_dir(tmp_path), clock), lambda: sharing.snapshot,
                       CollectorRegistry(), tick_s=0.01)


def test_a_flood_of_link_reports_never_costs_a_kpi(service: AlarmService) -> None:
    bus = Bus()
    service.subscribe(bus)
    bus.start()
    try:
        link = LinkReport(UnitRef("police", "P-1"), T0, "BZE-PMD-1", -90.0, 10.0, 1.0, 2.0)
        with service._lock:  # the alarm threads stall (a slow database) while the links pour in
            for _ in range(DEFAULT_CAPACITY + 100):
                bus.publish(LinkAccepted(link, T0))
            kpi = CellKpi("BZE-PMD-1", T0, 3, 0.2, 0.2, 1.0, 1.0, None, bearers_rejected=2, bearers_preempted=0)
            bus.publish(KpiAccepted(kpi, T0))
        assert bus.flush()
    finally:
        bus.stop()
    assert sum(s.dropped for s in bus.stats()) >= 99  # a flood: the links beyond a queue (its thread took one)
    assert [(a.kind.value, a.target) for a in service.active()] == [("admission_rejected", "BZE-PMD-1")]


def test_stop_waits_for_the_round_in_progress(service: AlarmService, monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release, done = threading.Event(), threading.Event(), threading.Event()
    real_tick = service.tick

    def slow_tick() -> None:
        entered.set()
        release.wait(30)
        real_tick()
        done.set()

    monkeypatch.setattr(service, "tick", slow_tick)

    async def scenario() -> None:
        await service.start()
        await asyncio.to_thread(entered.wait, 30)
        stopping = asyncio.create_task(service.stop())
        finished, _ = await asyncio.wait({stopping}, timeout=0.5)
        assert not finished  # the round is still running in its thread: stop must not return yet
        release.set()
        await stopping
        assert done.is_set()

    asyncio.run(scenario())
