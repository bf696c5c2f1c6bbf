"""Roles, implied roles and role assignments (project, domain and system targets)."""

import sqlalchemy as sa

from pocketstack.core import db

__all__ = ["roles", "implied_roles", "assignments", "NULL_DOMAIN", "SYSTEM"]

NULL_DOMAIN = "<<null>>"  # quirk: a global role's domain_id, so (name, domain_id) stays unique
SYSTEM = "system"

roles = sa.Table(
    "identity_roles", db.metadata,
    db.id_column(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("domain_id", sa.String(64), nullable=False, default=NULL_DOMAIN),
    sa.Column("description", sa.Text),
    sa.Column("options", sa.JSON, nullable=False, default=dict),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    *db.timestamps(),
    sa.UniqueConstraint("name", "domain_id"),
)

implied_roles = sa.Table(
    "identity_implied_roles", db.metadata,
    sa.Column("prior_role_id", sa.String(64), primary_key=True),
    sa.Column("implied_role_id", sa.String(64), primary_key=True),
)

# type: UserProject, GroupProject, UserDomain, GroupDomain, UserSystem, GroupSystem
assignments = sa.Table(
    "identity_assignments", db.metadata,
    sa.Column("type", sa.String(16), primary_key=True),
    sa.Column("actor_id", sa.String(64), primary_key=True),
    sa.Column("target_id", sa.String(64), primary_key=True),
    sa.Column("role_id", sa.String(64), primary_key=True),
    sa.Column("inherited", sa.Boolean, primary_key=True, default=False),
    sa.Index("ix_identity_assignments_actor", "actor_id"),
    sa.Index("ix_identity_assignments_target", "target_id"),
    sa.Index("ix_identity_assignments_role", "role_id"),
)
