"""Network alarms in the database: each change written as the alarm's row (upserted) plus one history entry, in one
transaction; read back for the REST views and, after a restart, for the engine to resume.

Several instances: the evaluating one (the lease holder) writes raises, updates and clears; any instance may write
an acknowledgement, only onto a row still raised. An update or clear written over a row acknowledged meanwhile
keeps the acknowledgement (the row is locked while it is read and written)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from netmgmt.alarms import Alarm, Change, Event, Kind, Severity, State
from psn.store import Database
from psn.store.net_alarm_schema import net_alarm_history, net_alarms

ALARM_FIELDS = ("id", "kind", "target", "severity", "state", "raised", "changed", "count", "detail",
                "acknowledged_by", "acknowledged")


def alarm_json(alarm: Alarm) -> dict[str, Any]:
    """The contract's alarm event (docs/protocol.md), also each row of the REST views."""
    return {name: getattr(alarm, name) for name in ALARM_FIELDS}


def _seq(alarm_id: str) -> int:
    return int(alarm_id.removeprefix("AL-"))


class AlarmStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def write(self, changes: list[Change]) -> list[Change]:
        """The changes as written: an update or clear of an alarm acknowledged elsewhere carries that
        acknowledgement."""
        written = []
        with self._db.engine.begin() as conn:
            for change in changes:
                alarm, step = change.alarm, change.transition
                if step.event in (Event.UPDATED, Event.CLEARED) and alarm.acknowledged is None:
                    stored = conn.execute(sa.select(net_alarms.c.acknowledged_by, net_alarms.c.acknowledged)
                                          .where(net_alarms.c.id == alarm.id).with_for_update()).first()
                    if stored is not None and stored.acknowledged is not None:
                        state = State.ACKNOWLEDGED if alarm.state is State.RAISED else alarm.state
                        alarm = replace(alarm, state=state, acknowledged_by=stored.acknowledged_by,
                                        acknowledged=stored.acknowledged)
                        step = replace(step, state=state)
                        change = Change(alarm, step)
                written.append(change)
                row = alarm_json(alarm)
                updated = conn.execute(net_alarms.update().where(net_alarms.c.id == alarm.id).values(row)).rowcount
                if not updated:
                    conn.execute(net_alarms.insert().values(seq=_seq(alarm.id), **row))
                conn.execute(net_alarm_history.insert().values(
                    alarm=alarm.id, at=step.at, event=step.event.value, state=step.state.value, count=step.count,
                    detail=step.detail, by=step.by))
        return written

    def acknowledge(self, change: Change) -> bool:
        """Writes an acknowledgement if the stored alarm is still raised (or was never stored); False when it is
        not (acknowledged or cleared through another instance)."""
        alarm, step = change.alarm, change.transition
        with self._db.engine.begin() as conn:
            updated = conn.execute(net_alarms.update()
                                   .where((net_alarms.c.id == alarm.id) & (net_alarms.c.state == State.RAISED.value))
                                   .values(alarm_json(alarm))).rowcount
            if not updated and conn.execute(sa.select(net_alarms.c.id).where(net_alarms.c.id == alarm.id)).first() \
                    is None:  # its raise was never stored (the database refused it): the row starts here
                updated = conn.execute(net_alarms.insert().values(seq=_seq(alarm.id), **alarm_json(alarm))).rowcount
            if updated:
                conn.execute(net_alarm_history.insert().values(
                    alarm=alarm.id, at=step.at, event=step.event.value, state=step.state.value, count=step.count,
                    detail=step.detail, by=step.by))
        return bool(updated)

    def acknowledged(self) -> list[Alarm]:
        """The active alarms acknowledged (by whichever instance)."""
        with self._db.engine.connect() as conn:
            rows = conn.execute(sa.select(net_alarms).where(net_alarms.c.state == State.ACKNOWLEDGED.value)).all()
        return [_alarm(r) for r in rows]

    def resumable(self, cleared_since: float) -> tuple[list[Alarm], int]:
        """The alarms the engine resumes (active, or cleared at or after `cleared_since`), and the next seq."""
        query = sa.select(net_alarms).where(sa.or_(net_alarms.c.state != State.CLEARED.value,
                                                   net_alarms.c.changed >= cleared_since))
        with self._db.engine.connect() as conn:
            rows = conn.execute(query.order_by(net_alarms.c.seq)).all()
            top = conn.execute(sa.select(sa.func.max(net_alarms.c.seq))).scalar_one()
        return [_alarm(r) for r in rows], (top or 0) + 1

    def alarms(self, active_only: bool, since: float | None, limit: int) -> list[Alarm]:
        """Newest change first."""
        query = sa.select(net_alarms)
        if active_only:
            query = query.where(net_alarms.c.state != State.CLEARED.value)
        if since is not None:
            query = query.where(net_alarms.c.changed >= since)
        with self._db.engine.connect() as conn:
            rows = conn.execute(query.order_by(net_alarms.c.changed.desc(), net_alarms.c.seq.desc())
                                .limit(limit)).all()
        return [_alarm(r) for r in rows]

    def alarm(self, alarm_id: str) -> tuple[Alarm, list[dict[str, Any]]] | None:
        """The alarm and its history, oldest first."""
        with self._db.engine.connect() as conn:
            row = conn.execute(sa.select(net_alarms).where(net_alarms.c.id == alarm_id)).first()
            if row is None:
                return None
            steps = conn.execute(sa.select(net_alarm_history).where(net_alarm_history.c.alarm == alarm_id)
                                 .order_by(net_alarm_history.c.id)).all()
        return _alarm(row), [{"at": s.at, "event": s.event, "state": s.state, "count": s.count, "detail": s.detail,
                              "by": s.by} for s in steps]


def _alarm(r: Any) -> Alarm:
    return Alarm(r.id, Kind(r.kind), r.target, Severity(r.severity), State(r.state), r.raised, r.changed, r.count,
                 r.detail, r.acknowledged_by, r.acknowledged)
