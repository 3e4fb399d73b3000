"""What a writer announces (psn.store.changes through `Database.announce`), heard by a listener of our own on the
real PostgreSQL channel: a change on commit, nothing for a rolled-back transaction, nothing from a single instance;
on SQLite, nothing is tried at all."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from psn.store import Database
from psn.store.changes import CHANNEL
from tests.support import postgres_database

MARKER = "marker"  # sent by the test after the writes: everything sent before it has arrived by then


def heard(url: str, write: Database) -> list[str]:
    """The payloads on the channel from what `write` does in the three transactions below, in commit order."""
    with psycopg.connect(url, autocommit=True) as ear:
        ear.execute(f"LISTEN {CHANNEL}")
        with write.engine.begin() as conn:
            write.announce(conn, "incident", "police-00001")
        with pytest.raises(RuntimeError), write.engine.begin() as conn:
            write.announce(conn, "incident", "police-00002")
            raise RuntimeError("the write failed: rolled back")
        with write.engine.begin() as conn:
            write.announce(conn, "board", "police/P-1", actor="police.jones", via="console")
        ear.execute(f"NOTIFY {CHANNEL}, '{MARKER}'")
        payloads = []
        for notify in ear.notifies(timeout=30):
            if notify.payload == MARKER:
                return payloads
            payloads.append(notify.payload)
    raise AssertionError("the marker never came back")


def test_an_instance_announces_on_commit_only() -> None:
    with postgres_database() as url:
        db = Database(url.replace("postgresql://", "postgresql+psycopg://"), instance="a")
        try:
            assert heard(url, db) == [
                '{"v":1,"from":"a","kind":"incident","id":"police-00001"}',
                '{"v":1,"from":"a","kind":"board","id":"police/P-1","extra":{"actor":"police.jones","via":"console"}}',
            ]
        finally:
            db.close()


def test_a_single_instance_announces_nothing() -> None:
    with postgres_database() as url:
        db = Database(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            assert heard(url, db) == []
        finally:
            db.close()


def test_on_sqlite_nothing_is_tried(tmp_path: Path) -> None:
    """SQLite has no pg_notify: an attempt would fail the writer's transaction."""
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}", instance="a")
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            db.announce(conn, "incident", "police-00001")
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT x FROM t")).all() == [(1,)]
    finally:
        db.close()
