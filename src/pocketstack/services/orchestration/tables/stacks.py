"""Stacks, their resources, events, tags and snapshots (heat/db/models.py: Stack, Resource, Event,
StackTag, Snapshot)."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db

stacks = sa.Table(
    "heat_stacks", db.metadata,
    db.id_column(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(64)),
    sa.Column("username", sa.String(255)),
    sa.Column("owner_id", sa.String(64)),              # parent stack of a nested stack
    sa.Column("parent_resource", sa.String(255)),      # the parent's resource name
    sa.Column("root_id", sa.String(64)),
    sa.Column("nested_depth", sa.Integer, nullable=False, default=0),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_reason", sa.Text),
    sa.Column("template", sa.JSON, nullable=False),    # the template the stack converges to
    sa.Column("environment", sa.JSON, nullable=False),
    sa.Column("files", sa.JSON, nullable=False),
    sa.Column("prev_template", sa.JSON),               # what a rollback returns to
    sa.Column("prev_environment", sa.JSON),
    sa.Column("prev_files", sa.JSON),
    sa.Column("traversal", sa.Integer, nullable=False, default=0),  # bumps with every operation
    sa.Column("disable_rollback", sa.Boolean, nullable=False, default=True),
    sa.Column("timeout_mins", sa.Integer),
    sa.Column("op_started_at", sa.DateTime),
    sa.Column("trust_id", sa.String(64)),
    sa.Column("op", sa.JSON),                          # the running operation's options
    sa.Column("deleted_at", sa.DateTime),
    *db.timestamps(),
    sa.Index("ix_heat_stacks_project_name", "project_id", "name"),
    sa.Index("ix_heat_stacks_owner", "owner_id"),
)

stack_tags = sa.Table(
    "heat_stack_tags", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("stack_id", sa.String(64), sa.ForeignKey("heat_stacks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("tag", sa.String(80), nullable=False),
    sa.Index("ix_heat_stack_tags_tag", "tag"),
    sa.Index("ix_heat_stack_tags_stack", "stack_id"),
)

resources = sa.Table(
    "heat_resources", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("stack_id", sa.String(64), sa.ForeignKey("heat_stacks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("physical_resource_id", sa.String(255)),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_reason", sa.Text),
    sa.Column("properties_data", sa.JSON),            # the resolved properties of the last create/update
    sa.Column("definition", sa.JSON),                 # the template snippet of the last create/update
    sa.Column("rsrc_metadata", sa.JSON),
    sa.Column("data", sa.JSON),                        # the plugin's private data
    sa.Column("requires", sa.JSON),                    # names this resource depends on
    sa.Column("traversal", sa.Integer, nullable=False, default=0),
    sa.Column("replaced_by", sa.Integer),             # a newer row of the same name replaces this one
    sa.Column("replaces", sa.Integer),
    sa.Column("nested_stack_id", sa.String(64)),
    *db.timestamps(),
    sa.Index("ix_heat_resources_stack", "stack_id", "name"),
)

events = sa.Table(
    "heat_events", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("stack_id", sa.String(64), nullable=False),
    sa.Column("resource_name", sa.String(255), nullable=False),
    sa.Column("physical_resource_id", sa.String(255)),
    sa.Column("resource_type", sa.String(255)),
    sa.Column("resource_action", sa.String(32)),
    sa.Column("resource_status", sa.String(32)),
    sa.Column("resource_status_reason", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_heat_events_stack", "stack_id", "id"),
)

snapshots = sa.Table(
    "heat_snapshots", db.metadata,
    db.id_column(),
    sa.Column("stack_id", sa.String(64), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255)),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("status_reason", sa.Text),
    sa.Column("data", sa.JSON),
    *db.timestamps(),
    sa.Index("ix_heat_snapshots_stack", "stack_id"),
)
