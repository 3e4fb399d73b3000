"""How an incident's caller text is sealed at rest: its notes and address, each one AES-256-GCM blob under the
owning agency's key, the associated data naming the incident and the field (a blob moved to another incident or
field fails to open). With encryption off they stay in the clear columns. Also the incidents' share of key
rotation (`psn keys reencrypt` / `retire` through `Database.reencrypt` / `key_in_use`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crypto.envelope import key_id_of
from psn.store.schema import incidents
from psn.store.sealing import Sealer

SEALED_TEXT = ("notes", "address")


def text_aad(incident_id: str, field: str) -> bytes:
    return f"incidents/{incident_id}/{field}".encode()


def seal_text(sealer: Sealer | None, owner: str, incident_id: str, notes: str,
              address: str | None) -> dict[str, Any]:
    """The column values that store `notes` and `address`: sealed blobs and their key, or the clear text."""
    if sealer is None:
        return {"notes": notes, "address": address, "sealed_notes": None, "sealed_address": None, "key_id": None}
    blob = sealer.seal(owner, notes.encode(), text_aad(incident_id, "notes"))
    sealed_address = (None if address is None
                      else sealer.seal(owner, address.encode(), text_aad(incident_id, "address")))
    return {"notes": None, "address": None, "sealed_notes": blob, "sealed_address": sealed_address,
            "key_id": key_id_of(blob)}


def open_text(sealer: Sealer | None, row: Any) -> tuple[str, str | None]:
    """(notes, address) of a stored row."""
    if row.sealed_notes is None:
        return row.notes, row.address
    if sealer is None:
        raise RuntimeError("stored incident notes are sealed but no keyring was given")
    notes = sealer.open(row.sealed_notes, text_aad(row.id, "notes")).decode()
    address = (None if row.sealed_address is None
               else sealer.open(row.sealed_address, text_aad(row.id, "address")).decode())
    return notes, address


def key_in_use(conn: sa.Connection, key_id: str) -> bool:
    return conn.execute(sa.select(incidents.c.id).where(incidents.c.key_id == key_id).limit(1)).first() is not None


def reencrypt(conn: sa.Connection, sealer: Sealer, current: set[str]) -> int:
    """Re-seals every incident's text not under a current key (older key versions, or never sealed)."""
    stale = sa.or_(incidents.c.key_id.is_(None), incidents.c.key_id.not_in(sorted(current)))
    rows = conn.execute(sa.select(incidents).where(stale)).all()
    for row in rows:
        if row.sealed_notes is None:
            values = seal_text(sealer, row.owner, row.id, row.notes, row.address)
        else:
            blob = sealer.reencrypt(row.sealed_notes, text_aad(row.id, "notes"))
            address = (None if row.sealed_address is None
                       else sealer.reencrypt(row.sealed_address, text_aad(row.id, "address")))
            values = {"sealed_notes": blob, "sealed_address": address, "key_id": key_id_of(blob)}
        conn.execute(incidents.update().where(incidents.c.id == row.id).values(**values))
    return len(rows)
