"""Domains and projects (keystone keeps both in one table; a domain is a project with is_domain)."""

import sqlalchemy as sa

from pocketstack.core import db

__all__ = ["projects", "project_tags", "ROOT_DOMAIN"]

ROOT_DOMAIN = "<<keystone.domain.root>>"  # quirk: the domain_id of every domain row

projects = sa.Table(
    "identity_projects", db.metadata,
    db.id_column(),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("domain_id", sa.String(64), nullable=False),
    sa.Column("parent_id", sa.String(64), nullable=True, index=True),
    sa.Column("is_domain", sa.Boolean, nullable=False, default=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("description", sa.Text),
    sa.Column("extra", sa.JSON, nullable=False, default=dict),
    sa.Column("options", sa.JSON, nullable=False, default=dict),
    *db.timestamps(),
    sa.UniqueConstraint("domain_id", "name"),
)

project_tags = sa.Table(
    "identity_project_tags", db.metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
)
