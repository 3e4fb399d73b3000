"""Leases for the jobs that must run once however many psn instances share the database (docs/deploy.md,
"Once-only jobs").

On PostgreSQL a lease is a session-level advisory lock (`pg_try_advisory_lock`) taken on one connection of this
instance's own, kept open for the purpose (autocommit: it never sits idle in a transaction). Every `retry_s` a
round tries the leases not yet held and, when all are, asks `SELECT 1`, which confirms the connection (and so the
locks) still stand. PostgreSQL drops a session's locks when its connection closes (the instance killed -9, the
backend terminated): another instance takes the lease at its next round.

`held(name)` answers from memory, conservatively, so that no two instances ever both believe they hold a lease:
- a lease is held only while the last confirmation is younger than `2 × retry_s`: a database that stops
  answering (down, frozen, a half-open path) ends every lease within that, before any other instance can have
  counted one as its own;
- a lease just taken counts as held only `2 × retry_s` after it was taken: by then an instance that lost it (its
  connection closed under it) has seen its own confirmation run out.
A lost connection drops every lease at once, says so in the log, and the next round connects again.

Besides the leases named at construction (the once-only jobs, each with its `psn_lease_held` gauge), a lease can be
asked for while running (`want`: an adopted MQTT session, psn/adoption.py) and given back (`release`: it stops
counting at once, and the next round unlocks it).

On SQLite every lease is held: one instance by construction (the file is local)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Gauge

from psn.store.availability import reason
from psn.store.database import Database

log = logging.getLogger(__name__)
KEY_PREFIX = b"psn-lease:"
LEASE_SESSION = "psn-leases-"  # + the instance name: the lease connection's application_name


def lease_key(name: str) -> int:
    """The advisory lock key of a lease: the first 8 bytes of SHA-256("psn-lease:" + name) as a signed 64-bit
    integer (PostgreSQL's bigint). Stable across processes and versions, unlike Python's salted `hash`."""
    return int.from_bytes(hashlib.sha256(KEY_PREFIX + name.encode()).digest()[:8], "big", signed=True)


class Leases:
    def __init__(self, db: Database, names: Iterable[str], retry_s: float, registry: CollectorRegistry,
                 instance: str = "", monotonic: Callable[[], float] = time.monotonic) -> None:
        self.names = tuple(names)
        # Its session in pg_stat_activity: which instance's connection holds the locks (pg_locks.pid).
        self.application_name = f"{LEASE_SESSION}{instance}"[:63] if instance else "psn-leases"
        self.retry_s = retry_s
        self.shared = db.dialect == "postgresql"  # False: SQLite, every lease held
        self._url = db.url
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._taken: dict[str, float] = {}  # lease -> when (monotonic) this connection took it
        self._wanted: set[str] = set()  # leases asked for while running, besides `names`
        self._unlock: set[str] = set()  # leases given back, still locked on the connection until the next round
        self._confirmed = -float("inf")  # the start of the last round that found the connection alive
        self._engine: sa.Engine | None = None
        self._conn: sa.Connection | None = None
        self.rounds = 0  # rounds that reached the database
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        gauge = Gauge("psn_lease_held", "1 while this instance holds the lease (its once-only job runs here)",
                      ["lease"], registry=registry)
        for name in self.names:
            gauge.labels(name).set_function(self._gauge(name))

    def _gauge(self, name: str) -> Callable[[], float]:
        return lambda: 1.0 if self.held(name) else 0.0

    @property
    def validity_s(self) -> float:
        return 2 * self.retry_s

    def held(self, name: str) -> bool:
        if not self.shared:
            return True
        now = self._monotonic()
        with self._lock:
            taken = self._taken.get(name)
            return (taken is not None and now - self._confirmed < self.validity_s
                    and now - taken >= self.validity_s)

    def locked(self) -> list[str]:
        """The locks this instance's connection has, counted as held or still in their waiting time."""
        with self._lock:
            return [name for name in self.names if name in self._taken]

    def holding(self) -> list[str]:
        """The leases held now, in the order they were named."""
        return [name for name in self.names if self.held(name)]

    def want(self, name: str) -> None:
        """Asks for a lease not named at construction from the next round on (`held` says when it counts)."""
        with self._lock:
            self._wanted.add(name)

    def release(self, name: str) -> None:
        """Gives a wanted lease back: no longer held from now, unlocked at the next round (another instance can
        take it then)."""
        with self._lock:
            self._wanted.discard(name)
            if self._taken.pop(name, None) is not None:
                self._unlock.add(name)

    def start(self) -> None:
        if not self.shared:
            return
        self._engine = sa.create_engine(self._url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT",
                                        connect_args={"application_name": self.application_name})
        self._thread = threading.Thread(target=self._run, name="psn-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Closes the connection: PostgreSQL releases every lock of it at once."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.retry_s + 10)
            self._thread = None
        self._drop(None)
        if self._engine is not None:
            self._engine.dispose()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.round()
            self._stopping.wait(self.retry_s)

    def round(self) -> None:
        """One try: the leases not held are asked for, or the connection is confirmed alive."""
        started = self._monotonic()
        try:
            if self._conn is None:
                assert self._engine is not None
                self._conn = self._engine.connect()
            with self._lock:
                unlock, self._unlock = sorted(self._unlock), set()
                wanted = [name for name in (*self.names, *sorted(self._wanted)) if name not in self._taken]
            for name in unlock:
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lease_key(name)})
            if wanted:
                asks = ", ".join(f"pg_try_advisory_lock(:k{i})" for i in range(len(wanted)))
                row = self._conn.execute(sa.text(f"SELECT {asks}"),
                                         {f"k{i}": lease_key(name) for i, name in enumerate(wanted)}).one()
                got = [name for name, ok in zip(wanted, row, strict=True) if ok]
            else:
                self._conn.execute(sa.text("SELECT 1"))
                got = []
        except Exception as exc:  # whatever the driver raises: the connection, and every lock on it, are gone
            self._drop(exc)
            return
        with self._lock:
            self.rounds += 1
            self._confirmed = started
            for name in got:
                if name in self.names or name in self._wanted:  # not released meanwhile
                    self._taken[name] = started
                else:
                    self._unlock.add(name)
        if got:
            log.info("lease %s taken (its jobs run here from %.0f s on)", ", ".join(got), self.validity_s)

    def _drop(self, exc: Exception | None) -> None:
        with self._lock:
            lost, self._taken = sorted(self._taken), {}
            self._unlock.clear()  # the connection closes: PostgreSQL unlocks them all
            self._confirmed = -float("inf")
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a connection that is already gone fails too; it is gone either way
                log.debug("closing the lease connection failed", exc_info=True)
        if exc is not None:
            log.warning("lease connection lost (%s): leases dropped: %s", reason(exc), ", ".join(lost) or "none")
