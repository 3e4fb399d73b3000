"""The storage interface, on both engines: migrations, batched inserts, tracks, restore, bindings."""

from __future__ import annotations

from pathlib import Path

import pytest

from crypto.envelope import DecryptionFailed, KeyInUse
from psn.keys import keyring
from psn.store import BatchWriter, Database
from telemetry import Fix, StatusReport, UnitRef

P1 = UnitRef("police", "P-1")


def test_migrations_are_idempotent(db: Database) -> None:
    db.migrate()
    assert db.count_fixes() == 0


def test_track_window_and_order(db: Database) -> None:
    db.insert_fixes([(Fix(P1, float(t), 17.0 + t / 1000, -88.0), 0.0) for t in (5, 1, 3, 2, 4)])
    assert [p[0] for p in db.track("police/P-1", None, None)] == [1, 2, 3, 4, 5]
    assert [p[0] for p in db.track("police/P-1", 2, 4)] == [2, 3, 4]
    assert [p[0] for p in db.track("police/P-1", None, None, limit=2)] == [4, 5]
    assert db.track("police/P-2", None, None) == []


def test_latest_units_restore_the_live_picture(db: Database) -> None:
    p2 = UnitRef("nemo", "N-2", bound=False)
    db.insert_fixes([(Fix(P1, 1.0, 17.0, -88.0), 0.0), (Fix(P1, 2.0, 17.5, -88.5, speed=3.0), 0.0),
                     (Fix(p2, 1.0, 16.0, -88.0, source="owntracks"), 0.0)])
    db.insert_statuses([(StatusReport(P1, 1.5, "patrol"), 0.0), (StatusReport(P1, 1.7, "on_scene"), 0.0)])
    units = {u.id: u for u in db.latest_units()}
    assert units["police/P-1"].lat == 17.5 and units["police/P-1"].status == "on_scene"
    assert units["nemo/N-2"].bound is False and units["nemo/N-2"].source == "owntracks"


def test_device_bindings(db: Database) -> None:
    db.bind_device("jdoe/pixel", P1, 1.0)
    db.bind_device("jdoe/pixel", UnitRef("fire", "F-1"), 2.0)
    assert db.device_bindings() == {"jdoe/pixel": UnitRef("fire", "F-1")}


def test_batch_writer_writes_everything(db: Database) -> None:
    writer = BatchWriter(db, batch=100, flush_s=0.02)
    writer.start()
    for t in range(1000):
        writer.put(Fix(P1, float(t), 17.0, -88.0), 0.0)
    assert writer.flush()
    writer.stop()
    assert db.count_fixes() == 1000 and writer.written == 1000


def test_a_batch_writer_never_started_stops_quietly(db: Database) -> None:
    # Server.start stops what had started when it fails half-way: a failure before the writer's start (a bad
    # roads_file, a store that cannot migrate) must surface as itself, not as "cannot join thread".
    BatchWriter(db).stop()


def test_batch_writer_retries_through_an_outage(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}")  # not migrated yet: inserts fail
    writer = BatchWriter(db, flush_s=0.02)
    writer.start()
    writer.put(Fix(P1, 1.0, 17.0, -88.0), 0.0)
    import time

    deadline = time.monotonic() + 10
    while writer.failed_batches == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.failed_batches >= 1
    db.migrate()  # the database comes back
    assert writer.flush(timeout=15)
    writer.stop()
    assert db.count_fixes() == 1


def test_positions_are_sealed_at_rest_and_survive_rotation(tmp_path: Path) -> None:
    ring = keyring(tmp_path, environ={})
    ring.ensure(["police"])
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}", sealer=ring)
    db.migrate()
    db.insert_fixes([(Fix(P1, 1.0, 17.123456, -88.654321, speed=4.0), 0.0)])
    raw = db.engine.connect().exec_driver_sql("SELECT lat, lon, sealed, key_id FROM fixes").one()
    assert raw.lat is None and raw.lon is None and raw.key_id == "police:v1"
    assert b"17.123456" not in raw.sealed
    ring.ring.rotate("police")
    db.insert_fixes([(Fix(P1, 2.0, 17.2, -88.7), 0.0)])
    assert [p[1] for p in db.track("police/P-1", None, None)] == [17.123456, 17.2]
    with pytest.raises(KeyInUse):
        ring.ring.retire("police:v1", db.key_in_use)
    assert db.reencrypt(ring.current_ids()) == 1
    ring.ring.retire("police:v1", db.key_in_use)
    assert ring.ring.key_ids("police") == ["police:v2"]
    reopened = Database(db.url, sealer=keyring(tmp_path, environ={}))
    assert [p[1] for p in reopened.track("police/P-1", None, None)] == [17.123456, 17.2]
    assert reopened.latest_units()[0].speed is None and reopened.latest_units()[0].lat == 17.2


def test_a_swapped_blob_does_not_open(tmp_path: Path) -> None:
    ring = keyring(tmp_path, environ={})
    ring.ensure(["police"])
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}", sealer=ring)
    db.migrate()
    db.insert_fixes([(Fix(P1, 1.0, 17.1, -88.1), 0.0), (Fix(P1, 2.0, 17.2, -88.2), 0.0)])
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE fixes SET sealed = (SELECT sealed FROM fixes WHERE ts = 1.0) WHERE ts = 2.0")
    with pytest.raises(DecryptionFailed):
        db.track("police/P-1", None, None)
