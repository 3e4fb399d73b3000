"""Table definitions shared by the queries and (as the reference) the migrations."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

fixes = sa.Table(
    "fixes",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("unit_id", sa.String(130), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("ts", sa.Float(53), nullable=False),
    # Plain position columns stay empty when positions are sealed at rest (then in `sealed`).
    sa.Column("lat", sa.Float(53)),
    sa.Column("lon", sa.Float(53)),
    sa.Column("alt", sa.Float(53)),
    sa.Column("speed", sa.Float(53)),
    sa.Column("heading", sa.Float(53)),
    sa.Column("accuracy", sa.Float(53)),
    sa.Column("battery", sa.Float(53)),
    sa.Column("bound", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("received", sa.Float(53), nullable=False),
    sa.Column("sealed", sa.LargeBinary),
    sa.Column("key_id", sa.String(64)),
    sa.Index("ix_fixes_unit_ts", "unit_id", "ts"),
)

statuses = sa.Table(
    "statuses",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("unit_id", sa.String(130), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("ts", sa.Float(53), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("received", sa.Float(53), nullable=False),
    sa.Index("ix_statuses_unit_ts", "unit_id", "ts"),
)

device_bindings = sa.Table(
    "device_bindings",
    metadata,
    sa.Column("device", sa.String(130), primary_key=True),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("bound_at", sa.Float(53), nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("roles", sa.String(256), nullable=False),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", sa.Float(53), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created", sa.Float(53), nullable=False),
)

agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("grantee", sa.String(64), nullable=False),
    sa.Column("resources", sa.String(256), nullable=False),
    sa.Column("only_during_emergency", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created", sa.Float(53), nullable=False),
)

incident_shares = sa.Table(
    "incident_shares",
    metadata,
    sa.Column("incident", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("partners", sa.String(256), nullable=False),
    sa.Column("units", sa.Text, nullable=False),
    sa.Column("open", sa.Boolean, nullable=False),
)

flags = sa.Table(
    "flags",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

# Alerts, geofences, messages (psn.cad): free text and positions are sealed at rest when keys are on (then the
# plain columns stay empty and `sealed` holds them, AAD "{table}/{id}").
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("unit_id", sa.String(130), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("ts", sa.Float(53), nullable=False),
    sa.Column("raised", sa.Float(53), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("lat", sa.Float(53)),
    sa.Column("lon", sa.Float(53)),
    sa.Column("note", sa.Text),
    sa.Column("sealed", sa.LargeBinary),
    sa.Column("key_id", sa.String(64)),
    sa.Column("acknowledged_by", sa.String(64)),
    sa.Column("acknowledged_at", sa.Float(53)),
    sa.Index("ix_alerts_open", "acknowledged_at", "type"),
    sa.Index("ix_alerts_raised", "raised"),
)

geofences = sa.Table(
    "geofences",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("polygon", sa.Text, nullable=False),  # JSON [[lon, lat], …]
    sa.Column("units", sa.Text, nullable=False),  # comma-separated "agency/unit"
    sa.Column("agencies", sa.String(256), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created", sa.Float(53), nullable=False),
)

geofence_events = sa.Table(
    "geofence_events",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("geofence", sa.String(32), nullable=False),
    sa.Column("unit_id", sa.String(130), nullable=False),
    sa.Column("crossing", sa.String(8), nullable=False),
    sa.Column("ts", sa.Float(53), nullable=False),
    sa.Column("lat", sa.Float(53)),
    sa.Column("lon", sa.Float(53)),
    sa.Column("sealed", sa.LargeBinary),
    sa.Column("key_id", sa.String(64)),
    sa.Index("ix_geofence_events_fence_ts", "geofence", "ts"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("ts", sa.Float(53), nullable=False),
    sa.Column("sender", sa.String(64), nullable=False),
    sa.Column("sender_agency", sa.String(64), nullable=False),
    sa.Column("to_kind", sa.String(8), nullable=False),  # incident, agency or unit
    sa.Column("to_id", sa.String(130), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),  # the agency whose key seals the text
    sa.Column("text", sa.Text),
    sa.Column("sealed", sa.LargeBinary),
    sa.Column("key_id", sa.String(64)),
    sa.Column("command", sa.String(64)),  # the cmd id of a message to a unit
    sa.Index("ix_messages_to_ts", "to_kind", "to_id", "ts"),
)
