"""The Image service's SQL tables: images, their custom properties, tags, members and tasks."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db

images = sa.Table(
    "image_images", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("visibility", sa.String(20), nullable=False),
    sa.Column("owner", sa.String(255)),
    sa.Column("disk_format", sa.String(20)),
    sa.Column("container_format", sa.String(20)),
    sa.Column("size", sa.BigInteger),
    sa.Column("virtual_size", sa.BigInteger),
    sa.Column("checksum", sa.String(32)),
    sa.Column("os_hash_algo", sa.String(64)),
    sa.Column("os_hash_value", sa.String(128)),
    sa.Column("min_disk", sa.Integer, nullable=False, default=0),
    sa.Column("min_ram", sa.Integer, nullable=False, default=0),
    sa.Column("protected", sa.Boolean, nullable=False, default=False),
    sa.Column("os_hidden", sa.Boolean, nullable=False, default=False),
    sa.Column("stores", sa.String(255)),            # comma-separated store ids holding the data
    *db.timestamps(),
    sa.Index("ix_image_images_owner", "owner"),
    sa.Index("ix_image_images_visibility_status", "visibility", "status"),
    sa.Index("ix_image_images_created_at", "created_at"),
)

image_properties = sa.Table(
    "image_properties", db.metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("image_images.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index("ix_image_properties_name_value", "name", "value"),
)

image_tags = sa.Table(
    "image_tags", db.metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("image_images.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("value", sa.String(255), primary_key=True),
    sa.Index("ix_image_tags_value", "value"),
)

image_members = sa.Table(
    "image_members", db.metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("image_images.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    *db.timestamps(),
    sa.Index("ix_image_members_member_status", "member", "status"),
)

image_tasks = sa.Table(
    "image_tasks", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("type", sa.String(30), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("owner", sa.String(255)),
    sa.Column("image_id", sa.String(36)),
    sa.Column("request_id", sa.String(64)),
    sa.Column("user_id", sa.String(64)),
    sa.Column("input", sa.JSON),
    sa.Column("result", sa.JSON),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("expires_at", sa.DateTime),
    *db.timestamps(),
)

# --- metadata definitions (metadefs) ----------------------------------------------------
metadef_namespaces = sa.Table(
    "image_metadef_namespaces", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("namespace", sa.String(80), nullable=False, unique=True),
    sa.Column("display_name", sa.String(80)),
    sa.Column("description", sa.Text),
    sa.Column("visibility", sa.String(32), nullable=False),
    sa.Column("protected", sa.Boolean, nullable=False, default=False),
    sa.Column("owner", sa.String(255)),
    *db.timestamps(),
)


def _in_namespace(name: str, *columns: sa.Column) -> sa.Table:
    """A table of named things inside a namespace: unique by (namespace, name), gone with it."""
    return sa.Table(
        name, db.metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("namespace_id", sa.String(36), sa.ForeignKey("image_metadef_namespaces.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        *columns,
        *db.timestamps(),
        sa.UniqueConstraint("namespace_id", "name", name=f"uq_{name}_namespace_name"),
    )


metadef_objects = _in_namespace("image_metadef_objects", sa.Column("description", sa.Text),
                                sa.Column("required", sa.JSON), sa.Column("properties", sa.JSON))
metadef_properties = _in_namespace("image_metadef_properties", sa.Column("schema", sa.JSON, nullable=False))
metadef_tags = _in_namespace("image_metadef_tags")

metadef_resource_types = sa.Table(
    "image_metadef_resource_types", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("protected", sa.Boolean, nullable=False, default=False),
    *db.timestamps(),
)

metadef_associations = sa.Table(
    "image_metadef_associations", db.metadata,
    sa.Column("namespace_id", sa.String(36), sa.ForeignKey("image_metadef_namespaces.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("resource_type_id", sa.String(36), sa.ForeignKey("image_metadef_resource_types.id",
                                                                ondelete="CASCADE"), primary_key=True),
    sa.Column("prefix", sa.String(80)),
    sa.Column("properties_target", sa.String(80)),
    *db.timestamps(),
)


# Glance's image cache (glance/image_cache, sqlite/centralized_db drivers): the cached copies of
# image data (blob `image-cache/<id>`) and the images queued for the prefetcher
image_cache = sa.Table(
    "image_cache", db.metadata,
    sa.Column("image_id", sa.String(36), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),            # queued | cached
    sa.Column("size", sa.BigInteger, nullable=False, default=0),
    sa.Column("hits", sa.Integer, nullable=False, default=0),
    sa.Column("last_accessed", sa.Float, nullable=False, default=0.0),
    sa.Column("last_modified", sa.Float, nullable=False, default=0.0),
)

# locations in the read-only `http` store (POST /v2/images/{id}/locations): the data stays at the URL
image_locations = sa.Table(
    "image_locations", db.metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("image_images.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False, default=dict),
)
