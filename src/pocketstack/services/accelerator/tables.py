"""The Acceleration service's SQL tables (cyborg/db/sqlalchemy/models.py): devices, their deployables and
attributes, attach handles, device profiles and accelerator requests (ARQs)."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db

devices = sa.Table(
    "accelerator_devices", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("type", sa.String(30), nullable=False),
    sa.Column("vendor", sa.String(255), nullable=False),
    sa.Column("model", sa.String(255), nullable=False),
    sa.Column("std_board_info", sa.Text),
    sa.Column("vendor_board_info", sa.Text),
    sa.Column("hostname", sa.String(255), nullable=False),
    sa.Column("status", sa.String(30), nullable=False, default="enabled"),
    *db.timestamps(),
)

deployables = sa.Table(
    "accelerator_deployables", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("parent_id", sa.Integer),
    sa.Column("root_id", sa.Integer),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("num_accelerators", sa.Integer, nullable=False),
    sa.Column("device_id", sa.Integer, sa.ForeignKey("accelerator_devices.id"), nullable=False),
    sa.Column("driver_name", sa.String(100)),
    sa.Column("rp_uuid", sa.String(36)),
    sa.Column("bitstream_id", sa.String(36)),
    *db.timestamps(),
)

attributes = sa.Table(
    "accelerator_attributes", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("deployable_id", sa.Integer, sa.ForeignKey("accelerator_deployables.id"), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.String(255), nullable=False),
    *db.timestamps(),
    sa.UniqueConstraint("deployable_id", "key"),
)

attach_handles = sa.Table(
    "accelerator_attach_handles", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("deployable_id", sa.Integer, sa.ForeignKey("accelerator_deployables.id"), nullable=False),
    sa.Column("attach_type", sa.String(30), nullable=False),
    sa.Column("attach_info", sa.JSON, nullable=False),
    sa.Column("in_use", sa.Boolean, nullable=False, default=False),
    *db.timestamps(),
)

device_profiles = sa.Table(
    "accelerator_device_profiles", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("groups", sa.JSON, nullable=False),
    *db.timestamps(),
)

arqs = sa.Table(
    "accelerator_arqs", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("state", sa.String(36), nullable=False),
    sa.Column("device_profile_id", sa.Integer, sa.ForeignKey("accelerator_device_profiles.id"), nullable=False),
    sa.Column("device_profile_name", sa.String(255), nullable=False),
    sa.Column("device_profile_group_id", sa.Integer, nullable=False),
    sa.Column("hostname", sa.String(255)),
    sa.Column("device_rp_uuid", sa.String(36)),
    sa.Column("instance_uuid", sa.String(36)),
    sa.Column("project_id", sa.String(64)),
    sa.Column("attach_handle_id", sa.Integer, sa.ForeignKey("accelerator_attach_handles.id")),
    sa.Column("deployable_id", sa.Integer),
    *db.timestamps(),
    sa.Index("ix_accelerator_arqs_instance_uuid", "instance_uuid"),
)
