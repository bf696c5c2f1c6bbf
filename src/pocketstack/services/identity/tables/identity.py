"""Users, passwords, groups and membership."""

import sqlalchemy as sa

from pocketstack.core import db

__all__ = ["users", "passwords", "groups", "memberships"]

users = sa.Table(
    "identity_users", db.metadata,
    db.id_column(),
    sa.Column("domain_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("default_project_id", sa.String(64)),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),  # description, email, ... as keystone
    sa.Column("options", sa.JSON, nullable=False, default=dict),
    sa.Column("failed_auth_count", sa.Integer, nullable=False, default=0),
    sa.Column("failed_auth_at", sa.DateTime),
    sa.Column("last_active_at", sa.DateTime),
    *db.timestamps(),
    sa.UniqueConstraint("domain_id", "name"),
)

passwords = sa.Table(
    "identity_passwords", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("self_service", sa.Boolean, nullable=False, default=False),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

groups = sa.Table(
    "identity_groups", db.metadata,
    db.id_column(),
    sa.Column("domain_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    *db.timestamps(),
    sa.UniqueConstraint("domain_id", "name"),
)

memberships = sa.Table(
    "identity_memberships", db.metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("group_id", sa.String(64), primary_key=True, index=True),
)
