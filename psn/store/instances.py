"""The directory of psn instances sharing the database: each writes its name and URL (`Settings.own_url`) when it
starts; an instance asks it for the URL of another, to send a viewer to the stream that instance holds."""

from __future__ import annotations

import sqlalchemy as sa

from psn.store.database import Database
from psn.store.instance_schema import psn_instances


class InstanceDirectory:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register(self, name: str, url: str, now: float) -> None:
        """This instance's URL, replacing what it wrote when it last started (the URL may have changed)."""
        with self.db.engine.begin() as conn:
            conn.execute(psn_instances.delete().where(psn_instances.c.name == name))
            conn.execute(psn_instances.insert().values(name=name, url=url, started=now))

    def urls(self) -> dict[str, str]:
        """Every instance's URL, by name."""
        with self.db.engine.connect() as conn:
            return {row.name: row.url for row in conn.execute(sa.select(psn_instances.c.name, psn_instances.c.url))}
