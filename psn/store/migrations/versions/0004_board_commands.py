"""the unit board; commands to units and their acknowledgements

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "board",
        sa.Column("unit_id", sa.String(130), primary_key=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("incident", sa.String(80)),  # an incident id: {owner}-{n:05d}
        sa.Column("since", sa.Float(53), nullable=False),
        sa.Column("totals", sa.Text, nullable=False),
    )
    op.create_table(
        "commands",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("unit_id", sa.String(130), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("incident", sa.String(80)),  # an incident id: {owner}-{n:05d}
        sa.Column("actor", sa.String(130), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sent", sa.Float(53), nullable=False),
        sa.Column("last_sent", sa.Float(53), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("ack_ts", sa.Float(53)),
        sa.Column("result", sa.String(16)),
        sa.Column("note", sa.Text),
        sa.Column("payload", sa.Text),
        sa.Column("sealed", sa.LargeBinary),
        sa.Column("key_id", sa.String(64)),
    )
    op.create_index("ix_commands_unit_sent", "commands", ["unit_id", "sent"])
    op.create_index("ix_commands_incident", "commands", ["incident"])
    op.create_index("ix_commands_state", "commands", ["state"])


def downgrade() -> None:
    for index in ("ix_commands_state", "ix_commands_incident", "ix_commands_unit_sent"):
        op.drop_index(index, "commands")
    op.drop_table("commands")
    op.drop_table("board")
