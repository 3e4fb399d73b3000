"""Batched writes on their own thread, so storage never limits ingest.

The queue is bounded: when the database falls far behind, `put` blocks the MQTT thread, which stops
acknowledging QoS 1 messages and lets the broker hold them — back-pressure instead of silent loss.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from psn.store.database import Database
from telemetry import Fix, StatusReport

log = logging.getLogger(__name__)
Item = tuple[Fix | StatusReport, float]


class BatchWriter:
    def __init__(self, db: Database, batch: int = 2000, flush_s: float = 0.25, capacity: int = 200_000) -> None:
        self.db = db
        self.batch = batch
        self.flush_s = flush_s
        self._queue: queue.Queue[Item | None] = queue.Queue(maxsize=capacity)
        self._thread = threading.Thread(target=self._run, name="psn-store-writer", daemon=True)
        self.written = 0
        self.failed_batches = 0
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        self._thread.start()

    def put(self, item: Fix | StatusReport, received: float) -> None:
        self._idle.clear()
        self._queue.put((item, received))

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything queued so far is written (used by tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.empty() and self._idle.is_set():
                return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            items: list[Item] = []
            try:
                first = self._queue.get(timeout=self.flush_s)
            except queue.Empty:
                self._idle.set()
                continue
            deadline = time.monotonic() + self.flush_s
            if first is None:
                stopping = True
            else:
                items.append(first)
            while not stopping and len(items) < self.batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                else:
                    items.append(item)
            self._write(items)
            if self._queue.empty():
                self._idle.set()

    def _write(self, items: list[Item]) -> None:
        fixes = [(i, r) for i, r in items if isinstance(i, Fix)]
        reports = [(i, r) for i, r in items if isinstance(i, StatusReport)]
        for attempt in range(5):
            try:
                if fixes:
                    self.db.insert_fixes(fixes)
                if reports:
                    self.db.insert_statuses(reports)
                self.written += len(items)
                return
            except Exception:  # a database outage must not kill the writer; retry, then count
                log.exception("store write failed (attempt %d of 5)", attempt + 1)
                time.sleep(min(2.0**attempt * 0.2, 3.0))
        self.failed_batches += 1
