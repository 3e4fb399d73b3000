"""`psn backup` and `psn restore` on a database of N sealed fixes, as an operator runs them (each a process of its
own), against the engine's own tool in the same run: SQLite's online backup API copying the file (psn's snapshot
step alone), or PostgreSQL's `pg_dump -Fc` and `pg_restore` into a new database.

    .venv/bin/python -m bench.backup --fixes 200000
    .venv/bin/python -m bench.backup --fixes 200000 --db postgresql://postgres@127.0.0.1:5432/postgres

With `--db`, the URL names the server's admin database: the bench creates and drops its own databases there.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from psn.config import Settings
from psn.server import Server
from telemetry import Fix, UnitRef

PASSPHRASE = "bench passphrase, not a secret"


@contextlib.contextmanager
def databases(admin: str | None, count: int) -> Iterator[list[str | None]]:
    if admin is None:
        yield [None] * count
        return
    names = [f"psn_bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield [f"{base}/{name}" for name in names]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(settings: Settings, count: int) -> float:
    server = Server(settings)
    server.prepare_store()
    started = time.perf_counter()
    now = time.time()
    for start in range(0, count, 5000):
        server.db.insert_fixes([(Fix(UnitRef("police", f"P-{i % 500}"), now - count + i, 17.0 + i * 1e-6,
                                     -88.5 - i * 1e-6, speed=12.5, battery=80.0), now)
                                for i in range(start, min(count, start + 5000))])
    server.db.close()
    return time.perf_counter() - started


def psn(*argv: str) -> tuple[float, float]:
    return timed([sys.executable, "-m", "psn", *argv, "--passphrase-stdin"], PASSPHRASE + "\n")


def timed(argv: list[str], stdin: str = "") -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process): the machines are shared, so CPU says more than the wall."""
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run(argv, input=stdin, text=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixes", type=int, default=200_000)
    parser.add_argument("--db", help="PostgreSQL admin URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, databases(args.db, 3) as (source, target, baseline):
        root = Path(tmp)
        src = Settings(data_dir=root / "old", db_url=source)
        seeding = seed(src, args.fixes)
        db_flags = ["--db", source] if source else []
        archive = root / "psn.backup"
        backup_s = psn("backup", str(archive), "--data-dir", str(src.data_dir), *db_flags)
        archive_bytes = archive.stat().st_size
        restore_s = psn("restore", str(archive), "--data-dir", str(root / "new"),
                        *(["--db", target] if target else []))
        if source is None:
            started, cpu = time.perf_counter(), time.process_time()
            with contextlib.closing(sqlite3.connect(src.data_dir / "psn.db")) as live, \
                    contextlib.closing(sqlite3.connect(root / "copy.db")) as copy:
                live.backup(copy)
            base = {"sqlite3 backup API copy": (time.perf_counter() - started, time.process_time() - cpu)}
            size = os.path.getsize(src.data_dir / "psn.db")
        else:
            bindir = "/usr/lib/postgresql/15/bin"
            dumped = root / "pg.dump"
            base = {"pg_dump -Fc": timed([f"{bindir}/pg_dump", "-Fc", "-f", str(dumped), source]),
                    "pg_restore": timed([f"{bindir}/pg_restore", "-d", str(baseline), str(dumped)])}
            size = os.path.getsize(dumped)
    print(f"{args.fixes:,} sealed fixes ({'PostgreSQL' if source else 'SQLite'}), seeded in {seeding:.1f} s")
    for name, (wall, cpu) in {"psn backup": backup_s, "psn restore": restore_s, **base}.items():
        print(f"{name:24} {wall:6.1f} s wall, {cpu:6.1f} s CPU ({args.fixes / wall:,.0f} rows/s wall)")
    print(f"archive {archive_bytes:,} bytes; database file or pg_dump {size:,} bytes")


if __name__ == "__main__":
    main()
