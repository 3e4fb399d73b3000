"""The dispatch shell's rows sealed whole (commands, alerts, geofence events, messages): each keeps its sensitive
columns as one blob in `sealed` under `key_id`, the associated data "{table}/{row id}" (psn.cad.sealed,
psn.cad.command_store). Their share of key rotation: `psn keys retire` asks `key_in_use`, `psn keys reencrypt`
re-seals blobs under an older key version. Rows written in clear (encryption at rest off) stay in clear: their
columns differ per table and the shell opens either."""

from __future__ import annotations

import sqlalchemy as sa

from crypto.envelope import key_id_of
from psn.store.schema import alerts, commands, geofence_events, messages
from psn.store.sealing import Sealer

TABLES = (commands, alerts, geofence_events, messages)


def key_in_use(conn: sa.Connection, key_id: str) -> bool:
    return any(conn.execute(sa.select(t.c.id).where(t.c.key_id == key_id).limit(1)).first() is not None
               for t in TABLES)


def reencrypt(conn: sa.Connection, sealer: Sealer, current: set[str]) -> int:
    """Re-seals every blob of these tables not under a current key; returns the count of rows."""
    done = 0
    for table in TABLES:
        stale = sa.and_(table.c.sealed.is_not(None), table.c.key_id.not_in(sorted(current)))
        for row in conn.execute(sa.select(table.c.id, table.c.sealed).where(stale)).all():
            blob = sealer.reencrypt(row.sealed, f"{table.name}/{row.id}".encode())
            conn.execute(table.update().where(table.c.id == row.id).values(sealed=blob, key_id=key_id_of(blob)))
            done += 1
    return done
