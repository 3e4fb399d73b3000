"""`psn backup` / `psn restore`, the commands as an operator runs them: a data dir with sealed fixes under two key
versions and a user → an archive → a fresh data dir and database → the fixes read back equal through the API,
the user signs in; on SQLite, PostgreSQL, and from one to the other. A wrong passphrase, an altered archive or a
non-empty target is refused with a clear error and nothing changed."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from crypto.sealed_stream import SealingWriter
from psn.cli import main
from psn.config import Settings
from psn.server import Server
from psn.store.schema import fixes
from telemetry import Fix, UnitRef
from tests.support import Mosquitto, RunningServer, make_settings, postgres_database, publisher, wait_for

PASSPHRASE = "long enough passphrase"
PASSWORD = "correct horse battery staple"
NOW = time.time()
# Written here, not read from psn: what must come back. Two units, two agencies, fixes either side of a rotation.
FIXES = [Fix(UnitRef("police", "P-1"), NOW - 600 + i, 17.25 + i / 1000, -88.75 - i / 1000, speed=float(i))
         for i in range(30)] + [Fix(UnitRef("ems", "E-7"), NOW - 300, 17.5, -88.2, battery=55.0)]
pytestmark = pytest.mark.timeout(120)


def run(*argv: str, stdin: str = PASSPHRASE) -> tuple[int, str]:
    saved, sys.stdin = sys.stdin, io.StringIO(stdin + "\n")
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = saved
    return code, err.getvalue()


def flags(settings: Settings) -> list[str]:
    return ["--passphrase-stdin", "--data-dir", str(settings.data_dir)] + (
        ["--db", settings.db_url] if settings.db_url else [])


@contextlib.contextmanager
def database(engine: str) -> Iterator[str | None]:
    if engine == "sqlite":
        yield None
    else:
        with postgres_database() as url:
            yield url


def populate(settings: Settings) -> None:
    server = Server(settings)
    server.prepare_store()
    server.db.insert_fixes([(f, NOW) for f in FIXES[:15]])
    assert server.keys is not None
    server.keys.ring.rotate("police")  # the rest sealed under police:v2: both versions must come back
    server.db.insert_fixes([(f, NOW) for f in FIXES[15:]])
    server.users.add("alice", "police", ["dispatcher"], PASSWORD, settings.agencies)
    server.audit.record("test", "seeded", "-")
    server.audit.checkpoint()
    server.db.close()


def stored(settings: Settings) -> tuple[int, int]:
    """(rows, rows whose position is in clear): read with plain SQL, not through psn."""
    engine = sa.create_engine(settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(fixes.c.lat, fixes.c.sealed)).all()
    engine.dispose()
    return len(rows), sum(1 for lat, _ in rows if lat is not None)


@pytest.mark.parametrize("source,target", [("sqlite", "sqlite"), ("postgresql", "postgresql"),
                                           ("sqlite", "postgresql")])
def test_sealed_fixes_and_users_come_back_in_a_fresh_data_dir_and_database(
        tmp_path: Path, source: str, target: str) -> None:
    archive = tmp_path / "psn.backup"
    with database(source) as src_url, database(target) as dst_url:
        src = Settings(data_dir=tmp_path / "old", db_url=src_url)
        populate(src)
        code, err = run("backup", str(archive), *flags(src))
        assert code == 0, err
        assert "rows" in err and PASSPHRASE.encode() not in archive.read_bytes()

        broker = Mosquitto(tmp_path).start()
        dst = make_settings(tmp_path / "new", broker.url, dst_url)
        code, err = run("restore", str(archive), *flags(dst))
        assert code == 0, err
        assert stored(dst) == (len(FIXES), 0)  # restored sealed, as they were stored
        assert (dst.data_dir / "keys" / "master.key").read_bytes() == (
            src.data_dir / "keys" / "master.key").read_bytes()
        running = RunningServer(dst).start()
        try:
            login = httpx.post(f"{running.base_url}/api/v1/auth/login", data={"name": "alice", "password": PASSWORD})
            assert login.status_code == 200, login.text
            auth = {"Authorization": f"Bearer {login.json()['token']}"}
            track = httpx.get(f"{running.base_url}/api/v1/units/police/P-1/track", headers=auth,
                              params={"since": NOW - 3600}).json()
            assert track["geometry"]["coordinates"] == [[f.lon, f.lat] for f in FIXES[:30]]
            assert track["properties"]["times"] == [f.ts for f in FIXES[:30]]
            assert {u.unit: u.battery for u in running.server.db.latest_units()} == {"P-1": None, "E-7": 55.0}
            assert running.server.audit.verify().ok
            running.server.db.insert_fixes([(Fix(UnitRef("police", "P-1"), NOW, 17.0, -88.0), NOW)])  # ids go on
            running.server.users.add("bob", "ems", ["dispatcher"], PASSWORD, dst.agencies)
            assert stored(dst) == (len(FIXES) + 1, 0)
        finally:
            running.stop()
            broker.stop()


def test_a_wrong_passphrase_an_altered_archive_or_a_used_target_change_nothing(tmp_path: Path) -> None:
    src = Settings(data_dir=tmp_path / "old")
    populate(src)
    archive = tmp_path / "psn.backup"
    assert run("backup", str(archive), *flags(src))[0] == 0
    dst = Settings(data_dir=tmp_path / "new")

    code, err = run("restore", str(archive), *flags(dst), stdin="not the passphrase")
    assert code == 2 and "wrong passphrase" in err and "nothing was changed" in err

    altered = tmp_path / "altered.backup"
    blob = bytearray(archive.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    altered.write_bytes(bytes(blob))
    code, err = run("restore", str(altered), *flags(dst))
    assert code == 2 and "fails authentication" in err and "nothing was changed" in err

    cut = tmp_path / "cut.backup"
    cut.write_bytes(archive.read_bytes()[:-100])
    code, err = run("restore", str(cut), *flags(dst))
    assert code == 2 and "truncated" in err

    assert not dst.data_dir.exists() or not any(dst.data_dir.rglob("*"))
    code, err = run("restore", str(archive), *flags(src))
    assert code == 2 and "not empty" in err


@pytest.mark.parametrize("forgery", ["checksum", "traversal", "extra file"])
def test_an_archive_sealed_with_the_passphrase_but_forged_inside_is_refused(tmp_path: Path, forgery: str) -> None:
    """The passphrase opens it, yet its contents disagree with its manifest or reach outside the scratch
    directory: refused, the target untouched."""
    manifest = {"kind": "psn-backup", "format": 1, "created": "2026-12-01T00:00:00+00:00", "psn_version": "0",
                "engine": "sqlite", "migration_head": "0011", "master_key": "in the archive",
                "tables": {}, "files": {"keys/master.key": {"sha256": "0" * 64, "bytes": 4, "mode": "600"}}}
    members = {"manifest.json": json.dumps(manifest).encode(), "files/keys/master.key": b"key\n"}
    if forgery == "traversal":
        members["../../escaped"] = b"x"
    if forgery == "extra file":
        manifest["files"]["keys/master.key"]["sha256"] = hashlib.sha256(b"key\n").hexdigest()
        members["manifest.json"] = json.dumps(manifest).encode()
        members["files/keys/planted"] = b"x"
    archive = tmp_path / "forged.backup"
    with archive.open("wb") as fh:
        writer = SealingWriter(fh, PASSPHRASE.encode())
        with tarfile.open(fileobj=writer, mode="w|") as tar:  # type: ignore[call-overload]
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        writer.close()
    dst = Settings(data_dir=tmp_path / "new")
    code, err = run("restore", str(archive), *flags(dst))
    assert code == 2 and "nothing was changed" in err, err
    assert {"checksum": "does not match its checksum", "traversal": "outside the destination",
            "extra file": "differ from its manifest"}[forgery] in err
    assert not (tmp_path / "escaped").exists() and not (dst.data_dir / "keys").exists()
    assert not (dst.data_dir / "psn.db").exists()


def test_without_the_master_key_the_archive_needs_it_back_to_read_the_fixes(tmp_path: Path) -> None:
    src = Settings(data_dir=tmp_path / "old")
    populate(src)
    archive = tmp_path / "psn.backup"
    assert run("backup", str(archive), *flags(src), "--without-master-key")[0] == 0
    dst = Settings(data_dir=tmp_path / "new")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run("restore", str(archive), *flags(dst))[0] == 0
    master = dst.data_dir / "keys" / "master.key"
    assert not master.exists() and f"put the installation's at {master}" in out.getvalue()
    master.write_bytes((src.data_dir / "keys" / "master.key").read_bytes())
    master.chmod(0o600)
    server = Server(dst)
    assert [p[1:] for p in server.db.track("police/P-1", None, None)] == [(f.lat, f.lon) for f in FIXES[:30]]
    server.db.close()


def test_a_backup_taken_while_fixes_stream_in_holds_a_prefix_of_them(tmp_path: Path) -> None:
    """Online, SQLite (the engine where a reader and psn's writer share a file): psn stores a unit's fixes, in
    order, while the backup runs. The archive holds exactly the first k of them for some k — no gap, no duplicate
    — and psn went on storing after it."""
    with database("sqlite") as src_url, database("sqlite") as dst_url:
        broker = Mosquitto(tmp_path).start()
        src = make_settings(tmp_path / "old", broker.url, src_url)
        running = RunningServer(src).start()
        sent: list[float] = []
        stop = threading.Event()

        def stream() -> None:
            client = publisher(broker.url)
            base = time.time() - 60
            while not stop.is_set():
                ts = base + len(sent) * 0.01
                client.publish("psn/v1/police/P-1/telemetry", json.dumps({"ts": ts, "lat": 17.3, "lon": -88.6}),
                               qos=1).wait_for_publish(10)
                sent.append(ts)
            client.disconnect()

        thread = threading.Thread(target=stream)
        thread.start()
        try:
            wait_for(lambda: stored(src)[0] >= 50, timeout=30)
            assert run("backup", str(tmp_path / "psn.backup"), *flags(src))[0] == 0
            after = stored(src)[0]
            wait_for(lambda: stored(src)[0] >= after + 50, timeout=30)
        finally:
            stop.set()
            thread.join()
            running.stop()
            broker.stop()
        dst = Settings(data_dir=tmp_path / "new", db_url=dst_url)
        assert run("restore", str(tmp_path / "psn.backup"), *flags(dst))[0] == 0
        server = Server(dst)
        restored = [ts for ts, _, _ in server.db.track("police/P-1", None, None, limit=1_000_000)]
        server.db.close()
    assert 50 <= len(restored) < len(sent)
    assert restored == sent[:len(restored)]
