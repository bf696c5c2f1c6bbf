"""Regions, services and endpoints (the service catalog)."""

import sqlalchemy as sa

from pocketstack.core import db

__all__ = ["regions", "services", "endpoints", "endpoint_groups", "project_endpoints", "project_endpoint_groups"]

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

# OS-EP-FILTER: endpoint groups (filters over endpoint attributes) and project associations.
endpoint_groups = sa.Table(
    "identity_endpoint_groups", db.metadata,
    db.id_column(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("filters", sa.JSON, nullable=False, default=dict),
)

project_endpoints = sa.Table(
    "identity_project_endpoints", db.metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("endpoint_id", sa.String(64), primary_key=True, index=True),
)

project_endpoint_groups = sa.Table(
    "identity_project_endpoint_groups", db.metadata,
    sa.Column("endpoint_group_id", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(64), primary_key=True, index=True),
)
