"""The directory of psn instances sharing the database: each writes its name and URL (`Settings.own_url`) when it
starts; an instance asks it for the URL of another, to send a viewer to the stream that instance holds, and for the
instances that are dead, to adopt their MQTT sessions (psn/adoption.py).

On PostgreSQL only instances alive now are listed: those whose lease connection (`psn.store.lease`, named
`psn-leases-{instance}` in pg_stat_activity) is open. One killed -9 drops out when PostgreSQL closes its session,
with the streams it held (their `StreamEnded` never comes)."""

from __future__ import annotations

import sqlalchemy as sa

from psn.store.database import Database
from psn.store.instance_schema import psn_instances
from psn.store.lease import LEASE_SESSION


class InstanceDirectory:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register(self, name: str, url: str, now: float) -> None:
        """This instance's URL, replacing what it wrote when it last started (the URL may have changed)."""
        with self.db.engine.begin() as conn:
            conn.execute(psn_instances.delete().where(psn_instances.c.name == name))
            conn.execute(psn_instances.insert().values(name=name, url=url, started=now))

    def urls(self) -> dict[str, str]:
        """The URL of every instance alive, by name."""
        query = sa.select(psn_instances.c.name, psn_instances.c.url)
        if self.db.dialect == "postgresql":
            query = query.where(self._alive())
        with self.db.engine.connect() as conn:
            return {row.name: row.url for row in conn.execute(query)}

    def dead(self) -> dict[str, float]:
        """Every instance registered whose lease connection is closed, with when it last started; none on SQLite
        (one instance by construction)."""
        if self.db.dialect != "postgresql":
            return {}
        query = sa.select(psn_instances.c.name, psn_instances.c.started).where(sa.not_(self._alive()))
        with self.db.engine.connect() as conn:
            return {row.name: row.started for row in conn.execute(query)}

    @staticmethod
    def _alive() -> sa.ColumnElement[bool]:
        sessions = sa.text("SELECT application_name FROM pg_stat_activity WHERE datname = current_database()")
        session_name = sa.func.left(sa.literal(LEASE_SESSION) + psn_instances.c.name, 63)  # NAMEDATALEN - 1
        return session_name.in_(sessions.columns(sa.column("application_name", sa.String)))
