"""cells' KPI time series: raw samples and 1-min / 15-min aggregates (engineer "kpi", issue 12)

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                     autoincrement=True)


def _measures() -> list[sa.Column]:
    return [
        sa.Column("connected_ues", sa.Integer, nullable=False),
        sa.Column("prb_util_dl", sa.Float(53), nullable=False),
        sa.Column("prb_util_ul", sa.Float(53), nullable=False),
        sa.Column("thr_dl_mbps", sa.Float(53), nullable=False),
        sa.Column("thr_ul_mbps", sa.Float(53), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "net_kpi_raw", _id(),
        sa.Column("cell", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float(53), nullable=False),
        *_measures(),
        sa.Column("mean_dl_sinr_db", sa.Float(53)),
        sa.Column("bearers_rejected", sa.Integer, nullable=False),
        sa.Column("bearers_preempted", sa.Integer, nullable=False),
        sa.Column("received", sa.Float(53), nullable=False),
    )
    op.create_index("ix_net_kpi_raw_cell_ts", "net_kpi_raw", ["cell", "ts"])
    op.create_index("ix_net_kpi_raw_ts", "net_kpi_raw", ["ts"])
    op.create_table(
        "net_kpi_agg", _id(),
        sa.Column("cell", sa.String(64), nullable=False),
        sa.Column("resolution", sa.Integer, nullable=False),
        sa.Column("bucket", sa.Float(53), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        *_measures(),
        sa.Column("bearers_rejected", sa.Integer, nullable=False),
        sa.Column("bearers_preempted", sa.Integer, nullable=False),
    )
    op.create_index("ix_net_kpi_agg_cell_res_bucket", "net_kpi_agg", ["cell", "resolution", "bucket"])
    op.create_index("ix_net_kpi_agg_res_bucket", "net_kpi_agg", ["resolution", "bucket"])


def downgrade() -> None:
    op.drop_table("net_kpi_agg")
    op.drop_table("net_kpi_raw")
