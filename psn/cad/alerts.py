"""Units' alerts (the emergency button, officer down …): pushed at once to every console that may see the unit,
stored with note and position sealed by the unit's agency key, and — for the sticky types — kept open until a
dispatcher acknowledges them.

The path from the bus to the consoles is the latency that counts (p99 ≤ 250 ms from MQTT publish while 5,000
units report at 1 Hz): the handler runs on its own queued subscriber thread (fixes never go through it), builds
the record in memory, notifies the hub, and only then writes the row. A repeated sticky alert of one unit and
type while one is open is that alert again (newer time and position, count + 1), not a new one.

Several instances: the instance that took the alert (or its acknowledgement) merges, notifies and stores it, then
publishes the resulting record (`AlertChanged`); the peer channel carries it to the others, which put it in their
open-alert map and on their consoles, never in the store. A later press or an acknowledgement on any instance
merges with that record.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import astuple, dataclass, replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from psn.access import Action, Principal, Resource, Sharing, Target, decide
from psn.cad.scope import visible_units
from psn.cad.sealed import open_columns, seal_columns
from psn.events import AlertAccepted, AlertChanged
from psn.live import Audience
from psn.store.schema import alerts
from telemetry.peer import AlertState

if TYPE_CHECKING:
    from psn.cad.service import CadContext

STICKY = frozenset({"emergency", "officer_down"})  # open until a dispatcher acknowledges them
SEALED = ("lat", "lon", "note")
RECENT = 500  # closed alerts a console may list at once (newest first)


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: str
    unit: str  # "agency/unit"
    agency: str
    type: str
    ts: float  # the unit's time of its latest report of this alert
    lat: float | None
    lon: float | None
    note: str | None
    raised: float  # when psn first received it
    count: int  # reports merged into this alert (a unit pressing its button again)
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None

    @property
    def sticky(self) -> bool:
        return self.type in STICKY

    @property
    def open(self) -> bool:
        return self.sticky and self.acknowledged_by is None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "unit": self.unit, "agency": self.agency, "type": self.type, "ts": self.ts,
                "lat": self.lat, "lon": self.lon, "note": self.note, "raised": self.raised, "count": self.count,
                "open": self.open, "acknowledged_by": self.acknowledged_by, "acknowledged_at": self.acknowledged_at}


def may_view(who: Principal, record: AlertRecord, sharing: Sharing) -> bool:
    """The one audience rule of an alert: whoever may view its unit."""
    return bool(decide(who, Action.VIEW, Target(Resource.UNIT, record.agency, record.unit), sharing))


class Alerts:
    def __init__(self, ctx: CadContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], AlertRecord] = {}  # (unit, type) → the open sticky alert
        self._unsaved: dict[str, AlertRecord] = {}  # id → newest version not yet written
        self._save_lock = threading.Lock()

    def load(self) -> None:
        """The open sticky alerts, back in memory after a restart."""
        with self.ctx.db.engine.connect() as conn:
            rows = conn.execute(sa.select(alerts).where(alerts.c.acknowledged_at.is_(None),
                                                        alerts.c.type.in_(sorted(STICKY)))).all()
        with self._lock:
            for record in map(self._from_row, rows):
                self._open[(record.unit, record.type)] = record

    def on_alert(self, event: AlertAccepted) -> None:
        """Bus handler (queued, its own thread): merge or create, notify, then store."""
        alert = event.alert
        unit = alert.who.id
        lat, lon = alert.lat, alert.lon
        if lat is None or lon is None:
            live = self.ctx.state.get(unit)
            lat, lon = (live.lat, live.lon) if live is not None else (None, None)
        key = (unit, alert.type)
        with self._lock:
            current = self._open.get(key)
            if current is not None:
                record = replace(current, ts=max(current.ts, alert.ts), lat=lat, lon=lon,
                                 note=alert.note or current.note, count=current.count + 1)
            else:
                record = AlertRecord(uuid.uuid4().hex, unit, alert.who.agency, alert.type, alert.ts, lat, lon,
                                     alert.note, event.received, 1)
            if record.open:
                self._open[key] = record
            self._unsaved[record.id] = record
        self.ctx.hub.notify("alert", {"alert": record.to_json()}, self.audience(record))
        self._save(record.id)
        self.ctx.bus.publish(AlertChanged(AlertState(*astuple(record))))

    def on_peer(self, event: AlertChanged) -> None:
        """Bus handler for another instance's alert record: upserted into the open map and announced, never
        stored (that instance stored it)."""
        if event.origin is None:
            return  # this instance's own: done in `on_alert` / `acknowledge`
        record = AlertRecord(*astuple(event.alert))
        key = (record.unit, record.type)
        with self._lock:
            if record.open:
                self._open[key] = record
            elif key in self._open and self._open[key].id == record.id:
                del self._open[key]
        kind = "alert" if record.acknowledged_by is None else "alert_acknowledged"
        self.ctx.hub.notify(kind, {"alert": record.to_json()}, self.audience(record))

    def audience(self, record: AlertRecord) -> Audience:
        return lambda who: may_view(who, record, self.ctx.sharing.snapshot)

    def open_alerts(self) -> list[AlertRecord]:
        with self._lock:
            return sorted(self._open.values(), key=lambda r: r.raised)

    def recent(self, who: Principal | None = None) -> list[AlertRecord]:
        """The newest stored alerts, open or not, newest first; with `who`, of the units they may view."""
        query = sa.select(alerts).order_by(alerts.c.raised.desc()).limit(RECENT)
        if who is not None:
            query = query.where(visible_units(who, self.ctx.sharing.snapshot, alerts.c.agency, alerts.c.unit_id))
        with self.ctx.db.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [self._from_row(row) for row in rows]

    def find(self, alert_id: str) -> AlertRecord | None:
        with self._lock:
            for record in (*self._open.values(), *self._unsaved.values()):
                if record.id == alert_id:
                    return record
        with self.ctx.db.engine.connect() as conn:
            row = conn.execute(sa.select(alerts).where(alerts.c.id == alert_id)).first()
        return self._from_row(row) if row is not None else None

    def acknowledge(self, alert_id: str, actor: str) -> AlertRecord | None:
        """Closes the open alert `alert_id` (audited, announced to its audience); None when it is not open."""
        now = self.ctx.clock.time()
        with self._lock:
            key = next((k for k, r in self._open.items() if r.id == alert_id), None)
            if key is None:
                return None
            record = replace(self._open.pop(key), acknowledged_by=actor, acknowledged_at=now)
            self._unsaved[record.id] = record
        self.ctx.audit.record(actor, "alert.acknowledge", alert_id, unit=record.unit, type=record.type)
        self.ctx.hub.notify("alert_acknowledged", {"alert": record.to_json()}, self.audience(record))
        self._save(alert_id)
        self.ctx.bus.publish(AlertChanged(AlertState(*astuple(record))))
        return record

    def _save(self, alert_id: str) -> None:
        """Writes the newest version of the alert. Whoever changes it calls this after; under the save lock each
        call writes what is newest then, so the row ends as the newest version whatever the threads' order."""
        with self._save_lock:
            with self._lock:
                record = self._unsaved.pop(alert_id, None)
            if record is None:
                return
            values = {"unit_id": record.unit, "agency": record.agency, "type": record.type, "ts": record.ts,
                      "raised": record.raised, "count": record.count, "acknowledged_by": record.acknowledged_by,
                      "acknowledged_at": record.acknowledged_at,
                      **seal_columns(self.ctx.keys, record.agency, "alerts", record.id,
                                     {"lat": record.lat, "lon": record.lon, "note": record.note})}
            with self.ctx.db.engine.begin() as conn:
                if not conn.execute(alerts.update().where(alerts.c.id == record.id).values(**values)).rowcount:
                    conn.execute(alerts.insert().values(id=record.id, **values))

    def _from_row(self, row: Any) -> AlertRecord:
        opened = open_columns(self.ctx.keys, "alerts", row, SEALED)
        return AlertRecord(row.id, row.unit_id, row.agency, row.type, row.ts, opened["lat"], opened["lon"],
                           opened["note"], row.raised, row.count, row.acknowledged_by, row.acknowledged_at)
