"""`Traffic`: live segment speeds from every unit's fixes and the probe feeds, alerts, corridor times.

Wiring: one queued, batching bus subscriber (its own thread and bounded queue) takes `FixAccepted` and
`ProbeAccepted`, and hands each batch to the map matcher; the samples it decides go to the segment speeds and the
history. A tick thread every `Settings.traffic_tick_s` takes a snapshot, runs the drop detector, times the
corridors, forgets vehicles silent for `Settings.probe_keep_s` (probe privacy, docs/traffic.md) and sends the live
events. The road graph and the analytics (and the matcher's child process) are built when the service starts, by
the tick thread before its first tick: built on the first position instead, in the subscriber's thread while
5,000 fixes/s arrived, the build's 1.6 s of GIL-holding Python stalled the live map (p99 2.24 s in the first
30 s of load, against 194 ms with traffic off; bench/traffic_latency.py). A service never started (tests of
the shell) still builds on the first position.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from prometheus_client import Counter, Gauge

from psn.access import Action, Principal, Resource, Target, decide
from psn.audit import AuditLog
from psn.bus import Bus
from psn.clock import Clock
from psn.config import Settings
from psn.events import FixAccepted, ProbeAccepted
from psn.live import LiveHub
from psn.roads import RoadModel
from psn.stats import IngestStats
from psn.traffic import engines as analytics
from psn.traffic.engines import Build, Engines
from psn.traffic.feed import feed
from psn.traffic.tick import Picture, Ticked
from traffic.graph import FloatArray

log = logging.getLogger(__name__)
# 5,000 units at 1 Hz: a queue of 30 s of fixes rides out a slow tick or a graph build (1.6 s) without a drop.
QUEUE = 150_000
TRAFFIC = Target(Resource.TRAFFIC)
T = TypeVar("T")


def may_view(who: Principal) -> bool:
    return bool(decide(who, Action.VIEW, TRAFFIC))


class Traffic:
    def __init__(self, settings: Settings, clock: Clock, roads: RoadModel, hub: LiveHub, audit: AuditLog,
                 stats: IngestStats, build: Build = analytics.build) -> None:
        self.settings = settings
        self.clock = clock
        self.roads = roads
        self.hub = hub
        self.audit = audit
        self.build = build  # the analytics factory (tests hand in stand-ins before the first position)
        self._lock = threading.Lock()  # the analytics and the picture: the subscriber's and the tick's threads
        self.picture: Picture | None = None
        self._fed = False  # a position arrived: ticks before that (analytics built at start) send nothing
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        registry = stats.registry
        self.matched = Counter("psn_traffic_match", "Positions by map-matching outcome", ["outcome"],
                               registry=registry)
        self.samples = Counter("psn_traffic_samples", "Speed samples by what the segment speeds made of them",
                               ["result"], registry=registry)
        self.alerts_raised = Counter("psn_traffic_alerts_raised", "Traffic alerts raised", registry=registry)
        self.tick_seconds = Gauge("psn_traffic_tick_seconds", "Duration of the last traffic tick",
                                  registry=registry)
        self.vehicles = Gauge("psn_traffic_vehicles", "Vehicles the map matcher holds a trace of", registry=registry)

    def subscribe(self, bus: Bus) -> None:
        if self.settings.traffic_enabled:
            bus.subscribe("traffic", self.on_positions, (FixAccepted, ProbeAccepted), batch=True, capacity=QUEUE)

    def start(self) -> None:
        if self.settings.traffic_enabled:
            self._thread = threading.Thread(target=self._run, name="psn-traffic-tick", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
        with self._lock:
            if self.picture is not None:
                self.picture.engines.close()

    def state(self) -> str:
        """"off" (not enabled), "building" (the analytics are not built yet) or "ready" (for /healthz)."""
        if not self.settings.traffic_enabled:
            return "off"
        return "building" if self.picture is None else "ready"

    def _engines(self) -> Engines:
        """The analytics, built on first use (the road graph with them); the caller holds the lock."""
        if self.picture is None:
            started = time.perf_counter()
            self.picture = Picture(self.build(self.roads.router()))
            log.info("traffic analytics built in %.2f s", time.perf_counter() - started)
        return self.picture.engines

    def read(self, view: Callable[[Picture, float], T], build: bool = True) -> T | None:
        """`view(picture, now)` under the lock; None when nothing was built yet and `build` is False."""
        with self._lock:
            if self.picture is None and not build:
                return None
            self._engines()
            assert self.picture is not None
            return view(self.picture, self.clock.time())

    def on_positions(self, events: Sequence[FixAccepted | ProbeAccepted]) -> None:
        with self._lock:
            if self._stop.is_set():
                # Stopping: the bus may still hand over what its queue held after `stop` closed the matcher's
                # process ("cannot schedule new futures after shutdown" in the log of a demo stopped under load).
                return
            engines = self._engines()
            self._fed = True
            fed = feed(engines.matcher, events)
            if fed.samples:
                added = engines.speeds.add(fed.samples)
                engines.history.add(fed.samples)
                for result in ("accepted", "outliers", "unknown_edge", "bad"):
                    if count := getattr(added, result):
                        self.samples.labels(result).inc(count)
            self.vehicles.set(engines.matcher.active)
        for outcome, count in fed.outcomes.items():
            self.matched.labels(outcome).inc(count)
        if fed.standing:
            self.samples.labels("unit_standing").inc(fed.standing)

    def tick(self) -> Ticked | None:
        """A snapshot, alerts and corridor times now, and the live events; None before any position arrived."""
        started = time.perf_counter()
        now = self.clock.time()
        with self._lock:
            if self.picture is None or not self._fed:
                return None
            engines = self.picture.engines
            forgotten = engines.matcher.forget(now - self.settings.probe_keep_s)
            if forgotten:
                engines.speeds.add(forgotten)
                engines.history.add(forgotten)
            ticked = self.picture.tick(now)
            self.vehicles.set(engines.matcher.active)
        raised = sum(1 for row in ticked.alerts if row["state"] == "active")
        if raised:
            self.alerts_raised.inc(raised)
        self.hub.notify("traffic", {"ts": ticked.ts, "segments": ticked.segments, "corridors": ticked.corridors},
                        may_view)
        for row in ticked.alerts:
            self.hub.notify("traffic_alert", {"alert": row}, may_view)
        self.tick_seconds.set(time.perf_counter() - started)
        return ticked

    def _run(self) -> None:
        try:
            with self._lock:  # a stop() that came first (it sets _stop before it takes the lock) builds nothing
                if not self._stop.is_set():
                    self._engines().start()
        except Exception:  # the first position tries again (and the bus counts it if that fails too)
            log.exception("traffic analytics could not be built at start")
        while not self._stop.wait(self.settings.traffic_tick_s):
            try:
                self.tick()
            except Exception:  # a failed tick must not end the ticks: the next one tries again
                log.exception("traffic tick failed")

    def live_speeds(self) -> FloatArray | None:
        """Measured speeds (m/s per edge, NaN where not confident) for dispatch ETAs; None when there are none."""
        with self._lock:
            if self.picture is None:
                return None
            speeds = np.asarray(self.picture.engines.speeds.live_speeds(self.clock.time()), dtype=float)
        return speeds if bool(np.isfinite(speeds).any()) else None

    def acknowledge(self, alert_id: str, who: str) -> dict[str, Any] | None:
        """The alert's row once `who` acknowledged it (the first acknowledgement stands); None if unknown."""
        with self._lock:
            found = self.picture.acknowledge(alert_id, who) if self.picture is not None else None
        if found is None:
            return None
        row, first = found
        if first:
            self.audit.record(who, "traffic.alert.ack", alert_id, edge=row["edge"])
            self.hub.notify("traffic_alert", {"alert": row}, may_view)
        return row
