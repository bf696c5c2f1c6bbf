"""Regions, services and endpoints (the service catalog)."""

import sqlalchemy as sa

from pocketstack.core import db

__all__ = ["regions", "services", "endpoints"]

regions = sa.Table(
    "identity_regions", db.metadata,
    db.id_column(length=255),
    sa.Column("description", sa.String(255), nullable=False, default=""),
    sa.Column("parent_region_id", sa.String(255)),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
)

services = sa.Table(
    "identity_services", db.metadata,
    db.id_column(),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),   # name, description, ...
)

endpoints = sa.Table(
    "identity_endpoints", db.metadata,
    db.id_column(),
    sa.Column("interface", sa.String(8), nullable=False),
    sa.Column("service_id", sa.String(64), nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("region_id", sa.String(255)),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
)
