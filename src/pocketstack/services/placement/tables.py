"""Placement's SQL tables (placement/db/sqlalchemy/models.py): providers (nested by parent and root),
resource classes, inventories, consumers and their types, allocations, traits and provider aggregates."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db

resource_providers = sa.Table(
    "placement_resource_providers", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("generation", sa.Integer, nullable=False, default=0),
    sa.Column("root_provider_id", sa.Integer),
    sa.Column("parent_provider_id", sa.Integer),
    *db.timestamps(),
    sa.Index("ix_placement_rp_root", "root_provider_id"),
    sa.Index("ix_placement_rp_parent", "parent_provider_id"),
)

resource_classes = sa.Table(   # standard classes keep os-resource-classes' ids; custom ones start at 10000
    "placement_resource_classes", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    *db.timestamps(),
)

inventories = sa.Table(
    "placement_inventories", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resource_provider_id", sa.Integer, nullable=False),
    sa.Column("resource_class_id", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("reserved", sa.Integer, nullable=False),
    sa.Column("min_unit", sa.Integer, nullable=False),
    sa.Column("max_unit", sa.Integer, nullable=False),
    sa.Column("step_size", sa.Integer, nullable=False),
    sa.Column("allocation_ratio", sa.Float, nullable=False),
    *db.timestamps(),
    sa.UniqueConstraint("resource_provider_id", "resource_class_id", name="uq_placement_inventories_rp_rc"),
    sa.Index("ix_placement_inventories_rc", "resource_class_id", "resource_provider_id"),
)

consumer_types = sa.Table(
    "placement_consumer_types", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    *db.timestamps(),
)

consumers = sa.Table(
    "placement_consumers", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("project_id", sa.String(255), nullable=False),
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False, default=0),
    sa.Column("consumer_type_id", sa.Integer),
    *db.timestamps(),
    sa.Index("ix_placement_consumers_project_user", "project_id", "user_id"),
)

allocations = sa.Table(
    "placement_allocations", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resource_provider_id", sa.Integer, nullable=False),
    sa.Column("consumer_id", sa.String(36), nullable=False),
    sa.Column("resource_class_id", sa.Integer, nullable=False),
    sa.Column("used", sa.Integer, nullable=False),
    *db.timestamps(),
    sa.Index("ix_placement_allocations_rp_rc", "resource_provider_id", "resource_class_id", "used"),
    sa.Index("ix_placement_allocations_consumer", "consumer_id"),
)

traits = sa.Table(
    "placement_traits", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    *db.timestamps(),
)

provider_traits = sa.Table(
    "placement_provider_traits", db.metadata,
    sa.Column("resource_provider_id", sa.Integer, primary_key=True),
    sa.Column("trait_id", sa.Integer, primary_key=True),
    sa.Index("ix_placement_provider_traits_trait", "trait_id"),
)

provider_aggregates = sa.Table(
    "placement_provider_aggregates", db.metadata,
    sa.Column("resource_provider_id", sa.Integer, primary_key=True),
    sa.Column("aggregate_uuid", sa.String(36), primary_key=True),
    sa.Index("ix_placement_provider_aggregates_agg", "aggregate_uuid"),
)
