"""The programme dashboard's table (migration 0011): officers' completed trainings as trainers record them. One
row per officer, agency, course and completion time: a trainer's retry of the same record is refused, not
counted twice."""

from __future__ import annotations

import sqlalchemy as sa

from psn.store.schema import metadata

trainings = sa.Table(
    "programme_trainings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("officer", sa.String(64), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("course", sa.String(100), nullable=False),
    sa.Column("completed", sa.Float(53), nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("recorded", sa.Float(53), nullable=False),
    sa.UniqueConstraint("officer", "agency", "course", "completed", name="uq_programme_trainings_record"),
    sa.Index("ix_programme_trainings_completed", "completed"),
)
