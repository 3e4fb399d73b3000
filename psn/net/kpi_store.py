"""The cells' KPI time series in the database: batched writes on their own thread, aggregates rolled up as their
buckets close, reads of one cell's window, and retention.

Ingest only appends to a bounded deque (`offer`); the writer thread takes what accumulated every `flush_s`, stores
the raw samples and the 1-min and 15-min aggregates `netmgmt.series.Rollup` closed, in one transaction, then
resolves the samples' receipts: a KPI is acknowledged to the broker only once stored, like a fix
(docs/protocol.md, "Delivery guarantee"). Raw samples are unique per (cell, ts), so a redelivery after a crash is
stored once; the latest sample of each cell offered again (a redelivery, or the broker's retained copy after a
restart) is neither stored nor aggregated a second time. When the database falls far behind and the deque is full,
`offer` waits (back-pressure to the broker, as for fixes) and counts the wait.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge

from netmgmt.series import MEANS, MINUTE, QUARTER, Point, Retention, Rollup
from psn.events import Receipt
from psn.store import Database
from psn.store.database import insert_new
from psn.store.net_kpi_schema import net_kpi_agg, net_kpi_raw
from psn.store.writer import resolve_receipts, wait_idle
from telemetry import CellKpi

log = logging.getLogger(__name__)
RAW_COLUMNS = ("cell", "ts", "connected_ues", *MEANS, "mean_dl_sinr_db", "bearers_rejected", "bearers_preempted",
               "received")
Item = tuple[CellKpi, float, Receipt | None]
MAX_CELLS_REMEMBERED = 20_000  # cells whose latest ts `offer` remembers: bounded whatever cells equipment names
AGG_COLUMNS = ("cell", "resolution", "bucket", "n", "connected_ues", *MEANS, "bearers_rejected",
               "bearers_preempted")


def sample_point(kpi: CellKpi) -> Point:
    return Point(kpi.ts, kpi.prb_util_dl, kpi.prb_util_ul, kpi.thr_dl_mbps, kpi.thr_ul_mbps, kpi.connected_ues,
                 kpi.bearers_rejected, kpi.bearers_preempted)


class KpiStore:
    def __init__(self, db: Database, registry: CollectorRegistry, clock: Any, flush_s: float = 1.0,
                 capacity: int = 50_000) -> None:
        self._db, self._clock, self.flush_s, self.capacity = db, clock, flush_s, capacity
        self._pending: collections.deque[Item] = collections.deque()
        self._drained = threading.Condition()
        self._latest: dict[str, float] = {}  # cell -> ts of its newest sample offered, in the order offered
        self._rollup = Rollup()
        self._rollup_lock = threading.Lock()  # the writer closes buckets, queries read the open ones
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="psn-net-kpi-writer", daemon=True)
        self._busy = False
        self.waits = Counter("psn_net_kpi_waits_total", "Times ingest waited for the KPI store: its queue was "
                             "full (the database far behind)", registry=registry)
        self.repeated = Counter("psn_net_kpi_repeated_total", "Cell KPI samples offered again (a redelivery or "
                                "the broker's retained copy): not stored twice", registry=registry)
        self.written = Counter("psn_net_kpi_written_total", "Cell KPI samples stored", registry=registry)
        self.failed = Counter("psn_net_kpi_failed_batches_total", "KPI store writes that failed (retried)",
                              registry=registry)
        backlog = Gauge("psn_net_kpi_backlog", "Cell KPI samples waiting for the database", registry=registry)
        backlog.set_function(lambda: len(self._pending))
        late = Gauge("psn_net_kpi_late_total", "Cell KPI samples stored raw but too late for their closed 1-min "
                     "or 15-min aggregate (one count per aggregate missed)", registry=registry)
        late.set_function(lambda: self._rollup.late)

    # Writing

    def remember(self, latest: list[CellKpi]) -> None:
        """The newest stored sample of each cell (at start), so their retained copies are not stored again."""
        for kpi in latest:
            self._latest[kpi.cell] = kpi.ts

    def offer(self, kpi: CellKpi, received: float, receipt: Receipt | None = None) -> None:
        """From ingest's thread (one caller): waits only while the queue is full."""
        if self._latest.get(kpi.cell) == kpi.ts:
            self.repeated.inc()
            if receipt is not None:
                receipt.resolve()
            return
        if len(self._pending) >= self.capacity:
            self.waits.inc()
            with self._drained:
                self._drained.wait_for(lambda: len(self._pending) < self.capacity or self._stopping.is_set())
        newest = self._latest.pop(kpi.cell, -math.inf)  # put back last: the dict stays in the order offered
        self._latest[kpi.cell] = max(newest, kpi.ts)
        if len(self._latest) > MAX_CELLS_REMEMBERED:
            del self._latest[next(iter(self._latest))]
        self._pending.append((kpi, received, receipt))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything offered so far is written (tests)."""
        return wait_idle(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            stopping = self._stopping.wait(self.flush_s)
            self._busy = True
            items = [self._pending.popleft() for _ in range(len(self._pending))]
            with self._drained:
                self._drained.notify_all()
            with self._rollup_lock:
                for kpi, _, _ in items:
                    self._rollup.add(kpi.cell, sample_point(kpi))
                closed = self._rollup.close(None if stopping else self._clock.time())
            self._write(items, closed, stopping)
            self._busy = False
            if stopping:
                return

    def _write(self, items: list[Item], closed: list[tuple[str, int, Point]], stopping: bool) -> None:
        raw = [(k.cell, k.ts, k.connected_ues, k.prb_util_dl, k.prb_util_ul, k.thr_dl_mbps, k.thr_ul_mbps,
                k.mean_dl_sinr_db, k.bearers_rejected, k.bearers_preempted, received) for k, received, _ in items]
        aggs = [(cell, resolution, p.ts, p.n, p.connected_ues, p.prb_util_dl, p.prb_util_ul, p.thr_dl_mbps,
                 p.thr_ul_mbps, p.bearers_rejected, p.bearers_preempted) for cell, resolution, p in closed]
        attempt = 0
        while raw or aggs:
            try:
                with self._db.engine.begin() as conn:
                    insert_new(conn, net_kpi_raw, RAW_COLUMNS, raw)
                    insert_new(conn, net_kpi_agg, AGG_COLUMNS, aggs)
                self.written.inc(len(raw))
                resolve_receipts(items, ok=True)
                return
            except Exception:
                # Retried until it succeeds (the deque meanwhile fills, then ingest waits); shutdown gives up after
                # 3, leaving those samples unacknowledged for the broker to deliver again.
                self.failed.inc()
                attempt += 1
                log.exception("KPI store write of %d samples failed (attempt %d)", len(raw), attempt)
                if (stopping or self._stopping.is_set()) and attempt >= 3:
                    resolve_receipts(items, ok=False)
                    return
                time.sleep(min(0.2 * 2**attempt, 5.0))

    # Reading

    def points(self, cell: str, resolution: int, start: float, end: float, step: int) -> list[Point]:
        """`cell`'s raw samples (resolution 0) or aggregates in [start, end), grouped by the database into
        buckets of `step` seconds (one row each however many samples or rows of one bucket it read), and the
        aggregates of its buckets still open; the caller's `downsample` merges the two."""
        n: sa.ColumnElement[int]
        if resolution == 0:
            t, time_column, n = net_kpi_raw, net_kpi_raw.c.ts, sa.literal(1)
            where = [t.c.cell == cell, time_column >= start, time_column < end]
        else:
            t, time_column, n = net_kpi_agg, net_kpi_agg.c.bucket, net_kpi_agg.c.n
            where = [t.c.cell == cell, t.c.resolution == resolution, time_column >= start, time_column < end]
        # Epoch seconds are positive: truncation is the floor. PostgreSQL's cast to an integer rounds instead.
        ratio = time_column / step
        whole = sa.func.floor(ratio) if self._db.dialect == "postgresql" else sa.cast(ratio, sa.BigInteger)
        bucket = (whole * step).label("bucket")
        query = sa.select(bucket, sa.func.sum(n), *(sa.func.sum(t.c[name] * n) for name in MEANS),
                          sa.func.max(t.c.connected_ues), sa.func.sum(t.c.bearers_rejected),
                          sa.func.sum(t.c.bearers_preempted)).where(*where).group_by(bucket).order_by(bucket)
        with self._db.engine.connect() as conn:
            rows: list[Any] = list(conn.execute(query).all())
        stored = [Point(float(b), dl / count, ul / count, thr_dl / count, thr_ul / count, int(ues), int(rejected),
                        int(preempted), int(count))
                  for b, count, dl, ul, thr_dl, thr_ul, ues, rejected, preempted in rows]
        if resolution == 0:
            return stored
        with self._rollup_lock:
            current = self._rollup.open_points(cell, resolution)
        return stored + [p for p in current if start <= p.ts < end]

    def latest(self, since: float) -> list[tuple[CellKpi, float]]:
        """The newest stored sample of each cell that reported since `since`, with when it arrived."""
        r = net_kpi_raw
        newest = (sa.select(r.c.cell, sa.func.max(r.c.ts).label("ts")).where(r.c.ts >= since)
                  .group_by(r.c.cell).subquery())
        query = sa.select(r).join(newest, sa.and_(r.c.cell == newest.c.cell, r.c.ts == newest.c.ts))
        with self._db.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(CellKpi(x.cell, x.ts, x.connected_ues, x.prb_util_dl, x.prb_util_ul, x.thr_dl_mbps, x.thr_ul_mbps,
                         x.mean_dl_sinr_db, x.bearers_rejected, x.bearers_preempted), x.received) for x in rows]

    def apply_retention(self, now: float, keep: Retention) -> int:
        """Deletes raw samples and aggregates past their keeping time; the rows deleted."""
        a = net_kpi_agg
        with self._db.engine.begin() as conn:
            deleted = conn.execute(net_kpi_raw.delete().where(net_kpi_raw.c.ts < now - keep.raw_s)).rowcount
            for resolution, keep_s in ((MINUTE, keep.minute_s), (QUARTER, keep.quarter_s)):
                deleted += conn.execute(a.delete().where(a.c.resolution == resolution,
                                                         a.c.bucket < now - keep_s)).rowcount
        return int(deleted)
