"""Counters of what ingest did, for `/api/v1/stats` and Prometheus `/metrics`."""

from __future__ import annotations

import threading
from collections import Counter

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client import Counter as PromCounter


class IngestStats:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._lock = threading.Lock()
        self.accepted: Counter[str] = Counter()  # by source format
        self.rejected: Counter[str] = Counter()  # by reason
        self.late = 0  # stored but older than the unit's current fix
        self.ignored = 0
        self._accepted = PromCounter("psn_ingest_accepted", "Accepted messages", ["source"], registry=self.registry)
        self._rejected = PromCounter("psn_ingest_rejected", "Rejected messages", ["reason"], registry=self.registry)
        self._late = PromCounter("psn_ingest_late", "Fixes older than the unit's latest", registry=self.registry)
        self.units = Gauge("psn_units", "Units in the live picture", registry=self.registry)
        self.store_backlog = Gauge("psn_store_backlog", "Records waiting for the database", registry=self.registry)
        self.live_clients = Gauge("psn_live_clients", "Open live WebSockets", registry=self.registry)

    def accept(self, source: str, late: bool) -> None:
        with self._lock:
            self.accepted[source] += 1
            if late:
                self.late += 1
        self._accepted.labels(source).inc()
        if late:
            self._late.inc()

    def reject(self, reason: str) -> None:
        with self._lock:
            self.rejected[reason] += 1
        self._rejected.labels(reason).inc()

    def ignore(self) -> None:
        with self._lock:
            self.ignored += 1

    def as_json(self) -> dict[str, object]:
        with self._lock:
            return {
                "accepted": sum(self.accepted.values()),
                "accepted_by_source": dict(self.accepted),
                "rejected": dict(self.rejected),
                "rejected_total": sum(self.rejected.values()),
                "late": self.late,
                "ignored": self.ignored,
            }
