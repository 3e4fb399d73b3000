"""Tables of the cells' KPI time series (psn.net.kpis): raw samples, and 1-min and 15-min aggregates in one
table told apart by `resolution` (60 or 900 s). Aggregate rows are not unique per bucket: a restart may close a
bucket twice, and the reader merges rows of one bucket exactly (netmgmt.series.merge)."""

from __future__ import annotations

import sqlalchemy as sa

from psn.store.schema import metadata

net_kpi_raw = sa.Table(
    "net_kpi_raw",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("cell", sa.String(64), nullable=False),
    sa.Column("ts", sa.Float(53), nullable=False),
    sa.Column("connected_ues", sa.Integer, nullable=False),
    sa.Column("prb_util_dl", sa.Float(53), nullable=False),
    sa.Column("prb_util_ul", sa.Float(53), nullable=False),
    sa.Column("thr_dl_mbps", sa.Float(53), nullable=False),
    sa.Column("thr_ul_mbps", sa.Float(53), nullable=False),
    sa.Column("mean_dl_sinr_db", sa.Float(53)),
    sa.Column("bearers_rejected", sa.Integer, nullable=False),
    sa.Column("bearers_preempted", sa.Integer, nullable=False),
    sa.Column("received", sa.Float(53), nullable=False),
    # A cell's window; unique: a sample redelivered after a crash is stored once (ON CONFLICT DO NOTHING; 0014).
    sa.Index("uq_net_kpi_raw_cell_ts", "cell", "ts", unique=True),
    sa.Index("ix_net_kpi_raw_ts", "ts"),  # retention
)

AGG_WINDOW_COLUMNS = ("cell", "resolution", "bucket", "n", "connected_ues", "prb_util_dl", "prb_util_ul",
                      "thr_dl_mbps", "thr_ul_mbps", "bearers_rejected", "bearers_preempted")

net_kpi_agg = sa.Table(
    "net_kpi_agg",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("cell", sa.String(64), nullable=False),
    sa.Column("resolution", sa.Integer, nullable=False),
    sa.Column("bucket", sa.Float(53), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("connected_ues", sa.Integer, nullable=False),
    sa.Column("prb_util_dl", sa.Float(53), nullable=False),
    sa.Column("prb_util_ul", sa.Float(53), nullable=False),
    sa.Column("thr_dl_mbps", sa.Float(53), nullable=False),
    sa.Column("thr_ul_mbps", sa.Float(53), nullable=False),
    sa.Column("bearers_rejected", sa.Integer, nullable=False),
    sa.Column("bearers_preempted", sa.Integer, nullable=False),
    # A cell's window, covering every column a query reads: its rows are then read together from the index.
    # Rows arrive all cells at a time, so one cell's rows lie one to a table page; a 30-day query at a step of
    # 1320 s (43,200 1-min rows) took 308 ms (SQLite) and 511 ms (PostgreSQL) through an index on the key alone,
    # 116 and 84 ms through this one (100 cells, 2-core machine at load 9; bench/netmgmt.py, docs/benchmarks.md).
    sa.Index("ix_net_kpi_agg_cell_window", *AGG_WINDOW_COLUMNS),
    sa.Index("ix_net_kpi_agg_res_bucket", "resolution", "bucket"),  # retention
)
