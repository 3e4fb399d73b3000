"""`IncidentBook` (`cad.incidents`): every incident in memory, changed only through the pure `dispatch` functions,
each change stored (row + timeline entry, one transaction), audited (`incident.<change>` with the entry's details,
never the caller's text), mirrored as the incident's `IncidentShare` in the sharing store (partners see it and
the units on it) and sent as live event `incident` to everyone who may view it. Units' board changes on an
incident (`UnitStatusChanged`) go on its timeline. Thread-safe: HTTP threads and bus threads change it."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import dispatch
from dispatch import DispatchError, Incident, IncidentState, TimelineEntry
from psn.access import Action, IncidentShare, Principal, Resource, Sharing, Target, decide
from psn.bus import Bus
from psn.cad.incident_json import incident_json
from psn.cad.incident_store import IncidentStore
from psn.events import UnitStatusChanged

if TYPE_CHECKING:  # service.py builds the book
    from psn.cad.service import CadContext

log = logging.getLogger(__name__)
# The address is the caller's (sealed at rest): the timeline, which is audited in clear, says only that it changed.
REDACTED = {"address": "changed"}

Apply = Callable[[Incident], tuple[Incident, TimelineEntry]]
# Each failed attempt means another instance wrote the incident in between (read back, the change made again on
# it): the limit only bounds a storm of them.
SAVE_ATTEMPTS = 20


class IncidentBook:
    def __init__(self, ctx: CadContext) -> None:
        self.ctx = ctx
        self.store = IncidentStore(ctx.db, ctx.keys)
        self._lock = threading.RLock()
        self._incidents: dict[str, Incident] = {}
        self.refused: Counter[str] = Counter()  # unit status changes that could not go on a timeline, by reason

    def load(self) -> None:
        with self._lock:
            self._incidents = {i.id: i for i in self.store.load()}
        stored = set(self.ctx.sharing.snapshot.incidents)
        for incident in self._incidents.values():
            if _share_of(incident) not in stored:  # a crash between the two writes: the incident is the truth
                self.ctx.sharing.share_incident(_share_of(incident))

    def refresh(self, incident_id: str) -> None:
        """Another instance changed the incident (and its share): read both back and tell this instance's consoles
        as that instance told its own."""
        before = self.ctx.sharing.snapshot
        self.ctx.sharing.reload_share(incident_id)
        incident = self.store.load_one(incident_id)
        if incident is None:
            return
        with self._lock:
            if _older(incident, self._incidents.get(incident.id)):
                return  # changed here since it was read (and told then)
            self._incidents[incident.id] = incident
        self._notify(incident, before)

    def reload_all(self) -> None:
        """Every incident read back (the change listener was away); each one that differs is told as changed."""
        before = self.ctx.sharing.snapshot
        self.ctx.sharing.reload()
        stored = self.store.load()
        with self._lock:
            held = self._incidents
            stored = [held[i.id] if _older(i, held.get(i.id)) else i for i in stored]
            changed = [i for i in stored if held.get(i.id) != i]
            self._incidents = {i.id: i for i in stored}
        for incident in changed:
            self._notify(incident, before)

    def get(self, incident_id: str) -> Incident | None:
        with self._lock:
            return self._incidents.get(incident_id)

    def owner_of(self, incident_id: str) -> str | None:
        incident = self.get(incident_id)
        return incident.owner if incident is not None else None

    def all(self) -> list[Incident]:
        with self._lock:
            return list(self._incidents.values())

    def may_view(self, who: Principal, incident: Incident) -> bool:
        return bool(decide(who, Action.VIEW, _target(incident), self.ctx.sharing.snapshot))

    def create(self, owner: str, actor: str, *, type: object, priority: object, lat: object, lon: object,
               notes: object, address: object = None, place: object = None,
               partners: Iterable[str] = ()) -> Incident:
        """A new incident of `owner` (as `dispatch.create`); DispatchError on bad input, nothing stored."""
        now = self.ctx.clock.time()
        with self._lock:
            incident, entry = self.store.insert(owner, lambda new_id: _redacted(*dispatch.create(
                new_id, actor, now, type=type, priority=priority, lat=lat, lon=lon, notes=notes, owner=owner,
                address=address, place=place, partners=partners)))
            self._incidents[incident.id] = incident
            self._published(incident, entry)
        return incident

    def update(self, incident_id: str, actor: str, **changes: object) -> Incident:
        return self._change(incident_id, lambda i: dispatch.update(i, actor, self.ctx.clock.time(), **changes))

    def add_partner(self, incident_id: str, actor: str, agency: str) -> Incident:
        return self._change(incident_id, lambda i: dispatch.add_partner(i, actor, self.ctx.clock.time(), agency))

    def remove_partner(self, incident_id: str, actor: str, agency: str) -> Incident:
        return self._change(incident_id, lambda i: dispatch.remove_partner(i, actor, self.ctx.clock.time(), agency))

    def close(self, incident_id: str, actor: str, disposition: object) -> Incident:
        return self._change(incident_id, lambda i: dispatch.close(i, actor, self.ctx.clock.time(), disposition))

    def reopen(self, incident_id: str, actor: str, reason: object) -> Incident:
        return self._change(incident_id, lambda i: dispatch.reopen(i, actor, self.ctx.clock.time(), reason))

    def subscribe(self, bus: Bus) -> None:
        bus.subscribe("cad-incidents", self.on_unit_status, (UnitStatusChanged,))

    def on_unit_status(self, event: UnitStatusChanged) -> None:
        """A board change of a unit on an incident goes on that incident's timeline (at the change's time)."""
        if event.incident is None:
            return
        state = event.change.after
        try:
            self._change(event.incident, lambda i: dispatch.unit_status(
                i, event.actor, max(event.change.ts, i.timeline[-1].ts), event.unit, state))
        except (KeyError, DispatchError) as exc:
            reason = "unknown_incident" if isinstance(exc, KeyError) else exc.reason.value
            self.refused[reason] += 1
            log.warning("unit %s %s on incident %s not on a timeline: %s", event.unit, state.value,
                        event.incident, exc)

    def _change(self, incident_id: str, apply: Apply) -> Incident:
        """KeyError for an unknown id; DispatchError (nothing stored) for a change the core refuses. Made on the
        incident as stored: one another instance changed since this one heard of it is read back and the change
        made again on it (never over it)."""
        with self._lock:
            for _attempt in range(SAVE_ATTEMPTS):
                current = self._incidents[incident_id]
                incident, entry = _redacted(*apply(current))
                if self.store.save(incident, entry, len(current.timeline)):
                    break
                fresh = self.store.load_one(incident_id)
                if fresh is None:
                    raise KeyError(incident_id)
                self._incidents[incident_id] = fresh
            else:
                raise RuntimeError(f"incident {incident_id} changed under each of {SAVE_ATTEMPTS} attempts")
            self._incidents[incident.id] = incident
            self._published(incident, entry)
        return incident

    def _published(self, incident: Incident, entry: TimelineEntry) -> None:
        self.ctx.audit.record(entry.actor, f"incident.{entry.what.value}", incident.id, **entry.details)
        before = self.ctx.sharing.snapshot
        self.ctx.sharing.share_incident(_share_of(incident))
        self._notify(incident, before)

    def _notify(self, incident: Incident, before: Sharing) -> None:
        sharing = self.ctx.sharing
        target = _target(incident)
        # Who could see it before the change hears of the change too: a partner learns that the incident closed
        # or that it is no longer a partner (after it, the grant is gone and the console would keep a stale row).
        self.ctx.hub.notify("incident", {"incident": incident_json(incident)},
                            lambda who: bool(decide(who, Action.VIEW, target, before)
                                             or decide(who, Action.VIEW, target, sharing.snapshot)))


def _older(read: Incident, held: Incident | None) -> bool:
    """Whether an incident read back is older than the one held: read before a change made here committed (the
    stored timeline only grows, one entry a change: `IncidentStore.save`)."""
    return held is not None and len(read.timeline) < len(held.timeline)


def _share_of(incident: Incident) -> IncidentShare:
    return IncidentShare(incident.id, incident.owner, incident.partners, incident.units,
                         incident.state is IncidentState.OPEN)


def _target(incident: Incident) -> Target:
    return Target(Resource.INCIDENT, incident.owner, incident=incident.id)


def _redacted(incident: Incident, entry: TimelineEntry) -> tuple[Incident, TimelineEntry]:
    """The change with the caller's address out of its entry (the entry says that it changed)."""
    if "address" not in entry.details:
        return incident, entry
    entry = dataclasses.replace(entry, details={**entry.details, **REDACTED})
    return dataclasses.replace(incident, timeline=(*incident.timeline[:-1], entry)), entry


