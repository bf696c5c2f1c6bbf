"""The Object Storage SQL tables: accounts, containers and object rows (bytes live in the blob store).

Names sort bytewise in UTF-8 (SQLite's BINARY collation; "C" on PostgreSQL), as Swift lists them.
Container and account rows carry object/byte counts, updated in the same transaction as the rows.
"""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db


def _name(length: int) -> sa.types.TypeEngine:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


accounts = sa.Table(
    "swift_accounts", db.metadata,
    sa.Column("account", _name(256), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),          # X-Timestamp (seconds since the epoch)
    sa.Column("put_timestamp", sa.Float, nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),              # lower-case header name -> value
    sa.Column("container_count", sa.BigInteger, nullable=False, default=0),
    sa.Column("object_count", sa.BigInteger, nullable=False, default=0),
    sa.Column("bytes_used", sa.BigInteger, nullable=False, default=0),
)

containers = sa.Table(
    "swift_containers", db.metadata,
    sa.Column("account", _name(256), primary_key=True),
    sa.Column("name", _name(256), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("put_timestamp", sa.Float, nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),              # user meta, ACLs, quotas, keys, versioning
    sa.Column("object_count", sa.BigInteger, nullable=False, default=0),
    sa.Column("bytes_used", sa.BigInteger, nullable=False, default=0),
)

objects = sa.Table(
    "swift_objects", db.metadata,
    sa.Column("account", _name(256), primary_key=True),
    sa.Column("container", _name(256), primary_key=True),
    sa.Column("name", _name(1024), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),         # listed bytes (an SLO: all its segments)
    sa.Column("etag", sa.String(64), nullable=False),         # listed hash
    sa.Column("content_type", sa.String(512), nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),               # user meta and system keys
    sa.Column("blob_key", sa.String(255), nullable=True),
    sa.Column("blob_size", sa.BigInteger, nullable=False, default=0),
    sa.Column("delete_at", sa.BigInteger, nullable=True),
    sa.Index("ix_swift_objects_delete_at", "delete_at"),
)
