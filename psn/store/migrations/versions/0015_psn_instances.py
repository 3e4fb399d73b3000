"""several instances (issue 13): each names the URL browsers reach it at, for viewers of a stream it holds

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    op.create_table(
        "psn_instances",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("started", sa.Float(53), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("psn_instances")
