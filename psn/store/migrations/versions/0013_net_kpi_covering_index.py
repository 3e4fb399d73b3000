"""the KPI aggregates' window index covers every column a query reads (engineer "bench", issue 12)

One cell's aggregate rows lie one to a table page (all cells' rows arrive together), so reading a 30-day window
through an index on (cell, resolution, bucket) alone fetched 43,200 scattered pages; through this index the rows
are read together (docs/benchmarks.md, "Network management"). On PostgreSQL an index-only scan needs the table's
visibility map to be current: autovacuum is asked to visit the table after 1 % of new or dead rows instead of 20 %.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"

COLUMNS = ["cell", "resolution", "bucket", "n", "connected_ues", "prb_util_dl", "prb_util_ul", "thr_dl_mbps",
           "thr_ul_mbps", "bearers_rejected", "bearers_preempted"]
VACUUM_PARAMETERS = ("autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_scale_factor")


def _postgresql_13() -> bool:
    bind = op.get_bind()
    return (bind.dialect.name == "postgresql"
            and int(bind.exec_driver_sql("SHOW server_version_num").scalar_one()) >= 130000)


def upgrade() -> None:
    op.drop_index("ix_net_kpi_agg_cell_res_bucket", table_name="net_kpi_agg")
    op.create_index("ix_net_kpi_agg_cell_window", "net_kpi_agg", COLUMNS)
    if _postgresql_13():  # the insert threshold is new in PostgreSQL 13
        op.execute(f"ALTER TABLE net_kpi_agg SET ({', '.join(f'{name} = 0.01' for name in VACUUM_PARAMETERS)})")


def downgrade() -> None:
    if _postgresql_13():
        op.execute(f"ALTER TABLE net_kpi_agg RESET ({', '.join(VACUUM_PARAMETERS)})")
    op.drop_index("ix_net_kpi_agg_cell_window", table_name="net_kpi_agg")
    op.create_index("ix_net_kpi_agg_cell_res_bucket", "net_kpi_agg", ["cell", "resolution", "bucket"])
