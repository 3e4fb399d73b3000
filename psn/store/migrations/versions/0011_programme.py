"""programme dashboard: officers' completed trainings recorded by trainers (engineer "programme")

Revision ID: 0011
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "programme_trainings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("officer", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("course", sa.String(100), nullable=False),
        sa.Column("completed", sa.Float(53), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded", sa.Float(53), nullable=False),
        sa.UniqueConstraint("officer", "agency", "course", "completed", name="uq_programme_trainings_record"),
    )
    op.create_index("ix_programme_trainings_completed", "programme_trainings", ["completed"])


def downgrade() -> None:
    op.drop_index("ix_programme_trainings_completed", "programme_trainings")
    op.drop_table("programme_trainings")
