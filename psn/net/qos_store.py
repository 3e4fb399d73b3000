"""The QoS part's rows: the profiles in force (replaced whole) and the uplifts (never deleted: an uplift that ends
gets when and why, so the history stays)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from netmgmt.qos import Profile, Profiles, Uplift
from psn.store import Database
from psn.store.changes import QOS_PROFILES, UPLIFT
from psn.store.net_qos_schema import DEFAULT_PROFILE, qos_profiles, qos_uplifts

HISTORY_ROWS = 1000  # the most recent uplifts a history read returns: months of a busy national network


class QosStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def profiles(self) -> Profiles | None:
        """The stored profiles; None before any were stored (a new deployment)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(qos_profiles)).all()
        found = {r.name: Profile(r.qci, r.video_qci, r.voice_qci, r.arp, r.pci, r.pvi) for r in rows}
        default = found.pop(DEFAULT_PROFILE, None)
        return Profiles(found, default) if default is not None else None

    def save_profiles(self, profiles: Profiles, who: str, now: float) -> None:
        rows = [(DEFAULT_PROFILE, profiles.default), *profiles.agencies.items()]
        with self.db.engine.begin() as conn:
            conn.execute(qos_profiles.delete())
            conn.execute(qos_profiles.insert(), [
                {"name": name, "qci": p.qci, "video_qci": p.video_qci, "voice_qci": p.voice_qci, "arp": p.arp,
                 "pci": p.pci, "pvi": p.pvi, "updated_by": who, "updated": now} for name, p in rows])
            self.db.announce(conn, QOS_PROFILES)

    def insert(self, units: Iterable[str], incident: str | None, reason: str, requested_by: str, started: float,
               until: float) -> Uplift:
        units = tuple(units)
        with self.db.engine.begin() as conn:
            key = conn.execute(qos_uplifts.insert().values(
                units=",".join(units), incident=incident, reason=reason, requested_by=requested_by,
                started=started, until=until)).inserted_primary_key
            assert key is not None
            self.db.announce(conn, UPLIFT, str(key[0]))
        return Uplift(int(key[0]), units, incident, reason, requested_by, started, until)

    def end(self, uplift: Uplift) -> bool:
        """Writes how `uplift` ended; False when it had ended already (another psn instance, a racing cancel)."""
        with self.db.engine.begin() as conn:
            changed = conn.execute(qos_uplifts.update()
                                   .where((qos_uplifts.c.number == uplift.number) & qos_uplifts.c.ended.is_(None))
                                   .values(ended=uplift.ended, end_reason=uplift.end_reason)).rowcount
            if changed:
                self.db.announce(conn, UPLIFT, str(uplift.number))
        return bool(changed)

    def running(self) -> list[Uplift]:
        """The uplifts not ended (some may be past `until`: psn was down when they expired)."""
        return self._select(qos_uplifts.c.ended.is_(None))

    def history(self, since: float | None, agencies: Iterable[str]) -> list[Uplift]:
        """The most recent uplifts with a unit of one of `agencies` (started at or after `since`, when given),
        oldest first. Filtered in the query: a small agency's uplifts are not crowded out by the others'."""
        listed = sa.literal(",") + qos_uplifts.c.units  # ",a/1,b/2": each unit follows a comma
        where = sa.or_(sa.false(), *(listed.contains(f",{agency}/", autoescape=True) for agency in sorted(agencies)))
        if since is not None:
            where = where & (qos_uplifts.c.started >= since)
        return self._select(where, HISTORY_ROWS)

    def get(self, number: int) -> Uplift | None:
        found = self._select(qos_uplifts.c.number == number)
        return found[0] if found else None

    def _select(self, where: sa.ColumnElement[bool], limit: int | None = None) -> list[Uplift]:
        query = sa.select(qos_uplifts).where(where).order_by(qos_uplifts.c.number.desc()).limit(limit)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Uplift(r.number, tuple(u for u in r.units.split(",") if u), r.incident, r.reason, r.requested_by,
                       r.started, r.until, r.ended, r.end_reason) for r in reversed(rows)]
