"""A logical dump of psn's database, engine-neutral: every table's rows as gzipped JSON lines (sealed columns stay
sealed, bytes as base64), read from one consistent snapshot, and loaded back into an empty database in one go.

One format for both engines, so a SQLite backup restores into PostgreSQL (the way off a demo or a pilot) and the
restore path is one code path tested on both; no dependency on a `pg_dump` as new as the server (it
refuses a server of a newer major version). The snapshot: SQLite's online backup API copies the file as of one moment
(writers go on, in WAL mode); PostgreSQL reads every table in one REPEATABLE READ, READ ONLY transaction.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from psn.store.database import MIGRATIONS

Progress = Callable[[str, int, int], None]  # table, rows done, rows in all
VERSION_TABLE = "alembic_version"
BATCH = 5000


class DumpError(Exception):
    """What stops a dump or a load; the message says what to do. Nothing was changed."""


def sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


@contextlib.contextmanager
def snapshot(url: str, scratch: Path) -> Iterator[sa.Connection]:
    """A connection that sees the whole database as of one moment, while the server goes on writing."""
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            raise DumpError(f"no database at {path}")
        copy = scratch / "snapshot.db"
        with contextlib.closing(sqlite3.connect(path)) as live, contextlib.closing(sqlite3.connect(copy)) as dst:
            live.backup(dst)  # one step: a consistent copy as of its start, writers not blocked (WAL)
        url = f"sqlite:///{copy}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
    finally:
        engine.dispose()


def tables(conn: sa.Connection) -> list[sa.Table]:
    meta = sa.MetaData()
    meta.reflect(conn)
    return [t for t in meta.sorted_tables if t.name != VERSION_TABLE]


def migration_head(conn: sa.Connection) -> str:
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        raise DumpError("the database has no schema version: not a psn database, or never started")
    return str(conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one())


def dump(conn: sa.Connection, directory: Path, progress: Progress) -> dict[str, dict[str, Any]]:
    """Every table into `directory/{table}.jsonl.gz` (a header line naming the columns and which hold bytes, then
    one JSON array a row, bytes as base64); returns, per table, its row count, columns and the data keys its
    sealed rows name."""
    found = tables(conn)
    counts = {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()) for t in found}
    total, done = sum(counts.values()), 0
    out: dict[str, dict[str, Any]] = {}
    for table in found:
        columns = [c.name for c in table.columns]
        binary = [i for i, c in enumerate(table.columns) if isinstance(c.type, sa.LargeBinary)]
        key_col = columns.index("key_id") if "key_id" in columns else None
        key_ids: set[str] = set()
        query = sa.select(table).order_by(*(list(table.primary_key.columns) or list(table.columns)))
        rows = 0
        # compresslevel 1: sealed blobs do not compress anyway; the text columns compress well at any level.
        with gzip.open(directory / f"{table.name}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as fh:
            fh.write(json.dumps({"columns": columns, "binary": binary}) + "\n")
            result = conn.execution_options(yield_per=BATCH, stream_results=True).execute(query)
            for part in result.partitions():
                lines = []
                for row in part:
                    values = list(row)
                    for i in binary:
                        if values[i] is not None:
                            values[i] = base64.b64encode(values[i]).decode()
                    lines.append(json.dumps(values))
                    if key_col is not None and values[key_col] is not None:
                        key_ids.add(values[key_col])
                fh.write("\n".join(lines) + "\n")
                rows += len(lines)
                progress(table.name, done + rows, total)
        done += rows
        progress(table.name, done, total)
        out[table.name] = {"rows": rows, "columns": columns, "key_ids": sorted(key_ids)}
    return out


def ensure_empty(url: str) -> None:
    """Restore writes only into a database that holds nothing yet (a new SQLite file, a new PostgreSQL database)."""
    path = sqlite_path(url)
    if path is not None:
        if path.exists() and path.stat().st_size:
            raise DumpError(f"{path} exists: restore goes into an empty database (move it away first)")
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            present = sa.inspect(conn).get_table_names()
    except sa.exc.OperationalError as exc:
        raise DumpError(f"cannot reach the database: {exc.orig}") from None
    finally:
        engine.dispose()
    if present:
        raise DumpError(f"the database already holds tables ({', '.join(sorted(present)[:5])}): restore goes into "
                        "an empty database (create a new one)")


def load(url: str, directory: Path, manifest: dict[str, dict[str, Any]], head: str, progress: Progress) -> None:
    """Into an empty database: the schema as of `head`, every row, sequences past the highest id, then migrated
    to this psn's head; one transaction (SQLite: built beside the target and renamed in), so a failure leaves the
    database as it was."""
    ensure_empty(url)
    path = sqlite_path(url)
    target = url
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, building = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".restoring", dir=path.parent)
        os.close(fd)
        target = f"sqlite:///{building}"
    engine = sa.create_engine(target)
    try:
        with engine.begin() as conn:
            _migrate(conn, head)
            _insert(conn, directory, manifest, progress)
            _migrate(conn, "head")
        engine.dispose()
        if path is not None:
            os.replace(target.removeprefix("sqlite:///"), path)
    finally:
        engine.dispose()
        if path is not None:
            Path(target.removeprefix("sqlite:///")).unlink(missing_ok=True)


def _migrate(conn: sa.Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    try:
        ScriptDirectory.from_config(config).get_revision(revision)
    except CommandError:
        raise DumpError(f"the archive's schema revision {revision!r} is unknown to this psn (made by a newer "
                        "version): restore with that version, then upgrade") from None
    command.upgrade(config, revision)


def _insert(conn: sa.Connection, directory: Path, manifest: dict[str, dict[str, Any]], progress: Progress) -> None:
    present = {t.name: t for t in tables(conn)}
    missing = sorted(set(manifest) - set(present))
    if missing:
        raise DumpError(f"the archive holds tables this schema lacks: {missing}")
    total, done = sum(m["rows"] for m in manifest.values()), 0
    restored = [t for t in present.values() if t.name in manifest]  # sorted: parents before children
    for table in reversed(restored):  # rows the migrations seed (the archive has them as they were)
        conn.execute(table.delete())
    for table in restored:
        with gzip.open(directory / f"{table.name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            header = json.loads(fh.readline())
            columns, binary = header["columns"], header["binary"]
            write = _writer(conn, table.name, columns)
            while lines := fh.readlines(1 << 20):
                batch = [json.loads(line) for line in lines]
                for values in batch:
                    for i in binary:
                        if values[i] is not None:
                            values[i] = base64.b64decode(values[i])
                write([tuple(values) for values in batch])
                done += len(batch)
                progress(table.name, done, total)
        _advance_sequences(conn, table)


def _writer(conn: sa.Connection, table: str, columns: list[str]) -> Callable[[list[tuple[Any, ...]]], None]:
    """PostgreSQL: COPY (measured 200,000 fixes: 35 s with executemany, see docs/deploy.md); SQLite: driver-level
    executemany with tuples, as the store's writer does."""
    names = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection  # psycopg 3, inside this transaction

        def copy(rows: list[tuple[Any, ...]]) -> None:
            with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as stream:
                for row in rows:
                    stream.write_row(row)

        return copy
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'

    def insert(rows: list[tuple[Any, ...]]) -> None:
        conn.exec_driver_sql(sql, rows)

    return insert


def _advance_sequences(conn: sa.Connection, table: sa.Table) -> None:
    """PostgreSQL: rows came with their ids, so each serial's next value goes past the highest (SQLite's
    INTEGER PRIMARY KEY follows the rows by itself)."""
    if conn.dialect.name != "postgresql":
        return
    for column in table.primary_key.columns:
        sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": table.name, "c": column.name}).scalar()
        if sequence is not None:
            conn.execute(sa.text(f'SELECT setval(:s, (SELECT COALESCE(MAX("{column.name}"), 0) + 1 '
                                 f'FROM "{table.name}"), false)'), {"s": sequence})


class Throttled:
    """Progress on stderr for big databases: a line at most every `every_s`, and one at the end."""

    def __init__(self, write: Callable[[str], None], verb: str, every_s: float = 2.0) -> None:
        self.write, self.verb, self.every_s = write, verb, every_s
        self._last = time.monotonic()
        self._ended = False

    def __call__(self, table: str, done: int, total: int) -> None:
        now = time.monotonic()
        if (done == total and not self._ended) or now - self._last >= self.every_s:
            self._last, self._ended = now, done == total
            self.write(f"{self.verb} {table}: {done:,} of {total:,} rows")
