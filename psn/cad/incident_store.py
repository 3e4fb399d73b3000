"""Incidents in the database: each change writes the incident's row and its new timeline entry in one
transaction; a new incident's id `{owner}-{n:05d}` is numbered inside the transaction that inserts it (the
unique (owner, seq) constraint refuses a second writer that numbered the same, and the create retries)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import orjson
import sqlalchemy as sa

import dispatch
from dispatch import Incident, IncidentState, IncidentType, Location, TimelineEntry
from psn.store import Database
from psn.store.incident_rows import open_text, seal_text
from psn.store.schema import incident_timeline, incidents
from psn.store.sealing import Sealer

Create = Callable[[str], tuple[Incident, TimelineEntry]]
# Another psn numbering the same id at the same instant. Not always settled by one retry: two instances creating
# 50 incidents each as fast as they can lost a sixth race in a row on a clean-clone run (five attempts were the
# limit then), so each retry waits a random few milliseconds and the limit is far away.
CREATE_ATTEMPTS = 100


def incident_id(owner: str, seq: int) -> str:
    return f"{owner}-{seq:05d}"


class IncidentStore:
    def __init__(self, db: Database, sealer: Sealer | None) -> None:
        self.db = db
        self.sealer = sealer

    def insert(self, owner: str, create: Create) -> tuple[Incident, TimelineEntry]:
        """Numbers the owner's next incident, builds it with `create(id)` and stores it with its first entry."""
        for attempt in range(CREATE_ATTEMPTS):
            try:
                with self.db.engine.begin() as conn:
                    last = conn.execute(sa.select(sa.func.max(incidents.c.seq))
                                        .where(incidents.c.owner == owner)).scalar()
                    seq = (last or 0) + 1
                    incident, entry = create(incident_id(owner, seq))
                    conn.execute(incidents.insert().values(id=incident.id, owner=owner, seq=seq,
                                                           **self._columns(incident, entry)))
                    self._append(conn, incident.id, entry)
                return incident, entry
            except sa.exc.IntegrityError:
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.001, 0.01))  # the winner commits; both must not retry in lockstep
        raise AssertionError("unreachable")

    def save(self, incident: Incident, entry: TimelineEntry, version: int) -> bool:
        """Stores the change made to the incident as it stood with `version` timeline entries; False (nothing
        written) when the stored one has moved on since: another psn instance changed it meanwhile."""
        with self.db.engine.begin() as conn:
            # The row locked first (PostgreSQL; SQLite has one writer at a time): two instances changing the
            # incident at once take turns, and the second sees the first's entry.
            conn.execute(sa.select(incidents.c.id).where(incidents.c.id == incident.id).with_for_update())
            stored = conn.execute(sa.select(sa.func.count()).select_from(incident_timeline)
                                  .where(incident_timeline.c.incident == incident.id)).scalar_one()
            if stored != version:
                return False
            conn.execute(incidents.update().where(incidents.c.id == incident.id)
                         .values(**self._columns(incident, entry)))
            self._append(conn, incident.id, entry)
        return True

    def load(self) -> list[Incident]:
        return self._select(None)

    def load_one(self, incident_id: str) -> Incident | None:
        """One incident as stored (another instance changed it); None for no such incident."""
        found = self._select(incident_id)
        return found[0] if found else None

    def _select(self, incident_id: str | None) -> list[Incident]:
        """Every incident, or the one of `incident_id` (read by its primary key and its timeline's index)."""
        rows_query = sa.select(incidents).order_by(incidents.c.owner, incidents.c.seq)
        entries_query = sa.select(incident_timeline).order_by(incident_timeline.c.id)
        if incident_id is not None:
            rows_query = rows_query.where(incidents.c.id == incident_id)
            entries_query = entries_query.where(incident_timeline.c.incident == incident_id)
        with self.db.engine.connect() as conn:
            rows = conn.execute(rows_query).all()
            entries = conn.execute(entries_query).all()
        timelines: dict[str, list[TimelineEntry]] = {}
        for e in entries:
            timelines.setdefault(e.incident, []).append(
                TimelineEntry(e.ts, e.actor, dispatch.Change(e.what), orjson.loads(e.details)))
        found = []
        for r in rows:
            notes, address = open_text(self.sealer, r)
            found.append(Incident(
                id=r.id, type=IncidentType(r.type), priority=r.priority, location=Location(r.lat, r.lon),
                address=address, place=r.place, notes=notes, owner=r.owner, partners=_split(r.partners),
                state=IncidentState(r.state), units=_split(r.units), timeline=tuple(timelines.get(r.id, ()))))
        return found

    def _columns(self, incident: Incident, entry: TimelineEntry) -> dict[str, object]:
        return {"type": incident.type.value, "priority": incident.priority, "lat": incident.location.lat,
                "lon": incident.location.lon, "place": incident.place, "partners": ",".join(sorted(incident.partners)),
                "units": ",".join(sorted(incident.units)), "state": incident.state.value, "updated": entry.ts,
                **seal_text(self.sealer, incident.owner, incident.id, incident.notes, incident.address)}

    @staticmethod
    def _append(conn: sa.Connection, incident: str, entry: TimelineEntry) -> None:
        conn.execute(incident_timeline.insert().values(incident=incident, ts=entry.ts, actor=entry.actor,
                                                       what=entry.what.value, details=orjson.dumps(entry.details)
                                                       .decode()))


def _split(text: str) -> frozenset[str]:
    return frozenset(item for item in text.split(",") if item)
