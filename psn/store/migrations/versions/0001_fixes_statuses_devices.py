"""fixes, statuses and device bindings

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _pk() -> sa.Column:
    return sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )


def upgrade() -> None:
    op.create_table(
        "fixes",
        _pk(),
        sa.Column("unit_id", sa.String(130), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float(53), nullable=False),
        sa.Column("lat", sa.Float(53), nullable=False),
        sa.Column("lon", sa.Float(53), nullable=False),
        sa.Column("alt", sa.Float(53)),
        sa.Column("speed", sa.Float(53)),
        sa.Column("heading", sa.Float(53)),
        sa.Column("accuracy", sa.Float(53)),
        sa.Column("battery", sa.Float(53)),
        sa.Column("bound", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("received", sa.Float(53), nullable=False),
    )
    op.create_index("ix_fixes_unit_ts", "fixes", ["unit_id", "ts"])
    op.create_table(
        "statuses",
        _pk(),
        sa.Column("unit_id", sa.String(130), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("ts", sa.Float(53), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("received", sa.Float(53), nullable=False),
    )
    op.create_index("ix_statuses_unit_ts", "statuses", ["unit_id", "ts"])
    op.create_table(
        "device_bindings",
        sa.Column("device", sa.String(130), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("bound_at", sa.Float(53), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("device_bindings")
    op.drop_table("statuses")
    op.drop_table("fixes")
