"""Network alarms: the shell around `netmgmt.alarms.AlarmEngine`.

The engine is fed from the bus (`KpiAccepted`: a cell's KPIs; `LinkAccepted`: a unit's radio link) and ticked
every `tick_s` with the injected clock (silent cells, delayed clears). Each change is stored (the alarm's row and
a history entry), published on `psn/v1/_alarms/{kind}` (QoS 1, not retained) and pushed as a `net_alarm` live
event to those who may view the network, and counted in Prometheus. Active alarms (and those cleared within the
hold-down window, which may re-open) are resumed from the store at start.

Several instances (docs/deploy.md, "Once-only jobs"): only the instance holding lease `net-alarms` evaluates. It
takes the engine over from the database when it gets the lease (as at a restart: the alarms to resume, the cells
that report expected), and each tick takes in acknowledgements made through other instances. The others drop the
engine's inputs and, each tick, read the alarms from the database: their list, counts and live `net_alarm` events
follow the holder's within a tick. Any instance acknowledges: onto the stored row, only while it is still raised.

Who sees what: alarms are NETWORK data (unowned; the role decides). A unit_no_coverage alarm names a unit: its
target shows as `{agency}/…` to a viewer who may not view that unit (UNIT view of its agency, or a grant). The
MQTT feed is the network operations centre's (the broker lets no unit read `psn/v1/_alarms/#`) and is whole.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge

from netmgmt.alarms import Alarm, AlarmConfig, AlarmEngine, AlarmError, Change, Kind, KpiSample, State
from psn.access import Action, Principal, Resource, Sharing, Target, decide
from psn.audit import AuditLog
from psn.bus import Bus
from psn.clock import Clock
from psn.events import KpiAccepted, LinkAccepted
from psn.live import Audience, LiveHub
from psn.net.alarm_store import AlarmStore, alarm_json
from psn.store import Database
from telemetry.topics import alarm_topic

log = logging.getLogger(__name__)
Publish = Callable[[str, bytes, int], None]
HIDDEN = "…"
LEASE = "net-alarms"


def may_view_network(who: Principal) -> bool:
    return bool(decide(who, Action.VIEW, Target(Resource.NETWORK)))


def may_see_target(who: Principal, alarm: Alarm, sharing: Sharing) -> bool:
    """Whether `who` may see what the alarm names: a cell, yes; a unit only with UNIT view of it."""
    if alarm.kind is not Kind.UNIT_NO_COVERAGE:
        return True
    agency = alarm.target.split("/", 1)[0]
    return bool(decide(who, Action.VIEW, Target(Resource.UNIT, agency, alarm.target), sharing))


def seen_json(alarm: Alarm, sees_target: bool) -> dict[str, Any]:
    """The alarm's JSON; without `sees_target`, its unit as `{agency}/…`."""
    row = alarm_json(alarm)
    if not sees_target:
        row["target"] = f"{alarm.target.split('/', 1)[0]}/{HIDDEN}"
    return row


def visible_json(alarm: Alarm, who: Principal, sharing: Sharing) -> dict[str, Any]:
    """The alarm as `who` may see it."""
    return seen_json(alarm, may_see_target(who, alarm, sharing))


