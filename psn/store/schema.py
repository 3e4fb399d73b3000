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
    # Unique: a fix redelivered by the broker after a crash is stored once (ON CONFLICT DO NOTHING; 0012).
    sa.Index("uq_fixes_unit_ts", "unit_id", "ts", unique=True),
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
    sa.Index("uq_statuses_unit_ts", "unit_id", "ts", unique=True),
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

# Incidents (migration 0003): the row is the incident now; its caller notes and address are sealed with the
# owner's key (`sealed_notes`, `sealed_address`, both under `key_id`) or, with encryption off, in clear.
incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("lat", sa.Float(53), nullable=False),
    sa.Column("lon", sa.Float(53), nullable=False),
    sa.Column("place", sa.String(200)),
    sa.Column("address", sa.String(200)),
    sa.Column("notes", sa.Text),
    sa.Column("sealed_address", sa.LargeBinary),
    sa.Column("sealed_notes", sa.LargeBinary),
    sa.Column("key_id", sa.String(64)),
    sa.Column("partners", sa.String(256), nullable=False),
    sa.Column("units", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("updated", sa.Float(53), nullable=False),
    sa.UniqueConstraint("owner", "seq", name="uq_incidents_owner_seq"),
    sa.Index("ix_incidents_key_id", "key_id"),
)

incident_timeline = sa.Table(
    "incident_timeline",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("incident", sa.String(80), nullable=False),
    sa.Column("ts", sa.Float(53), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("what", sa.String(32), nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Index("ix_incident_timeline_incident", "incident", "id"),
)

# The unit board (psn.cad.board_store): each unit's dispatch state, the incident it is on, and its time per state
# (`totals`: JSON {state: seconds}), so a restart keeps who is dispatched where.
board = sa.Table(
    "board",
    metadata,
    sa.Column("unit_id", sa.String(130), primary_key=True),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("incident", sa.String(80)),
    sa.Column("since", sa.Float(53), nullable=False),
    sa.Column("totals", sa.Text, nullable=False),
)

# Commands sent to units (psn.cad.command_store). The payload is sealed with the unit's agency key when
# encryption at rest is on (then `payload` is empty and `sealed` holds it, bound to the id).
commands = sa.Table(
    "commands",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("unit_id", sa.String(130), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("incident", sa.String(80)),
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
    sa.Index("ix_commands_unit_sent", "unit_id", "sent"),
    sa.Index("ix_commands_incident", "incident"),
    sa.Index("ix_commands_state", "state"),
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

# Traffic cameras (psn.traffic.cameras): registrations only; their counts are aggregates kept in memory.
traffic_cameras = sa.Table(
    "traffic_cameras",
    metadata,
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
