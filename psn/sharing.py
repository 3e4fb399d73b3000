"""Sharing grants, stored: standing agreements, incident shares and the emergency flag.

Reads go through an immutable `Sharing` snapshot (rebuilt on every change) so the live fan-out can check
thousands of units per tick without touching the database.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from psn.access import Agreement, IncidentShare, Resource, Sharing
from psn.clock import Clock
from psn.store import Database
from psn.store.changes import INCIDENT, SHARING
from psn.store.schema import agreements, flags, incident_shares

EMERGENCY = "emergency_declared"


@dataclass(frozen=True)
class StoredAgreement:
    id: int
    agreement: Agreement
    created_by: str


class SharingStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._lock = threading.Lock()
        self.version = 0
        self.snapshot = Sharing()
        self.agreements: list[StoredAgreement] = []  # filled by reload() once the schema is migrated

    # Each reload reads and swaps under `_lock`, so the swaps land in the order of the reads: a reload that read
    # before a change committed (the change listener's, for another instance) can never replace the snapshot of
    # one that read after it (this instance's own, after its change). Access checks read `snapshot` unlocked;
    # only reloads wait on one another (tests/psn/test_sharing_store.py).

    def reload(self) -> None:
        with self._lock:
            with self.db.engine.connect() as conn:
                shares = tuple(map(_share, conn.execute(sa.select(incident_shares)).all()))
            self._reload_grants(shares)

    def reload_grants(self) -> None:
        """The agreements and the emergency flag read back; the incident shares held are kept (one row per
        incident ever: another instance's change of the grants does not need them read again)."""
        with self._lock:
            self._reload_grants(None)

    def _reload_grants(self, shares: tuple[IncidentShare, ...] | None) -> None:
        with self.db.engine.connect() as conn:
            agreement_rows = conn.execute(sa.select(agreements).order_by(agreements.c.id)).all()
            flag = conn.execute(sa.select(flags.c.value).where(flags.c.name == EMERGENCY)).scalar()
        self.agreements = [StoredAgreement(r.id, _agreement(r), r.created_by) for r in agreement_rows]
        self.snapshot = Sharing(agreements=tuple(a.agreement for a in self.agreements),
                                incidents=self.snapshot.incidents if shares is None else shares,
                                emergency=flag == "true")
        self.version += 1

    def reload_share(self, incident: str) -> None:
        """One incident's share read back (another instance changed it): one row, not the whole table."""
        with self._lock:
            with self.db.engine.connect() as conn:
                rows = conn.execute(sa.select(incident_shares).where(incident_shares.c.incident == incident)).all()
            kept = tuple(s for s in self.snapshot.incidents if s.incident != incident)
            self.snapshot = dataclasses.replace(self.snapshot, incidents=kept + tuple(map(_share, rows)))
            self.version += 1

    def add_agreement(self, agreement: Agreement, created_by: str) -> int:
        with self.db.engine.begin() as conn:
            result = conn.execute(agreements.insert().values(
                owner=agreement.owner, grantee=agreement.grantee,
                resources=",".join(sorted(agreement.resources)),
                only_during_emergency=agreement.only_during_emergency, created_by=created_by,
                created=self.clock.time()))
            key = result.inserted_primary_key
            assert key is not None
            new_id = int(key[0])
            self.db.announce(conn, SHARING, str(new_id))
        self.reload()
        return new_id

    def remove_agreement(self, agreement_id: int) -> bool:
        with self.db.engine.begin() as conn:
            removed = conn.execute(agreements.delete().where(agreements.c.id == agreement_id)).rowcount
            self.db.announce(conn, SHARING, str(agreement_id))
        self.reload()
        return bool(removed)

    def set_emergency(self, declared: bool) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(flags.delete().where(flags.c.name == EMERGENCY))
            conn.execute(flags.insert().values(name=EMERGENCY, value="true" if declared else "false"))
            self.db.announce(conn, SHARING, EMERGENCY)
        self.reload()

    def share_incident(self, share: IncidentShare) -> bool:
        """Stores the share; False (nothing written) when another agency already shares an incident of that id.
        Checked inside the transaction, so two agencies (or two psn instances) racing for one id cannot both win."""
        with self.db.engine.begin() as conn:
            owner = conn.execute(sa.select(incident_shares.c.owner)
                                 .where(incident_shares.c.incident == share.incident)).scalar()
            if owner is not None and owner != share.owner:
                return False
            conn.execute(incident_shares.delete().where((incident_shares.c.incident == share.incident)
                                                        & (incident_shares.c.owner == share.owner)))
            conn.execute(incident_shares.insert().values(
                incident=share.incident, owner=share.owner, partners=",".join(sorted(share.partners)),
                units=",".join(sorted(share.units)), open=share.open))
            # The incident's row was committed before its share: on this commit a peer reads both.
            self.db.announce(conn, INCIDENT, share.incident)
        self.reload()
        return True


def _split(text: str) -> frozenset[str]:
    return frozenset(item for item in text.split(",") if item)


def _share(row: sa.Row[Any]) -> IncidentShare:
    return IncidentShare(row.incident, row.owner, _split(row.partners), _split(row.units), row.open)


def _agreement(row: sa.Row) -> Agreement:
    return Agreement(row.owner, row.grantee, frozenset(Resource(r) for r in _split(row.resources)),
                     row.only_during_emergency)
