"""Tables of network management's QoS part: the profiles in force and every uplift ever requested (kept as
history: an ended uplift keeps its row with when and why it ended). Defined on `schema.metadata`; migration 0009."""

from __future__ import annotations

import sqlalchemy as sa

from psn.store.schema import metadata

# One row per agency with its own profile, and one named DEFAULT_PROFILE (no agency's name starts with "_").
qos_profiles = sa.Table(
    "qos_profiles",
    metadata,
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
DEFAULT_PROFILE = "_default"

qos_uplifts = sa.Table(
    "qos_uplifts",
    metadata,
    # The id's n ("UP-n"): the database numbers them, so two psn instances never hand out one id twice.
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("units", sa.Text, nullable=False),  # "agency/unit" ids, comma-separated, as asked
    sa.Column("incident", sa.String(64)),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("started", sa.Float(53), nullable=False),
    sa.Column("until", sa.Float(53), nullable=False),
    sa.Column("ended", sa.Float(53)),
    sa.Column("end_reason", sa.String(100)),
    sa.Index("ix_qos_uplifts_ended", "ended"),
)
