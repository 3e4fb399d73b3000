"""The KPI time series store on SQLite and PostgreSQL: raw samples and closed aggregates as worked out by hand, a
bucket closed twice (a restart) read as one, retention, back-pressure of a full queue, acknowledgement once
stored and a sample stored once however often it comes (migration 0014)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from prometheus_client import CollectorRegistry

from netmgmt.series import Point, Retention
from psn.clock import ManualClock
from psn.events import Receipt
from psn.net.kpi_store import KpiStore
from psn.store import Database
from psn.store.database import MIGRATIONS
from psn.store.net_kpi_schema import net_kpi_agg, net_kpi_raw
from telemetry import CellKpi
from tests.support import wait_for

Q = 1_764_567_000.0  # 2025-12-01T05:30:00Z: a quarter-hour (and so a minute) boundary
KEEP = Retention(raw_s=48 * 3600.0, minute_s=30 * 86400.0, quarter_s=400 * 86400.0)


def kpi(ts: float, dl: float, ues: int, rejected: int = 0, cell: str = "BZE-PMD-1") -> CellKpi:
    return CellKpi(cell, ts, ues, dl, dl / 2, 10 * dl, 5 * dl, 8.0, rejected, 0)


def aggregates(db: Database) -> list[tuple[str, int, float, int, int, int]]:
    a = net_kpi_agg
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(a.c.cell, a.c.resolution, a.c.bucket, a.c.n, a.c.connected_ues,
                                      a.c.bearers_rejected).order_by(a.c.resolution, a.c.bucket)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_samples_and_closed_aggregates(db: Database) -> None:
    clock = ManualClock(Q + 70)
    registry = CollectorRegistry()
    store = KpiStore(db, registry, clock, flush_s=0.02)
    for sample in (kpi(Q + 5, 0.2, 4, 1), kpi(Q + 30, 0.4, 9), kpi(Q + 55, 0.9, 2, 3), kpi(Q + 65, 0.1, 1)):
        store.offer(sample, Q + 70)
    store.start()
    try:
        assert store.flush()
        assert [(p.ts, p.connected_ues) for p in store.points("BZE-PMD-1", 0, Q, Q + 900, 5)] == [
            (Q + 5, 4), (Q + 30, 9), (Q + 55, 2), (Q + 65, 1)]
        by_minute = store.points("BZE-PMD-1", 0, Q, Q + 900, 60)  # raw samples grouped by the database
        assert [(p.ts, p.n, round(p.prb_util_dl, 9), p.connected_ues, p.bearers_rejected) for p in by_minute] == [
            (Q, 3, 0.5, 9, 4), (Q + 60, 1, 0.1, 1, 0)]
        assert aggregates(db) == []  # the first minute ends at Q + 60, closes at Q + 75
        clock.advance(5)
        wait_for(lambda: aggregates(db) != [])
        assert aggregates(db) == [("BZE-PMD-1", 60, Q, 3, 9, 4)]
        first, current = store.points("BZE-PMD-1", 60, Q, Q + 900, 60)  # stored, and the open minute
        assert first == Point(Q, pytest.approx(0.5), pytest.approx(0.25), pytest.approx(5.0),
                              pytest.approx(2.5), 9, 4, 0, n=3)
        assert (current.ts, current.n, current.prb_util_dl) == (Q + 60, 1, 0.1)
        (quarter,) = store.points("BZE-PMD-1", 900, Q, Q + 900, 900)  # still open
        assert (quarter.n, quarter.connected_ues, quarter.prb_util_dl) == (4, 9, pytest.approx(0.4))
        store.offer(kpi(Q + 30, 0.5, 1), Q + 80)  # its minute is closed: raw, and in the quarter only
        assert store.flush()
        assert registry.get_sample_value("psn_net_kpi_late_total") == 1
    finally:
        store.stop()  # closes every open bucket
    assert aggregates(db) == [("BZE-PMD-1", 60, Q, 3, 9, 4), ("BZE-PMD-1", 60, Q + 60, 1, 1, 0),
                              ("BZE-PMD-1", 900, Q, 5, 9, 4)]


def test_a_bucket_closed_twice_reads_as_one(db: Database) -> None:
    clock = ManualClock(Q + 20)
    for sample in (kpi(Q + 5, 0.2, 4), kpi(Q + 10, 0.5, 6, 2)):  # two "runs" of psn, stopped mid-minute
        store = KpiStore(db, CollectorRegistry(), clock, flush_s=0.02)
        store.offer(sample, Q + 20)
        store.start()
        store.stop()
    assert [row[:4] for row in aggregates(db)] == [("BZE-PMD-1", 60, Q, 1), ("BZE-PMD-1", 60, Q, 1),
                                                   ("BZE-PMD-1", 900, Q, 1), ("BZE-PMD-1", 900, Q, 1)]
    reader = KpiStore(db, CollectorRegistry(), clock)
    (merged,) = reader.points("BZE-PMD-1", 60, Q, Q + 60, 60)  # grouped by the database
    assert (merged.n, merged.prb_util_dl, merged.connected_ues, merged.bearers_rejected) == (
        2, pytest.approx(0.35), 6, 2)


def test_retention_keeps_each_series_its_own_time(db: Database) -> None:
    now = Q + 400 * 86400.0 + 3600
    a = net_kpi_agg
    with db.engine.begin() as conn:
        for ts in (now - 49 * 3600, now - 47 * 3600):
            conn.execute(net_kpi_raw.insert().values(
                cell="C-1", ts=ts, connected_ues=1, prb_util_dl=0.1, prb_util_ul=0.1, thr_dl_mbps=1.0,
                thr_ul_mbps=1.0, mean_dl_sinr_db=None, bearers_rejected=0, bearers_preempted=0, received=ts))
        for resolution, bucket in ((60, now - 31 * 86400), (60, now - 29 * 86400), (900, now - 401 * 86400),
                                   (900, now - 31 * 86400)):
            conn.execute(a.insert().values(cell="C-1", resolution=resolution, bucket=bucket, n=1, connected_ues=1,
                                           prb_util_dl=0.1, prb_util_ul=0.1, thr_dl_mbps=1.0, thr_ul_mbps=1.0,
                                           bearers_rejected=0, bearers_preempted=0))
    store = KpiStore(db, CollectorRegistry(), ManualClock(now))
    assert store.apply_retention(now, KEEP) == 3
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(net_kpi_raw.c.ts)).scalars().all() == [now - 47 * 3600]
    assert [(r[1], r[2]) for r in aggregates(db)] == [(60, now - 29 * 86400), (900, now - 31 * 86400)]


def test_a_full_queue_makes_ingest_wait_and_counts_the_wait(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}")
    db.migrate()
    registry = CollectorRegistry()
    store = KpiStore(db, registry, ManualClock(Q), flush_s=0.02, capacity=2)
    store.offer(kpi(Q, 0.5, 1), Q)
    store.offer(kpi(Q + 5, 0.5, 1), Q)
    third = threading.Thread(target=store.offer, args=(kpi(Q + 10, 0.5, 1), Q))
    third.start()
    third.join(0.3)
    assert third.is_alive()  # nothing drains the queue yet: the third waits (back-pressure), it is not dropped
    assert registry.get_sample_value("psn_net_kpi_backlog") == 2
    store.start()
    try:
        third.join(10)
        assert not third.is_alive() and store.flush()
        with db.engine.connect() as conn:
            assert conn.execute(sa.select(net_kpi_raw.c.ts).order_by(net_kpi_raw.c.ts)).scalars().all() == [
                Q, Q + 5, Q + 10]
        assert registry.get_sample_value("psn_net_kpi_waits_total") == 1
    finally:
        store.stop()
        db.close()


def test_a_kpi_is_acknowledged_once_stored_and_stored_once_however_often_it_comes(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}")
    db.migrate()
    registry = CollectorRegistry()
    store = KpiStore(db, registry, ManualClock(Q + 200), flush_s=0.02)
    first, second = Receipt(), Receipt()
    for receipt in (first, second):
        receipt.expect(1)  # as the bus does for its one durable subscriber
    store.offer(kpi(Q + 5, 0.2, 4), Q + 5, first)
    store.offer(kpi(Q + 5, 0.2, 4), Q + 6, second)  # the broker's redelivery while the first waits
    assert not first.done  # not stored yet: not acknowledged
    assert second.done and not second.failed  # the latest sample again: nothing to store
    store.start()
    try:
        assert store.flush() and first.done and not first.failed
    finally:
        store.stop()
    # After a restart: the latest sample remembered from the database (its retained copy comes again) and an
    # older one redelivered (stored before the crash, its acknowledgement lost): neither is a second row.
    again = KpiStore(db, CollectorRegistry(), ManualClock(Q + 200), flush_s=0.02)
    again.remember([kpi(Q + 5, 0.2, 4)])
    again.offer(kpi(Q + 5, 0.2, 4), Q + 100)
    again.offer(kpi(Q + 5, 0.2, 4, cell="BZE-PMD-2"), Q + 100)  # another cell, same ts: a sample of its own
    again.start()
    try:
        assert again.flush()
    finally:
        again.stop()
    with db.engine.connect() as conn:
        stored = conn.execute(sa.select(net_kpi_raw.c.cell, net_kpi_raw.c.ts, net_kpi_raw.c.received)
                              .order_by(net_kpi_raw.c.id)).all()
    assert [tuple(r) for r in stored] == [("BZE-PMD-1", Q + 5, Q + 5), ("BZE-PMD-2", Q + 5, Q + 100)]
    # One sample in the 1-min and 15-min aggregates of its buckets, not two.
    assert [(cell, resolution, bucket, n) for cell, resolution, bucket, n, _, _ in aggregates(db)] == [
        ("BZE-PMD-1", 60, Q, 1), ("BZE-PMD-2", 60, Q, 1), ("BZE-PMD-1", 900, Q, 1), ("BZE-PMD-2", 900, Q, 1)]
    assert registry.get_sample_value("psn_net_kpi_repeated_total") == 1
    db.close()


def test_migration_0014_keeps_the_first_of_samples_already_duplicated(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0013")
    with db.engine.begin() as conn:
        for cell, ts, received in (("A-1", 1.0, 10.0), ("A-1", 1.0, 11.0), ("A-1", 2.0, 12.0), ("B-1", 1.0, 13.0)):
            conn.execute(sa.text("INSERT INTO net_kpi_raw (cell, ts, connected_ues, prb_util_dl, prb_util_ul, "
                                 "thr_dl_mbps, thr_ul_mbps, bearers_rejected, bearers_preempted, received) "
                                 "VALUES (:c, :t, 1, 0.1, 0.1, 1, 1, 0, 0, :r)"), {"c": cell, "t": ts, "r": received})
    db.migrate()
    with db.engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT cell, ts, received FROM net_kpi_raw ORDER BY id").all()
    assert [tuple(r) for r in kept] == [("A-1", 1.0, 10.0), ("A-1", 2.0, 12.0), ("B-1", 1.0, 13.0)]
    db.close()


def test_a_window_of_aggregates_is_read_from_the_covering_index_alone(db: Database) -> None:
    """One cell's aggregates lie one to a table page in production (all cells' rows arrive together): the query
    must read them from the index (bench/netmgmt.py measured 308 → 116 ms on SQLite, 511 → 84 ms on PostgreSQL)."""
    store = KpiStore(db, CollectorRegistry(), ManualClock(Q))
    seen: list[tuple[str, object]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "net_kpi_agg" in statement:
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        store.points("BZE-PMD-1", 60, Q - 30 * 86400, Q, 1320)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    ((statement, parameters),) = seen
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert "USING COVERING INDEX ix_net_kpi_agg_cell_window" in plan
        else:  # an empty table: the planner would scan it whole, so only index paths are left open
            conn.exec_driver_sql("SET enable_seqscan = off")
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
            assert "Index Only Scan using ix_net_kpi_agg_cell_window" in plan
