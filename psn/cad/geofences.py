"""Geofences: polygons a dispatcher draws round a scene, a border crossing or a restricted area, owned by their
agency and watching listed units and/or whole agencies. A queued bus subscriber on `FixAccepted` keeps each
watched unit's inside/outside per geofence and, on a crossing, stores the event (position sealed with the unit's
agency key) and pushes live `geofence` to the owner agency's principals who may view that unit.

A unit's first fix (after creation or a restart: the inside/outside states live in memory) sets its state
without an event; a fix older than the unit's newest one seen here is ignored (a late redelivery must not
invent a crossing). Only units the owner agency may view ever trigger a geofence, checked on every crossing.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from dispatch.geofence import Fences, Polygon
from psn.access import Action, Principal, Resource, Role, Sharing, Target, decide
from psn.cad.sealed import seal_columns
from psn.events import FixAccepted
from psn.store.changes import GEOFENCE
from psn.store.schema import geofence_events, geofences

if TYPE_CHECKING:
    from psn.cad.service import CadContext

# Whose eyes decide whether a unit may trigger a fence: a dispatcher of the owner agency.
_OWNER_ROLES = frozenset({Role.DISPATCHER})


@dataclass(frozen=True, slots=True)
class Geofence:
    id: str
    name: str
    owner: str  # the creator's agency
    polygon: Polygon
    units: frozenset[str]  # "agency/unit"
    agencies: frozenset[str]  # every unit of these
    created_by: str
    created: float

    def watches(self, unit: str, agency: str) -> bool:
        return unit in self.units or agency in self.agencies

    def may_trigger(self, unit: str, agency: str, sharing: Sharing) -> bool:
        owner = Principal(f"geofence:{self.id}", self.owner, _OWNER_ROLES)
        return bool(decide(owner, Action.VIEW, Target(Resource.UNIT, agency, unit), sharing))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "owner": self.owner, "polygon": [list(p) for p in self.polygon],
                "units": sorted(self.units), "agencies": sorted(self.agencies), "created_by": self.created_by,
                "created": self.created}


class Geofences:
    def __init__(self, ctx: CadContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        # Replaced whole on every change, read without the lock by the fix handler.
        self._index: tuple[tuple[Geofence, ...], Fences] = ((), Fences([]))
        self._inside: dict[tuple[str, str], bool] = {}  # (geofence id, unit) → inside at its newest fix
        self._newest: dict[str, float] = {}  # unit → ts of its newest fix seen

    def load(self) -> None:
        """Every stored geofence (at start, and when the change listener was away: what others drew meanwhile)."""
        with self.ctx.db.engine.connect() as conn:
            rows = conn.execute(sa.select(geofences).order_by(geofences.c.created)).all()
        with self._lock:
            self._reindex([_fence(r) for r in rows])
            self._forget_gone()

    def refresh(self, fence_id: str) -> None:
        """Another instance drew or deleted the geofence: this one watches it, or no longer, from now."""
        with self.ctx.db.engine.connect() as conn:
            row = conn.execute(sa.select(geofences).where(geofences.c.id == fence_id)).first()
        with self._lock:
            kept = [f for f in self._index[0] if f.id != fence_id]
            self._reindex(sorted([*kept, _fence(row)], key=lambda f: f.created) if row is not None else kept)
            self._forget_gone()

    def all(self) -> tuple[Geofence, ...]:
        return self._index[0]

    def get(self, fence_id: str) -> Geofence | None:
        return next((f for f in self._index[0] if f.id == fence_id), None)

    def create(self, name: str, polygon: Polygon, units: frozenset[str], agencies: frozenset[str],
               who: Principal) -> Geofence:
        fence = Geofence(uuid.uuid4().hex, name, who.agency, polygon, units, agencies, who.name,
                         self.ctx.clock.time())
        with self.ctx.db.engine.begin() as conn:
            conn.execute(geofences.insert().values(
                id=fence.id, name=name, owner=fence.owner, polygon=orjson.dumps(polygon).decode(),
                units=",".join(sorted(units)), agencies=",".join(sorted(agencies)), created_by=who.name,
                created=fence.created))
            self.ctx.db.announce(conn, GEOFENCE, fence.id)
        with self._lock:
            self._reindex([*self._index[0], fence])
        self.ctx.audit.record(who.name, "geofence.create", fence.id, units=sorted(units), agencies=sorted(agencies))
        return fence

    def delete(self, fence: Geofence, who: Principal) -> None:
        with self.ctx.db.engine.begin() as conn:
            conn.execute(geofences.delete().where(geofences.c.id == fence.id))
            self.ctx.db.announce(conn, GEOFENCE, fence.id)
        with self._lock:
            self._reindex([f for f in self._index[0] if f.id != fence.id])
            self._forget_gone()
        self.ctx.audit.record(who.name, "geofence.delete", fence.id)

    def _reindex(self, fences: list[Geofence]) -> None:
        self._index = (tuple(fences), Fences([f.polygon for f in fences]))

    def _forget_gone(self) -> None:
        """Under the lock: the inside/outside states of geofences no longer there."""
        ids = {f.id for f in self._index[0]}
        self._inside = {k: v for k, v in self._inside.items() if k[0] in ids}

    def on_fix(self, event: FixAccepted) -> None:
        """Bus handler (queued): the crossings of this fix, each stored and announced."""
        fences, packed = self._index
        if not fences:
            return
        fix = event.fix
        unit, agency = fix.who.id, fix.who.agency
        watching = [i for i, fence in enumerate(fences) if fence.watches(unit, agency)]
        if not watching:
            return
        with self._lock:
            if fix.ts <= self._newest.get(unit, float("-inf")):
                return
            self._newest[unit] = fix.ts
        inside = packed.containing(fix.lon, fix.lat)
        sharing = self.ctx.sharing.snapshot
        for i in watching:
            fence = fences[i]
            if not fence.may_trigger(unit, agency, sharing):
                continue
            now_inside = bool(inside[i])
            with self._lock:
                before = self._inside.get((fence.id, unit))
                self._inside[(fence.id, unit)] = now_inside
            if before is not None and before != now_inside:
                self._crossed(fence, unit, agency, "enter" if now_inside else "exit", fix.ts, fix.lat, fix.lon)

    def _crossed(self, fence: Geofence, unit: str, agency: str, crossing: str, ts: float, lat: float,
                 lon: float) -> None:
        event_id = uuid.uuid4().hex
        with self.ctx.db.engine.begin() as conn:
            conn.execute(geofence_events.insert().values(
                id=event_id, geofence=fence.id, unit_id=unit, crossing=crossing, ts=ts,
                **seal_columns(self.ctx.keys, agency, "geofence_events", event_id, {"lat": lat, "lon": lon})))
        data = {"geofence": fence.id, "name": fence.name, "unit": unit, "crossing": crossing, "ts": ts,
                "lat": lat, "lon": lon}
        target = Target(Resource.UNIT, agency, unit)
        self.ctx.hub.notify("geofence", {"event": data}, lambda who: who.agency == fence.owner and bool(
            decide(who, Action.VIEW, target, self.ctx.sharing.snapshot)))


def _fence(r: sa.Row[Any]) -> Geofence:
    return Geofence(r.id, r.name, r.owner, tuple((lon, lat) for lon, lat in orjson.loads(r.polygon)),
                    _split(r.units), _split(r.agencies), r.created_by, r.created)


def _split(text: str) -> frozenset[str]:
    return frozenset(item for item in text.split(",") if item)
