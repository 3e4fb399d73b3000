"""The unit board at rest: one row per unit (state, incident, since, time per state), upserted on every
`UnitStatusChanged` and read back into the board at start, so a restart keeps who is dispatched where."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from dispatch import StatusClock, UnitState
from psn.cad.board import BoardEntry, UnitBoard
from psn.events import UnitStatusChanged
from psn.store import Database
from psn.store.changes import BOARD
from psn.store.schema import board as table


class BoardStore:
    def __init__(self, db: Database, board: UnitBoard) -> None:
        self.db = db
        self.board = board

    def load(self) -> None:
        """Puts every stored entry back on the board (publishes nothing)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(table)).all()
        self.board.restore(_entry(row) for row in rows)

    def refresh(self, unit: str) -> BoardEntry | None:
        """The unit's entry as stored (another instance changed it) put back on the board (publishes nothing)."""
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.unit_id == unit)).first()
        if row is None:
            return None
        entry = _entry(row)
        self.board.restore([entry])
        return entry

    def on_change(self, event: UnitStatusChanged) -> None:
        """Writes the unit's entry as the board holds it now: changes handled out of order still leave the
        latest state stored. The other instances hear who changed it and how (the consoles are told)."""
        entry = self.board.get(event.unit)
        if entry is not None:
            self.save(entry, actor=event.actor, via=event.via)

    def save(self, entry: BoardEntry, **told: str) -> None:
        row = {"agency": entry.unit.split("/", 1)[0], "state": entry.state.value, "incident": entry.incident,
               "since": entry.clock.since,
               "totals": orjson.dumps({str(k): v for k, v in entry.clock.totals.items()}).decode()}
        with self.db.engine.begin() as conn:
            updated = conn.execute(table.update().where(table.c.unit_id == entry.unit).values(**row)).rowcount
            if not updated:
                conn.execute(table.insert().values(unit_id=entry.unit, **row))
            self.db.announce(conn, BOARD, entry.unit, **told)


def _entry(row: sa.Row[tuple[object, ...]]) -> BoardEntry:
    state = UnitState(row.state)
    totals = {UnitState(k): float(v) for k, v in orjson.loads(row.totals).items()}
    return BoardEntry(row.unit_id, state, row.incident, StatusClock(state, row.since, totals))