class AlarmService:
    def __init__(self, db: Database, clock: Clock, hub: LiveHub, publish: Publish, audit: AuditLog,
                 sharing: Callable[[], Sharing], registry: CollectorRegistry,
                 config: AlarmConfig | None = None, tick_s: float = 1.0,
                 held: Callable[[], bool] = lambda: True) -> None:
        self._store = AlarmStore(db)
        self._clock, self._hub, self._publish, self._audit, self._sharing = clock, hub, publish, audit, sharing
        self.config = config or AlarmConfig()
        self.tick_s = tick_s
        self._engine = AlarmEngine(self.config)
        self._held = held  # the lease LEASE: whether this instance evaluates
        self._holding = held()
        self.expected: Callable[[], Iterable[str]] = lambda: ()  # cells that report: silent unless a KPI comes
        # The engine and the order of its changes: bus thread and ticker (re-entrant: a take-over loads under it).
        self._lock = threading.RLock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._transitions = Counter("psn_net_alarm_transitions", "Network alarm changes by kind and event (raised, "
                                    "reopened, updated, acknowledged, cleared)", ["kind", "event"], registry=registry)
        self.store_failures = Counter("psn_net_alarm_store_failures", "Network alarm changes the database refused "
                                      "(still published; the alarm's next change rewrites its row)",
                                      registry=registry)
        self._active = Gauge("psn_net_alarms_active", "Active network alarms by kind", ["kind"], registry=registry)
        forgotten = Gauge("psn_net_alarm_forgotten", "Cells and units the alarm engine stopped watching since start: "
                          "more reported than it holds (AlarmConfig max_cells, max_units)", ["what"], registry=registry)
        forgotten.labels("cells").set_function(lambda: self._engine.forgotten_cells)
        forgotten.labels("units").set_function(lambda: self._engine.forgotten_units)

    def load(self) -> None:
        alarms, next_id = self._store.resumable(self._clock.time() - self.config.hold_down_s)
        with self._lock:
            self._engine = AlarmEngine(self.config, alarms, next_id)
            self._export()

    def expect(self, cells: Iterable[str]) -> None:
        """The cells that reported before a restart (the cells view restores them): each is silent if no KPI
        comes within the limit from now."""
        with self._lock:
            for cell in cells:
                self._engine.expect(cell, self._clock.time())

    def subscribe(self, bus: Bus) -> None:
        # Queued: a slow database never holds up ingest. One queue each: units' link reports (up to 50,000 every
        # period) could fill a shared one and drop a cell's KPI, and a dropped KPI can read as a false cell_silent.
        bus.subscribe("net-alarms-kpi", self._on_event, (KpiAccepted,), peers=True)
        bus.subscribe("net-alarms-link", self._on_event, (LinkAccepted,), peers=True)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._ticker(), name="psn-net-alarms")

    async def stop(self) -> None:
        """Ends the ticker after its round in progress, if any: the server closes MQTT and the store next."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _ticker(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.tick_s)
                return
            try:
                await asyncio.to_thread(self.tick)
            except Exception:  # one failed tick must not stop the alarms; the next one tries again
                log.exception("network alarm tick failed")

    def tick(self) -> None:
        with self._lock:
            if self._holds():
                self._take_acknowledgements()
                self._apply(self._engine.tick(self._clock.time()))
            else:
                self._follow()

    def _holds(self) -> bool:
        """Under the lock: whether this instance evaluates now. Taking the lease over, it resumes from what the
        last holder stored, as at a restart."""
        holding = self._held()
        if holding and not self._holding:
            self.load()
            self.expect(self.expected())
        self._holding = holding
        return holding

    def _take_acknowledgements(self) -> None:
        """The holder takes in acknowledgements made through the other instances."""
        for alarm in self._store.acknowledged():
            held = self._engine.get(alarm.id)
            if held is not None and held.state is State.RAISED:
                self._engine.put(replace(held, state=alarm.state, acknowledged_by=alarm.acknowledged_by,
                                         acknowledged=alarm.acknowledged, changed=alarm.changed))
                self._notify(alarm)

    def _follow(self) -> None:
        """Not the holder: the alarms as stored, and a live event for each that changed since the last tick."""
        before = {alarm.id: alarm for alarm in self._engine.alarms()}
        alarms, next_id = self._store.resumable(self._clock.time() - self.config.hold_down_s)
        self._engine = AlarmEngine(self.config, alarms, next_id)
        for alarm in alarms:
            if before.get(alarm.id) != alarm:
                self._notify(alarm)
        self._export()

    def _on_event(self, event: KpiAccepted | LinkAccepted) -> None:
        with self._lock:
            if not self._holds():  # the holder evaluates (it hears every KPI: the peers' too)
                return
            if isinstance(event, KpiAccepted):
                k = event.kpi
                sample = KpiSample(k.cell, k.prb_util_dl, k.prb_util_ul, k.bearers_rejected, k.bearers_preempted)
                self._apply(self._engine.kpi(sample, event.received))
            else:
                self._apply(self._engine.link(event.link.who.id, event.link.cell, event.received))

    def acknowledge(self, alarm_id: str, who: Principal) -> Alarm:
        """KeyError for an unknown alarm; AlarmError (with the reason) for one cleared or acknowledged already."""
        with self._lock:
            before = self._engine.get(alarm_id)
            try:
                change = self._engine.acknowledge(alarm_id, who.name, self._clock.time())
            except KeyError:
                if self._store.alarm(alarm_id) is not None:  # cleared, and past its hold-down window
                    raise AlarmError(f"alarm {alarm_id} is cleared already") from None
                raise
            assert before is not None  # the engine held it: it acknowledged it
            try:
                stored = self._store.acknowledge(change)
            except Exception:  # not stored, so not acknowledged: the caller is told and may try again
                self._engine.put(before)
                raise
            if not stored:  # acknowledged or cleared through another instance
                self._engine.put(before)
                found = self._store.alarm(alarm_id)
                now = found[0] if found is not None else before
                who_did = f" by {now.acknowledged_by}" if now.acknowledged_by else ""
                raise AlarmError(f"alarm {alarm_id} is {now.state}{who_did} already")
            self._announce([change])
        self._audit.record(who.name, "net_alarm.ack", alarm_id, kind=change.alarm.kind.value,
                           target=change.alarm.target)
        return change.alarm

    def _apply(self, changes: list[Change]) -> None:
        """Under the lock, so every consumer sees an alarm's changes in the order they happened."""
        if not changes:
            return
        try:
            changes = self._store.write(changes)
        except Exception:  # the feed and the live view still get the change; the next change rewrites the row
            self.store_failures.inc(len(changes))
            log.exception("storing %d network alarm changes failed", len(changes))
        for change in changes:
            self._engine.put(change.alarm)  # with an acknowledgement made elsewhere, if the row had one
        self._announce(changes)

    def _announce(self, changes: list[Change]) -> None:
        for change in changes:
            alarm = change.alarm
            self._publish(alarm_topic(alarm.kind.value), orjson.dumps(alarm_json(alarm)), 1)
            self._notify(alarm)
            self._transitions.labels(alarm.kind.value, change.transition.event.value).inc()
        self._export()

    def _notify(self, alarm: Alarm) -> None:
        if alarm.kind is not Kind.UNIT_NO_COVERAGE:
            self._hub.notify("net_alarm", {"alarm": alarm_json(alarm)}, may_view_network)
            return
        for sees in (True, False):  # the whole target to those who may view the unit, `{agency}/…` to the others
            audience = self._audience(alarm, sees)
            self._hub.notify("net_alarm", {"alarm": seen_json(alarm, sees)}, audience)

    def _audience(self, alarm: Alarm, sees: bool) -> Audience:
        return lambda who: may_view_network(who) and may_see_target(who, alarm, self._sharing()) is sees

    def _export(self) -> None:
        counts = {kind: 0 for kind in Kind}
        for alarm in self._engine.active():
            counts[alarm.kind] += 1
        for kind, n in counts.items():
            self._active.labels(kind.value).set(n)

    # Reads: the REST views and the other parts of network management.

    def alarms(self, active_only: bool, since: float | None, limit: int) -> list[Alarm]:
        return self._store.alarms(active_only, since, limit)

    def alarm(self, alarm_id: str) -> tuple[Alarm, list[dict[str, Any]]] | None:
        return self._store.alarm(alarm_id)

    def active(self) -> list[Alarm]:
        with self._lock:
            return self._engine.active()

    def active_count(self, target: str) -> int:
        """Active alarms naming `target` (a cell id, or a unit)."""
        return self.active_counts().get(target, 0)

    def active_counts(self) -> collections.Counter[str]:
        """Active alarms per target (the cells view's `alarms` figure of every cell at once)."""
        return collections.Counter(alarm.target for alarm in self.active())
