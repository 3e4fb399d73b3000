"""Commands at rest: what was sent to which unit, for which incident, and where its acknowledgement stands.

The payload (an assignment's address and notes …) is sealed with the unit's agency key when encryption at rest
is on, its associated data naming the command id, so a blob cannot be moved to another command's row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crypto.envelope import key_id_of
from psn.access import Principal, Sharing
from psn.cad.scope import visible_units
from psn.keys import LiveKeyring
from psn.store import Database
from psn.store.changes import COMMAND
from psn.store.schema import commands as table

PENDING = "pending"  # sent, no answer yet: resent on time-out
ACKNOWLEDGED = "acknowledged"  # the unit answered `accepted`
REJECTED = "rejected"
DONE = "done"
UNACKNOWLEDGED = "unacknowledged"  # resends exhausted without an answer
LIST_LIMIT = 500  # newest first; an incident has a handful, a unit a shift's worth


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    unit: str  # "agency/unit"
    type: str
    incident: str | None
    actor: str
    state: str
    sent: float
    last_sent: float
    attempts: int  # times published, the first included
    ack_ts: float | None = None
    result: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "unit": self.unit, "type": self.type, "incident": self.incident,
                "state": self.state, "sent": self.sent, "attempts": self.attempts, "ack_ts": self.ack_ts,
                "result": self.result, "note": self.note}


def aad(command_id: str) -> bytes:
    return f"commands/{command_id}".encode()


class CommandStore:
    def __init__(self, db: Database, keys: LiveKeyring | None) -> None:
        self.db = db
        self.keys = keys

    def insert(self, command: Command, payload: bytes) -> None:
        if self.keys is not None:
            blob = self.keys.seal(command.unit.split("/", 1)[0], payload, aad(command.id))
            stored: dict[str, Any] = {"payload": None, "sealed": blob, "key_id": key_id_of(blob)}
        else:
            stored = {"payload": payload.decode(), "sealed": None, "key_id": None}
        with self.db.engine.begin() as conn:
            conn.execute(table.insert().values(
                id=command.id, unit_id=command.unit, agency=command.unit.split("/", 1)[0], type=command.type,
                incident=command.incident, actor=command.actor, **_progress(command), **stored))
            self.db.announce(conn, COMMAND, command.id, told="command")

    def update(self, command: Command, told: str = "") -> None:
        """`told`: the live event the consoles were sent of this change (the other instances send it too)."""
        with self.db.engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == command.id).values(**_progress(command)))
            self.db.announce(conn, COMMAND, command.id, **({"told": told} if told else {}))

    def progress(self, command: Command, told: str = "") -> bool:
        """Writes a resend or the giving up (announced as `update` does), only if the stored command is still
        pending: False when an ack was stored meanwhile (by another psn instance), which then wins."""
        with self.db.engine.begin() as conn:
            changed = conn.execute(table.update().where((table.c.id == command.id) & (table.c.state == PENDING))
                                   .values(**_progress(command))).rowcount
            if changed:
                self.db.announce(conn, COMMAND, command.id, **({"told": told} if told else {}))
        return bool(changed)

    def find(self, command_id: str) -> Command | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == command_id)).first()
        return _command(row) if row is not None else None

    def get(self, command_id: str) -> tuple[Command, bytes] | None:
        """The command with its payload."""
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == command_id)).first()
        return (_command(row), self._payload(row)) if row is not None else None

    def pending(self) -> list[tuple[Command, bytes]]:
        """Commands still waiting for an answer, with their payloads (to resend the same bytes)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(table).where(table.c.state == PENDING)).all()
        return [(_command(row), self._payload(row)) for row in rows]

    def listed(self, *, unit: str | None = None, incident: str | None = None,
               visible_to: tuple[Principal, Sharing] | None = None) -> list[Command]:
        """The newest `LIST_LIMIT`; with `visible_to`, of the units that principal may view (`psn.cad.scope`)."""
        query = sa.select(table).order_by(table.c.sent.desc()).limit(LIST_LIMIT)
        if visible_to is not None:
            query = query.where(visible_units(*visible_to, table.c.agency, table.c.unit_id))
        if unit is not None:
            query = query.where(table.c.unit_id == unit)
        if incident is not None:
            query = query.where(table.c.incident == incident)
        with self.db.engine.connect() as conn:
            return [_command(row) for row in conn.execute(query).all()]

    def _payload(self, row: Any) -> bytes:
        if row.sealed is not None:
            if self.keys is None:
                raise ValueError(f"command {row.id} is sealed and encryption at rest is off: no key to open it")
            return self.keys.open(row.sealed, aad(row.id))
        return str(row.payload).encode()


def _progress(command: Command) -> dict[str, Any]:
    return {"state": command.state, "sent": command.sent, "last_sent": command.last_sent,
            "attempts": command.attempts, "ack_ts": command.ack_ts, "result": command.result,
            "note": command.note}


def _command(row: Any) -> Command:
    return Command(row.id, row.unit_id, row.type, row.incident, row.actor, row.state, row.sent, row.last_sent,
                   row.attempts, row.ack_ts, row.result, row.note)


__all__ = ["ACKNOWLEDGED", "DONE", "PENDING", "REJECTED", "UNACKNOWLEDGED", "Command", "CommandStore"]
