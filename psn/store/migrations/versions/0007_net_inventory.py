"""network inventory: sites, cells, devices and the inventory's change counter (engineer "inv", issue 12)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "net_sites",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("lat", sa.Float(53), nullable=False),
        sa.Column("lon", sa.Float(53), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
    )
    op.create_table(
        "net_cells",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("site", sa.String(64), sa.ForeignKey("net_sites.id"), nullable=False),
        sa.Column("lat", sa.Float(53), nullable=False),
        sa.Column("lon", sa.Float(53), nullable=False),
        sa.Column("azimuth_deg", sa.Float(53), nullable=False),
        sa.Column("tilt_deg", sa.Float(53), nullable=False),
        sa.Column("height_m", sa.Float(53), nullable=False),
        sa.Column("power_dbm", sa.Float(53), nullable=False),
        sa.Column("technology", sa.String(8), nullable=False),
        sa.Column("band", sa.String(100), nullable=False),
    )
    op.create_index("ix_net_cells_site", "net_cells", ["site"])
    op.create_table(
        "net_devices",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("imei", sa.String(15), nullable=False, unique=True),
        sa.Column("unit", sa.String(64)),
        sa.Column("imsi", sa.String(15), unique=True),
        sa.Column("iccid", sa.String(20), unique=True),
        sa.Column("certificate", sa.String(40)),
    )
    op.create_index("ix_net_devices_agency", "net_devices", ["agency"])
    version = op.create_table(
        "net_inventory_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("net_inventory_version")
    op.drop_table("net_devices")
    op.drop_table("net_cells")
    op.drop_table("net_sites")
