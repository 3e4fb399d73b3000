"""incidents and their timelines (caller notes and address sealed with the owner's key)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("lat", sa.Float(53), nullable=False),
        sa.Column("lon", sa.Float(53), nullable=False),
        sa.Column("place", sa.String(200)),
        sa.Column("address", sa.String(200)),
        sa.Column("notes", sa.Text),
        sa.Column("sealed_address", sa.LargeBinary),
        sa.Column("sealed_notes", sa.LargeBinary),
        sa.Column("key_id", sa.String(64)),
        sa.Column("partners", sa.String(256), nullable=False),
        sa.Column("units", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("updated", sa.Float(53), nullable=False),
        sa.UniqueConstraint("owner", "seq", name="uq_incidents_owner_seq"),
    )
    op.create_index("ix_incidents_key_id", "incidents", ["key_id"])
    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("incident", sa.String(80), nullable=False),
        sa.Column("ts", sa.Float(53), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_index("ix_incident_timeline_incident", "incident_timeline", ["incident", "id"])


def downgrade() -> None:
    op.drop_table("incident_timeline")
    op.drop_index("ix_incidents_key_id", "incidents")
    op.drop_table("incidents")
