"""Readiness, check by check, for `/readyz` and Prometheus: may this psn take traffic right now?

Each check has a state and the wall time it entered that state. Required checks decide readiness: the broker
connected, the database answering a real query, free disk in the data dir, the store's backlog below its bound.
Informational ones (traffic analytics being built) are shown but never take psn out of a load balancer.

The database is asked `SELECT 1` on a worker thread, never on the event loop, at most every `health_cache_s`
whoever asks; one probe at a time, so a database that hangs holds one thread, not one per request. No answer
within `db_timeout_s` is red.

The report also names the instance (`instance`, "" for the single-instance default) and the leases of once-only
jobs it holds (`leases`), and the dead instances whose MQTT sessions it has adopted (`adopted`, psn/adoption.py):
information, never a check (an instance holding none is as ready as one holding all)."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from psn.clock import Clock
from psn.config import Settings
from psn.store import BatchWriter, Database
from psn.store.availability import reason

MB = 2**20


@dataclass(frozen=True)
class Check:
    ok: bool
    state: str
    required: bool = True
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    ready: bool
    checks: dict[str, tuple[Check, float]]  # each check and since when (wall time) it is in its state
    instance: str = ""
    leases: tuple[str, ...] = ()
    adopted: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "not ready", "instance": self.instance,
                "leases": list(self.leases), "adopted": list(self.adopted),
                "checks": {name: {"ok": check.ok, "state": check.state, "since": since, "required": check.required,
                                  **check.detail}
                           for name, (check, since) in self.checks.items()}}


class Health:
    def __init__(self, settings: Settings, db: Database, writer: BatchWriter, broker_connected: Callable[[], bool],
                 traffic_state: Callable[[], str], registry: CollectorRegistry, clock: Clock,
                 leases: Callable[[], list[str]] = list, adopted: Callable[[], list[str]] = list) -> None:
        self.settings = settings
        self.db = db
        self.writer = writer
        self.broker_connected = broker_connected
        self.traffic_state = traffic_state
        self.clock = clock
        self.leases = leases
        self.adopted = adopted
        self._since: dict[str, tuple[str, float]] = {}  # check → (state, since)
        self._probe: asyncio.Future[Check] | None = None
        self._database: tuple[Check, float] | None = None  # the last answer and when (monotonic) it came
        self._ok = Gauge("psn_health_check_ok", "1 if the health check passes, else 0", ["check"], registry=registry)
        self._since_gauge = Gauge("psn_health_check_since_seconds", "Unix time the check entered its state",
                                  ["check"], registry=registry)
        Gauge("psn_instance", "1, labelled with this instance's name (\"\" for a single instance)", ["instance"],
              registry=registry).labels(settings.instance).set(1)
        self._ready = Gauge("psn_ready", "1 if /readyz answers 200 (every required check passes)", registry=registry)

    async def report(self) -> Report:
        checks = {"broker": self._broker(), "database": await self._database_check(), "disk": self._disk(),
                  "store": self._store(), "traffic": self._traffic()}
        report = Report(all(c.ok for c in checks.values() if c.required),
                        {name: (check, self._entered(name, check.state)) for name, check in checks.items()},
                        self.settings.instance, tuple(self.leases()), tuple(self.adopted()))
        for name, (check, since) in report.checks.items():
            self._ok.labels(name).set(1 if check.ok else 0)
            self._since_gauge.labels(name).set(since)
        self._ready.set(1 if report.ready else 0)
        return report

    def _entered(self, name: str, state: str) -> float:
        known = self._since.get(name)
        if known is None or known[0] != state:
            known = self._since[name] = (state, self.clock.time())
        return known[1]

    def _broker(self) -> Check:
        connected = self.broker_connected()
        return Check(connected, "connected" if connected else "disconnected")

    async def _database_check(self) -> Check:
        if self._database is not None and time.monotonic() - self._database[1] < self.settings.health_cache_s:
            return self._database[0]
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(asyncio.to_thread(self._ping))
        timeout = self.settings.db_timeout_s
        try:
            check = await asyncio.wait_for(asyncio.shield(self._probe), timeout)
        except TimeoutError:
            check = Check(False, "unreachable", detail={"reason": f"no answer within {timeout:g} s"})
        self._database = (check, time.monotonic())
        return check

    def _ping(self) -> Check:
        started = time.monotonic()
        try:
            self.db.ping()
        except Exception as exc:  # whatever the driver raises, the database did not answer the query
            return Check(False, "unreachable", detail={"reason": reason(exc)})
        return Check(True, "reachable", detail={"latency_ms": round((time.monotonic() - started) * 1000, 1)})

    def _disk(self) -> Check:
        free_mb = shutil.disk_usage(self.settings.data_dir).free / MB
        minimum = self.settings.health_min_free_mb
        return Check(free_mb >= minimum, "ok" if free_mb >= minimum else "low",
                     detail={"free_mb": round(free_mb), "min_free_mb": minimum})

    def _store(self) -> Check:
        writer = self.writer
        blocking = writer.backlog >= writer.capacity
        # The writer never sheds: full, it makes ingest wait, and the broker holds what psn has not acknowledged.
        state = "blocking" if blocking else "buffering" if writer.retrying else "writing"
        return Check(not blocking, state, detail={"backlog": writer.unwritten, "capacity": writer.capacity,
                                                   "when_full": "blocks ingest (the broker holds the rest)",
                                                   "failed_batches": writer.failed_batches})

    def _traffic(self) -> Check:
        state = self.traffic_state()
        return Check(state != "building", state, required=False)
