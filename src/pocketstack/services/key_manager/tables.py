"""The Key Manager's SQL tables (barbican/model/models.py): secrets with their encrypted payload and user
metadata, containers and their secret references, consumers, orders, ACLs, and the per-project KEKs of
the simple crypto plugin (wrapped by the master key kept in the data directory)."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db

secrets = sa.Table(
    "key_manager_secrets", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("creator_id", sa.String(255)),
    sa.Column("name", sa.String(255)),
    sa.Column("secret_type", sa.String(255), nullable=False),
    sa.Column("expiration", sa.DateTime),
    sa.Column("algorithm", sa.String(255)),
    sa.Column("bit_length", sa.Integer),
    sa.Column("mode", sa.String(255)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("content_type", sa.String(255)),
    sa.Column("encrypted", sa.LargeBinary),          # nonce + AES-GCM ciphertext under the project's KEK
    *db.timestamps(),
    sa.Index("ix_key_manager_secrets_project", "project_id", "created_at"),
)

secret_metadata = sa.Table(
    "key_manager_secret_metadata", db.metadata,
    sa.Column("secret_id", sa.String(36), sa.ForeignKey("key_manager_secrets.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

containers = sa.Table(
    "key_manager_containers", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("creator_id", sa.String(255)),
    sa.Column("name", sa.String(255)),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    *db.timestamps(),
    sa.Index("ix_key_manager_containers_project", "project_id", "created_at"),
)

container_secrets = sa.Table(
    "key_manager_container_secrets", db.metadata,
    sa.Column("container_id", sa.String(36), sa.ForeignKey("key_manager_containers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("secret_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Index("ix_key_manager_container_secrets_secret", "secret_id"),
)

consumers = sa.Table(
    "key_manager_consumers", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("entity_type", sa.String(10), nullable=False),     # container or secret
    sa.Column("entity_id", sa.String(36), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False),      # the consumer's own project
    sa.Column("name", sa.String(255)),                           # containers: name and URL
    sa.Column("url", sa.String(255)),
    sa.Column("service", sa.String(255)),                        # secrets: service, resource type and id
    sa.Column("resource_type", sa.String(255)),
    sa.Column("resource_id", sa.String(36)),
    *db.timestamps(),
    sa.Index("ix_key_manager_consumers_entity", "entity_type", "entity_id"),
)

orders = sa.Table(
    "key_manager_orders", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("creator_id", sa.String(255)),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("secret_id", sa.String(36)),
    sa.Column("container_id", sa.String(36)),
    sa.Column("error_status_code", sa.String(16)),
    sa.Column("error_reason", sa.String(255)),
    sa.Column("sub_status", sa.String(36)),
    sa.Column("sub_status_message", sa.String(255)),
    *db.timestamps(),
    sa.Index("ix_key_manager_orders_project", "project_id", "created_at"),
)

acls = sa.Table(
    "key_manager_acls", db.metadata,
    sa.Column("entity_type", sa.String(10), primary_key=True),     # secret or container
    sa.Column("entity_id", sa.String(36), primary_key=True),
    sa.Column("operation", sa.String(20), primary_key=True),       # read
    sa.Column("project_access", sa.Boolean, nullable=False),
    sa.Column("users", sa.JSON, nullable=False),
    *db.timestamps(),
)

keks = sa.Table(
    "key_manager_keks", db.metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("wrapped", sa.LargeBinary, nullable=False),          # nonce + the KEK under the master key
    *db.timestamps(),
)

project_quotas = sa.Table(
    "key_manager_project_quotas", db.metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("secrets", sa.Integer),
    sa.Column("orders", sa.Integer),
    sa.Column("containers", sa.Integer),
    sa.Column("consumers", sa.Integer),
    sa.Column("cas", sa.Integer),
    *db.timestamps(),
)

transport_keys = sa.Table(
    "key_manager_transport_keys", db.metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("plugin_name", sa.String(255), nullable=False),
    sa.Column("transport_key", sa.Text, nullable=False),
    *db.timestamps(),
)
