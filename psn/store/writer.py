"""Batched writes on their own thread, so storage never limits ingest.

Ingest appends to a deque (one atomic append, no lock or wake-up per message); the writer takes what has
accumulated every `flush_s`. The backlog is bounded: when the database falls far behind, `put` waits, which
blocks the MQTT thread, which stops acknowledging QoS 1 messages and lets the broker hold them —
back-pressure instead of silent loss. Each record may carry the `Receipt` of its message, resolved once the
batch holding it is committed: what the MQTT adapter acknowledges the broker on (psn/mqtt/client.py). A record
the table already holds (the same unit and ts: a redelivery after a crash) is skipped by the insert, so the
broker's at-least-once becomes exactly-once stored (docs/protocol.md, "Delivery guarantee").
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from psn.events import Receipt
from psn.store.database import Database
from telemetry import Fix, StatusReport

log = logging.getLogger(__name__)
Item = tuple[Fix | StatusReport, float, Receipt | None]


class BatchWriter:
    def __init__(self, db: Database, batch: int = 5000, flush_s: float = 0.25, capacity: int = 200_000) -> None:
        self.db = db
        self.batch = batch
        self.flush_s = flush_s
        self.capacity = capacity
        self._pending: collections.deque[Item] = collections.deque()
        self._drained = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="psn-store-writer", daemon=True)
        self._busy = False
        self._in_hand = 0  # records of the batch being written, or retried while the database is unavailable
        self.retrying = False  # the last attempt failed: records are held in memory until the database answers
        self.written = 0
        self.failed_batches = 0  # failed attempts, each retried
        self.waits = 0  # times ingest had to wait for the database

    def start(self) -> None:
        self._thread.start()

    def put(self, item: Fix | StatusReport, received: float, receipt: Receipt | None = None) -> None:
        if len(self._pending) >= self.capacity:
            self.waits += 1
            with self._drained:
                self._drained.wait_for(lambda: len(self._pending) < self.capacity or self._stopping.is_set())
        self._pending.append((item, received, receipt))

    @property
    def backlog(self) -> int:
        return len(self._pending)

    @property
    def unwritten(self) -> int:
        """Records accepted and not yet committed: the backlog and the batch in hand."""
        return len(self._pending) + self._in_hand

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything queued so far is written (tests, shutdown)."""
        return wait_idle(lambda: not self._pending and not self._busy, timeout)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():  # never started: Server.start failed before it
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            stopping = self._stopping.wait(self.flush_s)
            while self._pending:
                self._busy = True
                items = [self._pending.popleft() for _ in range(min(self.batch, len(self._pending)))]
                self._in_hand = len(items)
                self._write(items)
                self._in_hand = 0
                with self._drained:
                    self._drained.notify_all()
            self._busy = False
            if stopping:
                return

    def _write(self, items: list[Item]) -> None:
        fixes = [(i, r) for i, r, _ in items if isinstance(i, Fix)]
        reports = [(i, r) for i, r, _ in items if isinstance(i, StatusReport)]
        attempt = 0
        while True:
            try:
                if fixes:
                    self.db.insert_fixes(fixes)
                if reports:
                    self.db.insert_statuses(reports)
                self.written += len(items)
                self.retrying = False
                resolve_receipts(items, ok=True)
                return
            except Exception:
                # A database outage must neither kill the writer nor drop accepted data: retry while the
                # backlog fills up and back-pressure reaches the broker. Only shutdown gives up.
                self.failed_batches += 1
                self.retrying = True
                attempt += 1
                log.exception("store write of %d records failed (attempt %d)", len(items), attempt)
                if self._stopping.is_set() and attempt >= 3:
                    log.error("shutting down with %d records unwritten", len(items) + len(self._pending))
                    resolve_receipts(items, ok=False)
                    return
                time.sleep(min(0.2 * 2**attempt, 5.0))


def wait_idle(idle: Callable[[], bool], timeout: float) -> bool:
    """Polls `idle` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if idle():
            return True
        time.sleep(0.01)
    return False


def resolve_receipts(items: Sequence[tuple[Any, float, Receipt | None]], ok: bool) -> None:
    """Resolves the receipts of records (record, received, receipt) one commit stored, or gave up on."""
    for _, _, receipt in items:
        if receipt is not None:
            receipt.resolve(ok)
