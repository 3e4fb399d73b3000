"""positions sealed at rest; users; sharing grants

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
PLAIN = ("lat", "lon")


def upgrade() -> None:
    with op.batch_alter_table("fixes") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary))
        batch.add_column(sa.Column("key_id", sa.String(64)))
        for column in PLAIN:
            batch.alter_column(column, existing_type=sa.Float(53), nullable=True)
    op.create_index("ix_fixes_key_id", "fixes", ["key_id"])
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("roles", sa.String(256), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.Float(53), nullable=False, server_default="0"),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.Float(53), nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("grantee", sa.String(64), nullable=False),
        sa.Column("resources", sa.String(256), nullable=False),
        sa.Column("only_during_emergency", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created", sa.Float(53), nullable=False),
    )
    op.create_table(
        "incident_shares",
        sa.Column("incident", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("partners", sa.String(256), nullable=False),
        sa.Column("units", sa.Text, nullable=False),
        sa.Column("open", sa.Boolean, nullable=False),
    )
    op.create_table(
        "flags",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    for table in ("flags", "incident_shares", "agreements", "users"):
        op.drop_table(table)
    op.drop_index("ix_fixes_key_id", "fixes")
    with op.batch_alter_table("fixes") as batch:
        batch.drop_column("key_id")
        batch.drop_column("sealed")
