"""Exactly-once stored: a fix or status stored again (the broker's redelivery after a crash) leaves one row, on
SQLite and PostgreSQL, and migration 0012 reduces rows already duplicated before it builds the unique keys."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st

from psn.store import Database
from psn.store.database import MIGRATIONS
from telemetry import Fix, StatusReport, UnitRef

P1, P2 = UnitRef("police", "P-1"), UnitRef("police", "P-2")


def rows(db: Database, table: str) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT unit_id, ts, received FROM {table} ORDER BY id")]


def test_a_fix_or_status_stored_twice_is_one_row(db: Database) -> None:
    db.insert_fixes([(Fix(P1, 1.0, 17.0, -88.0), 10.0), (Fix(P1, 2.0, 17.0, -88.0), 10.0)])
    # A batch holding a redelivered fix and a new one: the new one is stored, the first copy kept as it was.
    db.insert_fixes([(Fix(P1, 2.0, 17.5, -88.5), 20.0), (Fix(P2, 2.0, 17.0, -88.0), 20.0)])
    assert rows(db, "fixes") == [("police/P-1", 1.0, 10.0), ("police/P-1", 2.0, 10.0), ("police/P-2", 2.0, 20.0)]
    db.insert_statuses([(StatusReport(P1, 3.0, "on_scene"), 10.0)])
    db.insert_statuses([(StatusReport(P1, 3.0, "on_scene"), 20.0), (StatusReport(P1, 4.0, "available"), 20.0)])
    assert rows(db, "statuses") == [("police/P-1", 3.0, 10.0), ("police/P-1", 4.0, 20.0)]


@settings(max_examples=30)
@given(st.lists(st.tuples(st.sampled_from([P1, P2]), st.integers(0, 5)), max_size=40))
def test_any_mix_of_repeats_stores_each_unit_and_ts_once(sent: list[tuple[UnitRef, int]]) -> None:
    db = Database("sqlite://")
    db.migrate()
    for who, ts in sent:  # one batch a message, as redeliveries come: interleaved with new ones
        db.insert_fixes([(Fix(who, float(ts), 17.0, -88.0), 0.0)])
    expected = {(who.id, float(ts)) for who, ts in sent}  # what was sent, counted here, not by the store
    stored = [(unit, ts) for unit, ts, _ in rows(db, "fixes")]
    assert sorted(stored) == sorted(expected)
    db.close()


def test_migration_0012_keeps_the_first_of_rows_already_duplicated(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0011")
    with db.engine.begin() as conn:
        for unit, ts, received in (("police/P-1", 1.0, 10.0), ("police/P-1", 1.0, 11.0), ("police/P-1", 2.0, 12.0),
                                   ("police/P-2", 1.0, 13.0), ("police/P-1", 1.0, 14.0)):
            conn.execute(sa.text("INSERT INTO fixes (unit_id, agency, ts, source, received) "
                                 "VALUES (:u, 'police', :t, 'json', :r)"), {"u": unit, "t": ts, "r": received})
            conn.execute(sa.text("INSERT INTO statuses (unit_id, agency, ts, status, received) "
                                 "VALUES (:u, 'police', :t, 'available', :r)"), {"u": unit, "t": ts, "r": received})
    db.migrate()
    first = [("police/P-1", 1.0, 10.0), ("police/P-1", 2.0, 12.0), ("police/P-2", 1.0, 13.0)]
    assert rows(db, "fixes") == first and rows(db, "statuses") == first
    db.insert_fixes([(Fix(P1, 1.0, 17.0, -88.0), 99.0)])
    assert rows(db, "fixes") == first
    db.close()
