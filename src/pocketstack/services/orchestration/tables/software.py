"""Software configs and deployments (heat/db/models.py: SoftwareConfig, SoftwareDeployment)."""

from __future__ import annotations

import sqlalchemy as sa

from pocketstack.core import db

software_configs = sa.Table(
    "heat_software_configs", db.metadata,
    db.id_column(),
    sa.Column("name", sa.String(255)),
    sa.Column("group", sa.String(255)),
    sa.Column("config", sa.JSON, nullable=False),      # {"config", "inputs", "outputs", "options"}
    sa.Column("project_id", sa.String(64), nullable=False),
    *db.timestamps(),
    sa.Index("ix_heat_software_configs_project", "project_id"),
)

software_deployments = sa.Table(
    "heat_software_deployments", db.metadata,
    db.id_column(),
    sa.Column("config_id", sa.String(64), nullable=False),
    sa.Column("server_id", sa.String(64), nullable=False),
    sa.Column("input_values", sa.JSON),
    sa.Column("output_values", sa.JSON),
    sa.Column("action", sa.String(32)),
    sa.Column("status", sa.String(32)),
    sa.Column("status_reason", sa.Text),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("stack_user_project_id", sa.String(64)),
    *db.timestamps(),
    sa.Index("ix_heat_software_deployments_server", "server_id"),
)
