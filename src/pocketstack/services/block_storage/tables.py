"""The Block Storage service's SQL tables: volumes, snapshots, backups, attachments, types, quotas."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db


def _resource(name: str, *columns: sa.Column, later: tuple[sa.Column, ...] = (),
              indexes: tuple[sa.Index, ...] = ()) -> sa.Table:
    """The columns every Cinder resource row has: id, project, user, name, status, timestamps.
    `later`: columns a later migration added, after the timestamps where ALTER TABLE put them (so a
    schema made from these tables is the one the migrations make)."""
    return sa.Table(
        name, db.metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64)),
        sa.Column("name", sa.String(255)),
        sa.Column("description", sa.String(255)),
        sa.Column("status", sa.String(32), nullable=False),
        *columns,
        *db.timestamps(),
        *later,
        sa.Index(f"ix_{name}_project_id", "project_id"),
        sa.Index(f"ix_{name}_created_at", "created_at"),
        *indexes,
    )


volume_types = sa.Table(
    "volume_types", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.String(255)),
    sa.Column("is_public", sa.Boolean, nullable=False, default=True),
    sa.Column("qos_specs_id", sa.String(36)),
    sa.Column("encryption", sa.JSON),                  # the type's encryption spec, if any
    *db.timestamps(),
)

volume_type_extra_specs = sa.Table(
    "volume_type_extra_specs", db.metadata,
    sa.Column("type_id", sa.String(36), sa.ForeignKey("volume_types.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

default_volume_types = sa.Table(                  # a project's own default type (3.62 /default-types)
    "volume_default_types", db.metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("volume_type_id", sa.String(36), sa.ForeignKey("volume_types.id", ondelete="CASCADE"),
              nullable=False),
    *db.timestamps(),
)

volume_type_projects = sa.Table(
    "volume_type_projects", db.metadata,
    sa.Column("type_id", sa.String(36), sa.ForeignKey("volume_types.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("project_id", sa.String(64), primary_key=True),
)

volumes = _resource(
    "volume_volumes",
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("availability_zone", sa.String(255)),
    sa.Column("volume_type_id", sa.String(36)),
    sa.Column("snapshot_id", sa.String(36)),
    sa.Column("source_volid", sa.String(36)),
    sa.Column("backup_id", sa.String(36)),
    sa.Column("image_id", sa.String(36)),
    sa.Column("bootable", sa.Boolean, nullable=False, default=False),
    sa.Column("readonly", sa.Boolean, nullable=False, default=False),
    sa.Column("multiattach", sa.Boolean, nullable=False, default=False),
    sa.Column("attach_status", sa.String(32), nullable=False, default="detached"),
    sa.Column("migration_status", sa.String(32)),
    sa.Column("host", sa.String(255)),
    sa.Column("provider_id", sa.String(255)),
    sa.Column("blob_key", sa.String(255), nullable=False),         # the backing file, under the blob store
    sa.Column("previous_status", sa.String(32)),
    sa.Column("image_metadata", sa.JSON, nullable=False, default=dict),
    sa.Column("error", sa.Text),
    later=(sa.Column("group_id", sa.String(36)),),                 # a generic volume group (3.13)
    indexes=(sa.Index("ix_volume_volumes_status", "status"), sa.Index("ix_volume_volumes_group_id", "group_id")),
)

volume_metadata = sa.Table(
    "volume_metadata", db.metadata,
    sa.Column("volume_id", sa.String(36), sa.ForeignKey("volume_volumes.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

snapshots = _resource(
    "volume_snapshots",
    sa.Column("volume_id", sa.String(36), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("progress", sa.String(16), nullable=False, default="0%"),
    sa.Column("blob_key", sa.String(255), nullable=False),
    sa.Column("provider_id", sa.String(255)),
    later=(sa.Column("group_snapshot_id", sa.String(36)),),        # taken as part of a group snapshot (3.14)
    indexes=(sa.Index("ix_volume_snapshots_volume_id", "volume_id"),
             sa.Index("ix_volume_snapshots_group_snapshot_id", "group_snapshot_id")),
)

snapshot_metadata = sa.Table(
    "volume_snapshot_metadata", db.metadata,
    sa.Column("snapshot_id", sa.String(36), sa.ForeignKey("volume_snapshots.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

backups = _resource(
    "volume_backups",
    sa.Column("volume_id", sa.String(36), nullable=False),
    sa.Column("snapshot_id", sa.String(36)),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("object_count", sa.Integer, nullable=False, default=0),
    sa.Column("container", sa.String(255)),
    sa.Column("availability_zone", sa.String(255)),
    sa.Column("is_incremental", sa.Boolean, nullable=False, default=False),
    sa.Column("parent_id", sa.String(36)),
    sa.Column("data_timestamp", sa.DateTime),
    sa.Column("fail_reason", sa.Text),
    sa.Column("restore_volume_id", sa.String(36)),
    sa.Column("metadata", sa.JSON, nullable=False, default=dict),
    sa.Column("volume_metadata", sa.JSON, nullable=False, default=dict),   # restored with the bytes
    sa.Column("blob_key", sa.String(255)),             # only backups made before they became objects
    later=(sa.Column("service_metadata", sa.String(255)),     # cinder's name: the objects' prefix in `container`
           sa.Column("volume_bootable", sa.Boolean, nullable=False, default=False,   # restored too (cinder's
                     server_default=sa.false()),                                    # base meta and glance meta)
           sa.Column("volume_image_metadata", sa.JSON, nullable=False, default=dict, server_default="{}")),
    indexes=(sa.Index("ix_volume_backups_volume_id", "volume_id"),),
)

attachments = sa.Table(
    "volume_attachments", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("volume_id", sa.String(36), sa.ForeignKey("volume_volumes.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("instance_uuid", sa.String(36)),
    sa.Column("attached_host", sa.String(255)),
    sa.Column("mountpoint", sa.String(255)),
    sa.Column("attach_mode", sa.String(8), nullable=False, default="rw"),
    sa.Column("attach_status", sa.String(32), nullable=False),
    sa.Column("connector", sa.JSON),
    sa.Column("attach_time", sa.DateTime),
    sa.Column("detach_time", sa.DateTime),
    *db.timestamps(),
    sa.Index("ix_volume_attachments_volume_id", "volume_id"),
)

quotas = sa.Table(
    "volume_quotas", db.metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),   # "__default__" holds the defaults
    sa.Column("resource", sa.String(255), primary_key=True),
    sa.Column("hard_limit", sa.Integer, nullable=False),
)

services = sa.Table(
    "volume_services", db.metadata,
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("binary", sa.String(255), primary_key=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled_reason", sa.String(255)),
    sa.Column("frozen", sa.Boolean, nullable=False, default=False),
    *db.timestamps(),
)

messages = sa.Table(
    "volume_messages", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(255)),
    sa.Column("resource_type", sa.String(64)),
    sa.Column("resource_uuid", sa.String(36)),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("message_level", sa.String(16), nullable=False),
    sa.Column("user_message", sa.String(255), nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    *db.timestamps(),
    sa.Index("ix_volume_messages_project_id", "project_id"),
)

qos_specs = sa.Table(
    "volume_qos_specs", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("consumer", sa.String(16), nullable=False),
    sa.Column("specs", sa.JSON, nullable=False, default=dict),
    *db.timestamps(),
)

transfers = sa.Table(
    "volume_transfers", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("volume_id", sa.String(36), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False),          # the source project
    sa.Column("name", sa.String(255)),
    sa.Column("salt", sa.String(255), nullable=False),
    sa.Column("crypt_hash", sa.String(255), nullable=False),
    sa.Column("no_snapshots", sa.Boolean, nullable=False, default=False),
    *db.timestamps(),
    sa.Index("ix_volume_transfers_project_id", "project_id"),
)

group_types = sa.Table(
    "volume_group_types", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.String(255)),
    sa.Column("is_public", sa.Boolean, nullable=False, default=True),
    sa.Column("group_specs", sa.JSON, nullable=False, default=dict),
    *db.timestamps(),
)

groups = _resource(
    "volume_groups",
    sa.Column("group_type_id", sa.String(36), nullable=False),
    sa.Column("volume_type_ids", sa.JSON, nullable=False, default=list),
    sa.Column("availability_zone", sa.String(255)),
    sa.Column("group_snapshot_id", sa.String(36)),                 # created from this group snapshot
    sa.Column("source_group_id", sa.String(36)),                   # or cloned from this group
    sa.Column("replication_status", sa.String(32)),
)

group_snapshots = _resource(
    "volume_group_snapshots",
    sa.Column("group_id", sa.String(36), nullable=False),
    sa.Column("group_type_id", sa.String(36), nullable=False),
    indexes=(sa.Index("ix_volume_group_snapshots_group_id", "group_id"),),
)
