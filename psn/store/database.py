"""Storage behind one interface with two engines: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from crypto.envelope import key_id_of
from psn.state import UnitState
from psn.store import changes, incident_rows, sealed_rows
from psn.store.schema import device_bindings, fixes, statuses
from psn.store.sealing import SEALED_FIELDS, Sealer, aad, open_position, seal_position
from telemetry import Fix, StatusReport, UnitRef

MIGRATIONS = Path(__file__).with_name("migrations")
FIX_COLUMNS = ("unit_id", "agency", "ts", *SEALED_FIELDS, "bound", "source", "received")
SEALED_FIX_COLUMNS = ("unit_id", "agency", "ts", "bound", "source", "received", "sealed", "key_id")
STATUS_COLUMNS = ("unit_id", "agency", "ts", "status", "received")
# Every table holding sealed data: what `reencrypt` re-seals and `key_in_use` looks through.
SEALED_TABLES = ("fixes", "incidents", *(table.name for table in sealed_rows.TABLES))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the API read while the batch writer writes; NORMAL sync is durable across app crashes.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    def __init__(self, url: str, sealer: Sealer | None = None, instance: str = "") -> None:
        self.url = url
        self.sealer = sealer  # None: positions in clear (tests of the plain path, migrations)
        self.instance = instance  # this psn instance's name: "" for a single instance (nobody to tell of changes)
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def shared(self) -> bool:
        """Other psn instances share this database and hear of its changes (`psn.store.changes`)."""
        return bool(self.instance) and self.dialect == "postgresql"

    def listen_url(self) -> str:
        """The database as libpq names it (the change listener's own psycopg connection)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def announce(self, conn: sa.Connection, kind: str, key: str = "", **extra: str) -> None:
        """Tells the other instances, on commit of `conn`'s transaction, that `kind` `key` changed; nothing on
        SQLite or for a single instance."""
        if self.shared:
            payload = changes.encode(changes.Change(kind, key, self.instance, tuple(sorted(extra.items()))))
            conn.execute(sa.select(sa.func.pg_notify(changes.CHANNEL, payload)))

    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """One real round trip (`SELECT 1`) through the pool; raises what the driver raises when it fails."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def _insert_many(self, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Inserts the rows a unique key (unit, ts) does not already hold: a message the broker delivers again
        after a crash (its acknowledgement waits for this commit) is stored once."""
        with self.engine.begin() as conn:
            insert_new(conn, table, columns, rows)

    def insert_fixes(self, batch: Sequence[tuple[Fix, float]]) -> None:
        if self.sealer is None:
            self._insert_many(fixes, FIX_COLUMNS, [
                (f.who.id, f.who.agency, f.ts, *_position(f), f.who.bound, f.source, received)
                for f, received in batch
            ])
            return
        sealer = self.sealer
        self._insert_many(fixes, SEALED_FIX_COLUMNS, [
            (f.who.id, f.who.agency, f.ts, f.who.bound, f.source, received,
             *seal_position(sealer, f.who.agency, f.who.id, f.ts, _position(f)))
            for f, received in batch
        ])

    def _position(self, row: Any) -> tuple[float | None, ...]:
        if row.sealed is None:
            return tuple(getattr(row, name) for name in SEALED_FIELDS)
        if self.sealer is None:
            raise RuntimeError("stored positions are sealed but no keyring was given")
        return open_position(self.sealer, row.unit_id, row.ts, row.sealed)

    def insert_statuses(self, batch: Sequence[tuple[StatusReport, float]]) -> None:
        self._insert_many(statuses, STATUS_COLUMNS,
                          [(s.who.id, s.who.agency, s.ts, s.status, r) for s, r in batch])

    def track(
        self, unit_id: str, since: float | None, until: float | None, limit: int = 10_000
    ) -> list[tuple[float, float, float]]:
        """(ts, lat, lon) in time order; the most recent `limit` points of the window."""
        query = sa.select(fixes).where(fixes.c.unit_id == unit_id)
        if since is not None:
            query = query.where(fixes.c.ts >= since)
        if until is not None:
            query = query.where(fixes.c.ts <= until)
        query = query.order_by(fixes.c.ts.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(r.ts, *self._position(r)[:2]) for r in reversed(rows)]

    def count_fixes(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(fixes)).scalar_one())

    def latest_units(self) -> list[UnitState]:
        """The newest fix and status of every unit: restores the live picture after a restart."""
        with self.engine.connect() as conn:
            status_rows = {r.unit_id: r for r in conn.execute(_newest_per_unit(statuses))}
            units: dict[str, UnitState] = {}
            for r in conn.execute(_newest_per_unit(fixes)):
                status = status_rows.get(r.unit_id)
                lat, lon, _alt, speed, heading, accuracy, battery = self._position(r)
                units[r.unit_id] = UnitState(
                    agency=r.agency,
                    unit=r.unit_id.split("/", 1)[1],
                    bound=r.bound,
                    ts=r.ts,
                    lat=lat,
                    lon=lon,
                    speed=speed,
                    heading=heading,
                    accuracy=accuracy,
                    battery=battery,
                    status=status.status if status else None,
                    status_ts=status.ts if status else None,
                    source=r.source,
                )
        return list(units.values())

    def key_in_use(self, key_id: str) -> bool:
        with self.engine.connect() as conn:
            return (conn.execute(sa.select(fixes.c.id).where(fixes.c.key_id == key_id).limit(1)).first() is not None
                    or incident_rows.key_in_use(conn, key_id) or sealed_rows.key_in_use(conn, key_id))

    def reencrypt(self, current: set[str], batch: int = 2000) -> int:
        """Re-seals every fix and every incident's notes and address not under a current key (older key versions,
        or never sealed), and the dispatch shell's sealed rows (commands, alerts, geofence events, messages) under
        an older key; returns the count of records. Fixes run in batches beside live ingest, each batch its own
        transaction; the shell's rows (thousands, not millions) in one."""
        if self.sealer is None:
            raise RuntimeError("re-encryption needs a keyring")
        with self.engine.begin() as conn:
            done = incident_rows.reencrypt(conn, self.sealer, current)
            done += sealed_rows.reencrypt(conn, self.sealer, current)
        stale = sa.or_(fixes.c.key_id.is_(None), fixes.c.key_id.not_in(sorted(current)))
        while True:
            with self.engine.begin() as conn:
                rows = conn.execute(sa.select(fixes).where(stale).limit(batch)).all()
                for r in rows:
                    if r.sealed is None:
                        blob, key_id = seal_position(self.sealer, r.agency, r.unit_id, r.ts, self._position(r))
                    else:
                        blob = self.sealer.reencrypt(r.sealed, aad(r.unit_id, r.ts))
                        key_id = key_id_of(blob)
                    conn.execute(fixes.update().where(fixes.c.id == r.id).values(
                        sealed=blob, key_id=key_id, **dict.fromkeys(SEALED_FIELDS)))
            done += len(rows)
            if len(rows) < batch:
                return done

    def device_bindings(self) -> dict[str, UnitRef]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(device_bindings)).all()
        return {r.device: UnitRef(r.agency, r.unit) for r in rows}

    def bind_device(self, device: str, who: UnitRef, now: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(device_bindings.delete().where(device_bindings.c.device == device))
            conn.execute(
                device_bindings.insert().values(device=device, agency=who.agency, unit=who.unit, bound_at=now)
            )


def _newest_per_unit(table: sa.Table) -> sa.Select[Any]:
    """The rows of `table` with each unit's highest `ts`."""
    newest = sa.select(table.c.unit_id, sa.func.max(table.c.ts).label("ts")).group_by(table.c.unit_id).subquery()
    return sa.select(table).join(newest, sa.and_(table.c.unit_id == newest.c.unit_id, table.c.ts == newest.c.ts))


def _position(f: Fix) -> tuple[float | None, ...]:
    return (f.lat, f.lon, f.alt, f.speed, f.heading, f.accuracy, f.battery)


def insert_new(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Inserts the rows no unique key of `table` already holds (a table without one takes them all)."""
    if not rows:
        return
    # Driver-level executemany with tuples: several times cheaper per row than Core with dicts. SQLite and
    # PostgreSQL spell the conflict clause alike (the dialects' on_conflict_do_nothing renders the same).
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    values = ", ".join([marker] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values}) ON CONFLICT DO NOTHING",
                         rows)
