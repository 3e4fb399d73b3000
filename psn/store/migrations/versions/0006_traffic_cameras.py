"""traffic cameras: where a counting camera stands and which WHIP stream it publishes (engineer "camera")

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "traffic_cameras",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("lat", sa.Float(53), nullable=False),
        sa.Column("lon", sa.Float(53), nullable=False),
        sa.Column("bearing_deg", sa.Float(53), nullable=False),
        sa.Column("stream", sa.String(200), nullable=False, unique=True),
        sa.Column("line", sa.Text, nullable=False),  # JSON [[x0, y0], [x1, y1]], frame fractions
        sa.Column("directions", sa.Text, nullable=False),  # JSON {"a_to_b": label, "b_to_a": label}
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created", sa.Float(53), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("traffic_cameras")
