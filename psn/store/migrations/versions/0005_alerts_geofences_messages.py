"""alerts, geofences and their crossings, messages (engineer "alerts")

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
# 0004 (board and commands) is built in parallel; the merger points this back at "0004".
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "alerts",
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
    )
    op.create_index("ix_alerts_open", "alerts", ["acknowledged_at", "type"])
    op.create_index("ix_alerts_raised", "alerts", ["raised"])
    op.create_table(
        "geofences",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("polygon", sa.Text, nullable=False),  # JSON [[lon, lat], …]
        sa.Column("units", sa.Text, nullable=False),  # comma-separated "agency/unit"
        sa.Column("agencies", sa.String(256), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created", sa.Float(53), nullable=False),
    )
    op.create_table(
        "geofence_events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("geofence", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.String(130), nullable=False),
        sa.Column("crossing", sa.String(8), nullable=False),
        sa.Column("ts", sa.Float(53), nullable=False),
        sa.Column("lat", sa.Float(53)),
        sa.Column("lon", sa.Float(53)),
        sa.Column("sealed", sa.LargeBinary),
        sa.Column("key_id", sa.String(64)),
    )
    op.create_index("ix_geofence_events_fence_ts", "geofence_events", ["geofence", "ts"])
    op.create_table(
        "messages",
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
    )
    op.create_index("ix_messages_to_ts", "messages", ["to_kind", "to_id", "ts"])


def downgrade() -> None:
    for table in ("messages", "geofence_events", "geofences", "alerts"):
        op.drop_table(table)
