"""Leases on a real PostgreSQL database (tests.support.postgres_database): two `Leases` stand for two instances.
Exactly one holds each lease; closing the holder's connection (a stop, or the backend terminated as a kill -9 or
a network cut would) hands every lease to the other; the one cut off says so and holds nothing. On SQLite every
lease is held."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from prometheus_client import CollectorRegistry

from psn.store import Database
from psn.store.lease import Leases
from tests.support import postgres_database, wait_for

NAMES = ("kpi-retention", "net-alarms")
RETRY_S = 0.2  # the test's; psn's default is 2 s


@pytest.fixture
def pg() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def leases(url: str, instance: str) -> Leases:
    db = Database(url.replace("postgresql://", "postgresql+psycopg://"))
    found = Leases(db, NAMES, RETRY_S, CollectorRegistry(), instance)
    found.start()
    return found


def settled(*all_leases: Leases) -> bool:
    """Every lease held by exactly one of them."""
    return all(sum(one.held(name) for one in all_leases) == 1 for name in NAMES)


def terminate(url: str, application_name: str) -> int:
    """Terminates the sessions so named and waits until they are gone (a backend exits, and its locks go, a
    moment after `pg_terminate_backend` returns)."""
    sessions = "FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()"
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(f"SELECT pg_terminate_backend(pid) {sessions}", (application_name,)).fetchall()
        wait_for(lambda: conn.execute(f"SELECT count(*) {sessions}", (application_name,)).fetchone() == (0,))
    return len(rows)


def test_one_holder_and_the_other_takes_over_when_it_stops(pg: str) -> None:
    a, b = leases(pg, "a"), leases(pg, "b")
    try:
        wait_for(lambda: settled(a, b))
        holder, other = (a, b) if a.held("net-alarms") else (b, a)
        holder.stop()
        assert holder.holding() == []
        wait_for(lambda: other.holding() == list(NAMES))
    finally:
        a.stop()
        b.stop()


def test_a_terminated_connection_drops_every_lease_and_the_other_takes_them(
        pg: str, caplog: pytest.LogCaptureFixture) -> None:
    a = leases(pg, "a")
    wait_for(lambda: a.holding() == list(NAMES))
    b = leases(pg, "b")
    try:
        wait_for(lambda: b.rounds >= 2)  # b asked, and was refused
        assert b.holding() == []
        with caplog.at_level(logging.WARNING, logger="psn.store.lease"):
            assert terminate(pg, "psn-leases-a") == 1
            wait_for(lambda: b.holding() == list(NAMES))
            wait_for(lambda: "lease connection lost" in caplog.text)
        assert not any(a.held(name) for name in NAMES)
        assert "kpi-retention, net-alarms" in caplog.text
        wait_for(lambda: settled(a, b))  # a connects again, and waits: b holds them
        assert b.holding() == list(NAMES)
    finally:
        a.stop()
        b.stop()


def test_on_sqlite_every_lease_is_held(tmp_path: Path) -> None:
    one = Leases(Database(f"sqlite:///{tmp_path / 'psn.db'}"), NAMES, RETRY_S, CollectorRegistry())
    one.start()
    assert one.holding() == list(NAMES)
    one.stop()


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_no_moment_has_two_holders_when_the_holder_is_cut_off_unaware(pg: str) -> None:
    """A's connection is terminated while A runs no round (it does not know yet); B takes the locks at once. B
    may count the lease only once A's last confirmation has run out: at no moment do both count it. Time is
    driven by hand (rounds called here; the threads' own rounds wait `retry_s` = 1,000 s)."""
    time = FakeTime()
    db = Database(pg.replace("postgresql://", "postgresql+psycopg://"))
    a = Leases(db, NAMES, 1000.0, CollectorRegistry(), "a", time)
    b = Leases(db, NAMES, 1000.0, CollectorRegistry(), "b", time)
    seen: list[tuple[float, bool, bool]] = []

    def at(moment: float, *rounds: Leases) -> None:
        time.now = moment
        for one in rounds:
            one.round()
        seen.append((moment, a.held("net-alarms"), b.held("net-alarms")))

    try:
        a.start()
        wait_for(lambda: a.rounds == 1)  # its thread's first round, at 0: the locks taken
        at(1000, a)
        at(2000, a)  # taken 2,000 s (2 × retry_s) ago, confirmed now: held
        b.start()
        wait_for(lambda: b.rounds == 1)  # refused
        assert terminate(pg, "psn-leases-a") == 1
        at(2500, b)  # B has the locks; A, unaware, still counts its confirmation of 2,000
        at(3500, b)
        at(4000)  # A's confirmation ran out
        at(4500, b)  # B's taking is 2,000 s old, and confirmed: B holds
        assert seen == [(1000, False, False), (2000, True, False), (2500, True, False), (3500, True, False),
                        (4000, False, False), (4500, False, True)]
    finally:
        a.stop()
        b.stop()


def test_a_lease_asked_for_while_running_is_held_by_one_and_passes_on_when_given_back(pg: str) -> None:
    a, b = leases(pg, "a"), leases(pg, "b")
    try:
        a.want("mqtt-session:c")
        wait_for(lambda: a.held("mqtt-session:c"))
        b.want("mqtt-session:c")
        wait_for(lambda: b.rounds >= 3)  # b asked, and was refused
        assert not b.held("mqtt-session:c")
        a.release("mqtt-session:c")
        assert not a.held("mqtt-session:c")  # at once: the lock itself goes at a's next round
        wait_for(lambda: b.held("mqtt-session:c"))
        rounds = a.rounds
        wait_for(lambda: a.rounds >= rounds + 2)
        assert not a.held("mqtt-session:c")  # given back: a no longer asks for it
    finally:
        a.stop()
        b.stop()
