"""raw cell KPI samples unique per (cell, ts): a broker's redelivery after a crash is stored once

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    # The KPI writer inserts with ON CONFLICT DO NOTHING against this key (acknowledged once stored, as fixes are
    # since 0012). Samples stored twice before (a redelivery after a crash) are reduced to the first copy, or
    # building the unique index would fail.
    op.execute("DELETE FROM net_kpi_raw WHERE id NOT IN (SELECT MIN(id) FROM net_kpi_raw GROUP BY cell, ts)")
    op.drop_index("ix_net_kpi_raw_cell_ts", "net_kpi_raw")
    op.create_index("uq_net_kpi_raw_cell_ts", "net_kpi_raw", ["cell", "ts"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_net_kpi_raw_cell_ts", "net_kpi_raw")
    op.create_index("ix_net_kpi_raw_cell_ts", "net_kpi_raw", ["cell", "ts"])
