"""Counters of what ingest did and how the bus delivered it, for `/api/v1/stats` and Prometheus `/metrics`."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from psn.bus import SubscriberStats

PROBE_SOURCE = "probe"  # probes' `accepted_by_source` key, whatever their feed (feed names are not formats)


class IngestStats:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._lock = threading.Lock()
        self.accepted: Counter[str] = Counter()  # by source format
        self.rejected: Counter[str] = Counter()  # by reason
        self.ignored = 0
        self.probes_rejected: Counter[str] = Counter()  # by reason: also in `rejected`
        # Gauges set from the counters at scrape time; named *_total as the counters they mirror.
        self._accepted = Gauge("psn_ingest_accepted_total", "Accepted messages", ["source"], registry=self.registry)
        self._rejected = Gauge("psn_ingest_rejected_total", "Rejected messages", ["reason"], registry=self.registry)
        self._probes_rejected = Gauge("psn_probes_rejected_total", "Rejected probe-vehicle messages", ["reason"],
                                      registry=self.registry)
        self._late = Gauge("psn_ingest_late_total", "Fixes older than the unit's latest", registry=self.registry)
        self.units = Gauge("psn_units", "Units in the live picture", registry=self.registry)
        self.store_backlog = Gauge("psn_store_backlog", "Records waiting for the database", registry=self.registry)
        self.live_clients = Gauge("psn_live_clients", "Open live WebSockets", registry=self.registry)
        by_subscriber = ["subscriber"]
        self._bus = {
            "delivered": Gauge("psn_bus_delivered_total", "Events handled by a bus subscriber", by_subscriber,
                               registry=self.registry),
            "dropped": Gauge("psn_bus_dropped_total", "Events a bus subscriber's full queue refused", by_subscriber,
                             registry=self.registry),
            "errors": Gauge("psn_bus_errors_total", "Events a bus subscriber failed on", by_subscriber,
                            registry=self.registry),
            "failed_batches": Gauge("psn_bus_failed_batches_total", "Batches a batch subscriber's handler failed on "
                                    "(their events are in psn_bus_errors_total)", by_subscriber,
                                    registry=self.registry),
            "queued": Gauge("psn_bus_queued", "Events waiting in a bus subscriber's queue", by_subscriber,
                            registry=self.registry),
        }

        self.video_peers = Gauge("psn_video_peer_connections", "Open WebRTC peer connections",
                                 registry=self.registry)
        self._video_refused = Gauge("psn_video_refused_total", "WHIP/WHEP offers answered with an error",
                                    ["door", "status"], registry=self.registry)
        self._video_close_failures = Gauge("psn_video_close_failures_total",
                                           "Sessions whose WebRTC close failed (released all the same)",
                                           registry=self.registry)

    def export_video(self, video: dict[str, Any]) -> None:
        self.video_peers.set(video["peer_connections"])
        for key, count in video["refused"].items():
            door, _, status = key.partition(" ")
            self._video_refused.labels(door, status).set(count)
        self._video_close_failures.set(video["close_failures"])

    def accept(self, source: str) -> None:
        with self._lock:
            self.accepted[source] += 1

    def reject(self, reason: str, probe: bool = False) -> None:
        with self._lock:
            self.rejected[reason] += 1
            if probe:
                self.probes_rejected[reason] += 1

    def export(self, late: int, bus: list[SubscriberStats]) -> None:
        """Copies the plain counters into Prometheus when scraped, keeping the per-message path cheap."""
        with self._lock:
            accepted, rejected = dict(self.accepted), dict(self.rejected)
            probes_rejected = dict(self.probes_rejected)
        for reason, count in probes_rejected.items():
            self._probes_rejected.labels(reason).set(count)
        for source, count in accepted.items():
            self._accepted.labels(source).set(count)
        for reason, count in rejected.items():
            self._rejected.labels(reason).set(count)
        self._late.set(late)
        for sub in bus:
            for field, gauge in self._bus.items():
                gauge.labels(sub.name).set(getattr(sub, field))

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
                "ignored": self.ignored,
                "probes": {"accepted": self.accepted[PROBE_SOURCE], "rejected": dict(self.probes_rejected)},
            }
