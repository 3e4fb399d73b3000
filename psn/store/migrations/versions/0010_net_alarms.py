"""network alarms: each alarm's latest row and its history of transitions (engineer "alarm")

Revision ID: 0010
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "net_alarms",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", sa.String(130), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("raised", sa.Float(53), nullable=False),
        sa.Column("changed", sa.Float(53), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("acknowledged_by", sa.String(64)),
        sa.Column("acknowledged", sa.Float(53)),
    )
    op.create_index("ix_net_alarms_changed", "net_alarms", ["changed"])
    op.create_index("ix_net_alarms_state", "net_alarms", ["state"])
    op.create_table(
        "net_alarm_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("alarm", sa.String(32), nullable=False),
        sa.Column("at", sa.Float(53), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("by", sa.String(64)),
    )
    op.create_index("ix_net_alarm_history_alarm", "net_alarm_history", ["alarm", "id"])


def downgrade() -> None:
    op.drop_table("net_alarm_history")
    op.drop_table("net_alarms")
