"""fixes and statuses unique per (unit, ts): a broker's redelivery after a crash is stored once (engineer "ack")

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    # The writer inserts with ON CONFLICT DO NOTHING against these keys. Rows already duplicated (stored before
    # this revision, when an acknowledgement lost in a crash made the broker deliver a message twice) are reduced
    # to the first stored copy (lowest id), or building the unique index would fail.
    for table in ("fixes", "statuses"):
        op.execute(f"DELETE FROM {table} WHERE id NOT IN (SELECT MIN(id) FROM {table} GROUP BY unit_id, ts)")
        op.drop_index(f"ix_{table}_unit_ts", table)
        op.create_index(f"uq_{table}_unit_ts", table, ["unit_id", "ts"], unique=True)


def downgrade() -> None:
    for table in ("fixes", "statuses"):
        op.drop_index(f"uq_{table}_unit_ts", table)
        op.create_index(f"ix_{table}_unit_ts", table, ["unit_id", "ts"])
