"""The psn instances that share this database, by name, with the URL browsers reach each at: where a viewer is
sent for a video stream another instance holds. Defined on `schema.metadata`; migration 0015."""

from __future__ import annotations

import sqlalchemy as sa

from psn.store.schema import metadata

psn_instances = sa.Table(
    "psn_instances",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),  # Settings.instance (topics.NAME: at most 64 characters)
    sa.Column("url", sa.String(2048), nullable=False),  # Settings.own_url
    sa.Column("started", sa.Float(53), nullable=False),  # when it last started
)
