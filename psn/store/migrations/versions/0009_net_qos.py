"""network QoS: the profiles in force and the uplifts with their history (engineer "qos")

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "qos_profiles",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("qci", sa.Integer, nullable=False),
        sa.Column("video_qci", sa.Integer, nullable=False),
        sa.Column("voice_qci", sa.Integer, nullable=False),
        sa.Column("arp", sa.Integer, nullable=False),
        sa.Column("pci", sa.Boolean, nullable=False),
        sa.Column("pvi", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated", sa.Float(53), nullable=False),
    )
    op.create_table(
        "qos_uplifts",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("units", sa.Text, nullable=False),
        sa.Column("incident", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("started", sa.Float(53), nullable=False),
        sa.Column("until", sa.Float(53), nullable=False),
        sa.Column("ended", sa.Float(53)),
        sa.Column("end_reason", sa.String(100)),
    )
    op.create_index("ix_qos_uplifts_ended", "qos_uplifts", ["ended"])


def downgrade() -> None:
    op.drop_index("ix_qos_uplifts_ended", "qos_uplifts")
    op.drop_table("qos_uplifts")
    op.drop_table("qos_profiles")
