"""A KPI history for bench/netmgmt.py: raw samples and 1-min / 15-min aggregates of many cells written straight
into psn's tables (`net_kpi_raw`, `net_kpi_agg`, psn/store/net_kpi_schema.py), the bytes each row takes there, and
the storage a network of cells grows by with psn's retention.

Rows are written in time order, all cells' rows of one period together, as psn's KPI writer stores them: one cell's
rows then lie scattered over the table as they do in production, which is what a query of one cell pays for.
SQLite gets executemany in batches, PostgreSQL COPY.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from netmgmt.series import MINUTE, QUARTER
from psn.net.kpi_store import AGG_COLUMNS, RAW_COLUMNS
from psn.store import Database
from psn.store.net_kpi_schema import net_kpi_agg, net_kpi_raw

DAY = 86400
BATCH = 50_000


def cell_name(index: int) -> str:
    """Three sectors per site, named as the shipped plan names them (`{site}-{k}`, k from 1)."""
    return f"BZE-{index // 3:03d}-{index % 3 + 1}"


def _values(rng: np.random.Generator, cells: int) -> Iterator[tuple[Any, ...]]:
    """Per cell: connected UEs, PRB utilisation DL and UL, throughput DL and UL, SINR, rejected, pre-empted; the
    spread of a busy network (mostly zero rejections, as an uncongested cell reports)."""
    util = rng.random((2, cells)) * 0.9
    return zip(rng.integers(0, 120, cells).tolist(), *np.round(util, 4).tolist(),
               *np.round(util * [[38.0], [11.0]], 3).tolist(), np.round(rng.normal(12, 6, cells), 2).tolist(),
               (rng.random(cells) < 0.02).astype(int).tolist(), (rng.random(cells) < 0.01).astype(int).tolist(),
               strict=True)


def raw_rows(cells: int, start: int, end: int, period_s: int, seed: int = 1) -> Iterator[tuple[Any, ...]]:
    """Every cell's sample every `period_s` over [start, end), received 0.05 s after its `ts`."""
    rng = np.random.default_rng(seed)
    names = [cell_name(i) for i in range(cells)]
    for ts in range(start, end, period_s):
        for name, (ues, dl, ul, tdl, tul, sinr, rej, pre) in zip(names, _values(rng, cells), strict=True):
            yield name, float(ts), ues, dl, ul, tdl, tul, sinr, rej, pre, ts + 0.05


def agg_rows(cells: int, start: int, end: int, period_s: int, seed: int = 2) -> Iterator[tuple[Any, ...]]:
    """Every cell's 1-min aggregate of each minute in [start, end) (start a multiple of 15 min), and its 15-min
    aggregate after each quarter's last minute, as the roll-up closes them; `n` the samples at `period_s`."""
    rng = np.random.default_rng(seed)
    names = [cell_name(i) for i in range(cells)]
    for minute in range(start, end, MINUTE):
        closing = [(MINUTE, minute)]
        if (minute + MINUTE) % QUARTER == 0:
            closing.append((QUARTER, minute + MINUTE - QUARTER))
        for resolution, bucket in closing:
            n = resolution // period_s
            for name, (ues, dl, ul, tdl, tul, _sinr, rej, pre) in zip(names, _values(rng, cells), strict=True):
                yield name, resolution, float(bucket), n, ues, dl, ul, tdl, tul, rej * n, pre * n


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def write(db: Database, table: sa.Table, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """Writes `rows` in batches, one transaction each; the rows written."""
    written = 0
    raw = db.engine.raw_connection()
    try:
        cursor: Any = raw.cursor()
        names = ", ".join(columns)
        for batch in _batches(rows):
            if db.dialect == "postgresql":
                with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
                                   batch)
            raw.commit()
            written += len(batch)
    finally:
        raw.close()
    return written


@dataclass(frozen=True, slots=True)
class Fill:
    raw_rows: int
    agg_rows: int
    seconds: float


def fill(db: Database, cells: int, days: float, raw_hours: float, period_s: int, now: float) -> Fill:
    """`days` of 1-min and 15-min aggregates and `raw_hours` of raw samples of `cells` cells, ending at `now`."""
    began = time.perf_counter()
    end = int(now // QUARTER * QUARTER)
    agg = write(db, net_kpi_agg, AGG_COLUMNS, agg_rows(cells, end - round(days * DAY / QUARTER) * QUARTER, end,
                                                       period_s))
    raw_end = int(now // period_s * period_s)
    raw = write(db, net_kpi_raw, RAW_COLUMNS, raw_rows(cells, raw_end - round(raw_hours * 3600), raw_end,
                                                       period_s))
    if db.dialect == "postgresql":
        # What autovacuum does to tables filled over days (migration 0013 asks for a visit every 1 % of new rows):
        # the planner's statistics, and the visibility map an index-only scan needs.
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return Fill(raw, agg, time.perf_counter() - began)


def table_bytes(db: Database, table: sa.Table) -> int:
    """On-disk bytes of `table` with its indexes: pg_total_relation_size on PostgreSQL, the pages SQLite's
    dbstat counts for the table and its indexes."""
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            return int(conn.exec_driver_sql(f"SELECT pg_total_relation_size('{table.name}')").scalar_one())
        names = [table.name, *(str(index.name) for index in table.indexes)]
        marks = ", ".join("?" * len(names))
        return int(conn.exec_driver_sql(f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({marks})",
                                        tuple(names)).scalar_one())


def row_bytes(db: Database, table: sa.Table) -> float:
    with db.engine.connect() as conn:
        rows = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
    return table_bytes(db, table) / rows


@dataclass(frozen=True, slots=True)
class Keep:
    raw_hours: float = 48.0
    minute_days: float = 30.0
    quarter_days: float = 400.0


def growth(raw_bytes: float, agg_bytes: float, cells: int, period_s: float, keep: Keep) -> dict[str, float]:
    """Bytes a day adds while each resolution is still filling its keeping time, and the steady-state total once
    retention deletes as much as arrives (freed space reused: SQLite's free pages, PostgreSQL after vacuum)."""
    raw_day = cells * DAY / period_s * raw_bytes
    minute_day = cells * DAY / MINUTE * agg_bytes
    quarter_day = cells * DAY / QUARTER * agg_bytes
    return {
        "raw_bytes_per_day": raw_day,
        "agg_1m_bytes_per_day": minute_day,
        "agg_15m_bytes_per_day": quarter_day,
        "first_day_bytes": raw_day + minute_day + quarter_day,
        "steady_state_bytes": (raw_day * keep.raw_hours / 24 + minute_day * keep.minute_days
                               + quarter_day * keep.quarter_days),
    }
