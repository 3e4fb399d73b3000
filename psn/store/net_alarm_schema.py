"""Network alarms (psn.net.alarms): each alarm's latest row, and the history of every transition."""

from __future__ import annotations

import sqlalchemy as sa

from psn.store.schema import metadata

net_alarms = sa.Table(
    "net_alarms",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # "AL-{seq}"
    sa.Column("seq", sa.Integer, nullable=False, unique=True),  # the next alarm after a restart is max + 1
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("target", sa.String(130), nullable=False),  # a cell id, or a unit "agency/unit"
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("raised", sa.Float(53), nullable=False),
    sa.Column("changed", sa.Float(53), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("acknowledged_by", sa.String(64)),
    sa.Column("acknowledged", sa.Float(53)),
    sa.Index("ix_net_alarms_changed", "changed"),
    sa.Index("ix_net_alarms_state", "state"),
)

net_alarm_history = sa.Table(
    "net_alarm_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("alarm", sa.String(32), nullable=False),
    sa.Column("at", sa.Float(53), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("by", sa.String(64)),
    sa.Index("ix_net_alarm_history_alarm", "alarm", "id"),
)
