"""Fixtures of the dispatch-shell tests: a running psn whose incident book runs on a manual clock (hand-written
timestamps), and a `CadContext` of real pieces (SQLite migrated under tmp_path, a keyring, the audit log, the
sharing store) with a manual clock, and the MQTT publishes, live events and security reports recorded instead of
sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from psn.audit import AuditLog
from psn.bus import Bus
from psn.cad import CadContext
from psn.clock import ManualClock
from psn.config import Settings
from psn.keys import key_dir, keyring
from psn.live import Audience, LiveHub
from psn.security_events import Kind, SecurityEvent
from psn.sharing import SharingStore
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import Database
from tests.support import Mosquitto, RunningServer, make_settings

T0 = 1_764_000_000.0  # the manual clock's start: 2025-11-24 15:20:00 UTC


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def server(tmp_path: Path, mosquitto: Mosquitto, clock: ManualClock) -> Iterator[RunningServer]:
    running = RunningServer(make_settings(tmp_path, mosquitto.url))
    book = running.server.cad.incidents
    book.ctx = dataclasses.replace(book.ctx, clock=clock)
    running.start()
    yield running
    running.stop()


class RecordingHub(LiveHub):
    """The live hub's `notify`, recorded: (kind, data, audience)."""

    def __init__(self) -> None:
        super().__init__(LiveState(), interval_s=3600)
        self.events: list[tuple[str, dict[str, Any], Audience]] = []

    def notify(self, kind: str, data: dict[str, Any], audience: Audience) -> None:
        self.events.append((kind, data, audience))


@dataclass
class Recorded:
    ctx: CadContext
    clock: ManualClock
    hub: RecordingHub
    published: list[tuple[str, bytes, int]] = field(default_factory=list)
    security: list[tuple[Kind, str, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[Recorded]:
    settings = Settings(data_dir=tmp_path, cmd_ack_timeout_s=20.0, cmd_resends=2)
    clock = ManualClock(1_764_400_000.0)
    db = Database(settings.database_url)
    db.migrate()
    keys = keyring(tmp_path, environ={})
    keys.ensure(settings.agencies)
    hub = RecordingHub()
    box: dict[str, Recorded] = {}

    def publish(topic: str, payload: bytes, qos: int) -> None:
        box["r"].published.append((topic, payload, qos))

    def report(kind: Kind, actor: str, /, **detail: Any) -> SecurityEvent:
        box["r"].security.append((kind, actor, detail))
        return SecurityEvent(len(box["r"].security), clock.time(), kind, actor, detail)

    bus = Bus()
    ctx = CadContext(settings, clock, db, keys, bus, AuditLog(tmp_path / "audit.jsonl", key_dir(tmp_path), clock),
                     SharingStore(db, clock), LiveState(), hub, IngestStats(), publish, report_security=report)
    box["r"] = Recorded(ctx, clock, hub)
    yield box["r"]
    db.close()
