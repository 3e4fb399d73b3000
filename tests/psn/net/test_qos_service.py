"""`QosService` on a real store (SQLite and PostgreSQL), a manual clock and its publishes recorded: what survives a
restart (profiles, running uplifts, the history), an uplift that expired while psn was down, and two instances on
one database ending an uplift once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from psn.access import Principal, Role
from psn.audit import AuditLog
from psn.clock import ManualClock
from psn.keys import key_dir
from psn.live import LiveHub
from psn.net.uplift import QosService
from psn.sharing import SharingStore
from psn.state import LiveState
from psn.store import Database
from telemetry.topics import NET_POLICY_TOPIC
from tests.support import postgres_database

T0 = 1_764_612_000.0
DISPATCHER = Principal("police.dispatcher", "police", frozenset({Role.DISPATCHER}))
AGENCIES = ("bdf", "ems", "fire", "nemo", "police")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'psn.db'}"
        return
    with postgres_database() as url:
        yield url.replace("postgresql://", "postgresql+psycopg://")


class Instance:
    """One psn's QoS service; its retained publishes in `sent` as (document, qos, retain)."""

    def __init__(self, db_url: str, tmp: Path, clock: ManualClock, holds: bool = True) -> None:
        self.db = Database(db_url)
        self.db.migrate()
        self.audit = AuditLog(tmp / "audit.jsonl", key_dir(tmp), clock)
        self.sent: list[tuple[dict[str, Any], int, bool]] = []
        self.qos = QosService(self.db, clock, self.audit, LiveHub(LiveState(), 3600), SharingStore(self.db, clock),
                              self._publish, AGENCIES, held=lambda: holds)
        self.qos.load()

    def _publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        assert topic == NET_POLICY_TOPIC
        self.sent.append((orjson.loads(payload), qos, retain))

    def audited(self, action: str) -> list[tuple[str, str]]:
        return [(e.actor, e.target) for e in self.audit.file.read().entries if e.action == action]


def test_an_uplift_that_expired_while_psn_was_down_ends_at_start(db_url: str, tmp_path: Path) -> None:
    clock = ManualClock(T0)
    first = Instance(db_url, tmp_path, clock)
    short = first.qos.start_uplift(DISPATCHER, ["police/P-1"], None, "pursuit", 60.0)
    long = first.qos.start_uplift(DISPATCHER, ["police/P-2"], "INC-7", "fire", 3600.0)
    assert first.sent[-1][1:] == (1, True)  # QoS 1, retained
    assert set(first.sent[-1][0]["units"]) == {"police/P-1", "police/P-2"}
    first.db.close()

    clock.advance(120)  # psn was down past the short one's `until`
    second = Instance(db_url, tmp_path, clock)
    assert second.audited("qos.uplift_expired") == [("psn", short.id)]
    assert [u.id for u in second.qos.uplifts(active_only=True)] == [long.id]
    second.qos.publish()
    assert list(second.sent[-1][0]["units"]) == ["police/P-2"]
    assert second.sent[-1][0]["units"]["police/P-2"]["until"] == T0 + 3600
    history = {u.id: (u.ended, u.end_reason, u.incident) for u in second.qos.uplifts(active_only=False)}
    assert history == {short.id: (T0 + 60, "expired", None), long.id: (None, None, "INC-7")}
    second.db.close()


def test_two_instances_end_an_uplift_once(db_url: str, tmp_path: Path) -> None:
    clock = ManualClock(T0)
    one, two = Instance(db_url, tmp_path / "a", clock), Instance(db_url, tmp_path / "b", clock)
    uplift = one.qos.start_uplift(DISPATCHER, ["police/P-1"], None, "pursuit", 60.0)
    two.qos.load()  # the other instance reads it (at start, or after a restart)
    clock.advance(61)
    one.qos.tick(clock.time())
    two.qos.tick(clock.time())
    assert one.audited("qos.uplift_expired") + two.audited("qos.uplift_expired") == [("psn", uplift.id)]
    assert "police/P-1" not in one.sent[-1][0]["units"] and "police/P-1" not in two.sent[-1][0]["units"]
    assert two.qos.cancel(uplift, DISPATCHER) is None  # ended already: nothing to cancel
    one.db.close()
    two.db.close()


def test_the_holder_publishes_an_uplift_made_on_the_other_instance_at_its_next_tick(
        db_url: str, tmp_path: Path) -> None:
    """However it learnt of it first: from the table at its tick, or from the change listener just before."""
    clock = ManualClock(T0)
    holder, other = Instance(db_url, tmp_path / "a", clock), Instance(db_url, tmp_path / "b", clock, holds=False)
    holder.qos.publish()
    for unit, listener_first in (("police/P-1", False), ("police/P-2", True)):
        uplift = other.qos.start_uplift(DISPATCHER, [unit], None, "pursuit", 600.0)
        if listener_first:
            holder.qos.refresh_uplift(uplift.number)  # what psn/remote_changes.py does on the NOTIFY
        clock.advance(1)
        holder.qos.tick(clock.time())
        assert unit in holder.sent[-1][0]["units"], listener_first
    assert other.sent == []  # not the holder: publishes nothing
    holder.db.close()
    other.db.close()


def test_profiles_and_cancellations_survive_a_restart(db_url: str, tmp_path: Path) -> None:
    clock = ManualClock(T0)
    first = Instance(db_url, tmp_path, clock)
    profiles = first.qos.profiles
    changed = type(profiles)({**profiles.agencies, "nemo": profiles.of("police")}, profiles.default)
    admin = Principal("netops", "police", frozenset({Role.NETWORK_ADMIN}))
    first.qos.set_profiles(changed, admin)
    uplift = first.qos.start_uplift(DISPATCHER, ["police/P-1"], None, "pursuit", 600.0)
    clock.advance(10)
    assert first.qos.cancel(uplift, DISPATCHER) is not None
    first.db.close()
    second = Instance(db_url, tmp_path, clock)
    assert second.qos.profiles == changed
    assert second.qos.uplifts(active_only=True) == []
    [row] = second.qos.uplifts(active_only=False)
    assert (row.ended, row.end_reason, row.state(clock.time())) == (T0 + 10, "cancelled by police.dispatcher",
                                                                     "cancelled")
    second.db.close()


def test_periodic_republish_follows_the_clock(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    instance = Instance(f"sqlite:///{tmp_path / 'psn.db'}", tmp_path, clock)
    instance.qos.publish()
    instance.qos.tick(clock.time() + 59)
    assert [d["seq"] for d, _, _ in instance.sent] == [1]
    instance.qos.tick(clock.time() + 60)
    assert [d["seq"] for d, _, _ in instance.sent] == [1, 2]
    instance.db.close()


def test_history_is_filtered_by_agency_in_the_query(db_url: str, tmp_path: Path) -> None:
    instance = Instance(db_url, tmp_path, ManualClock(T0))
    store = instance.qos.store
    for units in (["police/P-1"], ["pxlice/X-1"], ["fire/E-1", "police/P-2"], ["firefly/F-1"], ["nemo/police/"]):
        store.insert(units, None, "r", "a", T0, T0 + 60)

    def history(*agencies: str) -> list[tuple[str, ...]]:
        return [u.units for u in store.history(None, agencies)]

    assert history("police") == [("police/P-1",), ("fire/E-1", "police/P-2")]
    assert history("p_lice") == history("p%") == []  # LIKE's wildcards are only letters here
    assert history("fire") == [("fire/E-1", "police/P-2")]
    assert history("nemo", "firefly") == [("firefly/F-1",), ("nemo/police/",)]
    assert history() == []
    instance.db.close()
