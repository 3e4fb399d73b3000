"""`QosService` (`server.qos`): the QoS profiles in force, priority uplifts, and the retained network policy.

It keeps the running uplifts and the units streaming live video (from `StreamStarted`/`StreamEnded` on the bus)
and publishes the whole policy (`netmgmt.qos.policy_document`) retained on NET_POLICY_TOPIC whenever it changes
and at least every `every_s`. A timer reads the injected clock every second: an uplift whose `until` has come
ends as expired (stored, audited, republished); at start, one that expired while psn was down ends the same way.
Every step (request, refusal, start, cancel, expiry, a profile change) goes in the audit log, and each uplift
change goes out as live event `net_uplift` to whoever may view it.

Several instances (docs/deploy.md, "Once-only jobs"): the policy is published, and uplifts expire, only on the
instance holding lease `qos-policy`. Every instance reads the running uplifts and the profiles from the database
each round of the timer, so an uplift started or cancelled through another instance is in the holder's next
policy within a round (a second); `seq` then counts the documents of the holder, and `ts` orders them across
holders as it does across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from netmgmt.qos import (
    Profiles,
    Uplift,
    agencies_of,
    due,
    ended,
    initial_profiles,
    policy_document,
    unit_video_ul_mbps,
)
from psn.access import Action, Principal, Resource, Target, decide
from psn.audit import AuditLog
from psn.bus import Bus
from psn.clock import Clock
from psn.events import StreamEnded, StreamStarted
from psn.live import Audience, LiveHub
from psn.net.qos_store import QosStore
from psn.sharing import SharingStore
from psn.store import Database
from telemetry.topics import NET_POLICY_TOPIC

log = logging.getLogger(__name__)
PublishRetained = Callable[[str, bytes, int, bool], None]  # (topic, payload, qos, retain)
TICK_S = 1.0  # how often the timer reads the clock: an uplift ends within a second of its `until`
SYSTEM = "psn"  # the audit actor of what psn does by itself (expiry)
HIDDEN = "…"  # in place of the unit of an agency the viewer may not see
LEASE = "qos-policy"


class UpliftsFull(Exception):
    """No room for another uplift; the message says why."""


class QosService:
    def __init__(self, db: Database, clock: Clock, audit: AuditLog, hub: LiveHub, sharing: SharingStore,
                 publish: PublishRetained, agencies: Iterable[str], video_ul_mbps: float = 1.08,
                 every_s: float = 60.0, max_uplifts: int = 200, held: Callable[[], bool] = lambda: True) -> None:
        self.store = QosStore(db)
        self.clock, self.audit, self.hub, self.sharing, self._publish = clock, audit, hub, sharing, publish
        self.agencies = tuple(agencies)
        self.video_ul_mbps, self.every_s, self.max_uplifts = video_ul_mbps, every_s, max_uplifts
        self._lock = threading.RLock()
        self.profiles = initial_profiles(self.agencies)
        self._running: dict[int, Uplift] = {}
        self._streams: defaultdict[str, set[str]] = defaultdict(set)  # unit -> its live streams
        self.seq = 0
        self._published_at: float | None = None
        self._published_inputs: tuple[Profiles, dict[int, Uplift]] | None = None  # what the last policy was made of
        self._held = held  # the lease LEASE: whether this instance publishes the policy and expires uplifts
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    # Start and stop

    def load(self) -> None:
        """Reads the profiles (storing the initial ones in a new deployment) and the running uplifts; those whose
        `until` passed while psn was down end as expired now."""
        stored = self.store.profiles()
        if stored is None:
            self.store.save_profiles(self.profiles, SYSTEM, self.clock.time())
        with self._lock:
            self.profiles = stored or self.profiles
            self._running = {u.number: u for u in self.store.running()}
        self._expire(self.clock.time())

    def refresh_uplift(self, number: int) -> None:
        """Another instance started or ended the uplift: in force here too, or no longer, and told to this
        instance's viewers as there (the policy is published by whoever holds that job)."""
        uplift = self.store.get(number)
        if uplift is None:
            return
        with self._lock:
            if uplift.ended is None:
                self._running[number] = uplift
            else:
                self._running.pop(number, None)
        self._tell([uplift], self.clock.time())

    def refresh_profiles(self) -> None:
        """Another instance changed the profiles."""
        stored = self.store.profiles()
        if stored is not None:
            with self._lock:
                self.profiles = stored

    def reload(self) -> None:
        """The profiles and the uplifts in force, read back whole (the change listener was away)."""
        self.refresh_profiles()
        running = {u.number: u for u in self.store.running()}
        with self._lock:
            self._running = running

    def subscribe(self, bus: Bus) -> None:
        # `peers=True`: a unit's video gets its rate in the policy whichever instance holds its stream (only the
        # lease holder publishes it).
        bus.subscribe("net-qos-streams", self.on_stream, (StreamStarted, StreamEnded), peers=True)

    async def start(self) -> None:
        """Publishes the policy (the MQTT client queues it until connected) and starts the timer."""
        self.publish()
        self._task = asyncio.create_task(self._run(), name="psn-net-qos")

    async def stop(self) -> None:
        """Ends the timer after its round in progress, if any: the server closes MQTT and the store next."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), TICK_S)
                return
            try:
                await asyncio.to_thread(self.tick, self.clock.time())
            except Exception:  # one failed round (the database away) must not end expiry for good
                log.exception("QoS timer round failed")

    def tick(self, now: float) -> None:
        """Reads the uplifts and profiles again from the database; on the lease's holder, ends the uplifts whose
        time has come (then publishes), else publishes when they differ from those of its last policy (changed
        through another instance) or once `every_s` has passed."""
        self._refresh()
        if not self._held():
            self._published_at = None  # on taking the lease over, publish at once
            return
        with self._lock:
            changed = (self.profiles, self._running) != self._published_inputs
        if not self._expire(now) and (changed or self._published_at is None
                                      or now - self._published_at >= self.every_s):
            self.publish()

    def _refresh(self) -> None:
        with self._lock:  # read under it too: an uplift started here meanwhile is never dropped from a policy
            profiles, running = self.store.profiles(), {u.number: u for u in self.store.running()}
            self._running = running
            self.profiles = profiles or self.profiles

    # The policy

    def policy(self) -> dict[str, Any]:
        """The document in force now, numbered as the last one published."""
        with self._lock:
            rates = {unit: unit_video_ul_mbps(self.video_ul_mbps, len(streams))
                     for unit, streams in self._streams.items() if streams}
            return policy_document(self.clock.time(), self.seq, self.profiles, rates, self._running.values())

    def publish(self) -> None:
        """Numbers and sends the policy, on the lease's holder only."""
        if not self._held():
            return
        with self._lock:  # numbered and sent in one go: equipment never sees seq go backwards
            self.seq += 1
            document = self.policy()
            self._published_at = document["ts"]
            # Compared, not whatever last updated them (this timer, or the change listener): see `tick`.
            self._published_inputs = (self.profiles, dict(self._running))
            self._publish(NET_POLICY_TOPIC, orjson.dumps(document), 1, True)

    def on_stream(self, event: StreamStarted | StreamEnded) -> None:
        with self._lock:
            streams = self._streams[event.unit]
            before = len(streams)
            if isinstance(event, StreamStarted):
                streams.add(event.stream)
            else:
                streams.discard(event.stream)
            if not streams:
                del self._streams[event.unit]
            if len(streams) != before:
                self.publish()

    # Profiles

    def set_profiles(self, profiles: Profiles, who: Principal) -> None:
        """Stores checked profiles (netmgmt.qos.check_profiles) and publishes them."""
        self.store.save_profiles(profiles, who.name, self.clock.time())
        with self._lock:
            before, self.profiles = self.profiles, profiles
        self.audit.record(who.name, "qos.profiles_changed", "profiles", before=before.to_json(),
                          after=profiles.to_json())
        self.publish()

    # Uplifts

    def requested(self, who: Principal, units: Iterable[str], incident: str | None, reason: str,
                  duration_s: float) -> None:
        self.audit.record(who.name, "qos.uplift_requested", incident or "units", units=sorted(units),
                          incident=incident, reason=reason, duration_s=duration_s)

    def refused(self, who: Principal, units: Iterable[str], incident: str | None, why: str) -> None:
        self.audit.record(who.name, "qos.uplift_refused", incident or "units", units=sorted(units),
                          incident=incident, why=why)

    def start_uplift(self, who: Principal, units: Iterable[str], incident: str | None, reason: str,
                     duration_s: float) -> Uplift:
        """Stores and starts an uplift of checked, authorised units; published at once. UpliftsFull when
        `max_uplifts` are in force."""
        now = self.clock.time()
        with self._lock:  # counted and added in one go: concurrent requests never pass the limit
            if len(self._running) >= self.max_uplifts:
                raise UpliftsFull(f"{len(self._running)} uplifts are in force, the most psn keeps at once "
                                  f"(qos_max_uplifts): cancel one, or add these units to one in force")
            uplift = self.store.insert(units, incident, reason, who.name, now, now + duration_s)
            self._running[uplift.number] = uplift
        self.audit.record(who.name, "qos.uplift_started", uplift.id, units=list(uplift.units), incident=incident,
                          reason=reason, until=uplift.until)
        self._changed([uplift], now)
        return uplift

    def cancel(self, uplift: Uplift, who: Principal) -> Uplift | None:
        """The uplift cancelled now by `who`; None when it had ended already."""
        now = self.clock.time()
        done = ended(uplift, now, f"cancelled by {who.name}")
        if uplift.ended is not None or not self.store.end(done):
            return None
        with self._lock:
            self._running.pop(uplift.number, None)
        self.audit.record(who.name, "qos.uplift_cancelled", uplift.id, units=list(uplift.units))
        self._changed([done], now)
        return done

    def cancel_refused(self, who: Principal, uplift: Uplift, why: str) -> None:
        self.audit.record(who.name, "qos.uplift_cancel_refused", uplift.id, units=list(uplift.units), why=why)

    def get(self, uplift_id: str) -> Uplift | None:
        number = uplift_id.removeprefix("UP-")
        if not (uplift_id.startswith("UP-") and number.isdigit() and len(number) < 10):
            return None
        with self._lock:
            running = self._running.get(int(number))
        return running or self.store.get(int(number))

    def uplifts(self, active_only: bool, since: float | None = None, who: Principal | None = None) -> list[Uplift]:
        """The uplifts in force now, or the history; only those `who` may view (`may_view`) when given."""
        agencies = frozenset(self.agencies) if who is None else self.qos_viewable(who)
        if not active_only:
            return self.store.history(since, agencies)
        now = self.clock.time()
        with self._lock:
            return sorted((u for u in self._running.values() if u.active(now) and agencies_of(u.units) & agencies),
                          key=lambda u: u.number)

    def may_view(self, who: Principal, uplift: Uplift) -> bool:
        """Who may view the QoS of an agency with a unit in it: the network operator (every agency's QoS), its
        dispatchers and admins, and the grantees of an agreement naming QOS. Viewing the network (an agency admin
        does) shows its cells and alarms, not another agency's uplifts and their reasons; nor does an agreement
        sharing only units (who may see them then sees them named in an uplift it may view)."""
        return bool(agencies_of(uplift.units) & self.qos_viewable(who))

    def qos_viewable(self, who: Principal) -> frozenset[str]:
        """The agencies whose QoS `who` may view: an uplift with a unit of one of them is `who`'s to view."""
        snapshot = self.sharing.snapshot
        return frozenset(a for a in self.agencies if decide(who, Action.VIEW, Target(Resource.QOS, a), snapshot))

    def agencies_seen(self, who: Principal, agencies: Iterable[str]) -> frozenset[str]:
        """Those of `agencies` whose units `who` may see in an uplift: by QOS view, or UNIT view of the agency."""
        snapshot = self.sharing.snapshot
        return frozenset(a for a in agencies if decide(who, Action.VIEW, Target(Resource.QOS, a), snapshot)
                         or decide(who, Action.VIEW, Target(Resource.UNIT, a), snapshot))

    def seen_json(self, uplift: Uplift, now: float, who: Principal) -> dict[str, Any]:
        """The uplift as `who` may see it: another agency's unit it may not see as `{agency}/…`."""
        return seen_json(uplift, now, self.agencies_seen(who, agencies_of(uplift.units)))

    def _expire(self, now: float) -> bool:
        with self._lock:
            expired = due(self._running.values(), now)
        written = []
        for uplift in expired:  # stored first: a round that fails (the database away) is tried again next tick
            if self.store.end(uplift):  # False: ended already by another instance, audited there
                written.append(uplift)
            with self._lock:
                self._running.pop(uplift.number, None)
        expired = written
        for uplift in expired:
            self.audit.record(SYSTEM, "qos.uplift_expired", uplift.id, units=list(uplift.units),
                              requested_by=uplift.requested_by, until=uplift.until)
        if expired:
            self._changed(expired, now)
        return bool(expired)

    def _changed(self, uplifts: list[Uplift], now: float) -> None:
        self.publish()
        self._tell(uplifts, now)

    def _tell(self, uplifts: list[Uplift], now: float) -> None:
        for uplift in uplifts:
            agencies = sorted(agencies_of(uplift.units))
            # One row per set of agencies a viewer may see (a few: only registered agencies are uplifted).
            for n in range(1, len(agencies) + 1):
                for seen in map(frozenset, itertools.combinations(agencies, n)):
                    self.hub.notify("net_uplift", {"uplift": seen_json(uplift, now, seen)}, self._viewers(uplift, seen))

    def _viewers(self, uplift: Uplift, seen: frozenset[str]) -> Audience:
        return lambda who: self.may_view(who, uplift) and self.agencies_seen(who, agencies_of(uplift.units)) == seen


def seen_json(uplift: Uplift, now: float, agencies: frozenset[str]) -> dict[str, Any]:
    row = uplift.to_json(now)
    row["units"] = [unit if unit.split("/", 1)[0] in agencies else f"{unit.split('/', 1)[0]}/{HIDDEN}"
                    for unit in uplift.units]
    return row
