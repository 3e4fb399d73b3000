"""The network inventory's tables (psn.net.inventory): sites, their cells, and agencies' devices on the network.
They share `schema.metadata`; migration 0007 creates them."""

from __future__ import annotations

import sqlalchemy as sa

from psn.store.schema import metadata

net_sites = sa.Table(
    "net_sites",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("lat", sa.Float(53), nullable=False),
    sa.Column("lon", sa.Float(53), nullable=False),
    sa.Column("environment", sa.String(16), nullable=False),
)

net_cells = sa.Table(
    "net_cells",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site", sa.String(64), sa.ForeignKey("net_sites.id"), nullable=False, index=True),
    sa.Column("lat", sa.Float(53), nullable=False),
    sa.Column("lon", sa.Float(53), nullable=False),
    sa.Column("azimuth_deg", sa.Float(53), nullable=False),
    sa.Column("tilt_deg", sa.Float(53), nullable=False),
    sa.Column("height_m", sa.Float(53), nullable=False),
    sa.Column("power_dbm", sa.Float(53), nullable=False),
    sa.Column("technology", sa.String(8), nullable=False),
    sa.Column("band", sa.String(100), nullable=False),
)

net_devices = sa.Table(
    "net_devices",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(64), nullable=False, index=True),
    sa.Column("imei", sa.String(15), nullable=False, unique=True),
    sa.Column("unit", sa.String(64)),
    sa.Column("imsi", sa.String(15), unique=True),
    sa.Column("iccid", sa.String(20), unique=True),
    sa.Column("certificate", sa.String(40)),
)

# One row (id 1): bumped by every change, so a psn process sees another's changes and writers queue on it.
net_inventory_version = sa.Table(
    "net_inventory_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

TABLES: dict[str, sa.Table] = {"sites": net_sites, "cells": net_cells, "devices": net_devices}
